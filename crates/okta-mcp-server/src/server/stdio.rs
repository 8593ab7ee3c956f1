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
        let parsed = if text.len() > MAX_LINE {
            Err("message too large".to_owned())
        } else {
            serde_json::from_slice::<serde_json::Value>(text).map_err(|e| e.to_string())
        };
        match parsed {
            Ok(serde_json::Value::Object(_)) | Ok(serde_json::Value::Array(_)) => {
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

async fn write_stdout(
    from_service: DuplexStream,
    mut errors: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let mut stdout = tokio::io::stdout();
    let mut service_lines = BufReader::new(from_service).lines();
    let mut errors_open = true;
    loop {
        let line = tokio::select! {
            line = service_lines.next_line() => match line {
                Ok(Some(l)) => l,
                _ => break,
            },
            err = errors.recv(), if errors_open => match err {
                Some(l) => l,
                None => { errors_open = false; continue; }
            },
        };
        if stdout.write_all(line.as_bytes()).await.is_err()
            || stdout.write_all(b"\n").await.is_err()
        {
            break;
        }
        let _ = stdout.flush().await;
    }
}

fn error_line(code: i64, message: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}})
        .to_string()
}
