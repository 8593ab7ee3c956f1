//! The Okta Integration Network catalogue (`/api/v1/catalog/apps`, used by the admin console
//! and absent from the public spec): it pages by app `name` and sends no Link header, so the
//! pages the walker reads are made here; installing an integration is a plain app create.

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::field_selection::{self, Fields};
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::arguments::non_empty;
use crate::tools::support::ids::CatalogAppName;
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset, common};
use futures::StreamExt;
use futures::stream::BoxStream;
use okta_client::{ApiError, ApiPath, ApiRequest, OktaClient, Page, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashSet;

const CATALOG: &str = "/api/v1/catalog/apps";
const DEFAULT_LIMIT: u32 = 20;
/// The catalogue's largest page.
const MAX_LIMIT: u32 = 200;
const MAX_PAGES: usize = 500;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListCatalogParams {
    /// Name or display name match, e.g. `salesforce`.
    #[serde(default)]
    pub q: Option<String>,
    /// `next_cursor` of a previous result.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size (default 20, max 199).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Follow every page (bounded).
    #[serde(default)]
    pub fetch_all: bool,
    /// Fields to return, e.g. `name,displayName`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetCatalogParams {
    /// Catalogue name, e.g. `salesforce`.
    pub app_name: CatalogAppName,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct InstallParams {
    /// Catalogue name, e.g. `salesforce`.
    pub name: String,
    /// Label shown to users.
    pub label: String,
    /// One of its signOnModes, e.g. SAML_2_0.
    pub sign_on_mode: String,
    /// e.g. `{"app":{"url":"https://…"}}`.
    #[serde(default)]
    pub settings: Option<Map<String, Value>>,
    /// Activate the app on creation.
    #[serde(default = "yes")]
    pub activate: bool,
}

fn yes() -> bool {
    true
}

pub fn list_catalog_apps() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_catalog_apps",
            title: "List OIN catalogue apps",
            description: "Search the Okta Integration Network catalogue of pre-built apps.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListCatalogParams| async move { list(&ctx, p).await },
    )
    .returns(schemas::list_of(schemas::catalog_app()))
}

pub fn get_catalog_app() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_catalog_app",
            title: "Get OIN catalogue app",
            description: "Get a catalogue app with the settings install_oin_app needs.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GetCatalogParams| async move {
            let req =
                ApiRequest::get(ApiPath::new(CATALOG).id(&p.app_name)).query("expand", "schema");
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::catalog_app())
}

pub fn install_oin_app() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "install_oin_app",
            title: "Install OIN app",
            description: "Add a catalogue app to the org. Returns the app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: InstallParams| async move {
            non_empty("name", &p.name)?;
            non_empty("label", &p.label)?;
            non_empty("sign_on_mode", &p.sign_on_mode)?;
            let mut body = json!({
                "name": p.name,
                "label": p.label,
                "signOnMode": p.sign_on_mode.trim().to_ascii_uppercase(),
            });
            if let Some(settings) = p.settings {
                body["settings"] = Value::Object(settings);
            }
            let req = ApiRequest::post(ApiPath::new(paths::APPS))
                .query("activate", p.activate)
                .json(body);
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::application())
}

async fn page(
    client: &OktaClient,
    q: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Value>, ApiError> {
    let req = ApiRequest::get(ApiPath::new(CATALOG))
        .query_opt("q", q)
        .query_opt("after", after)
        .query("limit", limit);
    match client.send(req).await?.body {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        _ => Err(ApiError::Decode(
            "the catalogue returned something other than a list".into(),
        )),
    }
}

/// The catalogue's pages for fetch_all, for the page walker: with no Link header, the page
/// after a full one starts after its last name (the catalogue is sorted by name).
fn pages(
    client: OktaClient,
    q: Option<String>,
    after: Option<String>,
) -> BoxStream<'static, Result<Page, ApiError>> {
    futures::stream::unfold(Some(after), move |from| {
        let (client, q) = (client.clone(), q.clone());
        async move {
            let after = from?;
            let items = match page(&client, q.as_deref(), after.as_deref(), MAX_LIMIT).await {
                Ok(items) => items,
                Err(e) => return Some((Err(e), None)),
            };
            let next = if items.len() == MAX_LIMIT as usize {
                items.last().and_then(name_of)
            } else {
                None
            };
            let following = next.clone().map(Some);
            let page = Page {
                items,
                next_cursor: next,
                unfollowed_next: None,
            };
            Some((Ok(page), following))
        }
    })
    .boxed()
}

/// One page asks for one entry more than it returns, so `has_more` is exact and paging
/// never ends on an empty phantom page; fetch_all walks by name until a short page.
async fn list(ctx: &ToolCtx, p: ListCatalogParams) -> Result<Value, ToolError> {
    let fields = common::parse_fields(p.fields.as_deref())?;
    let q = p.q.filter(|s| !s.trim().is_empty());
    let after = p.after.filter(|s| !s.trim().is_empty());
    let budget = ctx.settings.max_result_bytes;
    let mut listing = Listing::new(budget, fields);

    if !p.fetch_all {
        let limit = p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT - 1);
        let mut items = page(&ctx.client, q.as_deref(), after.as_deref(), limit + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        listing.take(items);
        if more && listing.next.is_none() {
            listing.next = listing.last_name.clone();
        }
        return Ok(listing.finish(false, 1, None));
    }

    let observer = Observer::of(ctx);
    let mut pages = PageWalk::new(&observer, pages(ctx.client.clone(), q, after), MAX_PAGES);
    let mut seen: HashSet<String> = HashSet::new();
    let mut stop_reason = None;
    while let Some(page) = pages.next().await {
        let full = page.next_cursor.is_some();
        let fresh: Vec<Value> = page
            .items
            .into_iter()
            .filter(|i| seen.insert(name_of(i).unwrap_or_default()))
            .collect();
        let advanced = !fresh.is_empty();
        let before = listing.items.len();
        listing.take(fresh);
        pages.took((listing.items.len() - before) as u64);
        if listing.truncated {
            pages.stop();
        } else if full && !advanced {
            stop_reason = Some("cursor did not advance".to_owned());
            pages.stop();
        }
    }
    let walked = pages.finish();
    match walked.end {
        WalkEnd::Complete | WalkEnd::Stopped => {}
        WalkEnd::PageCap { after } => {
            stop_reason = Some(format!("reached the page limit ({MAX_PAGES} pages)"));
            listing.next = Some(after);
        }
        WalkEnd::Cancelled => {
            stop_reason = Some("cancelled by the client".to_owned());
            listing.next = listing.last_name.clone();
        }
        WalkEnd::Unfollowed(reason) => stop_reason = Some(reason),
        WalkEnd::Failed(error) => return Err(error.into()),
    }
    Ok(listing.finish(true, walked.pages, stop_reason))
}

fn name_of(item: &Value) -> Option<String> {
    item["name"].as_str().map(str::to_owned)
}

/// Shaped items under the byte budget, and the name to continue after.
struct Listing {
    items: Vec<Value>,
    used: usize,
    budget: usize,
    fields: Option<Fields>,
    last_name: Option<String>,
    next: Option<String>,
    truncated: bool,
}

impl Listing {
    fn new(budget: usize, fields: Option<Fields>) -> Self {
        Self {
            items: Vec::new(),
            used: 0,
            budget,
            fields,
            last_name: None,
            next: None,
            truncated: false,
        }
    }

    fn take(&mut self, raw: Vec<Value>) {
        for item in raw {
            if self.truncated {
                return;
            }
            let name = name_of(&item);
            let shaped = field_selection::shape(item, self.fields.as_ref());
            let size = serde_json::to_vec(&shaped)
                .map(|b| b.len() + 1)
                .unwrap_or(0);
            if self.used + size > self.budget && !self.items.is_empty() {
                self.truncated = true;
                self.next = self.last_name.clone();
                return;
            }
            self.used += size;
            self.items.push(shaped);
            self.last_name = name;
        }
    }

    fn finish(self, fetch_all: bool, pages: usize, stop_reason: Option<String>) -> Value {
        let mut out = json!({
            "total_fetched": self.items.len(),
            "has_more": self.next.is_some(),
            "next_cursor": self.next,
            "fetch_all_used": fetch_all,
        });
        if fetch_all {
            out["pagination_info"] = json!({
                "pages_fetched": pages,
                "total_items": self.items.len(),
                "stopped_early": stop_reason.is_some() || self.truncated,
                "stop_reason": stop_reason,
            });
        }
        if self.truncated {
            out["truncated"] = json!(true);
            out["truncation_note"] = json!(format!(
                "Result cut at {} items to stay under {} bytes. Continue with after=next_cursor, narrow with q, or pick `fields`.",
                self.items.len(),
                self.budget
            ));
        }
        out["items"] = Value::Array(self.items);
        out
    }
}
