//! Groups: list, read, members, and (with okta.groups.manage) changes.

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::users::non_empty;
use crate::tools::{Effect, Output, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;

const GROUP_LIST: ListRules = ListRules {
    default_limit: Some(20),
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 100,
};
const MEMBER_LIST: ListRules = ListRules {
    default_limit: Some(20),
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 100,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListGroupsParams {
    /// Okta search expression, e.g. `type eq "OKTA_GROUP"` or `profile.name sw "Eng"`.
    #[serde(default)]
    pub search: Option<String>,
    /// Okta filter expression, e.g. `type eq "APP_GROUP"`.
    #[serde(default)]
    pub filter: Option<String>,
    /// Prefix match on the group name.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
    /// Comma-separated dotted paths to return, e.g. `id,type,profile.name`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GroupIdParams {
    /// Group ID (00g…).
    pub group_id: String,
    /// Comma-separated dotted paths to return.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListGroupUsersParams {
    /// Group ID (00g…).
    pub group_id: String,
    #[serde(flatten)]
    pub paging: Paging,
    /// Comma-separated dotted paths to return, e.g. `id,profile.login`.
    #[serde(default)]
    pub fields: Option<String>,
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            ToolSpec {
                name: "list_groups",
                title: "List groups",
                description: "List or search Okta groups (OKTA_GROUP, APP_GROUP, BUILT_IN). Page with `after`=`next_cursor` or use `fetch_all`.",
                toolset: Toolset::Groups,
                scope: Some("okta.groups.read"),
                effect: Effect::Read,
                output: Output::List,
            },
            |ctx: ToolCtx, p: ListGroupsParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                let search = p.search.filter(|s| !s.trim().is_empty());
                let req = ApiRequest::get(ApiPath::new(paths::GROUPS))
                    .query_opt("search", search)
                    .query_opt("filter", p.filter)
                    .query_opt("q", p.q);
                common::list(&ctx, req, &p.paging, GROUP_LIST, fields.as_ref()).await
            },
        ),
        ToolDef::new(
            ToolSpec {
                name: "get_group",
                title: "Get group",
                description: "Get one Okta group by ID.",
                toolset: Toolset::Groups,
                scope: Some("okta.groups.read"),
                effect: Effect::Read,
                output: Output::Object,
            },
            |ctx: ToolCtx, p: GroupIdParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                non_empty("group_id", &p.group_id)?;
                let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(&p.group_id));
                common::object(&ctx, req, fields.as_ref()).await
            },
        ),
        ToolDef::new(
            ToolSpec {
                name: "list_group_users",
                title: "List group members",
                description: "List the users who are members of a group. Page with `after`=`next_cursor` or use `fetch_all`.",
                toolset: Toolset::Groups,
                scope: Some("okta.groups.read"),
                effect: Effect::Read,
                output: Output::List,
            },
            |ctx: ToolCtx, p: ListGroupUsersParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                non_empty("group_id", &p.group_id)?;
                let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(&p.group_id).lit("users"));
                common::list(&ctx, req, &p.paging, MEMBER_LIST, fields.as_ref()).await
            },
        ),
    ]
}
