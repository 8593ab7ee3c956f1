//! Dry runs: a client made by [`crate::OktaClient::planning`] sends its reads as usual but
//! captures every write (any method but GET and HEAD) instead of sending it, and answers it
//! with [`crate::ApiError::NotSent`], so a tool's handler stops at its first write and the
//! caller can show what it would have sent.

use crate::{ApiPath, ApiRequest, Method};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// A write a dry run captured. Debug output leaves the body out: it may hold a password.
#[derive(Clone)]
pub struct PlannedRequest {
    pub method: Method,
    /// The path as it would be requested, IDs percent-encoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The JSON body it would carry (None for none, or for a file upload).
    pub body: Option<Value>,
    /// The file it would upload, named as `Upload`'s Debug names it.
    pub upload: Option<String>,
    target: ApiPath,
}

impl std::fmt::Debug for PlannedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body", &self.body.as_ref().map(|_| "<json>"))
            .field("upload", &self.upload)
            .finish()
    }
}

impl PlannedRequest {
    /// What `request` would send.
    pub fn of(request: &ApiRequest) -> Self {
        Self {
            method: request.method,
            path: request.path.as_str().to_owned(),
            query: request.query.clone(),
            body: request.body.clone(),
            upload: request.upload.as_ref().map(|u| format!("{u:?}")),
            target: request.path.clone(),
        }
    }

    /// A GET of the same path: the object as it is now, for an update's field-level change.
    pub fn read_target(&self) -> ApiRequest {
        ApiRequest::get(self.target.clone())
    }
}

/// Collects the writes a planning client captured, in order; shared by its clones.
#[derive(Clone, Debug, Default)]
pub struct WritePlan(Arc<Mutex<Vec<PlannedRequest>>>);

impl WritePlan {
    /// The writes captured so far, oldest first.
    pub fn requests(&self) -> Vec<PlannedRequest> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn capture(&self, request: &ApiRequest) -> PlannedRequest {
        let planned = PlannedRequest::of(request);
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(planned.clone());
        planned
    }
}
