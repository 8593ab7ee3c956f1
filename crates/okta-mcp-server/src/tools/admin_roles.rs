//! Admin roles, read for an access review: the roles one person or one group holds (with the
//! groups and apps each role is limited to), and every person and group holding one.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::ids::{GroupId, UserId};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use base64::Engine;
use futures::StreamExt;
use futures::stream::BoxStream;
use okta_client::{ApiError, ApiPath, ApiRequest, OktaClient, Page, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Every person holding a role assignment of their own (paged by `_links.next` in the body).
const IAM_ASSIGNEES: &str = "/api/v1/iam/assignees/users";
/// Role types Okta limits to groups, and to apps; the others apply org-wide.
const GROUP_TARGETED: &[&str] = &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"];
const APP_TARGETED: &[&str] = &["APP_ADMIN"];
/// Pages of one role's targets read before saying the list goes on.
const MAX_TARGET_PAGES: usize = 10;
/// People per assignee page, and groups per group page, of list_admins.
const ASSIGNEE_PAGE: u32 = 100;
const GROUP_PAGE: u32 = 200;
/// Pages list_admins reads in one call with fetch_all (each person or group costs calls).
const MAX_PAGES: usize = 20;
/// Role lookups run at once (each is one or a few small requests).
const CONCURRENT_LOOKUPS: usize = 4;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UserRolesParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GroupRolesParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
}

/// Who list_admins covers.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AdminKinds {
    /// People holding a role of their own, then groups holding one.
    #[default]
    All,
    Users,
    Groups,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListAdminsParams {
    /// `users`, `groups` or `all` (default).
    #[serde(default)]
    pub include: AdminKinds,
    /// Read every page (bounded; says if it stopped early).
    #[serde(default)]
    pub fetch_all: bool,
    /// `next_cursor` of a previous result.
    #[serde(default)]
    pub after: Option<String>,
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_user_admin_roles(),
        list_group_admin_roles(),
        list_admins(),
    ]
}

pub fn list_user_admin_roles() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_user_admin_roles",
            title: "List a user's admin roles",
            description: "Admin roles a user holds, own or through a group (via_group_id), each with the groups/apps it is limited to (targets).",
            toolset: Toolset::AdminRoles,
            scope: Some("okta.roles.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserRolesParams| async move {
            let roles = user_roles(&ctx, &p.user_id).await?;
            Ok(json!({
                "user_id": p.user_id,
                "is_admin": !roles.is_empty(),
                "total": roles.len(),
                "roles": roles,
            }))
        },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "user_id": {"type": "string"},
            "is_admin": {"type": "boolean"},
            "total": {"type": "integer"},
            "roles": {"type": "array"}
        },
        "required": ["user_id", "is_admin", "total", "roles"]
    }))
}

pub fn list_group_admin_roles() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_group_admin_roles",
            title: "List a group's admin roles",
            description: "Admin roles a group holds (so do its members), each with the groups/apps it is limited to (targets).",
            toolset: Toolset::AdminRoles,
            scope: Some("okta.roles.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GroupRolesParams| async move {
            let roles = group_roles(&ctx, &p.group_id).await?;
            Ok(json!({
                "group_id": p.group_id,
                "total": roles.len(),
                "roles": roles,
            }))
        },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "group_id": {"type": "string"},
            "total": {"type": "integer"},
            "roles": {"type": "array"}
        },
        "required": ["group_id", "total", "roles"]
    }))
}

pub fn list_admins() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_admins",
            title: "List admins",
            description: "Every person and group holding an admin role, with roles and targets: people first, then groups (whose members hold them too). Paged; fetch_all reads on, bounded.",
            toolset: Toolset::AdminRoles,
            scope: Some("okta.roles.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListAdminsParams| async move { list_admins_run(&ctx, p).await },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "assignee_type": {"type": "string"},
                    "id": {"type": "string"},
                    "login": {"type": ["string", "null"]},
                    "name": {"type": ["string", "null"]},
                    "status": {"type": ["string", "null"]},
                    "group_type": {"type": ["string", "null"]},
                    "roles": {"type": "array"}
                },
                "required": ["assignee_type", "id", "roles"]
            }},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]},
            "total_fetched": {"type": "integer"},
            "users_checked": {"type": "integer"},
            "groups_checked": {"type": "integer"},
            "stop_reason": {"type": "string"},
            "warnings": {"type": "array"}
        },
        "required": ["items", "has_more", "next_cursor", "total_fetched"]
    }))
}

/// Who holds a role assignment, for its targets' paths.
#[derive(Clone, Copy)]
enum Holder<'a> {
    User(&'a str),
    Group(&'a str),
}

/// A person's roles, compact, with targets (a group's role read through the group).
async fn user_roles(ctx: &ToolCtx, user_id: &str) -> Result<Vec<Value>, ToolError> {
    let path = ApiPath::new(paths::USERS).id(user_id).lit("roles");
    let assignments = array(ctx.client.send(ApiRequest::get(path)).await?.body);
    let mut out = Vec::with_capacity(assignments.len());
    for role in assignments {
        let via_group = assignee_group(&role);
        let holder = match &via_group {
            Some(group) => Holder::Group(group),
            None => Holder::User(user_id),
        };
        out.push(compact_role(ctx, &role, holder).await?);
    }
    Ok(out)
}

async fn group_roles(ctx: &ToolCtx, group_id: &str) -> Result<Vec<Value>, ToolError> {
    let path = ApiPath::new(paths::GROUPS).id(group_id).lit("roles");
    let assignments = array(ctx.client.send(ApiRequest::get(path)).await?.body);
    let mut out = Vec::with_capacity(assignments.len());
    for role in assignments {
        out.push(compact_role(ctx, &role, Holder::Group(group_id)).await?);
    }
    Ok(out)
}

fn array(body: Value) -> Vec<Value> {
    match body {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// The group a role came through (`assignmentType: GROUP`, the group as `assignee`).
fn assignee_group(role: &Value) -> Option<String> {
    if role["assignmentType"] != "GROUP" {
        return None;
    }
    let href = role["_links"]["assignee"]["href"].as_str()?;
    let (_, id) = href.trim_end_matches('/').rsplit_once("/groups/")?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
}

/// `{id, type, label, status, assignment_type, via_group_id?, targets}`: targets hold the
/// groups and apps a targetable role is limited to, or say it is unrestricted.
async fn compact_role(ctx: &ToolCtx, role: &Value, holder: Holder<'_>) -> Result<Value, ToolError> {
    let id = role["id"].as_str().unwrap_or_default();
    let kind = role["type"].as_str().unwrap_or_default();
    let mut out = json!({
        "id": id,
        "type": kind,
        "label": role["label"],
        "status": role["status"],
        "assignment_type": role["assignmentType"],
    });
    if let (Holder::Group(group), Some(_)) = (holder, assignee_group(role)) {
        out["via_group_id"] = json!(group);
    }
    if kind == "CUSTOM" {
        out["custom_role_id"] = role["role"].clone();
        out["resource_set"] = role["resource-set"].clone();
    }
    let base = match holder {
        Holder::User(user) => ApiPath::new(paths::USERS).id(user),
        Holder::Group(group) => ApiPath::new(paths::GROUPS).id(group),
    }
    .lit("roles")
    .id(id)
    .lit("targets");
    let targets = if GROUP_TARGETED.contains(&kind) {
        let groups = all_pages(ctx, base.lit("groups")).await?;
        let listed: Vec<Value> = groups
            .iter()
            .map(|g| json!({"id": g["id"], "name": g["profile"]["name"]}))
            .collect();
        json!({"unrestricted": listed.is_empty(), "groups": listed})
    } else if APP_TARGETED.contains(&kind) {
        let apps = all_pages(ctx, base.lit("catalog/apps")).await?;
        let listed: Vec<Value> = apps
            .iter()
            .map(|a| {
                let mut app = json!({"name": a["name"], "display_name": a["displayName"]});
                if a["id"].is_string() {
                    app["id"] = a["id"].clone();
                }
                app
            })
            .collect();
        json!({"unrestricted": listed.is_empty(), "apps": listed})
    } else {
        json!({"unrestricted": true})
    };
    out["targets"] = targets;
    Ok(out)
}

/// Every item of a short paged list (role targets), bounded.
async fn all_pages(ctx: &ToolCtx, path: ApiPath) -> Result<Vec<Value>, ToolError> {
    let observer = Observer::new(ctx.cancel.clone(), None);
    let mut walk = PageWalk::new(
        &observer,
        ctx.client.pages(ApiRequest::get(path).query("limit", 100)),
        MAX_TARGET_PAGES,
    );
    let mut items = Vec::new();
    while let Some(page) = walk.next().await {
        items.extend(page.items);
    }
    match walk.finish().end {
        WalkEnd::Failed(error) => Err(error.into()),
        _ => Ok(items),
    }
}

/// Where list_admins stands: which listing it reads and Okta's cursor in it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Users(Option<String>),
    Groups(Option<String>),
}

const CURSOR_PREFIX: &str = "adm1.";

impl Phase {
    fn encode(&self) -> String {
        let (phase, after) = match self {
            Phase::Users(a) => ("users", a),
            Phase::Groups(a) => ("groups", a),
        };
        let raw = json!({"p": phase, "a": after}).to_string();
        format!(
            "{CURSOR_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )
    }

    fn decode(raw: &str) -> Result<Phase, ToolError> {
        let bad = || {
            ToolError::InvalidArguments(
                "after: not a list_admins cursor; pass next_cursor unchanged".into(),
            )
        };
        let encoded = raw.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| bad())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let after = v["a"].as_str().map(str::to_owned);
        match v["p"].as_str() {
            Some("users") => Ok(Phase::Users(after)),
            Some("groups") => Ok(Phase::Groups(after)),
            _ => Err(bad()),
        }
    }
}

/// What one list_admins call has gathered.
#[derive(Default)]
struct Gathered {
    items: Vec<Value>,
    users_checked: u64,
    groups_checked: u64,
    warnings: Vec<String>,
}

async fn list_admins_run(ctx: &ToolCtx, p: ListAdminsParams) -> Result<Value, ToolError> {
    let start = match p.after.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => Phase::decode(raw)?,
        None if p.include == AdminKinds::Groups => Phase::Groups(None),
        None => Phase::Users(None),
    };
    let max_pages = if p.fetch_all { MAX_PAGES } else { 1 };
    let observer = Observer::of(ctx);
    let mut gathered = Gathered::default();
    let mut next: Option<Phase> = None;
    let mut stop_reason: Option<String> = None;
    let mut pages_left = max_pages;
    let mut phase = Some(start);
    while let Some(current) = phase.take() {
        let read = match &current {
            Phase::Users(after) => {
                read_users(ctx, &observer, after.clone(), pages_left, &mut gathered).await?
            }
            Phase::Groups(after) => {
                read_groups(ctx, &observer, after.clone(), pages_left, &mut gathered).await?
            }
        };
        pages_left = pages_left.saturating_sub(read.pages);
        let same_phase = |after: String| match &current {
            Phase::Users(_) => Phase::Users(Some(after)),
            Phase::Groups(_) => Phase::Groups(Some(after)),
        };
        let following = match &current {
            Phase::Users(_) if p.include == AdminKinds::All => Some(Phase::Groups(None)),
            _ => None,
        };
        match read.end {
            // Stopped at the budget after a page that has a next one: continue there.
            WalkEnd::Stopped if read.last_next.is_some() => {
                next = read.last_next.map(same_phase);
                stop_reason = Some("the result reached its size budget".into());
            }
            WalkEnd::Complete | WalkEnd::Stopped => {
                if pages_left == 0 || over_budget(ctx, &gathered) {
                    next = following;
                } else {
                    phase = following;
                }
            }
            WalkEnd::PageCap { after } => {
                next = Some(same_phase(after));
                if p.fetch_all {
                    stop_reason = Some(format!("reached the page limit ({MAX_PAGES} pages)"));
                }
            }
            WalkEnd::Cancelled => {
                next = read.last_next.map(same_phase);
                stop_reason = Some("cancelled by the client".into());
            }
            WalkEnd::Unfollowed(reason) => stop_reason = Some(reason),
            WalkEnd::Failed(ApiError::Okta { status: 403, .. })
                if matches!(current, Phase::Groups(_)) =>
            {
                gathered
                    .warnings
                    .push("groups were not checked: listing groups needs okta.groups.read".into());
            }
            WalkEnd::Failed(error) => return Err(error.into()),
        }
    }
    let Gathered {
        items,
        users_checked,
        groups_checked,
        warnings,
    } = gathered;
    let mut out = json!({
        "total_fetched": items.len(),
        "has_more": next.is_some(),
        "next_cursor": next.as_ref().map(Phase::encode),
        "users_checked": users_checked,
        "groups_checked": groups_checked,
        "fetch_all_used": p.fetch_all,
    });
    if stop_reason.is_some() {
        out["stop_reason"] = json!(stop_reason);
    }
    if !warnings.is_empty() {
        out["warnings"] = json!(warnings);
    }
    out["items"] = Value::Array(items);
    Ok(out)
}

/// Whether the admins gathered so far already fill the result byte budget.
fn over_budget(ctx: &ToolCtx, gathered: &Gathered) -> bool {
    let used: usize = gathered
        .items
        .iter()
        .map(|i| serde_json::to_vec(i).map_or(0, |b| b.len() + 1))
        .sum();
    used >= ctx.settings.max_result_bytes
}

/// How one listing's walk went: its end, pages read, and the cursor after the last page.
struct Read {
    end: WalkEnd,
    pages: usize,
    last_next: Option<String>,
}

/// Reads pages of people holding roles from `after` on.
async fn read_users(
    ctx: &ToolCtx,
    observer: &Observer,
    after: Option<String>,
    max_pages: usize,
    gathered: &mut Gathered,
) -> Result<Read, ToolError> {
    let stream = assignee_pages(ctx.client.clone(), after);
    let mut walk = PageWalk::new(observer, stream, max_pages);
    let mut last_next = None;
    while let Some(page) = walk.next().await {
        last_next = page.next_cursor.clone();
        let ids: Vec<String> = page
            .items
            .iter()
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect();
        let people = people_by_id(ctx, &ids, &mut gathered.warnings).await;
        for chunk in ids.chunks(CONCURRENT_LOOKUPS) {
            let lookups = chunk.iter().map(|id| user_roles(ctx, id));
            let roles = futures::future::join_all(lookups).await;
            for (id, roles) in chunk.iter().zip(roles) {
                let person = people.get(id.as_str()).cloned().unwrap_or(Value::Null);
                gathered.items.push(json!({
                    "assignee_type": "USER",
                    "id": id,
                    "login": person["profile"]["login"],
                    "name": person["profile"]["displayName"],
                    "status": person["status"],
                    "roles": roles?,
                }));
            }
        }
        gathered.users_checked += ids.len() as u64;
        walk.took(ids.len() as u64);
        if over_budget(ctx, gathered) {
            walk.stop();
        }
    }
    let walked = walk.finish();
    Ok(Read {
        end: walked.end,
        pages: walked.pages,
        last_next,
    })
}

/// Reads pages of groups from `after` on, keeping those that hold a role.
async fn read_groups(
    ctx: &ToolCtx,
    observer: &Observer,
    after: Option<String>,
    max_pages: usize,
    gathered: &mut Gathered,
) -> Result<Read, ToolError> {
    let request = ApiRequest::get(ApiPath::new(paths::GROUPS))
        .query("limit", GROUP_PAGE)
        .query_opt("after", after);
    let mut walk = PageWalk::new(observer, ctx.client.pages(request), max_pages);
    let mut last_next = None;
    while let Some(page) = walk.next().await {
        last_next = page.next_cursor.clone();
        for chunk in page.items.chunks(CONCURRENT_LOOKUPS) {
            let lookups = chunk
                .iter()
                .map(|group| group_roles(ctx, group["id"].as_str().unwrap_or_default()));
            let roles = futures::future::join_all(lookups).await;
            for (group, roles) in chunk.iter().zip(roles) {
                let roles = roles?;
                if !roles.is_empty() {
                    gathered.items.push(json!({
                        "assignee_type": "GROUP",
                        "id": group["id"],
                        "name": group["profile"]["name"],
                        "group_type": group["type"],
                        "roles": roles,
                    }));
                }
            }
        }
        gathered.groups_checked += page.items.len() as u64;
        walk.took(page.items.len() as u64);
        if over_budget(ctx, gathered) {
            walk.stop();
        }
    }
    let walked = walk.finish();
    Ok(Read {
        end: walked.end,
        pages: walked.pages,
        last_next,
    })
}

/// The people behind `ids` (one filtered listing); a failed lookup only costs the names.
async fn people_by_id(
    ctx: &ToolCtx,
    ids: &[String],
    warnings: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for chunk in ids.chunks(50) {
        let filter = chunk
            .iter()
            .map(|id| format!("id eq \"{}\"", id.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" or ");
        let request = ApiRequest::get(ApiPath::new(paths::USERS))
            .query("filter", filter)
            .query("limit", 200);
        match ctx.client.send(request).await {
            Ok(found) => {
                for person in array(found.body) {
                    if let Some(id) = person["id"].as_str() {
                        out.insert(id.to_owned(), person);
                    }
                }
            }
            Err(error) => {
                let note = format!("people's names were not read: {error}");
                if !warnings.contains(&note) {
                    warnings.push(note);
                }
            }
        }
    }
    out
}

/// Pages of `/api/v1/iam/assignees/users`, which the spec pages by `_links.next` in the
/// body (`{value, _links}`); a `Link` header is used when the body has none. Only the
/// `after` of a next link is taken, so every request goes to the org's own origin.
fn assignee_pages(
    client: OktaClient,
    after: Option<String>,
) -> BoxStream<'static, Result<Page, ApiError>> {
    futures::stream::unfold(Some(after), move |from| {
        let client = client.clone();
        async move {
            let after = from?;
            let request = ApiRequest::get(ApiPath::new(IAM_ASSIGNEES))
                .query("limit", ASSIGNEE_PAGE)
                .query_opt("after", after);
            let response = match client.send(request).await {
                Ok(response) => response,
                Err(e) => return Some((Err(e), None)),
            };
            let body_next = response.body["_links"]["next"]["href"]
                .as_str()
                .map(|href| next_after(client.org_url(), href));
            let (next_cursor, unfollowed_next) = match body_next {
                Some(Ok(after)) => (Some(after), None),
                Some(Err(reason)) => (None, Some(reason)),
                None => (response.next_cursor, response.unfollowed_next),
            };
            let items = match response.body {
                Value::Object(mut body) => array(body.remove("value").unwrap_or(Value::Null)),
                other => array(other),
            };
            let following = next_cursor.clone().map(Some);
            let page = Page {
                items,
                next_cursor,
                unfollowed_next,
            };
            Some((Ok(page), following))
        }
    })
    .boxed()
}

/// The `after` of a body next link on the org's origin; why it is not followed otherwise.
fn next_after(org: &url::Url, href: &str) -> Result<String, String> {
    let url = url::Url::parse(href)
        .map_err(|_| format!("the next link {href:?} is not a URL; results are incomplete"))?;
    if url.origin() != org.origin() {
        return Err(format!(
            "the org's next link pointed to another origin ({}), not followed; results are incomplete",
            url.origin().ascii_serialization()
        ));
    }
    url.query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| "the org's next link has no after cursor; results are incomplete".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        for phase in [
            Phase::Users(None),
            Phase::Users(Some("00u1".into())),
            Phase::Groups(Some("00g/x=".into())),
        ] {
            assert_eq!(Phase::decode(&phase.encode()).unwrap(), phase);
        }
        assert!(Phase::decode("00u1").is_err());
        assert!(Phase::decode("adm1.!!").is_err());
    }

    #[test]
    fn body_next_links_give_their_cursor_only_on_the_org() {
        let org = url::Url::parse("https://acme.okta.com").unwrap();
        assert_eq!(
            next_after(
                &org,
                "https://acme.okta.com/api/v1/iam/assignees/users?after=00u9&limit=1"
            )
            .unwrap(),
            "00u9"
        );
        assert!(
            next_after(
                &org,
                "https://evil.example/api/v1/iam/assignees/users?after=x"
            )
            .unwrap_err()
            .contains("another origin")
        );
        assert!(next_after(&org, "https://acme.okta.com/api/v1/iam/assignees/users").is_err());
    }

    #[test]
    fn a_group_role_names_its_group() {
        let role = json!({"assignmentType": "GROUP", "_links": {"assignee": {"href": "https://acme.okta.com/api/v1/groups/00g1"}}});
        assert_eq!(assignee_group(&role).as_deref(), Some("00g1"));
        let own = json!({"assignmentType": "USER", "_links": {"assignee": {"href": "https://acme.okta.com/api/v1/users/00u1"}}});
        assert_eq!(assignee_group(&own), None);
    }
}
