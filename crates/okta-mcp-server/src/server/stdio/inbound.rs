//! Turning one client line into a message for the SDK, or into the JSON-RPC error that says
//! why it cannot be one. The SDK drops undecodable lines silently (numbers beyond f64,
//! invalid UTF-8 or lone surrogates in strings, nesting past serde_json's 128 levels), and
//! answers a message of the wrong shape with "Invalid request" and a null id; here every line
//! whose id can be read gets an answer carrying that id and naming the problem.

use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ErrorCode, ErrorData, JsonRpcMessage, RequestId};
use rmcp::service::RxJsonRpcMessage;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// What to do with one line from the client.
pub enum Inbound {
    /// A message for the SDK.
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    /// An error reply to write back (a whole JSON-RPC message, without newline).
    Reply(String),
    /// Nothing to answer (a blank line, or a notification or response that cannot be read:
    /// it has no id to answer, so it is logged instead).
    Nothing,
}

/// Decodes `line` (without its newline) exactly as the SDK would, explaining a refusal.
pub fn decode(line: &[u8]) -> Inbound {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Inbound::Nothing;
    }
    match serde_json::from_slice::<ClientJsonRpcMessage>(line) {
        // A standard method whose params do not fit its type reaches the handler as a custom
        // request, which answers -32602 naming the parameter (see `server::params`).
        Ok(message) => Inbound::Message(Box::new(message)),
        Err(error) => explain(line, &error),
    }
}

/// The answer to a line the SDK's decoder refused.
fn explain(line: &[u8], decode_error: &serde_json::Error) -> Inbound {
    if let Err(e) = check_values(line) {
        let id = readable_id(line);
        let problem = match e.classify() {
            serde_json::error::Category::Eof | serde_json::error::Category::Syntax => {
                describe_value_error(&e)
            }
            _ => e.to_string(),
        };
        return reply_or_log(
            id,
            ErrorCode::PARSE_ERROR,
            format!("Parse error: {problem}"),
        );
    }
    let first = line.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        return reply(
            None,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: batches are not supported; send one JSON-RPC object per line".into(),
        );
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(line) else {
        return reply(
            None,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: expected a JSON-RPC object".into(),
        );
    };
    if envelope.result.is_some() || envelope.error.is_some() {
        tracing::warn!(
            error = %decode_error,
            "a response from the client could not be read; it is dropped"
        );
        return Inbound::Nothing;
    }
    if envelope.id.is_none() {
        // A notification: there is no id to answer, so it is logged instead.
        tracing::warn!(
            error = %decode_error,
            method = ?envelope.method.map(RawValue::get),
            "a notification from the client could not be read; it is dropped"
        );
        return Inbound::Nothing;
    }
    let id = match envelope.id {
        None => None,
        Some(raw) => match serde_json::from_str::<RequestId>(raw.get()) {
            Ok(id) => Some(id),
            Err(_) => {
                return reply(
                    None,
                    ErrorCode::INVALID_REQUEST,
                    "Invalid Request: id must be a string or an integer".into(),
                );
            }
        },
    };
    let method = envelope
        .method
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
    let Some(method) = method else {
        return reply_or_log(
            id,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: method must be a string naming the JSON-RPC method".into(),
        );
    };
    if envelope
        .jsonrpc
        .is_none_or(|raw| raw.get().trim() != "\"2.0\"")
    {
        return reply_or_log(
            id,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: jsonrpc must be \"2.0\"".into(),
        );
    }
    let params = envelope
        .params
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw.get()).ok());
    if let Some(problem) = crate::server::params::problem(&method, params.as_ref()) {
        return reply_or_log(id, ErrorCode::INVALID_PARAMS, problem);
    }
    reply_or_log(
        id,
        ErrorCode::INVALID_REQUEST,
        format!("Invalid Request: {method}: {decode_error}"),
    )
}

/// The fields every JSON-RPC message shares, each kept raw so that a bad one cannot hide
/// the others.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<&'a RawValue>,
    /// Present even when null (`"id": null` is a request with a bad id, not a notification).
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(default)]
    result: Option<IgnoredAny>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

fn present<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn reply(id: Option<RequestId>, code: ErrorCode, message: String) -> Inbound {
    let error: rmcp::service::TxJsonRpcMessage<RoleServer> =
        JsonRpcMessage::error(ErrorData::new(code, message, None), id);
    match serde_json::to_string(&error) {
        Ok(text) => Inbound::Reply(text),
        Err(e) => {
            tracing::error!(error = %e, "cannot write an error reply");
            Inbound::Nothing
        }
    }
}

/// The reply, and a log line when the id cannot be read: the reply then carries a null id
/// (as JSON-RPC asks), which the client cannot match to a request.
fn reply_or_log(id: Option<RequestId>, code: ErrorCode, message: String) -> Inbound {
    if id.is_none() {
        tracing::warn!(error = %message, "a message from the client without a readable id could not be read");
    }
    reply(id, code, message)
}

/// serde_json's wording, with the limit named where it is one of ours to name.
fn describe_value_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("recursion limit exceeded") {
        format!("{text} (values may nest at most 127 levels deep)")
    } else if text.starts_with("number out of range") {
        format!("{text} (numbers must fit a 64-bit float)")
    } else if text.contains("hex escape") || text.contains("surrogate") {
        format!(
            "{text} (a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF one: lone surrogates are not text)"
        )
    } else if text.starts_with("invalid unicode code point") {
        format!("{text} (strings must be valid UTF-8)")
    } else {
        text
    }
}

/// Reads the line through serde_json the way the SDK's decoder does (strings, numbers, depth),
/// keeping nothing: the SDK's error says only that the line did not match, this one where
/// and why it cannot be read at all.
pub fn check_values(line: &[u8]) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(line);
    Checked.deserialize(&mut de)?;
    de.end()
}

/// Visits every value with `deserialize_any`, so serde_json parses numbers and strings and
/// counts depth (IgnoredAny would skip them unchecked).
#[derive(Clone, Copy)]
struct Checked;

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// The message's id, if it can be read from the start of the line: the line may be cut
/// short (too large) or go wrong after the id. Only a top-level `"id"` counts.
pub fn readable_id(line: &[u8]) -> Option<RequestId> {
    struct Seek<'a>(&'a mut Option<RequestId>);
    impl<'de> Visitor<'de> for Seek<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON-RPC object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "id" {
                    *self.0 = map.next_value::<RequestId>().ok();
                    // Stop here: what follows may be cut off or unreadable.
                    return Err(de::Error::custom("id found"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut id = None;
    let mut de = serde_json::Deserializer::from_slice(line);
    let _ = de::Deserializer::deserialize_map(&mut de, Seek(&mut id));
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn reply_of(line: &[u8]) -> Value {
        match decode(line) {
            Inbound::Reply(text) => serde_json::from_str(&text).unwrap(),
            Inbound::Message(m) => panic!("decoded as a message: {m:?}"),
            Inbound::Nothing => panic!("no reply"),
        }
    }

    #[test]
    fn values_the_sdk_cannot_decode_are_answered_with_their_id() {
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_users","arguments":{"limit":1e999999}}}"#.to_vec(),
                "number out of range",
            ),
            (
                b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"get_user\",\"arguments\":{\"user_id\":\"\xff\xfe\"}}}".to_vec(),
                "invalid unicode",
            ),
            (
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":"\ud83d"}}}"#.to_vec(),
                "surrogate",
            ),
            (deep.into_bytes(), "recursion limit"),
        ];
        for (line, problem) in cases {
            let r = reply_of(&line);
            assert_eq!(r["error"]["code"], -32700, "{r}");
            assert!(r["id"].is_number(), "{r}");
            let message = r["error"]["message"].as_str().unwrap();
            assert!(message.contains(problem), "{message}");
        }
    }

    #[test]
    fn ill_typed_params_reach_the_handler_or_are_named() {
        // Decodable as the SDK's catch-all: the handler names the problem.
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":"a","method":"tools/call"}"#),
            Inbound::Message(_)
        ));
    }

    #[test]
    fn a_bad_envelope_is_an_invalid_request_with_the_id_when_readable() {
        let r = reply_of(br#"{"jsonrpc":"1.0","id":4,"method":"ping"}"#);
        assert_eq!(r["error"]["code"], -32600, "{r}");
        assert_eq!(r["id"], 4);
        let r = reply_of(br#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#);
        assert_eq!(r["error"]["code"], -32600, "{r}");
        assert_eq!(r["id"], Value::Null);
        let r = reply_of(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#);
        assert_eq!(r["error"]["code"], -32600, "{r}");
        assert!(
            r["error"]["message"].as_str().unwrap().contains("id"),
            "{r}"
        );
        let r = reply_of(br#"{"jsonrpc":"2.0","id":6,"method":7}"#);
        assert_eq!(
            (r["error"]["code"].clone(), r["id"].clone()),
            (json!(-32600), json!(6))
        );
        let r = reply_of(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#);
        assert_eq!(r["error"]["code"], -32600, "{r}");
        let r = reply_of(b"42");
        assert_eq!(r["error"]["code"], -32600, "{r}");
        let r = reply_of(b"{not json");
        assert_eq!(r["error"]["code"], -32700, "{r}");
    }

    #[test]
    fn good_lines_pass_and_blank_ones_are_skipped() {
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
            Inbound::Message(_)
        ));
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":1,"method":"some/extension","params":{"a":1}}"#),
            Inbound::Message(_)
        ));
        assert!(matches!(decode(b"  \r"), Inbound::Nothing));
        // A notification that cannot be read is logged, not answered with a null id.
        assert!(matches!(
            decode(br#"{"jsonrpc":"1.0","method":"notifications/cancelled"}"#),
            Inbound::Nothing
        ));
    }

    #[test]
    fn the_id_is_read_from_a_cut_off_prefix() {
        let id =
            readable_id(br#"{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"a":"xxxxx"#);
        assert_eq!(id, Some(RequestId::Number(77)));
        assert_eq!(readable_id(br#"{"params":{"a":"xxxxx"#), None);
        assert_eq!(readable_id(br#"{"id":[1]}"#), None);
    }
}
