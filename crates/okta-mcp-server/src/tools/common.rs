//! What every tool shares: the call context, the pagination parameters, single-object calls
//! and the output schemas. List walking is in `listing`.

use crate::tools::Output;
use crate::tools::error::ToolError;
use crate::tools::shape::{self, Fields};
use okta_client::{ApiRequest, OktaClient};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Reports fetch_all progress (pages, items so far); the server turns it into MCP progress.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Everything a handler may use. Cheap to clone.
#[derive(Clone)]
pub struct ToolCtx {
    pub client: OktaClient,
    pub settings: Arc<crate::settings::Settings>,
    pub progress: Option<ProgressFn>,
    pub cancel: CancellationToken,
    /// The server's scope report (for get_scope_status, which reads server state, not the org).
    pub scope_status: Arc<dyn Fn() -> Value + Send + Sync>,
    /// Who the call acts for in team mode (None: the server's own identity).
    pub caller: Option<crate::caller::Caller>,
}

/// Pagination parameters shared by list tools (same names as the Python server).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Paging {
    /// Return all pages (bounded; says if it stopped early).
    #[serde(default)]
    pub fetch_all: bool,
    /// `next_cursor` of the previous result.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// How a list endpoint pages.
#[derive(Clone, Copy, Debug)]
pub struct ListRules {
    /// Page size when the caller gives none (None: let Okta decide).
    pub default_limit: Option<u32>,
    pub max_limit: u32,
    /// Page size used for fetch_all (as large as the endpoint allows).
    pub fetch_all_limit: u32,
    /// Upper bound of pages a fetch_all walks.
    pub max_pages: usize,
}

/// Sends one request and returns its body shaped (for get/create/update tools).
pub async fn object(
    ctx: &ToolCtx,
    request: ApiRequest,
    fields: Option<&Fields>,
) -> Result<Value, ToolError> {
    let response = ctx.client.send(request).await?;
    Ok(shape::shape(response.body, fields))
}

pub fn parse_fields(spec: Option<&str>) -> Result<Option<Fields>, ToolError> {
    Fields::parse(spec).map_err(ToolError::InvalidArguments)
}

/// The outputSchema advertised for each result shape.
pub fn output_schema(output: Output) -> Map<String, Value> {
    let v = match output {
        Output::List => json!({
            "type": "object",
            "properties": {
                "items": {"type": "array"},
                "has_more": {"type": "boolean"},
                "next_cursor": {"type": ["string", "null"]}
            },
            "required": ["items"]
        }),
        Output::Object => json!({"type": "object"}),
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
