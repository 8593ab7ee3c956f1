//! `/api/v1/authenticators`: the org's authenticators (email, password, Okta Verify, …),
//! listed whole (Okta does not page them) or read one by id.

use super::AppState;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/authenticators", get(list))
        .route("/api/v1/authenticators/{authenticatorId}", get(get_one))
}

async fn list(State(state): State<AppState>) -> Json<Value> {
    let org = state.org.read();
    Json(Value::Array(org.authenticators.values().cloned().collect()))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    org.authenticators
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&id, "Authenticator"))
}
