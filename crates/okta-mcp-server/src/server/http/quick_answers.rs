//! A request answered within a moment gets its answer as one JSON body rather than an event
//! stream.
//!
//! rmcp answers every request of a 2025-era session with an event stream: a priming event
//! (so a client can resume a dropped stream), written at once, then the answer. For a call
//! that answers in milliseconds that is two writes, two reads by the client and SSE framing
//! where one JSON body does. The Streamable HTTP transport lets the server pick either for a
//! request ("the client MUST support both"), so this layer waits a little for the stream's
//! first message: if it is the answer, the client gets it as `application/json`; if it is a
//! notification or a request first (progress, a confirmation the tool asks for), or nothing
//! comes in time, the stream goes on as rmcp made it, the held events first.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;
use sse_stream::{Sse, SseStream};
use std::convert::Infallible;
use std::time::Duration;

/// How long an answer is waited for before the stream is passed on as it is: well inside
/// the 15 s after which rmcp sends its first keep-alive, so a proxy that closes quiet
/// connections sees no longer silence than with the stream itself.
const QUICK: Duration = Duration::from_secs(10);

/// The layer, around rmcp's Streamable HTTP service.
pub async fn as_json_when_quick(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !accepts_json(request.headers()) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if !is_event_stream(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut events = SseStream::new(body);
    let mut held = Vec::new();
    let waited = tokio::time::timeout(QUICK, async {
        while let Some(Ok(event)) = events.next().await {
            match event.data.as_deref() {
                // The priming event (or a keep-alive): nothing to answer with yet.
                None | Some("") => held.push(event),
                Some(data) if is_answer(data) => return Some(event),
                Some(_) => {
                    held.push(event);
                    return None;
                }
            }
        }
        None
    })
    .await;
    if let Ok(Some(Sse {
        data: Some(answer), ..
    })) = waited
    {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        parts.headers.remove(header::CACHE_CONTROL);
        parts.headers.remove("x-accel-buffering");
        return Response::from_parts(parts, Body::from(answer));
    }
    let rest = futures::stream::iter(held)
        .chain(events.filter_map(|event| async move { event.ok() }))
        .map(|event| Ok::<_, Infallible>(Bytes::from(event)));
    Response::from_parts(parts, Body::from_stream(rest))
}

fn accepts_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            let essence = media.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
        })
}

fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// A JSON-RPC response (result or error): a message with no `method`. A request-wise stream
/// carries only what concerns its request, and the answer is the last of it.
fn is_answer(data: &str) -> bool {
    #[derive(Deserialize)]
    struct Message {
        method: Option<IgnoredAny>,
        id: Option<IgnoredAny>,
    }
    serde_json::from_str::<Message>(data).is_ok_and(|m| m.method.is_none() && m.id.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_response_is_an_answer() {
        assert!(is_answer(
            r#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#
        ));
        assert!(is_answer(
            r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32602,"message":"bad"}}"#
        ));
        assert!(!is_answer(
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#
        ));
        assert!(!is_answer(
            r#"{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}"#
        ));
        assert!(!is_answer("not json"));
    }

    #[test]
    fn json_must_be_accepted() {
        let mut headers = axum::http::HeaderMap::new();
        assert!(!accepts_json(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream, Application/JSON;q=0.9"),
        );
        assert!(accepts_json(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        assert!(!accepts_json(&headers));
    }
}
