//! What every tool shares: the call context, the pagination parameters and envelope, the
//! fetch_all walker, the result byte budget and the output schemas.

use crate::tools::Output;
use crate::tools::error::ToolError;
use crate::tools::shape::{self, Fields};
use base64::Engine;
use futures::StreamExt;
use okta_client::{ApiRequest, OktaClient};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Reports fetch_all progress (pages, items so far); the server turns it into MCP progress.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Everything a handler may use. Cheap to clone.
#[derive(Clone)]
pub struct ToolCtx {
    pub client: OktaClient,
    pub settings: Arc<crate::settings::Settings>,
    pub progress: Option<ProgressFn>,
    pub cancel: CancellationToken,
    /// The server's scope report (for get_scope_status, which reads server state, not the org).
    pub scope_status: Arc<dyn Fn() -> Value + Send + Sync>,
}

/// Pagination parameters shared by list tools (same names as the Python server).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Paging {
    /// Return all pages (bounded; says if it stopped early).
    #[serde(default)]
    pub fetch_all: bool,
    /// `next_cursor` of the previous result.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// How a list endpoint pages.
#[derive(Clone, Copy, Debug)]
pub struct ListRules {
    /// Page size when the caller gives none (None: let Okta decide).
    pub default_limit: Option<u32>,
    pub max_limit: u32,
    /// Page size used for fetch_all (as large as the endpoint allows).
    pub fetch_all_limit: u32,
    /// Upper bound of pages a fetch_all walks.
    pub max_pages: usize,
}

/// Our cursor: Okta's `after` plus how many items of that page were already returned, so a
/// result cut by the byte budget in the middle of a page continues exactly where it stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub after: Option<String>,
    pub skip: usize,
    /// Page size the skip counts against (a different page size would shift the items).
    pub limit: Option<u32>,
}

const CURSOR_PREFIX: &str = "omc1.";

impl Cursor {
    pub fn encode(&self) -> String {
        if self.skip == 0
            && let Some(after) = &self.after
            && !after.starts_with(CURSOR_PREFIX)
        {
            return after.clone();
        }
        let raw = json!({"a": self.after, "s": self.skip, "l": self.limit}).to_string();
        format!(
            "{CURSOR_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )
    }

    /// Accepts our encoded cursors and plain Okta `after` values.
    pub fn decode(raw: &str) -> Result<Cursor, ToolError> {
        let Some(encoded) = raw.strip_prefix(CURSOR_PREFIX) else {
            return Ok(Cursor {
                after: Some(raw.to_owned()),
                skip: 0,
                limit: None,
            });
        };
        let bad = || {
            ToolError::InvalidArguments(
                "after: not a cursor this server issued; pass next_cursor unchanged".into(),
            )
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| bad())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let after = match &v["a"] {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            _ => return Err(bad()),
        };
        let skip = v["s"].as_u64().ok_or_else(bad)? as usize;
        let limit = v["l"].as_u64().and_then(|l| u32::try_from(l).ok());
        Ok(Cursor { after, skip, limit })
    }
}

/// Runs a list call: one page, or every page with `fetch_all`, shaped item by item as pages
/// arrive (raw pages are dropped at once) and cut at the result byte budget.
pub async fn list(
    ctx: &ToolCtx,
    request: ApiRequest,
    paging: &Paging,
    rules: ListRules,
    fields: Option<&Fields>,
) -> Result<Value, ToolError> {
    let cursor = match paging.after.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Cursor::decode(raw)?,
        None => Cursor::default(),
    };
    let limit = if let Some(l) = cursor.limit.filter(|_| cursor.skip > 0) {
        Some(l)
    } else if paging.fetch_all {
        Some(
            paging
                .limit
                .unwrap_or(rules.fetch_all_limit)
                .clamp(1, rules.max_limit),
        )
    } else {
        paging
            .limit
            .or(rules.default_limit)
            .map(|l| l.clamp(1, rules.max_limit))
    };
    let mut request = request.query_opt("limit", limit);
    if let Some(after) = &cursor.after {
        request = request.query("after", after);
    }
    let max_pages = if paging.fetch_all { rules.max_pages } else { 1 };
    let budget = ctx.settings.max_result_bytes;

    let mut items: Vec<Value> = Vec::new();
    let mut used_bytes = 0usize;
    let mut pages = 0usize;
    let mut skip = cursor.skip;
    let mut page_after = cursor.after.clone();
    let mut next: Option<Cursor> = None;
    let mut stop_reason: Option<String> = None;
    let mut truncated = false;
    let mut reported = 0usize;

    let mut stream = ctx.client.pages(request);
    loop {
        let page = tokio::select! {
            _ = ctx.cancel.cancelled() => {
                stop_reason = Some("cancelled by the client".into());
                break;
            }
            page = stream.next() => page,
        };
        let Some(page) = page else { break };
        let page = page?;
        pages += 1;
        for (index, raw) in page.items.into_iter().enumerate().skip(skip) {
            let item = shape::shape(raw, fields);
            let size = json_len(&item) + 1;
            if used_bytes + size > budget && !items.is_empty() {
                truncated = true;
                next = Some(Cursor {
                    after: page_after.clone(),
                    skip: index,
                    limit,
                });
                break;
            }
            used_bytes += size;
            items.push(item);
        }
        skip = 0;
        if truncated {
            break;
        }
        // MCP progress must rise with every notification: a page that added nothing is not reported.
        if let Some(progress) = ctx.progress.as_ref().filter(|_| items.len() > reported) {
            reported = items.len();
            progress(pages as u64, reported as u64);
        }
        match page.next_cursor {
            None => break,
            Some(after) => {
                page_after = Some(after.clone());
                if pages >= max_pages {
                    next = Some(Cursor {
                        after: Some(after),
                        skip: 0,
                        limit: None,
                    });
                    if paging.fetch_all {
                        stop_reason = Some(format!("reached the page limit ({max_pages} pages)"));
                    }
                    break;
                }
            }
        }
    }
    drop(stream);
    if stop_reason.as_deref() == Some("cancelled by the client") {
        next = page_after.map(|a| Cursor {
            after: Some(a),
            skip: 0,
            limit: None,
        });
    }

    let mut out = Map::new();
    out.insert("total_fetched".into(), json!(items.len()));
    out.insert("has_more".into(), json!(next.is_some()));
    out.insert(
        "next_cursor".into(),
        next.map(|c| Value::String(c.encode()))
            .unwrap_or(Value::Null),
    );
    out.insert("fetch_all_used".into(), json!(paging.fetch_all));
    if paging.fetch_all {
        out.insert(
            "pagination_info".into(),
            json!({
                "pages_fetched": pages,
                "total_items": items.len(),
                "stopped_early": stop_reason.is_some() || truncated,
                "stop_reason": stop_reason,
            }),
        );
    }
    if truncated {
        out.insert("truncated".into(), json!(true));
        out.insert(
            "truncation_note".into(),
            json!(format!(
                "Result cut at {} items to stay under {budget} bytes. Continue with after=next_cursor, or narrow it: a shorter time window, a filter, `fields` (e.g. \"id,status,profile.login\"), or a summary tool.",
                items.len()
            )),
        );
    }
    out.insert("items".into(), Value::Array(items));
    Ok(Value::Object(out))
}

/// Bytes of `value` as compact JSON, counted without building the text.
pub fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Sends one request and returns its body shaped (for get/create/update tools).
pub async fn object(
    ctx: &ToolCtx,
    request: ApiRequest,
    fields: Option<&Fields>,
) -> Result<Value, ToolError> {
    let response = ctx.client.send(request).await?;
    Ok(shape::shape(response.body, fields))
}

pub fn parse_fields(spec: Option<&str>) -> Result<Option<Fields>, ToolError> {
    Fields::parse(spec).map_err(ToolError::InvalidArguments)
}

/// The outputSchema advertised for each result shape.
pub fn output_schema(output: Output) -> Map<String, Value> {
    let v = match output {
        Output::List => json!({
            "type": "object",
            "properties": {
                "items": {"type": "array"},
                "has_more": {"type": "boolean"},
                "next_cursor": {"type": ["string", "null"]}
            },
            "required": ["items"]
        }),
        Output::Object => json!({"type": "object"}),
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// How many concurrent slices a bounded time window is split into for fetch_all.
pub const WINDOW_SLICES: usize = 4;

/// fetch_all over a bounded time window (System Log): the window is split into adjacent
/// slices fetched concurrently (the client paces them within the rate limit) and merged in
/// order. When the merged result would not fit the byte budget, or a slice reaches its page
/// cap, the sequential walk runs instead, because only it yields an exact continuation cursor.
pub async fn list_window<F>(
    ctx: &ToolCtx,
    make_request: F,
    window: (
        chrono::DateTime<chrono::FixedOffset>,
        chrono::DateTime<chrono::FixedOffset>,
    ),
    paging: &Paging,
    rules: ListRules,
    fields: Option<&Fields>,
) -> Result<Value, ToolError>
where
    F: Fn(String, String) -> ApiRequest,
{
    let (since, until) = window;
    let stamp = |t: chrono::DateTime<chrono::FixedOffset>| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let slices = split_window(since, until, WINDOW_SLICES);
    if !paging.fetch_all || paging.after.is_some() || slices.len() < 2 {
        return list(
            ctx,
            make_request(stamp(since), stamp(until)),
            paging,
            rules,
            fields,
        )
        .await;
    }
    let limit = paging
        .limit
        .unwrap_or(rules.fetch_all_limit)
        .clamp(1, rules.max_limit);
    let pages_per_slice = rules.max_pages.div_ceil(slices.len());
    let budget = ctx.settings.max_result_bytes;
    let totals = SliceTotals::default();
    let runs = slices.iter().map(|&(from, to)| {
        let request = make_request(stamp(from), stamp(to)).query("limit", limit);
        collect_slice(ctx, request, pages_per_slice, budget, fields, &totals)
    });
    let results = futures::future::join_all(runs).await;
    let mut items = Vec::new();
    let mut pages = 0;
    let mut bytes = 0;
    let mut complete = true;
    for result in results {
        let slice = result?;
        complete &= slice.complete;
        pages += slice.pages;
        bytes += slice.bytes;
        items.extend(slice.items);
    }
    if ctx.cancel.is_cancelled() {
        return Err(ToolError::Refused("cancelled by the client".into()));
    }
    if !complete || bytes > budget {
        tracing::debug!(
            bytes,
            budget,
            "sliced fetch does not fit; walking sequentially for an exact cursor"
        );
        return list(
            ctx,
            make_request(stamp(since), stamp(until)),
            paging,
            rules,
            fields,
        )
        .await;
    }
    Ok(json!({
        "total_fetched": items.len(),
        "has_more": false,
        "next_cursor": null,
        "fetch_all_used": true,
        "pagination_info": {
            "pages_fetched": pages,
            "total_items": items.len(),
            "stopped_early": false,
            "stop_reason": null,
            "concurrent_slices": slices.len(),
        },
        "items": items,
    }))
}

/// Pages and items over all slices, so progress rises steadily while slices run concurrently.
#[derive(Default)]
struct SliceTotals(std::sync::Mutex<(u64, u64)>);

struct Slice {
    items: Vec<Value>,
    pages: usize,
    bytes: usize,
    /// Every page of the slice was read (no cap, no budget overflow, no cancel).
    complete: bool,
}

async fn collect_slice(
    ctx: &ToolCtx,
    request: ApiRequest,
    max_pages: usize,
    budget: usize,
    fields: Option<&Fields>,
    totals: &SliceTotals,
) -> Result<Slice, ToolError> {
    let mut slice = Slice {
        items: Vec::new(),
        pages: 0,
        bytes: 0,
        complete: false,
    };
    let mut stream = ctx.client.pages(request);
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
        let last = page.items.is_empty() || page.next_cursor.is_none();
        let slice_items = page.items.len();
        for raw in page.items {
            let item = shape::shape(raw, fields);
            slice.bytes += json_len(&item) + 1;
            slice.items.push(item);
        }
        // MCP progress must rise with every notification: empty pages are not reported.
        if let Some(progress) = ctx.progress.as_ref().filter(|_| slice_items > 0) {
            // Counted and reported under one lock, so concurrent slices report in order.
            let mut t = totals.0.lock().unwrap_or_else(|p| p.into_inner());
            t.0 += 1;
            t.1 += slice_items as u64;
            progress(t.0, t.1);
        }
        if last {
            slice.complete = true;
            return Ok(slice);
        }
        if slice.bytes > budget || slice.pages >= max_pages {
            return Ok(slice);
        }
    }
}

/// Splits [since, until) into `n` adjacent, non-overlapping slices (one when under a minute).
pub fn split_window(
    since: chrono::DateTime<chrono::FixedOffset>,
    until: chrono::DateTime<chrono::FixedOffset>,
    n: usize,
) -> Vec<(
    chrono::DateTime<chrono::FixedOffset>,
    chrono::DateTime<chrono::FixedOffset>,
)> {
    let total_ms = (until - since).num_milliseconds();
    if total_ms <= 0 {
        return vec![(since, until)];
    }
    let n = if total_ms < 60_000 { 1 } else { n.max(1) };
    (0..n)
        .map(|i| {
            let at =
                |k: usize| since + chrono::Duration::milliseconds(total_ms * k as i64 / n as i64);
            (at(i), if i + 1 == n { until } else { at(i + 1) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_passes_okta_cursors_through() {
        let plain = Cursor {
            after: Some("00u1abc".into()),
            skip: 0,
            limit: None,
        };
        assert_eq!(plain.encode(), "00u1abc");
        assert_eq!(Cursor::decode("00u1abc").unwrap(), plain);
        let mid = Cursor {
            after: Some("opaque/cursor=".into()),
            skip: 17,
            limit: None,
        };
        let encoded = mid.encode();
        assert!(encoded.starts_with(CURSOR_PREFIX));
        assert_eq!(Cursor::decode(&encoded).unwrap(), mid);
        let first_page = Cursor {
            after: None,
            skip: 3,
            limit: None,
        };
        assert_eq!(Cursor::decode(&first_page.encode()).unwrap(), first_page);
        assert!(Cursor::decode("omc1.!!!").is_err());
    }
}
