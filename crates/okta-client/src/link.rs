//! `Link` header parsing (RFC 8288) and the origin check that keeps the token inside the org.

use url::Url;

/// The target of the `rel="next"` link among all `Link` header values, resolved against the
/// URL of the request that produced them.
pub(crate) fn next_link<'a>(values: impl IntoIterator<Item = &'a str>, base: &Url) -> Option<Url> {
    values
        .into_iter()
        .flat_map(split_links)
        .find(|(_, params)| has_rel(params, "next"))
        .and_then(|(target, _)| base.join(target).ok())
}

/// Splits one header value into `(target, params)` pairs, honouring `<...>` and quotes.
fn split_links(value: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let Some(after_lt) = rest.strip_prefix('<') else {
            break;
        };
        let Some(end) = after_lt.find('>') else {
            break;
        };
        let target = &after_lt[..end];
        let tail = &after_lt[end + 1..];
        let params_end = param_section_end(tail);
        out.push((target, &tail[..params_end]));
        rest = &tail[params_end..];
    }
    out
}

/// Index of the comma that ends a link's parameters (commas inside quotes do not count).
fn param_section_end(tail: &str) -> usize {
    let mut quoted = false;
    for (i, c) in tail.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => return i,
            _ => {}
        }
    }
    tail.len()
}

/// Whether `;rel=next` / `; rel="next prev"` names the relation (case-insensitive).
fn has_rel(params: &str, wanted: &str) -> bool {
    params.split(';').any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case(wanted))
    })
}

/// Same scheme, host and port (default ports made explicit), as the token's audience.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host:port` of a URL, for messages.
pub(crate) fn origin_text(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        _ => url.scheme().to_owned(),
    }
}

/// The `after` cursor of a next link, which callers pass back to continue a listing.
pub(crate) fn after_cursor(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://acme.okta.com/api/v1/users?limit=2").unwrap()
    }

    #[test]
    fn finds_next_among_several_links() {
        let header = r#"<https://acme.okta.com/api/v1/users?limit=2>; rel="self", <https://acme.okta.com/api/v1/users?after=00u2&limit=2>; rel="next""#;
        let next = next_link([header], &base()).unwrap();
        assert_eq!(
            next.as_str(),
            "https://acme.okta.com/api/v1/users?after=00u2&limit=2"
        );
        assert_eq!(after_cursor(&next).as_deref(), Some("00u2"));
    }

    #[test]
    fn finds_next_across_separate_header_values() {
        let values = [
            "<https://acme.okta.com/api/v1/users?limit=2>; rel=\"self\"",
            "<https://acme.okta.com/api/v1/users?after=abc%3D&limit=2>;rel=next",
        ];
        let next = next_link(values, &base()).unwrap();
        assert_eq!(after_cursor(&next).as_deref(), Some("abc="));
    }

    #[test]
    fn tolerates_odd_but_legal_forms() {
        let header = r#"<https://acme.okta.com/x?a=1,2>; title="a, b"; REL="prev next""#;
        assert!(next_link([header], &base()).is_some());
        let relative = r#"</api/v1/users?after=z>; rel="next""#;
        assert_eq!(
            next_link([relative], &base()).unwrap().as_str(),
            "https://acme.okta.com/api/v1/users?after=z"
        );
    }

    #[test]
    fn no_next_when_absent_or_garbage() {
        assert!(next_link([r#"<https://acme.okta.com/a>; rel="self""#], &base()).is_none());
        assert!(next_link(["garbage", "", "<unterminated"], &base()).is_none());
        assert!(next_link([r#"<https://acme.okta.com/a>; rel="nextpage""#], &base()).is_none());
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        let org = Url::parse("https://acme.okta.com").unwrap();
        let same = Url::parse("https://ACME.okta.com:443/api/v1/users?after=1").unwrap();
        assert!(same_origin(&org, &same));
        for other in [
            "http://acme.okta.com/api/v1/users",
            "https://acme.okta.com:8443/api/v1/users",
            "https://evil.example/api/v1/users",
            "https://acme.okta.com.evil.example/api/v1/users",
        ] {
            assert!(!same_origin(&org, &Url::parse(other).unwrap()), "{other}");
        }
        assert_eq!(
            origin_text(&Url::parse("http://127.0.0.1:9/x").unwrap()),
            "http://127.0.0.1:9"
        );
    }
}
