//! Network zones: the IP ranges, countries and anonymizer categories sign-on policies allow
//! or block. Read-only here (okta.networkZones.read).
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, ToolCtx};
use crate::tools::listing;
use crate::tools::support::ids::ZoneId;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

const ZONES: &str = "/api/v1/zones";

/// list_network_zones' query parameters.
#[derive(Clone, Debug)]
pub struct ZoneList;

impl ListDocs for ZoneList {
    const FILTER: Option<&'static str> =
        Some("Filter on id, usage or system, e.g. `usage eq \"BLOCKLIST\"`.");
    const FIELDS: &'static str = "Fields to return, e.g. `id,name,type,usage,status`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ZoneIdParams {
    /// Network zone ID (nzo…).
    pub zone_id: ZoneId,
    /// Fields to return, e.g. `name,gateways`.
    #[serde(default)]
    pub fields: Option<String>,
}

pub fn tools() -> Vec<ToolDef> {
    vec![list_network_zones(), get_network_zone()]
}

fn zone_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "type": {"type": "string"},
            "usage": {"type": "string"},
            "status": {"type": "string"},
            "system": {"type": "boolean"}
        }
    })
}

pub fn list_network_zones() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_network_zones",
            title: "List network zones",
            description: "List network zones (IP ranges, locations, ASNs) and their usage: POLICY or BLOCKLIST.",
            toolset: Toolset::NetworkZones,
            scope: Some("okta.networkZones.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListQuery<ZoneList>| async move {
            let fields = p.fields()?;
            let req = p.apply(ApiRequest::get(ApiPath::new(ZONES)));
            listing::list(&ctx, req, &p.paging, ListRules::OKTA_SIZED, fields.as_ref()).await
        },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": zone_schema()},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]},
            "total_fetched": {"type": "integer"}
        },
        "required": ["items", "has_more", "next_cursor", "total_fetched"]
    }))
}

pub fn get_network_zone() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_network_zone",
            title: "Get network zone",
            description: "Get one network zone with its gateways, proxies, locations or ASNs.",
            toolset: Toolset::NetworkZones,
            scope: Some("okta.networkZones.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ZoneIdParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(ZONES).id(&p.zone_id));
            common::object(&ctx, req, fields.as_ref()).await
        },
    )
    .returns(zone_schema())
}
