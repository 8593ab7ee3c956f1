//! Every request the sandbox received, as it arrived, so tests can assert what reached the org.

/// One received request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub method: String,
    /// Path and query exactly as received, before any decoding or normalisation.
    pub path: String,
    /// Status sent back; None when no response was produced (the client went away first).
    pub status: Option<u16>,
    /// The `User-Agent` header, to check what the client says it is.
    pub user_agent: Option<String>,
    /// Label of the injected fault that shaped the response, if any.
    pub fault: Option<&'static str>,
}

impl JournalEntry {
    /// The path without its query.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}
