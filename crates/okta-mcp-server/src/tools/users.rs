//! Users: list, read, and (with okta.users.manage) lifecycle.

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::{Effect, Output, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;

/// Okta's users endpoint: default and maximum page size 200.
const USER_LIST: ListRules = ListRules {
    default_limit: Some(20),
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 100,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListUsersParams {
    /// Okta search expression (indexed, preferred), e.g. `profile.department eq "Engineering" and status eq "ACTIVE"`. Operators: eq, sw, co, pr, gt, lt, and, or; strings in double quotes.
    #[serde(default)]
    pub search: Option<String>,
    /// Okta filter expression on status, lastUpdated, id, type.id, e.g. `status eq "LOCKED_OUT"`.
    #[serde(default)]
    pub filter: Option<String>,
    /// Prefix match on firstName, lastName or email, e.g. `jane`.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
    /// Comma-separated dotted paths to return, e.g. `id,status,profile.login`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetUserParams {
    /// User ID (00u…) or login (e.g. jane.doe@acme.com).
    pub user_id: String,
    /// Comma-separated dotted paths to return, e.g. `id,status,profile`.
    #[serde(default)]
    pub fields: Option<String>,
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            ToolSpec {
                name: "list_users",
                title: "List users",
                description: "List or search Okta users. Use `search` for most questions (department, status, login, custom attributes), `q` for a quick name/email prefix. Returns compact user objects in `items`; page with `after`=`next_cursor`, or `fetch_all` for every page. Use `fields` to keep results small.",
                toolset: Toolset::Users,
                scope: Some("okta.users.read"),
                effect: Effect::Read,
                output: Output::List,
            },
            |ctx: ToolCtx, p: ListUsersParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                let search = p.search.filter(|s| !s.trim().is_empty());
                let req = ApiRequest::get(ApiPath::new(paths::USERS))
                    .query_opt("search", search)
                    .query_opt("filter", p.filter)
                    .query_opt("q", p.q);
                common::list(&ctx, req, &p.paging, USER_LIST, fields.as_ref()).await
            },
        ),
        ToolDef::new(
            ToolSpec {
                name: "get_user",
                title: "Get user",
                description: "Get one Okta user by ID or login, with status, profile and timestamps.",
                toolset: Toolset::Users,
                scope: Some("okta.users.read"),
                effect: Effect::Read,
                output: Output::Object,
            },
            |ctx: ToolCtx, p: GetUserParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                non_empty("user_id", &p.user_id)?;
                let req = ApiRequest::get(ApiPath::new(paths::USERS).id(&p.user_id));
                common::object(&ctx, req, fields.as_ref()).await
            },
        ),
    ]
}

/// IDs are encoded as one path segment by the client, so no character is dangerous; an
/// empty one would address the collection instead of an object, so it is refused.
pub fn non_empty(name: &str, value: &str) -> Result<(), ToolError> {
    if value.trim().is_empty() {
        return Err(ToolError::InvalidArguments(format!(
            "{name} must not be empty"
        )));
    }
    Ok(())
}
