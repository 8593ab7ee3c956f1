//! Responses the faults produce: Okta error bodies, and mutilated versions of the org's own.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

/// An Okta error response (`errorCode`, `errorSummary`, `errorLink`, `errorId`, `errorCauses`).
pub fn okta_error(status: StatusCode, code: &str, summary: &str, error_id: String) -> Response {
    let body = json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": error_id,
        "errorCauses": [],
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Okta's answer when a family's limit is used up.
pub fn rate_limited(error_id: String) -> Response {
    okta_error(
        StatusCode::TOO_MANY_REQUESTS,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        error_id,
    )
}

/// A 5xx as Okta renders it.
pub fn server_error(status: u16, error_id: String) -> Response {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_server_error)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let summary = status.canonical_reason().unwrap_or("Internal Server Error");
    okta_error(status, "E0000009", summary, error_id)
}

/// Sets the three `X-Rate-Limit-*` headers.
pub fn set_rate_headers(headers: &mut HeaderMap, limit: u64, remaining: u64, reset: u64) {
    for (name, value) in [
        ("x-rate-limit-limit", limit),
        ("x-rate-limit-remaining", remaining),
        ("x-rate-limit-reset", reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// Same head, new body: drops the stale Content-Length so hyper frames the new one.
pub fn with_body(mut head: axum::http::response::Parts, body: Body) -> Response {
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, body)
}

/// Headers and half of the body, then a connection reset: the client sees a transfer
/// that breaks in the middle. The pause lets hyper flush what was sent before the cut.
pub fn reset_mid_body(head: axum::http::response::Parts, bytes: Bytes) -> Response {
    let half = bytes.slice(..bytes.len() / 2);
    let mut head = head;
    if let Ok(full) = HeaderValue::try_from(bytes.len().to_string()) {
        head.headers.insert(header::CONTENT_LENGTH, full);
    }
    let chunks = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok(half), 1)),
                1 => {
                    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                    let reset = std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected connection reset",
                    );
                    Some((Err(reset), 2))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(head, Body::from_stream(chunks))
}

/// The first half of the body, framed correctly: complete HTTP, incomplete JSON.
pub fn truncated(head: axum::http::response::Parts, bytes: Bytes) -> Response {
    let half = bytes.slice(..bytes.len() / 2);
    with_body(head, Body::from(half))
}

/// A body that starts like JSON and turns into an HTML error page.
pub fn malformed(head: axum::http::response::Parts) -> Response {
    with_body(
        head,
        Body::from(r#"{"id":"00u1","status": <html><body>upstream error</body></html>"#),
    )
}

/// Rewrites every `rel="next"` target to `origin` (adding a next link when there is none).
pub fn foreign_next(headers: &mut HeaderMap, origin: &str, path_and_query: &str) {
    let origin = origin.trim_end_matches('/');
    let values: Vec<String> = headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let mut rewritten = Vec::new();
    let mut found = false;
    for value in &values {
        let mut links = Vec::new();
        for link in value.split(", <") {
            let link = link.trim_start_matches('<');
            let Some((target, params)) = link.split_once('>') else {
                links.push(format!("<{link}"));
                continue;
            };
            if params.contains("rel=\"next\"") {
                found = true;
                links.push(format!("<{origin}{}>{params}", strip_origin(target)));
            } else {
                links.push(format!("<{target}>{params}"));
            }
        }
        rewritten.push(links.join(", "));
    }
    if !found {
        rewritten.push(format!(
            "<{origin}{}{}after=injected>; rel=\"next\"",
            path_and_query,
            if path_and_query.contains('?') {
                "&"
            } else {
                "?"
            }
        ));
    }
    headers.remove(header::LINK);
    for value in rewritten {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(header::LINK, value);
        }
    }
}

/// Replaces every `rel="next"` link with one to `path_and_query`, the page just served.
pub fn repeat_next(headers: &mut HeaderMap, path_and_query: &str) {
    let kept: Vec<String> = headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(", <"))
        .map(|link| format!("<{}", link.trim_start_matches('<')))
        .filter(|link| !link.contains("rel=\"next\""))
        .collect();
    headers.remove(header::LINK);
    for value in kept
        .into_iter()
        .chain([format!("<{path_and_query}>; rel=\"next\"")])
    {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(header::LINK, value);
        }
    }
}

/// `/path?query` of an absolute URL (the URL itself when it is already relative).
fn strip_origin(target: &str) -> &str {
    match target.find("://") {
        Some(scheme_end) => {
            let rest = &target[scheme_end + 3..];
            rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
        }
        None => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_the_next_link() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::LINK,
            HeaderValue::from_static("<http://127.0.0.1:5000/api/v1/users?limit=2>; rel=\"self\""),
        );
        headers.append(
            header::LINK,
            HeaderValue::from_static(
                "<http://127.0.0.1:5000/api/v1/users?after=00u2&limit=2>; rel=\"next\"",
            ),
        );
        foreign_next(&mut headers, "http://127.0.0.1:9/", "/api/v1/users?limit=2");
        let links: Vec<&str> = headers
            .get_all(header::LINK)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            links,
            [
                "<http://127.0.0.1:5000/api/v1/users?limit=2>; rel=\"self\"",
                "<http://127.0.0.1:9/api/v1/users?after=00u2&limit=2>; rel=\"next\"",
            ]
        );
    }

    #[test]
    fn the_repeated_next_link_is_the_page_itself() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::LINK,
            HeaderValue::from_static(
                "<http://127.0.0.1:5000/api/v1/users?limit=2>; rel=\"self\", <http://127.0.0.1:5000/api/v1/users?after=00u2&limit=2>; rel=\"next\"",
            ),
        );
        repeat_next(&mut headers, "/api/v1/users?limit=2");
        let links: Vec<&str> = headers
            .get_all(header::LINK)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            links,
            [
                "<http://127.0.0.1:5000/api/v1/users?limit=2>; rel=\"self\"",
                "</api/v1/users?limit=2>; rel=\"next\"",
            ]
        );
    }

    #[test]
    fn adds_a_next_link_when_there_is_none() {
        let mut headers = HeaderMap::new();
        foreign_next(&mut headers, "http://evil.test", "/api/v1/users?limit=2");
        assert_eq!(
            headers.get(header::LINK).unwrap(),
            "<http://evil.test/api/v1/users?limit=2&after=injected>; rel=\"next\""
        );
    }
}
