//! A small synchronous JSON-RPC 2.0 client over newline-delimited JSON, as MCP's stdio
//! transport frames it: one message per line, no embedded newlines.
//!
//! Each received line is time-stamped as soon as it is read, before any parsing, so the
//! harness's own JSON work never counts against the server.

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::time::Instant;

/// One line of JSON-RPC: a request (with id) or a notification (without).
pub fn encode(id: Option<u64>, method: &str, params: &Value) -> String {
    let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
    if let Some(id) = id {
        message["id"] = json!(id);
    }
    // serde_json escapes control characters inside strings, so the line has no raw newline.
    let mut line = message.to_string();
    line.push('\n');
    line
}

/// The few fields the harness reads to route a message, parsed without building a tree.
#[derive(Debug, Default, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub error: Option<RpcError>,
    #[serde(default)]
    pub result: Option<ResultHead>,
}

#[derive(Debug, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

/// Just enough of a result to tell a failed tool call (`isError: true`) from a good one.
#[derive(Debug, Default, Deserialize)]
pub struct ResultHead {
    #[serde(default, rename = "isError")]
    pub is_error: Option<bool>,
}

/// A response as it arrived: when, the raw line, and its routing fields.
#[derive(Debug)]
pub struct Received {
    pub at: Instant,
    pub line: String,
    pub envelope: Envelope,
}

impl Received {
    pub fn id(&self) -> Option<u64> {
        self.envelope.id.as_ref().and_then(Value::as_u64)
    }

    /// The JSON-RPC error, or a tool result flagged `isError`, as an error; the result otherwise.
    pub fn ok(self) -> anyhow::Result<Received> {
        if let Some(e) = &self.envelope.error {
            bail!("JSON-RPC error {}: {}", e.code, e.message);
        }
        if self.envelope.result.as_ref().and_then(|r| r.is_error) == Some(true) {
            bail!("tool returned isError: {}", clip(&self.line, 600));
        }
        Ok(self)
    }

    /// The full `result` value (parsed on demand; large for get_logs).
    pub fn result(&self) -> anyhow::Result<Value> {
        let mut v: Value = serde_json::from_str(&self.line).context("response is not JSON")?;
        Ok(v["result"].take())
    }
}

pub struct RpcClient<W: Write, R: BufRead> {
    writer: W,
    reader: R,
    next_id: u64,
    /// Notifications and server requests seen so far (the harness only counts them).
    pub notifications: u64,
}

impl<W: Write, R: BufRead> RpcClient<W, R> {
    pub fn new(writer: W, reader: R) -> Self {
        Self {
            writer,
            reader,
            next_id: 1,
            notifications: 0,
        }
    }

    /// Writes a request and returns its id without waiting for the answer (for pipelining).
    pub fn send(&mut self, method: &str, params: &Value) -> anyhow::Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.write_line(&encode(Some(id), method, params))?;
        Ok(id)
    }

    pub fn notify(&mut self, method: &str, params: &Value) -> anyhow::Result<()> {
        self.write_line(&encode(None, method, params))
    }

    /// Sends a request and waits for its response (answering anything the server asks meanwhile).
    pub fn call(&mut self, method: &str, params: &Value) -> anyhow::Result<Received> {
        let id = self.send(method, params)?;
        let received = self.recv()?;
        if received.id() != Some(id) {
            bail!(
                "response to an unexpected id {:?} while waiting for {id}",
                received.envelope.id
            );
        }
        received.ok()
    }

    /// Reads until the next response; notifications are counted and skipped, server requests
    /// answered (ping with an empty result, anything else with method-not-found).
    pub fn recv(&mut self) -> anyhow::Result<Received> {
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .context("reading the server's stdout")?;
            let at = Instant::now();
            if n == 0 {
                bail!("the server closed its stdout");
            }
            if line.trim().is_empty() {
                continue;
            }
            let envelope: Envelope = serde_json::from_str(&line)
                .with_context(|| format!("not a JSON-RPC message: {}", clip(&line, 300)))?;
            match (&envelope.method, &envelope.id) {
                (None, Some(_)) => {
                    return Ok(Received { at, line, envelope });
                }
                (Some(method), Some(id)) => {
                    self.notifications += 1;
                    let reply = if method == "ping" {
                        json!({"jsonrpc": "2.0", "id": id, "result": {}})
                    } else {
                        json!({"jsonrpc": "2.0", "id": id,
                               "error": {"code": -32601, "message": "the benchmark client does not support this"}})
                    };
                    self.write_line(&format!("{reply}\n"))?;
                }
                _ => self.notifications += 1,
            }
        }
    }

    fn write_line(&mut self, line: &str) -> anyhow::Result<()> {
        self.writer
            .write_all(line.as_bytes())
            .and_then(|()| self.writer.flush())
            .context("writing to the server's stdin")
    }
}

/// The first `max` bytes of a message, for error texts (cut on a character boundary).
pub fn clip(text: &str, max: usize) -> &str {
    let text = text.trim_end();
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn lines(text: &[&str]) -> Cursor<Vec<u8>> {
        Cursor::new(text.join("\n").into_bytes())
    }

    #[test]
    fn a_request_is_exactly_one_line_of_json_rpc() {
        let line = encode(Some(7), "tools/call", &json!({"arguments": {"q": "a\nb"}}));
        assert!(line.ends_with('\n'));
        assert_eq!(
            line.matches('\n').count(),
            1,
            "embedded newline must be escaped"
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], 7);
        assert_eq!(v["method"], "tools/call");
        assert_eq!(v["params"]["arguments"]["q"], "a\nb");
        let note: Value =
            serde_json::from_str(&encode(None, "notifications/initialized", &json!({}))).unwrap();
        assert!(note.get("id").is_none());
    }

    #[test]
    fn call_skips_notifications_answers_pings_and_returns_its_response() {
        let input = lines(&[
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#,
            "",
            r#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#,
        ]);
        let mut client = RpcClient::new(Vec::new(), input);
        let got = client.call("tools/list", &json!({})).unwrap();
        assert_eq!(got.id(), Some(1));
        assert_eq!(got.result().unwrap(), json!({"tools": []}));
        assert_eq!(client.notifications, 2);
        let written = String::from_utf8(client.writer.clone()).unwrap();
        let sent: Vec<Value> = written
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0]["method"], "tools/list");
        assert_eq!(sent[1], json!({"jsonrpc": "2.0", "id": "s1", "result": {}}));
    }

    #[test]
    fn errors_and_failed_tool_results_are_errors() {
        let rpc_error =
            lines(&[r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}"#]);
        let err = RpcClient::new(Vec::new(), rpc_error)
            .call("x", &json!({}))
            .unwrap_err();
        assert!(err.to_string().contains("-32602"), "{err}");
        let tool_error =
            lines(&[r#"{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[]}}"#]);
        assert!(
            RpcClient::new(Vec::new(), tool_error)
                .call("tools/call", &json!({}))
                .is_err()
        );
        let eof = lines(&[]);
        let err = RpcClient::new(Vec::new(), eof)
            .call("x", &json!({}))
            .unwrap_err();
        assert!(err.to_string().contains("closed"), "{err}");
        let garbage = lines(&["Listening on stdout"]);
        assert!(
            RpcClient::new(Vec::new(), garbage)
                .call("x", &json!({}))
                .is_err()
        );
    }

    #[test]
    fn pipelined_responses_come_back_by_id() {
        let input = lines(&[
            r#"{"jsonrpc":"2.0","id":2,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{"isError":false}}"#,
        ]);
        let mut client = RpcClient::new(Vec::new(), input);
        assert_eq!(client.send("a", &json!({})).unwrap(), 1);
        assert_eq!(client.send("b", &json!({})).unwrap(), 2);
        assert_eq!(client.recv().unwrap().id(), Some(2));
        assert_eq!(client.recv().unwrap().ok().unwrap().id(), Some(1));
    }

    #[test]
    fn clip_cuts_on_a_character_boundary() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("abc\n", 10), "abc");
    }
}
