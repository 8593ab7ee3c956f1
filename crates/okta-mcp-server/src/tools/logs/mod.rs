//! The System Log: raw events, bounded and compact, and a login-failure report.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::listing;
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::time_window::iso8601;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;

pub mod event_types;
mod login_failures;
mod summary;
mod window;

/// Okta's /api/v1/logs: default page 100, maximum 1,000.
const LOG_LIST: ListRules = ListRules {
    default_limit: Some(100),
    max_limit: 1000,
    fetch_all_limit: 1000,
    max_pages: 50,
};

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum SortOrder {
    Ascending,
    Descending,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetLogsParams {
    /// Start of the window, ISO 8601 (e.g. `2026-11-28T00:00:00Z`). Okta's default is 7 days ago.
    #[serde(default)]
    pub since: Option<String>,
    /// End of the window, ISO 8601. Give it for a bounded query.
    #[serde(default)]
    pub until: Option<String>,
    /// Okta filter expression, e.g. `eventType eq "user.session.start" and outcome.result eq "FAILURE"`; also actor.id, target.id, severity.
    #[serde(default)]
    pub filter: Option<String>,
    /// Keyword search across event fields (space-separated terms, all must match).
    #[serde(default)]
    pub q: Option<String>,
    /// Order by `published` (default ASCENDING).
    #[serde(default)]
    pub sort_order: Option<SortOrder>,
    #[serde(flatten)]
    pub paging: Paging,
    /// Comma-separated dotted paths per event, e.g. `published,eventType,outcome.result,actor.alternateId,client.ipAddress`.
    #[serde(default)]
    pub fields: Option<String>,
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        get_logs(),
        login_failures::get_login_failures(),
        summary::summarize_logs(),
    ]
}

pub fn get_logs() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_logs",
            title: "Get System Log events",
            description: "Read Okta System Log events in a time window, newest data up to ~90 days. Narrow with `filter`/`q` and `since`/`until`, and pick `fields` to keep results small. For counts ('how many failed logins, from where') prefer a summary over fetch_all.",
            toolset: Toolset::Logs,
            scope: Some("okta.logs.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: GetLogsParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let since = p
                .since
                .as_deref()
                .map(|s| iso8601("since", s))
                .transpose()?;
            let until = p
                .until
                .as_deref()
                .map(|s| iso8601("until", s))
                .transpose()?;
            let filter = p.filter.filter(|f| !f.trim().is_empty());
            let q = p.q.filter(|q| !q.trim().is_empty());
            let descending = p.sort_order == Some(SortOrder::Descending);
            let request = |since: Option<String>, until: Option<String>| {
                ApiRequest::get(ApiPath::new(paths::LOGS))
                    .query_opt("since", since)
                    .query_opt("until", until)
                    .query_opt("filter", filter.clone())
                    .query_opt("q", q.clone())
                    .query_opt("sortOrder", descending.then_some("DESCENDING"))
            };
            // A bounded, ascending window can be fetched in concurrent slices.
            let window = match (&since, &until) {
                (Some(s), Some(u)) if !descending => chrono::DateTime::parse_from_rfc3339(s)
                    .ok()
                    .zip(chrono::DateTime::parse_from_rfc3339(u).ok()),
                _ => None,
            };
            match window {
                Some(window) => {
                    let make = |s: String, u: String| request(Some(s), Some(u));
                    window::list_window(&ctx, make, window, &p.paging, LOG_LIST, fields.as_ref())
                        .await
                }
                None => {
                    listing::list(
                        &ctx,
                        request(since, until),
                        &p.paging,
                        LOG_LIST,
                        fields.as_ref(),
                    )
                    .await
                }
            }
        },
    )
    .returns(schemas::list_of(schemas::log_event()))
}
