//! The embedded sandbox org behind `--demo` and the `sandbox` command. The sandbox is a test
//! double, so it is compiled in only with the default-on `demo` cargo feature: a team
//! deployment builds with `--no-default-features` and carries no sandbox code. Everything in
//! the binary that starts a sandbox goes through this module. CI builds the server without
//! the feature and tests/without_demo.rs checks that build serves an org and refuses demo use
//! with [`BUILT_WITHOUT`].

use crate::settings::Settings;
use std::process::ExitCode;

/// The one line a build without the feature answers `--demo`, `OKTA_MCP_DEMO` and `sandbox`
/// with.
pub const BUILT_WITHOUT: &str = "this build was made without the `demo` feature, so it has no embedded sandbox org (--demo, OKTA_MCP_DEMO, sandbox); install a release package or build with default features (`cargo install okta-mcp-server`) to get it";

/// The sandbox org started in-process for `--demo`; the server keeps it alive while it runs.
#[cfg(feature = "demo")]
pub type EmbeddedOrg = okta_sandbox::Sandbox;

/// A build without the feature never has an embedded org.
#[cfg(not(feature = "demo"))]
pub enum EmbeddedOrg {}

/// Whether the command line asks for the sandbox in a build that does not have it: then
/// main prints [`BUILT_WITHOUT`] and exits with 2 (a usage error, like a bad flag).
pub fn requested_but_built_without(command: &crate::cli::Command, demo: Option<bool>) -> bool {
    use crate::cli::Command;
    if cfg!(feature = "demo") {
        return false;
    }
    match command {
        Command::Sandbox(_) => true,
        // These read neither the org nor the demo setting.
        Command::Audit(_) | Command::Completions { .. } | Command::Man => false,
        _ => demo == Some(true),
    }
}

/// Prints the refusal and returns the usage-error exit code.
pub fn refuse() -> ExitCode {
    eprintln!("okta-mcp-server: {BUILT_WITHOUT}");
    ExitCode::from(2)
}

/// Starts the seeded sandbox in-process and points the settings at its service client.
/// Tokens stay in memory so a demo never touches the real keyring.
#[cfg(feature = "demo")]
pub async fn start(settings: &mut Settings) -> anyhow::Result<EmbeddedOrg> {
    use crate::settings::{Credentials, OrgSettings};
    use anyhow::Context;
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

/// Without the feature main refuses demo use before any command runs; this is the backstop
/// for a caller that reaches here anyway.
#[cfg(not(feature = "demo"))]
pub async fn start(_settings: &mut Settings) -> anyhow::Result<EmbeddedOrg> {
    anyhow::bail!(BUILT_WITHOUT)
}
