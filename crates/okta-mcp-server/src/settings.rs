//! Merges flags and environment (already joined by clap) into one checked `Settings` value.
//! A bad value is reported with the variable's name and what is expected.

use crate::cli::{ConfirmArg, GlobalArgs, HttpArgs, TokenStoreArg};
use std::path::PathBuf;
use std::time::Duration;

/// Default cap on one tool result, in bytes (what an LLM context can reasonably take).
pub const DEFAULT_MAX_RESULT_BYTES: usize = 200_000;

/// Default bound on a tool call's rate-limit waits: long enough to ride out most of Okta's
/// one-minute windows, short enough that a client (and the person) is not left hanging.
pub const DEFAULT_MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(30);
const MAX_RATE_LIMIT_WAIT_CEILING: u64 = 600;

#[derive(Debug)]
pub struct SettingsError {
    pub variable: &'static str,
    pub message: String,
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

impl std::error::Error for SettingsError {}

fn invalid(variable: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        variable,
        message: message.into(),
    }
}

/// How the server proves who it is to the org.
#[derive(Clone, Debug)]
pub enum Credentials {
    DeviceFlow,
    PrivateKeyJwt {
        key: okta_auth::Secret,
        key_id: String,
    },
}

/// Where the org is and who we are there. Absent in demo mode until the sandbox runs.
#[derive(Clone, Debug)]
pub struct OrgSettings {
    pub org_url: url::Url,
    pub client_id: String,
    pub credentials: Credentials,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub org: Option<OrgSettings>,
    pub demo: bool,
    /// OKTA_SCOPES as configured (management scopes; OIDC ones are added by the device flow).
    pub scopes: Vec<String>,
    pub token_store: okta_auth::StoreKind,
    pub dpop: bool,
    pub read_only: bool,
    /// None = all toolsets.
    pub toolsets: Option<Vec<String>>,
    pub confirm_destructive: bool,
    pub max_result_bytes: usize,
    /// How long one tool call may wait, in all, for Okta's rate limits to reset.
    pub max_rate_limit_wait: Duration,
    pub allowed_dirs: Vec<PathBuf>,
    /// OKTA_PRIVATE_KEY_FILE, kept so that no tool ever reads the server's own key.
    pub private_key_file: Option<PathBuf>,
    pub log_level: tracing::Level,
    pub log_file: Option<PathBuf>,
    /// Public base URL of the HTTP server (OKTA_MCP_PUBLIC_URL), when it sits behind a proxy.
    pub public_url: Option<url::Url>,
    pub http: HttpSettings,
    /// Where write and destructive calls are journaled (OKTA_MCP_AUDIT_LOG).
    pub audit_log: AuditLog,
    /// OKTA_CLIENT_SECRET: the team server's web app credential (else the private key).
    pub client_secret: Option<okta_auth::Secret>,
    /// OKTA_MCP_STATE_PATH, or the default under the user data directory.
    pub state_path: PathBuf,
    /// OKTA_MCP_STATE_URL: Redis instead of the state file (replicas share it).
    pub state_url: Option<crate::team::store::redis::StateUrl>,
    /// OKTA_MCP_STATE_KEY (+ _PREVIOUS); required in team mode.
    pub state_keys: Option<crate::team::seal::StateKeys>,
}

/// OKTA_MCP_AUDIT_LOG, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditLog {
    /// Set to `off`: nothing is journaled.
    Off,
    File(PathBuf),
    /// Not set, and there is no user state directory to put it in (no HOME): an error for
    /// the commands that journal, harmless for the others.
    NoDefaultLocation,
}

impl AuditLog {
    /// The journal file, None when off; an error naming the setting without a location.
    pub fn path(&self) -> Result<Option<&std::path::Path>, SettingsError> {
        match self {
            AuditLog::Off => Ok(None),
            AuditLog::File(path) => Ok(Some(path)),
            AuditLog::NoDefaultLocation => Err(invalid(
                "OKTA_MCP_AUDIT_LOG",
                "no default location (HOME is not set): set it to a file path, or to `off`",
            )),
        }
    }
}

/// Limits and allow-lists of the Streamable HTTP transport.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Browser origins allowed besides the server's own (OKTA_MCP_ALLOWED_ORIGINS).
    pub allowed_origins: Vec<url::Origin>,
    /// Extra `Host` values: `host` (any port) or `host:port` (OKTA_MCP_ALLOWED_HOSTS), lower-case.
    pub allowed_hosts: Vec<String>,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    pub max_sessions: usize,
    pub session_idle_timeout: Duration,
    /// A connection waiting this long for its next request's headers (or its first byte) is
    /// closed, so idle and half-open connections do not hold memory.
    pub connection_idle_timeout: Duration,
    /// In-flight MCP requests per caller (or for everyone together without sign-in).
    pub max_concurrent_calls: usize,
    pub shutdown_grace: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(300),
            max_sessions: 1000,
            session_idle_timeout: Duration::from_secs(300),
            // Above the usual load balancer idle timeouts (60 s for nginx's upstream
            // keep-alive and AWS ALB), so the balancer, not this server, closes first and
            // never sends a request down a connection this server is closing.
            connection_idle_timeout: Duration::from_secs(75),
            max_concurrent_calls: 16,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl Settings {
    pub fn from_args(args: &GlobalArgs) -> Result<Self, SettingsError> {
        let demo = args.demo.unwrap_or(false);
        let org = if demo {
            None
        } else {
            Some(org_settings(args)?)
        };
        let scopes = args
            .scopes
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let toolsets = match args.toolsets.as_deref().map(str::trim) {
            None | Some("") | Some("all") => None,
            Some(list) => Some(
                crate::tools::registry::parse_toolsets(list)
                    .map_err(|m| invalid("OKTA_MCP_TOOLSETS", m))?,
            ),
        };
        let max_result_bytes = match args.max_result_bytes {
            None => DEFAULT_MAX_RESULT_BYTES,
            Some(n) if n >= 1_000 => n,
            Some(n) => {
                return Err(invalid(
                    "OKTA_MCP_MAX_RESULT_BYTES",
                    format!("expected at least 1000 bytes, got {n}"),
                ));
            }
        };
        Ok(Self {
            org,
            demo,
            scopes,
            token_store: match args.token_store {
                None | Some(TokenStoreArg::Keyring) => okta_auth::StoreKind::Keyring,
                Some(TokenStoreArg::File) => okta_auth::StoreKind::File,
                Some(TokenStoreArg::Memory) => okta_auth::StoreKind::Memory,
            },
            dpop: args.dpop.unwrap_or(false),
            read_only: args.read_only.unwrap_or(false),
            toolsets,
            confirm_destructive: args.confirm != Some(ConfirmArg::Never),
            max_result_bytes,
            max_rate_limit_wait: max_rate_limit_wait(args.max_rate_limit_wait.as_deref())?,
            allowed_dirs: allowed_dirs(args.allowed_dirs.as_deref()),
            private_key_file: args.private_key_file.clone(),
            log_level: log_level(args.log_level.as_deref())?,
            log_file: args.log_file.clone(),
            public_url: public_url(args.http.public_url.as_deref())?,
            http: http_settings(&args.http)?,
            audit_log: audit_log(args.audit_log.as_deref()),
            client_secret: args
                .client_secret
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| okta_auth::Secret::new(s.trim())),
            state_path: args
                .state_path
                .clone()
                .unwrap_or_else(crate::team::store::default_path),
            state_url: match args.state_url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => Some(
                    crate::team::store::redis::StateUrl::parse(raw)
                        .map_err(|m| invalid("OKTA_MCP_STATE_URL", m))?,
                ),
            },
            state_keys: match args.state_key.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(current) => Some(
                    crate::team::seal::StateKeys::parse(
                        current,
                        args.state_key_previous.as_deref(),
                    )
                    .map_err(|(variable, m)| invalid(variable, m))?,
                ),
            },
        })
    }
}

fn public_url(raw: Option<&str>) -> Result<Option<url::Url>, SettingsError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = |m: String| invalid("OKTA_MCP_PUBLIC_URL", m);
    let url = url::Url::parse(raw).map_err(|e| {
        bad(format!(
            "not a valid URL ({e}); expected the URL clients use, e.g. https://mcp.acme.com"
        ))
    })?;
    let host = url.host_str().unwrap_or_default();
    let loopback = is_loopback_name(host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => {
            return Err(bad(format!(
                "{other}:// is not allowed; expected https:// (http:// only for loopback hosts)"
            )));
        }
    }
    if host.is_empty() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "expected a host and no credentials, e.g. https://mcp.acme.com".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "expected no query or fragment, e.g. https://mcp.acme.com".into(),
        ));
    }
    Ok(Some(url))
}

/// 127.0.0.1 (any 127/8), ::1 or localhost, as a URL or Host header spells it.
pub fn is_loopback_name(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn http_settings(args: &HttpArgs) -> Result<HttpSettings, SettingsError> {
    let defaults = HttpSettings::default();
    let duration = |variable: &'static str, raw: &Option<String>, default: Duration| match raw
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(default),
        Some(text) => match parse_duration(text) {
            Ok(d) if !d.is_zero() => Ok(d),
            Ok(_) => Err(invalid(variable, "must be more than zero")),
            Err(m) => Err(invalid(variable, m)),
        },
    };
    let at_least =
        |variable: &'static str, value: Option<usize>, min: usize, default: usize| match value {
            None => Ok(default),
            Some(n) if n >= min => Ok(n),
            Some(n) => Err(invalid(
                variable,
                format!("expected at least {min}, got {n}"),
            )),
        };
    Ok(HttpSettings {
        allowed_origins: comma_list(args.allowed_origins.as_deref())
            .map(|entry| {
                parse_allowed_origin(&entry).map_err(|m| invalid("OKTA_MCP_ALLOWED_ORIGINS", m))
            })
            .collect::<Result<_, _>>()?,
        allowed_hosts: comma_list(args.allowed_hosts.as_deref())
            .map(|entry| {
                parse_allowed_host(&entry).map_err(|m| invalid("OKTA_MCP_ALLOWED_HOSTS", m))
            })
            .collect::<Result<_, _>>()?,
        max_body_bytes: at_least(
            "OKTA_MCP_MAX_BODY_BYTES",
            args.max_body_bytes,
            1024,
            defaults.max_body_bytes,
        )?,
        request_timeout: duration(
            "OKTA_MCP_REQUEST_TIMEOUT",
            &args.request_timeout,
            defaults.request_timeout,
        )?,
        max_sessions: at_least(
            "OKTA_MCP_MAX_SESSIONS",
            args.max_sessions,
            1,
            defaults.max_sessions,
        )?,
        session_idle_timeout: duration(
            "OKTA_MCP_SESSION_IDLE_TIMEOUT",
            &args.session_idle_timeout,
            defaults.session_idle_timeout,
        )?,
        connection_idle_timeout: duration(
            "OKTA_MCP_CONNECTION_IDLE_TIMEOUT",
            &args.connection_idle_timeout,
            defaults.connection_idle_timeout,
        )?,
        max_concurrent_calls: at_least(
            "OKTA_MCP_MAX_CONCURRENT_CALLS",
            args.max_concurrent_calls,
            1,
            defaults.max_concurrent_calls,
        )?,
        shutdown_grace: duration(
            "OKTA_MCP_SHUTDOWN_GRACE",
            &args.shutdown_grace,
            defaults.shutdown_grace,
        )?,
    })
}

fn comma_list(raw: Option<&str>) -> impl Iterator<Item = String> + '_ {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing after. `null` (sandboxed
/// frames, `file:` pages) can never be allowed: any page can produce it.
fn parse_allowed_origin(entry: &str) -> Result<url::Origin, String> {
    if entry.eq_ignore_ascii_case("null") {
        return Err("\"null\" cannot be allowed: any sandboxed page or local file sends it".into());
    }
    let url = url::Url::parse(entry).map_err(|e| {
        format!("{entry:?} is not an origin ({e}); expected e.g. https://app.acme.com")
    })?;
    let origin = url.origin();
    if !origin.is_tuple()
        || url.path() != "/"
        || url.query().is_some()
        || !url.username().is_empty()
    {
        return Err(format!(
            "{entry:?} is not an origin; expected scheme://host[:port] only, e.g. https://app.acme.com"
        ));
    }
    Ok(origin)
}

/// `host` or `host:port`, lower-case; IPv6 in brackets.
fn parse_allowed_host(entry: &str) -> Result<String, String> {
    let entry = entry.to_ascii_lowercase();
    match axum::http::uri::Authority::try_from(entry.as_str()) {
        Ok(authority) if authority.as_str() == entry && !entry.contains('@') => Ok(entry),
        _ => Err(format!(
            "{entry:?} is not a host; expected a host name or host:port, e.g. mcp.acme.com or mcp.acme.com:8443"
        )),
    }
}

/// Where the audit journal goes: the path given, nowhere for `off`, else the default.
fn audit_log(raw: Option<&str>) -> AuditLog {
    match raw.map(str::trim) {
        Some("off") => AuditLog::Off,
        Some(path) if !path.is_empty() => AuditLog::File(PathBuf::from(path)),
        _ => crate::audit::default_path().map_or(AuditLog::NoDefaultLocation, AuditLog::File),
    }
}

/// `90`, `90s`, `5m`, `2h`, `7d`, `1w`: whole numbers with an optional unit (seconds by default).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let amount: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 90s, 5m, 2h or 7d, got {text:?}"))?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}; use s, m, h, d or w"
            ));
        }
    };
    amount
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

fn org_settings(args: &GlobalArgs) -> Result<OrgSettings, SettingsError> {
    let raw_url = args
        .org_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            invalid(
                "OKTA_ORG_URL",
                "not set; expected your org URL, e.g. https://acme.okta.com (or use --demo)",
            )
        })?;
    let org_url = parse_org_url(raw_url).map_err(|m| invalid("OKTA_ORG_URL", m))?;
    let client_id = args
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            invalid(
                "OKTA_CLIENT_ID",
                "not set; expected the client ID of the Okta app for this server",
            )
        })?
        .to_owned();
    let credentials = credentials(args)?;
    Ok(OrgSettings {
        org_url,
        client_id,
        credentials,
    })
}

fn credentials(args: &GlobalArgs) -> Result<Credentials, SettingsError> {
    let key = match (&args.private_key, &args.private_key_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "OKTA_PRIVATE_KEY",
                "set either OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, not both",
            ));
        }
        (Some(key), None) if !key.trim().is_empty() => Some(okta_auth::Secret::new(key.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                invalid(
                    "OKTA_PRIVATE_KEY_FILE",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Some(okta_auth::Secret::new(text))
        }
        _ => None,
    };
    let key_id = args
        .key_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (key, key_id) {
        (None, None) => Ok(Credentials::DeviceFlow),
        (Some(key), Some(kid)) => Ok(Credentials::PrivateKeyJwt {
            key,
            key_id: kid.to_owned(),
        }),
        (Some(_), None) => Err(invalid(
            "OKTA_KEY_ID",
            "not set; the private key flow needs the key ID (kid) registered in Okta",
        )),
        (None, Some(_)) => Err(invalid(
            "OKTA_PRIVATE_KEY",
            "not set, but OKTA_KEY_ID is; set OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, or unset OKTA_KEY_ID for the device flow",
        )),
    }
}

/// `https://` is required; plain `http://` only for loopback hosts (sandbox, tests). A bare
/// host gets `https://`, as the Python server did. Paths, queries and credentials are refused.
pub fn parse_org_url(raw: &str) -> Result<url::Url, String> {
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = url::Url::parse(&with_scheme)
        .map_err(|e| format!("not a valid URL ({e}); expected e.g. https://acme.okta.com"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let loopback = matches!(host.as_str(), "127.0.0.1" | "[::1]" | "::1" | "localhost");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "http:// is only allowed for loopback hosts; use https://{host}"
            ));
        }
        other => return Err(format!("unsupported scheme {other:?}; expected https://")),
    }
    if host.is_empty() {
        return Err("missing host; expected e.g. https://acme.okta.com".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("expected the org's origin only, without a path (e.g. https://acme.okta.com, not .../admin)".into());
    }
    Ok(url)
}

fn allowed_dirs(raw: Option<&str>) -> Vec<PathBuf> {
    let sep = if cfg!(windows) { ';' } else { ':' };
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(list) => list
            .split(sep)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => {
            let mut dirs = vec![std::env::temp_dir()];
            if cfg!(unix) {
                for d in ["/tmp", "/var/tmp"] {
                    let p = PathBuf::from(d);
                    if !dirs.contains(&p) {
                        dirs.push(p);
                    }
                }
            }
            dirs
        }
    }
}

/// Whole seconds, with or without an `s`: `30`, `30s`.
fn max_rate_limit_wait(raw: Option<&str>) -> Result<Duration, SettingsError> {
    let Some(text) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(DEFAULT_MAX_RATE_LIMIT_WAIT);
    };
    let digits = text.strip_suffix('s').unwrap_or(text).trim();
    match digits.parse::<u64>() {
        Ok(secs) if secs <= MAX_RATE_LIMIT_WAIT_CEILING => Ok(Duration::from_secs(secs)),
        _ => Err(invalid(
            "OKTA_MCP_MAX_RATE_LIMIT_WAIT",
            format!(
                "expected whole seconds from 0 to {MAX_RATE_LIMIT_WAIT_CEILING} (e.g. 30), got {text:?}"
            ),
        )),
    }
}

fn log_level(raw: Option<&str>) -> Result<tracing::Level, SettingsError> {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("info") => Ok(tracing::Level::INFO),
        Some("error") | Some("critical") => Ok(tracing::Level::ERROR),
        Some("warn") | Some("warning") => Ok(tracing::Level::WARN),
        Some("debug") => Ok(tracing::Level::DEBUG),
        Some("trace") => Ok(tracing::Level::TRACE),
        Some(other) => Err(invalid(
            "OKTA_LOG_LEVEL",
            format!("expected error, warn, info, debug or trace, got {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_url_rules() {
        assert_eq!(
            parse_org_url("https://acme.okta.com").unwrap().as_str(),
            "https://acme.okta.com/"
        );
        assert_eq!(
            parse_org_url("acme.okta.com").unwrap().as_str(),
            "https://acme.okta.com/"
        );
        assert!(parse_org_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_org_url("http://localhost:8080").is_ok());
        assert!(parse_org_url("http://[::1]:8080").is_ok());
        assert!(
            parse_org_url("http://acme.okta.com")
                .unwrap_err()
                .contains("loopback")
        );
        assert!(parse_org_url("https://acme.okta.com/admin").is_err());
        assert!(parse_org_url("ftp://acme.okta.com").is_err());
        assert!(parse_org_url("https://user:pw@acme.okta.com").is_err());
    }

    #[test]
    fn missing_values_name_the_variable() {
        let args = GlobalArgs::default();
        let err = Settings::from_args(&args).unwrap_err();
        assert_eq!(err.variable, "OKTA_ORG_URL");
        let args = GlobalArgs {
            org_url: Some("https://acme.okta.com".into()),
            ..Default::default()
        };
        assert_eq!(
            Settings::from_args(&args).unwrap_err().variable,
            "OKTA_CLIENT_ID"
        );
        let args = GlobalArgs {
            org_url: Some("https://acme.okta.com".into()),
            client_id: Some("0oa1".into()),
            key_id: Some("kid".into()),
            ..Default::default()
        };
        assert_eq!(
            Settings::from_args(&args).unwrap_err().variable,
            "OKTA_PRIVATE_KEY"
        );
    }

    #[test]
    fn audit_log_setting() {
        let with = |value: &str| {
            let args = GlobalArgs {
                demo: Some(true),
                audit_log: Some(value.into()),
                ..Default::default()
            };
            Settings::from_args(&args).unwrap().audit_log
        };
        assert_eq!(with("off"), AuditLog::Off);
        assert_eq!(
            with("/var/log/okta-mcp/audit.jsonl"),
            AuditLog::File("/var/log/okta-mcp/audit.jsonl".into())
        );
        let err = AuditLog::NoDefaultLocation.path().unwrap_err();
        assert_eq!(err.variable, "OKTA_MCP_AUDIT_LOG");
    }

    #[test]
    fn demo_needs_no_org() {
        let args = GlobalArgs {
            demo: Some(true),
            ..Default::default()
        };
        let s = Settings::from_args(&args).unwrap();
        assert!(s.demo && s.org.is_none());
        assert_eq!(s.max_result_bytes, DEFAULT_MAX_RESULT_BYTES);
        assert_eq!(s.max_rate_limit_wait, DEFAULT_MAX_RATE_LIMIT_WAIT);
        assert!(s.confirm_destructive);
    }

    #[test]
    fn rate_limit_wait_is_whole_seconds_within_bounds() {
        assert_eq!(max_rate_limit_wait(None).unwrap(), Duration::from_secs(30));
        assert_eq!(
            max_rate_limit_wait(Some("5")).unwrap(),
            Duration::from_secs(5)
        );
        assert_eq!(
            max_rate_limit_wait(Some(" 45s ")).unwrap(),
            Duration::from_secs(45)
        );
        assert_eq!(max_rate_limit_wait(Some("0")).unwrap(), Duration::ZERO);
        for bad in ["-1", "1.5", "601", "soon", "10m"] {
            let err = max_rate_limit_wait(Some(bad)).unwrap_err();
            assert_eq!(err.variable, "OKTA_MCP_MAX_RATE_LIMIT_WAIT", "{bad}");
        }
    }
}
