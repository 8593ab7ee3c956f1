//! Tools: each is declared once (name, description, params, scope, annotations, output
//! shape, confirmation, handler) as a `ToolDef`, and everything else derives from it. One
//! module (or folder) per Okta area; what areas share is in `support`, the catalogue in
//! `registry`.

pub mod admin_roles;
pub mod apps;
pub mod authenticators;
pub mod branding;
pub mod common;
pub mod device_assurance;
pub mod error;
pub mod field_selection;
pub mod groups;
pub mod listing;
pub mod logs;
pub mod meta;
pub mod network_zones;
pub mod page_walk;
pub mod policies;
pub mod registry;
pub mod support;
pub mod users;

use crate::rendered_json::RenderedJson;
use crate::tools::error::ToolError;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::any::{Any, TypeId};
use std::future::Future;
use std::sync::Arc;

pub use common::ToolCtx;
pub use registry::{Toolset, all_scopes, all_tools};

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
pub enum ResultKind {
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
    pub result_kind: ResultKind,
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

/// A call's arguments, read into the tool's params type once: the confirmation question and
/// the handler both take them from here, and the raw JSON is kept for the default question.
pub struct ParsedArgs {
    params: Box<dyn Any + Send + Sync>,
    raw: Value,
}

type Parser = Arc<dyn Fn(Value) -> Result<ParsedArgs, ToolError> + Send + Sync>;
type Handler =
    Arc<dyn Fn(ToolCtx, ParsedArgs) -> BoxFuture<'static, Result<Reply, ToolError>> + Send + Sync>;
type Confirmer = Arc<
    dyn Fn(ToolCtx, &ParsedArgs) -> BoxFuture<'static, Result<String, ToolError>> + Send + Sync,
>;

/// Arguments handed to a tool other than the one that read them: a bug, refused as such.
fn foreign_args(tool: &str) -> ToolError {
    ToolError::InvalidArguments(format!(
        "internal error: arguments were read for a tool other than {tool}"
    ))
}

/// A tool: its spec, its input schema (from the params type) and its handler.
#[derive(Clone)]
pub struct ToolDef {
    pub spec: ToolSpec,
    pub input_schema: Arc<Map<String, Value>>,
    params_type: TypeId,
    parser: Parser,
    handler: Handler,
    confirmer: Option<Confirmer>,
    /// The outputSchema this tool declares, when it names one (see `returns`).
    output_schema: Option<Arc<Map<String, Value>>>,
    /// The handler answers a dry run itself (bulk tools list each item's plan); others get
    /// the generic plan of their first write (see `support::plan`).
    plans_itself: bool,
}

impl ToolDef {
    /// Declares a tool whose arguments deserialize into `P`.
    pub fn new<P, F, Fut, R>(spec: ToolSpec, handler: F) -> Self
    where
        P: JsonSchema + DeserializeOwned + Send + Sync + 'static,
        F: Fn(ToolCtx, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, ToolError>> + Send + 'static,
        R: Into<Reply>,
    {
        let mut schema = schema_for::<P>();
        if matches!(spec.effect, Effect::Destructive { .. }) {
            add_confirm_property(&mut schema);
        }
        if spec.effect != Effect::Read {
            add_dry_run_property(&mut schema);
        }
        let handler = Arc::new(handler);
        let name = spec.name;
        Self {
            spec,
            input_schema: Arc::new(schema),
            params_type: TypeId::of::<P>(),
            parser: Arc::new(|raw: Value| {
                let params = parse_args::<P>(&raw)?;
                Ok(ParsedArgs {
                    params: Box::new(params),
                    raw,
                })
            }),
            handler: Arc::new(move |ctx, args: ParsedArgs| {
                let handler = handler.clone();
                let params = args.params.downcast::<P>();
                Box::pin(async move {
                    let params = params.map_err(|_| foreign_args(name))?;
                    handler(ctx, *params).await.map(Into::into)
                })
            }),
            confirmer: None,
            output_schema: None,
            plans_itself: false,
        }
    }

    /// Marks a handler that answers a dry run itself (it sees `ctx.client.is_planning()` and
    /// reports what each of its writes would do); other tools' dry runs end at their first
    /// write with the generic plan.
    pub fn plans_itself(mut self) -> Self {
        self.plans_itself = true;
        self
    }

    /// Whether the handler answers a dry run itself (see `plans_itself`).
    pub fn answers_dry_run(&self) -> bool {
        self.plans_itself
    }

    /// Declares the JSON Schema of this tool's structured result (its MCP outputSchema), built
    /// from `support::output_schemas`; every success result must validate against it (the
    /// e2e test clients check each one). Every tool declares one: guards.rs fails without it.
    pub fn returns(mut self, schema: Value) -> Self {
        self.output_schema = match schema {
            Value::Object(map) => Some(Arc::new(map)),
            other => panic!(
                "{}: an outputSchema must be a JSON object, not {other}",
                self.spec.name
            ),
        };
        self.fit_required_to_every_answer();
        self
    }

    /// Adds the message shown when asking the user to confirm (it may look the object up,
    /// so the prompt names it: "Deactivate user jane@acme.com (00u…)?"). It gets a copy of
    /// the arguments the handler gets; `P` must be the handler's params type. A write tool
    /// that declares a question asks it too (a bulk grant: one confirmation for many users).
    pub fn confirm_with<P, F, Fut>(mut self, confirmer: F) -> Self
    where
        P: Clone + Send + Sync + 'static,
        F: Fn(ToolCtx, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ToolError>> + Send + 'static,
    {
        // Checked when the registry is built, so every test that lists the tools catches it.
        assert!(
            TypeId::of::<P>() == self.params_type,
            "{}: confirm_with takes a params type other than the handler's",
            self.spec.name
        );
        let confirmer = Arc::new(confirmer);
        let name = self.spec.name;
        add_confirm_property(Arc::make_mut(&mut self.input_schema));
        self.confirmer = Some(Arc::new(move |ctx, args: &ParsedArgs| {
            let confirmer = confirmer.clone();
            let params = args.params.downcast_ref::<P>().cloned();
            Box::pin(async move {
                let params = params.ok_or_else(|| foreign_args(name))?;
                confirmer(ctx, params).await
            })
        }));
        self.fit_required_to_every_answer();
        self
    }

    /// Reads `args` (without the `confirm` and `dry_run` flags, which the server strips)
    /// into the params type, once for the whole call.
    pub fn parse(&self, args: Value) -> Result<ParsedArgs, ToolError> {
        (self.parser)(args)
    }

    pub fn is_read_only(&self) -> bool {
        self.spec.effect == Effect::Read
    }

    /// Destructive tools ask, and so does a write tool that declares its question.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self.spec.effect, Effect::Destructive { .. }) || self.confirmer.is_some()
    }

    /// Every tool that writes takes `dry_run: true` (see `support::plan`).
    pub fn takes_dry_run(&self) -> bool {
        self.spec.effect != Effect::Read
    }

    /// Runs the handler on arguments this tool parsed.
    pub async fn call(&self, ctx: ToolCtx, args: ParsedArgs) -> Result<Reply, ToolError> {
        common::with_rate_limit_waits(&ctx.clone(), (self.handler)(ctx, args)).await
    }

    /// The confirmation question for these arguments.
    pub async fn confirmation_message(
        &self,
        ctx: ToolCtx,
        args: &ParsedArgs,
    ) -> Result<String, ToolError> {
        match &self.confirmer {
            Some(confirmer) => {
                common::with_rate_limit_waits(&ctx.clone(), confirmer(ctx, args)).await
            }
            None => Ok(format!("Run {} with {}?", self.spec.name, args.raw)),
        }
    }

    /// The MCP definition sent in tools/list. Every byte here is paid by every conversation,
    /// so hints the spec calls meaningless for read-only tools (destructive, idempotent) are
    /// left out for them, and output schemas hold names and types only.
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
        match &self.output_schema {
            Some(schema) => tool.with_raw_output_schema(schema.clone()),
            // Only a tool declared without `returns` (which guards.rs refuses) gets here.
            None => match self.spec.result_kind {
                ResultKind::List => tool
                    .with_raw_output_schema(Arc::new(common::output_schema(self.spec.result_kind))),
                ResultKind::Object => tool,
            },
        }
    }

    /// Cuts the declared schema's `required` to what every answer of this tool carries. A
    /// tool that writes does not always answer with its usual result: a dry run answers with
    /// the plan, and a tool that confirms may answer "please confirm" or "not done". Those are
    /// success results too, and MCP wants every success result to fit the schema, so such a
    /// tool requires at most `tool` and `message`; its properties and their types still hold.
    /// Done once, when declared (by `returns` and by `confirm_with`, whichever comes last),
    /// since rmcp looks the tool up on every call.
    fn fit_required_to_every_answer(&mut self) {
        const EVERY_ANSWER_CARRIES: [&str; 2] = ["tool", "message"];
        if !(self.takes_dry_run() || self.needs_confirmation()) {
            return;
        }
        let Some(schema) = self.output_schema.as_mut() else {
            return;
        };
        let Some(Value::Array(required)) = schema.get("required") else {
            return;
        };
        let kept: Vec<Value> = required
            .iter()
            .filter(|key| EVERY_ANSWER_CARRIES.iter().any(|kept| *key == kept))
            .cloned()
            .collect();
        if kept.len() == required.len() {
            return;
        }
        let schema = Arc::make_mut(schema);
        if kept.is_empty() {
            schema.remove("required");
        } else {
            schema.insert("required".into(), Value::Array(kept));
        }
    }

    /// Whether this tool declared its outputSchema with `returns` (guards.rs requires it).
    #[cfg(test)]
    pub fn declares_output(&self) -> bool {
        self.output_schema.is_some()
    }
}

/// Reads a tool's arguments; a bad value is named by its field (`user_id: must not be empty…`).
fn parse_args<P: DeserializeOwned>(args: &Value) -> Result<P, ToolError> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ToolError::InvalidArguments(if path == "." || path == "?" {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        })
    })
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

/// `dry_run`, offered by every tool that writes; the server strips it before the params
/// are read, so no tool declares it.
fn add_dry_run_property(schema: &mut Map<String, Value>) {
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.insert(
            "dry_run".into(),
            // No description: the name says it, and the server's instructions explain it
            // once instead of in each of the ~70 tools that write.
            serde_json::json!({"type": "boolean"}),
        );
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

#[cfg(test)]
mod guards;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static READS: AtomicUsize = AtomicUsize::new(0);

    /// Params that count how often they are deserialised.
    #[derive(Clone, JsonSchema)]
    struct Counted {
        id: String,
    }

    impl<'de> Deserialize<'de> for Counted {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            struct Raw {
                id: String,
            }
            READS.fetch_add(1, Ordering::SeqCst);
            Raw::deserialize(d).map(|r| Counted { id: r.id })
        }
    }

    #[derive(Clone, Deserialize, JsonSchema)]
    struct Other {}

    const SPEC: ToolSpec = ToolSpec {
        name: "delete_thing",
        title: "Delete thing",
        description: "Delete a thing.",
        toolset: Toolset::Meta,
        scope: None,
        effect: Effect::Destructive { idempotent: true },
        result_kind: ResultKind::Object,
    };

    fn ctx() -> ToolCtx {
        let settings = crate::settings::Settings::from_args(&crate::cli::GlobalArgs {
            demo: Some(true),
            audit_log: Some("off".into()),
            ..Default::default()
        })
        .unwrap();
        let org = url::Url::parse("http://127.0.0.1:9").unwrap();
        let auth = Arc::new(okta_auth::StaticToken(okta_auth::Secret::new("t")));
        ToolCtx {
            client: okta_client::OktaClient::new(okta_client::ClientConfig::new(org), auth)
                .unwrap(),
            settings: Arc::new(settings),
            progress: None,
            cancel: Default::default(),
            scope_status: Arc::new(|| Value::Null),
            caller: None,
        }
    }

    #[tokio::test]
    async fn arguments_are_read_once_for_the_question_and_the_handler() {
        let tool = ToolDef::new(SPEC, |_ctx: ToolCtx, p: Counted| async move {
            Ok(json!({ "deleted": p.id }))
        })
        .confirm_with(|_ctx: ToolCtx, p: Counted| async move { Ok(format!("Delete {}?", p.id)) });
        let before = READS.load(Ordering::SeqCst);
        let args = tool.parse(json!({"id": "th1"})).unwrap();
        let question = tool.confirmation_message(ctx(), &args).await.unwrap();
        assert_eq!(question, "Delete th1?");
        let Reply::Value(done) = tool.call(ctx(), args).await.unwrap() else {
            panic!("a value reply")
        };
        assert_eq!(done, json!({"deleted": "th1"}));
        assert_eq!(READS.load(Ordering::SeqCst) - before, 1, "read once");
        let bad = tool.parse(json!({"id": 7})).err().unwrap().to_string();
        assert!(bad.contains("id"), "{bad}");
    }

    #[test]
    #[should_panic(expected = "params type other than the handler's")]
    fn a_question_for_other_params_is_refused_when_the_tool_is_declared() {
        let _ = ToolDef::new(
            SPEC,
            |_ctx: ToolCtx, _p: Counted| async move { Ok(Value::Null) },
        )
        .confirm_with(|_ctx: ToolCtx, _p: Other| async move { Ok(String::new()) });
    }
}
