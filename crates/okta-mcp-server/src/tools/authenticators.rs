//! Authenticators: which factors the org offers (password, email, Okta Verify, security
//! keys, phone, …) and whether each is active. Read-only here (okta.authenticators.read).

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::listing;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

const AUTHENTICATORS: &str = "/api/v1/authenticators";

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListAuthenticatorsParams {
    /// Fields to return, e.g. `key,name,status`.
    #[serde(default)]
    pub fields: Option<String>,
}

pub fn tools() -> Vec<ToolDef> {
    vec![list_authenticators()]
}

pub fn list_authenticators() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_authenticators",
            title: "List authenticators",
            description: "List the org's authenticators (key, type, status, settings): which factors people can enroll.",
            toolset: Toolset::Authenticators,
            scope: Some("okta.authenticators.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListAuthenticatorsParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            // Okta returns every authenticator in one unpaged list.
            let req = ApiRequest::get(ApiPath::new(AUTHENTICATORS));
            let whole = Paging::default();
            listing::list(&ctx, req, &whole, ListRules::OKTA_SIZED, fields.as_ref()).await
        },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "key": {"type": "string"},
                    "name": {"type": "string"},
                    "type": {"type": "string"},
                    "status": {"type": "string"},
                    "created": {"type": "string"},
                    "lastUpdated": {"type": "string"},
                    "settings": {"type": "object"},
                    "provider": {"type": "object"}
                }
            }},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]},
            "total_fetched": {"type": "integer"}
        },
        "required": ["items", "has_more", "next_cursor", "total_fetched"]
    }))
}
