//! List results: pages walked one by one (or every page with `fetch_all`), each item shaped
//! and rendered to JSON bytes the moment its page arrives, cut at the result byte budget
//! with a cursor that continues exactly where the cut fell.

use crate::rendered_json::RenderedJson;
use crate::tools::Reply;
use crate::tools::common::{ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::field_selection::{self, Fields};
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use base64::Engine;
use okta_client::{ApiError, ApiRequest, Page};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::sync::Arc;

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

/// Shaped items rendered as compact JSON, comma-separated, in arrival order.
#[derive(Default)]
pub struct RenderedItems {
    bytes: Vec<u8>,
    count: usize,
}

impl RenderedItems {
    pub fn count(&self) -> usize {
        self.count
    }

    /// Renders one raw item of an answer, shaped (compact, then the `fields` projection).
    /// Without a projection it is read straight into its compact text (see
    /// `okta_client::compact_text`), never built as a value. Returns its size.
    pub fn push_raw(
        &mut self,
        raw: &RawValue,
        fields: Option<&Fields>,
    ) -> Result<usize, ToolError> {
        let before = self.bytes.len();
        if self.count > 0 {
            self.bytes.push(b',');
        }
        let start = self.bytes.len();
        let as_text = fields.is_none()
            && okta_client::compact_text::append(raw.get().as_bytes(), &mut self.bytes)
                .unwrap_or(false);
        if !as_text {
            // A key twice, not JSON (reported by reading it as a value), or a projection.
            self.bytes.truncate(start);
            match shape_raw(raw, fields) {
                // Writing a Value into a Vec cannot fail.
                Ok(item) => drop(serde_json::to_writer(&mut self.bytes, &item)),
                Err(e) => {
                    self.bytes.truncate(before);
                    return Err(e);
                }
            }
        }
        self.count += 1;
        Ok(self.bytes.len() - before + usize::from(self.count == 1))
    }

    /// Renders one item unless it would take `used + its size` past `budget` while an item
    /// is already in (the first always is, or a huge item could never be read); its size if kept.
    pub fn push_within(
        &mut self,
        raw: &RawValue,
        fields: Option<&Fields>,
        used: usize,
        budget: usize,
    ) -> Result<Option<usize>, ToolError> {
        let (len, count) = (self.bytes.len(), self.count);
        let size = self.push_raw(raw, fields)?;
        if used + size > budget && count > 0 {
            self.bytes.truncate(len);
            self.count = count;
            return Ok(None);
        }
        Ok(Some(size))
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Parses one raw item and shapes it (compact, then the `fields` projection). The item is
/// read without its `_links`, which the shaping drops: they are never built.
pub fn shape_raw(raw: &RawValue, fields: Option<&Fields>) -> Result<Value, ToolError> {
    let value = okta_client::json_without_links(raw.get().as_bytes()).map_err(|e| {
        ToolError::Api(ApiError::Decode(format!(
            "an item of the response is not valid JSON: {e}"
        )))
    })?;
    Ok(field_selection::shape(value, fields))
}

/// The list result: the envelope fields in order, then `items` from rendered parts.
pub fn render(envelope: Map<String, Value>, items: Vec<Vec<u8>>) -> Reply {
    let mut head = Value::Object(envelope).to_string().into_bytes();
    // `{...}` → `{...,"items":[`; an empty envelope is `{}` → `{"items":[`.
    head.pop();
    if head.len() > 1 {
        head.push(b',');
    }
    head.extend_from_slice(b"\"items\":[");
    let mut parts = Vec::with_capacity(items.len() * 2 + 2);
    parts.push(head);
    let mut first = true;
    for part in items.into_iter().filter(|p| !p.is_empty()) {
        if !first {
            parts.push(b",".to_vec());
        }
        first = false;
        parts.push(part);
    }
    parts.push(b"]}".to_vec());
    Reply::Rendered(RenderedJson::from_parts(parts))
}

/// Runs a list call: one page, or every page with `fetch_all`, shaped item by item as pages
/// arrive (raw pages are dropped at once) and cut at the result byte budget.
pub async fn list(
    ctx: &ToolCtx,
    request: ApiRequest,
    paging: &Paging,
    rules: ListRules,
    fields: Option<&Fields>,
) -> Result<Reply, ToolError> {
    let cursor = match paging.after.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Cursor::decode(raw)?,
        None => Cursor::default(),
    };
    let limit = if let Some(l) = cursor.limit.filter(|_| cursor.skip > 0) {
        Some(l)
    } else if paging.fetch_all {
        Some(fetch_all_limit(paging, rules))
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
    let mut walk = Walk::new(ctx, paging, rules, limit, fields);
    walk.page_after = cursor.after.clone();
    walk.run(request, cursor.skip).await?;
    Ok(walk.finish())
}

/// Page size for fetch_all: the caller's, else as large as the endpoint allows.
pub fn fetch_all_limit(paging: &Paging, rules: ListRules) -> u32 {
    paging
        .limit
        .unwrap_or(rules.fetch_all_limit)
        .clamp(1, rules.max_limit)
}

/// A sequential walk over pages in Okta's order, with everything needed to say where it
/// stopped and how to continue.
pub struct Walk<'a> {
    ctx: &'a ToolCtx,
    fields: Option<&'a Fields>,
    fetch_all: bool,
    max_pages: usize,
    limit: Option<u32>,
    budget: usize,
    pub items: RenderedItems,
    used_bytes: usize,
    pub pages: usize,
    /// The `after` of the page being read (None for the first page).
    page_after: Option<String>,
    next: Option<Cursor>,
    stop_reason: Option<String>,
    truncated: bool,
    /// Cancel and progress, shared with any concurrent walks of the same call.
    observer: Arc<Observer>,
    /// Extra envelope fields for `pagination_info` (e.g. how many slices ran).
    pub info: Map<String, Value>,
}

impl<'a> Walk<'a> {
    pub fn new(
        ctx: &'a ToolCtx,
        paging: &Paging,
        rules: ListRules,
        limit: Option<u32>,
        fields: Option<&'a Fields>,
    ) -> Self {
        Walk {
            ctx,
            fields,
            fetch_all: paging.fetch_all,
            max_pages: if paging.fetch_all { rules.max_pages } else { 1 },
            limit,
            budget: ctx.settings.max_result_bytes,
            items: RenderedItems::default(),
            used_bytes: 0,
            pages: 0,
            page_after: None,
            next: None,
            stop_reason: None,
            truncated: false,
            observer: Arc::new(Observer::of(ctx)),
            info: Map::new(),
        }
    }

    /// Bytes the result may still take before the budget cuts it.
    pub fn budget_left(&self) -> usize {
        self.budget.saturating_sub(self.used_bytes)
    }

    /// The cancel and progress this walk answers to, for walks that run beside it.
    pub fn observer(&self) -> Arc<Observer> {
        self.observer.clone()
    }

    /// Reads from `request` on (skipping `skip` items of its first page) until the walk ends.
    pub async fn run(&mut self, request: ApiRequest, mut skip: usize) -> Result<(), ToolError> {
        let observer = self.observer.clone();
        let max_pages = self.max_pages.saturating_sub(self.pages);
        let mut pages = PageWalk::new(&observer, self.ctx.client.raw_pages(request), max_pages);
        while let Some(page) = pages.next().await {
            let (added, more) = self.take_page(page, skip)?;
            pages.took(added);
            if !more {
                pages.stop();
            }
            skip = 0;
        }
        self.end(pages.finish().end)
    }

    /// Shapes and renders one page's items (from `skip` on), cutting at the budget. Returns
    /// how many it added, and whether the walk goes on.
    pub fn take_page(
        &mut self,
        page: Page<Box<RawValue>>,
        skip: usize,
    ) -> Result<(u64, bool), ToolError> {
        self.pages += 1;
        let mut added = 0;
        for (index, raw) in page.items.iter().enumerate().skip(skip) {
            match self
                .items
                .push_within(raw, self.fields, self.used_bytes, self.budget)?
            {
                Some(size) => {
                    self.used_bytes += size;
                    added += 1;
                }
                None => {
                    self.truncated = true;
                    self.next = Some(Cursor {
                        after: self.page_after.clone(),
                        skip: index,
                        limit: self.limit,
                    });
                    return Ok((added, false));
                }
            }
        }
        if let Some(after) = page.next_cursor {
            self.page_after = Some(after);
        }
        Ok((added, true))
    }

    /// Records how the page walk ended: where to continue, or why it stopped early.
    pub fn end(&mut self, end: WalkEnd) -> Result<(), ToolError> {
        match end {
            WalkEnd::Complete | WalkEnd::Stopped => {}
            WalkEnd::PageCap { after } => {
                self.next = Some(Cursor {
                    after: Some(after),
                    skip: 0,
                    limit: None,
                });
                if self.fetch_all {
                    self.stop_reason =
                        Some(format!("reached the page limit ({} pages)", self.max_pages));
                }
            }
            WalkEnd::Cancelled => self.cancelled(),
            // The org linked a next page that must not be followed: the list is incomplete,
            // and the result has to say so rather than look finished.
            WalkEnd::Unfollowed(reason) => self.stop_reason = Some(reason),
            WalkEnd::Failed(error) => return Err(error.into()),
        }
        Ok(())
    }

    /// The client cancelled: the result so far, with a cursor to the page not yet read.
    pub fn cancelled(&mut self) {
        self.stop_reason = Some("cancelled by the client".into());
        self.next = self.page_after.clone().map(|a| Cursor {
            after: Some(a),
            skip: 0,
            limit: None,
        });
    }

    /// Adds items rendered elsewhere (concurrent slices after this walk's pages), in order.
    pub fn finish_with(self, more: Vec<Vec<u8>>, more_items: usize, more_pages: usize) -> Reply {
        let Walk {
            items,
            pages,
            next,
            stop_reason,
            truncated,
            fetch_all,
            budget,
            info,
            ..
        } = self;
        let count = items.count() + more_items;
        let pages = pages + more_pages;
        let mut out = Map::new();
        out.insert("total_fetched".into(), json!(count));
        out.insert("has_more".into(), json!(next.is_some()));
        out.insert(
            "next_cursor".into(),
            next.map(|c| Value::String(c.encode()))
                .unwrap_or(Value::Null),
        );
        out.insert("fetch_all_used".into(), json!(fetch_all));
        if !fetch_all && let Some(reason) = &stop_reason {
            out.insert("stopped_early".into(), json!(true));
            out.insert("stop_reason".into(), json!(reason));
        }
        if fetch_all {
            let mut pagination = json!({
                "pages_fetched": pages,
                "total_items": count,
                "stopped_early": stop_reason.is_some() || truncated,
                "stop_reason": stop_reason,
            });
            if let Value::Object(p) = &mut pagination {
                p.extend(info);
            }
            out.insert("pagination_info".into(), pagination);
        }
        if truncated {
            out.insert("truncated".into(), json!(true));
            out.insert(
                "truncation_note".into(),
                json!(format!(
                    "Result cut at {count} items to stay under {budget} bytes. Continue with after=next_cursor, or narrow it: a shorter time window, a filter, `fields` (e.g. \"id,status,profile.login\"), or a summary tool."
                )),
            );
        }
        let mut parts = vec![items.into_bytes()];
        parts.extend(more);
        render(out, parts)
    }

    pub fn finish(self) -> Reply {
        self.finish_with(Vec::new(), 0, 0)
    }
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

    fn rendered_value(reply: Reply) -> Value {
        match reply {
            Reply::Rendered(r) => r.to_value().unwrap(),
            Reply::Value(v) => v,
        }
    }

    fn raw(value: &Value) -> Box<RawValue> {
        RawValue::from_string(value.to_string()).unwrap()
    }

    #[test]
    fn items_are_shaped_as_they_are_rendered() {
        let mut items = RenderedItems::default();
        let item = json!({"id": "a", "_links": {"self": {}}, "gone": null, "p": {"x": null}});
        items.push_raw(&raw(&item), None).unwrap();
        let dup = RawValue::from_string(r#"{"id":"b","id":"c","z":null}"#.into()).unwrap();
        items.push_raw(&dup, None).unwrap();
        let projected = json!({"id": "d", "profile": {"login": "l", "email": "e"}});
        let fields = Fields::parse(Some("profile.login")).unwrap().unwrap();
        items.push_raw(&raw(&projected), Some(&fields)).unwrap();
        assert_eq!(
            String::from_utf8(items.into_bytes()).unwrap(),
            r#"{"id":"a"},{"id":"c"},{"profile":{"login":"l"}}"#
        );
    }

    #[test]
    fn items_render_like_an_array_and_the_budget_keeps_the_first_item() {
        let mut items = RenderedItems::default();
        let a = json!({"id": "a", "n": 1});
        let b = json!({"id": "b", "s": "x\"y"});
        let (raw_a, raw_b) = (raw(&a), raw(&b));
        let a_size = items
            .push_within(&raw_a, None, 0, 1)
            .unwrap()
            .expect("the first item always fits");
        assert_eq!(a_size, a.to_string().len() + 1);
        assert_eq!(
            items.push_within(&raw_b, None, a_size, a_size + 3).unwrap(),
            None
        );
        assert_eq!(items.count(), 1);
        let b_size = items
            .push_within(&raw_b, None, a_size, 1000)
            .unwrap()
            .unwrap();
        assert_eq!(b_size, b.to_string().len() + 1);
        assert_eq!(
            items.bytes.len() + 1,
            a_size + b_size,
            "sizes add up to the bytes"
        );
        let mut envelope = Map::new();
        envelope.insert("has_more".into(), json!(false));
        let whole = rendered_value(render(envelope, vec![items.into_bytes(), Vec::new()]));
        assert_eq!(whole, json!({"has_more": false, "items": [a, b]}));
    }

    #[test]
    fn parts_from_several_slices_join_with_separators() {
        let mut one = RenderedItems::default();
        one.push_raw(&raw(&json!(1)), None).unwrap();
        one.push_raw(&raw(&json!(2)), None).unwrap();
        let mut three = RenderedItems::default();
        three.push_raw(&raw(&json!(3)), None).unwrap();
        let parts = vec![one.into_bytes(), Vec::new(), three.into_bytes(), Vec::new()];
        assert_eq!(
            rendered_value(render(Map::new(), parts)),
            json!({"items": [1, 2, 3]})
        );
        assert_eq!(
            rendered_value(render(Map::new(), Vec::new())),
            json!({"items": []})
        );
    }
}
