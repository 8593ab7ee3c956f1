//! The one engine behind every bulk tool (add_users_to_group, deactivate_users, …): up to
//! [`MAX_TARGETS`] users named by ID or login, each looked up, checked ("already so?") and
//! changed in turn, continuing past failures, one progress notification per item, paced by
//! the client's rate-limit pacing, stopping between items when the client cancels (or a
//! rate limit outlasts the call's wait budget), and reporting every item: ok, already so,
//! failed with Okta's error, not done. On a dry run each item's write is captured, not
//! sent, and listed as what it would do.

use crate::tools::common::{ProgressEvent, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::ids::UserId;
use crate::tools::support::plan;
use okta_client::{ApiError, ApiPath, ApiRequest, PlannedRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;

/// Most users one bulk call takes: one confirmation should not cover more than a person can
/// review, and a few hundred items finish within Okta's rate limits in minutes.
pub const MAX_TARGETS: usize = 500;

/// Targets a confirmation question names before "and N more".
const NAMED_IN_QUESTION: usize = 5;

/// Users per page when a search chooses the targets: three pages cover [`MAX_TARGETS`] and
/// show whether there are more.
const SEARCH_PAGE: usize = 200;

/// Whom a bulk call is for, as every bulk tool takes it (flattened into its params).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub struct BulkTargets {
    /// Users by ID (00u…) or login, at most 500.
    #[serde(default)]
    pub users: Vec<UserId>,
    /// Instead of users: an Okta user search expression, e.g. `profile.department eq "Sales"`
    /// or `status eq "LOCKED_OUT"`; every match (at most 500).
    #[serde(default)]
    pub search: Option<String>,
}

impl BulkTargets {
    /// The users as listed, or every user the search matches now (by ID). Exactly one of
    /// the two; a search matching more than [`MAX_TARGETS`] users is refused, not cut.
    /// The confirmation and the run each resolve it, so the question names what is there
    /// when it is asked.
    pub async fn resolve(&self, ctx: &ToolCtx) -> Result<Vec<UserId>, ToolError> {
        let search = self.search.as_deref().map(str::trim);
        match (self.users.is_empty(), search) {
            (false, Some(_)) => Err(ToolError::InvalidArguments(
                "give users or search, not both".into(),
            )),
            (false, None) => Ok(self.users.clone()),
            (true, None) => Err(ToolError::InvalidArguments(
                "users: give at least one user ID or login, or a search expression".into(),
            )),
            (true, Some("")) => Err(ToolError::InvalidArguments(
                "search: empty; give an Okta user search expression such as profile.department eq \"Sales\"".into(),
            )),
            (true, Some(expression)) => users_matching(ctx, expression).await,
        }
    }
}

/// Every user Okta's user search matches, by ID; more than [`MAX_TARGETS`] is an error.
async fn users_matching(ctx: &ToolCtx, expression: &str) -> Result<Vec<UserId>, ToolError> {
    let request = ApiRequest::get(ApiPath::new(paths::USERS))
        .query("search", expression)
        .query("limit", SEARCH_PAGE);
    let observer = Observer::new(ctx.cancel.clone(), None);
    let pages = MAX_TARGETS.div_ceil(SEARCH_PAGE) + 1;
    let mut walk = PageWalk::new(&observer, ctx.client.pages(request), pages);
    let mut ids = Vec::new();
    while let Some(page) = walk.next().await {
        ids.extend(
            page.items
                .iter()
                .filter_map(|user| user["id"].as_str().map(str::to_owned)),
        );
        if ids.len() > MAX_TARGETS {
            walk.stop();
        }
    }
    let too_many = || {
        ToolError::InvalidArguments(format!(
            "search: matches more than {MAX_TARGETS} users; one call takes at most {MAX_TARGETS}: narrow the expression"
        ))
    };
    match walk.finish().end {
        WalkEnd::Failed(error) => return Err(error.into()),
        WalkEnd::Cancelled => {
            return Err(ToolError::Refused(
                "cancelled while reading the users the search matches; nothing was changed".into(),
            ));
        }
        WalkEnd::Unfollowed(why) => {
            return Err(ToolError::Refused(format!(
                "could not read every user the search matches ({why}); nothing was changed"
            )));
        }
        WalkEnd::PageCap { .. } | WalkEnd::Stopped => return Err(too_many()),
        WalkEnd::Complete => {}
    }
    if ids.is_empty() {
        return Err(ToolError::InvalidArguments(format!(
            "search: no user matches {expression}; nothing to do"
        )));
    }
    ids.into_iter()
        .map(|id| UserId::try_from(id).map_err(|e| ToolError::InvalidArguments(e.to_string())))
        .collect()
}

/// What a bulk tool decided for one user, after reading it.
pub enum Step {
    /// Nothing to do; the text says why ("already a member").
    Already(String),
    /// The write that makes the change; the text says what it did ("added").
    Change(Box<ApiRequest>, &'static str),
}

impl Step {
    /// `request` makes the change; `done` says what it did ("added").
    pub fn change(request: ApiRequest, done: &'static str) -> Self {
        Step::Change(Box::new(request), done)
    }
}

/// How one item ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Already,
    Failed,
    NotDone,
    WouldChange,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Already => "already",
            Outcome::Failed => "failed",
            Outcome::NotDone => "not_done",
            Outcome::WouldChange => "would_change",
        }
    }
}

/// Why a bulk call stopped before its last item.
enum Stop {
    Cancelled,
    RateLimited(String),
}

/// The targets as given, checked: at least one, at most [`MAX_TARGETS`], duplicates
/// (the same text twice) dropped, order kept.
pub fn targets(users: &[UserId]) -> Result<Vec<String>, ToolError> {
    if users.is_empty() {
        return Err(ToolError::InvalidArguments(
            "users: give at least one user ID or login".into(),
        ));
    }
    if users.len() > MAX_TARGETS {
        return Err(ToolError::InvalidArguments(format!(
            "users: {} users given; one call takes at most {MAX_TARGETS}: split the list into several calls",
            users.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(users
        .iter()
        .map(|u| u.to_string())
        .filter(|u| seen.insert(u.to_ascii_lowercase()))
        .collect())
}

/// The one confirmation question of a bulk call: the action, the count and the first
/// targets, e.g. "Deactivate 12 users (jane@acme.com, 00u2…, bob@acme.com, and 9 more)?".
pub fn question(action: &str, users: &[UserId], consequence: &str) -> Result<String, ToolError> {
    let targets = targets(users)?;
    let named: Vec<&str> = targets
        .iter()
        .take(NAMED_IN_QUESTION)
        .map(String::as_str)
        .collect();
    let more = targets.len().saturating_sub(named.len());
    let list = if more > 0 {
        format!("{}, and {more} more", named.join(", "))
    } else {
        named.join(", ")
    };
    let noun = if targets.len() == 1 { "user" } else { "users" };
    Ok(format!(
        "{action} {} {noun} ({list})? {consequence}",
        targets.len()
    ))
}

/// Okta's error as one line for an item: `E0000032: Unlock is not allowed… (cause)`.
fn summary(error: &ToolError) -> String {
    match error {
        ToolError::Api(ApiError::Okta { body, status, .. }) => {
            let mut text = if body.error_code.is_empty() {
                format!("HTTP {status}: {}", body.error_summary)
            } else {
                format!("{}: {}", body.error_code, body.error_summary)
            };
            let causes: Vec<&str> = body
                .error_causes
                .iter()
                .map(|c| c.error_summary.as_str())
                .filter(|c| !c.is_empty())
                .collect();
            if !causes.is_empty() {
                text.push_str(&format!(" ({})", causes.join("; ")));
            }
            text
        }
        other => other.to_string(),
    }
}

/// One item's line in the result.
fn item(target: &str, user_id: Option<&str>, outcome: Outcome, detail: &str) -> Value {
    let mut line = json!({"target": target, "result": outcome.name()});
    if let Some(id) = user_id.filter(|id| *id != target) {
        line["user_id"] = json!(id);
    }
    if !detail.is_empty() {
        line["detail"] = json!(detail);
    }
    line
}

/// Runs `tool`'s change for every user in `users`: looks each up (`GET /users/{id or
/// login}`), asks `decide` what to do with the user object, and sends the change. Returns
/// the per-item report; a bad target list is the only error (nothing is done then).
pub async fn run<F, Fut>(
    ctx: &ToolCtx,
    tool: &str,
    users: &[UserId],
    decide: F,
) -> Result<Value, ToolError>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Result<Step, ToolError>>,
{
    let targets = targets(users)?;
    let total = targets.len();
    let dry_run = ctx.client.is_planning();
    let mut items = Vec::with_capacity(total);
    let mut stop = None;
    for (index, target) in targets.iter().enumerate() {
        if stop.is_none() && ctx.cancel.is_cancelled() {
            stop = Some(Stop::Cancelled);
        }
        if stop.is_some() {
            items.push((Outcome::NotDone, item(target, None, Outcome::NotDone, "")));
            continue;
        }
        let (outcome, line) = one(ctx, target, &decide, &mut stop).await;
        if let Some(progress) = &ctx.progress {
            let detail = line["detail"].as_str().unwrap_or_default();
            progress(ProgressEvent::Step {
                done: index as u64 + 1,
                total: total as u64,
                message: format!(
                    "{}/{total} {target}: {}{}{detail}",
                    index + 1,
                    outcome.name(),
                    if detail.is_empty() { "" } else { ": " }
                ),
            });
        }
        items.push((outcome, line));
    }
    let count = |wanted: Outcome| items.iter().filter(|(o, _)| *o == wanted).count();
    let (ok, already, failed, not_done, would) = (
        count(Outcome::Ok),
        count(Outcome::Already),
        count(Outcome::Failed),
        count(Outcome::NotDone),
        count(Outcome::WouldChange),
    );
    let stopped = match &stop {
        None => None,
        Some(Stop::Cancelled) => Some("cancelled".to_owned()),
        Some(Stop::RateLimited(why)) => Some(format!("rate_limited: {why}")),
    };
    let message = if dry_run {
        format!(
            "Dry run: nothing was sent. {tool} would change {would} of {total} users; {already} already so, {failed} would fail."
        )
    } else {
        let mut text = format!(
            "{tool}: {ok} changed, {already} already so, {failed} failed, {not_done} not done, of {total}."
        );
        match &stop {
            Some(Stop::Cancelled) => text.push_str(
                " Cancelled by the client: the items marked not_done were not attempted.",
            ),
            Some(Stop::RateLimited(_)) => text.push_str(
                " Stopped at Okta's rate limit: call again later with the users marked not_done.",
            ),
            None => {}
        }
        text
    };
    if stop.is_some() {
        // A cancelled call's result is not sent (MCP drops it): say what was done where the
        // client can still see it, in the log (forwarded as notifications/message) and as a
        // last progress message.
        tracing::warn!(tool, ok, already, failed, not_done, "{message}");
        if let Some(progress) = &ctx.progress {
            progress(ProgressEvent::Waiting(message.clone()));
        }
    }
    let mut result = json!({
        "tool": tool,
        "dry_run": dry_run,
        "total": total,
        "ok": ok,
        "already": already,
        "failed": failed,
        "not_done": not_done,
        "message": message,
        "items": items.into_iter().map(|(_, line)| line).collect::<Vec<_>>(),
    });
    if dry_run {
        result["would_change"] = json!(would);
    }
    if let Some(stopped) = stopped {
        result["stopped"] = json!(stopped);
    }
    Ok(result)
}

/// One item: look the user up, decide, change. Sets `stop` when a rate limit outlasts
/// the call's wait budget (every later item would fail the same way).
async fn one<F, Fut>(
    ctx: &ToolCtx,
    target: &str,
    decide: &F,
    stop: &mut Option<Stop>,
) -> (Outcome, Value)
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Result<Step, ToolError>>,
{
    let failed = |id: Option<&str>, e: &ToolError, stop: &mut Option<Stop>| {
        if let ToolError::Api(ApiError::RateLimited { .. }) = e {
            *stop = Some(Stop::RateLimited(e.to_string()));
        }
        (
            Outcome::Failed,
            item(target, id, Outcome::Failed, &summary(e)),
        )
    };
    let user = match ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS).id(target)))
        .await
    {
        Ok(found) => found.body,
        Err(e) => return failed(None, &e.into(), stop),
    };
    let id = user["id"].as_str().unwrap_or(target).to_owned();
    let (request, done) = match decide(user).await {
        Ok(Step::Already(why)) => {
            return (
                Outcome::Already,
                item(target, Some(&id), Outcome::Already, &why),
            );
        }
        Ok(Step::Change(request, done)) => (request, done),
        Err(e) => return failed(Some(&id), &e, stop),
    };
    let planned = PlannedRequest::of(&request);
    match ctx.client.send(*request).await {
        Ok(_) => (Outcome::Ok, item(target, Some(&id), Outcome::Ok, done)),
        Err(ApiError::NotSent { .. }) => {
            let mut line = item(target, Some(&id), Outcome::WouldChange, "");
            line["request"] = plan::request_value(&planned);
            (Outcome::WouldChange, line)
        }
        Err(e) => failed(Some(&id), &e.into(), stop),
    }
}

/// The outputSchema every bulk tool declares (compact: every byte goes into tools/list).
pub fn output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "tool": {"type": "string"},
            "dry_run": {"type": "boolean"},
            "total": {"type": "integer"},
            "ok": {"type": "integer"},
            "already": {"type": "integer"},
            "failed": {"type": "integer"},
            "not_done": {"type": "integer"},
            "would_change": {"type": "integer"},
            "stopped": {"type": "string"},
            "message": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object", "required": ["target", "result"]}}
        },
        // Only what the server's confirmation and "not done" answers carry as well.
        "required": ["tool", "message"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<UserId> {
        (0..n)
            .map(|i| UserId::try_from(format!("user{i}@acme.com")).unwrap())
            .collect()
    }

    #[test]
    fn the_target_list_is_bounded_and_deduplicated() {
        assert!(
            targets(&[])
                .unwrap_err()
                .to_string()
                .contains("at least one")
        );
        let err = targets(&ids(MAX_TARGETS + 1)).unwrap_err().to_string();
        assert!(
            err.contains("501 users given") && err.contains("at most 500"),
            "{err}"
        );
        assert_eq!(targets(&ids(MAX_TARGETS)).unwrap().len(), MAX_TARGETS);
        let twice = [
            ids(2),
            vec![UserId::try_from("USER0@acme.com".to_owned()).unwrap()],
        ]
        .concat();
        assert_eq!(
            targets(&twice).unwrap(),
            ["user0@acme.com", "user1@acme.com"]
        );
    }

    #[test]
    fn the_question_names_the_count_and_the_first_targets() {
        let q = question("Deactivate", &ids(8), "They lose access.").unwrap();
        assert_eq!(
            q,
            "Deactivate 8 users (user0@acme.com, user1@acme.com, user2@acme.com, user3@acme.com, user4@acme.com, and 3 more)? They lose access."
        );
        let one = question("Unlock", &ids(1), "").unwrap();
        assert!(one.starts_with("Unlock 1 user (user0@acme.com)?"), "{one}");
    }
}
