//! The stdio transport, with one thing the SDK leaves out: a line that is not JSON gets the
//! JSON-RPC parse error (-32700) the spec asks for, instead of silence, and the session goes
//! on. One task owns stdout, so those replies never interleave with the SDK's messages.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Lines longer than this are refused as a parse error rather than buffered without bound.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// Returns the (reader, writer) pair to hand to the MCP service.
pub fn transport() -> (DuplexStream, DuplexStream) {
    let (to_service, service_reads) = tokio::io::duplex(64 * 1024);
    let (service_writes, from_service) = tokio::io::duplex(64 * 1024);
    let (errors_tx, errors_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(forward_stdin(to_service, errors_tx));
    tokio::spawn(write_stdout(from_service, errors_rx));
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

/// Copies the service's output to stdout as it comes, without holding whole messages (a
/// large tool result is megabytes), and slips parse-error replies in between messages only.
/// One dedicated thread owns stdout, so a message and its newline go out together.
async fn write_stdout(
    mut from_service: DuplexStream,
    mut errors: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    use tokio::io::AsyncReadExt;
    let (chunks, writer) = std::sync::mpsc::channel::<Vec<u8>>();
    let thread = std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for chunk in writer {
                if out.write_all(&chunk).is_err() {
                    break;
                }
                if chunk.ends_with(b"\n") && out.flush().is_err() {
                    break;
                }
            }
            let _ = out.flush();
        });
    if thread.is_err() {
        tracing::error!("cannot start the stdout writer thread");
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut at_boundary = true;
    let mut pending: Vec<String> = Vec::new();
    let mut errors_open = true;
    loop {
        if at_boundary {
            for line in pending.drain(..) {
                let mut bytes = line.into_bytes();
                bytes.push(b'\n');
                if chunks.send(bytes).is_err() {
                    return;
                }
            }
        }
        tokio::select! {
            read = from_service.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    at_boundary = buf[n - 1] == b'\n';
                    if chunks.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            },
            err = errors.recv(), if errors_open => match err {
                Some(line) => pending.push(line),
                None => errors_open = false,
            },
        }
    }
}

fn error_line(code: i64, message: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}})
        .to_string()
}
