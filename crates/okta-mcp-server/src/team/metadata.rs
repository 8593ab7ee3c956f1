//! Discovery documents: Protected Resource Metadata (RFC 9728) and Authorization Server
//! Metadata (RFC 8414). The MCP client finds the first from a 401's `resource_metadata`, and
//! the second from the first's `authorization_servers`.

use super::*;
use axum::Json;
use axum::extract::State as Shared;
use serde_json::{Value, json};

pub async fn protected_resource(Shared(team): Shared<Arc<Team>>) -> Json<Value> {
    Json(json!({
        "resource": team.resource,
        "authorization_servers": [team.issuer],
        "scopes_supported": team.scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "Okta MCP Server",
    }))
}

pub async fn authorization_server(Shared(team): Shared<Arc<Team>>) -> Json<Value> {
    let issuer = &team.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "registration_endpoint": format!("{issuer}{REGISTER_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "scopes_supported": team.scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    }))
}
