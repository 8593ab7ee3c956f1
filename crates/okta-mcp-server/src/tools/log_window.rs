//! fetch_all over a bounded System Log window in concurrent time slices that follow where
//! the events are.
//!
//! The first page is read as the sequential walk reads it. Its time span says how dense the
//! log is, so the rest of the window (up to now: no event is published in the future) is cut
//! into as many slices as should each fit in about one page, fetched concurrently (the client
//! paces them within the rate limit) and merged in order. An all-time window thus costs two
//! round trips instead of one per page. When the merged result would not fit the byte budget
//! or a slice reaches its page cap, the sequential walk goes on from the first page instead,
//! because only it yields an exact continuation cursor.

use crate::tools::Reply;
use crate::tools::common::ProgressEvent;
use crate::tools::common::{ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::field_selection::Fields;
use crate::tools::listing::{self, RenderedItems, Step, Walk, shape_raw};
use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Utc};
use futures::StreamExt;
use okta_client::{ApiRequest, Page};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

type Instant = DateTime<FixedOffset>;

/// Most slices fetched at once: enough to hide round trips, few enough for Okta's
/// concurrency limits on a busy org.
pub const MAX_SLICES: usize = 8;

/// A slice is sized to fill this share of a page, so one uneven hour rarely needs a second page.
const SLICE_FILL: f64 = 0.6;

/// Events are stamped by Okta's clock; this much skew against ours is tolerated.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// fetch_all over [since, until) in ascending order.
pub async fn list_window<F>(
    ctx: &ToolCtx,
    make_request: F,
    (since, until): (Instant, Instant),
    paging: &Paging,
    rules: ListRules,
    fields: Option<&Fields>,
) -> Result<Reply, ToolError>
where
    F: Fn(String, String) -> ApiRequest,
{
    if !paging.fetch_all || paging.after.as_deref().is_some_and(|a| !a.is_empty()) {
        return listing::list(
            ctx,
            make_request(stamp(since), stamp(until)),
            paging,
            rules,
            fields,
        )
        .await;
    }
    let limit = listing::fetch_all_limit(paging, rules);
    let mut walk = Walk::new(ctx, paging, rules, Some(limit), fields);
    let first = make_request(stamp(since), stamp(until)).query("limit", limit);
    let mut stream = ctx.client.raw_pages(first);
    let page = tokio::select! {
        _ = ctx.cancel.cancelled() => {
            walk.cancelled();
            return Ok(walk.finish());
        }
        page = stream.next() => page,
    };
    drop(stream);
    let Some(page) = page else {
        return Ok(walk.finish());
    };
    let page = page?;
    let boundary = Boundary::of(&page);
    let after = match walk.take_page(page, 0)? {
        Step::Done => return Ok(walk.finish()),
        Step::Continue(after) => after,
    };
    let plan = boundary.and_then(|b| {
        let end = until.min((Utc::now() + CLOCK_SKEW).fixed_offset());
        let n = slice_count(b.first, b.last, end, limit);
        (n > 1).then(|| (split_window(b.last, end, n), b))
    });
    let Some((mut slices, boundary)) = plan else {
        walk.run(sequential(&make_request, since, until, limit, &after), 0)
            .await?;
        return Ok(walk.finish());
    };
    if let Some(last) = slices.last_mut() {
        last.1 = until;
    }
    let pages_per_slice = rules
        .max_pages
        .saturating_sub(1)
        .div_ceil(slices.len())
        .max(1);
    let shared = Shared {
        budget_left: walk.budget_left(),
        bytes: AtomicUsize::new(0),
        progress: Mutex::new((walk.pages as u64, walk.items.count() as u64)),
    };
    let runs = slices.iter().enumerate().map(|(i, &(from, to))| {
        let request = make_request(stamp(from), stamp(to)).query("limit", limit);
        let seen = if i == 0 { Some(&boundary.seen) } else { None };
        collect_slice(ctx, request, pages_per_slice, fields, seen, &shared)
    });
    let results = futures::future::join_all(runs).await;
    if ctx.cancel.is_cancelled() {
        walk.cancelled();
        return Ok(walk.finish());
    }
    let mut parts = Vec::with_capacity(results.len());
    let (mut items, mut pages, mut complete) = (0, 0, true);
    for result in results {
        let slice = result?;
        complete &= slice.complete;
        items += slice.items.count();
        pages += slice.pages;
        parts.push(slice.items.into_bytes());
    }
    if !complete || shared.bytes.load(Ordering::Relaxed) > shared.budget_left {
        tracing::debug!(
            budget_left = shared.budget_left,
            "sliced fetch does not fit; walking sequentially for an exact cursor"
        );
        drop(parts);
        walk.run(sequential(&make_request, since, until, limit, &after), 0)
            .await?;
        return Ok(walk.finish());
    }
    walk.info
        .insert("concurrent_slices".into(), json!(slices.len()));
    Ok(walk.finish_with(parts, items, pages))
}

fn stamp(t: Instant) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The sequential walk's request for the page after the first.
fn sequential<F>(make: &F, since: Instant, until: Instant, limit: u32, after: &str) -> ApiRequest
where
    F: Fn(String, String) -> ApiRequest,
{
    make(stamp(since), stamp(until))
        .query("limit", limit)
        .query("after", after)
}

/// How many slices the rest of the window needs for each to fit in about one page, judged
/// by the first page's density (its `limit` events over [first, last]).
fn slice_count(first: Instant, last: Instant, end: Instant, limit: u32) -> usize {
    let span_ms = (last - first).num_milliseconds().max(1) as f64;
    let rest_ms = (end - last).num_milliseconds();
    if rest_ms <= 0 {
        return 1;
    }
    let expected = f64::from(limit) * rest_ms as f64 / span_ms;
    let per_slice = (f64::from(limit) * SLICE_FILL).max(1.0);
    ((expected / per_slice).ceil() as usize).clamp(1, MAX_SLICES)
}

/// Where the first page ended: its first and last `published`, and the events stamped with
/// the last one (the next slice starts at that instant and must not return them again).
struct Boundary {
    first: Instant,
    last: Instant,
    seen: HashSet<String>,
}

#[derive(Deserialize)]
struct Stamp {
    published: Option<String>,
    uuid: Option<String>,
}

impl Boundary {
    fn of(page: &Page<Box<RawValue>>) -> Option<Boundary> {
        let read = |raw: &RawValue| -> Option<(Instant, Option<String>)> {
            let s: Stamp = serde_json::from_str(raw.get()).ok()?;
            let at = DateTime::parse_from_rfc3339(s.published.as_deref()?).ok()?;
            Some((at, s.uuid))
        };
        let (first, _) = read(page.items.first()?)?;
        let (last, _) = read(page.items.last()?)?;
        let mut seen = HashSet::new();
        for raw in page.items.iter().rev() {
            let (at, uuid) = read(raw)?;
            if at != last {
                break;
            }
            // An event without a uuid at the boundary cannot be told apart: no slicing.
            seen.insert(uuid?);
        }
        (first <= last).then_some(Boundary { first, last, seen })
    }
}

/// What the concurrent slices share: the budget left after the first page, the bytes they
/// rendered so far, and the progress counters (reported under one lock, so in order).
struct Shared {
    budget_left: usize,
    bytes: AtomicUsize,
    progress: Mutex<(u64, u64)>,
}

struct Slice {
    items: RenderedItems,
    pages: usize,
    /// Every page of the slice was read (no cap, no budget overflow, no cancel).
    complete: bool,
}

async fn collect_slice(
    ctx: &ToolCtx,
    request: ApiRequest,
    max_pages: usize,
    fields: Option<&Fields>,
    seen: Option<&HashSet<String>>,
    shared: &Shared,
) -> Result<Slice, ToolError> {
    let mut slice = Slice {
        items: RenderedItems::default(),
        pages: 0,
        complete: false,
    };
    let mut stream = ctx.client.raw_pages(request);
    loop {
        let page = tokio::select! {
            _ = ctx.cancel.cancelled() => return Ok(slice),
            page = stream.next() => page,
        };
        let Some(page) = page else {
            slice.complete = true;
            return Ok(slice);
        };
        let page = page?;
        slice.pages += 1;
        // A next link that is not followed leaves the slice incomplete: the caller then
        // walks sequentially, and that walk reports why it stopped.
        let cut = page.unfollowed_next.is_some();
        let last = page.items.is_empty() || page.next_cursor.is_none();
        let mut added = 0u64;
        for raw in &page.items {
            if let Some(seen) = seen
                && seen_before(raw, seen)
            {
                continue;
            }
            let size = slice.items.push(&shape_raw(raw, fields)?);
            added += 1;
            if shared.bytes.fetch_add(size, Ordering::Relaxed) + size > shared.budget_left {
                return Ok(slice);
            }
        }
        // MCP progress must rise with every notification: pages that add nothing are not reported.
        if let Some(progress) = ctx.progress.as_ref().filter(|_| added > 0) {
            let mut totals = shared.progress.lock().unwrap_or_else(|p| p.into_inner());
            totals.0 += 1;
            totals.1 += added;
            progress(ProgressEvent::Fetched {
                pages: totals.0,
                items: totals.1,
            });
        }
        if last {
            slice.complete = !cut;
            return Ok(slice);
        }
        if slice.pages >= max_pages {
            return Ok(slice);
        }
    }
}

/// An event the first page already returned (same instant as its last event, same uuid).
fn seen_before(raw: &RawValue, seen: &HashSet<String>) -> bool {
    if seen.is_empty() {
        return false;
    }
    serde_json::from_str::<Stamp>(raw.get())
        .ok()
        .and_then(|s| s.uuid)
        .is_some_and(|uuid| seen.contains(&uuid))
}

/// Splits [since, until) into `n` adjacent, non-overlapping slices (one when under a minute).
pub fn split_window(since: Instant, until: Instant, n: usize) -> Vec<(Instant, Instant)> {
    let total_ms = (until - since).num_milliseconds();
    if total_ms <= 0 {
        return vec![(since, until)];
    }
    let n = if total_ms < 60_000 { 1 } else { n.max(1) };
    (0..n)
        .map(|i| {
            let at = |k: usize| since + Duration::milliseconds(total_ms * k as i64 / n as i64);
            (at(i), if i + 1 == n { until } else { at(i + 1) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn slices_follow_the_first_page_density() {
        // 1,000 events in one hour; six more hours ahead: ~6,000 events, 600 per slice.
        let (a, b) = (t("2026-11-01T00:00:00Z"), t("2026-11-01T01:00:00Z"));
        assert_eq!(
            slice_count(a, b, t("2026-11-01T07:00:00Z"), 1000),
            MAX_SLICES
        );
        assert_eq!(slice_count(a, b, t("2026-11-01T02:00:00Z"), 1000), 2);
        assert_eq!(slice_count(a, b, t("2026-11-01T01:10:00Z"), 1000), 1);
        // Nothing left (the window ends at the last event) and a single-instant first page.
        assert_eq!(slice_count(a, b, b, 1000), 1);
        assert_eq!(
            slice_count(b, b, t("2026-11-01T01:00:01Z"), 1000),
            MAX_SLICES
        );
    }

    #[test]
    fn split_is_adjacent_and_covers_the_window() {
        let (a, b) = (t("2026-11-01T00:00:00Z"), t("2026-11-08T00:00:00Z"));
        let s = split_window(a, b, 4);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].0, a);
        assert_eq!(s[3].1, b);
        for pair in s.windows(2) {
            assert_eq!(pair[0].1, pair[1].0);
        }
        assert_eq!(split_window(a, a + Duration::seconds(5), 4).len(), 1);
        assert_eq!(split_window(b, a, 4), vec![(b, a)]);
    }

    #[test]
    fn the_boundary_remembers_events_at_the_last_instant() {
        let raw = |published: &str, uuid: &str| {
            RawValue::from_string(format!(r#"{{"published":"{published}","uuid":"{uuid}"}}"#))
                .unwrap()
        };
        let page = Page {
            items: vec![
                raw("2026-11-01T00:00:00.000Z", "a"),
                raw("2026-11-01T00:00:05.000Z", "b"),
                raw("2026-11-01T00:00:05.000Z", "c"),
            ],
            next_cursor: Some("x".into()),
            unfollowed_next: None,
        };
        let b = Boundary::of(&page).unwrap();
        assert_eq!(b.first, t("2026-11-01T00:00:00Z"));
        assert_eq!(b.last, t("2026-11-01T00:00:05Z"));
        assert_eq!(b.seen, HashSet::from(["b".to_owned(), "c".to_owned()]));
        assert!(seen_before(&page.items[2], &b.seen));
        assert!(!seen_before(&page.items[0], &b.seen));
        let no_stamp = Page {
            items: vec![RawValue::from_string(r#"{"uuid":"a"}"#.into()).unwrap()],
            next_cursor: None,
            unfollowed_next: None,
        };
        assert!(Boundary::of(&no_stamp).is_none());
    }
}
