//! What every tool shares: the call context, the pagination parameters, single-object calls
//! and the output schemas. List walking is in `listing`.

use crate::rendered_json::RenderedJson;
use crate::tools::Reply;
use crate::tools::ResultKind;
use crate::tools::error::ToolError;
use crate::tools::field_selection::{self, Fields};
use okta_client::{ApiError, ApiRequest, CompactBody, OktaClient};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Reports a long call's progress; the server turns it into MCP progress notifications.
pub type ProgressFn = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// Something a long call has to tell the client while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgressEvent {
    /// fetch_all has read this many pages and items so far.
    Fetched { pages: u64, items: u64 },
    /// The call is waiting, e.g. for Okta's rate limit to reset; the text says for what.
    Waiting(String),
    /// A bulk tool finished item `done` of `total`; the text says which and how it went.
    Step {
        done: u64,
        total: u64,
        message: String,
    },
}

impl ProgressEvent {
    /// How many steps the call has in all, when it knows (a bulk tool's item count).
    pub fn total(&self) -> Option<f64> {
        match self {
            ProgressEvent::Step { total, .. } => Some(*total as f64),
            _ => None,
        }
    }

    /// The progress value to send after `last`, and the message; None when nothing can be
    /// sent. MCP requires the value to rise with every notification: items counts do, and a
    /// wait takes a value between the last one and the next whole number (halving the gap),
    /// so the next item count still lies above it.
    pub fn progress_after(&self, last: f64) -> Option<(f64, String)> {
        match self {
            ProgressEvent::Fetched { pages, items } => {
                let value = *items as f64;
                (value > last).then(|| (value, format!("fetched {pages} pages, {items} items")))
            }
            ProgressEvent::Step { done, message, .. } => {
                let value = *done as f64;
                (value > last).then(|| (value, message.clone()))
            }
            ProgressEvent::Waiting(message) => {
                let value = last + (last.floor() + 1.0 - last) / 2.0;
                (value > last && value < last.floor() + 1.0).then(|| (value, message.clone()))
            }
        }
    }
}

/// Tells the client, through `progress`, that the call waits for a rate limit.
pub fn rate_limit_observer(progress: ProgressFn) -> okta_client::WaitObserver {
    Arc::new(move |wait: &okta_client::RateLimitWait| {
        let secs = wait.remaining.as_secs() + u64::from(wait.remaining.subsec_nanos() > 0);
        progress(ProgressEvent::Waiting(format!(
            "waiting {secs} s for Okta's rate limit on {} to reset",
            wait.family
        )));
    })
}

/// Everything a handler may use. Cheap to clone.
#[derive(Clone)]
pub struct ToolCtx {
    pub client: OktaClient,
    pub settings: Arc<crate::settings::Settings>,
    pub progress: Option<ProgressFn>,
    pub cancel: CancellationToken,
    /// The server's scope report (for get_scope_status, which reads server state, not the org).
    pub scope_status: Arc<dyn Fn() -> Value + Send + Sync>,
    /// Who the call acts for in team mode (None: the server's own identity).
    pub caller: Option<crate::caller::Caller>,
}

/// Pagination parameters shared by list tools (same names as the Python server).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
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

/// The descriptions one list tool gives its query parameters, so each keeps examples that
/// fit its objects; a parameter without a description is not offered (not in the schema,
/// so the server refuses it as unknown).
pub trait ListDocs {
    const SEARCH: Option<&'static str> = None;
    const FILTER: Option<&'static str> = None;
    const Q: Option<&'static str> = None;
    const FIELDS: &'static str;
}

/// The query parameters list tools share (search, filter, q, paging, fields), flattened
/// into each list tool's params; `D` holds that tool's descriptions.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound = "")]
pub struct ListQuery<D> {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
    #[serde(default)]
    pub fields: Option<String>,
    #[serde(skip)]
    docs: std::marker::PhantomData<D>,
}

/// The wire shape of `ListQuery`, for its schema.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct ListQueryWire {
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(flatten)]
    paging: Paging,
    #[serde(default)]
    fields: Option<String>,
}

impl<D: ListDocs> JsonSchema for ListQuery<D> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("ListQuery<{}>", std::any::type_name::<D>()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = ListQueryWire::json_schema(generator);
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            let docs = [
                ("search", D::SEARCH),
                ("filter", D::FILTER),
                ("q", D::Q),
                ("fields", Some(D::FIELDS)),
            ];
            for (name, doc) in docs {
                match (doc, props.get_mut(name)) {
                    (Some(doc), Some(Value::Object(prop))) => {
                        prop.insert("description".into(), json!(doc));
                    }
                    _ => {
                        props.remove(name);
                    }
                }
            }
        }
        schema
    }
}

impl<D> ListQuery<D> {
    /// Adds search, filter and q to `request` as Okta's query parameters (blank ones left out).
    pub fn apply(&self, request: ApiRequest) -> ApiRequest {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        request
            .query_opt("search", given(&self.search))
            .query_opt("filter", given(&self.filter))
            .query_opt("q", given(&self.q))
    }

    /// The `fields` projection, checked.
    pub fn fields(&self) -> Result<Option<Fields>, ToolError> {
        parse_fields(self.fields.as_deref())
    }
}

/// Runs a tool's work with its rate-limit waits bounded by OKTA_MCP_MAX_RATE_LIMIT_WAIT and
/// announced to the client as progress (when it asked for progress).
pub async fn with_rate_limit_waits<T>(
    ctx: &ToolCtx,
    work: impl std::future::Future<Output = T>,
) -> T {
    let observer = ctx.progress.clone().map(rate_limit_observer);
    okta_client::with_rate_limit_waits(ctx.settings.max_rate_limit_wait, observer, work).await
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

impl ListRules {
    /// Okta's usual list endpoint (users, groups, members, apps, policies): pages of up to
    /// 200, 20 unless the caller asks, at most 100 pages for fetch_all.
    pub const USUAL: ListRules = ListRules {
        default_limit: Some(20),
        max_limit: 200,
        fetch_all_limit: 200,
        max_pages: 100,
    };

    /// Short per-org lists (brands, email templates, policy rules): Okta's own page size
    /// unless the caller asks, at most 50 pages for fetch_all.
    pub const OKTA_SIZED: ListRules = ListRules {
        default_limit: None,
        max_limit: 200,
        fetch_all_limit: 200,
        max_pages: 50,
    };
}

/// Sends one request and answers its body shaped (for get/create/update tools). Without a
/// projection the answer is read straight into its compact text, never built as a value.
pub async fn object(
    ctx: &ToolCtx,
    request: ApiRequest,
    fields: Option<&Fields>,
) -> Result<Reply, ToolError> {
    // The links are not read at all.
    let request = request.without_links();
    if fields.is_some() {
        let response = ctx.client.send(request).await?;
        return Ok(field_selection::shape(response.body, fields).into());
    }
    Ok(match ctx.client.send_compact(request).await? {
        CompactBody::Text(text) if text.first() == Some(&b'{') => {
            Reply::Rendered(RenderedJson::from_parts(vec![text]))
        }
        // Not an object: a result wraps it, as a value.
        CompactBody::Text(text) => Reply::Value(
            serde_json::from_slice(&text)
                .map_err(|e| ApiError::Decode(format!("the compacted answer: {e}")))?,
        ),
        CompactBody::Value(value) => field_selection::shape(value, None).into(),
    })
}

pub fn parse_fields(spec: Option<&str>) -> Result<Option<Fields>, ToolError> {
    Fields::parse(spec).map_err(ToolError::InvalidArguments)
}

/// The outputSchema advertised for each result shape.
pub fn output_schema(result_kind: ResultKind) -> Map<String, Value> {
    let v = match result_kind {
        ResultKind::List => json!({
            "type": "object",
            "properties": {
                "items": {"type": "array"},
                "has_more": {"type": "boolean"},
                "next_cursor": {"type": ["string", "null"]}
            },
            "required": ["items"]
        }),
        ResultKind::Object => json!({"type": "object"}),
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_rises_with_every_notification_waits_included() {
        let events = [
            ProgressEvent::Waiting("waiting 23 s".into()),
            ProgressEvent::Waiting("waiting 18 s".into()),
            ProgressEvent::Fetched {
                pages: 1,
                items: 200,
            },
            ProgressEvent::Waiting("waiting 5 s".into()),
            ProgressEvent::Fetched {
                pages: 2,
                items: 201,
            },
            ProgressEvent::Fetched {
                pages: 3,
                items: 201,
            },
        ];
        let mut last = 0.0;
        let mut sent = Vec::new();
        for event in &events {
            if let Some((value, message)) = event.progress_after(last) {
                assert!(value > last, "{value} after {last}");
                last = value;
                sent.push((value, message));
            }
        }
        assert_eq!(
            sent.len(),
            5,
            "a page that adds nothing is not sent: {sent:?}"
        );
        assert_eq!(sent[0], (0.5, "waiting 23 s".to_owned()));
        assert_eq!(sent[1].0, 0.75);
        assert_eq!(sent[2], (200.0, "fetched 1 pages, 200 items".to_owned()));
        assert_eq!(sent[3].0, 200.5);
        assert_eq!(sent[4].0, 201.0);
    }

    #[test]
    fn bulk_steps_count_items_and_carry_the_total() {
        let step = |done| ProgressEvent::Step {
            done,
            total: 3,
            message: format!("{done}/3"),
        };
        assert_eq!(step(1).progress_after(0.0), Some((1.0, "1/3".to_owned())));
        assert_eq!(step(1).total(), Some(3.0));
        assert_eq!(
            step(1).progress_after(1.0),
            None,
            "never the same value twice"
        );
        let summary = ProgressEvent::Waiting("cancelled after 2 of 3".into());
        let (value, _) = summary.progress_after(2.0).unwrap();
        assert!(value > 2.0 && value < 3.0);
        assert_eq!(summary.total(), None);
    }
}
