//! The stdio transport, with two things the SDK leaves out: a line that is not JSON gets the
//! JSON-RPC parse error (-32700) the spec asks for, instead of silence, and the session goes
//! on; and rendered results are written straight from their bytes in place of their markers
//! (see `attachments`). One thread owns stdout, so nothing interleaves with a message.

use crate::rendered::RenderedJson;
use crate::server::attachments::{Attachments, Form, Piece};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Lines longer than this are refused as a parse error rather than buffered without bound.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// Returns the (reader, writer) pair to hand to the MCP service.
pub fn transport(attachments: Arc<Attachments>) -> (DuplexStream, DuplexStream) {
    let (to_service, service_reads) = tokio::io::duplex(64 * 1024);
    let (service_writes, from_service) = tokio::io::duplex(64 * 1024);
    let (errors_tx, errors_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(forward_stdin(to_service, errors_tx));
    tokio::spawn(write_stdout(from_service, errors_rx, attachments));
    (service_reads, service_writes)
}

async fn forward_stdin(
    mut to_service: DuplexStream,
    errors: tokio::sync::mpsc::UnboundedSender<String>,
) {
    let mut lines = BufReader::new(tokio::io::stdin());
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // Only syntax is checked here (no value tree is built); the SDK parses the message.
        let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let parsed = if text.len() > MAX_LINE {
            Err("message too large".to_owned())
        } else {
            serde_json::from_slice::<serde::de::IgnoredAny>(text)
                .map(|_| first)
                .map_err(|e| e.to_string())
        };
        match parsed {
            Ok(Some(b'{')) | Ok(Some(b'[')) => {
                if to_service.write_all(text).await.is_err()
                    || to_service.write_all(b"\n").await.is_err()
                {
                    break;
                }
            }
            Ok(_) => {
                let _ = errors.send(error_line(
                    -32600,
                    "Invalid Request: expected a JSON-RPC object",
                ));
            }
            Err(why) => {
                tracing::warn!(error = %why, "malformed JSON-RPC line from the client");
                let _ = errors.send(error_line(-32700, &format!("Parse error: {why}")));
            }
        }
    }
    let _ = to_service.shutdown().await;
}

/// Copies the service's output to stdout a line at a time, splicing rendered results in
/// place of their markers, and slips parse-error replies in between messages only. One
/// dedicated thread owns stdout, so a message and its newline go out together.
async fn write_stdout(
    mut from_service: DuplexStream,
    mut errors: tokio::sync::mpsc::UnboundedReceiver<String>,
    attachments: Arc<Attachments>,
) {
    use tokio::io::AsyncReadExt;
    let (lines, writer) = std::sync::mpsc::channel::<Vec<Piece>>();
    let thread = std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            for line in writer {
                if write_line(&mut out, &line).is_err() {
                    break;
                }
            }
        });
    if thread.is_err() {
        tracing::error!("cannot start the stdout writer thread");
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    let mut errors_open = true;
    loop {
        tokio::select! {
            read = from_service.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut chunk = &buf[..n];
                    while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
                        line.extend_from_slice(&chunk[..=end]);
                        chunk = &chunk[end + 1..];
                        if lines.send(attachments.splice(std::mem::take(&mut line))).is_err() {
                            return;
                        }
                    }
                    line.extend_from_slice(chunk);
                }
            },
            err = errors.recv(), if errors_open => match err {
                Some(text) => {
                    let mut bytes = text.into_bytes();
                    bytes.push(b'\n');
                    if lines.send(vec![Piece::Bytes(bytes)]).is_err() {
                        return;
                    }
                }
                None => errors_open = false,
            },
        }
    }
    if !line.is_empty() {
        let _ = lines.send(attachments.splice(line));
    }
}

/// Writes one message (its pieces end with the newline) and flushes it.
fn write_line(out: &mut impl std::io::Write, pieces: &[Piece]) -> std::io::Result<()> {
    for piece in pieces {
        match piece {
            Piece::Bytes(bytes) => out.write_all(bytes)?,
            Piece::Attachment(json, Form::Json) => json.write_raw(out)?,
            Piece::Attachment(json, Form::Text) => json.write_string(out)?,
            Piece::Missing(form) => {
                let stand_in = RenderedJson::from_parts(vec![
                    br#"{"error":"result_unavailable","message":"The result was dropped before it could be sent; call the tool again."}"#.to_vec(),
                ]);
                match form {
                    Form::Json => stand_in.write_raw(out)?,
                    Form::Text => stand_in.write_string(out)?,
                }
            }
        }
    }
    out.flush()
}

fn error_line(code: i64, message: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}})
        .to_string()
}
