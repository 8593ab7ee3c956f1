//! summarize_logs: the answer to "how many failed sign-ins yesterday, and from where?" in a
//! few KB instead of megabytes. Every page is streamed and folded into counters at once; a
//! bounded window is split into slices fetched concurrently (the client paces them within
//! the rate limit).

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::time_window::{iso8601, split_window, stamp};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use chrono::{DateTime, FixedOffset, Utc};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Pages of 1,000 events; at most this many pages per summary (200,000 events).
const PAGE_SIZE: u32 = 1000;
const MAX_PAGES: usize = 200;
/// Concurrent slices of a bounded window.
const SLICES: usize = 4;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct SummarizeLogsParams {
    /// Start of the window, ISO 8601, e.g. `2026-11-28T00:00:00Z`. Default: 24 hours ago.
    #[serde(default)]
    pub since: Option<String>,
    /// End of the window, ISO 8601. Default: now.
    #[serde(default)]
    pub until: Option<String>,
    /// Okta filter expression, e.g. `outcome.result eq "FAILURE"` or `eventType sw "user.authentication"`.
    #[serde(default)]
    pub filter: Option<String>,
    /// Keyword search across event fields.
    #[serde(default)]
    pub q: Option<String>,
    /// How many entries each top list keeps (default 10, at most 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub top: Option<usize>,
}

pub fn summarize_logs() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "summarize_logs",
            title: "Summarize System Log events",
            description: "Count System Log events in a window without returning them: total, counts by outcome, and top event types, actors, client IPs and countries with first/last seen. Takes get_logs' filters. Use it for 'how many / who / from where' questions; use get_logs to see individual events.",
            toolset: Toolset::Logs,
            scope: Some("okta.logs.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: SummarizeLogsParams| async move { summarize(&ctx, p).await },
    )
    .returns(schemas::requiring(schemas::object(&[("window", "object"), ("filter", "string|null"), ("q", "string|null"), ("total", "integer"), ("by_outcome", "object"), ("top_event_types", "array"), ("top_actors", "array"), ("top_client_ips", "array"), ("top_countries", "array"), ("distinct", "object"), ("pages_fetched", "integer"), ("stopped_early", "boolean"), ("stop_reason", "string|null")]), &["window", "total", "stopped_early"]))
}

async fn summarize(ctx: &ToolCtx, p: SummarizeLogsParams) -> Result<Value, ToolError> {
    let now = Utc::now();
    let until = match &p.until {
        Some(u) => parse(&iso8601("until", u)?)?,
        None => now.fixed_offset(),
    };
    let since = match &p.since {
        Some(s) => parse(&iso8601("since", s)?)?,
        None => (now - chrono::Duration::hours(24)).fixed_offset(),
    };
    if since >= until {
        return Err(ToolError::InvalidArguments(
            "since must be before until".into(),
        ));
    }
    let top = p.top.unwrap_or(10).clamp(1, 100);
    let filter = p.filter.filter(|f| !f.trim().is_empty());
    let q = p.q.filter(|q| !q.trim().is_empty());

    let slices = split_window(since, until, SLICES);
    let per_slice_pages = MAX_PAGES.div_ceil(slices.len());
    let observer = Observer::of(ctx);
    let runs = slices.into_iter().map(|(from, to)| {
        let request = ApiRequest::get(ApiPath::new(paths::LOGS))
            .query("since", stamp(from))
            .query("until", stamp(to))
            .query("limit", PAGE_SIZE)
            .query_opt("filter", filter.clone())
            .query_opt("q", q.clone());
        fold_pages(ctx, &observer, request, per_slice_pages)
    });
    let mut summary = Summary::default();
    let mut stop_reasons = Vec::new();
    for result in futures::future::join_all(runs).await {
        let (part, stopped) = result?;
        summary.merge(part);
        stop_reasons.extend(stopped);
    }
    Ok(json!({
        "window": {"since": stamp(since), "until": stamp(until)},
        "filter": filter,
        "q": q,
        "total": summary.total,
        "by_outcome": summary.outcomes.sorted_counts(),
        "top_event_types": summary.event_types.top(top),
        "top_actors": summary.actors.top(top),
        "top_client_ips": summary.ips.top(top),
        "top_countries": summary.countries.top(top),
        "distinct": {
            "event_types": summary.event_types.0.len(),
            "actors": summary.actors.0.len(),
            "client_ips": summary.ips.0.len(),
            "countries": summary.countries.0.len(),
        },
        "pages_fetched": summary.pages,
        "stopped_early": !stop_reasons.is_empty(),
        "stop_reason": if stop_reasons.is_empty() { Value::Null } else { json!(stop_reasons.join("; ")) },
    }))
}

/// Streams one slice's pages into a fresh summary. Returns why it stopped early, if it did.
async fn fold_pages(
    ctx: &ToolCtx,
    observer: &Observer,
    request: ApiRequest,
    max_pages: usize,
) -> Result<(Summary, Option<String>), ToolError> {
    let mut summary = Summary::default();
    let mut pages = PageWalk::new(observer, ctx.client.raw_pages(request), max_pages);
    while let Some(page) = pages.next().await {
        for event in &page.items {
            summary.add_raw(event);
        }
        pages.took(page.items.len() as u64);
        // An empty page is the end of the slice, whatever its next link says.
        if page.items.is_empty() && page.unfollowed_next.is_none() {
            pages.stop();
        }
    }
    let walked = pages.finish();
    summary.pages = walked.pages;
    let stopped = match walked.end {
        WalkEnd::Complete | WalkEnd::Stopped => None,
        WalkEnd::Cancelled => Some("cancelled by the client".into()),
        WalkEnd::Unfollowed(reason) => Some(reason),
        WalkEnd::PageCap { .. } => Some(format!(
            "page limit reached ({max_pages} pages of {PAGE_SIZE} in one slice); narrow the window or add a filter"
        )),
        WalkEnd::Failed(error) => return Err(error.into()),
    };
    Ok((summary, stopped))
}

fn parse(s: &str) -> Result<DateTime<FixedOffset>, ToolError> {
    DateTime::parse_from_rfc3339(s).map_err(|e| ToolError::InvalidArguments(format!("{s:?}: {e}")))
}

#[derive(Default)]
struct Tally {
    count: u64,
    first: String,
    last: String,
}

#[derive(Default)]
struct Counter(HashMap<String, Tally>);

impl Counter {
    fn add(&mut self, key: &str, published: &str) {
        let t = self.0.entry(key.to_owned()).or_default();
        t.count += 1;
        if t.first.is_empty() || published < t.first.as_str() {
            t.first = published.to_owned();
        }
        if published > t.last.as_str() {
            t.last = published.to_owned();
        }
    }

    fn merge(&mut self, other: Counter) {
        for (key, t) in other.0 {
            let mine = self.0.entry(key).or_default();
            mine.count += t.count;
            if mine.first.is_empty() || (!t.first.is_empty() && t.first < mine.first) {
                mine.first = t.first;
            }
            if t.last > mine.last {
                mine.last = t.last;
            }
        }
    }

    fn sorted(&self) -> Vec<(&String, &Tally)> {
        let mut v: Vec<_> = self.0.iter().collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        v
    }

    fn top(&self, n: usize) -> Vec<Value> {
        self.sorted()
            .into_iter()
            .take(n)
            .map(|(k, t)| json!({"value": k, "count": t.count, "first_seen": t.first, "last_seen": t.last}))
            .collect()
    }

    fn sorted_counts(&self) -> serde_json::Map<String, Value> {
        self.sorted()
            .into_iter()
            .map(|(k, t)| (k.clone(), json!(t.count)))
            .collect()
    }
}

#[derive(Default)]
struct Summary {
    total: u64,
    pages: usize,
    outcomes: Counter,
    event_types: Counter,
    actors: Counter,
    ips: Counter,
    countries: Counter,
}

/// The fields a summary counts, read straight from an event's JSON text (everything else
/// is skipped unparsed, so a page never becomes a tree of values).
#[derive(Deserialize)]
struct Facts {
    published: Option<String>,
    #[serde(rename = "eventType")]
    event_type: Option<String>,
    outcome: Option<OutcomeFacts>,
    actor: Option<ActorFacts>,
    client: Option<ClientFacts>,
}

#[derive(Deserialize)]
struct OutcomeFacts {
    result: Option<String>,
}

#[derive(Deserialize)]
struct ActorFacts {
    id: Option<String>,
    #[serde(rename = "alternateId")]
    alternate_id: Option<String>,
}

#[derive(Deserialize)]
struct ClientFacts {
    #[serde(rename = "ipAddress")]
    ip_address: Option<String>,
    #[serde(rename = "geographicalContext")]
    geo: Option<GeoFacts>,
}

#[derive(Deserialize)]
struct GeoFacts {
    country: Option<String>,
}

impl Summary {
    /// Counts one event from its JSON text; an event of an unexpected shape (a field of
    /// another type) is read as a value instead, so it is still counted as far as it goes.
    fn add_raw(&mut self, raw: &serde_json::value::RawValue) {
        match serde_json::from_str::<Facts>(raw.get()) {
            Ok(facts) => self.add_facts(facts),
            Err(_) => {
                let value = serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null);
                self.add(&value);
            }
        }
    }

    fn add_facts(&mut self, f: Facts) {
        let published = f.published.as_deref().unwrap_or("");
        self.total += 1;
        let outcome = f.outcome.and_then(|o| o.result);
        self.outcomes
            .add(outcome.as_deref().unwrap_or("UNKNOWN"), published);
        if let Some(t) = &f.event_type {
            self.event_types.add(t, published);
        }
        if let Some(a) = f.actor.and_then(|a| a.alternate_id.or(a.id)) {
            self.actors.add(&a, published);
        }
        if let Some(client) = f.client {
            if let Some(ip) = &client.ip_address {
                self.ips.add(ip, published);
            }
            if let Some(c) = client.geo.and_then(|g| g.country) {
                self.countries.add(&c, published);
            }
        }
    }

    fn add(&mut self, e: &Value) {
        let published = e["published"].as_str().unwrap_or("");
        self.total += 1;
        let text = |v: &Value| v.as_str().map(str::to_owned);
        self.outcomes.add(
            &text(&e["outcome"]["result"]).unwrap_or_else(|| "UNKNOWN".into()),
            published,
        );
        if let Some(t) = text(&e["eventType"]) {
            self.event_types.add(&t, published);
        }
        if let Some(a) = text(&e["actor"]["alternateId"]).or_else(|| text(&e["actor"]["id"])) {
            self.actors.add(&a, published);
        }
        if let Some(ip) = text(&e["client"]["ipAddress"]) {
            self.ips.add(&ip, published);
        }
        if let Some(c) = text(&e["client"]["geographicalContext"]["country"]) {
            self.countries.add(&c, published);
        }
    }

    fn merge(&mut self, other: Summary) {
        self.total += other.total;
        self.pages += other.pages;
        self.outcomes.merge(other.outcomes);
        self.event_types.merge(other.event_types);
        self.actors.merge(other.actors);
        self.ips.merge(other.ips);
        self.countries.merge(other.countries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_merge_counts_and_first_last_seen() {
        let mut x = Counter::default();
        x.add("a", "2026-01-02");
        x.add("a", "2026-01-05");
        let mut y = Counter::default();
        y.add("a", "2026-01-01");
        y.add("b", "2026-01-03");
        x.merge(y);
        assert_eq!(
            x.top(1),
            vec![
                json!({"value": "a", "count": 3, "first_seen": "2026-01-01", "last_seen": "2026-01-05"})
            ]
        );
        assert_eq!(x.top(5).len(), 2);
    }

    #[test]
    fn typed_and_value_readings_count_the_same() {
        let events = [
            r#"{"published":"2026-01-01T00:00:00Z","eventType":"user.session.start","outcome":{"result":"FAILURE"},"actor":{"id":"00u1","alternateId":"a@x"},"client":{"ipAddress":"10.0.0.1","geographicalContext":{"country":"France"}},"target":[{"id":"x"}]}"#,
            r#"{"published":"2026-01-01T00:00:01Z","eventType":"user.lifecycle.create","outcome":null,"actor":{"id":"00u2","alternateId":null},"client":{"ipAddress":null,"geographicalContext":null}}"#,
            r#"{"published":"2026-01-01T00:00:02Z","eventType":7,"outcome":{"result":"SUCCESS"}}"#,
        ];
        let mut typed = Summary::default();
        let mut by_value = Summary::default();
        for e in events {
            typed.add_raw(&serde_json::value::RawValue::from_string(e.to_owned()).unwrap());
            by_value.add(&serde_json::from_str(e).unwrap());
        }
        assert_eq!(typed.total, 3);
        for (a, b) in [
            (&typed.outcomes, &by_value.outcomes),
            (&typed.event_types, &by_value.event_types),
            (&typed.actors, &by_value.actors),
            (&typed.ips, &by_value.ips),
            (&typed.countries, &by_value.countries),
        ] {
            assert_eq!(a.top(10), b.top(10));
        }
        assert_eq!(
            typed.outcomes.sorted_counts().len(),
            3,
            "UNKNOWN counted too"
        );
    }
}
