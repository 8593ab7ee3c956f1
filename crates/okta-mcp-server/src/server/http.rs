//! The Streamable HTTP front: everything between a TCP connection and the MCP server.
//!
//! Layers, outermost first, and why each sits where it does:
//! - `guard` (every route but `/healthz`): the Host allow-list (DNS rebinding) and the
//!   Origin allow-list (cross-site requests from browsers), a declared body over the limit,
//!   and the per-request timeout. It is an axum layer over the whole router rather than
//!   rmcp's own `allowed_hosts`/`allowed_origins` checks so that routes beside `/mcp` (the
//!   OAuth endpoints of team mode) get exactly the same checks; rmcp's are switched off so
//!   there is one rule, stated once.
//! - (team mode) the authorization layer, which puts a [`Caller`] into the request.
//! - `admission` (`/mcp` only): reads the body within the limit (413), refuses new work
//!   while shutting down, caps sessions (503) and concurrent requests per caller (429), and
//!   counts requests in flight so shutdown can wait for them.

mod answers;
mod connections;
pub mod direct;
mod quick_answers;
mod sessions;

use crate::caller::Caller;
use crate::server::OktaMcp;
use crate::settings::Settings;
use anyhow::Context;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use rmcp::RoleServer;
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use sessions::CappedSessions;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower_layer::Layer;

/// The MCP endpoint's path.
pub const MCP_PATH: &str = "/mcp";
/// Liveness: 200 while the process serves; no authentication, no Host check (orchestrators
/// probe it by IP), and nothing in it worth protecting.
pub const HEALTH_PATH: &str = "/healthz";
/// Readiness: 200 when this replica can serve (its state store answers), 503 with a short
/// reason when not (store unreachable, or shutting down), so a load balancer routes around
/// it. Unauthenticated like `/healthz`, so the reason is generic (no address, no secret).
pub const READY_PATH: &str = "/readyz";
/// Extra time the HTTP layer gives a request beyond the tool-call deadline, so a call that
/// runs out of time is answered by its own timeout result rather than cut off.
const RESPONSE_MARGIN: Duration = Duration::from_secs(5);
/// After the grace period, how long open streams get to close before the process exits.
const CLOSE_WAIT: Duration = Duration::from_secs(3);
/// Team mode: a session with no request or event stream open this long leaves memory (its
/// record stays in the state store, and its next request brings it back): 1,000 idle
/// sessions held some 60 MB in rmcp's workers. Long enough that a client calling now and
/// then keeps its session warm, short against the idle timeout that ends a session.
pub const SESSION_RESIDENT_IDLE: Duration = Duration::from_secs(30);

/// Refuses to serve on anything but loopback without authentication: the server acts on the
/// org with its own token, so anyone who could reach the port would act as it. Only an IP
/// literal that is loopback, or `localhost`, counts: a host name may resolve anywhere.
pub fn check_bind(bind: &str, authenticated: bool) -> Result<(), String> {
    if authenticated {
        return Ok(());
    }
    let loopback = match bind.parse::<SocketAddr>() {
        Ok(addr) => addr.ip().is_loopback(),
        Err(_) => bind
            .rsplit_once(':')
            .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
    };
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "refusing to serve MCP over HTTP on {bind} without authentication (anyone who can reach it would act on the Okta org with this server's token): bind a loopback address such as 127.0.0.1:8765, or serve with `--auth oauth` so each person signs in"
        ))
    }
}

/// How long a tool call that arrived over HTTP may run (None over stdio, where the client
/// cancels what it no longer wants).
pub fn call_deadline(
    context: &RequestContext<RoleServer>,
    settings: &Settings,
) -> Option<Duration> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .map(|_| settings.http.request_timeout)
}

/// Serves MCP over Streamable HTTP at `bind` until Ctrl-C or SIGTERM, then lets calls in
/// flight finish (up to the grace period) before closing.
pub async fn serve(
    server: OktaMcp,
    settings: &Settings,
    bind: &str,
    team: Option<Arc<crate::team::Team>>,
    asked_to_stop: impl Future<Output = crate::shutdown::Signal> + Send + 'static,
) -> anyhow::Result<()> {
    check_bind(bind, team.is_some()).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let local = listener.local_addr()?;
    let shared = team.as_ref().map(|t| t.state.store());
    let front = Arc::new(Front::new(settings, local, shared));
    let stop = CancellationToken::new();
    let app = router(server, front.clone(), stop.clone(), team);
    let runtime_threads = tokio::runtime::Handle::current().metrics().num_workers();
    tracing::info!(address = %local, public_url = ?settings.public_url.as_ref().map(|u| u.as_str()), runtime_threads, "serving MCP over Streamable HTTP at {MCP_PATH}");

    let draining = front.clone();
    let serving = connections::serve(
        listener,
        app,
        settings.http.connection_idle_timeout,
        async move {
            asked_to_stop.await;
            draining.start_draining();
        },
    );
    tokio::pin!(serving);
    tokio::select! {
        () = &mut serving => return Ok(()),
        () = front.drain_started() => {}
    }
    tracing::info!(
        in_flight = front.in_flight(),
        grace = ?front.shutdown_grace,
        "stopping: no new requests; letting calls in flight finish"
    );
    if tokio::time::timeout(front.shutdown_grace, front.idle())
        .await
        .is_err()
    {
        tracing::warn!(
            unfinished = front.in_flight(),
            "the shutdown grace period is over; stopping with calls still running"
        );
    }
    // Ends the sessions and their open event streams, so the connections can close.
    stop.cancel();
    if tokio::time::timeout(CLOSE_WAIT, serving).await.is_err() {
        tracing::warn!("connections still open after shutdown; closing them");
    }
    Ok(())
}

/// The whole HTTP surface. Routes added by team mode join `app` before `guard` is layered.
fn router(
    server: OktaMcp,
    front: Arc<Front>,
    stop: CancellationToken,
    team: Option<Arc<crate::team::Team>>,
) -> axum::Router {
    let mut config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .disable_allowed_origins()
        .with_max_request_body_bytes(front.max_body_bytes)
        .with_cancellation_token(stop);
    if front.sessions.is_shared() {
        // A session opened on another replica continues here (see `sessions`).
        config.session_store = Some(front.sessions.clone());
    }
    let service =
        StreamableHttpService::new(move || Ok(server.clone()), front.sessions.clone(), config);
    // `/mcp`'s layers wrap the service directly, one inside the other, and the stack goes
    // under one route. Layered as routers (`Router::layer`), each layer boxed the route
    // again, and axum clones a route's boxed chain on every request: some 40 boxed clones,
    // and their drops, per call, a twentieth of a get_user's cost.
    // Team mode puts its scope check inside `admission` (which bounds the body it reads)
    // and its authorization outside it (so admission counts calls per Caller); its OAuth
    // routes join `mcp` before `guard` is layered, so `guard` covers them too.
    let quick = middleware::from_fn(quick_answers::as_json_when_quick).layer(service);
    let admission = middleware::from_fn_with_state(front.clone(), admission);
    let one_person = middleware::from_fn_with_state(front.clone(), one_person_per_session);
    let (mcp, oauth) = match &team {
        Some(team) => {
            let scopes = middleware::from_fn_with_state(team.clone(), crate::team::require_scopes);
            let bearer = middleware::from_fn_with_state(team.clone(), crate::team::require_bearer);
            let protected = bearer.layer(one_person.layer(admission.layer(scopes.layer(quick))));
            (at_mcp_path(protected), team.clone().routes())
        }
        None => (
            at_mcp_path(one_person.layer(admission.layer(quick))),
            axum::Router::new(),
        ),
    };
    let store = team.as_ref().map(|t| t.state.clone());
    // One layer for the two, so the route is boxed once more rather than twice.
    let guarded = tower_layer::Stack::new(
        DefaultBodyLimit::max(front.max_body_bytes),
        middleware::from_fn_with_state(front.clone(), guard),
    );
    axum::Router::new()
        .merge(mcp)
        .merge(oauth)
        .layer(guarded)
        .route(
            HEALTH_PATH,
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route(READY_PATH, get(move || ready(front.clone(), store.clone())))
}

/// `/mcp`'s stack, under its path.
fn at_mcp_path<S>(service: S) -> axum::Router
where
    S: tower_service::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    axum::Router::new().nest_service(MCP_PATH, service)
}

async fn ready(front: Arc<Front>, store: Option<crate::team::state::State>) -> Response {
    let unready = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "unavailable", "reason": reason})),
        )
            .into_response()
    };
    if front.is_draining() {
        return unready("shutting down".into());
    }
    if let Some(state) = store
        && let Err(e) = state.ping().await
    {
        // The probe may come from outside: the reason stays generic, the log has the detail.
        tracing::debug!(error = %e, "not ready: the state store did not answer");
        return unready("the state store is unreachable".into());
    }
    axum::Json(json!({"status": "ready"})).into_response()
}

/// Limits and allow-lists of one running HTTP server, and its in-flight bookkeeping.
struct Front {
    hosts: Vec<AllowedHost>,
    origins: Vec<url::Origin>,
    max_body_bytes: usize,
    request_timeout: Duration,
    shutdown_grace: Duration,
    sessions: Arc<CappedSessions>,
    session_idle: Duration,
    calls: Arc<CallSlots>,
    draining: watch::Sender<bool>,
}

/// The MCP sessions of this server; with a shared store (team mode), sessions other replicas
/// can continue, and answers to our requests passed on to the replica that asked.
fn sessions(
    settings: &Settings,
    shared: Option<Arc<dyn crate::team::store::StateStore>>,
) -> Arc<CappedSessions> {
    let answers = match (&shared, &settings.state_url) {
        (Some(_), Some(url)) => match answers::Answers::shared(url) {
            Ok(answers) => answers,
            Err(e) => {
                tracing::warn!(error = %e, "answers to this replica's requests cannot be passed between replicas");
                answers::Answers::local()
            }
        },
        _ => answers::Answers::local(),
    };
    let answers = Arc::new(answers);
    let sessions = Arc::new(CappedSessions::new(
        settings.http.max_sessions,
        settings.http.session_idle_timeout,
        SESSION_RESIDENT_IDLE,
        shared,
        answers.clone(),
    ));
    if let (Some(every), Ok(runtime)) = (
        sessions.let_go_every(),
        tokio::runtime::Handle::try_current(),
    ) {
        let weak = Arc::downgrade(&sessions);
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // A session let go frees most of its memory only when its tasks next run and
            // see it closed, after this sweep has returned; so the pages are given back on
            // the sweep after one that let sessions go, when that memory is free.
            let mut let_go_last_sweep = false;
            loop {
                ticks.tick().await;
                let Some(sessions) = weak.upgrade() else {
                    return;
                };
                let let_go = sessions.let_go_of_idle().await > 0;
                if let_go_last_sweep {
                    crate::allocator::release_free_memory();
                }
                let_go_last_sweep = let_go;
            }
        });
    }
    let weak = Arc::downgrade(&sessions);
    answers.listen(move |session, message| {
        let weak = weak.clone();
        async move {
            if let Some(sessions) = weak.upgrade() {
                sessions.deliver(session, message).await;
            }
        }
    });
    sessions
}

/// One accepted `Host`: `port` None accepts any port; `portless` accepts a Host without a
/// port (the client used the scheme's default port, which is this entry's port).
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    host: String,
    port: Option<u16>,
    portless: bool,
}

impl Front {
    /// `shared`: the team state store, where MCP sessions are kept for the other replicas.
    fn new(
        settings: &Settings,
        local: SocketAddr,
        shared: Option<Arc<dyn crate::team::store::StateStore>>,
    ) -> Self {
        let http = &settings.http;
        let mut hosts = Vec::new();
        let mut origins = Vec::new();
        let port = local.port();
        let exact = |host: &str| AllowedHost {
            host: host.to_owned(),
            port: Some(port),
            portless: false,
        };
        // The bound address, and for loopback (or all interfaces) the loopback names.
        if local.ip().is_loopback() || local.ip().is_unspecified() {
            for name in ["127.0.0.1", "localhost", "[::1]"] {
                hosts.push(exact(name));
                if let Ok(url) = url::Url::parse(&format!("http://{name}:{port}")) {
                    origins.push(url.origin());
                }
            }
        } else {
            let host = match local.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            };
            hosts.push(exact(&host));
        }
        if let Some(public) = &settings.public_url
            && let Some(host) = public.host_str()
        {
            let default = match public.scheme() {
                "https" => 443,
                _ => 80,
            };
            let public_port = public.port_or_known_default().unwrap_or(default);
            hosts.push(AllowedHost {
                host: host.to_ascii_lowercase(),
                port: Some(public_port),
                portless: public_port == default,
            });
            origins.push(public.origin());
        }
        for entry in &http.allowed_hosts {
            let (host, port) = split_authority(entry);
            hosts.push(AllowedHost {
                host,
                port,
                portless: port.is_none(),
            });
        }
        origins.extend(http.allowed_origins.iter().cloned());
        let (draining, _) = watch::channel(false);
        Self {
            hosts,
            origins,
            max_body_bytes: http.max_body_bytes,
            request_timeout: http.request_timeout,
            shutdown_grace: http.shutdown_grace,
            sessions: sessions(settings, shared),
            session_idle: http.session_idle_timeout,
            calls: Arc::new(CallSlots::new(http.max_concurrent_calls)),
            draining,
        }
    }

    /// Whether `host` (a Host header value, or the request's authority) is one we answer to.
    fn host_allowed(&self, host: &str) -> bool {
        let (name, port) = split_authority(&host.to_ascii_lowercase());
        self.hosts.iter().any(|allowed| {
            allowed.host == name
                && match (allowed.port, port) {
                    (None, _) => true,
                    (Some(want), Some(got)) => want == got,
                    (Some(_), None) => allowed.portless,
                }
        })
    }

    fn start_draining(&self) {
        self.draining.send_replace(true);
    }

    fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    async fn drain_started(&self) {
        let mut rx = self.draining.subscribe();
        let _ = rx.wait_for(|d| *d).await;
    }

    fn in_flight(&self) -> usize {
        *self.calls.in_flight.borrow()
    }

    async fn idle(&self) {
        let mut rx = self.calls.in_flight.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

/// `host[:port]` → (host, port); IPv6 keeps its brackets.
fn split_authority(authority: &str) -> (String, Option<u16>) {
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !port.contains(']') => match port.parse() {
            Ok(port) => (host.to_owned(), Some(port)),
            Err(_) => (authority.to_owned(), None),
        },
        _ => (authority.to_owned(), None),
    }
}

/// A refusal in the shape MCP clients read: a JSON-RPC error with no id.
fn reject(status: StatusCode, message: impl Into<String>) -> Response {
    let body =
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": message.into()}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Host and Origin checks, declared body size, and the per-request timeout.
async fn guard(State(front): State<Arc<Front>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    match host {
        None => {
            return reject(
                StatusCode::BAD_REQUEST,
                "Bad Request: the request has no Host header",
            );
        }
        // 421 Misdirected Request (RFC 9110 §15.5.20): this server is not the one that host
        // names. It tells a proxy operator exactly what to fix (OKTA_MCP_PUBLIC_URL or
        // OKTA_MCP_ALLOWED_HOSTS) and is distinct from the Origin check's 403 in logs.
        Some(host) if !front.host_allowed(&host) => {
            tracing::warn!(host = ?host, "refused a request for a host this server does not serve (possible DNS rebinding)");
            return reject(
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "Misdirected Request: this server does not answer for host {host:?}; if it is reached through a proxy under that name, set OKTA_MCP_PUBLIC_URL (or add it to OKTA_MCP_ALLOWED_HOSTS)"
                ),
            );
        }
        Some(_) => {}
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let text = origin.to_str().unwrap_or("<not text>");
        let allowed = text != "null"
            && url::Url::parse(text)
                .ok()
                .map(|url| url.origin())
                .is_some_and(|o| o.is_tuple() && front.origins.contains(&o));
        if !allowed {
            tracing::warn!(origin = ?text, "refused a cross-origin request");
            return reject(
                StatusCode::FORBIDDEN,
                format!(
                    "Forbidden: requests from origin {text:?} are not allowed; if this web app should reach the server, add its origin to OKTA_MCP_ALLOWED_ORIGINS"
                ),
            );
        }
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|len| *len > front.max_body_bytes as u64) {
        if len <= DRAIN_MAX_BYTES {
            discard(request.into_body()).await;
        }
        return too_large(front.max_body_bytes);
    }
    match tokio::time::timeout(front.request_timeout + RESPONSE_MARGIN, next.run(request)).await {
        Ok(response) => response,
        Err(_) => reject(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request took longer than {}s (OKTA_MCP_REQUEST_TIMEOUT) and was stopped",
                front.request_timeout.as_secs()
            ),
        ),
    }
}

/// An oversized body is read to its end (and thrown away) up to this much, so the client,
/// still sending, gets the 413 instead of a reset connection; beyond it, the connection is cut.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// ... and for at most this long.
const DRAIN_MAX_TIME: Duration = Duration::from_secs(10);

/// Reads and drops what is left of a body, within [`DRAIN_MAX_BYTES`] and [`DRAIN_MAX_TIME`].
async fn discard(body: Body) {
    let mut stream = body.into_data_stream();
    let drain = async {
        let mut seen = 0u64;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len() as u64;
            if seen > DRAIN_MAX_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_MAX_TIME, drain).await;
}

fn too_large(max: usize) -> Response {
    reject(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "Payload Too Large: the request body is over the {max}-byte limit (OKTA_MCP_MAX_BODY_BYTES)"
        ),
    )
}

/// What a POST to /mcp carries, as far as admission cares.
#[derive(serde::Deserialize)]
struct Probe {
    #[serde(default)]
    id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    method: Option<String>,
}

enum Kind {
    /// A JSON-RPC request (or a batch): it starts work and holds a slot until answered.
    Request { initialize: bool },
    /// A response, notification or something unreadable: rmcp answers it at once.
    Other,
}

fn kind_of(body: &[u8]) -> Kind {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    if start.is_some_and(|i| body[i] == b'[') {
        return Kind::Request { initialize: false };
    }
    match serde_json::from_slice::<Probe>(body) {
        Ok(Probe {
            id: Some(_),
            method: Some(method),
        }) => Kind::Request {
            initialize: method == "initialize",
        },
        _ => Kind::Other,
    }
}

/// Body limit, drain, session cap and per-caller concurrency for /mcp.
async fn admission(State(front): State<Arc<Front>>, request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST {
        if front.is_draining() && request.method() == axum::http::Method::GET {
            return shutting_down();
        }
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match read_limited(body, front.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(Some(response)) => return response,
        Err(None) => {
            return reject(
                StatusCode::BAD_REQUEST,
                "Bad Request: the request body could not be read",
            );
        }
    };
    let Kind::Request { initialize } = kind_of(&bytes) else {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    if front.is_draining() {
        return shutting_down();
    }
    if initialize
        && !parts.headers.contains_key("mcp-session-id")
        && front.sessions.count().await >= front.sessions.max()
    {
        tracing::debug!(
            max = front.sessions.max(),
            "refused a new MCP session: at the ceiling"
        );
        let idle = front.session_idle.as_secs();
        return with_retry_after(
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "Service Unavailable: the server holds its maximum of {} MCP sessions (OKTA_MCP_MAX_SESSIONS); retry later: a session unused for {idle}s is closed",
                    front.sessions.max()
                ),
            ),
            idle.clamp(1, 60),
        );
    }
    let who = parts.extensions.get::<Caller>().map(|c| c.user_id.clone());
    let Some(slot) = front.calls.try_acquire(who.as_deref().unwrap_or("")) else {
        tracing::debug!(user = ?who, "refused a request: too many at once");
        return with_retry_after(
            reject(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too Many Requests: {} requests are already running {}(OKTA_MCP_MAX_CONCURRENT_CALLS); retry when one finishes",
                    front.calls.limit,
                    if who.is_some() {
                        "for you "
                    } else {
                        "on this server "
                    }
                ),
            ),
            1,
        );
    };
    // Which replica served a request, for operators reading several replicas' logs.
    tracing::debug!(user = ?who, initialize, "admitted an MCP request");
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    hold_until_body_ends(response, slot)
}

/// A session belongs to the person who opened it (the MCP security best practices on session
/// hijacking): a request naming another person's session is answered as if that session did
/// not exist, so nobody can read someone else's event stream or answer their confirmation.
/// Without sign-in there is no person and nothing to check.
async fn one_person_per_session(
    State(front): State<Arc<Front>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(person) = request
        .extensions()
        .get::<Caller>()
        .map(|c| c.user_id.clone())
    else {
        return next.run(request).await;
    };
    let session = request
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(session) = session {
        match front.sessions.owner_of(&session).await {
            Ok(Some(owner)) if owner != person => {
                tracing::warn!(user = %person, "refused a request naming another person's MCP session");
                return reject(
                    StatusCode::NOT_FOUND,
                    "Not Found: no such session; initialize a new one",
                );
            }
            Ok(Some(_)) => {
                front.sessions.renew(&session).await;
                // In use until the answer (or the event stream) ends: not let go meanwhile.
                let in_use = front.sessions.enter(&session).await;
                return hold_until_body_ends(next.run(request).await, in_use);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not look up an MCP session in the state store");
                return with_retry_after(
                    reject(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Service Unavailable: the state store that holds MCP sessions is unreachable; retry in a moment",
                    ),
                    2,
                );
            }
        }
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if let Some(opened) = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
    {
        front.sessions.bind_owner(opened, &person).await;
    }
    response
}

fn shutting_down() -> Response {
    with_retry_after(
        reject(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable: the server is shutting down; retry in a moment",
        ),
        5,
    )
}

/// The body, or `Err(Some(413))` past `max`, or `Err(None)` when the client broke off.
async fn read_limited(body: Body, max: usize) -> Result<Bytes, Option<Response>> {
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| None)?;
        if buffer.len() + chunk.len() > max {
            drop(buffer);
            discard(Body::from_stream(stream)).await;
            return Err(Some(too_large(max)));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

/// Keeps `slot` until the response body is finished or dropped: a request's answer may
/// stream (SSE) long after the handler returned its headers.
fn hold_until_body_ends<T: Send + Unpin + 'static>(response: Response, slot: T) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::new(Holding { body, _slot: slot }))
}

/// A body that holds something until it is dropped, and is otherwise the body it wraps (its
/// length included, so a JSON answer keeps its Content-Length).
struct Holding<T> {
    body: Body,
    _slot: T,
}

impl<T: Unpin> axum::body::HttpBody for Holding<T> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        std::pin::Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Requests in flight per caller (the empty key: everyone, without sign-in), and in all.
struct CallSlots {
    limit: usize,
    by_caller: Mutex<HashMap<String, usize>>,
    in_flight: watch::Sender<usize>,
}

impl CallSlots {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            by_caller: Mutex::new(HashMap::new()),
            in_flight: watch::channel(0).0,
        }
    }

    fn try_acquire(self: &Arc<Self>, key: &str) -> Option<Slot> {
        let mut map = self.by_caller.lock().unwrap_or_else(|p| p.into_inner());
        let used = map.entry(key.to_owned()).or_insert(0);
        if *used >= self.limit {
            return None;
        }
        *used += 1;
        self.in_flight.send_modify(|n| *n += 1);
        Some(Slot {
            slots: self.clone(),
            key: key.to_owned(),
        })
    }
}

/// One admitted request; released on drop.
struct Slot {
    slots: Arc<CallSlots>,
    key: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .slots
            .by_caller
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(used) = map.get_mut(&self.key) {
            *used -= 1;
            if *used == 0 {
                map.remove(&self.key);
            }
        }
        drop(map);
        self.slots
            .in_flight
            .send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_binds_start_without_authentication() {
        for ok in [
            "127.0.0.1:8765",
            "[::1]:8765",
            "localhost:8765",
            "127.0.0.2:1",
        ] {
            assert!(check_bind(ok, false).is_ok(), "{ok}");
        }
        for refused in [
            "0.0.0.0:8765",
            "192.168.1.5:8765",
            "[::]:8765",
            "mcp.example.com:8765",
            "localhost.evil.com:1",
        ] {
            let err = check_bind(refused, false).unwrap_err();
            assert!(err.contains("--auth oauth") && !err.contains('\n'), "{err}");
        }
        assert!(check_bind("0.0.0.0:8765", true).is_ok());
    }

    fn front(public: Option<&str>, extra_hosts: &[&str]) -> Front {
        let mut settings = crate::settings::Settings::from_args(&crate::cli::GlobalArgs {
            demo: Some(true),
            audit_log: Some("off".into()),
            ..Default::default()
        })
        .unwrap();
        settings.public_url = public.map(|u| url::Url::parse(u).unwrap());
        settings.http.allowed_hosts = extra_hosts.iter().map(|s| s.to_string()).collect();
        Front::new(&settings, "127.0.0.1:8765".parse().unwrap(), None)
    }

    #[test]
    fn hosts_from_the_bind_address_public_url_and_settings() {
        let f = front(Some("https://MCP.acme.com"), &["proxy.internal"]);
        for ok in [
            "127.0.0.1:8765",
            "localhost:8765",
            "[::1]:8765",
            "mcp.acme.com",
            "mcp.acme.com:443",
            "proxy.internal:9000",
            "proxy.internal",
        ] {
            assert!(f.host_allowed(ok), "{ok}");
        }
        for refused in [
            "127.0.0.1:8766",
            "127.0.0.1",
            "evil.example",
            "evil.example:8765",
            "mcp.acme.com:8443",
            "mcp.acme.com.evil.example",
        ] {
            assert!(!f.host_allowed(refused), "{refused}");
        }
    }

    #[test]
    fn request_kinds() {
        assert!(matches!(
            kind_of(br#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#),
            Kind::Request { initialize: true }
        ));
        assert!(matches!(
            kind_of(br#"{"jsonrpc":"2.0","id":"a","method":"tools/call"}"#),
            Kind::Request { initialize: false }
        ));
        assert!(matches!(
            kind_of(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Kind::Other
        ));
        assert!(matches!(
            kind_of(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
            Kind::Other
        ));
        assert!(matches!(kind_of(b" [1]"), Kind::Request { .. }));
    }

    #[test]
    fn slots_are_per_caller_and_released() {
        let slots = Arc::new(CallSlots::new(2));
        let a1 = slots.try_acquire("a").unwrap();
        let _a2 = slots.try_acquire("a").unwrap();
        assert!(slots.try_acquire("a").is_none());
        let _b = slots.try_acquire("b").unwrap();
        assert_eq!(*slots.in_flight.borrow(), 3);
        drop(a1);
        assert!(slots.try_acquire("a").is_some());
    }
}
