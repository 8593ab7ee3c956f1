//! Rendered results that travel beside the JSON-RPC message instead of inside it.
//!
//! The SDK's CallToolResult wants a tree of values and a text copy of it; for a list already
//! rendered to bytes that would mean building both (tens of MB for 5,000 events). Instead,
//! the result carries two short markers, and the stdio writer, which sees every outgoing
//! message, swaps each marker for the rendered bytes as it writes: the structured marker (an
//! object `{"<marker>":null}`, since the SDK keeps only objects as structuredContent) for the
//! JSON itself, the text marker (a string) for the same JSON as an escaped string. Markers
//! carry a random per-process nonce, so no value from the org can pass for one.

use crate::rendered::RenderedJson;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Results waiting for their message: a response the SDK drops (a cancelled request) would
/// otherwise leave its result here; past this many, the oldest goes.
const MAX_WAITING: usize = 8;

/// How a marker is to be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The JSON text as it is (the marker was a JSON string standing for a value).
    Json,
    /// The JSON text as a JSON string literal.
    Text,
}

/// A piece of an outgoing line: bytes to copy, or an attachment to write in a form.
pub enum Piece {
    Bytes(Vec<u8>),
    Attachment(Arc<RenderedJson>, Form),
    /// A marker whose result is gone (evicted); written as this JSON value instead.
    Missing(Form),
}

pub struct Attachments {
    /// `omc-attachment-<nonce>-`: the start every marker shares.
    prefix: String,
    /// Finds the prefix with its opening quote in an outgoing line (built once: every
    /// message goes through it).
    finder: memchr::memmem::Finder<'static>,
    next_id: AtomicU64,
    /// id → (result, markers not yet written).
    waiting: Mutex<BTreeMap<u64, (Arc<RenderedJson>, u8)>>,
}

impl Attachments {
    pub fn new() -> Arc<Self> {
        let nonce: u128 = rand::random();
        let prefix = format!("omc-attachment-{nonce:032x}-");
        let finder = memchr::memmem::Finder::new(format!("\"{prefix}").as_bytes()).into_owned();
        Arc::new(Attachments {
            prefix,
            finder,
            next_id: AtomicU64::new(1),
            waiting: Mutex::new(BTreeMap::new()),
        })
    }

    /// Parks `json` and returns the markers (text, structured) to put in the result.
    pub fn attach(&self, json: RenderedJson) -> (String, serde_json::Value) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        while waiting.len() >= MAX_WAITING {
            if let Some((old, _)) = waiting.pop_first() {
                tracing::debug!(
                    id = old,
                    "dropped a rendered result whose response never went out"
                );
            }
        }
        waiting.insert(id, (Arc::new(json), 2));
        let mut structured = serde_json::Map::new();
        structured.insert(format!("{}{id}-j", self.prefix), serde_json::Value::Null);
        (
            format!("{}{id}-t", self.prefix),
            serde_json::Value::Object(structured),
        )
    }

    /// Splits one outgoing line at its markers. Lines without any come back whole.
    pub fn splice(&self, line: Vec<u8>) -> Vec<Piece> {
        let finder = &self.finder;
        let quoted_len = finder.needle().len();
        if finder.find(&line).is_none() {
            return vec![Piece::Bytes(line)];
        }
        let mut pieces = Vec::new();
        let mut from = 0;
        while let Some(at) = finder.find(&line[from..]).map(|i| from + i) {
            let end = at + quoted_len;
            let span = parse_marker(&line[end..]).and_then(|marker| match marker.form {
                Form::Text => Some((at, end + marker.len, marker)),
                // `{"<marker>":null}` stands for the whole value.
                Form::Json => (at > 0
                    && line[at - 1] == b'{'
                    && line[end + marker.len..].starts_with(b":null}"))
                .then_some((at - 1, end + marker.len + 6, marker)),
            });
            let Some((start, stop, marker)) = span else {
                // Not one of ours after all: copy through the quote and go on.
                pieces.push(Piece::Bytes(line[from..=at].to_vec()));
                from = at + 1;
                continue;
            };
            pieces.push(Piece::Bytes(line[from..start].to_vec()));
            pieces.push(self.take(marker.id, marker.form));
            from = stop;
        }
        pieces.push(Piece::Bytes(line[from..].to_vec()));
        pieces
    }

    fn take(&self, id: u64, form: Form) -> Piece {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let Some((json, uses)) = waiting.get_mut(&id) else {
            tracing::warn!(
                id,
                "a rendered result was no longer held when its response went out"
            );
            return Piece::Missing(form);
        };
        let json = json.clone();
        *uses -= 1;
        if *uses == 0 {
            waiting.remove(&id);
        }
        Piece::Attachment(json, form)
    }
}

struct Marker {
    id: u64,
    form: Form,
    /// Bytes after the prefix, closing quote included.
    len: usize,
}

/// Reads `<id>-t"` or `<id>-j"` after a marker prefix.
fn parse_marker(rest: &[u8]) -> Option<Marker> {
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let id = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let form = match rest.get(digits..digits + 3)? {
        b"-t\"" => Form::Text,
        b"-j\"" => Form::Json,
        _ => return None,
    };
    Some(Marker {
        id,
        form,
        len: digits + 3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(pieces: &[Piece]) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Bytes(b) => out.extend_from_slice(b),
                Piece::Attachment(json, Form::Json) => json.write_raw(&mut out).unwrap(),
                Piece::Attachment(json, Form::Text) => json.write_string(&mut out).unwrap(),
                Piece::Missing(_) => out.extend_from_slice(b"<missing>"),
            }
        }
        out
    }

    #[test]
    fn markers_are_replaced_by_the_json_and_its_text_then_released() {
        let att = Attachments::new();
        let json = RenderedJson::from_parts(vec![br#"{"items":[{"q":"a\"b"}]}"#.to_vec()]);
        let (text, structured) = att.attach(json);
        let line = serde_json::json!({
            "result": {"content": [{"type": "text", "text": text}], "structuredContent": structured}
        })
        .to_string()
        .into_bytes();
        let out = bytes_of(&att.splice(line));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let expected = serde_json::json!({"items": [{"q": "a\"b"}]});
        assert_eq!(v["result"]["structuredContent"], expected);
        assert_eq!(
            v["result"]["content"][0]["text"].as_str().unwrap(),
            expected.to_string()
        );
        assert!(
            att.waiting.lock().unwrap().is_empty(),
            "released after both uses"
        );
    }

    #[test]
    fn lookalikes_pass_through_and_old_results_are_evicted() {
        let att = Attachments::new();
        let plain = br#"{"text":"omc-attachment-0000-1-t","x":"\"omc"}"#.to_vec();
        assert_eq!(bytes_of(&att.splice(plain.clone())), plain);
        let fake = format!(
            r#"{{"a":"{p}12-x","b":"{p}","c":"{p}3-j","d":{{"{p}4-j":1}}}}"#,
            p = att.prefix
        )
        .into_bytes();
        assert_eq!(bytes_of(&att.splice(fake.clone())), fake);
        let first = att.attach(RenderedJson::from_parts(vec![b"{}".to_vec()]));
        for _ in 0..MAX_WAITING {
            att.attach(RenderedJson::from_parts(vec![b"{}".to_vec()]));
        }
        let gone = format!("[{}]", first.1).into_bytes();
        assert_eq!(bytes_of(&att.splice(gone)), b"[<missing>]");
    }
}
