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
//! comes in time, the stream goes on byte for byte as rmcp made it.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a read-only call answered on the request's own task (`direct`) leaves its answer,
/// already written as JSON-RPC, while this layer waits: its JSON text then goes out once as
/// the text block and once as the structured content, with no event stream made for it and
/// read back here. Once this layer stops waiting (the quick answer's time is up), the answer
/// takes rmcp's event stream as any other.
#[derive(Clone, Default)]
pub struct AnswerSlot(Arc<Mutex<Slot>>);

#[derive(Default)]
enum Slot {
    #[default]
    Waiting,
    Filled(Vec<u8>),
    Closed,
}

impl AnswerSlot {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Leaves the answer `write` makes for the layer, if the layer still waits; false (and
    /// `write` not called) if it no longer does.
    pub fn offer(&self, write: impl FnOnce() -> Vec<u8>) -> bool {
        let mut slot = self.slot();
        match *slot {
            Slot::Waiting => {
                *slot = Slot::Filled(write());
                true
            }
            Slot::Filled(_) | Slot::Closed => false,
        }
    }

    /// The layer stops waiting: the answer left, if any.
    fn close(&self) -> Option<Vec<u8>> {
        match std::mem::replace(&mut *self.slot(), Slot::Closed) {
            Slot::Filled(answer) => Some(answer),
            Slot::Waiting | Slot::Closed => None,
        }
    }
}

/// How long an answer is waited for before the stream is passed on as it is: well inside
/// the 15 s after which rmcp sends its first keep-alive, so a proxy that closes quiet
/// connections sees no longer silence than with the stream itself.
const QUICK: Duration = Duration::from_secs(10);

/// The layer, around rmcp's Streamable HTTP service.
pub async fn as_json_when_quick(mut request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !accepts_json(request.headers()) {
        return next.run(request).await;
    }
    let slot = AnswerSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    if !is_event_stream(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut chunks = body.into_data_stream();
    // What was read while waiting, passed on untouched if the stream goes on.
    let mut held = Vec::new();
    let waited = tokio::time::timeout(QUICK, async {
        while let Some(chunk) = chunks.next().await {
            let data = chunk.as_ref().ok().and_then(event_data);
            match data {
                // The priming event, or a keep-alive: nothing to answer with yet.
                Some(data) if data.is_empty() => held.push(chunk),
                Some(data) if is_answer(&data) => return Some(data),
                // A notification or a request first, a failed read, or not one whole event
                // per chunk.
                _ => {
                    held.push(chunk);
                    return None;
                }
            }
        }
        None
    })
    .await;
    // The answer came on the stream, or (a direct call) was left in the slot as the stream
    // ended. Either way the slot no longer waits.
    let left = slot.close();
    let answer = match waited {
        Ok(Some(answer)) => Some(answer),
        _ => left.map(Bytes::from),
    };
    if let Some(answer) = answer {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        parts.headers.remove(header::CACHE_CONTROL);
        parts.headers.remove("x-accel-buffering");
        return Response::from_parts(parts, Body::from(answer));
    }
    let stream = futures::stream::iter(held).chain(chunks);
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The data of `chunk` when it is exactly one server-sent event (empty for an event without
/// data, such as the priming event or a keep-alive comment); None otherwise. rmcp writes each
/// event as one chunk, with `\n` line ends; anything else is left to the client to read.
fn event_data(chunk: &Bytes) -> Option<Bytes> {
    let lines = chunk.strip_suffix(b"\n\n")?;
    if memchr::memchr(b'\r', lines).is_some() {
        return None;
    }
    let mut data: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', lines).chain([lines.len()]);
    for end in ends {
        let line = &lines[start..end];
        start = end + 1;
        if line.is_empty() {
            return None; // a second event
        }
        if let Some(value) = line.strip_prefix(b"data") {
            match value {
                [] => data.push(b""),
                [b':', b' ', rest @ ..] | [b':', rest @ ..] => data.push(rest),
                _ => {} // another field whose name starts with "data"
            }
        }
    }
    Some(match data.as_slice() {
        [] => Bytes::new(),
        [one] => chunk.slice_ref(one),
        many => Bytes::from(many.join(&b'\n')),
    })
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

/// A JSON-RPC response (result or error): a message with an `id` and no `method`. A
/// request-wise stream carries only what concerns its request, and the answer is the last of
/// it.
fn is_answer(data: &[u8]) -> bool {
    match key_after_id(data) {
        Some(key) => key == b"result" || key == b"error",
        None => {
            #[derive(Deserialize)]
            struct Message {
                method: Option<IgnoredAny>,
                id: Option<IgnoredAny>,
            }
            serde_json::from_slice::<Message>(data)
                .is_ok_and(|m| m.method.is_none() && m.id.is_some())
        }
    }
}

/// The key after the id when `data` begins as rmcp writes a message with an id:
/// `{"jsonrpc":"2.0","id":ID,"KEY"` (`result` or `error` for a response, `method` for a
/// request). Reading the whole answer to find its keys was a tenth of this layer's cost per
/// call; any other shape (a notification, an escaped id, another writer) is read in full.
fn key_after_id(data: &[u8]) -> Option<&[u8]> {
    let id = data.strip_prefix(br#"{"jsonrpc":"2.0","id":"#)?;
    let after_id = match id.first()? {
        b'"' => {
            let end = 1 + memchr::memchr(b'"', &id[1..])?;
            if memchr::memchr(b'\\', &id[..end]).is_some() {
                return None;
            }
            &id[end + 1..]
        }
        b'-' | b'0'..=b'9' => {
            let end = id.iter().position(|b| !matches!(b, b'-' | b'0'..=b'9'))?;
            &id[end..]
        }
        _ => return None,
    };
    let key = after_id.strip_prefix(b",\"")?;
    Some(&key[..memchr::memchr(b'"', key)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_response_is_an_answer() {
        assert!(is_answer(
            br#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#
        ));
        assert!(is_answer(
            br#"{"jsonrpc":"2.0","id":"a","error":{"code":-32602,"message":"bad"}}"#
        ));
        assert!(!is_answer(
            br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#
        ));
        assert!(!is_answer(
            br#"{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}"#
        ));
        assert!(!is_answer(b"not json"));
        // Other shapes than rmcp's are read in full.
        assert!(is_answer(br#"{"id":"x","jsonrpc":"2.0","result":{}}"#));
        assert!(!is_answer(br#"{"id":"x","method":"ping","jsonrpc":"2.0"}"#));
        assert!(is_answer(br#"{"jsonrpc":"2.0","id":"a\"b","result":{}}"#));
        assert!(!is_answer(br#"{"jsonrpc":"2.0","result":{}}"#));
    }

    /// The shortcut reads rmcp's own serialisation: if an rmcp upgrade changes its field
    /// order, this fails (and the layer, reading in full, still works).
    #[test]
    fn rmcp_writes_the_id_before_what_the_message_is() {
        use rmcp::model::{
            EmptyResult, ErrorData, NumberOrString, PingRequest, RequestId, ServerJsonRpcMessage,
            ServerRequest, ServerResult,
        };
        let id = |n| RequestId::from(NumberOrString::Number(n));
        let response =
            ServerJsonRpcMessage::response(ServerResult::EmptyResult(EmptyResult {}), id(7));
        let error =
            ServerJsonRpcMessage::error(ErrorData::invalid_params("bad", None), Some(id(8)));
        let request = ServerJsonRpcMessage::request(
            ServerRequest::PingRequest(PingRequest::default()),
            id(9),
        );
        let key = |m: &ServerJsonRpcMessage| {
            let bytes = serde_json::to_vec(m).unwrap();
            key_after_id(&bytes).map(<[u8]>::to_vec)
        };
        assert_eq!(key(&response).as_deref(), Some(&b"result"[..]));
        assert_eq!(key(&error).as_deref(), Some(&b"error"[..]));
        assert_eq!(key(&request).as_deref(), Some(&b"method"[..]));
    }

    fn data_of(chunk: &'static str) -> Option<String> {
        event_data(&Bytes::from_static(chunk.as_bytes()))
            .map(|d| String::from_utf8(d.to_vec()).unwrap())
    }

    #[test]
    fn one_whole_event_per_chunk_gives_its_data() {
        // As rmcp writes them: the priming event, a message, a keep-alive comment.
        assert_eq!(
            data_of("data: \nid: 0/440\nretry: 3000\n\n").as_deref(),
            Some("")
        );
        assert_eq!(
            data_of("data: {\"id\":1}\nid: 0/441\n\n").as_deref(),
            Some("{\"id\":1}")
        );
        assert_eq!(data_of(":ping\n\n").as_deref(), Some(""));
        // The SSE rules: no space after the colon, several data lines, other fields.
        assert_eq!(data_of("data:{}\n\n").as_deref(), Some("{}"));
        assert_eq!(
            data_of("event: message\ndata: [1,\ndata: 2]\n\n").as_deref(),
            Some("[1,\n2]")
        );
        assert_eq!(data_of("datax: 1\ndata: 2\n\n").as_deref(), Some("2"));
        // Not exactly one whole event: the stream is passed on as it is.
        assert_eq!(data_of("data: {\"id\":1}\n"), None);
        assert_eq!(data_of("data: 1\n\ndata: 2\n\n"), None);
        assert_eq!(data_of("data: 1\r\n\r\n"), None);
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
