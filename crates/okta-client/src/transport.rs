//! The HTTP transport: reqwest over rustls with the system trust store, env proxies,
//! timeouts, connection reuse, no redirects, and a cap on body size.

use crate::{ApiError, ClientConfig};

/// `okta-mcp-server/<version>`, as Okta's logs show it.
pub const USER_AGENT: &str = concat!("okta-mcp-server/", env!("CARGO_PKG_VERSION"));

/// Builds the shared HTTP client. Trust roots come from the OS store, or from
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` when set (TLS-inspecting proxies); `HTTPS_PROXY`,
/// `HTTP_PROXY` and `NO_PROXY` are read from the environment by reqwest.
pub(crate) fn build(config: &ClientConfig) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        // Keeps idle pooled connections alive through NAT and proxy idle timers.
        .tcp_keepalive(std::time::Duration::from_secs(60))
        // A redirect could carry the bearer token to another host; Okta's API never needs one.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::Network(format!("could not set up HTTPS: {}", describe(&e))))
}

/// Checks the org URL: `https://`, or `http://` on a loopback host (sandbox and tests).
pub(crate) fn check_org_url(url: &url::Url) -> Result<(), ApiError> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(ApiError::InvalidRequest(format!(
            "org URL {url} must start with https:// (plain http:// only for 127.0.0.1, ::1 or localhost)"
        ))),
    }
}

/// Reads a response body, refusing to hold more than `max` bytes.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, BodyError> {
    if let Some(len) = response.content_length()
        && len > max as u64
    {
        return Err(BodyError::TooLarge(max));
    }
    // Sized once from Content-Length: a 2 MB page is not copied through a dozen regrowths.
    let expected = response.content_length().unwrap_or(0).min(max as u64) as usize;
    let mut body = Vec::with_capacity(expected);
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) enum BodyError {
    TooLarge(usize),
    Transport(reqwest::Error),
}

/// Whether a transport error is worth retrying for an idempotent request.
pub(crate) fn is_transient(err: &reqwest::Error) -> bool {
    err.is_timeout() || err.is_connect() || err.is_request() || err.is_body()
}

/// A reqwest error with its causes, without the URL (the caller names method and path).
pub(crate) fn describe(err: &reqwest::Error) -> String {
    let mut text = match err.url() {
        Some(url) => err.to_string().replace(&format!(" for url ({url})"), ""),
        None => err.to_string(),
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_url_must_be_https_unless_loopback() {
        for ok in [
            "https://acme.okta.com",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(check_org_url(&url::Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://acme.okta.com",
            "http://10.0.0.1",
            "ftp://acme.okta.com",
        ] {
            assert!(
                check_org_url(&url::Url::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn user_agent_names_the_product() {
        assert!(USER_AGENT.starts_with("okta-mcp-server/"));
        assert!(USER_AGENT.len() > "okta-mcp-server/".len());
    }
}
