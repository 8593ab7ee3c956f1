//! The stdio transport, with what the SDK's leaves out: every line the client sends is read
//! with a bound (a line past `MAX_LINE` is answered "message too large" and skipped without
//! being held), every line that cannot be a message is answered with the error that says why
//! (see `inbound`), and the response to a call whose result was rendered is written straight
//! from its bytes (see `rendered_replies`). One thread owns stdout, so nothing interleaves
//! with a message.

mod inbound;
pub mod rendered_replies;

use crate::rendered_json::RenderedResponse;
use inbound::Inbound;
use rendered_replies::RenderedReplies;
use rmcp::RoleServer;
use rmcp::model::{
    ClientNotification, ClientRequest, JsonRpcMessage, JsonRpcResponse, ServerResult,
};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use std::sync::Arc;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

/// Lines longer than this are refused with -32700 "message too large", never buffered past it.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// After a line this large, the line buffer is given back rather than kept at its peak size.
const KEEP_BUFFER: usize = 1024 * 1024;

/// Messages decoded ahead of the SDK: reading stops while this many wait.
const INBOUND_QUEUE: usize = 16;

/// The MCP transport over this process's stdin and stdout.
pub struct StdioTransport {
    inbound: tokio::sync::mpsc::Receiver<RxJsonRpcMessage<RoleServer>>,
    outbound: Outbound,
}

/// One message for the stdout writer.
enum Line {
    /// A serialised message, without its newline.
    Bytes(Vec<u8>),
    /// A tools/call response written from its rendered result.
    Rendered(RenderedResponse),
}

/// The way to stdout: whole lines, in the order they are handed over.
#[derive(Clone)]
struct Outbound {
    lines: std::sync::mpsc::Sender<Line>,
    replies: Arc<RenderedReplies>,
}

impl Outbound {
    fn write(&self, line: Line) -> bool {
        self.lines.send(line).is_ok()
    }

    /// The line for a message from the SDK: a response whose result the handler rendered is
    /// written from the rendered bytes; any other message is serialised as it is.
    fn line_for(&self, item: TxJsonRpcMessage<RoleServer>) -> serde_json::Result<Line> {
        let answered = match &item {
            JsonRpcMessage::Response(response) => Some(&response.id),
            JsonRpcMessage::Error(error) => error.id.as_ref(),
            _ => None,
        };
        if let Some(json) = answered.and_then(|id| self.replies.take(id)) {
            if let JsonRpcMessage::Response(JsonRpcResponse {
                id,
                result: ServerResult::CallToolResult(stand_in),
                ..
            }) = item
            {
                return Ok(Line::Rendered(RenderedResponse {
                    id,
                    result_type: stand_in.result_type,
                    meta: stand_in.meta,
                    json,
                }));
            }
            tracing::debug!("a rendered result was answered otherwise; it is dropped");
        }
        serde_json::to_vec(&item).map(Line::Bytes)
    }

    /// Notes what the SDK will have to answer (tools/call) and what it will not (cancelled).
    fn note_inbound(&self, message: &RxJsonRpcMessage<RoleServer>) {
        match message {
            JsonRpcMessage::Request(request)
                if matches!(request.request, ClientRequest::CallToolRequest(_)) =>
            {
                self.replies.started(request.id.clone());
            }
            JsonRpcMessage::Notification(notification) => {
                if let ClientNotification::CancelledNotification(cancelled) =
                    &notification.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.replies.cancelled(id);
                }
            }
            _ => {}
        }
    }
}

/// Resolves once the stdout writer has written everything it was handed (every sender is
/// gone): the process must not exit while a long answer is half written.
pub struct StdoutDone(tokio::sync::oneshot::Receiver<()>);

impl StdoutDone {
    /// Waits for the writer, at most `limit` (it cannot finish while stdin is still open).
    pub async fn wait(self, limit: std::time::Duration) {
        if tokio::time::timeout(limit, self.0).await.is_err() {
            tracing::debug!("stdout writer still busy at exit");
        }
    }
}

/// Starts the stdin reader and the stdout writer, and returns the transport for the service.
pub fn transport(replies: Arc<RenderedReplies>) -> std::io::Result<(StdioTransport, StdoutDone)> {
    let (lines, writer) = std::sync::mpsc::channel::<Line>();
    let (done, written) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            for line in writer {
                if write_line(&mut out, &line).is_err() {
                    break;
                }
            }
            let _ = done.send(());
        })?;
    let outbound = Outbound { lines, replies };
    let (to_service, inbound) = tokio::sync::mpsc::channel(INBOUND_QUEUE);
    tokio::spawn(read_stdin(
        BufReader::with_capacity(64 * 1024, tokio::io::stdin()),
        to_service,
        outbound.clone(),
    ));
    Ok((StdioTransport { inbound, outbound }, StdoutDone(written)))
}

impl rmcp::transport::Transport<RoleServer> for StdioTransport {
    type Error = std::io::Error;

    /// Serialises now, so messages go out in the order the service hands them over.
    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let sent = match self.outbound.line_for(item) {
            Ok(line) => {
                if self.outbound.write(line) {
                    Ok(())
                } else {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::BrokenPipe,
                        "stdout is closed",
                    ))
                }
            }
            Err(e) => Err(std::io::Error::other(e)),
        };
        std::future::ready(sent)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        self.inbound.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inbound.close();
        Ok(())
    }
}

/// Reads the client's lines, hands messages to the service and answers the rest.
async fn read_stdin(
    mut input: impl AsyncBufRead + Unpin,
    to_service: tokio::sync::mpsc::Sender<RxJsonRpcMessage<RoleServer>>,
    outbound: Outbound,
) {
    let mut line = Vec::new();
    loop {
        let read = match read_bounded_line(&mut input, &mut line, MAX_LINE).await {
            Ok(read) => read,
            Err(e) => {
                tracing::error!(error = %e, "reading stdin failed; ending the session");
                break;
            }
        };
        let inbound = match read {
            LineRead::Eof => break,
            LineRead::Line => inbound::decode(&line),
            LineRead::TooLarge => {
                let id = inbound::readable_id(&line);
                tracing::warn!(
                    limit = MAX_LINE,
                    id = ?id,
                    "a message larger than the limit was refused"
                );
                too_large(id)
            }
        };
        line.clear();
        if line.capacity() > KEEP_BUFFER {
            line = Vec::new();
        }
        match inbound {
            Inbound::Message(message) => {
                outbound.note_inbound(&message);
                if to_service.send(*message).await.is_err() {
                    break;
                }
            }
            Inbound::Reply(text) => {
                if !outbound.write(Line::Bytes(text.into_bytes())) {
                    break;
                }
            }
            Inbound::Nothing => {}
        }
    }
}

fn too_large(id: Option<rmcp::model::RequestId>) -> Inbound {
    let error: TxJsonRpcMessage<RoleServer> = rmcp::model::JsonRpcMessage::error(
        rmcp::model::ErrorData::new(
            rmcp::model::ErrorCode::PARSE_ERROR,
            format!(
                "Parse error: message too large (the limit is {} MiB per line); send less per call, e.g. a file path instead of file content",
                MAX_LINE / (1024 * 1024)
            ),
            None,
        ),
        id,
    );
    serde_json::to_string(&error).map_or(Inbound::Nothing, Inbound::Reply)
}

#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    /// `line` holds a whole line, without its newline (the last line may lack one).
    Line,
    /// The line was longer than the limit: `line` holds its first `max` bytes, and the rest
    /// up to its newline has been read and dropped.
    TooLarge,
    Eof,
}

/// Reads one line into `line` (empty on entry) without ever holding more than `max` bytes
/// of it: past that, the rest of the line is read and dropped a buffer at a time.
async fn read_bounded_line(
    input: &mut (impl AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    let mut too_large = false;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            return Ok(match (too_large, line.is_empty()) {
                (true, _) => LineRead::TooLarge,
                (false, true) => LineRead::Eof,
                (false, false) => LineRead::Line,
            });
        }
        let newline = memchr::memchr(b'\n', available);
        let content = &available[..newline.unwrap_or(available.len())];
        if !too_large {
            let room = max - line.len();
            if content.len() > room {
                line.extend_from_slice(&content[..room]);
                too_large = true;
            } else {
                line.extend_from_slice(content);
            }
        }
        let consumed = newline.map_or(available.len(), |at| at + 1);
        input.consume(consumed);
        if newline.is_some() {
            return Ok(if too_large {
                LineRead::TooLarge
            } else {
                LineRead::Line
            });
        }
    }
}

/// Writes one message and its newline, and flushes it.
fn write_line(out: &mut impl std::io::Write, line: &Line) -> std::io::Result<()> {
    match line {
        Line::Bytes(bytes) => out.write_all(bytes)?,
        Line::Rendered(response) => response.write_to(out)?,
    }
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_line_past_the_limit_is_cut_at_the_limit_and_the_next_line_is_whole() {
        let mut input: &[u8] = b"0123456789abcdef\nok\nlast";
        let mut line = Vec::new();
        let read = read_bounded_line(&mut input, &mut line, 8).await.unwrap();
        assert_eq!(
            (read, line.as_slice()),
            (LineRead::TooLarge, &b"01234567"[..])
        );
        line.clear();
        let read = read_bounded_line(&mut input, &mut line, 8).await.unwrap();
        assert_eq!((read, line.as_slice()), (LineRead::Line, &b"ok"[..]));
        line.clear();
        let read = read_bounded_line(&mut input, &mut line, 8).await.unwrap();
        assert_eq!((read, line.as_slice()), (LineRead::Line, &b"last"[..]));
        line.clear();
        let read = read_bounded_line(&mut input, &mut line, 8).await.unwrap();
        assert_eq!(read, LineRead::Eof);
    }

    #[tokio::test]
    async fn the_buffer_never_grows_past_the_limit_across_small_reads() {
        // A reader that hands out 3 bytes at a time, as a pipe might.
        let data = vec![b'x'; 10_000];
        let mut input = BufReader::with_capacity(3, &data[..]);
        let mut line = Vec::new();
        let read = read_bounded_line(&mut input, &mut line, 100).await.unwrap();
        assert_eq!(read, LineRead::TooLarge);
        assert_eq!(line.len(), 100);
        assert!(line.capacity() < 1024, "{}", line.capacity());
    }
}
