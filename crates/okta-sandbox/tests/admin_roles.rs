//! Okta's admin roles at the sandbox org, over loopback HTTP: each seeded admin signs in
//! (authorization code + PKCE, or the device flow) and the Management API allows or refuses
//! their writes per role; a refused write changes nothing, and allowed writes name the person
//! as the System Log actor. Service tokens are not role-checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_sandbox::oauth::{
    AUTHORIZE_PATH, DEFAULT_WEB_CLIENT_ID, HELP_DESK_ADMIN_LOGIN, READ_ONLY_ADMIN_LOGIN,
    SANDBOX_PASSWORD, SIGN_IN_APPROVE_PATH, SUPER_ADMIN_LOGIN, TOKEN_PATH,
};
use okta_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Digest;

const REDIRECT: &str = "http://127.0.0.1:8765/oauth/callback";
const SCOPES: &str = "openid profile email offline_access okta.users.manage okta.groups.manage okta.apps.manage okta.policies.manage okta.logs.read okta.roles.manage";

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
    Org {
        sandbox,
        http: reqwest::Client::new(),
    }
}

impl Org {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url())
    }

    /// Signs `login` in through the loopback approve endpoint and redeems the code.
    async fn token_for(&self, login: &str) -> String {
        let verifier = URL_SAFE_NO_PAD
            .encode(uuid::Uuid::new_v4().as_bytes())
            .repeat(2);
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let mut authorize = url::Url::parse(&self.url(AUTHORIZE_PATH)).unwrap();
        authorize.query_pairs_mut().extend_pairs([
            ("client_id", DEFAULT_WEB_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPES),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]);
        let approved: Value = self
            .http
            .post(self.url(SIGN_IN_APPROVE_PATH))
            .json(&json!({"authorize_url": authorize.as_str(), "username": login, "password": SANDBOX_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let redirect =
            url::Url::parse(approved["redirect_to"].as_str().expect("signed in")).unwrap();
        let code = redirect
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let web = self.sandbox.web_client();
        let tokens: Value = self
            .http
            .post(self.url(TOKEN_PATH))
            .basic_auth(&web.client_id, web.client_secret.as_deref())
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens["access_token"]
            .as_str()
            .expect("access token")
            .to_string()
    }

    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
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

    fn user_with(&self, status: &str) -> Value {
        self.sandbox
            .org()
            .users()
            .into_iter()
            .find(|u| {
                u["status"] == status
                    && !u["profile"]["login"]
                        .as_str()
                        .unwrap()
                        .starts_with("sandbox.")
            })
            .unwrap_or_else(|| panic!("a seeded {status} user"))
    }

    fn user(&self, login: &str) -> Value {
        self.sandbox
            .org()
            .users()
            .into_iter()
            .find(|u| u["profile"]["login"] == login)
            .unwrap()
    }
}

fn forbidden(outcome: &(StatusCode, Value)) {
    assert_eq!(outcome.0, StatusCode::FORBIDDEN, "{}", outcome.1);
    assert_eq!(outcome.1["errorCode"], "E0000006");
    assert_eq!(
        outcome.1["errorSummary"],
        "You do not have permission to perform the requested action"
    );
}

#[tokio::test]
async fn the_help_desk_admin_resets_and_unlocks_but_creates_deletes_and_deactivates_nothing() {
    let org = start().await;
    let token = org.token_for(HELP_DESK_ADMIN_LOGIN).await;
    let helpdesk = org.user(HELP_DESK_ADMIN_LOGIN);

    let (status, users) = org
        .call(&token, Method::GET, "/api/v1/users?limit=5", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let (status, _) = org.call(&token, Method::GET, "/api/v1/groups", None).await;
    assert_eq!(status, StatusCode::OK);
    forbidden(&org.call(&token, Method::GET, "/api/v1/apps", None).await);

    let active = org.user_with("ACTIVE");
    let active_id = active["id"].as_str().unwrap();
    let (status, body) = org
        .call(
            &token,
            Method::POST,
            &format!("/api/v1/users/{active_id}/lifecycle/reset_password?sendEmail=false"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["resetPasswordUrl"].is_string());
    let locked = org.user_with("LOCKED_OUT");
    let locked_id = locked["id"].as_str().unwrap();
    let (status, body) = org
        .call(
            &token,
            Method::POST,
            &format!("/api/v1/users/{locked_id}/lifecycle/unlock"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        org.sandbox.org().user(locked_id).unwrap()["status"],
        "ACTIVE"
    );
    let (status, body) = org
        .call(
            &token,
            Method::POST,
            &format!("/api/v1/users/{locked_id}/lifecycle/reset_factors"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The reset is the help desk admin's own act in the System Log.
    let event = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .rev()
        .find(|e| e["eventType"] == "user.account.reset_password")
        .expect("logged");
    assert_eq!(event["actor"]["type"], "User");
    assert_eq!(event["actor"]["id"], helpdesk["id"]);
    assert_eq!(event["actor"]["alternateId"], HELP_DESK_ADMIN_LOGIN);
    assert_eq!(event["actor"]["displayName"], "Helen Desk");
    assert_eq!(event["target"][0]["id"], active["id"]);

    // Forbidden writes are refused before anything changes.
    let before_users = org.sandbox.org().users();
    let before_groups = org.sandbox.org().groups();
    let before_apps = org.sandbox.org().apps();
    let before_events = org.sandbox.org().log_events().len();
    let other = org.user_with("ACTIVE");
    let other_id = other["id"].as_str().unwrap();
    let group_id = before_groups
        .iter()
        .find(|g| g["type"] == "OKTA_GROUP")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let app_id = before_apps[0]["id"].as_str().unwrap().to_string();
    let forbidden_writes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/v1/users?activate=false".into(),
            Some(
                json!({"profile": {"firstName": "No", "lastName": "Body", "email": "no.body@example.com", "login": "no.body@example.com"}}),
            ),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{other_id}/lifecycle/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/users/{other_id}/lifecycle/suspend"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/users/{other_id}"),
            Some(json!({"profile": {"title": "Changed"}})),
        ),
        (Method::DELETE, format!("/api/v1/users/{other_id}"), None),
        (
            Method::POST,
            "/api/v1/groups".into(),
            Some(json!({"profile": {"name": "Nope"}})),
        ),
        (Method::DELETE, format!("/api/v1/groups/{group_id}"), None),
        (
            Method::PUT,
            format!("/api/v1/groups/{group_id}/users/{other_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{app_id}/lifecycle/deactivate"),
            None,
        ),
        (Method::DELETE, format!("/api/v1/apps/{app_id}"), None),
        (
            Method::POST,
            format!("/api/v1/users/{other_id}/roles"),
            Some(json!({"type": "SUPER_ADMIN"})),
        ),
    ];
    for (method, path, body) in forbidden_writes {
        let outcome = org.call(&token, method.clone(), &path, body).await;
        assert_eq!(
            outcome.0,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            outcome.1
        );
        forbidden(&outcome);
    }
    assert_eq!(org.sandbox.org().users(), before_users, "no user changed");
    assert_eq!(
        org.sandbox.org().groups(),
        before_groups,
        "no group changed"
    );
    assert_eq!(org.sandbox.org().apps(), before_apps, "no app changed");
    assert_eq!(
        org.sandbox.org().log_events().len(),
        before_events,
        "nothing was logged"
    );
    assert!(
        org.sandbox
            .org()
            .group_members(&group_id)
            .iter()
            .all(|m| m["id"] != other["id"])
            || before_groups.is_empty()
    );
}

#[tokio::test]
async fn the_read_only_admin_reads_everything_and_writes_nothing() {
    let org = start().await;
    let token = org.token_for(READ_ONLY_ADMIN_LOGIN).await;
    for path in [
        "/api/v1/users?limit=2",
        "/api/v1/groups",
        "/api/v1/apps",
        "/api/v1/policies?type=OKTA_SIGN_ON",
        "/api/v1/logs?limit=2",
    ] {
        let (status, body) = org.call(&token, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let active = org.user_with("ACTIVE");
    let before = org.sandbox.org().users();
    forbidden(
        &org.call(
            &token,
            Method::POST,
            &format!(
                "/api/v1/users/{}/lifecycle/reset_password?sendEmail=false",
                active["id"].as_str().unwrap()
            ),
            None,
        )
        .await,
    );
    forbidden(
        &org.call(
            &token,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Nope"}})),
        )
        .await,
    );
    assert_eq!(org.sandbox.org().users(), before);
    // Who is an admin is the super admin's to see.
    let helpdesk = org.user(HELP_DESK_ADMIN_LOGIN);
    forbidden(
        &org.call(
            &token,
            Method::GET,
            &format!("/api/v1/users/{}/roles", helpdesk["id"].as_str().unwrap()),
            None,
        )
        .await,
    );
}

#[tokio::test]
async fn the_super_admin_does_everything_and_manages_roles() {
    let org = start().await;
    let token = org.token_for(SUPER_ADMIN_LOGIN).await;
    let (status, group) = org
        .call(
            &token,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Super's group"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{group}");
    let (status, _) = org
        .call(
            &token,
            Method::DELETE,
            &format!("/api/v1/groups/{}", group["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let helpdesk = org.user(HELP_DESK_ADMIN_LOGIN);
    let helpdesk_id = helpdesk["id"].as_str().unwrap();
    let (status, roles) = org
        .call(
            &token,
            Method::GET,
            &format!("/api/v1/users/{helpdesk_id}/roles"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{roles}");
    assert_eq!(roles.as_array().unwrap().len(), 1);
    assert_eq!(roles[0]["type"], "HELP_DESK_ADMIN");
    assert_eq!(roles[0]["label"], "Help Desk Administrator");
    assert_eq!(roles[0]["status"], "ACTIVE");
    assert_eq!(roles[0]["assignmentType"], "USER");

    // Granting a person a role changes what they may do at once.
    let person = org.user_with("ACTIVE");
    let person_login = person["profile"]["login"].as_str().unwrap().to_string();
    let person_token = org.token_for(&person_login).await;
    forbidden(
        &org.call(&person_token, Method::GET, "/api/v1/users?limit=1", None)
            .await,
    );
    let (status, assigned) = org
        .call(
            &token,
            Method::POST,
            &format!("/api/v1/users/{}/roles", person["id"].as_str().unwrap()),
            Some(json!({"type": "READ_ONLY_ADMIN"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{assigned}");
    let (status, _) = org
        .call(&person_token, Method::GET, "/api/v1/users?limit=1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, duplicate) = org
        .call(
            &token,
            Method::POST,
            &format!("/api/v1/users/{}/roles", person["id"].as_str().unwrap()),
            Some(json!({"type": "READ_ONLY_ADMIN"})),
        )
        .await;
    assert_eq!(
        (status, duplicate["errorCode"].as_str()),
        (StatusCode::CONFLICT, Some("E0000090"))
    );
    let (status, _) = org
        .call(
            &token,
            Method::DELETE,
            &format!(
                "/api/v1/users/{}/roles/{}",
                person["id"].as_str().unwrap(),
                assigned["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    forbidden(
        &org.call(&person_token, Method::GET, "/api/v1/users?limit=1", None)
            .await,
    );
}

#[tokio::test]
async fn device_flow_people_are_role_checked_and_service_tokens_are_not() {
    let org = start().await;
    let device = org.sandbox.device_client();
    let started: Value = org
        .http
        .post(org.url("/oauth2/v1/device/authorize"))
        .form(&[
            ("client_id", device.client_id.as_str()),
            ("scope", "openid okta.groups.manage"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(org.sandbox.oauth().approve_device(
        started["user_code"].as_str().unwrap(),
        true,
        Some(READ_ONLY_ADMIN_LOGIN)
    ));
    let tokens: Value = org
        .http
        .post(org.url(TOKEN_PATH))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", device.client_id.as_str()),
            ("device_code", started["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().expect("device token");
    let (status, _) = org.call(token, Method::GET, "/api/v1/groups", None).await;
    assert_eq!(status, StatusCode::OK);
    forbidden(
        &org.call(
            token,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Nope"}})),
        )
        .await,
    );

    // A service app's token keeps today's behaviour: its scopes decide, and it is the actor.
    let service = org.sandbox.oauth().mint_access_token(
        &org.sandbox.service_client().client_id,
        &["okta.groups.manage"],
    );
    let (status, group) = org
        .call(
            &service,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "By the service"}})),
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
        .unwrap();
    assert_eq!(event["actor"]["type"], "PublicClientApp");
    assert_eq!(event["actor"]["id"], org.sandbox.service_client().client_id);
}
