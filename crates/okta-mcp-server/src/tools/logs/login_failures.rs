//! get_login_failures: failed (FAILURE) and denied (DENY) events of a time window, fetched
//! concurrently, split into sign-in events and the rest, and counted by user, IP and type.

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::field_selection::{self, Fields};
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::time_window::iso8601;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Event types that are sign-in attempts (the anchor's list).
const LOGIN_EVENT_TYPES: [&str; 8] = [
    "user.session.start",
    "user.authentication.auth_via_mfa",
    "user.authentication.sso",
    "user.authentication.auth_via_IDP",
    "user.authentication.auth_via_social",
    "user.authentication.auth_via_radius",
    "policy.evaluate_sign_on",
    "app.generic.unauth_app_access_attempt",
];

const PAGE_SIZE: u32 = 200;
/// Pages walked per outcome (10,000 events each).
const MAX_PAGES: usize = 50;
/// Entries in each "top" list of the summary.
const TOP: usize = 10;
/// What is kept of each listed event.
const EVENT_FIELDS: &str = "uuid,published,eventType,displayMessage,severity,outcome.result,outcome.reason,actor.id,actor.alternateId,actor.displayName,client.ipAddress,client.userAgent.rawUserAgent,client.geographicalContext.city,client.geographicalContext.country";

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct LoginFailuresParams {
    /// ISO 8601 (default: 24 hours ago).
    #[serde(default)]
    pub since: Option<String>,
    /// ISO 8601 (default: now).
    #[serde(default)]
    pub until: Option<String>,
    /// User ID or login.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Keyword search, e.g. an IP.
    #[serde(default)]
    pub q: Option<String>,
}

pub fn get_login_failures() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_login_failures",
            title: "Get login failures",
            description: "Failed and denied sign-ins in a window (default 24h), newest first, with counts by user, IP and event type.",
            toolset: Toolset::Logs,
            scope: Some("okta.logs.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: LoginFailuresParams| async move { login_failures(&ctx, p).await },
    )
    .returns(schemas::requiring(schemas::object(&[("failures", "object"), ("denials", "object"), ("summary", "object"), ("time_window", "object"), ("scoped_to_user", "string"), ("warnings", "array")]), &["failures", "denials", "summary", "time_window"]))
}

async fn login_failures(ctx: &ToolCtx, p: LoginFailuresParams) -> Result<Value, ToolError> {
    let now = chrono::Utc::now();
    let until = match p.until.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(u) => iso8601("until", u)?,
        None => okta_time(now),
    };
    let since = match p.since.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => iso8601("since", s)?,
        None => okta_time(now - chrono::Duration::hours(24)),
    };
    if parsed(&since) >= parsed(&until) {
        return Err(ToolError::InvalidArguments(format!(
            "since ({since}) must be before until ({until})"
        )));
    }
    let user = p.user_id.filter(|u| !u.trim().is_empty());
    let q = p.q.filter(|q| !q.trim().is_empty());
    let fields = Fields::parse(Some(EVENT_FIELDS))
        .map_err(ToolError::InvalidArguments)?
        .unwrap_or_default();
    let budget = ctx.settings.max_result_bytes / 2;
    let query = |outcome: &str| {
        ApiRequest::get(ApiPath::new(paths::LOGS))
            .query("since", &since)
            .query("until", &until)
            .query("filter", outcome_filter(outcome, user.as_deref()))
            .query_opt("q", q.clone())
            .query("sortOrder", "DESCENDING")
            .query("limit", PAGE_SIZE)
    };
    let observer = Observer::of(ctx);
    let (mut failures, denials) = futures::join!(
        walk(ctx, &observer, query("FAILURE"), &fields, budget),
        walk(ctx, &observer, query("DENY"), &fields, budget)
    );
    // Both outcomes failing outright (a missing scope, a bad window) is an error, not data.
    if failures.pages == 0
        && denials.pages == 0
        && denials.error.is_some()
        && let Some(e) = failures.error.take()
    {
        return Err(e.into());
    }

    let mut warnings = Vec::new();
    for (name, walked) in [("failures", &failures), ("denials", &denials)] {
        if let Some(e) = &walked.error {
            warnings.push(format!("{name}: could not be read completely: {e}"));
        } else if let Some(reason) = &walked.stop_reason {
            warnings.push(format!("{name}: {reason}"));
        }
        if walked.listed < walked.total {
            warnings.push(format!(
                "{name}: {} of {} events listed (the newest) to stay under the result size limit; counts cover all {}",
                walked.listed, walked.total, walked.total
            ));
        }
    }
    let summary = summarize(&failures, &denials, &since, &until);
    let mut out = json!({
        "failures": failures.to_value(),
        "denials": denials.to_value(),
        "summary": summary,
        "time_window": {"since": since, "until": until},
    });
    if let Some(user) = user {
        out["scoped_to_user"] = json!(user);
    }
    if !warnings.is_empty() {
        out["warnings"] = json!(warnings);
    }
    Ok(out)
}

/// `outcome.result eq "X"`, narrowed to one actor; the user value is escaped (`\"`, `\\`)
/// so it always stays one string literal inside the filter.
pub fn outcome_filter(outcome: &str, user: Option<&str>) -> String {
    let mut filter = format!("outcome.result eq \"{outcome}\"");
    if let Some(user) = user {
        let field = if user.contains('@') {
            "actor.alternateId"
        } else {
            "actor.id"
        };
        filter.push_str(&format!(" and {field} eq \"{}\"", escape(user.trim())));
    }
    filter
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

fn okta_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn parsed(t: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(t).ok()
}

/// One outcome's walk: listed events (within the byte budget) and counts over every event.
#[derive(Default)]
struct Walked {
    login_events: Vec<Value>,
    other_events: Vec<Value>,
    total: usize,
    listed: usize,
    logins: usize,
    pages: usize,
    stop_reason: Option<String>,
    error: Option<ApiError>,
    by_user: HashMap<String, usize>,
    by_ip: HashMap<String, usize>,
    by_type: HashMap<String, usize>,
}

impl Walked {
    fn to_value(&self) -> Value {
        let mut pagination = json!({
            "pages_fetched": self.pages,
            "stopped_early": self.stop_reason.is_some() || self.error.is_some(),
            "stop_reason": self.stop_reason,
        });
        if let Some(e) = &self.error {
            pagination["error"] =
                crate::tools::error::ToolError::Api(clone_error(e)).to_value("get_login_failures");
        }
        json!({
            "login_events": self.login_events,
            "other_events": self.other_events,
            "total": self.total,
            "listed": self.listed,
            "pagination": pagination,
        })
    }

    fn count(&mut self, event: &Value) {
        self.total += 1;
        let event_type = event["eventType"].as_str().unwrap_or("unknown");
        if LOGIN_EVENT_TYPES.contains(&event_type) {
            self.logins += 1;
        }
        *self.by_type.entry(event_type.to_owned()).or_default() += 1;
        let user = event["actor"]["alternateId"]
            .as_str()
            .or(event["actor"]["id"].as_str())
            .unwrap_or("unknown");
        *self.by_user.entry(user.to_owned()).or_default() += 1;
        if let Some(ip) = event["client"]["ipAddress"].as_str() {
            *self.by_ip.entry(ip.to_owned()).or_default() += 1;
        }
    }
}

async fn walk(
    ctx: &ToolCtx,
    observer: &Observer,
    request: ApiRequest,
    fields: &Fields,
    budget: usize,
) -> Walked {
    let mut walked = Walked::default();
    let mut used = 0usize;
    let mut pages = PageWalk::new(observer, ctx.client.pages(request), MAX_PAGES);
    while let Some(page) = pages.next().await {
        let mut listed = 0;
        for raw in page.items {
            walked.count(&raw);
            let is_login = raw["eventType"]
                .as_str()
                .is_some_and(|t| LOGIN_EVENT_TYPES.contains(&t));
            let targets = compact_targets(&raw["target"]);
            let mut event = field_selection::shape(raw, Some(fields));
            if let Some(targets) = targets {
                event["target"] = targets;
            }
            let size = serde_json::to_vec(&event).map(|b| b.len() + 1).unwrap_or(0);
            if used + size > budget {
                continue;
            }
            used += size;
            listed += 1;
            if is_login {
                walked.login_events.push(event);
            } else {
                walked.other_events.push(event);
            }
        }
        walked.listed += listed;
        pages.took(listed as u64);
    }
    let ended = pages.finish();
    walked.pages = ended.pages;
    match ended.end {
        WalkEnd::Complete | WalkEnd::Stopped => {}
        WalkEnd::Cancelled => walked.stop_reason = Some("cancelled by the client".into()),
        WalkEnd::Unfollowed(reason) => walked.stop_reason = Some(reason),
        WalkEnd::PageCap { .. } => {
            walked.stop_reason = Some(format!(
                "reached the page limit ({MAX_PAGES} pages of {PAGE_SIZE}); older events in the window were not read — narrow since/until"
            ));
        }
        WalkEnd::Failed(error) => walked.error = Some(error),
    }
    walked
}

/// The event's targets as `{type, alternateId, displayName}` (which app or policy was hit).
fn compact_targets(target: &Value) -> Option<Value> {
    let items = target.as_array()?;
    let compact: Vec<Value> = items
        .iter()
        .map(|t| {
            let mut m = Map::new();
            for key in ["type", "alternateId", "displayName"] {
                if let Some(v) = t.get(key).filter(|v| !v.is_null()) {
                    m.insert(key.into(), v.clone());
                }
            }
            Value::Object(m)
        })
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
        .collect();
    (!compact.is_empty()).then_some(Value::Array(compact))
}

fn summarize(failures: &Walked, denials: &Walked, since: &str, until: &str) -> Value {
    let merged = |pick: fn(&Walked) -> &HashMap<String, usize>| {
        let mut all: HashMap<&str, usize> = HashMap::new();
        for walked in [failures, denials] {
            for (k, v) in pick(walked) {
                *all.entry(k.as_str()).or_default() += v;
            }
        }
        let mut sorted: Vec<(&str, usize)> = all.into_iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        sorted
    };
    let top = |sorted: Vec<(&str, usize)>, key: &str| -> Value {
        sorted
            .into_iter()
            .take(TOP)
            .map(|(k, n)| json!({ key: k, "count": n }))
            .collect()
    };
    let event_types: Map<String, Value> = merged(|w| &w.by_type)
        .into_iter()
        .map(|(k, n)| (k.to_owned(), json!(n)))
        .collect();
    json!({
        "text": format!(
            "{} failed and {} denied events between {since} and {until}; {} of them sign-in attempts.",
            failures.total, denials.total, failures.logins + denials.logins
        ),
        "total_failures": failures.total,
        "total_denials": denials.total,
        "login_failures": failures.logins,
        "login_denials": denials.logins,
        "top_users": top(merged(|w| &w.by_user), "user"),
        "top_ips": top(merged(|w| &w.by_ip), "ip"),
        "event_types": event_types,
    })
}

/// ApiError is not Clone; errors are rebuilt from their parts where a copy is needed.
fn clone_error(e: &ApiError) -> ApiError {
    match e {
        ApiError::Okta {
            status,
            body,
            rate_limit,
            request_id,
        } => ApiError::Okta {
            status: *status,
            body: body.clone(),
            rate_limit: *rate_limit,
            request_id: request_id.clone(),
        },
        ApiError::Network(m) => ApiError::Network(m.clone()),
        ApiError::Decode(m) => ApiError::Decode(m.clone()),
        ApiError::ForeignNextLink(m) => ApiError::ForeignNextLink(m.clone()),
        ApiError::InvalidRequest(m) => ApiError::InvalidRequest(m.clone()),
        ApiError::RateLimited {
            family,
            retry_in,
            reset,
            max_wait,
        } => ApiError::RateLimited {
            family: family.clone(),
            retry_in: *retry_in,
            reset: *reset,
            max_wait: *max_wait,
        },
        other => ApiError::Decode(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_in_the_user_cannot_leave_the_string() {
        assert_eq!(outcome_filter("DENY", None), "outcome.result eq \"DENY\"");
        assert_eq!(
            outcome_filter("FAILURE", Some("00u1")),
            "outcome.result eq \"FAILURE\" and actor.id eq \"00u1\""
        );
        assert_eq!(
            outcome_filter("FAILURE", Some("x\" or actor.id pr or \"a")),
            "outcome.result eq \"FAILURE\" and actor.id eq \"x\\\" or actor.id pr or \\\"a\""
        );
        assert_eq!(
            outcome_filter("FAILURE", Some("jane@acme.com\\")),
            "outcome.result eq \"FAILURE\" and actor.alternateId eq \"jane@acme.com\\\\\""
        );
    }

    #[test]
    fn counts_cover_every_event() {
        let mut w = Walked::default();
        for (t, user, ip) in [
            ("user.session.start", "a@x", "1.1.1.1"),
            ("user.session.start", "a@x", "1.1.1.1"),
            ("user.account.lock", "b@x", "2.2.2.2"),
        ] {
            w.count(&json!({"eventType": t, "actor": {"alternateId": user}, "client": {"ipAddress": ip}}));
        }
        assert_eq!(w.total, 3);
        assert_eq!(w.logins, 2);
        let s = summarize(&w, &Walked::default(), "s", "u");
        assert_eq!(s["top_users"][0], json!({"user": "a@x", "count": 2}));
        assert_eq!(s["top_ips"][1], json!({"ip": "2.2.2.2", "count": 1}));
        assert_eq!(s["event_types"]["user.session.start"], 2);
        assert_eq!(s["login_failures"], 2);
    }
}
