//! Merges flags and environment (already joined by clap) into one checked `Settings` value.
//! A bad value is reported with the variable's name and what is expected.

use crate::cli::{ConfirmArg, GlobalArgs, TokenStoreArg};
use std::path::PathBuf;

/// Default cap on one tool result, in bytes (what an LLM context can reasonably take).
pub const DEFAULT_MAX_RESULT_BYTES: usize = 200_000;

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
    pub allowed_dirs: Vec<PathBuf>,
    pub log_level: tracing::Level,
    pub log_file: Option<PathBuf>,
    /// OKTA_MCP_PUBLIC_URL: the origin clients reach the HTTP server at.
    pub public_url: Option<url::Url>,
    /// OKTA_CLIENT_SECRET: the team server's web app credential (else the private key).
    pub client_secret: Option<okta_auth::Secret>,
    /// OKTA_MCP_STATE_PATH, or the default under the user data directory.
    pub state_path: PathBuf,
    /// OKTA_MCP_STATE_KEY (+ _PREVIOUS); required in team mode.
    pub state_keys: Option<crate::team::seal::StateKeys>,
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
                crate::tools::parse_toolsets(list).map_err(|m| invalid("OKTA_MCP_TOOLSETS", m))?,
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
            allowed_dirs: allowed_dirs(args.allowed_dirs.as_deref()),
            log_level: log_level(args.log_level.as_deref())?,
            log_file: args.log_file.clone(),
            public_url: match args.public_url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => {
                    Some(parse_public_url(raw).map_err(|m| invalid("OKTA_MCP_PUBLIC_URL", m))?)
                }
            },
            client_secret: args
                .client_secret
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| okta_auth::Secret::new(s.trim())),
            state_path: args
                .state_path
                .clone()
                .unwrap_or_else(crate::team::store::default_path),
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

/// The team server's public origin: `https://`, or `http://` on a loopback host; no path.
pub fn parse_public_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| {
        format!("not a valid URL ({e}); expected e.g. https://okta-mcp.example.com")
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("missing host; expected e.g. https://okta-mcp.example.com".into()),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "http:// is only allowed for loopback hosts; terminate TLS at a reverse proxy and give its https:// URL".into(),
            );
        }
        other => return Err(format!("unsupported scheme {other:?}; expected https://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(
            "expected an origin without a path (e.g. https://okta-mcp.example.com); the MCP endpoint is /mcp under it".into(),
        );
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
    fn demo_needs_no_org() {
        let args = GlobalArgs {
            demo: Some(true),
            ..Default::default()
        };
        let s = Settings::from_args(&args).unwrap();
        assert!(s.demo && s.org.is_none());
        assert_eq!(s.max_result_bytes, DEFAULT_MAX_RESULT_BYTES);
        assert!(s.confirm_destructive);
    }
}
