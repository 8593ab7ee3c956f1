//! Shared setup: a sandbox org on loopback, a token minted by its OAuth server, and a client
//! tuned for fast retries. Everything goes over real HTTP.

#![allow(dead_code)]

use okta_auth::{Secret, StaticToken};
use okta_client::{ClientConfig, OktaClient};
use okta_sandbox::faults::{FaultConfig, Faults, JournalEntry};
use okta_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

/// Every scope the tests' calls need.
pub const SCOPES: &[&str] = &[
    "okta.users.manage",
    "okta.groups.manage",
    "okta.apps.manage",
    "okta.logs.read",
    "okta.brands.manage",
];

pub struct Org {
    pub sandbox: Sandbox,
    pub client: OktaClient,
}

impl Org {
    pub fn faults(&self) -> &Faults {
        self.sandbox.faults()
    }

    /// Journal entries whose raw path starts with `prefix`, for one method.
    pub fn requests(&self, method: &str, prefix: &str) -> Vec<JournalEntry> {
        self.faults()
            .journal()
            .into_iter()
            .filter(|e| e.method == method && e.path.starts_with(prefix))
            .collect()
    }

    /// A second client on the same org, with its own tuning.
    pub fn client_with(&self, tune: impl FnOnce(&mut ClientConfig)) -> OktaClient {
        client_for(&self.sandbox, tune)
    }
}

/// Retries fast enough for tests; everything else at production defaults.
pub fn test_tuning(config: &mut ClientConfig) {
    config.retry_base_delay = Duration::from_millis(20);
    config.max_retry_elapsed = Duration::from_secs(10);
}

pub fn token(sandbox: &Sandbox) -> Arc<StaticToken> {
    let client_id = sandbox.service_client().client_id;
    Arc::new(StaticToken(Secret::new(
        sandbox.oauth().mint_access_token(&client_id, SCOPES),
    )))
}

pub fn client_for(sandbox: &Sandbox, tune: impl FnOnce(&mut ClientConfig)) -> OktaClient {
    let url = url::Url::parse(&sandbox.url()).expect("sandbox URL");
    let mut config = ClientConfig::new(url);
    test_tuning(&mut config);
    tune(&mut config);
    OktaClient::new(config, token(sandbox)).expect("client")
}

pub async fn start(faults: FaultConfig) -> Org {
    start_with(faults, |_| {}).await
}

pub async fn start_with(faults: FaultConfig, tune: impl FnOnce(&mut ClientConfig)) -> Org {
    let sandbox = Sandbox::start(SandboxConfig {
        faults,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let client = client_for(&sandbox, tune);
    Org { sandbox, client }
}

/// A plain loopback listener standing in for a foreign host: it counts connections and
/// never answers.
pub struct Foreign {
    pub origin: String,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Foreign {
    pub async fn start() -> Foreign {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind foreign listener");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(socket);
            }
        });
        Foreign {
            origin,
            accepted,
            task,
        }
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        self.task.abort();
    }
}
