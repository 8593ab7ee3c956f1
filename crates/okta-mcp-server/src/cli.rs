//! Command-line types only. Every option has an environment variable and the reverse, so an
//! MCP client config stays one `env` block; `settings` turns these into one checked value.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "okta-mcp-server", version, about = "MCP server for administering an Okta org", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve MCP (the default): stdio, or Streamable HTTP with --transport http.
    Serve(ServeArgs),
    /// List the tools this configuration exposes.
    Tools {
        /// Print the full tool definitions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run one tool and print its result as JSON.
    Call {
        /// Tool name, e.g. list_users.
        tool: String,
        /// Arguments as a JSON object.
        #[arg(default_value = "{}")]
        arguments: String,
    },
    /// Pre-authenticate, inspect or clear the token cache.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Run the sandbox Okta org standalone (for tests, benchmarks and trying things out).
    Sandbox(SandboxArgs),
    /// Who is signed in to the team server, and ending a person's access.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Read the audit journal: who changed what in the org through this server.
    Audit(AuditArgs),
    /// Print a shell completion script, e.g. `okta-mcp-server completions bash > /etc/bash_completion.d/okta-mcp-server`.
    Completions {
        /// Shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `okta-mcp-server man > okta-mcp-server.1`.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum SessionsCommand {
    /// List who is signed in (login, user id, client, since, last used; never a token).
    List {
        #[arg(long)]
        json: bool,
    },
    /// End a person's access now: their server tokens are deleted and their Okta tokens revoked.
    Revoke {
        /// The person's Okta login or user id.
        user: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct AuditArgs {
    /// Only records at or after this time: a duration back from now (30m, 1h, 7d) or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Only records of this person: Okta user id, login, or the service app's client id.
    #[arg(long)]
    pub user: Option<String>,
    /// Only records of this tool, e.g. create_group.
    #[arg(long)]
    pub tool: Option<String>,
    /// Print the matching records as JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Run the configured flow in this terminal and cache the token.
    Login,
    /// Revoke the cached token at the org and forget it.
    Logout,
    /// Show what is cached (never the token itself).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print a valid access token (refreshing if needed), for scripting.
    Token,
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// MCP transport.
    #[arg(long, env = "OKTA_MCP_TRANSPORT", value_enum, default_value_t = Transport::Stdio)]
    pub transport: Transport,
    /// Address for --transport http (loopback unless you put a proxy in front).
    #[arg(long, env = "OKTA_MCP_BIND", default_value = "127.0.0.1:8765")]
    pub bind: String,
    /// Who may use --transport http: none (one identity, loopback only) or oauth (each person signs in with Okta).
    #[arg(long, env = "OKTA_MCP_HTTP_AUTH", value_enum, default_value_t = HttpAuth::None)]
    pub auth: HttpAuth,
    /// Runtime threads of --transport http (default: one per core available to the process).
    #[arg(long, env = "OKTA_MCP_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub worker_threads: Option<u16>,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpAuth {
    /// No authentication: every caller acts with the server's own Okta token.
    #[default]
    None,
    /// Team mode: MCP authorization, each person signs in with Okta and acts as themselves.
    Oauth,
}

impl ServeArgs {
    /// The serve options of a bare `okta-mcp-server` (no subcommand): each from its
    /// environment variable, or its default. `OKTA_MCP_TRANSPORT=http` alone serves HTTP, as
    /// the variable table says; an invalid value is refused as it would be after `serve`.
    pub fn from_env() -> Result<ServeArgs, clap::Error> {
        use clap::FromArgMatches;
        let command = ServeArgs::augment_args(clap::Command::new("okta-mcp-server"));
        ServeArgs::from_arg_matches(&command.try_get_matches_from(["okta-mcp-server"])?)
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    #[default]
    Stdio,
    Http,
}

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "OKTA_SANDBOX_PORT", default_value_t = 0)]
    pub port: u16,
    /// Seed of the generated org.
    #[arg(long, env = "OKTA_SANDBOX_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Latency added to every Management API response, in milliseconds.
    #[arg(long, env = "OKTA_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Rate limits: okta (Okta's per-minute limits, enforced), off (headers only), or LIMIT/WINDOW like 20/1s.
    #[arg(long, env = "OKTA_SANDBOX_RATE_LIMITS", default_value = "okta")]
    pub rate_limits: String,
    /// Access token lifetime in seconds.
    #[arg(long, env = "OKTA_SANDBOX_TOKEN_TTL", default_value_t = 3600)]
    pub token_ttl: u64,
    /// Directory for the service client's private key file.
    #[arg(long, env = "OKTA_SANDBOX_KEY_DIR")]
    pub key_dir: Option<PathBuf>,
    /// Sign-in redirect URI registered on the sandbox's web clients (repeatable; the env var is comma-separated).
    #[arg(
        long = "redirect-uri",
        env = "OKTA_SANDBOX_REDIRECT_URIS",
        value_name = "URI",
        value_delimiter = ','
    )]
    pub redirect_uris: Vec<String>,
    /// Extra SUPER_ADMIN people to seed (bench.admin.0000@example.com, ...), for load runs with many users.
    #[arg(long, env = "OKTA_SANDBOX_EXTRA_ADMINS", default_value_t = 0)]
    pub extra_admins: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStoreArg {
    Keyring,
    File,
    Memory,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmArg {
    /// Ask before destructive actions (elicitation, or a confirm: true re-call).
    Prompt,
    /// Never ask. Dangerous: for unattended automation only.
    Never,
}

/// Options shared by every command.
#[derive(Args, Debug, Default)]
pub struct GlobalArgs {
    /// Okta org URL, e.g. https://acme.okta.com (http only for loopback hosts).
    #[arg(long, env = "OKTA_ORG_URL", global = true)]
    pub org_url: Option<String>,
    /// OAuth client ID of the app registered for this server.
    #[arg(long, env = "OKTA_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// Space-separated Okta scopes to request, e.g. "okta.users.read okta.groups.read".
    #[arg(long, env = "OKTA_SCOPES", global = true)]
    pub scopes: Option<String>,
    /// Private key for private_key_jwt (PEM or JWK JSON; literal \n accepted). Selects the browserless flow.
    #[arg(long, env = "OKTA_PRIVATE_KEY", global = true, hide_env_values = true)]
    pub private_key: Option<String>,
    /// File holding that private key (alternative to OKTA_PRIVATE_KEY).
    #[arg(long, env = "OKTA_PRIVATE_KEY_FILE", global = true)]
    pub private_key_file: Option<PathBuf>,
    /// Key ID (kid) registered for that private key.
    #[arg(long, env = "OKTA_KEY_ID", global = true)]
    pub key_id: Option<String>,
    /// Where tokens are cached: keyring (default), file, or memory.
    #[arg(long, env = "OKTA_MCP_TOKEN_STORE", value_enum, global = true)]
    pub token_store: Option<TokenStoreArg>,
    /// Use DPoP-bound tokens (also used automatically when the org demands it).
    #[arg(long, env = "OKTA_MCP_DPOP", global = true, num_args = 0..=1, default_missing_value = "true", value_parser = parse_bool_flag)]
    pub dpop: Option<bool>,
    /// Expose only tools that do not write.
    #[arg(long, env = "OKTA_MCP_READ_ONLY", global = true, num_args = 0..=1, default_missing_value = "true", value_parser = parse_bool_flag)]
    pub read_only: Option<bool>,
    /// Comma-separated toolsets to expose (default all), e.g. users,groups,logs.
    #[arg(long, env = "OKTA_MCP_TOOLSETS", global = true)]
    pub toolsets: Option<String>,
    /// Confirmation of destructive actions: prompt (default) or never (dangerous).
    #[arg(long, env = "OKTA_MCP_CONFIRM", value_enum, global = true)]
    pub confirm: Option<ConfirmArg>,
    /// Largest tool result in bytes before it is cut at an item boundary.
    #[arg(long, env = "OKTA_MCP_MAX_RESULT_BYTES", global = true)]
    pub max_result_bytes: Option<usize>,
    /// Longest a tool call waits, in all, for Okta's rate limits to reset, in seconds (default 30, at most 600); past it the call fails at once and says when to retry.
    #[arg(long, env = "OKTA_MCP_MAX_RATE_LIMIT_WAIT", global = true)]
    pub max_rate_limit_wait: Option<String>,
    /// Directories files may be read from or written to, ':'-separated (default: system temp dirs).
    #[arg(long, env = "OKTA_MCP_ALLOWED_KEY_DIRS", global = true)]
    pub allowed_dirs: Option<String>,
    /// Log level: error, warn, info, debug or trace (logs go to stderr).
    #[arg(long, env = "OKTA_LOG_LEVEL", global = true)]
    pub log_level: Option<String>,
    /// Also write logs to this file.
    #[arg(long, env = "OKTA_LOG_FILE", global = true)]
    pub log_file: Option<PathBuf>,
    /// Client secret of the Okta web app the team server signs people in with (or use OKTA_PRIVATE_KEY).
    #[arg(
        long,
        env = "OKTA_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Team server state file (SQLite, 0600; default under the user data directory).
    #[arg(long, env = "OKTA_MCP_STATE_PATH", global = true)]
    pub state_path: Option<PathBuf>,
    /// Team server state in Redis instead of the state file, shared by replicas: redis://HOST:PORT[/DB] or rediss:// (TLS).
    #[arg(
        long,
        env = "OKTA_MCP_STATE_URL",
        global = true,
        hide_env_values = true
    )]
    pub state_url: Option<String>,
    /// Key that encrypts people's Okta tokens at rest: 32 random bytes, base64 (`openssl rand -base64 32`).
    #[arg(
        long,
        env = "OKTA_MCP_STATE_KEY",
        global = true,
        hide_env_values = true
    )]
    pub state_key: Option<String>,
    /// Earlier state keys, comma-separated, still accepted for reading while records are re-encrypted.
    #[arg(
        long,
        env = "OKTA_MCP_STATE_KEY_PREVIOUS",
        global = true,
        hide_env_values = true
    )]
    pub state_key_previous: Option<String>,
    /// Run against an embedded sandbox org instead of a real one (no Okta account needed).
    #[arg(long, env = "OKTA_MCP_DEMO", global = true, num_args = 0..=1, default_missing_value = "true", value_parser = parse_bool_flag)]
    pub demo: Option<bool>,
    /// Audit journal of write and destructive calls (JSON lines, 0600), or `off` (default: okta-mcp-server/audit.jsonl in the user state dir).
    #[arg(long, env = "OKTA_MCP_AUDIT_LOG", global = true)]
    pub audit_log: Option<String>,
    #[command(flatten)]
    pub http: HttpArgs,
}

/// Options of the Streamable HTTP transport (`serve --transport http`).
#[derive(Args, Debug, Default, Clone)]
pub struct HttpArgs {
    /// Public base URL clients use to reach this server, e.g. https://mcp.acme.com (behind a TLS proxy); its host is accepted in Host, its origin in Origin.
    #[arg(long, env = "OKTA_MCP_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Comma-separated browser origins allowed to call the HTTP server, e.g. https://app.acme.com (default: only the public URL's and the loopback address's own).
    #[arg(long, env = "OKTA_MCP_ALLOWED_ORIGINS", global = true)]
    pub allowed_origins: Option<String>,
    /// Comma-separated extra Host values the HTTP server answers to (host or host:port), besides the public URL's host and the bound address.
    #[arg(long, env = "OKTA_MCP_ALLOWED_HOSTS", global = true)]
    pub allowed_hosts: Option<String>,
    /// Largest HTTP request body in bytes (default 4194304); larger ones get 413.
    #[arg(long, env = "OKTA_MCP_MAX_BODY_BYTES", global = true)]
    pub max_body_bytes: Option<usize>,
    /// Longest an HTTP request or tool call may run, e.g. 300s or 5m (default 5m).
    #[arg(long, env = "OKTA_MCP_REQUEST_TIMEOUT", global = true)]
    pub request_timeout: Option<String>,
    /// Most MCP sessions held at once (default 1000); past it, new sessions get 503.
    #[arg(long, env = "OKTA_MCP_MAX_SESSIONS", global = true)]
    pub max_sessions: Option<usize>,
    /// An MCP session unused this long is closed, e.g. 300s or 5m (default 5m).
    #[arg(long, env = "OKTA_MCP_SESSION_IDLE_TIMEOUT", global = true)]
    pub session_idle_timeout: Option<String>,
    /// An HTTP connection that has sent nothing this long while no request is running on it is closed, e.g. 75s (default 75s; keep it above a load balancer's idle timeout).
    #[arg(long, env = "OKTA_MCP_CONNECTION_IDLE_TIMEOUT", global = true)]
    pub connection_idle_timeout: Option<String>,
    /// Most MCP requests one person (or, without sign-in, everyone together) may have running at once (default 16); past it, 429.
    #[arg(long, env = "OKTA_MCP_MAX_CONCURRENT_CALLS", global = true)]
    pub max_concurrent_calls: Option<usize>,
    /// On Ctrl-C or SIGTERM, how long in-flight calls may take to finish, e.g. 30s (default 30s).
    #[arg(long, env = "OKTA_MCP_SHUTDOWN_GRACE", global = true)]
    pub shutdown_grace: Option<String>,
}

/// Accepts the spellings people put in env blocks: 1/0, true/false, yes/no, on/off.
pub fn parse_bool_flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!(
            "expected true/false (or 1/0, yes/no, on/off), got {other:?}"
        )),
    }
}
