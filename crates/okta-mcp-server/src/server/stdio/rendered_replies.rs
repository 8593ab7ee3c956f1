//! Rendered tool results on their way to stdout, keyed by the JSON-RPC id of the request they
//! answer, never by anything inside the data.
//!
//! A 5,000-event list is 8 MB of JSON; as a tree of values, and again as the text block MCP
//! wants beside it, it would cost several times that. So a rendered result stays bytes: the
//! handler holds it here under its request id and hands the SDK a stand-in result, and when
//! the SDK passes the response for that id to the transport, the stdout writer writes the
//! response from the bytes (once as they are, once as a JSON string) in place of the stand-in.
//! The stand-in only goes out if the client cancelled the call, and then says so.
//!
//! Nothing is held longer than its request: the stdin reader registers each tools/call as it
//! reads it and marks it when the client cancels it (the SDK then drops its response), the
//! handler gives up a result whose call was cancelled instead of holding it, and the response
//! taking its id releases the rest.

use crate::rendered_json::RenderedJson;
use rmcp::model::RequestId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The tools/call requests in flight and the rendered results waiting for their response.
#[derive(Default)]
pub struct RenderedReplies {
    slots: Mutex<HashMap<RequestId, Slot>>,
}

enum Slot {
    /// Read from the client; the handler has not answered yet.
    Running,
    /// The client cancelled it: the SDK will not send its response.
    Cancelled,
    /// Answered with a rendered result that the response for this id will carry.
    Ready(RenderedJson),
}

/// What became of a rendered result handed to [`RenderedReplies::hold`].
#[derive(Debug)]
pub enum Hold {
    /// Held: the response for the request will be written from it.
    Held,
    /// The call was cancelled: the result was dropped at once.
    Cancelled,
    /// The request was not read by this transport's reader: the caller keeps the result.
    Untracked(RenderedJson),
}

impl RenderedReplies {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader read a tools/call request with this id.
    pub fn started(&self, id: RequestId) {
        self.slots().insert(id, Slot::Running);
    }

    /// The reader read the client's cancellation of this id.
    pub fn cancelled(&self, id: &RequestId) {
        let mut slots = self.slots();
        match slots.get_mut(id) {
            Some(slot @ Slot::Running) => *slot = Slot::Cancelled,
            Some(Slot::Ready(_)) => {
                slots.remove(id);
            }
            Some(Slot::Cancelled) | None => {}
        }
    }

    /// The handler answers request `id` with a rendered result.
    pub fn hold(&self, id: &RequestId, json: RenderedJson) -> Hold {
        let mut slots = self.slots();
        match slots.get_mut(id) {
            Some(slot @ Slot::Running) => {
                *slot = Slot::Ready(json);
                Hold::Held
            }
            Some(Slot::Cancelled) => {
                slots.remove(id);
                Hold::Cancelled
            }
            // Answered twice (a client reusing an id while it is in flight): keep the first.
            Some(Slot::Ready(_)) | None => Hold::Untracked(json),
        }
    }

    /// The handler answers request `id` with anything but a rendered result: a cancelled
    /// call's slot goes now (its response never will).
    pub fn answered(&self, id: &RequestId) {
        let mut slots = self.slots();
        if let Some(Slot::Cancelled) = slots.get(id) {
            slots.remove(id);
        }
    }

    /// The response (or error) for `id` is being written: releases its slot, and returns the
    /// rendered result to write, if the handler held one.
    pub fn take(&self, id: &RequestId) -> Option<RenderedJson> {
        match self.slots().remove(id)? {
            Slot::Ready(json) => Some(json),
            Slot::Running | Slot::Cancelled => None,
        }
    }

    /// How many requests have a slot (in flight, or answered and not yet written).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(text: &str) -> RenderedJson {
        let (a, b) = text.split_at(text.len() / 2);
        RenderedJson::from_parts(vec![a.as_bytes().to_vec(), b.as_bytes().to_vec()])
    }

    #[test]
    fn a_held_result_goes_to_its_response_and_nothing_stays() {
        let replies = RenderedReplies::default();
        let id = RequestId::Number(1);
        replies.started(id.clone());
        assert!(matches!(replies.hold(&id, rendered("{}")), Hold::Held));
        assert!(replies.take(&RequestId::Number(2)).is_none());
        assert!(replies.take(&id).is_some());
        assert!(replies.take(&id).is_none());
        // A call answered with a value: its response releases the slot.
        replies.started(id.clone());
        replies.answered(&id);
        assert!(replies.take(&id).is_none());
        assert_eq!(replies.len(), 0);
    }

    #[test]
    fn cancelled_calls_free_their_results_whenever_the_cancel_comes() {
        let replies = RenderedReplies::default();
        for n in 0..1000 {
            let id = RequestId::Number(n);
            replies.started(id.clone());
            match n % 3 {
                // Cancelled while running: the result is dropped when it arrives.
                0 => {
                    replies.cancelled(&id);
                    assert!(matches!(
                        replies.hold(&id, rendered("{\"a\":1}")),
                        Hold::Cancelled
                    ));
                }
                // Cancelled once held: dropped at the cancel.
                1 => {
                    assert!(matches!(
                        replies.hold(&id, rendered("{\"a\":1}")),
                        Hold::Held
                    ));
                    replies.cancelled(&id);
                }
                // Cancelled, then answered with a value (an error, a confirmation).
                _ => {
                    replies.cancelled(&id);
                    replies.answered(&id);
                }
            }
            // The SDK drops these responses: nothing calls take.
        }
        assert_eq!(replies.len(), 0, "nothing is held for cancelled calls");
    }

    #[test]
    fn a_result_for_an_unread_request_is_given_back() {
        let replies = RenderedReplies::default();
        let id = RequestId::String("x".into());
        assert!(matches!(
            replies.hold(&id, rendered("{}")),
            Hold::Untracked(_)
        ));
        replies.cancelled(&id);
        assert_eq!(replies.len(), 0);
    }
}
