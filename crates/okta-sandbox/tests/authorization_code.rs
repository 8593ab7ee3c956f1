//! Authorization code + PKCE at the sandbox org, end to end over loopback HTTP: the
//! sign-in page driven by a scripted form post, exact redirect URI matching, PKCE and code
//! binding, code replay, refresh token rotation and reuse detection, and the tokens acting
//! as the person (userinfo, admin roles, System Log actor).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_sandbox::oauth::{
    AUTHORIZE_PATH, DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_JWT_CLIENT_ID, HELP_DESK_ADMIN_LOGIN,
    OIDC_METADATA_PATH, READ_ONLY_ADMIN_LOGIN, REQUEST_ID_HEADER, RefreshRotation,
    SANDBOX_PASSWORD, SIGN_IN_APPROVE_PATH, SIGN_IN_PATH, SUPER_ADMIN_LOGIN, TOKEN_PATH,
    USERINFO_PATH,
};
use okta_sandbox::{Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;
use std::time::Duration;

const REDIRECT: &str = "http://127.0.0.1:8765/oauth/callback";
/// Authorize parameters to replace (Some) or drop (None).
type Overrides<'a> = &'a [(&'a str, Option<&'a str>)];
const SCOPES: &str = "openid profile email offline_access okta.users.manage okta.groups.manage okta.apps.manage okta.logs.read okta.roles.read";

struct Org {
    sandbox: Sandbox,
    http: reqwest::Client,
}

async fn start() -> Org {
    let sandbox = Sandbox::start(SandboxConfig {
        users: 40,
        groups: 6,
        apps: 4,
        log_events: 20,
        redirect_uris: vec![REDIRECT.to_string()],
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Org { sandbox, http }
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    let id = uuid::Uuid::new_v4();
    bytes[..16].copy_from_slice(id.as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

impl Org {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url())
    }

    /// An authorize URL with every usual parameter; `overrides` replace or (value None) drop one.
    fn authorize_url(
        &self,
        client_id: &str,
        challenge: &str,
        overrides: &[(&str, Option<&str>)],
    ) -> String {
        let mut params: Vec<(&str, String)> = vec![
            ("client_id", client_id.to_string()),
            ("response_type", "code".into()),
            ("redirect_uri", REDIRECT.into()),
            ("scope", SCOPES.into()),
            ("state", "state-123".into()),
            ("nonce", "nonce-456".into()),
            ("code_challenge", challenge.to_string()),
            ("code_challenge_method", "S256".into()),
        ];
        for (name, value) in overrides {
            params.retain(|(n, _)| n != name);
            if let Some(value) = value {
                params.push((name, value.to_string()));
            }
        }
        let mut url = url::Url::parse(&self.url(AUTHORIZE_PATH)).unwrap();
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(n, v)| (*n, v.as_str())));
        url.to_string()
    }

    /// Opens the sign-in page and posts the form; answers the form post's response.
    async fn sign_in(
        &self,
        authorize_url: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self.http.get(authorize_url).send().await.unwrap();
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "sign-in page for {authorize_url}"
        );
        let request_id = page.headers()[REQUEST_ID_HEADER]
            .to_str()
            .unwrap()
            .to_string();
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("value=\"{request_id}\"")), "{html}");
        assert!(
            html.contains(&format!("action=\"{SIGN_IN_PATH}\"")),
            "{html}"
        );
        self.http
            .post(self.url(SIGN_IN_PATH))
            .form(&[
                ("request_id", request_id.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Signs `login` in with a fresh PKCE pair and returns (code, verifier).
    async fn code_for(&self, client_id: &str, login: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let response = self
            .sign_in(
                &self.authorize_url(client_id, &challenge, &[]),
                login,
                SANDBOX_PASSWORD,
            )
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = redirect_query(&response);
        assert_eq!(query["state"], "state-123");
        (query["code"].as_str().unwrap().to_string(), verifier)
    }

    /// POST /oauth2/v1/token with client_secret_basic for the web client.
    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let web = self.sandbox.web_client();
        let response = self
            .http
            .post(self.url(TOKEN_PATH))
            .basic_auth(&web.client_id, web.client_secret.as_deref())
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn redeem(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// Signs `login` in and returns the token response.
    async fn tokens_for(&self, login: &str) -> Value {
        let (code, verifier) = self.code_for(DEFAULT_WEB_CLIENT_ID, login).await;
        let (status, body) = self.redeem(&code, &verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The status of a one-user list with `token`.
    async fn list_status(&self, token: &str) -> StatusCode {
        self.api(reqwest::Method::GET, "/api/v1/users?limit=1", token, None)
            .await
            .0
    }

    /// The status of a revocation request by the web client authenticated with `secret`.
    async fn revoke(&self, secret: Option<&str>, form: &[(&str, &str)]) -> StatusCode {
        let web = self.sandbox.web_client();
        self.http
            .post(self.url("/oauth2/v1/revoke"))
            .basic_auth(&web.client_id, secret)
            .form(form)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The query of a 302's `Location`, as JSON.
fn redirect_query(response: &reqwest::Response) -> Value {
    let location = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", response.status()))
        .to_str()
        .unwrap();
    query_of(location)
}

fn query_of(location: &str) -> Value {
    let url = url::Url::parse(location).unwrap();
    assert_eq!(
        format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        ) + url.path(),
        REDIRECT,
        "redirected to the registered URI"
    );
    Value::Object(
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), json!(v.into_owned())))
            .collect(),
    )
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn user_by_login(org: &Org, login: &str) -> Value {
    org.sandbox
        .org()
        .users()
        .into_iter()
        .find(|u| u["profile"]["login"] == login)
        .unwrap_or_else(|| panic!("{login} is seeded"))
}

#[tokio::test]
async fn the_whole_flow_signs_a_person_in_with_tokens_that_act_as_them() {
    let org = start().await;
    let metadata: Value = org
        .http
        .get(org.url(OIDC_METADATA_PATH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["authorization_endpoint"], org.url(AUTHORIZE_PATH));
    assert_eq!(metadata["userinfo_endpoint"], org.url(USERINFO_PATH));
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    for grant in ["authorization_code", "refresh_token"] {
        assert!(
            metadata["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(grant))
        );
    }
    for method in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ] {
        assert!(
            metadata["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(method))
        );
    }

    let admin = user_by_login(&org, SUPER_ADMIN_LOGIN);
    let (verifier, challenge) = pkce();
    let response = org
        .sign_in(
            &org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, &[]),
            SUPER_ADMIN_LOGIN,
            SANDBOX_PASSWORD,
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let session_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let query = redirect_query(&response);
    assert_eq!(query["state"], "state-123");
    let code = query["code"].as_str().unwrap();
    assert_eq!(org.sandbox.oauth().counters().authorization_codes_issued, 1);

    let (status, tokens) = org.redeem(code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], SCOPES);
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access grants a refresh token"
    );
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        access["sub"], SUPER_ADMIN_LOGIN,
        "org AS access tokens carry the login"
    );
    assert_eq!(access["uid"], admin["id"]);
    assert_eq!(access["cid"], DEFAULT_WEB_CLIENT_ID);
    assert_eq!(access["iss"], org.sandbox.url());
    assert_eq!(access["aud"], org.sandbox.url());
    let id_token = tokens["id_token"].as_str().unwrap();
    let id = claims(id_token);
    assert_eq!(id["sub"], admin["id"], "ID tokens carry the user id");
    assert_eq!(id["aud"], DEFAULT_WEB_CLIENT_ID);
    assert_eq!(id["iss"], org.sandbox.url());
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!(id["preferred_username"], SUPER_ADMIN_LOGIN);
    assert_eq!(id["email"], SUPER_ADMIN_LOGIN);
    assert_eq!(id["name"], "Sandbox Admin");
    let at_hash = URL_SAFE_NO_PAD
        .encode(&sha2::Sha256::digest(tokens["access_token"].as_str().unwrap().as_bytes())[..16]);
    assert_eq!(id["at_hash"], at_hash);
    // The ID token verifies against the published keys.
    let keys: Value = org
        .http
        .get(org.url("/oauth2/v1/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &keys["keys"][0];
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[DEFAULT_WEB_CLIENT_ID]);
    validation.set_issuer(&[org.sandbox.url()]);
    jsonwebtoken::decode::<Value>(id_token, &decoding, &validation).expect("ID token signature");
    let counters = org.sandbox.oauth().counters();
    assert_eq!(
        (
            counters.authorization_code,
            counters.authorization_codes_redeemed
        ),
        (1, 1)
    );

    let access_token = tokens["access_token"].as_str().unwrap();
    let info: Value = org
        .http
        .get(org.url(USERINFO_PATH))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], admin["id"]);
    assert_eq!(info["email"], SUPER_ADMIN_LOGIN);
    assert_eq!(info["preferred_username"], SUPER_ADMIN_LOGIN);
    let bad = org
        .http
        .get(org.url(USERINFO_PATH))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(
        bad.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    // The token acts as the person: a write is attributed to them in the System Log.
    let (status, group) = org
        .api(
            reqwest::Method::POST,
            "/api/v1/groups",
            access_token,
            Some(json!({"profile": {"name": "Made by a person"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{group}");
    let event = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .rev()
        .find(|e| e["eventType"] == "group.lifecycle.create")
        .expect("group creation is logged");
    assert_eq!(event["actor"]["type"], "User");
    assert_eq!(event["actor"]["id"], admin["id"]);
    assert_eq!(event["actor"]["alternateId"], SUPER_ADMIN_LOGIN);
    assert_eq!(event["actor"]["displayName"], "Sandbox Admin");
    assert_eq!(event["client"]["id"], DEFAULT_WEB_CLIENT_ID);
    let session = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .find(|e| {
            e["eventType"] == "user.session.start" && e["client"]["id"] == DEFAULT_WEB_CLIENT_ID
        })
        .expect("the sign-in is logged");
    assert_eq!(session["outcome"]["result"], "SUCCESS");
    assert_eq!(session["actor"]["id"], admin["id"]);

    // The browser session: a second authorize comes straight back with a code...
    let (_, challenge) = pkce();
    let again = org
        .http
        .get(org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, &[]))
        .header("cookie", &session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FOUND);
    assert!(redirect_query(&again)["code"].is_string());
    // ...unless prompt=login asks for the page again.
    let forced = org
        .http
        .get(org.authorize_url(
            DEFAULT_WEB_CLIENT_ID,
            &challenge,
            &[("prompt", Some("login"))],
        ))
        .header("cookie", &session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), StatusCode::OK);
    // Once the session is cleared at the org, the cookie signs nobody in any more.
    let admin_id = admin["id"].as_str().unwrap();
    org.sandbox.oauth().end_user_sessions(admin_id, false);
    let ended = org
        .http
        .get(org.authorize_url(
            DEFAULT_WEB_CLIENT_ID,
            &challenge,
            &[("prompt", Some("none"))],
        ))
        .header("cookie", &session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(redirect_query(&ended)["error"], "login_required");
    // prompt=none without a session redirects with login_required.
    let none = org
        .http
        .get(org.authorize_url(
            DEFAULT_WEB_CLIENT_ID,
            &challenge,
            &[("prompt", Some("none"))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::FOUND);
    let query = redirect_query(&none);
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        (Some("login_required"), Some("state-123"))
    );
}

#[tokio::test]
async fn redirect_uris_match_exactly_and_client_errors_stay_on_a_page() {
    let org = start().await;
    let (_, challenge) = pkce();
    let page_error = |response: &reqwest::Response| {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            response.headers().get("location").is_none(),
            "never redirected"
        );
    };
    let unknown = org
        .http
        .get(org.authorize_url("0oanobody", &challenge, &[]))
        .send()
        .await
        .unwrap();
    page_error(&unknown);
    assert!(unknown.text().await.unwrap().contains("client_id"));
    for near_miss in [
        "http://127.0.0.1:8765/oauth/callback/",
        "http://127.0.0.1:8766/oauth/callback",
        "http://localhost:8765/oauth/callback",
        "http://127.0.0.1:8765/OAuth/callback",
        "https://127.0.0.1:8765/oauth/callback",
        "http://127.0.0.1:8765/oauth/callback?x=1",
    ] {
        let response = org
            .http
            .get(org.authorize_url(
                DEFAULT_WEB_CLIENT_ID,
                &challenge,
                &[("redirect_uri", Some(near_miss))],
            ))
            .send()
            .await
            .unwrap();
        page_error(&response);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("must be a Login redirect URI in the client app settings"),
            "{near_miss}"
        );
    }
    let missing = org
        .http
        .get(org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, &[("redirect_uri", None)]))
        .send()
        .await
        .unwrap();
    page_error(&missing);

    // The knob registers another URI, which then matches (exactly).
    let other = "http://127.0.0.1:9999/cb";
    assert!(
        org.sandbox
            .oauth()
            .add_redirect_uri(DEFAULT_WEB_CLIENT_ID, other)
    );
    assert!(!org.sandbox.oauth().add_redirect_uri("0oanobody", other));
    let response = org
        .http
        .get(org.authorize_url(
            DEFAULT_WEB_CLIENT_ID,
            &challenge,
            &[("redirect_uri", Some(other))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Everything else goes back to the client with error, error_description and state.
    let cases: &[(Overrides, &str, &str)] = &[
        (
            &[("response_type", Some("token"))],
            "unsupported_response_type",
            "response type",
        ),
        (
            &[("code_challenge_method", Some("plain"))],
            "invalid_request",
            "S256",
        ),
        (
            &[("code_challenge_method", None)],
            "invalid_request",
            "S256",
        ),
        (
            &[("code_challenge", None), ("code_challenge_method", None)],
            "invalid_request",
            "PKCE code challenge is required by the application.",
        ),
        (
            &[("code_challenge", Some("short"))],
            "invalid_request",
            "43 to 128",
        ),
        (
            &[("scope", Some("openid okta.nothing.read"))],
            "invalid_scope",
            "okta.nothing.read",
        ),
        (
            &[("scope", None)],
            "invalid_scope",
            "'scope' must be provided",
        ),
        (
            &[("prompt", Some("select_account"))],
            "invalid_request",
            "prompt",
        ),
    ];
    for (overrides, error, says) in cases {
        let response = org
            .http
            .get(org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, overrides))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{overrides:?}");
        let query = redirect_query(&response);
        assert_eq!(query["error"], *error, "{overrides:?}: {query}");
        assert!(
            query["error_description"].as_str().unwrap().contains(says),
            "{overrides:?}: {query}"
        );
        assert_eq!(query["state"], "state-123");
        assert!(query.get("code").is_none());
    }
    let stateless = org
        .http
        .get(org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, &[("state", None)]))
        .send()
        .await
        .unwrap();
    let query = redirect_query(&stateless);
    assert_eq!(query["error"], "invalid_request");
    assert!(
        query["error_description"]
            .as_str()
            .unwrap()
            .contains("'state'")
    );

    // A client that does not require PKCE may leave it out (Okta's web-app default).
    assert!(
        org.sandbox
            .oauth()
            .set_pkce_required(DEFAULT_WEB_CLIENT_ID, false)
    );
    let response = org
        .http
        .get(org.authorize_url(
            DEFAULT_WEB_CLIENT_ID,
            &challenge,
            &[("code_challenge", None), ("code_challenge_method", None)],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(org.sandbox.oauth().counters().authorization_codes_issued, 0);
}

#[tokio::test]
async fn sign_in_refuses_unknown_inactive_and_wrong_password_and_issues_no_code() {
    let org = start().await;
    let users = org.sandbox.org().users();
    let deprovisioned = users
        .iter()
        .find(|u| u["status"] == "DEPROVISIONED")
        .expect("seeded");
    let suspended = users
        .iter()
        .find(|u| u["status"] == "SUSPENDED")
        .expect("seeded");
    let (_, challenge) = pkce();
    let url = org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, &[]);
    let cases = [
        (
            "nobody@example.com",
            SANDBOX_PASSWORD,
            "no user with that username".to_string(),
        ),
        (
            SUPER_ADMIN_LOGIN,
            "wrong-password",
            "password is wrong".to_string(),
        ),
        (
            deprovisioned["profile"]["login"].as_str().unwrap(),
            SANDBOX_PASSWORD,
            "DEPROVISIONED".to_string(),
        ),
        (
            suspended["profile"]["login"].as_str().unwrap(),
            SANDBOX_PASSWORD,
            "SUSPENDED".to_string(),
        ),
    ];
    for (username, password, says) in &cases {
        let response = org.sign_in(&url, username, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{username}");
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Unable to sign in") && html.contains(says.as_str()),
            "{username}: {html}"
        );
        assert!(
            !html.contains(password) || *password == SANDBOX_PASSWORD && !html.contains("Passw0rd"),
            "the page never echoes a password"
        );
    }
    let counters = org.sandbox.oauth().counters();
    assert_eq!(
        (
            counters.authorization_codes_issued,
            counters.sign_in_failures
        ),
        (0, 4)
    );
    // Each attempt is in the System Log as Okta records it: user.session.start, FAILURE.
    let attempts: Vec<Value> = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .filter(|e| {
            e["eventType"] == "user.session.start" && e["client"]["id"] == DEFAULT_WEB_CLIENT_ID
        })
        .collect();
    let reasons: Vec<(&str, &str, &str)> = attempts
        .iter()
        .map(|e| {
            (
                e["actor"]["alternateId"].as_str().unwrap(),
                e["outcome"]["result"].as_str().unwrap(),
                e["outcome"]["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("nobody@example.com", "FAILURE", "VERIFICATION_ERROR"),
            (SUPER_ADMIN_LOGIN, "FAILURE", "INVALID_CREDENTIALS"),
            (
                deprovisioned["profile"]["login"].as_str().unwrap(),
                "FAILURE",
                "USER_NOT_ACTIVE"
            ),
            (
                suspended["profile"]["login"].as_str().unwrap(),
                "FAILURE",
                "USER_NOT_ACTIVE"
            ),
        ]
    );
    assert!(
        attempts
            .iter()
            .all(|e| e["target"][0]["id"] == DEFAULT_WEB_CLIENT_ID)
    );
    assert!(
        !attempts
            .iter()
            .any(|e| e.to_string().contains("wrong-password")),
        "no password in the System Log"
    );

    // The same page retried with the right password signs in (the request survives a typo).
    let page = org.http.get(&url).send().await.unwrap();
    let request_id = page.headers()[REQUEST_ID_HEADER]
        .to_str()
        .unwrap()
        .to_string();
    let typo = org
        .http
        .post(org.url(SIGN_IN_PATH))
        .form(&[
            ("request_id", request_id.as_str()),
            ("username", SUPER_ADMIN_LOGIN),
            ("password", "typo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(typo.status(), StatusCode::UNAUTHORIZED);
    let retried = org
        .http
        .post(org.url(SIGN_IN_PATH))
        .form(&[
            ("request_id", request_id.as_str()),
            ("username", SUPER_ADMIN_LOGIN),
            ("password", SANDBOX_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::FOUND);
    // A used or unknown request id is an error page.
    let used = org
        .http
        .post(org.url(SIGN_IN_PATH))
        .form(&[
            ("request_id", request_id.as_str()),
            ("username", SUPER_ADMIN_LOGIN),
            ("password", SANDBOX_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::BAD_REQUEST);

    // The loopback approve endpoint does the same in one JSON call.
    let approve = |username: &'static str, password: &'static str| {
        let url = url.clone();
        let http = org.http.clone();
        let endpoint = org.url(SIGN_IN_APPROVE_PATH);
        async move {
            let response = http
                .post(endpoint)
                .json(&json!({"authorize_url": url, "username": username, "password": password}))
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = approve(HELP_DESK_ADMIN_LOGIN, SANDBOX_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let query = query_of(body["redirect_to"].as_str().unwrap());
    assert!(query["code"].is_string() && query["state"] == "state-123");
    let (status, body) = approve(HELP_DESK_ADMIN_LOGIN, "wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("access_denied"))
    );
}

#[tokio::test]
async fn the_approve_knob_signs_in_without_http() {
    let org = start().await;
    let (verifier, challenge) = pkce();
    let url = org.authorize_url(DEFAULT_WEB_CLIENT_ID, &challenge, &[]);
    let oauth = org.sandbox.oauth();
    let redirect = oauth
        .approve_sign_in(&url, READ_ONLY_ADMIN_LOGIN, SANDBOX_PASSWORD)
        .expect("signed in");
    let query = query_of(&redirect);
    let (status, tokens) = org.redeem(query["code"].as_str().unwrap(), &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(
        claims(tokens["access_token"].as_str().unwrap())["sub"],
        READ_ONLY_ADMIN_LOGIN
    );
    let refused = oauth
        .approve_sign_in(&url, READ_ONLY_ADMIN_LOGIN, "wrong")
        .unwrap_err();
    assert_eq!(
        (refused.status, refused.error),
        (StatusCode::UNAUTHORIZED, "access_denied")
    );
    let refused = oauth
        .approve_sign_in(
            "http://127.0.0.1:1/elsewhere",
            READ_ONLY_ADMIN_LOGIN,
            SANDBOX_PASSWORD,
        )
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    // An error Okta redirects comes back as the redirect the browser would follow.
    let bad_scope = org.authorize_url(
        DEFAULT_WEB_CLIENT_ID,
        &challenge,
        &[("scope", Some("okta.nope.read"))],
    );
    let redirect = oauth
        .approve_sign_in(&bad_scope, READ_ONLY_ADMIN_LOGIN, SANDBOX_PASSWORD)
        .expect("a redirect");
    assert_eq!(query_of(&redirect)["error"], "invalid_scope");
}

#[tokio::test]
async fn codes_are_bound_to_client_redirect_uri_and_pkce_verifier() {
    let org = start().await;
    let (code, verifier) = org.code_for(DEFAULT_WEB_CLIENT_ID, SUPER_ADMIN_LOGIN).await;
    let (_, other_verifier) = pkce();
    let attempt = |form: Vec<(&'static str, String)>| {
        let org = &org;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            org.token(&form).await
        }
    };
    let base = |verifier: &str, redirect: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.clone()),
            ("redirect_uri", redirect.to_string()),
            ("code_verifier", verifier.to_string()),
        ]
    };
    let (status, body) = attempt(base(&other_verifier, REDIRECT)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(body["error_description"], "PKCE verification failed.");
    let mut no_verifier = base(&verifier, REDIRECT);
    no_verifier.retain(|(k, _)| *k != "code_verifier");
    let (_, body) = attempt(no_verifier).await;
    assert_eq!(body["error"], "invalid_grant");
    let (_, body) = attempt(base(&verifier, "http://127.0.0.1:8765/oauth/callback/")).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );

    // Client authentication: a wrong secret, two credentials at once, another client.
    let web = org.sandbox.web_client();
    let wrong = org
        .http
        .post(org.url(TOKEN_PATH))
        .basic_auth(&web.client_id, Some("not-the-secret"))
        .form(&base(&verifier, REDIRECT))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let mut both = base(&verifier, REDIRECT);
    both.push(("client_secret", web.client_secret.clone().unwrap()));
    let (status, body) = attempt(both).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    assert!(
        !body
            .to_string()
            .contains(web.client_secret.as_deref().unwrap()),
        "no secret in errors"
    );
    let public = org
        .http
        .post(org.url(TOKEN_PATH))
        .form(&base(&verifier, REDIRECT))
        .send()
        .await
        .unwrap();
    assert_eq!(
        public.status(),
        StatusCode::UNAUTHORIZED,
        "no credentials at all"
    );

    // client_secret_post with every binding right redeems it, once.
    let mut post = base(&verifier, REDIRECT);
    post.push(("client_id", web.client_id.clone()));
    post.push(("client_secret", web.client_secret.clone().unwrap()));
    let response = org
        .http
        .post(org.url(TOKEN_PATH))
        .form(&post)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");

    // Codes live 300 seconds by default (Okta's spec); shortened, an old one is refused.
    org.sandbox
        .oauth()
        .set_authorization_code_ttl(Duration::from_secs(1));
    let (late, verifier) = org.code_for(DEFAULT_WEB_CLIENT_ID, SUPER_ADMIN_LOGIN).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = org.redeem(&late, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        body["error_description"],
        "The authorization code is invalid or has expired."
    );
}

#[tokio::test]
async fn the_private_key_jwt_web_client_redeems_with_an_assertion_and_not_with_another_clients_code()
 {
    let org = start().await;
    let jwt_client = org.sandbox.web_jwt_client();
    let (code, verifier) = org
        .code_for(DEFAULT_WEB_JWT_CLIENT_ID, READ_ONLY_ADMIN_LOGIN)
        .await;
    // The secret client cannot redeem the other client's code.
    let (status, body) = org.redeem(&code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("another client")
    );

    let assertion = |jti: &str| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = jwt_client.key_id.clone();
        let key = jsonwebtoken::EncodingKey::from_ec_pem(
            jwt_client.private_key_pem.as_deref().unwrap().as_bytes(),
        )
        .unwrap();
        jsonwebtoken::encode(
            &header,
            &json!({"iss": DEFAULT_WEB_JWT_CLIENT_ID, "sub": DEFAULT_WEB_JWT_CLIENT_ID, "aud": org.url(TOKEN_PATH), "iat": now, "exp": now + 300, "jti": jti}),
            &key,
        )
        .unwrap()
    };
    let signed = assertion("jti-1");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", signed.as_str()),
    ];
    let response = org
        .http
        .post(org.url(TOKEN_PATH))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(
        claims(tokens["access_token"].as_str().unwrap())["sub"],
        READ_ONLY_ADMIN_LOGIN
    );
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["aud"],
        DEFAULT_WEB_JWT_CLIENT_ID
    );
    // A client secret is not this client's method.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = org
        .http
        .post(org.url(TOKEN_PATH))
        .basic_auth(DEFAULT_WEB_JWT_CLIENT_ID, Some("guess"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let signed = assertion("jti-2");
    let response = org
        .http
        .post(org.url(TOKEN_PATH))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", signed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_the_tokens_it_issued() {
    let org = start().await;
    let (code, verifier) = org.code_for(DEFAULT_WEB_CLIENT_ID, SUPER_ADMIN_LOGIN).await;
    let (status, tokens) = org.redeem(&code, &verifier).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    let (status, _) = org
        .api(reqwest::Method::GET, "/api/v1/users?limit=1", access, None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = org.redeem(&code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert!(
        !body.to_string().contains(&code),
        "the code never appears in an error"
    );
    assert_eq!(
        org.sandbox.oauth().counters().authorization_codes_redeemed,
        1
    );
    let (status, body) = org
        .api(reqwest::Method::GET, "/api/v1/users?limit=1", access, None)
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("E0000011"))
    );
    let (status, body) = org
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_after_the_leeway_revokes_the_sign_in() {
    let org = start().await;
    let rotate = |leeway: u64| {
        org.sandbox.oauth().set_refresh_rotation(
            DEFAULT_WEB_CLIENT_ID,
            RefreshRotation::Rotate {
                leeway: Duration::from_secs(leeway),
            },
        )
    };
    assert!(rotate(60));
    let tokens = org.tokens_for(HELP_DESK_ADMIN_LOGIN).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let refresh = |token: String| {
        let org = &org;
        async move {
            org.token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
            ])
            .await
        }
    };
    let (status, second) = refresh(first.clone()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first, "a new refresh token on every use");
    assert!(second["id_token"].is_string());
    let helpdesk = user_by_login(&org, HELP_DESK_ADMIN_LOGIN);
    assert_eq!(
        org.sandbox
            .oauth()
            .refresh_grants_for(HELP_DESK_ADMIN_LOGIN),
        1
    );
    assert_eq!(
        org.sandbox
            .oauth()
            .refresh_grants_for(helpdesk["id"].as_str().unwrap()),
        1
    );
    assert_eq!(org.sandbox.oauth().refresh_grants_for(SUPER_ADMIN_LOGIN), 0);

    // Inside the leeway the previous token still works (a lost response can be retried)...
    let (status, retried) = refresh(first.clone()).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    let latest = retried["refresh_token"].as_str().unwrap().to_string();
    // ...and the token it replaced stops working, so only one stays valid.
    let (_, body) = refresh(second_refresh.clone()).await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(org.sandbox.oauth().counters().refresh_token_reuse, 0);

    // After the leeway, presenting the old token is reuse: everything of this sign-in dies.
    // (A zero leeway puts "now" past it without sleeping, so load cannot make this flaky.)
    assert!(rotate(0));
    let (status, body) = refresh(first.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(org.sandbox.oauth().counters().refresh_token_reuse, 1);
    let detected = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .rev()
        .find(|e| e["eventType"] == "app.oauth2.token.detect_reuse")
        .expect("Okta logs the detected reuse");
    assert_eq!(detected["actor"]["alternateId"], HELP_DESK_ADMIN_LOGIN);
    assert_eq!(detected["outcome"]["result"], "FAILURE");
    let (_, body) = refresh(latest).await;
    assert_eq!(
        body["error"], "invalid_grant",
        "the newest refresh token is revoked too"
    );
    for access in [&tokens, &second, &retried] {
        let status = org
            .list_status(access["access_token"].as_str().unwrap())
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        org.sandbox
            .oauth()
            .refresh_grants_for(HELP_DESK_ADMIN_LOGIN),
        2
    );

    // Another person's sign-in is untouched.
    let other = org.tokens_for(SUPER_ADMIN_LOGIN).await;
    let (status, _) = org
        .api(
            reqwest::Method::GET,
            "/api/v1/users?limit=1",
            other["access_token"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A STATIC client keeps its refresh token: no new one, and it works again and again.
    org.sandbox
        .oauth()
        .set_refresh_rotation(DEFAULT_WEB_CLIENT_ID, RefreshRotation::Static);
    let tokens = org.tokens_for(READ_ONLY_ADMIN_LOGIN).await;
    let kept = tokens["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (status, body) = refresh(kept.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_the_sign_in() {
    let org = start().await;
    let tokens = org.tokens_for(SUPER_ADMIN_LOGIN).await;
    let web = org.sandbox.web_client();
    let secret = web.client_secret.as_deref();
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    // Used once first, so the sandbox has verified (and remembered) the access token.
    assert_eq!(org.list_status(access).await, StatusCode::OK);
    let before = org.sandbox.oauth().counters().revocations;
    let revoked = org
        .revoke(
            secret,
            &[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(revoked, StatusCode::OK);
    assert_eq!(org.sandbox.oauth().counters().revocations, before + 1);
    assert_eq!(org.list_status(access).await, StatusCode::UNAUTHORIZED);
    let (_, body) = org
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_eq!(body["error"], "invalid_grant");
    // An access token revoked on its own, after a use, stops working too.
    let tokens = org.tokens_for(SUPER_ADMIN_LOGIN).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(org.list_status(access).await, StatusCode::OK);
    let revoked = org
        .revoke(
            secret,
            &[("token", access), ("token_type_hint", "access_token")],
        )
        .await;
    assert_eq!(revoked, StatusCode::OK);
    assert_eq!(org.list_status(access).await, StatusCode::UNAUTHORIZED);
    // Revoking needs the client's own authentication.
    let refused = org.revoke(Some("wrong"), &[("token", "anything")]).await;
    assert_eq!(refused, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_web_clients_secret_stays_out_of_debug_output() {
    let org = start().await;
    let web = org.sandbox.web_client();
    let secret = web.client_secret.clone().expect("a secret");
    assert!(secret.len() >= 32);
    assert!(!format!("{web:?}").contains(&secret));
    let jwt = org.sandbox.web_jwt_client();
    assert!(jwt.private_key_file.as_ref().is_some_and(|f| f.exists()));
    assert!(!format!("{jwt:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn clearing_a_persons_sessions_with_oauth_tokens_revokes_everything_they_hold() {
    let org = start().await;
    let reader = org.tokens_for(READ_ONLY_ADMIN_LOGIN).await;
    let reader_access = reader["access_token"].as_str().unwrap();
    let other = org.tokens_for(HELP_DESK_ADMIN_LOGIN).await;
    let helpdesk_access = other["access_token"].as_str().unwrap();
    let reader_id = user_by_login(&org, READ_ONLY_ADMIN_LOGIN)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = org
        .api(
            reqwest::Method::GET,
            "/api/v1/users?limit=1",
            reader_access,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Without oauthTokens only the browser session ends; tokens keep working.
    let path = format!("/api/v1/users/{reader_id}/sessions");
    let (status, _) = org
        .api(reqwest::Method::DELETE, &path, helpdesk_access, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = org
        .api(
            reqwest::Method::GET,
            "/api/v1/users?limit=1",
            reader_access,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // With oauthTokens=true (the help desk may clear sessions) every token of theirs dies.
    let (status, _) = org
        .api(
            reqwest::Method::DELETE,
            &format!("{path}?oauthTokens=true"),
            helpdesk_access,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = org
        .api(
            reqwest::Method::GET,
            "/api/v1/users?limit=1",
            reader_access,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, body) = org
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", reader["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(body["error"], "invalid_grant");
    // The help desk admin's own sign-in is untouched, and the clearing is in the log.
    let (status, _) = org
        .api(
            reqwest::Method::GET,
            "/api/v1/users?limit=1",
            helpdesk_access,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let cleared = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .rev()
        .find(|e| e["eventType"] == "user.session.clear")
        .expect("logged");
    assert_eq!(cleared["actor"]["alternateId"], HELP_DESK_ADMIN_LOGIN);
    assert_eq!(cleared["target"][0]["id"], json!(reader_id));
    // A new sign-in works again.
    let again = org.tokens_for(READ_ONLY_ADMIN_LOGIN).await;
    let (status, _) = org
        .api(
            reqwest::Method::GET,
            "/api/v1/users?limit=1",
            again["access_token"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
