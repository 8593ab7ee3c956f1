//! The floor: the same HTTP requests a tool makes, sent straight to the sandbox over one reused
//! connection with a bearer token, so the server's own overhead can be told apart from the API's.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Assertion lifetime: well under Okta's five-minute guidance.
const ASSERTION_TTL_SECS: u64 = 120;

/// A direct API client holding an access token obtained with a private_key_jwt assertion.
#[derive(Clone)]
pub struct Floor {
    http: reqwest::blocking::Client,
    base: String,
    /// `Bearer <token>`; kept out of Debug and never printed.
    authorization: String,
}

impl Floor {
    pub fn connect(
        org_url: &str,
        client_id: &str,
        key_id: &str,
        private_key_pem: &[u8],
        scopes: &str,
    ) -> anyhow::Result<Floor> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .context("building the HTTP client")?;
        let base = org_url.trim_end_matches('/').to_owned();
        let token_url = format!("{base}/oauth2/v1/token");
        let assertion = sign_assertion(&token_url, client_id, key_id, private_key_pem)?;
        let response = http
            .post(&token_url)
            .header("accept", "application/json")
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scopes),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ])
            .send()
            .context("requesting a token from the sandbox")?;
        let status = response.status();
        let body: Value = response.json().context("token response is not JSON")?;
        let Some(token) = body["access_token"].as_str() else {
            // The error body carries no secret: error and error_description only.
            bail!(
                "token request failed ({status}): {} {}",
                body["error"],
                body["error_description"]
            );
        };
        Ok(Floor {
            authorization: format!("Bearer {token}"),
            http,
            base,
        })
    }

    /// The org's base URL and the `Bearer` header value, for a client of the harness's own
    /// that sends the same requests (the HTTP rows' async floor). Never print the header.
    pub fn base_and_authorization(&self) -> (&str, &str) {
        (&self.base, &self.authorization)
    }

    /// GET of a path (with query) or of an absolute URL; returns the body and when it was read.
    pub fn get(&self, path_or_url: &str) -> anyhow::Result<(Instant, Vec<u8>, Option<String>)> {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        let response = self
            .http
            .get(&url)
            .header("accept", "application/json")
            .header("authorization", &self.authorization)
            .send()
            .with_context(|| format!("GET {url}"))?;
        let status = response.status();
        let next = response
            .headers()
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_link);
        let body = response.bytes().with_context(|| format!("GET {url}"))?;
        let at = Instant::now();
        if !status.is_success() {
            bail!(
                "GET {url}: {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        Ok((at, body.to_vec(), next))
    }

    /// Every page of a log query, following `Link: rel="next"`.
    pub fn sweep(&self, first: &str) -> anyhow::Result<Sweep> {
        let mut sweep = Sweep::default();
        let mut next = Some(first.to_owned());
        while let Some(url) = next.take() {
            let sent = Instant::now();
            let (at, body, link) = self.get(&url)?;
            sweep.http_time += at - sent;
            let page: Value = serde_json::from_slice(&body).context("log page is not JSON")?;
            let count = page.as_array().map_or(0, Vec::len);
            sweep.pages += 1;
            sweep.events += count;
            sweep.bytes += body.len();
            // Okta sends a next link on every log page; an empty page ends a bounded query.
            if count > 0 {
                next = link;
            }
        }
        Ok(sweep)
    }
}

/// What a page sweep saw. `http_time` sums request-to-body times only: the harness's own
/// parsing of the pages is left out so the floor stays a floor.
#[derive(Debug, Default)]
pub struct Sweep {
    pub pages: usize,
    pub events: usize,
    pub bytes: usize,
    pub http_time: Duration,
}

impl std::fmt::Debug for Floor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Floor")
            .field("base", &self.base)
            .field("authorization", &"****")
            .finish()
    }
}

/// RFC 7523 client assertion: RS256, iss = sub = client id, aud = token endpoint, fresh jti.
fn sign_assertion(
    audience: &str,
    client_id: &str,
    key_id: &str,
    private_key_pem: &[u8],
) -> anyhow::Result<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("clock before 1970")?
        .as_secs();
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_TTL_SECS,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key_id.to_owned());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem)
        .map_err(|e| anyhow::anyhow!("the sandbox's private key is not an RSA PEM: {e}"))?;
    jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|e| anyhow::anyhow!("signing the client assertion: {e}"))
}

/// The target of `rel="next"` in one Link header value, if any.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_picks_rel_next_among_several() {
        let header = r#"<http://127.0.0.1:1/api/v1/logs?limit=2>; rel="self", <http://127.0.0.1:1/api/v1/logs?after=abc&limit=2>; rel="next""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("http://127.0.0.1:1/api/v1/logs?after=abc&limit=2")
        );
        assert_eq!(next_link(r#"<http://x/a>; rel="self""#), None);
        assert_eq!(next_link("garbage"), None);
    }
}
