//! The MCP server: tools/list and tools/call over the registry, with the exposure filter,
//! the confirmation gate, progress and cancellation. Transport-agnostic.

mod completion;
pub mod confirm;
pub mod exposure;
pub mod http;
pub mod params;
pub mod prompts;
pub mod stdio;

use crate::audit::{self, Actor, AuditJournal, AuditRecord, CallOutcome};
use crate::caller::Caller;
use crate::org::Org;
use crate::rendered_json::RenderedJson;
use crate::settings::Settings;
use crate::team::people::ReadWithGrant;
use crate::tools::common::{ProgressEvent, ProgressFn};
use crate::tools::error::ToolError;
use crate::tools::support::plan;
use crate::tools::{Reply, ToolCtx, ToolDef};
use okta_auth::{AuthError, Authenticator};
use okta_client::ApiError;
use okta_client::OktaClient;
use rmcp::model::*;
use rmcp::service::{ElicitationMode, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use stdio::rendered_replies::{Hold, RenderedReplies};

const INSTRUCTIONS: &str = "Administer an Okta org: users, groups, applications, policies, device assurance, the System Log and branding. \
Prefer search/filter parameters and `fields` over fetching everything; list results carry `next_cursor` for the next page. \
Destructive tools (delete, deactivate, reset) ask the user to confirm first; any tool that writes takes `dry_run: true` to show its plan without sending it. If a tool says sign-in is needed, show the user the URL and code it gives.";

/// Shared state of one server process (cheap to clone per connection).
#[derive(Clone)]
pub struct OktaMcp {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Arc<Settings>,
    client: OktaClient,
    auth: Arc<Authenticator>,
    tools: Vec<ToolDef>,
    by_name: HashMap<&'static str, usize>,
    confirmations: confirm::PendingConfirmations,
    /// Device codes already offered to the client as a URL elicitation.
    offered_codes: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Where rendered results wait for the stdio writer to write their response; None where
    /// the SDK serialises every response (Streamable HTTP), so they are turned into values.
    rendered_replies: Option<Arc<RenderedReplies>>,
    /// Where calls of tools that write are journaled (None with OKTA_MCP_AUDIT_LOG=off).
    audit: Option<AuditJournal>,
    /// Team mode: each call acts with the caller's own Okta client, never `client`.
    people: Option<Arc<crate::team::people::People>>,
}

impl OktaMcp {
    pub fn new(org: &Org, rendered_replies: Option<Arc<RenderedReplies>>) -> Self {
        Self::build(org, rendered_replies, None)
    }

    /// The team server's handler: every call acts as the signed-in caller.
    pub fn for_team(org: &Org, people: Arc<crate::team::people::People>) -> Self {
        Self::build(org, None, Some(people))
    }

    fn build(
        org: &Org,
        rendered_replies: Option<Arc<RenderedReplies>>,
        people: Option<Arc<crate::team::people::People>>,
    ) -> Self {
        let tools = crate::tools::all_tools();
        let by_name = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.spec.name, i))
            .collect();
        Self {
            inner: Arc::new(Inner {
                settings: org.settings.clone(),
                client: org.client.clone(),
                auth: org.auth.clone(),
                tools,
                by_name,
                confirmations: people.as_ref().map_or_else(Default::default, |p| {
                    confirm::PendingConfirmations::in_store(p.state().clone())
                }),
                offered_codes: Default::default(),
                rendered_replies,
                audit: org.audit.clone(),
                people,
            }),
        }
    }

    /// Scopes the current token holds; before any token exists, the configured ones.
    pub fn granted_scopes(&self) -> BTreeSet<String> {
        match self.inner.auth.granted_scopes() {
            Some(scopes) => scopes.into_iter().collect(),
            None => self.inner.settings.scopes.iter().cloned().collect(),
        }
    }

    /// The scopes that decide what `caller` sees: theirs in team mode, else the server's.
    pub(crate) fn granted_for<'a>(&self, caller: Option<&'a Caller>) -> exposure::Granted<'a> {
        match caller {
            Some(caller) => exposure::Granted::Caller(&caller.scopes),
            None => exposure::Granted::Own(self.granted_scopes()),
        }
    }

    /// The tools `caller` may see (team mode prunes by the scopes that person was granted).
    pub(crate) fn visible_tools_for(&self, caller: Option<&Caller>) -> Vec<&ToolDef> {
        let granted = self.granted_for(caller);
        self.inner
            .tools
            .iter()
            .filter(|t| exposure::check(t, &self.inner.settings, &granted).is_ok())
            .collect()
    }

    /// The Okta client that acts for `caller`: that person's in team mode (none without a
    /// signed-in person: nothing may act with the server's own identity there), else the
    /// server's own. `read_with_grant`: the person's tokens as the bearer check read them.
    pub(crate) fn client_for(
        &self,
        caller: Option<&Caller>,
        read_with_grant: Option<ReadWithGrant>,
    ) -> Option<OktaClient> {
        match (&self.inner.people, caller) {
            (None, _) => Some(self.inner.client.clone()),
            (Some(people), Some(caller)) => Some(people.client_for(caller, read_with_grant)),
            (Some(_), None) => None,
        }
    }

    pub fn tool(&self, name: &str) -> Option<&ToolDef> {
        self.inner.by_name.get(name).map(|&i| &self.inner.tools[i])
    }

    fn ctx(
        &self,
        progress: Option<ProgressFn>,
        cancel: tokio_util::sync::CancellationToken,
        client: OktaClient,
        caller: Option<Caller>,
        writes: Option<&okta_client::WriteRecorder>,
    ) -> ToolCtx {
        let this = self.clone();
        let for_caller = caller.clone();
        ToolCtx {
            client: match writes {
                Some(recorder) => client.recording_writes(recorder),
                None => client,
            },
            settings: self.inner.settings.clone(),
            progress,
            cancel,
            scope_status: Arc::new(move || this.scope_status_for(for_caller.as_ref())),
            caller,
        }
    }

    /// What get_scope_status reports: configured and granted scopes, and what each missing one would unlock.
    fn scope_status_for(&self, caller: Option<&Caller>) -> Value {
        let granted = self.granted_for(caller);
        let mut missing: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for tool in &self.inner.tools {
            if let Some(scope) = tool.spec.scope
                && !exposure::scope_granted(&granted, scope)
            {
                missing.entry(scope).or_default().push(tool.spec.name);
            }
        }
        json!({
            "configured_scopes": self.inner.settings.scopes,
            "granted_scopes": match caller {
                Some(caller) => Some(caller.scopes.to_vec()),
                None => self.inner.auth.granted_scopes(),
            },
            "missing_scopes": missing.iter().map(|(scope, tools)| json!({"scope": scope, "tools": tools})).collect::<Vec<_>>(),
            "read_only": self.inner.settings.read_only,
            "toolsets": self.inner.settings.toolsets.clone().unwrap_or_else(|| vec!["all".into()]),
            "instructions": if missing.is_empty() {
                "Every tool's scope is granted.".to_owned()
            } else if caller.is_some() {
                "To unlock a tool, sign in again granting its scope (your MCP client asks for it when a tool needs it); the scope must be granted to the server's Okta app.".to_owned()
            } else {
                "To unlock a tool, grant its scope to the Okta app (Okta Admin Console → Applications → the app → Okta API Scopes), add it to OKTA_SCOPES, and run `okta-mcp-server auth login`.".to_owned()
            },
        })
    }

    /// Runs one tool call end to end, as both MCP and the `call` command do. A call of a
    /// tool that writes is journaled (see `crate::audit`) before its result goes back.
    pub async fn run_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        gate: confirm::Gate<'_>,
        progress: Option<ProgressFn>,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Result<ToolAnswer, ErrorData> {
        let Some(tool) = self.tool(name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}; call tools/list for the available tools"),
                None,
            ));
        };
        let Some(journal) = self.inner.audit.as_ref().filter(|_| !tool.is_read_only()) else {
            let (answer, _) = self
                .run_known_tool(tool, arguments, gate, progress, cancel, None)
                .await;
            return Ok(answer);
        };
        let mut record = AuditRecord::tool_call(&Actor::default(), name, &arguments);
        let who = self.audit_actor(&gate);
        let writes = okta_client::WriteRecorder::default();
        let (answer, outcome) = self
            .run_known_tool(tool, arguments, gate, progress, cancel, Some(&writes))
            .await;
        // The record reads the result as the client gets it: a write's object answer, read
        // as text or as a value, becomes the response the record names.
        let settled = match answer {
            ToolAnswer::Response(response) => Ok(response),
            other => other.into_response(),
        };
        // The server's own token is known only once the call obtained it.
        let actor = who.unwrap_or_else(|client_name| {
            let mut actor = Actor::from_token(self.inner.auth.token_identity(), client_name);
            if actor.okta_client_id.is_none() {
                actor.okta_client_id = self
                    .inner
                    .settings
                    .org
                    .as_ref()
                    .map(|o| o.client_id.clone());
            }
            actor
        });
        // An answer that could not be read back (a bug, reported as one) still leaves a record
        // of what was done.
        let unread = CallToolResponse::Complete(CallToolResult::success(Vec::new()));
        let response = settled.as_ref().unwrap_or(&unread);
        audit::complete(&mut record, &actor, outcome, response, writes.request_ids());
        if let Err(e) = journal.record(&record).await {
            tracing::error!(tool = name, journal = %journal.path().display(), error = %e, "could not write the audit record of this call");
        }
        settled.map(ToolAnswer::Response)
    }

    /// Who a call acts for: the signed-in person in team mode; otherwise (Err) the MCP
    /// client's name, the server's own token naming the rest once the call has run.
    fn audit_actor(&self, gate: &confirm::Gate<'_>) -> Result<Actor, Option<String>> {
        let confirm::Gate::Mcp { context, .. } = gate else {
            return Err(Some("okta-mcp-server call".to_owned()));
        };
        if let Some(caller) = crate::caller::Caller::of(context) {
            let mut actor = Actor::from_caller(caller);
            actor.okta_client_id = self
                .inner
                .settings
                .org
                .as_ref()
                .map(|o| o.client_id.clone());
            return Ok(actor);
        }
        Err(context
            .peer
            .peer_info()
            .map(|info| info.client_info.name.clone()))
    }

    async fn run_known_tool(
        &self,
        tool: &ToolDef,
        arguments: Map<String, Value>,
        gate: confirm::Gate<'_>,
        progress: Option<ProgressFn>,
        cancel: tokio_util::sync::CancellationToken,
        writes: Option<&okta_client::WriteRecorder>,
    ) -> (ToolAnswer, CallOutcome) {
        let name = tool.spec.name;
        let mcp_context = match &gate {
            confirm::Gate::Mcp { context, .. } => Some(*context),
            confirm::Gate::Cli => None,
        };
        let caller = mcp_context.and_then(Caller::of).cloned();
        let read_with_grant = mcp_context.and_then(ReadWithGrant::of);
        let client = match self.client_for(caller.as_ref(), read_with_grant) {
            Some(client) => client,
            None => {
                // The bearer check attaches a caller to every team request; without one
                // nothing may act, least of all with the server's own identity.
                return (
                    error_result(json!({"error": "unauthorized", "tool": name, "message": "this call carries no signed-in person; sign in again"})).into(),
                    CallOutcome::failed("unauthorized"),
                );
            }
        };
        if let Err(hidden) = exposure::check(
            tool,
            &self.inner.settings,
            &self.granted_for(caller.as_ref()),
        ) {
            return (
                error_result(
                    json!({"error": "tool_unavailable", "tool": name, "message": hidden.explain(name)}),
                )
                .into(),
                CallOutcome::failed("tool_unavailable"),
            );
        }
        let mut arguments = arguments;
        let confirmed_by_argument = match arguments.remove("confirm") {
            Some(Value::Bool(b)) if tool.needs_confirmation() => b,
            Some(other) if tool.needs_confirmation() => {
                return (
                    invalid_args(name, format!("confirm must be a boolean, got {other}")).into(),
                    CallOutcome::failed("invalid_arguments"),
                );
            }
            Some(other) => {
                arguments.insert("confirm".into(), other);
                false
            }
            None => false,
        };
        let dry_run = match arguments.remove("dry_run") {
            Some(Value::Bool(b)) if tool.takes_dry_run() => b,
            Some(other) if tool.takes_dry_run() => {
                return (
                    invalid_args(name, format!("dry_run must be a boolean, got {other}")).into(),
                    CallOutcome::failed("invalid_arguments"),
                );
            }
            Some(other) => {
                arguments.insert("dry_run".into(), other);
                false
            }
            None => false,
        };
        if let Some(unknown) = unknown_argument(tool, &arguments) {
            return (
                invalid_args(name, unknown).into(),
                CallOutcome::failed("invalid_arguments"),
            );
        }
        let args = Value::Object(arguments);
        let deadline = mcp_context.and_then(|c| http::call_deadline(c, &self.inner.settings));
        let team_mode = caller.is_some();
        // A dry run's client sends reads and captures writes (see tools::support::plan).
        let write_plan = dry_run.then(okta_client::WritePlan::default);
        let client = match &write_plan {
            Some(captured) => client.planning(captured),
            None => client,
        };
        let ctx = self.ctx(progress, cancel.clone(), client, caller, writes);
        let plan_ctx = ctx.clone();
        // Read once: the confirmation question and the handler share these params.
        let parsed = tool.parse(args.clone());
        // A dry run changes nothing, so it asks nothing.
        if let Ok(parsed) = &parsed
            && tool.needs_confirmation()
            && self.inner.settings.confirm_destructive
            && !dry_run
        {
            match confirm::confirm(
                &self.inner.confirmations,
                tool,
                &ctx,
                &args,
                parsed,
                confirmed_by_argument,
                gate,
            )
            .await
            {
                confirm::Decision::Proceed => {}
                confirm::Decision::Respond(response) => {
                    let outcome = CallOutcome::of_confirmation(&response);
                    return ((*response).into(), outcome);
                }
            }
        }
        let call = async move {
            let result = tool.call(ctx, parsed?).await;
            match write_plan {
                Some(captured) if !tool.answers_dry_run() => {
                    let outcome = result.and_then(reply_value);
                    plan::answer(&plan_ctx, name, &captured.requests(), outcome)
                        .await
                        .map(Reply::Value)
                }
                _ => result,
            }
        };
        let result = match deadline {
            None => call.await,
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(result) => result,
                Err(_) => {
                    cancel.cancel();
                    tracing::warn!(tool = name, ?limit, "tool call stopped at its deadline");
                    return (
                        error_result(json!({
                            "error": "timeout",
                            "tool": name,
                            "message": format!("the call took longer than {}s (OKTA_MCP_REQUEST_TIMEOUT) and was stopped; a change it was making may or may not have reached Okta: check before calling again", limit.as_secs()),
                        }))
                        .into(),
                        CallOutcome::failed("timeout"),
                    );
                }
            },
        };
        match result {
            Ok(reply) if dry_run => (ToolAnswer::from_reply(reply), CallOutcome::DryRun),
            Ok(reply) => (ToolAnswer::from_reply(reply), CallOutcome::Done),
            Err(e) => {
                tracing::info!(tool = name, error = %e, "tool call failed");
                if let (
                    Some(context),
                    ToolError::Api(ApiError::Auth(AuthError::AuthorizationPending {
                        verification_uri_complete,
                        user_code,
                    })),
                ) = (mcp_context, &e)
                {
                    self.offer_sign_in_link(context, verification_uri_complete, user_code);
                }
                let mut value = e.to_value(name);
                if team_mode && matches!(&e, ToolError::Api(api) if api.status() == Some(403)) {
                    value["hint"] = json!(
                        "Okta refused this call for you: your Okta admin role does not allow it (the call ran with your own Okta sign-in). Ask an administrator whose role allows it."
                    );
                }
                let outcome = CallOutcome::failed_with(&value);
                (error_result(value).into(), outcome)
            }
        }
    }
}

impl OktaMcp {
    /// Where the client can open URLs for the user (URL-mode elicitation, before 2026-07-28),
    /// offers the device verification link once per code; the tool result carries it anyway.
    fn offer_sign_in_link(&self, context: &RequestContext<RoleServer>, url: &str, code: &str) {
        let modern = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        if modern
            || !context
                .peer
                .supported_elicitation_modes()
                .contains(&ElicitationMode::Url)
        {
            return;
        }
        {
            let mut offered = self
                .inner
                .offered_codes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if !offered.insert(code.to_owned()) {
                return;
            }
        }
        let Ok(link) = url::Url::parse(url) else {
            return;
        };
        let peer = context.peer.clone();
        let message = format!(
            "Sign in to Okta to let this server act for you: confirm the code {code} on the page that opens."
        );
        let id = format!("okta-device-{code}");
        tokio::spawn(async move {
            if let Err(e) = peer.elicit_url(message, link, id).await {
                tracing::debug!(error = %e, "URL elicitation for the device sign-in was not shown");
            }
        });
    }
}

/// A handler's reply as a value (a rendered list read back), for a dry run's plan.
fn reply_value(reply: Reply) -> Result<Value, ToolError> {
    match reply {
        Reply::Value(value) => Ok(value),
        Reply::Rendered(json) => json
            .to_value()
            .map_err(|e| ToolError::Refused(format!("the result could not be read back: {e}"))),
    }
}

fn unknown_argument(tool: &ToolDef, args: &Map<String, Value>) -> Option<String> {
    let props = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)?;
    let unknown: Vec<&str> = args
        .keys()
        .filter(|k| !props.contains_key(k.as_str()))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let known: Vec<&str> = props.keys().map(String::as_str).collect();
    Some(format!(
        "unknown argument(s) {}; {} accepts: {}",
        unknown.join(", "),
        tool.spec.name,
        known.join(", ")
    ))
}

fn invalid_args(tool: &str, message: String) -> CallToolResult {
    error_result(crate::tools::error::ToolError::InvalidArguments(message).to_value(tool))
}

/// What a tool call answers, one type for every transport: a response the SDK serialises,
/// or a success whose JSON was rendered to bytes as its pages arrived. Over stdio the
/// rendered bytes are written as they are (see `stdio::rendered_replies`); Streamable HTTP,
/// whose responses the SDK serialises, and `call` read them into a value.
#[derive(Debug)]
pub enum ToolAnswer {
    Response(CallToolResponse),
    /// A success whose result is this value: made into a response only when one is wanted,
    /// so a call answered over HTTP without the SDK's serialisation writes it once, as text,
    /// and sends that text as the structured result too (`server::http::direct`).
    Value(Value),
    Rendered(RenderedJson),
}

impl From<CallToolResult> for ToolAnswer {
    fn from(result: CallToolResult) -> Self {
        ToolAnswer::Response(result.into())
    }
}

impl From<CallToolResponse> for ToolAnswer {
    fn from(response: CallToolResponse) -> Self {
        ToolAnswer::Response(response)
    }
}

impl ToolAnswer {
    fn from_reply(reply: Reply) -> Self {
        match reply {
            Reply::Value(value) => ToolAnswer::Value(value),
            Reply::Rendered(json) => ToolAnswer::Rendered(json),
        }
    }

    /// A success as JSON text (its structured content), for a response written from it
    /// ([`crate::rendered_json::RenderedResponse`]); any other answer comes back as it is.
    pub fn into_rendered(self) -> Result<RenderedJson, ToolAnswer> {
        match self {
            ToolAnswer::Value(value) => Ok(RenderedJson::of_value(&success_structure(value))),
            ToolAnswer::Rendered(json) => Ok(json),
            response @ ToolAnswer::Response(_) => Err(response),
        }
    }

    /// The SDK's form: a rendered result becomes the same JSON as a value, and its text block
    /// the rendered text itself. The bytes were written by serde_json, so a failure to read
    /// them back is a bug, reported as one.
    pub fn into_response(self) -> Result<CallToolResponse, ErrorData> {
        let json = match self {
            ToolAnswer::Response(response) => return Ok(response),
            ToolAnswer::Value(value) => return Ok(success_result(value).into()),
            ToolAnswer::Rendered(json) => json,
        };
        let (text, value) = json.into_text_and_value().map_err(|e| {
            tracing::error!(error = %e, "a rendered result is not valid JSON");
            ErrorData::internal_error(format!("the result could not be read back: {e}"), None)
        })?;
        Ok(with_text(text, value, false).into())
    }
}

/// What goes to the SDK for a call cancelled by the client: the SDK drops the response to a
/// cancelled request, so this is written only when the cancel crossed a finished response.
fn cancelled_result() -> CallToolResult {
    error_result(json!({
        "error": "cancelled",
        "message": "the call was cancelled by the client; its result was not sent",
    }))
}

pub fn success_result(value: Value) -> CallToolResult {
    structured(success_structure(value), false)
}

/// The structured content of a success answering `value`: an object as it is, anything else
/// under "result" (structured content is always an object).
fn success_structure(value: Value) -> Value {
    match value {
        Value::Object(_) => value,
        other => json!({"result": other}),
    }
}

pub fn error_result(value: Value) -> CallToolResult {
    structured(value, true)
}

/// rmcp's `CallToolResult::structured`, with the text block written by `serde_json::to_string`
/// rather than `Value`'s `Display`: the same compact JSON, but `Display` goes through
/// `fmt::Write` a token at a time (a get_user over HTTP: 44k instructions of 700k, now 32k).
fn structured(value: Value, is_error: bool) -> CallToolResult {
    // Serialising a `Value` cannot fail (its keys are strings and its numbers finite).
    let text = serde_json::to_string(&value).unwrap_or_default();
    with_text(text, value, is_error)
}

/// A structured result whose text block is `text`, the compact JSON of `value`.
fn with_text(text: String, value: Value, is_error: bool) -> CallToolResult {
    let mut result = if is_error {
        CallToolResult::error(vec![ContentBlock::text(text)])
    } else {
        CallToolResult::success(vec![ContentBlock::text(text)])
    };
    result.structured_content = Some(value);
    result
}

impl ServerHandler for OktaMcp {
    #[allow(deprecated)] // enable_logging: deprecated upstream (SEP-2577), still probed by clients.
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        InitializeResult::new(capabilities)
            .with_server_info(
                Implementation::new("okta-mcp-server", env!("CARGO_PKG_VERSION"))
                    .with_title("Okta MCP Server"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    /// rmcp's handshake, plus: over Streamable HTTP, the session's read-only calls may be
    /// answered without rmcp's relay, which needs the peer only this handler is given.
    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        if let Some(seat) = context.extensions.get::<http::direct::Seat>() {
            seat.take(context.peer.clone(), self.clone());
        }
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.visible_tools_for(Caller::of(&context))
                .into_iter()
                .map(ToolDef::mcp_tool)
                .collect(),
        ))
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    /// A prompt rendered for its arguments; it names the tools it uses that this caller is
    /// not offered (read-only, toolsets, scopes), so those steps are skipped, not attempted.
    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let offered: BTreeSet<&str> = self
            .visible_tools_for(Caller::of(&context))
            .into_iter()
            .map(|t| t.spec.name)
            .collect();
        prompts::get(&request.name, request.arguments.as_ref(), &|tool| {
            offered.contains(tool)
        })
        .map(Into::into)
    }

    /// Log notifications for this client from now on, at `level` and above.
    #[allow(deprecated)] // Deprecated upstream (SEP-2577) but still probed by clients.
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        crate::logging::forward_to_client(context.peer.clone(), request.level);
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        Ok(completion::complete(self, Caller::of(&context), &request).await)
    }

    /// The SDK hands over a standard method whose params did not fit as a custom request:
    /// name the bad parameter (-32602) rather than answer "method not found".
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        if let Some(problem) = params::problem(&request.method, request.params.as_ref()) {
            return Err(ErrorData::invalid_params(problem, None));
        }
        Err(ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {}", request.method),
            None,
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool(name).map(ToolDef::mcp_tool)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let progress = context
            .meta
            .get_progress_token()
            .map(|token| progress_reporter(context.peer.clone(), token));
        let gate = confirm::Gate::Mcp {
            context: &context,
            request_state: request.request_state.as_deref(),
            input_responses: request.input_responses.as_ref(),
        };
        let arguments = request.arguments.clone().unwrap_or_default();
        // Boxed: the SDK moves the request's future by value (into its task, between
        // states), and a tool call's state machine is large; a pointer is cheap to move.
        let answer =
            Box::pin(self.run_tool(&request.name, arguments, gate, progress, context.ct.clone()))
                .await;
        if let Some(held) = context.extensions.get::<http::direct::HeldAnswer>() {
            // Answered over HTTP from the JSON text; the SDK gets a stand-in it never sends.
            return match answer?.into_rendered() {
                Ok(json) => {
                    held.put(json);
                    Ok(CallToolResult::success(Vec::new()).into())
                }
                Err(other) => other.into_response(),
            };
        }
        let Some(replies) = &self.inner.rendered_replies else {
            return answer?.into_response();
        };
        match answer {
            // The stdio writer writes the response for this id from the bytes; the SDK gets
            // a stand-in, which goes out only if the client cancelled the call meanwhile.
            Ok(ToolAnswer::Rendered(json)) => match replies.hold(&context.id, json) {
                Hold::Held | Hold::Cancelled => Ok(cancelled_result().into()),
                Hold::Untracked(json) => ToolAnswer::Rendered(json).into_response(),
            },
            other => {
                replies.answered(&context.id);
                other?.into_response()
            }
        }
    }
}

/// Turns a call's progress (fetch_all pages, rate-limit waits) into MCP progress
/// notifications, sent in order by one task that ends when the call's context (holding the
/// sender) is dropped.
fn progress_reporter(peer: rmcp::Peer<RoleServer>, token: ProgressToken) -> ProgressFn {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProgressEvent>();
    tokio::spawn(async move {
        let mut last = 0.0;
        while let Some(event) = rx.recv().await {
            let Some((value, message)) = event.progress_after(last) else {
                continue;
            };
            last = value;
            let mut param =
                ProgressNotificationParam::new(token.clone(), value).with_message(message);
            param.total = event.total();
            if peer.notify_progress(param).await.is_err() {
                break;
            }
        }
    });
    Arc::new(move |event| {
        let _ = tx.send(event);
    })
}
