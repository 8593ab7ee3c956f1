//! The tool registry: every tool is declared once (name, description, params, scope,
//! annotations, output shape, confirmation, handler) and everything else derives from it.

pub mod apps;
pub mod brands;
pub mod common;
pub mod custom_domains;
pub mod custom_pages;
pub mod device_assurance;
pub mod email_domains;
pub mod email_templates;
pub mod error;
pub mod field_selection;
pub mod files;
pub mod groups;
pub mod listing;
pub mod log_event_types;
pub mod log_summary;
pub mod log_window;
pub mod logs;
pub mod meta;
pub mod policies;
pub mod themes;
pub mod users;

use crate::rendered_json::RenderedJson;
use crate::tools::error::ToolError;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::Future;
use std::sync::Arc;

pub use common::ToolCtx;

/// A group of tools that can be switched on or off together (`--toolsets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Toolset {
    Users,
    Groups,
    Apps,
    Policies,
    DeviceAssurance,
    Logs,
    Brands,
    Themes,
    CustomPages,
    EmailTemplates,
    CustomDomains,
    EmailDomains,
    Meta,
}

impl Toolset {
    pub const ALL: [Toolset; 13] = [
        Toolset::Users,
        Toolset::Groups,
        Toolset::Apps,
        Toolset::Policies,
        Toolset::DeviceAssurance,
        Toolset::Logs,
        Toolset::Brands,
        Toolset::Themes,
        Toolset::CustomPages,
        Toolset::EmailTemplates,
        Toolset::CustomDomains,
        Toolset::EmailDomains,
        Toolset::Meta,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Toolset::Users => "users",
            Toolset::Groups => "groups",
            Toolset::Apps => "apps",
            Toolset::Policies => "policies",
            Toolset::DeviceAssurance => "device_assurance",
            Toolset::Logs => "logs",
            Toolset::Brands => "brands",
            Toolset::Themes => "themes",
            Toolset::CustomPages => "custom_pages",
            Toolset::EmailTemplates => "email_templates",
            Toolset::CustomDomains => "custom_domains",
            Toolset::EmailDomains => "email_domains",
            Toolset::Meta => "meta",
        }
    }
}

/// Parses `users,groups,logs`; `meta` (get_scope_status) is always kept.
pub fn parse_toolsets(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = raw.to_ascii_lowercase().replace('-', "_");
        if name == "all" {
            return Ok(Toolset::ALL.iter().map(|t| t.name().to_owned()).collect());
        }
        if !Toolset::ALL.iter().any(|t| t.name() == name) {
            let known: Vec<&str> = Toolset::ALL.iter().map(|t| t.name()).collect();
            return Err(format!(
                "unknown toolset {raw:?}; known: all, {}",
                known.join(", ")
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// What a tool does to the org; the MCP annotations and read-only filtering derive from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Read,
    /// Creates or changes something; `idempotent` when repeating it changes nothing more.
    Write {
        idempotent: bool,
    },
    /// Deletes, deactivates or resets: asks for confirmation first.
    Destructive {
        idempotent: bool,
    },
}

/// The shape of a tool's structured result, for its outputSchema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// `{items, has_more, next_cursor, ...}`.
    List,
    /// One Okta object (or an acknowledgement object).
    Object,
}

/// The declaration of one tool, minus its params type and handler.
#[derive(Clone, Copy, Debug)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub toolset: Toolset,
    /// Okta scope the call needs; None for tools that make no Okta call.
    pub scope: Option<&'static str>,
    pub effect: Effect,
    pub output: Output,
}

/// What a handler answers: a JSON value, or a list already rendered to JSON text as its
/// pages arrived (see `rendered_json`).
#[derive(Debug)]
pub enum Reply {
    Value(Value),
    Rendered(RenderedJson),
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply::Value(value)
    }
}

type Handler =
    Arc<dyn Fn(ToolCtx, Value) -> BoxFuture<'static, Result<Reply, ToolError>> + Send + Sync>;
type Confirmer =
    Arc<dyn Fn(ToolCtx, Value) -> BoxFuture<'static, Result<String, ToolError>> + Send + Sync>;

/// A tool: its spec, its input schema (from the params type) and its handler.
#[derive(Clone)]
pub struct ToolDef {
    pub spec: ToolSpec,
    pub input_schema: Arc<Map<String, Value>>,
    handler: Handler,
    confirmer: Option<Confirmer>,
}

impl ToolDef {
    /// Declares a tool whose arguments deserialize into `P`.
    pub fn new<P, F, Fut, R>(spec: ToolSpec, handler: F) -> Self
    where
        P: JsonSchema + DeserializeOwned + Send + 'static,
        F: Fn(ToolCtx, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, ToolError>> + Send + 'static,
        R: Into<Reply>,
    {
        let mut schema = schema_for::<P>();
        if matches!(spec.effect, Effect::Destructive { .. }) {
            add_confirm_property(&mut schema);
        }
        let handler = Arc::new(handler);
        Self {
            spec,
            input_schema: Arc::new(schema),
            handler: Arc::new(move |ctx, args| {
                let handler = handler.clone();
                Box::pin(async move {
                    let params = parse_args::<P>(args)?;
                    handler(ctx, params).await.map(Into::into)
                })
            }),
            confirmer: None,
        }
    }

    /// Adds the message shown when asking the user to confirm (it may look the object up,
    /// so the prompt names it: "Deactivate user jane@acme.com (00u…)?").
    pub fn confirm_with<P, F, Fut>(mut self, confirmer: F) -> Self
    where
        P: DeserializeOwned + Send + 'static,
        F: Fn(ToolCtx, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ToolError>> + Send + 'static,
    {
        let confirmer = Arc::new(confirmer);
        self.confirmer = Some(Arc::new(move |ctx, args| {
            let confirmer = confirmer.clone();
            Box::pin(async move {
                let params = parse_args::<P>(args)?;
                confirmer(ctx, params).await
            })
        }));
        self
    }

    pub fn is_read_only(&self) -> bool {
        self.spec.effect == Effect::Read
    }

    pub fn needs_confirmation(&self) -> bool {
        matches!(self.spec.effect, Effect::Destructive { .. })
    }

    /// Runs the handler. `args` must not hold the `confirm` flag (the server strips it).
    pub async fn call(&self, ctx: ToolCtx, args: Value) -> Result<Reply, ToolError> {
        common::with_rate_limit_waits(&ctx.clone(), (self.handler)(ctx, args)).await
    }

    /// The confirmation question for these arguments.
    pub async fn confirmation_message(
        &self,
        ctx: ToolCtx,
        args: Value,
    ) -> Result<String, ToolError> {
        match &self.confirmer {
            Some(confirmer) => {
                common::with_rate_limit_waits(&ctx.clone(), confirmer(ctx, args)).await
            }
            None => Ok(format!("Run {} with {}?", self.spec.name, args)),
        }
    }

    /// The MCP definition sent in tools/list. Every byte here is paid by every conversation,
    /// so hints the spec calls meaningless for read-only tools (destructive, idempotent) are
    /// left out for them, and only list results, which have a fixed envelope, declare an
    /// outputSchema (an Okta object's schema would be just `object`).
    pub fn mcp_tool(&self) -> rmcp::model::Tool {
        let annotations = match self.spec.effect {
            Effect::Read => rmcp::model::ToolAnnotations::new().read_only(true),
            Effect::Write { idempotent } => rmcp::model::ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(idempotent),
            Effect::Destructive { idempotent } => rmcp::model::ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(idempotent),
        }
        .open_world(self.spec.scope.is_some());
        let tool = rmcp::model::Tool::new(
            self.spec.name,
            self.spec.description,
            self.input_schema.clone(),
        )
        .with_title(self.spec.title)
        .with_annotations(annotations);
        match self.spec.output {
            Output::List => {
                tool.with_raw_output_schema(Arc::new(common::output_schema(self.spec.output)))
            }
            Output::Object => tool,
        }
    }
}

fn parse_args<P: DeserializeOwned>(args: Value) -> Result<P, ToolError> {
    serde_json::from_value(args).map_err(|e| ToolError::InvalidArguments(e.to_string()))
}

/// JSON schema of a params type, inlined (no `$ref`/`$defs`), as MCP clients expect.
fn schema_for<P: JsonSchema>() -> Map<String, Value> {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
    });
    let schema = settings.into_generator().into_root_schema_for::<P>();
    let mut map = match schema.to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.remove("$schema");
    map.remove("title");
    map.remove("description");
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(tidy_property);
    }
    if !map.contains_key("properties") {
        map.insert("properties".into(), Value::Object(Map::new()));
    }
    map
}

/// Optional parameters are simply absent when unused, so `null` alternatives, `default: null`
/// and integer formats only cost context; drop them.
fn tidy_property(prop: &mut Value) {
    let Value::Object(p) = prop else { return };
    if p.get("default") == Some(&Value::Null) {
        p.remove("default");
    }
    if let Some(Value::Array(types)) = p.get("type") {
        let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if non_null.len() == 1 {
            p.insert("type".into(), non_null[0].clone());
        }
    }
    if let Some(Value::Array(values)) = p.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if matches!(
        p.get("format").and_then(Value::as_str),
        Some(
            "uint"
                | "uint32"
                | "uint64"
                | "int32"
                | "int64"
                | "uint8"
                | "uint16"
                | "double"
                | "float"
        )
    ) {
        p.remove("format");
    }
    if let Some(items) = p.get_mut("items") {
        tidy_property(items);
    }
    if let Some(Value::Object(inner)) = p.get_mut("properties") {
        inner.values_mut().for_each(tidy_property);
    }
}

fn add_confirm_property(schema: &mut Map<String, Value>) {
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.insert(
            "confirm".into(),
            serde_json::json!({
                "type": "boolean",
                "description": "true once the user approved it (clients without prompts)"
            }),
        );
    }
}

/// Every tool this server knows, in catalogue order.
pub fn all_tools() -> Vec<ToolDef> {
    let mut tools = Vec::new();
    tools.extend(users::tools());
    tools.extend(groups::tools());
    tools.extend(apps::tools());
    tools.extend(policies::tools());
    tools.extend(device_assurance::tools());
    tools.extend(logs::tools());
    tools.extend(log_summary::tools());
    tools.extend(brands::tools());
    tools.extend(themes::tools());
    tools.extend(custom_pages::tools());
    tools.extend(email_templates::tools());
    tools.extend(custom_domains::tools());
    tools.extend(email_domains::tools());
    tools.extend(meta::tools());
    tools
}

/// Every Okta scope some tool needs, sorted.
pub fn all_scopes() -> Vec<String> {
    let set: std::collections::BTreeSet<&str> =
        all_tools().iter().filter_map(|t| t.spec.scope).collect();
    set.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod guards;
