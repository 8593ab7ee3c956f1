//! A faithful in-memory Okta org served over HTTP on loopback.
//!
//! Tests and `--demo` share it: it speaks the Management API subset the tools use and the
//! org authorization server's OAuth endpoints, shaped as Okta's OpenAPI spec describes.
//!
//! Module ownership (kept disjoint so the pieces evolve independently):
//! - `oauth/`: OAuth endpoints, token minting and bearer checks.
//! - `faults`: fault injection (429s, 5xx, latency, resets, malformed bodies, foreign links).
//! - everything else: the org's data, the Management API, pagination, filters, errors:
//!   `seed` builds the org deterministically from `SandboxConfig::seed`, `org` holds it,
//!   `api/` serves it (one module per area), `filter` parses Okta's SCIM-like
//!   expressions, `error` renders Okta's error bodies. See README.md for what is seeded.

pub mod api;
mod catalog;
pub mod error;
mod expression;
pub mod faults;
pub mod filter;
mod ids;
mod links;
pub mod oauth;
pub mod org;
mod seed;

pub use org::OrgHandle;
pub use seed::admins::extra_admin_login;

/// The System Log event types every seeded org contains, so that clients of the sandbox (the
/// server's event-type completions) can check they know each one.
pub fn seeded_event_types() -> Vec<&'static str> {
    seed::logs::event_types()
}

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How to build and serve a sandbox org. `Default` is the documented seeded org.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Seed for the deterministic data generator.
    pub seed: u64,
    pub users: usize,
    pub groups: usize,
    pub apps: usize,
    pub log_events: usize,
    /// Lifetime of minted access tokens (tests shrink it to seconds).
    pub access_token_ttl: Duration,
    /// 0 picks a free port. Always bound on 127.0.0.1.
    pub port: u16,
    /// Directory where the service client's private key is written (a temp dir when None).
    pub key_dir: Option<std::path::PathBuf>,
    pub faults: faults::FaultConfig,
    /// When the seeded history ends (None: the moment of start). Fixing it makes every
    /// seeded timestamp repeatable too; the System Log covers the 7 days before it.
    pub epoch: Option<std::time::SystemTime>,
    /// Sign-in redirect URIs registered on both web clients at start (more can be added
    /// later with `oauth().add_redirect_uri`).
    pub redirect_uris: Vec<String>,
    /// SUPER_ADMINs added beside the three seeded admins, signed in as
    /// `bench.admin.0000@example.com`, ... (see [`extra_admin_login`]): load
    /// runs need many distinct people.
    pub extra_admins: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            users: 200,
            groups: 30,
            apps: 20,
            log_events: 5000,
            access_token_ttl: Duration::from_secs(3600),
            port: 0,
            key_dir: None,
            faults: faults::FaultConfig::default(),
            epoch: None,
            redirect_uris: Vec::new(),
            extra_admins: 0,
        }
    }
}

/// The credentials of a pre-registered client, as a test or `--demo` needs them.
#[derive(Clone, Default)]
pub struct RegisteredClient {
    pub client_id: String,
    /// `kid` of the registered public key (private_key_jwt clients only).
    pub key_id: Option<String>,
    /// PKCS#8 PEM of the client's private key (private_key_jwt clients only).
    pub private_key_pem: Option<String>,
    /// Where that PEM was written, for `OKTA_PRIVATE_KEY_FILE`.
    pub private_key_file: Option<std::path::PathBuf>,
    /// The client secret (client_secret_basic / client_secret_post clients only).
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field("key_id", &self.key_id)
            .field(
                "private_key_pem",
                &self.private_key_pem.as_ref().map(|_| "****"),
            )
            .field("private_key_file", &self.private_key_file)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "****"),
            )
            .finish()
    }
}

/// A running sandbox org. Dropping it stops the server.
pub struct Sandbox {
    url: String,
    addr: SocketAddr,
    oauth: oauth::OAuthServer,
    faults: faults::Faults,
    org: org::SharedOrg,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Builds the seeded org and serves it on 127.0.0.1.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://127.0.0.1:{}", addr.port());
        // Seeding and the OAuth server's key generation are both CPU-bound: run them side by side.
        let seeding = {
            let (config, url) = (config.clone(), url.clone());
            let epoch = config
                .epoch
                .map_or_else(chrono::Utc::now, chrono::DateTime::<chrono::Utc>::from);
            tokio::task::spawn_blocking(move || seed::build(&config, &url, epoch))
        };
        let oauth =
            oauth::OAuthServer::new(url.clone(), config.access_token_ttl, config.key_dir.clone())?;
        let faults = faults::Faults::new(config.faults.clone());
        let org = org::SharedOrg::new(seeding.await.map_err(std::io::Error::other)?);
        oauth.set_directory(Arc::new(org.clone()));
        for client in [
            oauth::DEFAULT_WEB_CLIENT_ID,
            oauth::DEFAULT_WEB_JWT_CLIENT_ID,
        ] {
            for uri in &config.redirect_uris {
                oauth.add_redirect_uri(client, uri);
            }
        }
        let state = api::AppState {
            org: org.clone(),
            auth: Arc::new(oauth.clone()),
            base_url: url.clone(),
        };
        let app = api::router(state)
            .merge(oauth.router())
            .fallback(api::not_found)
            .layer(axum::middleware::from_fn(api::tag_request_id));
        let app = faults.wrap(app);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await
            {
                tracing::warn!(%error, "sandbox server stopped with an error");
            }
        });
        tracing::info!(%url, users = config.users, log_events = config.log_events, "sandbox org started");
        Ok(Sandbox {
            url,
            addr,
            oauth,
            faults,
            org,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Base URL of the org, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The public device-flow client (device_code and refresh_token grants).
    pub fn device_client(&self) -> RegisteredClient {
        self.oauth.device_client()
    }

    /// The private_key_jwt service client (client_credentials grant), granted every okta.* scope.
    pub fn service_client(&self) -> RegisteredClient {
        self.oauth.service_client()
    }

    /// The OIDC web app that signs people in with its client secret
    /// (authorization code + PKCE, rotating refresh tokens).
    pub fn web_client(&self) -> RegisteredClient {
        self.oauth.web_client()
    }

    /// The same kind of web app, authenticating with private_key_jwt.
    pub fn web_jwt_client(&self) -> RegisteredClient {
        self.oauth.web_jwt_client()
    }

    /// The org authorization server, for tests that mint or revoke tokens directly.
    pub fn oauth(&self) -> &oauth::OAuthServer {
        &self.oauth
    }

    /// Fault injection knobs and the request journal.
    pub fn faults(&self) -> &faults::Faults {
        &self.faults
    }

    /// Read access to the org's data as the API returns it.
    pub fn org(&self) -> OrgHandle {
        OrgHandle::new(self.org.clone())
    }

    /// Stops accepting requests and waits (briefly) for in-flight ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Idle keep-alive connections would hold a graceful shutdown open; cap the wait.
            if tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.oauth.remove_own_key_dir();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
