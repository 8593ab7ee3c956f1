//! Connects the server to an org: the real one from settings, or the embedded sandbox in
//! demo mode. Nothing here waits for a person or for the network.

use crate::settings::{Credentials, OrgSettings, Settings};
use anyhow::Context;
use okta_auth::{AuthMethod, AuthSettings, Authenticator};
use okta_client::{ClientConfig, OktaClient};
use std::sync::Arc;

/// A connected org: the API client, the authenticator behind it, and the sandbox in demo mode.
pub struct Org {
    pub settings: Arc<Settings>,
    pub client: OktaClient,
    pub auth: Arc<Authenticator>,
    /// The one HTTP client for the org (token requests and API calls).
    pub http: reqwest::Client,
    /// The audit journal, open for appending once [`Org::open_audit`] ran (the commands that
    /// run tools call it); None with OKTA_MCP_AUDIT_LOG=off.
    pub audit: Option<crate::audit::AuditJournal>,
    /// Kept alive (never read) for as long as the server runs in demo mode.
    #[allow(dead_code)]
    pub sandbox: Option<okta_sandbox::Sandbox>,
}

pub async fn connect(mut settings: Settings) -> anyhow::Result<Org> {
    let sandbox = if settings.demo {
        Some(start_demo_sandbox(&mut settings).await?)
    } else {
        None
    };
    let org = settings.org.clone().context("no org configured")?;
    // One HTTP client for token requests and API calls: TLS set-up and the trust store
    // are paid for once, and both share the connection pool to the org.
    let mut config = ClientConfig::new(org.org_url.clone());
    // No single wait may be longer than a whole call may wait.
    config.max_rate_limit_wait = settings.max_rate_limit_wait;
    let http = okta_client::http_client(&config).context("building the HTTP client")?;
    let auth = Authenticator::new(auth_settings(&settings, &org), http.clone())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = OktaClient::with_http(config, auth.clone(), http.clone())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Org {
        settings: Arc::new(settings),
        client,
        auth,
        http,
        audit: None,
        sandbox,
    })
}

impl Org {
    /// Opens the audit journal the settings name: a server or `call` that cannot journal
    /// its writes does not start.
    pub fn open_audit(&mut self) -> anyhow::Result<()> {
        if let Some(path) = self.settings.audit_log.path()? {
            let journal = crate::audit::AuditJournal::open(path).with_context(|| {
                format!(
                    "OKTA_MCP_AUDIT_LOG: cannot open the audit journal {}; set it to a writable file, or to `off`",
                    path.display()
                )
            })?;
            // With the state in Redis, every replica's records also go to one shared stream.
            let journal = match &self.settings.state_url {
                Some(url) => journal
                    .with_stream(crate::audit::AuditStream::open(url).map_err(anyhow::Error::msg)?),
                None => journal,
            };
            self.audit = Some(journal);
        }
        Ok(())
    }
}

fn auth_settings(settings: &Settings, org: &OrgSettings) -> AuthSettings {
    AuthSettings {
        org_url: org.org_url.clone(),
        client_id: org.client_id.clone(),
        scopes: settings.scopes.clone(),
        method: match &org.credentials {
            Credentials::DeviceFlow => AuthMethod::DeviceFlow,
            Credentials::PrivateKeyJwt { key, key_id } => AuthMethod::PrivateKeyJwt {
                key: key.clone(),
                key_id: key_id.clone(),
            },
        },
        store: settings.token_store,
        dpop: settings.dpop,
    }
}

/// Starts the seeded sandbox in-process and points the settings at its service client.
/// Tokens stay in memory so a demo never touches the real keyring.
async fn start_demo_sandbox(settings: &mut Settings) -> anyhow::Result<okta_sandbox::Sandbox> {
    let sandbox = okta_sandbox::Sandbox::start(okta_sandbox::SandboxConfig::default())
        .await
        .context("starting the embedded sandbox org")?;
    let service = sandbox.service_client();
    let key = service
        .private_key_pem
        .clone()
        .context("sandbox service client has no key")?;
    let key_id = service
        .key_id
        .clone()
        .context("sandbox service client has no key id")?;
    settings.org = Some(OrgSettings {
        org_url: url::Url::parse(&sandbox.url()).context("sandbox URL")?,
        client_id: service.client_id.clone(),
        credentials: Credentials::PrivateKeyJwt {
            key: okta_auth::Secret::new(key),
            key_id,
        },
    });
    if settings.scopes.is_empty() {
        settings.scopes = crate::tools::all_scopes();
    }
    settings.token_store = okta_auth::StoreKind::Memory;
    tracing::info!(url = %sandbox.url(), "demo mode: serving the embedded sandbox org");
    Ok(sandbox)
}
