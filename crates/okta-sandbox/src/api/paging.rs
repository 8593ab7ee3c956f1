//! Okta-style pagination: `limit` bounds per endpoint, opaque `after` cursors, and `Link`
//! headers (`rel="self"` and, unless on the last page, `rel="next"`) on the org's origin.
//!
//! Choices where Okta's docs are silent (applied to every list endpoint alike):
//! - a `limit` that is not an integer, or is below -1, is a 400 E0000001;
//! - `limit=0` and `limit=-1` (the apps API's documented default) mean the endpoint's default; a limit above the maximum is clamped to it
//!   (Okta caps oversized limits rather than refusing them);
//! - an `after` value that is not a cursor this server issued is a 400 E0000001.

use crate::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::cmp::Ordering;

/// The default and maximum page size of one endpoint.
#[derive(Debug, Clone, Copy)]
pub struct LimitRule {
    pub default: usize,
    pub max: usize,
}

pub fn parse_limit(raw: Option<&str>, rule: LimitRule) -> Result<usize, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(rule.default);
    };
    let limit: i64 = raw.parse().map_err(|_| {
        ApiError::validation("limit", format!("limit: '{raw}' is not a valid integer"))
    })?;
    match limit {
        n if n < -1 => Err(ApiError::validation(
            "limit",
            "limit: must be greater than or equal to 0",
        )),
        0 | -1 => Ok(rule.default),
        n => Ok((n as u64).min(rule.max as u64) as usize),
    }
}

/// Position of the last item of a page: its sort value and id (ties broken by id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub sort: String,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = serde_json::json!([self.sort, self.id]).to_string();
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(token: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::validation("after", "after: The cursor is invalid");
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        match value.as_array().map(Vec::as_slice) {
            Some([Value::String(sort), Value::String(id)]) => Ok(Cursor {
                sort: sort.clone(),
                id: id.clone(),
            }),
            _ => Err(invalid()),
        }
    }
}

/// One page cut from a full, unsorted result set.
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<Cursor>,
}

/// Sorts `items` by their cursor key, skips past `after`, and takes `limit`.
pub fn paginate(
    items: Vec<(Cursor, Value)>,
    descending: bool,
    after: Option<&Cursor>,
    limit: usize,
) -> Page {
    let (items, next) = select(items, descending, after, limit);
    Page { items, next }
}

/// Like [`paginate`], cloning only the items on the page (large result sets, e.g. logs).
pub fn paginate_refs(
    items: Vec<(Cursor, &Value)>,
    descending: bool,
    after: Option<&Cursor>,
    limit: usize,
) -> Page {
    paginate_view(items, descending, after, limit, Value::clone)
}

/// Like [`paginate_refs`], each item on the page made by `view` (the form a collection
/// shows it in). Copying every user of the org to show twenty was most of what a user
/// listing cost.
pub fn paginate_view(
    items: Vec<(Cursor, &Value)>,
    descending: bool,
    after: Option<&Cursor>,
    limit: usize,
    view: impl Fn(&Value) -> Value,
) -> Page {
    let (items, next) = select(items, descending, after, limit);
    Page {
        items: items.into_iter().map(view).collect(),
        next,
    }
}

fn select<T>(
    mut items: Vec<(Cursor, T)>,
    descending: bool,
    after: Option<&Cursor>,
    limit: usize,
) -> (Vec<T>, Option<Cursor>) {
    let order = |a: &Cursor, b: &Cursor| {
        if descending { b.cmp(a) } else { a.cmp(b) }
    };
    items.sort_by(|(a, _), (b, _)| order(a, b));
    let mut rest = items
        .into_iter()
        .skip_while(|(key, _)| after.is_some_and(|c| order(key, c) != Ordering::Greater))
        .peekable();
    let mut page = Vec::with_capacity(limit.min(1024));
    let mut last = None;
    while page.len() < limit {
        match rest.next() {
            Some((key, value)) => {
                last = Some(key);
                page.push(value);
            }
            None => break,
        }
    }
    let next = if rest.peek().is_some() { last } else { None };
    (page, next)
}

/// `Link` headers for a page: self (the request as sent) and next (same query, new `after`).
pub fn link_headers(
    base_url: &str,
    path: &str,
    query: &[(String, String)],
    next: Option<&Cursor>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let url_with = |pairs: &[(String, String)]| {
        if pairs.is_empty() {
            format!("{base_url}{path}")
        } else {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            format!("{base_url}{path}?{encoded}")
        }
    };
    let mut push = |url: String, rel: &str| {
        if let Ok(value) = HeaderValue::from_str(&format!("<{url}>; rel=\"{rel}\"")) {
            headers.append(header::LINK, value);
        }
    };
    push(url_with(query), "self");
    if let Some(cursor) = next {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect();
        pairs.push(("after".into(), cursor.encode()));
        push(url_with(&pairs), "next");
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULE: LimitRule = LimitRule {
        default: 200,
        max: 200,
    };

    #[test]
    fn limit_rules() {
        assert_eq!(parse_limit(None, RULE).unwrap(), 200);
        assert_eq!(parse_limit(Some("20"), RULE).unwrap(), 20);
        assert_eq!(parse_limit(Some("0"), RULE).unwrap(), 200);
        assert_eq!(parse_limit(Some("5000"), RULE).unwrap(), 200);
        assert_eq!(
            parse_limit(Some("99999999999999999999"), RULE)
                .unwrap_err()
                .code,
            "E0000001"
        );
        assert_eq!(parse_limit(Some("-1"), RULE).unwrap(), 200);
        assert_eq!(parse_limit(Some("-2"), RULE).unwrap_err().code, "E0000001");
        assert_eq!(parse_limit(Some("ten"), RULE).unwrap_err().code, "E0000001");
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            sort: "2024-01-01T00:00:00.000Z".into(),
            id: "00u1".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("[1,2]")).is_err());
    }

    fn items(n: usize) -> Vec<(Cursor, Value)> {
        (0..n)
            .rev()
            .map(|i| {
                (
                    Cursor {
                        sort: String::new(),
                        id: format!("{i:03}"),
                    },
                    json!(i),
                )
            })
            .collect()
    }

    #[test]
    fn pages_are_disjoint_and_cover_everything() {
        for descending in [false, true] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = paginate(items(10), descending, after.as_ref(), 3);
                seen.extend(page.items.iter().filter_map(Value::as_u64));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let mut expected: Vec<u64> = (0..10).collect();
            if descending {
                expected.reverse();
            }
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn exact_multiple_has_no_trailing_next() {
        let first = paginate(items(4), false, None, 2);
        let second = paginate(items(4), false, first.next.as_ref(), 2);
        assert_eq!(second.items.len(), 2);
        assert!(second.next.is_none());
    }

    #[test]
    fn link_headers_keep_the_query_and_replace_after() {
        let query = vec![
            ("limit".to_owned(), "2".to_owned()),
            ("search".to_owned(), "status eq \"ACTIVE\"".to_owned()),
            ("after".to_owned(), "old".to_owned()),
        ];
        let cursor = Cursor {
            sort: String::new(),
            id: "00u2".into(),
        };
        let headers = link_headers("http://127.0.0.1:9", "/api/v1/users", &query, Some(&cursor));
        let links: Vec<&str> = headers
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0],
            "<http://127.0.0.1:9/api/v1/users?limit=2&search=status+eq+%22ACTIVE%22&after=old>; rel=\"self\""
        );
        assert!(links[1].starts_with(
            "<http://127.0.0.1:9/api/v1/users?limit=2&search=status+eq+%22ACTIVE%22&after="
        ));
        assert!(links[1].ends_with(&format!("after={}>; rel=\"next\"", cursor.encode())));
        let last = link_headers("http://127.0.0.1:9", "/api/v1/users", &[], None);
        assert_eq!(last.get_all(header::LINK).iter().count(), 1);
    }
}
