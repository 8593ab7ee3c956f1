//! Request paths and query strings, encoded so that caller-supplied values never change the route.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except RFC 3986 "unreserved" characters is encoded, so `/`, `?`, `#`, `%`,
/// spaces and non-ASCII all stay inside the one segment or value they were given for.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// IDs longer than this are refused before anything is sent: Okta IDs are 20 characters and
/// logins at most 100, so a longer one is a mistake, and would otherwise end as an
/// unreadable transport error when the server drops an overlong request line.
pub const MAX_ID_CHARS: usize = 1024;

/// Percent-encodes one path segment or query component.
pub(crate) fn encode_component(raw: &str) -> String {
    utf8_percent_encode(raw, STRICT).to_string()
}

/// Builds `k=v&k=v` with every key and value strictly percent-encoded (spaces as `%20`).
pub(crate) fn encode_query(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let joined = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&");
    Some(joined)
}

/// An API path built from literal parts and ID segments; IDs can never change the route.
///
/// An ID that cannot be one segment at all (empty, `.` or `..`, which URL parsers collapse)
/// poisons the path: sending it fails with [`crate::ApiError::InvalidRequest`] instead of
/// reaching another resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiPath {
    path: String,
    invalid: Option<String>,
}

impl ApiPath {
    /// A literal path such as `/api/v1/users` (taken verbatim).
    pub fn new(literal: &'static str) -> Self {
        Self {
            path: literal.to_owned(),
            invalid: None,
        }
    }

    /// Appends one ID, percent-encoded as exactly one segment.
    pub fn id(mut self, id: &str) -> Self {
        let chars = id.chars().count();
        if id.is_empty() || id == "." || id == ".." || chars > MAX_ID_CHARS {
            if self.invalid.is_none() {
                self.invalid = Some(if chars > MAX_ID_CHARS {
                    format!(
                        "an ID of {chars} characters is too long (at most {MAX_ID_CHARS}; Okta IDs are 20 characters, logins at most 100)"
                    )
                } else {
                    format!(
                        "{id:?} is not a valid ID (empty, `.` and `..` cannot name a single resource)"
                    )
                });
            }
            // Keep the route shape recognisable in logs; this path is never sent.
            self.path.push_str("/%00");
            return self;
        }
        if !self.path.ends_with('/') {
            self.path.push('/');
        }
        self.path.push_str(&encode_component(id));
        self
    }

    /// Appends literal segments such as `lifecycle/activate`.
    pub fn lit(mut self, literal: &'static str) -> Self {
        if !self.path.ends_with('/') {
            self.path.push('/');
        }
        self.path.push_str(literal.trim_start_matches('/'));
        self
    }

    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Why this path must not be sent, when an ID could not be encoded as one segment.
    pub fn invalid_reason(&self) -> Option<&str> {
        self.invalid.as_deref()
    }
}

impl std::fmt::Display for ApiPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_stay_one_segment() {
        let cases = [
            ("../groups/00g1", "/api/v1/users/..%2Fgroups%2F00g1"),
            ("00u1%2F..", "/api/v1/users/00u1%252F.."),
            ("a?b#c", "/api/v1/users/a%3Fb%23c"),
            ("a b/c", "/api/v1/users/a%20b%2Fc"),
            ("jörg@example.com", "/api/v1/users/j%C3%B6rg%40example.com"),
            ("a+b", "/api/v1/users/a%2Bb"),
            ("...", "/api/v1/users/..."),
            ("00u1abc", "/api/v1/users/00u1abc"),
        ];
        for (id, want) in cases {
            let path = ApiPath::new("/api/v1/users").id(id);
            assert_eq!(path.as_str(), want, "id {id:?}");
            assert_eq!(path.invalid_reason(), None);
            let tail = &path.as_str()["/api/v1/users/".len()..];
            assert!(!tail.contains('/') && !tail.contains('?') && !tail.contains('#'));
        }
    }

    #[test]
    fn dot_and_empty_ids_poison_the_path() {
        for id in ["", ".", ".."] {
            let path = ApiPath::new("/api/v1/users")
                .id(id)
                .lit("lifecycle/activate");
            assert!(path.invalid_reason().is_some(), "id {id:?}");
        }
    }

    #[test]
    fn literals_and_ids_compose() {
        let path = ApiPath::new("/api/v1/groups")
            .id("00g1")
            .lit("/users")
            .id("00u 2");
        assert_eq!(path.as_str(), "/api/v1/groups/00g1/users/00u%202");
    }

    #[test]
    fn query_values_are_strictly_encoded() {
        let q = encode_query(&[
            (
                "search".into(),
                "profile.lastName eq \"O'Brien & Co\"".into(),
            ),
            ("after".into(), "a=b&c".into()),
        ]);
        assert_eq!(
            q.as_deref(),
            Some("search=profile.lastName%20eq%20%22O%27Brien%20%26%20Co%22&after=a%3Db%26c")
        );
        assert_eq!(encode_query(&[]), None);
    }
}
