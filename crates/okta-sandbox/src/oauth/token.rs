//! POST /oauth2/v1/token (client_credentials, device_code, authorization_code,
//! refresh_token) and /oauth2/v1/revoke, with Okta's client authentication methods.

use super::clients::{ClientAuth, RefreshRotation};
use super::errors::OAuthError;
use super::jwt::now_secs;
use super::state::{Counters, DeviceStatus, Grant, RefreshRecord, RefreshState};
use super::{ClientRegistration, OAuthServer, assertion, dpop, keys};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::collections::HashMap;
use std::time::Instant;

pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// A poll this much earlier than the interval still counts as on time (client jitter).
const POLL_TOLERANCE_MS: u128 = 250;

pub(crate) type Form = HashMap<String, String>;

pub(crate) fn parse_form(body: &[u8]) -> Form {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(crate) async fn token_endpoint(
    State(server): State<OAuthServer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let grant_type = form.get("grant_type").map(String::as_str).unwrap_or("");
    let counters = &server.inner.counters;
    Counters::bump(match grant_type {
        "client_credentials" => &counters.client_credentials,
        "refresh_token" => &counters.refresh_token,
        "authorization_code" => &counters.authorization_code,
        DEVICE_GRANT => &counters.device_code,
        _ => &counters.other_grant,
    });
    if grant_type == "refresh_token" {
        let mut state = server.state();
        if state.failing_refreshes > 0 {
            state.failing_refreshes -= 1;
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({
                    "errorCode": "E0000009",
                    "errorSummary": "Service Unavailable",
                })),
            )
                .into_response();
        }
    }
    let endpoints = server.endpoint_urls(&headers, super::TOKEN_PATH);
    match server.token_request(&headers, &form, &endpoints) {
        Ok(body) => {
            Counters::bump(&server.inner.counters.tokens_issued);
            let mut response = (StatusCode::OK, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

pub(crate) async fn revoke_endpoint(
    State(server): State<OAuthServer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    Counters::bump(&server.inner.counters.revocations);
    let form = parse_form(&body);
    let endpoints = server.endpoint_urls(&headers, super::REVOKE_PATH);
    match server.revoke(&headers, &form, &endpoints) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => error.into_response(),
    }
}

impl OAuthServer {
    /// The URLs of endpoint `path` a client may name in `aud` or `htu`: under the issuer,
    /// and under the host the request was sent to (e.g. `localhost` for `127.0.0.1`).
    pub(crate) fn endpoint_urls(&self, headers: &HeaderMap, path: &str) -> Vec<String> {
        let mut urls = vec![format!("{}{path}", self.issuer())];
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()));
        if let (Some(host), Ok(issuer)) = (host, url::Url::parse(self.issuer())) {
            let addressed = format!("{}://{host}{path}", issuer.scheme());
            if !urls.contains(&addressed) {
                urls.push(addressed);
            }
        }
        urls
    }

    fn token_request(
        &self,
        headers: &HeaderMap,
        form: &Form,
        endpoints: &[String],
    ) -> Result<serde_json::Value, OAuthError> {
        let now = now_secs();
        self.state().purge(now);
        let grant_type = form.get("grant_type").ok_or_else(|| {
            OAuthError::invalid_request("The 'grant_type' parameter is required.")
        })?;
        let claimed = claimed_client(headers, form)?;
        let require_dpop = self
            .state()
            .clients
            .get(&claimed.client_id)
            .map(|c| c.require_dpop)
            .unwrap_or(false);
        let jkt = self.token_endpoint_dpop(headers, endpoints, require_dpop, now)?;
        let client = self.authenticate_client(&claimed, endpoints, now)?;
        match grant_type.as_str() {
            "client_credentials" => self.client_credentials(&client, form, jkt),
            DEVICE_GRANT => self.device_code_grant(&client, form, jkt, now),
            "authorization_code" => self.authorization_code_grant(&client, form, jkt, now),
            "refresh_token" => self.refresh_grant(&client, form, jkt, now),
            other => Err(OAuthError::unsupported_grant_type(other)),
        }
    }

    /// Checks the DPoP proof of a token request; returns the key thumbprint to bind to.
    fn token_endpoint_dpop(
        &self,
        headers: &HeaderMap,
        endpoints: &[String],
        require_dpop: bool,
        now: i64,
    ) -> Result<Option<String>, OAuthError> {
        let Some(proof) = headers.get("dpop") else {
            if require_dpop {
                return Err(OAuthError::invalid_dpop_proof(
                    "The DPoP proof JWT header is missing.",
                ));
            }
            return Ok(None);
        };
        let proof = proof
            .to_str()
            .map_err(|_| OAuthError::invalid_dpop_proof("The DPoP proof is not valid text."))?;
        let verified = dpop::verify_proof(proof, "POST", endpoints, None, now)
            .map_err(OAuthError::invalid_dpop_proof)?;
        let mut state = self.state();
        let (current, previous) = &state.dpop_nonces;
        if !verified
            .nonce
            .as_ref()
            .is_some_and(|n| n == current || n == previous)
        {
            return Err(OAuthError::use_dpop_nonce(current.clone()));
        }
        if state.used_dpop_jtis.insert(verified.jti, now).is_some() {
            return Err(OAuthError::invalid_dpop_proof(
                "The DPoP proof 'jti' was already used.",
            ));
        }
        Ok(Some(verified.jkt))
    }

    /// Authenticates the client by its registered method: a private_key_jwt assertion, its
    /// client secret (basic or post), or a bare client_id for a public client.
    fn authenticate_client(
        &self,
        claimed: &ClaimedClient,
        audiences: &[String],
        now: i64,
    ) -> Result<ClientRegistration, OAuthError> {
        let client_id = &claimed.client_id;
        let client = self
            .state()
            .clients
            .get(client_id)
            .cloned()
            .ok_or_else(|| {
                OAuthError::invalid_client(format!(
                    "Client authentication failed: no client with id '{client_id}' is registered in this org."
                ))
            })?;
        match (&client.auth, &claimed.credential) {
            (_, Credential::Assertion(assertion)) => {
                if claimed.assertion_type.as_deref() != Some(ASSERTION_TYPE) {
                    return Err(OAuthError::invalid_client(format!(
                        "The 'client_assertion_type' must be '{ASSERTION_TYPE}'."
                    )));
                }
                let verified = assertion::verify(assertion, &client, audiences, now)
                    .map_err(OAuthError::invalid_client)?;
                let mut state = self.state();
                let key = format!("{}:{}", client.client_id, verified.jti);
                if state.used_assertion_jtis.contains_key(&key) {
                    return Err(OAuthError::invalid_client(
                        "The client_assertion 'jti' was already used; every assertion needs a new jti.",
                    ));
                }
                state.used_assertion_jtis.insert(key, verified.exp);
            }
            (ClientAuth::ClientSecret { secret_sha256 }, Credential::Secret(secret)) => {
                if &keys::sha256_b64(secret) != secret_sha256 {
                    return Err(OAuthError::invalid_client(
                        "The client secret supplied for a confidential client is invalid.",
                    ));
                }
            }
            (ClientAuth::ClientSecret { .. }, Credential::None) => {
                return Err(OAuthError::invalid_client(format!(
                    "Client '{client_id}' must authenticate with its client secret (client_secret_basic or client_secret_post)."
                )));
            }
            (ClientAuth::PrivateKeyJwt(_), Credential::Secret(_)) => {
                return Err(OAuthError::invalid_client(format!(
                    "Client '{client_id}' must authenticate with private_key_jwt (a client_assertion), not a client secret."
                )));
            }
            (ClientAuth::PrivateKeyJwt(_), Credential::None) => {
                return Err(OAuthError::invalid_client(format!(
                    "Client '{client_id}' must authenticate with private_key_jwt (a client_assertion)."
                )));
            }
            (ClientAuth::Public, Credential::Secret(_)) => {
                return Err(OAuthError::invalid_client(format!(
                    "Client '{client_id}' is a public client and has no client secret."
                )));
            }
            (ClientAuth::Public, Credential::None) => {}
        }
        Ok(client)
    }

    fn client_credentials(
        &self,
        client: &ClientRegistration,
        form: &Form,
        jkt: Option<String>,
    ) -> Result<serde_json::Value, OAuthError> {
        if client.is_public() {
            return Err(OAuthError::unauthorized_client(format!(
                "The client_credentials grant needs a confidential client; '{}' is public.",
                client.client_id
            )));
        }
        let scopes = requested_scopes(form);
        if scopes.is_empty() {
            return Err(OAuthError::invalid_scope(
                "The 'scope' parameter is required for the client_credentials grant.",
            ));
        }
        check_granted(client, &scopes)?;
        let grant = Grant {
            client_id: client.client_id.clone(),
            subject: client.client_id.clone(),
            scopes,
            jkt,
            user: false,
            user_id: None,
            sign_in: None,
            auth_time: None,
        };
        Ok(self.issue(&grant, false, None))
    }

    fn device_code_grant(
        &self,
        client: &ClientRegistration,
        form: &Form,
        jkt: Option<String>,
        now: i64,
    ) -> Result<serde_json::Value, OAuthError> {
        let code = form.get("device_code").ok_or_else(|| {
            OAuthError::invalid_request("The 'device_code' parameter is required.")
        })?;
        let mut state = self.state();
        let forced_slow_down = state.forced_slow_downs > 0;
        let device = state
            .devices
            .get_mut(&keys::sha256_b64(code))
            .filter(|d| d.client_id == client.client_id)
            .ok_or_else(|| {
                OAuthError::invalid_grant("The device code is invalid or has expired.")
            })?;
        if device.expires_at <= now {
            return Err(OAuthError::expired_token());
        }
        match device.status.clone() {
            DeviceStatus::Pending => {
                let early = device.last_poll.is_some_and(|last| {
                    last.elapsed().as_millis() + POLL_TOLERANCE_MS
                        < u128::from(device.interval) * 1000
                });
                device.last_poll = Some(Instant::now());
                if early || forced_slow_down {
                    device.interval += 5;
                    if forced_slow_down {
                        state.forced_slow_downs -= 1;
                    }
                    Err(OAuthError::slow_down())
                } else {
                    Err(OAuthError::authorization_pending())
                }
            }
            DeviceStatus::Denied => {
                device.status = DeviceStatus::Consumed;
                Err(OAuthError::access_denied())
            }
            DeviceStatus::Consumed => Err(OAuthError::invalid_grant(
                "The device code has already been used.",
            )),
            DeviceStatus::Approved { subject, at } => {
                device.status = DeviceStatus::Consumed;
                let scopes = device.scopes.clone();
                drop(state);
                let person = self.find_user(&subject);
                let grant = Grant {
                    client_id: client.client_id.clone(),
                    subject: person.as_ref().map_or(subject, |p| p.login.clone()),
                    scopes,
                    jkt,
                    user: true,
                    user_id: person.map(|p| p.id),
                    sign_in: Some(uuid::Uuid::new_v4().simple().to_string()),
                    auth_time: Some(at),
                };
                let refresh = grant.scopes.iter().any(|s| s == "offline_access");
                Ok(self.issue(&grant, refresh, None))
            }
        }
    }

    /// Exchanges an authorization code: single use, bound to the client, the redirect URI
    /// and the PKCE challenge. A second exchange revokes everything the first one issued.
    fn authorization_code_grant(
        &self,
        client: &ClientRegistration,
        form: &Form,
        jkt: Option<String>,
        now: i64,
    ) -> Result<serde_json::Value, OAuthError> {
        if !client.allows_grant("authorization_code") {
            return Err(OAuthError::unauthorized_client(format!(
                "The client '{}' is not authorized to use the authorization_code grant.",
                client.client_id
            )));
        }
        let code = form
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("The 'code' parameter is required."))?;
        let redirect_uri = form.get("redirect_uri").ok_or_else(|| {
            OAuthError::invalid_request("The 'redirect_uri' parameter is required.")
        })?;
        let invalid =
            || OAuthError::invalid_grant("The authorization code is invalid or has expired.");
        let mut state = self.state();
        let hash = keys::sha256_b64(code);
        let record = state.codes.get_mut(&hash).ok_or_else(invalid)?;
        if record.grant.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "The grant was issued to another client. Ensure that the `client_id` matches the one used at the authorize request.",
            ));
        }
        if record.redeemed {
            // RFC 6749 §4.1.2: a replayed code revokes the tokens it was exchanged for.
            if let Some(sign_in) = record.grant.sign_in.clone() {
                state.revoke_sign_in(&sign_in);
            }
            return Err(invalid());
        }
        if record.expires_at <= now {
            return Err(invalid());
        }
        if &record.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
            ));
        }
        match (&record.code_challenge, form.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                if !super::authorize::is_pkce_value(verifier) || &pkce_s256(verifier) != challenge {
                    return Err(OAuthError::invalid_grant("PKCE verification failed."));
                }
            }
            (Some(_), None) => {
                return Err(OAuthError::invalid_grant(
                    "PKCE verification failed: the 'code_verifier' parameter is required.",
                ));
            }
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "The 'code_verifier' parameter was sent, but the authorization request had no 'code_challenge'.",
                ));
            }
            (None, None) => {}
        }
        record.redeemed = true;
        let mut grant = record.grant.clone();
        let nonce = record.nonce.clone();
        drop(state);
        grant.jkt = jkt;
        Counters::bump(&self.inner.counters.authorization_codes_redeemed);
        let refresh = grant.scopes.iter().any(|s| s == "offline_access")
            && client.allows_grant("refresh_token");
        Ok(self.issue(&grant, refresh, nonce.as_deref()))
    }

    fn refresh_grant(
        &self,
        client: &ClientRegistration,
        form: &Form,
        jkt: Option<String>,
        now: i64,
    ) -> Result<serde_json::Value, OAuthError> {
        let token = form.get("refresh_token").ok_or_else(|| {
            OAuthError::invalid_request("The 'refresh_token' parameter is required.")
        })?;
        let mut state = self.state();
        let hash = keys::sha256_b64(token);
        let record = state
            .refresh
            .get_mut(&hash)
            .filter(|r| r.grant.client_id == client.client_id)
            .ok_or_else(|| OAuthError::invalid_grant("The refresh token is invalid or expired."))?;
        let leeway = match client.refresh_rotation {
            RefreshRotation::Rotate { leeway } => leeway.as_secs() as i64,
            RefreshRotation::Static => 0,
        };
        let mut superseded = None;
        match record.state {
            RefreshState::Active => {}
            RefreshState::Rotated { at } if now - at < leeway => {
                // Inside the leeway: the client may not have received the new token. It is
                // replaced by the one issued now, so only one refresh token stays valid.
                superseded = record.successor.take();
            }
            RefreshState::Rotated { .. } => {
                Counters::bump(&self.inner.counters.refresh_token_reuse);
                // Okta's reuse detection: every token of this sign-in stops working.
                let event = super::AuthEvent {
                    event_type: "app.oauth2.token.detect_reuse",
                    display: "Detect refresh token reuse",
                    success: false,
                    reason: Some("Refresh token reuse detected".into()),
                    user_id: record.grant.user_id.clone(),
                    username: record.grant.subject.clone(),
                    client_id: client.client_id.clone(),
                    request_path: super::TOKEN_PATH,
                };
                if let Some(sign_in) = record.grant.sign_in.clone() {
                    state.revoke_sign_in(&sign_in);
                }
                drop(state);
                self.record_event(event);
                return Err(OAuthError::invalid_grant(
                    "The refresh token was already used: refresh tokens rotate on every use.",
                ));
            }
            RefreshState::Revoked => {
                return Err(OAuthError::invalid_grant(
                    "The refresh token has been revoked.",
                ));
            }
        }
        if record.expires_at <= now {
            return Err(OAuthError::invalid_grant(
                "The refresh token is invalid or expired.",
            ));
        }
        if record.grant.jkt.is_some() && record.grant.jkt != jkt {
            return Err(OAuthError::invalid_dpop_proof(
                "The refresh token is bound to a DPoP key; send a proof signed with that key.",
            ));
        }
        let mut grant = record.grant.clone();
        let requested = requested_scopes(form);
        if !requested.is_empty() {
            let wider: Vec<&str> = requested
                .iter()
                .filter(|s| !grant.scopes.contains(s))
                .map(String::as_str)
                .collect();
            if !wider.is_empty() {
                return Err(OAuthError::invalid_scope(format!(
                    "A refresh cannot add scopes that were not granted originally: {}.",
                    wider.join(" ")
                )));
            }
            grant.scopes = requested;
        }
        check_granted(client, &grant.scopes)?;
        let rotate = matches!(client.refresh_rotation, RefreshRotation::Rotate { .. });
        // The leeway runs from the first exchange; a retry inside it does not extend it.
        if rotate && record.state == RefreshState::Active {
            record.state = RefreshState::Rotated { at: now };
        }
        if let Some(old) = superseded
            && let Some(successor) = state.refresh.get_mut(&old)
        {
            successor.state = RefreshState::Revoked;
        }
        for key in [Some(grant.subject.clone()), grant.user_id.clone()]
            .into_iter()
            .flatten()
        {
            *state.refresh_grants.entry(key).or_default() += 1;
        }
        if jkt.is_some() {
            grant.jkt = jkt;
        }
        drop(state);
        let body = self.issue(&grant, rotate, None);
        if rotate
            && let Some(new) = body["refresh_token"].as_str()
            && let Some(record) = self.state().refresh.get_mut(&hash)
        {
            record.successor = Some(keys::sha256_b64(new));
        }
        Ok(body)
    }

    /// Mints the access token (a new refresh token, and for a person granted `openid` an ID
    /// token) and renders the token response.
    fn issue(&self, grant: &Grant, with_refresh: bool, nonce: Option<&str>) -> serde_json::Value {
        let ttl = self.ttl_for(&grant.client_id);
        let (access_token, expires_in) = self.mint(grant, ttl);
        let id_token = (grant.user && grant.scopes.iter().any(|s| s == "openid"))
            .then(|| self.mint_id_token(grant, nonce, &access_token));
        let mut body = serde_json::json!({
            "token_type": if grant.jkt.is_some() { "DPoP" } else { "Bearer" },
            "expires_in": expires_in,
            "access_token": access_token,
            "scope": grant.scopes.join(" "),
        });
        if with_refresh {
            let refresh = keys::random_token(32);
            let mut state = self.state();
            let expires_at = now_secs() + state.refresh_token_ttl.as_secs() as i64;
            state.refresh.insert(
                keys::sha256_b64(&refresh),
                RefreshRecord {
                    grant: grant.clone(),
                    state: RefreshState::Active,
                    expires_at,
                    successor: None,
                },
            );
            body["refresh_token"] = serde_json::Value::String(refresh);
        }
        if let Some(id_token) = id_token {
            body["id_token"] = serde_json::Value::String(id_token);
        }
        body
    }

    /// RFC 7009: always 200 for unknown tokens; tokens of another client are left alone.
    fn revoke(
        &self,
        headers: &HeaderMap,
        form: &Form,
        endpoints: &[String],
    ) -> Result<(), OAuthError> {
        let now = now_secs();
        let claimed = claimed_client(headers, form)?;
        let client = self.authenticate_client(&claimed, endpoints, now)?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("The 'token' parameter is required."))?;
        let hash = keys::sha256_b64(token);
        {
            let mut state = self.state();
            if let Some(record) = state.refresh.get_mut(&hash) {
                if record.grant.client_id == client.client_id {
                    record.state = RefreshState::Revoked;
                    // Revoking a refresh token also revokes the access tokens issued with it.
                    if let Some(sign_in) = record.grant.sign_in.clone() {
                        state.revoke_sign_in(&sign_in);
                    }
                }
                return Ok(());
            }
            if let Some(opaque) = state.opaque.get(&hash) {
                if opaque.grant.client_id == client.client_id {
                    state.opaque.remove(&hash);
                }
                return Ok(());
            }
        }
        if let Ok(grant) = self.resolve_access_token(token, now, false)
            && grant.client_id == client.client_id
            && let Some(jti) = super::jwt::segment(token, 1)
                .and_then(|c| super::jwt::str_claim(&c, "jti").map(str::to_string))
        {
            self.state().revoked_access_jtis.insert(jti);
        }
        Ok(())
    }
}

/// The credential a token or revocation request carries.
enum Credential {
    Assertion(String),
    Secret(String),
    None,
}

/// Who a request claims to be and how it proves it.
struct ClaimedClient {
    client_id: String,
    credential: Credential,
    assertion_type: Option<String>,
}

/// Reads the client's claim from `Authorization: Basic` (client_secret_basic), the
/// `client_secret` form field (client_secret_post), or a `client_assertion`
/// (private_key_jwt); more than one is Okta's `invalid_request`.
fn claimed_client(headers: &HeaderMap, form: &Form) -> Result<ClaimedClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let assertion = form.get("client_assertion");
    let posted_secret = form.get("client_secret");
    let supplied = [
        basic.is_some(),
        assertion.is_some(),
        posted_secret.is_some(),
    ]
    .iter()
    .filter(|s| **s)
    .count();
    if supplied > 1 {
        return Err(OAuthError::invalid_request(
            "Can't supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a `client_assertion` in the post body.",
        ));
    }
    let form_id = form.get("client_id");
    let (client_id, credential) = if let Some((id, secret)) = basic {
        if form_id.is_some_and(|f| f != &id) {
            return Err(OAuthError::invalid_client(
                "The 'client_id' parameter does not match the client id in the Authorization header.",
            ));
        }
        (id, Credential::Secret(secret))
    } else if let Some(assertion) = assertion {
        let iss = assertion::claimed_client(assertion).ok_or_else(|| {
            OAuthError::invalid_client(
                "The client_assertion is not a well-formed JWT with an 'iss'.",
            )
        })?;
        if form_id.is_some_and(|f| f != &iss) {
            return Err(OAuthError::invalid_client(
                "The 'client_id' parameter does not match the client_assertion 'iss'.",
            ));
        }
        (iss, Credential::Assertion(assertion.clone()))
    } else {
        let id = form_id.cloned().ok_or_else(|| {
            OAuthError::invalid_client(
                "Client authentication failed: no client_id or client_assertion was sent.",
            )
        })?;
        match posted_secret {
            Some(secret) => (id, Credential::Secret(secret.clone())),
            None => (id, Credential::None),
        }
    };
    Ok(ClaimedClient {
        client_id,
        credential,
        assertion_type: form.get("client_assertion_type").cloned(),
    })
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("Basic") {
        return Ok(None);
    }
    let malformed = || {
        OAuthError::invalid_client("The Authorization header's Basic credentials are malformed.")
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// `BASE64URL(SHA256(verifier))`, the S256 code challenge (RFC 7636 §4.2).
pub(crate) fn pkce_s256(verifier: &str) -> String {
    keys::sha256_b64(verifier)
}

pub(crate) fn requested_scopes(form: &Form) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in form
        .get("scope")
        .map(String::as_str)
        .unwrap_or("")
        .split_whitespace()
    {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    scopes
}

pub(crate) fn check_granted(
    client: &ClientRegistration,
    scopes: &[String],
) -> Result<(), OAuthError> {
    let missing = client.ungranted(scopes);
    if missing.is_empty() {
        return Ok(());
    }
    Err(OAuthError::invalid_scope(format!(
        "The following scopes are not granted to client '{}': {}. Grant them to the app in the Okta Admin Console (Okta API Scopes), or remove them from OKTA_SCOPES.",
        client.client_id,
        missing.join(" ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded_after_base64() {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
        let parsed = basic_credentials(&basic("0oa%3Aweb:s%2Bcr%25t")).unwrap();
        assert_eq!(parsed, Some(("0oa:web".into(), "s+cr%t".into())));
        assert_eq!(basic_credentials(&HeaderMap::new()).unwrap(), None);
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&bearer).unwrap(), None);
        let mut garbage = HeaderMap::new();
        garbage.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(
            basic_credentials(&garbage).unwrap_err().error,
            "invalid_client"
        );
        assert_eq!(
            basic_credentials(&basic("no-colon")).unwrap_err().error,
            "invalid_client"
        );
    }

    #[test]
    fn credentials_in_two_places_are_refused_and_never_echoed() {
        let mut form = Form::new();
        form.insert("client_secret".into(), "top-secret-value".into());
        let Err(error) = claimed_client(&basic("0oaweb:other-secret"), &form) else {
            panic!("two credentials accepted");
        };
        assert_eq!(error.error, "invalid_request");
        assert!(!error.description.contains("secret-value"));
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(super::super::authorize::is_pkce_value(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!super::super::authorize::is_pkce_value("too-short"));
        assert!(!super::super::authorize::is_pkce_value(&"a+".repeat(30)));
    }
}
