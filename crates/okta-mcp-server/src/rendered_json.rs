//! A tool result rendered once as compact JSON text, kept in parts cut at item boundaries.
//!
//! A 5,000-event answer is 8 MB of JSON. Held as a tree of values it costs several times
//! that, and MCP wants it twice (structuredContent, and the same JSON as a text block), so
//! large lists are rendered item by item into bytes as pages arrive and written out from
//! here: once as they are, once escaped as a JSON string, never copied into a bigger whole.

use rmcp::model::{MetaObject, RequestId, ResultType};
use serde_json::Value;
use std::io::{self, Write};

/// Compact JSON text of one value, as a sequence of byte parts.
#[derive(Default)]
pub struct RenderedJson {
    parts: Vec<Vec<u8>>,
    len: usize,
}

impl RenderedJson {
    /// The parts must join into one valid JSON text; each part must be valid UTF-8 on its
    /// own (cut between items, never inside a character).
    pub fn from_parts(parts: Vec<Vec<u8>>) -> Self {
        let len = parts.iter().map(Vec::len).sum();
        Self { parts, len }
    }

    /// The JSON text as it is.
    pub fn write_raw(&self, out: &mut impl Write) -> io::Result<()> {
        self.parts.iter().try_for_each(|part| out.write_all(part))
    }

    /// The JSON text as a JSON string literal (quotes included), escaped as it is written.
    pub fn write_string(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"\"")?;
        for part in &self.parts {
            write_escaped(out, part)?;
        }
        out.write_all(b"\"")
    }

    /// The compact JSON text of `value`, in one part.
    pub fn of_value(value: &Value) -> Self {
        // Serialising a `Value` cannot fail (its keys are strings and its numbers finite).
        Self::from_parts(vec![serde_json::to_vec(value).unwrap_or_default()])
    }

    /// The length of the JSON text.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The JSON text in one string, for the text block of a result the SDK serialises.
    pub fn into_text(self) -> String {
        let mut text = Vec::with_capacity(self.len);
        for part in self.parts {
            text.extend_from_slice(&part);
        }
        // Every part is valid UTF-8 (see `from_parts`), so the whole is.
        String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// A tree of the value, for the places that need one (a dry run's plan). Parsed from the
    /// parts joined: serde_json reads a reader a byte at a time, and through a chain of one
    /// reader per part that cost more than everything else a listing does.
    pub fn to_value(&self) -> serde_json::Result<Value> {
        serde_json::from_slice(&self.parts.concat())
    }

    /// The JSON text in one string and the tree read from it, for a result the SDK
    /// serialises (the HTTP transport, `call`), which wants both.
    pub fn into_text_and_value(self) -> serde_json::Result<(String, Value)> {
        let text = self.into_text();
        let value = serde_json::from_str(&text)?;
        Ok((text, value))
    }
}

impl std::fmt::Debug for RenderedJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RenderedJson({} bytes)", self.len)
    }
}

/// Escapes JSON text for a string literal: quotes, backslashes and control characters.
/// Compact JSON holds no raw control characters, so its text is searched for quotes and
/// backslashes only (memchr, many bytes at a time), with runs between them going out as they
/// are: a byte-by-byte walk was a twentieth of a get_user over HTTP.
fn write_escaped(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    // A fold rather than `any`: without an early exit it runs many bytes at a time.
    if bytes.iter().fold(false, |control, &b| control | (b < 0x20)) {
        return write_escaped_bytewise(out, bytes);
    }
    let mut start = 0;
    for i in memchr::memchr2_iter(b'"', b'\\', bytes) {
        out.write_all(&bytes[start..i])?;
        out.write_all(if bytes[i] == b'"' { b"\\\"" } else { b"\\\\" })?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// [`write_escaped`] for text holding control characters.
fn write_escaped_bytewise(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.write_all(&bytes[start..i])?;
                write!(out, "\\u{b:04x}")?;
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(escape)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// The response to a tools/call whose result was rendered: written as the SDK would write
/// `CallToolResult::structured` of the same JSON (a test below compares the two byte for
/// byte), with the result type and `_meta` the handler gave the stand-in.
pub struct RenderedResponse {
    pub id: RequestId,
    pub result_type: Option<ResultType>,
    pub meta: Option<MetaObject>,
    pub json: RenderedJson,
}

impl RenderedResponse {
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(br#"{"jsonrpc":"2.0","id":"#)?;
        serde_json::to_writer(&mut *out, &self.id)?;
        out.write_all(br#","result":{"#)?;
        if let Some(result_type) = &self.result_type {
            out.write_all(br#""resultType":"#)?;
            serde_json::to_writer(&mut *out, result_type)?;
            out.write_all(b",")?;
        }
        out.write_all(br#""content":[{"type":"text","text":"#)?;
        self.json.write_string(out)?;
        out.write_all(br#"}],"structuredContent":"#)?;
        self.json.write_raw(out)?;
        out.write_all(br#","isError":false"#)?;
        if let Some(meta) = &self.meta {
            out.write_all(br#","_meta":"#)?;
            serde_json::to_writer(&mut *out, meta)?;
        }
        out.write_all(b"}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::RoleServer;
    use rmcp::model::{CallToolResult, JsonRpcMessage, ServerResult};
    use rmcp::service::TxJsonRpcMessage;
    use serde_json::json;

    fn rendered(value: &Value, cut_at: &[usize]) -> RenderedJson {
        let text = value.to_string().into_bytes();
        let mut parts = Vec::new();
        let mut from = 0;
        for &at in cut_at {
            parts.push(text[from..at].to_vec());
            from = at;
        }
        parts.push(text[from..].to_vec());
        RenderedJson::from_parts(parts)
    }

    #[test]
    fn text_is_escaped_as_serde_json_escapes_a_string() {
        for text in [
            "",
            r#"{"a":"b"}"#,
            r#"{"q":"say \"hi\"","p":"C:\\x\\","e":"\u0007"}"#,
            "\"\"\\\\",
            "plain text without anything to escape, long enough for more than one block of bytes",
            "tab\there, a newline\n, a return\r and a bell \u{7} (raw: not compact JSON)",
            "é and 日本 \"quoted\"",
        ] {
            let mut ours = Vec::new();
            RenderedJson::from_parts(vec![text.as_bytes().to_vec()])
                .write_string(&mut ours)
                .unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(text).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn raw_and_string_forms_match_serde_json() {
        let value = json!({
            "items": [{"q": "say \"hi\"", "path": "C:\\dir", "nl": "a\nb\tc\r", "bell": "\u{7}", "é": "ü"}],
            "has_more": false
        });
        let r = rendered(&value, &[10, 11, 40]);
        assert_eq!(
            format!("{r:?}"),
            format!("RenderedJson({} bytes)", value.to_string().len())
        );
        let mut raw = Vec::new();
        r.write_raw(&mut raw).unwrap();
        assert_eq!(raw, value.to_string().into_bytes());
        let mut string = Vec::new();
        r.write_string(&mut string).unwrap();
        let back: String = serde_json::from_slice(&string).unwrap();
        assert_eq!(back, value.to_string());
        assert_eq!(
            String::from_utf8(string).unwrap(),
            serde_json::to_string(&value.to_string()).unwrap()
        );
        assert_eq!(r.to_value().unwrap(), value);
        let (text, back) = r.into_text_and_value().unwrap();
        assert_eq!(text, value.to_string());
        assert_eq!(back, value);
    }

    #[test]
    fn empty_parts_are_harmless() {
        let r = RenderedJson::from_parts(vec![b"{\"a\":".to_vec(), Vec::new(), b"1}".to_vec()]);
        assert_eq!(r.to_value().unwrap(), json!({"a": 1}));
        assert_eq!(format!("{r:?}"), "RenderedJson(7 bytes)");
        let (text, value) = r.into_text_and_value().unwrap();
        assert_eq!(text, r#"{"a":1}"#);
        assert_eq!(value, json!({"a": 1}));
    }

    /// Guards the hand-written response against the SDK's own serialisation: an rmcp upgrade
    /// that changes how a structured result is written fails here.
    #[test]
    fn the_rendered_response_is_byte_for_byte_what_the_sdk_writes() {
        let value = json!({"items": [{"q": "say \"hi\"\n", "p": "C:\\x", "u": "é\u{7}"}], "has_more": false});
        for (id, result_type, meta) in [
            (RequestId::Number(7), Some(ResultType::COMPLETE), None),
            (RequestId::String("a\"b".into()), None, None),
            (
                RequestId::Number(-1),
                Some(ResultType::COMPLETE),
                Some(MetaObject(json!({"k": 1}).as_object().unwrap().clone())),
            ),
        ] {
            let mut sdk = CallToolResult::structured(value.clone());
            sdk.result_type = result_type.clone();
            sdk.meta = meta.clone();
            let message: TxJsonRpcMessage<RoleServer> =
                JsonRpcMessage::response(ServerResult::CallToolResult(sdk), id.clone());
            let expected = serde_json::to_vec(&message).unwrap();
            let ours = RenderedResponse {
                id,
                result_type,
                meta,
                json: RenderedJson::of_value(&value),
            };
            let mut written = Vec::new();
            ours.write_to(&mut written).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
