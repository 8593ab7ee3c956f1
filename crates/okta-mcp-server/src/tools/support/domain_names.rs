//! Domain names as the custom-domain and email-domain tools take them.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::error::ToolError;

/// Lower-case FQDN without a trailing dot (DNS names compare case-insensitively);
/// `example` shows the expected form in the error.
pub fn normalise_fqdn(raw: &str, example: &str) -> Result<String, ToolError> {
    let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let ok = name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok {
        Ok(name)
    } else {
        Err(ToolError::InvalidArguments(format!(
            "domain: {raw:?} is not a domain name like {example}"
        )))
    }
}
