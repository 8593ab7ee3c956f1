//! A faithful in-memory Okta org served over HTTP on loopback.
//!
//! Tests and `--demo` share it: it speaks the Management API subset the tools use and the
//! org authorization server's OAuth endpoints, shaped as Okta's OpenAPI spec describes.
//!
//! Module ownership (kept disjoint so the pieces evolve independently):
//! - `oauth/`: OAuth endpoints, token minting and bearer checks.
//! - `faults`: fault injection (429s, 5xx, latency, resets, malformed bodies, foreign links).
//! - everything else: the org's data, the Management API, pagination, filters, errors.

pub mod faults;
pub mod oauth;

use std::net::SocketAddr;
use std::time::Duration;

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
        }
    }
}

/// The credentials of a pre-registered client, as a test or `--demo` needs them.
#[derive(Clone)]
pub struct RegisteredClient {
    pub client_id: String,
    /// `kid` of the registered public key (private_key_jwt clients only).
    pub key_id: Option<String>,
    /// PKCS#8 PEM of the client's private key (private_key_jwt clients only).
    pub private_key_pem: Option<String>,
    /// Where that PEM was written, for `OKTA_PRIVATE_KEY_FILE`.
    pub private_key_file: Option<std::path::PathBuf>,
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
            .finish()
    }
}

/// A running sandbox org. Dropping it stops the server.
pub struct Sandbox {
    // filled in by the sandbox implementation
}

impl Sandbox {
    /// Builds the seeded org and serves it on 127.0.0.1.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let _ = config;
        unimplemented!("sandbox server")
    }

    /// Base URL of the org, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        unimplemented!()
    }

    pub fn addr(&self) -> SocketAddr {
        unimplemented!()
    }

    /// The public device-flow client (device_code and refresh_token grants).
    pub fn device_client(&self) -> RegisteredClient {
        unimplemented!()
    }

    /// The private_key_jwt service client (client_credentials grant), granted every okta.* scope.
    pub fn service_client(&self) -> RegisteredClient {
        unimplemented!()
    }
}
