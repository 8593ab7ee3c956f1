//! The apps a user reaches, directly or through a group (Okta's app links).
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::listing;
use crate::tools::support::ids::UserId;
use crate::tools::support::output_schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;

/// `/users/{id}/appLinks` answers every link at once: no page size, one page.
const APP_LINKS: ListRules = ListRules {
    default_limit: None,
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 1,
};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListUserAppsParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// e.g. `appInstanceId,label`.
    #[serde(default)]
    pub fields: Option<String>,
    /// `next_cursor` of a previous result.
    #[serde(default)]
    pub after: Option<String>,
}

pub fn list_user_applications() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_user_applications",
            title: "List a user's applications",
            description: "List the active apps a user reaches, directly or through groups (appInstanceId = app ID).",
            toolset: Toolset::Users,
            scope: Some("okta.users.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListUserAppsParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::USERS).id(&p.user_id).lit("appLinks"));
            let paging = Paging {
                fetch_all: false,
                after: p.after,
                limit: None,
            };
            listing::list(&ctx, req, &paging, APP_LINKS, fields.as_ref()).await
        },
    )
    .returns(output_schemas::list_of(output_schemas::object(&[
        ("id", "string"),
        ("label", "string"),
        ("linkUrl", "string"),
        ("logoUrl", "string"),
        ("appName", "string"),
        ("appInstanceId", "string"),
        ("appAssignmentId", "string"),
        ("credentialsSetup", "boolean"),
        ("hidden", "boolean"),
        ("sortOrder", "integer"),
    ])))
}
