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
use crate::tools::common::{ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::field_selection::Fields;
use crate::tools::listing::{self, RenderedItems, Walk};
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::time_window::{Instant, split_window, stamp};
use chrono::{DateTime, Duration, Utc};
use okta_client::{ApiRequest, Page};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let observer = walk.observer();
    let mut boundary = None;
    let mut first_page = PageWalk::new(&observer, ctx.client.raw_pages(first), 1);
    if let Some(page) = first_page.next().await {
        boundary = Boundary::of(&page);
        let (added, more) = walk.take_page(page, 0)?;
        first_page.took(added);
        if !more {
            first_page.stop();
        }
        // Reading on ends the first walk (it was allowed one page), or says how it ended.
        first_page.next().await;
    }
    let after = match first_page.finish().end {
        WalkEnd::PageCap { after } if rules.max_pages > 1 => after,
        end => {
            walk.end(end)?;
            return Ok(walk.finish());
        }
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
    };
    let runs = slices.iter().enumerate().map(|(i, &(from, to))| {
        let request = make_request(stamp(from), stamp(to)).query("limit", limit);
        let seen = if i == 0 { Some(&boundary.seen) } else { None };
        collect_slice(
            ctx,
            &observer,
            request,
            pages_per_slice,
            fields,
            seen,
            &shared,
        )
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

/// What the concurrent slices share: the budget left after the first page, and the bytes
/// they rendered so far (progress is counted by the walk's observer).
struct Shared {
    budget_left: usize,
    bytes: AtomicUsize,
}

struct Slice {
    items: RenderedItems,
    pages: usize,
    /// Every page of the slice was read (no cap, no budget overflow, no cancel).
    complete: bool,
}

async fn collect_slice(
    ctx: &ToolCtx,
    observer: &Observer,
    request: ApiRequest,
    max_pages: usize,
    fields: Option<&Fields>,
    seen: Option<&HashSet<String>>,
    shared: &Shared,
) -> Result<Slice, ToolError> {
    let mut items = RenderedItems::default();
    let mut over_budget = false;
    let mut pages = PageWalk::new(observer, ctx.client.raw_pages(request), max_pages);
    'pages: while let Some(page) = pages.next().await {
        let mut added = 0u64;
        for raw in &page.items {
            if let Some(seen) = seen
                && seen_before(raw, seen)
            {
                continue;
            }
            let size = items.push_raw(raw, fields)?;
            added += 1;
            if shared.bytes.fetch_add(size, Ordering::Relaxed) + size > shared.budget_left {
                pages.took(added);
                over_budget = true;
                break 'pages;
            }
        }
        pages.took(added);
        // An empty page ends the slice; one whose next link is not followed leaves it
        // incomplete (the caller then walks sequentially, and that walk says why it stopped).
        if page.items.is_empty() && page.unfollowed_next.is_none() {
            pages.stop();
        }
    }
    if over_budget {
        pages.stop();
    }
    let walked = pages.finish();
    let complete = match walked.end {
        WalkEnd::Complete => true,
        WalkEnd::Stopped => !over_budget,
        WalkEnd::Failed(error) => return Err(error.into()),
        WalkEnd::PageCap { .. } | WalkEnd::Cancelled | WalkEnd::Unfollowed(_) => false,
    };
    Ok(Slice {
        items,
        pages: walked.pages,
        complete,
    })
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
