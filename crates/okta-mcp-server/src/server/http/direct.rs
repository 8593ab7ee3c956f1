//! A read-only tool call in a 2025-era session, answered on the task that read the request.
//!
//! rmcp passes every request of a session through four tasks and as many channels: the
//! HTTP connection hands it to the session's worker, the worker to the session's service
//! loop, the loop spawns a task for the handler, the answer goes back to the loop, which
//! spawns a task to send it to the worker, which puts it on the request's event stream. On
//! two cores that relay cost a get_user more than a tenth of the replica's CPU, most of it
//! in the kernel, waking threads. A call that reads Okta needs none of it: it never asks the
//! client anything (only tools that change something ask for confirmation) and, without a
//! progress token, sends nothing before its answer. So such a call runs here, through the
//! same handler rmcp would call (`Service::handle_request`, with the session's own peer,
//! the request's metadata and extensions), and its answer is the request's stream.
//!
//! Answered within the quick-answer wait, the call's answer skips rmcp's event stream too:
//! the handler leaves the result's JSON text ([`HeldAnswer`]), the answer is written from it
//! as bytes and left for the JSON-body layer ([`AnswerSlot`]). A get_user's JSON then goes
//! out as the text block and the structured content from one serialisation, not from a text
//! serialised and a tree walked again by rmcp.
//!
//! Everything else takes rmcp's way: requests of other kinds, tools that write, calls with a
//! progress token, sessions whose peer is not known here (yet). What rmcp does for a request
//! it runs that this keeps: the client may cancel the call (`notifications/cancelled`), the
//! call stops when its session ends, and a cancelled call answers nothing.

use super::quick_answers::AnswerSlot;
use crate::rendered_json::{RenderedJson, RenderedResponse};
use crate::server::{OktaMcp, ToolAnswer};
use futures::{Stream, StreamExt};
use rmcp::RoleServer;
use rmcp::model::{
    ClientJsonRpcMessage, ClientNotification, ClientRequest, ErrorData, GetExtensions, GetMeta,
    JsonRpcNotification, JsonRpcRequest, RequestId, ServerJsonRpcMessage, ServerResult,
};
use rmcp::service::{Peer, RequestContext, Service};
use rmcp::transport::streamable_http_server::session::ServerSseMessage;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use sync_wrapper::SyncStream;
use tokio_util::sync::CancellationToken;

/// The sessions whose calls can be answered directly, and the calls running so.
#[derive(Default)]
pub struct DirectCalls {
    sessions: Mutex<HashMap<String, Session>>,
    running: Mutex<HashMap<(String, RequestId), CancellationToken>>,
}

/// What a direct call needs of its session: the peer rmcp gave the session's handler, and
/// the handler.
struct Session {
    peer: Peer<RoleServer>,
    server: OktaMcp,
    /// Cancelled when the session ends, as rmcp cancels the requests of its service loop.
    ended: CancellationToken,
}

/// Put in a session's `initialize` request, so the handler, which alone is given the
/// session's peer, can make the session's calls answerable here ([`Seat::take`]).
#[derive(Clone)]
pub struct Seat {
    session: String,
    calls: Arc<DirectCalls>,
}

impl Seat {
    pub fn take(&self, peer: Peer<RoleServer>, server: OktaMcp) {
        let session = Session {
            peer,
            server,
            ended: CancellationToken::new(),
        };
        // A session restored after it left memory takes its seat again, with its new peer.
        if let Some(old) = lock(&self.calls.sessions).insert(self.session.clone(), session) {
            old.ended.cancel();
        }
    }
}

/// Removes a running call's entry when it ends, however it ends (the HTTP connection
/// closing drops the call).
struct Running {
    calls: Arc<DirectCalls>,
    key: (String, RequestId),
}

impl Drop for Running {
    fn drop(&mut self) {
        lock(&self.calls.running).remove(&self.key);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl DirectCalls {
    /// The seat to put in session `session`'s `initialize` request.
    pub fn seat(self: &Arc<Self>, session: &str) -> Seat {
        Seat {
            session: session.to_owned(),
            calls: self.clone(),
        }
    }

    /// The session has ended (or left memory): its calls stop, and its peer is let go.
    pub fn forget(&self, session: &str) {
        if let Some(old) = lock(&self.sessions).remove(session) {
            old.ended.cancel();
        }
    }

    /// When `message` is a read-only tool call this session's handler can answer directly:
    /// `Ok` with the request's stream, which runs the call as it is read (on the connection's
    /// task; its answer, or nothing if the client cancelled the call); otherwise `Err` with
    /// the message untouched, for rmcp. The call runs as the stream is polled, not before, so
    /// the response and its keep-alives start as with rmcp's own stream however long the call
    /// takes; dropping the stream (the client went away) stops the call.
    pub fn call(
        self: &Arc<Self>,
        session: &str,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, ClientJsonRpcMessage>
    {
        let (id, mut request) = match message {
            ClientJsonRpcMessage::Request(JsonRpcRequest { id, request, .. })
                if matches!(request, ClientRequest::CallToolRequest(_)) =>
            {
                (id, request)
            }
            other => return Err(other),
        };
        let Some((peer, server, ct)) = self.runnable(session, &request) else {
            return Err(ClientJsonRpcMessage::request(request, id));
        };
        let key = (session.to_owned(), id.clone());
        lock(&self.running).insert(key.clone(), ct.clone());
        let running = Running {
            calls: self.clone(),
            key,
        };
        // The JSON-body layer waits for this call's answer: it gets the answer's bytes, written
        // from the result's JSON text, and rmcp's event stream carries nothing.
        let slot = request
            .extensions()
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<AnswerSlot>().cloned());
        let held = HeldAnswer::default();
        if slot.is_some() {
            request.extensions_mut().insert(held.clone());
        }
        let mut context = RequestContext::new(id.clone(), peer);
        // A child, as rmcp gives a handler: the handler cancels its own token when the call
        // runs out of time, and still answers.
        context.ct = ct.child_token();
        context.meta = std::mem::take(request.get_meta_mut());
        context.extensions = std::mem::take(request.extensions_mut());
        let answer = async move {
            let _running = running;
            let result = server.handle_request(request, context).await;
            if ct.is_cancelled() {
                // rmcp drops the answer to a cancelled request; so does this.
                return None;
            }
            let answer = Answer {
                id,
                result,
                rendered: held.take(),
            };
            let mut answer = Some(answer);
            let left = slot.is_some_and(|slot| {
                slot.offer(|| answer.take().map(Answer::into_bytes).unwrap_or_default())
            });
            if left {
                None
            } else {
                answer.map(Answer::into_event)
            }
        };
        // rmcp wants a Sync stream; the call's future is Send only, and is only ever polled
        // through `&mut`, which is what SyncStream allows.
        Ok(SyncStream::new(
            futures::stream::once(answer).filter_map(std::future::ready),
        ))
    }

    /// The session's peer, its handler and a token for the call, when `request` is a
    /// read-only tool call without a progress token in a session known here.
    fn runnable(
        &self,
        session: &str,
        request: &ClientRequest,
    ) -> Option<(Peer<RoleServer>, OktaMcp, CancellationToken)> {
        let ClientRequest::CallToolRequest(call) = request else {
            return None;
        };
        if request.get_meta().get_progress_token().is_some() {
            return None;
        }
        let sessions = lock(&self.sessions);
        let s = sessions.get(session)?;
        let read_only = s
            .server
            .tool(&call.params.name)
            .is_some_and(|tool| tool.is_read_only());
        read_only.then(|| (s.peer.clone(), s.server.clone(), s.ended.child_token()))
    }

    /// A client's `notifications/cancelled` for a call running here stops it. The
    /// notification still goes to rmcp, which ignores a request it is not running.
    pub fn cancel(&self, session: &str, message: &ClientJsonRpcMessage) {
        let ClientJsonRpcMessage::Notification(JsonRpcNotification {
            notification: ClientNotification::CancelledNotification(cancelled),
            ..
        }) = message
        else {
            return;
        };
        let Some(request) = &cancelled.params.request_id else {
            return;
        };
        let key = (session.to_owned(), request.clone());
        if let Some(ct) = lock(&self.running).get(&key) {
            ct.cancel();
        }
    }
}

/// Where the handler leaves a direct call's result as JSON text (a value, or a list
/// rendered as its pages came), handing rmcp a stand-in: the answer is then written from the
/// text, once as the text block and once as the structured content, rather than the text
/// block and a tree of the same JSON both serialised by rmcp. Put in the request only when
/// the answer goes out as bytes ([`AnswerSlot`]).
#[derive(Clone, Default)]
pub struct HeldAnswer(Arc<Mutex<Option<RenderedJson>>>);

impl HeldAnswer {
    pub fn put(&self, json: RenderedJson) {
        *lock(&self.0) = Some(json);
    }

    fn take(&self) -> Option<RenderedJson> {
        lock(&self.0).take()
    }
}

/// A direct call's answer: what the handler returned, and the result's JSON text if the
/// handler held it.
struct Answer {
    id: RequestId,
    result: Result<ServerResult, ErrorData>,
    rendered: Option<RenderedJson>,
}

impl Answer {
    /// The JSON-RPC message as bytes, as rmcp would write it.
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Answer {
                id,
                result: Ok(ServerResult::CallToolResult(stand_in)),
                rendered: Some(json),
            } => {
                // The text goes out twice, once escaped: room for both and a few escapes.
                let mut bytes = Vec::with_capacity(2 * json.len() + json.len() / 4 + 128);
                let response = RenderedResponse {
                    id,
                    result_type: stand_in.result_type,
                    meta: stand_in.meta,
                    json,
                };
                // Writing to a Vec fails only if serialising the id or `_meta` does, which
                // their types rule out.
                let _ = response.write_to(&mut bytes);
                bytes
            }
            answer => serde_json::to_vec(&answer.into_message()).unwrap_or_default(),
        }
    }

    /// The answer for rmcp's event stream, when no JSON-body layer waits for it (a call that
    /// ran past the quick answer).
    fn into_event(self) -> ServerSseMessage {
        ServerSseMessage::from_message(self.into_message())
    }

    fn into_message(self) -> ServerJsonRpcMessage {
        let result = match (self.result, self.rendered) {
            (Ok(ServerResult::CallToolResult(stand_in)), Some(json)) => {
                ToolAnswer::Rendered(json).into_response().map(|response| {
                    let mut result = ServerResult::from(response);
                    if let ServerResult::CallToolResult(result) = &mut result {
                        result.result_type = stand_in.result_type;
                        result.meta = stand_in.meta;
                    }
                    result
                })
            }
            (result, _) => result,
        };
        match result {
            Ok(result) => ServerJsonRpcMessage::response(result, self.id),
            Err(error) => ServerJsonRpcMessage::error(error, Some(self.id)),
        }
    }
}
