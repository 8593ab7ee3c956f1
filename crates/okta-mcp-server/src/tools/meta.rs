//! Tools about the server itself.

use crate::tools::common::ToolCtx;
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

pub fn tools() -> Vec<ToolDef> {
    vec![get_scope_status()]
}

pub fn get_scope_status() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_scope_status",
            title: "Scope status",
            description: "Show which Okta scopes this server was configured with and granted, which tools are unavailable for lack of a scope, and how to grant it. Use when a tool you expected is missing.",
            toolset: Toolset::Meta,
            scope: None,
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, _: NoParams| async move { Ok((ctx.scope_status)()) },
    )
    .returns(schemas::requiring(schemas::object(&[("configured_scopes", "array"), ("granted_scopes", "array|null"), ("missing_scopes", "array"), ("read_only", "boolean"), ("toolsets", "array"), ("instructions", "string")]), &["missing_scopes", "read_only", "instructions"]))
}
