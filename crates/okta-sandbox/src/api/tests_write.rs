//! Write-side API tests over loopback HTTP with a fake bearer check.

use super::testing::TestOrg;
use crate::SandboxConfig;
use reqwest::Method;
use serde_json::{Value, json};

async fn org() -> TestOrg {
    TestOrg::start(SandboxConfig {
        users: 40,
        log_events: 50,
        ..SandboxConfig::default()
    })
    .await
}

async fn call(org: &TestOrg, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let response = org.send(method, path, body).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn new_user(login: &str) -> Value {
    json!({"profile": {"firstName": "Isaac", "lastName": "Brock", "email": login, "login": login}})
}

fn with_password(login: &str) -> Value {
    let mut user = new_user(login);
    user["credentials"] = json!({"password": {"value": "tlpWENT2m"}});
    user
}

#[tokio::test]
async fn create_user_statuses_follow_activate_and_credentials() {
    let org = org().await;
    let (s, staged) = call(
        &org,
        Method::POST,
        "/api/v1/users?activate=false",
        Some(new_user("a@example.com")),
    )
    .await;
    assert_eq!((s, staged["status"].as_str()), (200, Some("STAGED")));
    assert!(staged["activated"].is_null());
    assert!(staged["id"].as_str().unwrap().starts_with("00u"));
    let (_, active) = call(
        &org,
        Method::POST,
        "/api/v1/users?activate=true",
        Some(with_password("b@example.com")),
    )
    .await;
    assert_eq!(active["status"], "ACTIVE");
    assert_eq!(
        active["credentials"]["password"],
        json!({}),
        "password values are never echoed"
    );
    let (_, provisioned) = call(
        &org,
        Method::POST,
        "/api/v1/users",
        Some(new_user("c@example.com")),
    )
    .await;
    assert_eq!(provisioned["status"], "PROVISIONED");
    let (_, expired) = call(
        &org,
        Method::POST,
        "/api/v1/users?nextLogin=changePassword",
        Some(with_password("d@example.com")),
    )
    .await;
    assert_eq!(expired["status"], "PASSWORD_EXPIRED");
    let (s, err) = call(
        &org,
        Method::POST,
        "/api/v1/users?activate=false&nextLogin=changePassword",
        Some(with_password("e@example.com")),
    )
    .await;
    assert_eq!((s, err["errorCode"].as_str()), (400, Some("E0000001")));

    let (s, fetched) = call(
        &org,
        Method::GET,
        &format!("/api/v1/users/{}", staged["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(fetched, staged);
}

#[tokio::test]
async fn duplicate_login_and_missing_fields_are_validation_errors() {
    let org = org().await;
    let existing = org.org.users()[0]["profile"]["login"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let (s, err) = call(
        &org,
        Method::POST,
        "/api/v1/users",
        Some(new_user(&existing)),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(err["errorCode"], "E0000001");
    assert_eq!(err["errorSummary"], "Api validation failed: login");
    assert!(
        err["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("login: An object with this field already exists")
    );

    let (s, err) = call(
        &org,
        Method::POST,
        "/api/v1/users",
        Some(json!({"profile": {"login": "x@example.com"}})),
    )
    .await;
    assert_eq!(s, 400);
    let causes: Vec<&str> = err["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["errorSummary"].as_str())
        .collect();
    assert!(
        causes.contains(&"firstName: The field cannot be left blank"),
        "{causes:?}"
    );
    assert!(causes.contains(&"email: The field cannot be left blank"));

    let response = org
        .http
        .post(format!("{}/api/v1/users", org.url))
        .bearer_auth("all")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000003");
}

#[tokio::test]
async fn partial_update_merges_and_put_replaces() {
    let org = org().await;
    let (_, user) = call(
        &org,
        Method::POST,
        "/api/v1/users",
        Some(with_password("p@example.com")),
    )
    .await;
    let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
    let (s, updated) = call(
        &org,
        Method::POST,
        &path,
        Some(json!({"profile": {"department": "Legal"}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(updated["profile"]["department"], "Legal");
    assert_eq!(updated["profile"]["firstName"], "Isaac");
    let (s, replaced) = call(&org, Method::PUT, &path, Some(new_user("p@example.com"))).await;
    assert_eq!(s, 200);
    assert!(replaced["profile"].get("department").is_none());
    let (s, _) = call(
        &org,
        Method::PUT,
        &path,
        Some(json!({"profile": {"firstName": "Only"}})),
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn delete_deactivates_first_then_deletes() {
    let org = org().await;
    let (_, user) = call(
        &org,
        Method::POST,
        "/api/v1/users",
        Some(with_password("del@example.com")),
    )
    .await;
    let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
    let (s, _) = call(&org, Method::DELETE, &path, None).await;
    assert_eq!(s, 204);
    let (_, after) = call(&org, Method::GET, &path, None).await;
    assert_eq!(after["status"], "DEPROVISIONED");
    let (s, _) = call(&org, Method::DELETE, &path, None).await;
    assert_eq!(s, 204);
    let (s, err) = call(&org, Method::GET, &path, None).await;
    assert_eq!((s, err["errorCode"].as_str()), (404, Some("E0000007")));
}

#[tokio::test]
async fn lifecycle_follows_okta_state_rules() {
    let org = org().await;
    let (_, user) = call(
        &org,
        Method::POST,
        "/api/v1/users",
        Some(with_password("life@example.com")),
    )
    .await;
    let id = user["id"].as_str().unwrap().to_owned();
    let op = |name: &str| format!("/api/v1/users/{id}/lifecycle/{name}");
    let status = || async {
        call(&org, Method::GET, &format!("/api/v1/users/{id}"), None)
            .await
            .1["status"]
            .clone()
    };

    assert_eq!(call(&org, Method::POST, &op("suspend"), None).await.0, 200);
    assert_eq!(status().await, "SUSPENDED");
    assert_eq!(call(&org, Method::POST, &op("suspend"), None).await.0, 400);
    assert_eq!(
        call(&org, Method::POST, &op("unsuspend"), None).await.0,
        200
    );
    assert_eq!(status().await, "ACTIVE");
    let (s, err) = call(&org, Method::POST, &op("unlock"), None).await;
    assert_eq!((s, err["errorCode"].as_str()), (400, Some("E0000032")));
    let (s, err) = call(&org, Method::POST, &op("activate"), None).await;
    assert_eq!((s, err["errorCode"].as_str()), (403, Some("E0000016")));
    let (s, body) = call(
        &org,
        Method::POST,
        &format!("{}?sendEmail=false", op("reset_password")),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        body["resetPasswordUrl"]
            .as_str()
            .unwrap()
            .starts_with(&org.url)
    );
    assert_eq!(status().await, "RECOVERY");
    let (s, expired) = call(&org, Method::POST, &op("expire_password"), None).await;
    assert_eq!(
        (s, expired["status"].as_str()),
        (200, Some("PASSWORD_EXPIRED"))
    );
    assert_eq!(
        call(&org, Method::POST, &op("deactivate"), None).await.0,
        200
    );
    assert_eq!(status().await, "DEPROVISIONED");
    let (s, err) = call(&org, Method::POST, &op("reset_password"), None).await;
    assert_eq!((s, err["errorCode"].as_str()), (403, Some("E0000017")));
    let (s, body) = call(
        &org,
        Method::POST,
        &format!("{}?sendEmail=false", op("activate")),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(body["activationToken"].is_string());
    assert_eq!(status().await, "ACTIVE");
    assert_eq!(call(&org, Method::POST, &op("explode"), None).await.0, 404);

    let locked = org
        .org
        .users()
        .into_iter()
        .find(|u| u["status"] == "LOCKED_OUT")
        .unwrap();
    let locked_id = locked["id"].as_str().unwrap();
    assert_eq!(
        call(
            &org,
            Method::POST,
            &format!("/api/v1/users/{locked_id}/lifecycle/unlock"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(org.org.user(locked_id).unwrap()["status"], "ACTIVE");
}

#[tokio::test]
async fn user_groups_and_schema() {
    let org = org().await;
    let user = &org.org.users()[2];
    let id = user["id"].as_str().unwrap();
    let (s, groups) = call(
        &org,
        Method::GET,
        &format!("/api/v1/users/{id}/groups"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let expected: Vec<Value> = org
        .org
        .groups()
        .into_iter()
        .filter(|g| {
            org.org
                .group_members(g["id"].as_str().unwrap())
                .iter()
                .any(|m| m["id"] == id)
        })
        .collect();
    assert_eq!(groups, Value::Array(expected));
    let (s, schema) = call(&org, Method::GET, "/api/v1/meta/schemas/user/default", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        schema["definitions"]["base"]["properties"]["login"]["required"],
        true
    );
    assert!(schema["definitions"]["base"]["properties"]["department"].is_object());
}

#[tokio::test]
async fn group_writes_and_membership_rules() {
    let org = org().await;
    let (s, group) = call(
        &org,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "Auditors", "description": "Read-only"}})),
    )
    .await;
    assert_eq!((s, group["type"].as_str()), (200, Some("OKTA_GROUP")));
    let gid = group["id"].as_str().unwrap().to_owned();
    let (s, err) = call(
        &org,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "auditors"}})),
    )
    .await;
    assert_eq!((s, err["errorCode"].as_str()), (400, Some("E0000001")));
    let (s, renamed) = call(
        &org,
        Method::PUT,
        &format!("/api/v1/groups/{gid}"),
        Some(json!({"profile": {"name": "Auditors EU"}})),
    )
    .await;
    assert_eq!(
        (s, renamed["profile"]["name"].as_str()),
        (200, Some("Auditors EU"))
    );
    assert!(renamed["profile"].get("description").is_none());

    let uid = org.org.users()[1]["id"].as_str().unwrap().to_owned();
    let member = format!("/api/v1/groups/{gid}/users/{uid}");
    assert_eq!(call(&org, Method::PUT, &member, None).await.0, 204);
    assert_eq!(call(&org, Method::PUT, &member, None).await.0, 204);
    assert_eq!(org.org.group_members(&gid).len(), 1);
    assert_eq!(call(&org, Method::DELETE, &member, None).await.0, 204);
    assert_eq!(call(&org, Method::DELETE, &member, None).await.0, 204);
    assert!(org.org.group_members(&gid).is_empty());
    assert_eq!(
        call(
            &org,
            Method::PUT,
            &format!("/api/v1/groups/{gid}/users/00unope"),
            None
        )
        .await
        .0,
        404
    );

    let app_group = org
        .org
        .groups()
        .into_iter()
        .find(|g| g["type"] == "APP_GROUP")
        .unwrap();
    let (s, err) = call(
        &org,
        Method::PUT,
        &format!(
            "/api/v1/groups/{}/users/{uid}",
            app_group["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!((s, err["errorCode"].as_str()), (403, Some("E0000006")));
    let everyone = org
        .org
        .groups()
        .into_iter()
        .find(|g| g["type"] == "BUILT_IN")
        .unwrap();
    assert_eq!(
        call(
            &org,
            Method::DELETE,
            &format!("/api/v1/groups/{}", everyone["id"].as_str().unwrap()),
            None
        )
        .await
        .0,
        403
    );

    assert_eq!(
        call(&org, Method::DELETE, &format!("/api/v1/groups/{gid}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&org, Method::GET, &format!("/api/v1/groups/{gid}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn group_apps_lists_assigned_apps() {
    let org = org().await;
    let apps = org.org.apps();
    let group = org
        .org
        .groups()
        .into_iter()
        .find(|g| g["type"] == "OKTA_GROUP")
        .unwrap();
    let gid = group["id"].as_str().unwrap();
    let app_id = apps[3]["id"].as_str().unwrap();
    let (s, _) = call(
        &org,
        Method::PUT,
        &format!("/api/v1/apps/{app_id}/groups/{gid}"),
        Some(json!({"priority": 0})),
    )
    .await;
    assert_eq!(s, 200);
    let (items, _) = org
        .collect_pages(&format!("/api/v1/groups/{gid}/apps?limit=2"))
        .await;
    assert!(items.iter().any(|a| a["id"] == app_id));
}

#[tokio::test]
async fn apps_are_validated_per_sign_on_mode() {
    let org = org().await;
    let valid = [
        json!({"label": "Docs", "signOnMode": "BOOKMARK", "settings": {"app": {"url": "https://docs.example.com"}}}),
        json!({"label": "HR SAML", "signOnMode": "SAML_2_0", "settings": {"signOn": {"ssoAcsUrl": "https://hr.example.com/acs", "audience": "urn:hr"}}}),
        json!({"label": "Portal", "signOnMode": "OPENID_CONNECT", "settings": {"oauthClient": {"redirect_uris": ["https://p.example.com/cb"], "grant_types": ["authorization_code"], "response_types": ["code"], "application_type": "web"}}}),
        json!({"label": "Robot", "signOnMode": "OPENID_CONNECT", "settings": {"oauthClient": {"grant_types": ["client_credentials"], "application_type": "service"}}}),
        json!({"label": "Old", "signOnMode": "AUTO_LOGIN", "settings": {"signOn": {"loginUrl": "https://old.example.com/login"}}}),
        json!({"label": "SWA", "signOnMode": "BROWSER_PLUGIN", "settings": {"app": {"url": "https://swa.example.com", "usernameField": "#u", "passwordField": "#p", "buttonField": "#b"}}}),
        json!({"label": "Basic", "signOnMode": "BASIC_AUTH", "settings": {"app": {"url": "https://b.example.com", "authURL": "https://b.example.com/auth"}}}),
    ];
    for body in valid {
        let (s, app) = call(&org, Method::POST, "/api/v1/apps", Some(body.clone())).await;
        assert_eq!(s, 200, "{body} -> {app}");
        assert_eq!(app["signOnMode"], body["signOnMode"]);
        assert_eq!(app["status"], "ACTIVE");
        assert!(app["id"].as_str().unwrap().starts_with("0oa"));
    }
    let (_, oidc) = call(&org, Method::GET, "/api/v1/apps?q=portal", None).await;
    assert_eq!(
        oidc[0]["settings"]["oauthClient"]["redirect_uris"],
        json!(["https://p.example.com/cb"])
    );
    assert_eq!(
        oidc[0]["credentials"]["oauthClient"]["client_id"],
        oidc[0]["id"]
    );

    let invalid = [
        (
            json!({"label": "Docs", "signOnMode": "BOOKMARK", "settings": {"app": {}}}),
            "url: The field cannot be left blank",
        ),
        (
            json!({"label": "Docs", "signOnMode": "BOOKMARK", "settings": {"app": {"url": "not a url"}}}),
            "url: The URL is not valid",
        ),
        (
            json!({"signOnMode": "BOOKMARK", "settings": {"app": {"url": "https://x.example.com"}}}),
            "label: The field cannot be left blank",
        ),
        (
            json!({"label": "S", "signOnMode": "SAML_2_0", "settings": {"signOn": {"audience": "x"}}}),
            "ssoAcsUrl: The field cannot be left blank",
        ),
        (
            json!({"label": "O", "signOnMode": "OPENID_CONNECT", "settings": {"oauthClient": {"grant_types": ["authorization_code"], "application_type": "web"}}}),
            "redirect_uris",
        ),
        (
            json!({"label": "O", "signOnMode": "OPENID_CONNECT", "settings": {"oauthClient": {"grant_types": ["authorization_code"], "redirect_uris": ["https://x/cb"], "application_type": "service"}}}),
            "Service applications",
        ),
        (
            json!({"label": "X", "signOnMode": "TELEPATHY"}),
            "signOnMode",
        ),
    ];
    for (body, cause) in invalid {
        let (s, err) = call(&org, Method::POST, "/api/v1/apps", Some(body.clone())).await;
        assert_eq!(s, 400, "{body}");
        assert_eq!(err["errorCode"], "E0000001");
        let causes = err["errorCauses"].to_string();
        assert!(causes.contains(cause), "{body}: {causes}");
    }
}

#[tokio::test]
async fn app_lifecycle_delete_and_assignments() {
    let org = org().await;
    let (_, app) = call(&org, Method::POST, "/api/v1/apps", Some(json!({"label": "Temp", "signOnMode": "BOOKMARK", "settings": {"app": {"url": "https://t.example.com"}}}))).await;
    let id = app["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/apps/{id}");
    let (s, err) = call(&org, Method::DELETE, &path, None).await;
    assert_eq!((s, err["errorCode"].as_str()), (403, Some("E0000056")));

    let uid = org.org.users()[0]["id"].as_str().unwrap().to_owned();
    let (s, assigned) = call(
        &org,
        Method::POST,
        &format!("{path}/users"),
        Some(json!({"id": uid, "scope": "USER"})),
    )
    .await;
    assert_eq!((s, assigned["id"].as_str()), (200, Some(uid.as_str())));
    let filter = url::form_urlencoded::byte_serialize(format!("user.id eq \"{uid}\"").as_bytes())
        .collect::<String>();
    let (_, filtered) = call(
        &org,
        Method::GET,
        &format!("/api/v1/apps?filter={filter}&expand=user/{uid}"),
        None,
    )
    .await;
    assert!(
        filtered
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str() && a["_embedded"]["user"]["id"] == uid.as_str())
    );
    let expected = org
        .org
        .apps()
        .into_iter()
        .filter(|a| {
            org.org
                .app_users(a["id"].as_str().unwrap())
                .iter()
                .any(|u| u["id"] == uid.as_str())
        })
        .count();
    assert_eq!(filtered.as_array().unwrap().len(), expected);
    let (s, users) = call(&org, Method::GET, &format!("{path}/users"), None).await;
    assert_eq!((s, users.as_array().map(Vec::len)), (200, Some(1)));
    assert_eq!(
        call(&org, Method::DELETE, &format!("{path}/users/{uid}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&org, Method::GET, &format!("{path}/users/{uid}"), None)
            .await
            .0,
        404
    );

    let (s, body) = call(
        &org,
        Method::POST,
        &format!("{path}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!((s, body), (200, json!({})));
    let (_, inactive) = call(&org, Method::GET, &path, None).await;
    assert_eq!(inactive["status"], "INACTIVE");
    assert!(inactive["_links"]["activate"].is_object());
    let (s, replaced) = call(&org, Method::PUT, &path, Some(json!({"label": "Temp 2", "signOnMode": "BOOKMARK", "settings": {"app": {"url": "https://t2.example.com"}}}))).await;
    assert_eq!((s, replaced["label"].as_str()), (200, Some("Temp 2")));
    assert_eq!(replaced["status"], "INACTIVE");
    assert_eq!(call(&org, Method::DELETE, &path, None).await.0, 204);
    let (s, err) = call(&org, Method::GET, &path, None).await;
    assert_eq!(
        (s, err["errorSummary"].as_str().map(str::to_owned)),
        (
            404,
            Some(format!("Not found: Resource not found: {id} (AppInstance)"))
        )
    );
}

#[tokio::test]
async fn policies_need_a_type_and_keep_priorities() {
    let org = org().await;
    let (s, err) = call(&org, Method::GET, "/api/v1/policies", None).await;
    assert_eq!((s, err["errorCode"].as_str()), (400, Some("E0000001")));
    assert_eq!(
        call(&org, Method::GET, "/api/v1/policies?type=NOPE", None)
            .await
            .0,
        400
    );
    let (s, list) = call(&org, Method::GET, "/api/v1/policies?type=PASSWORD", None).await;
    assert_eq!(s, 200);
    let list = list.as_array().unwrap().clone();
    assert!(list.iter().all(|p| p["type"] == "PASSWORD"));
    assert_eq!(
        list.last().unwrap()["system"],
        true,
        "default policy is last"
    );

    let (s, created) = call(
        &org,
        Method::POST,
        "/api/v1/policies",
        Some(json!({"type": "PASSWORD", "name": "Contractors", "priority": 1})),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    assert_eq!(created["priority"], 1);
    assert!(created["settings"]["password"]["complexity"]["minLength"].is_number());
    let pid = created["id"].as_str().unwrap().to_owned();
    let (_, list) = call(&org, Method::GET, "/api/v1/policies?type=PASSWORD", None).await;
    let priorities: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["priority"].as_i64())
        .collect();
    assert_eq!(
        priorities,
        (1..=priorities.len() as i64).collect::<Vec<_>>()
    );
    assert_eq!(list[0]["id"], pid.as_str());

    let (_, rules) = call(
        &org,
        Method::GET,
        &format!("/api/v1/policies/{pid}/rules"),
        None,
    )
    .await;
    assert_eq!(rules.as_array().unwrap().len(), 1);
    let (s, rule) = call(
        &org,
        Method::POST,
        &format!("/api/v1/policies/{pid}/rules"),
        Some(json!({"name": "Office network", "type": "PASSWORD", "priority": 1})),
    )
    .await;
    assert_eq!((s, rule["priority"].as_i64()), (200, Some(1)));
    let (_, rules) = call(
        &org,
        Method::GET,
        &format!("/api/v1/policies/{pid}/rules"),
        None,
    )
    .await;
    let rules = rules.as_array().unwrap().clone();
    assert_eq!(rules[0]["id"], rule["id"]);
    assert_eq!(rules[1]["system"], true);
    let (s, _) = call(
        &org,
        Method::POST,
        &format!("/api/v1/policies/{pid}/rules"),
        Some(json!({"name": "Wrong", "type": "SIGN_ON"})),
    )
    .await;
    assert_eq!(s, 400);
    let default_rule = rules[1]["id"].as_str().unwrap();
    assert_eq!(
        call(
            &org,
            Method::DELETE,
            &format!("/api/v1/policies/{pid}/rules/{default_rule}"),
            None
        )
        .await
        .0,
        400
    );
    let rid = rule["id"].as_str().unwrap();
    assert_eq!(
        call(
            &org,
            Method::POST,
            &format!("/api/v1/policies/{pid}/rules/{rid}/lifecycle/deactivate"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(org.org.policy_rules(&pid)[0]["status"], "INACTIVE");
    assert_eq!(
        call(
            &org,
            Method::DELETE,
            &format!("/api/v1/policies/{pid}/rules/{rid}"),
            None
        )
        .await
        .0,
        204
    );

    assert_eq!(
        call(
            &org,
            Method::POST,
            &format!("/api/v1/policies/{pid}/lifecycle/deactivate"),
            None
        )
        .await
        .0,
        204
    );
    let (_, inactive) = call(
        &org,
        Method::GET,
        "/api/v1/policies?type=PASSWORD&status=INACTIVE",
        None,
    )
    .await;
    assert!(
        inactive
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == pid.as_str())
    );
    let system = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            &org,
            Method::DELETE,
            &format!("/api/v1/policies/{system}"),
            None
        )
        .await
        .0,
        400
    );
    assert_eq!(
        call(
            &org,
            Method::DELETE,
            &format!("/api/v1/policies/{pid}"),
            None
        )
        .await
        .0,
        204
    );
    let (s, err) = call(&org, Method::GET, &format!("/api/v1/policies/{pid}"), None).await;
    assert_eq!((s, err["errorCode"].as_str()), (404, Some("E0000007")));
    assert_eq!(
        call(
            &org,
            Method::POST,
            "/api/v1/policies",
            Some(json!({"type": "IDP_DISCOVERY", "name": "x"}))
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn device_assurances_are_validated_per_platform() {
    let org = org().await;
    let (s, list) = call(&org, Method::GET, "/api/v1/device-assurances", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        list.as_array().unwrap().len(),
        org.org.device_assurances().len()
    );

    let mac = json!({"name": "Mac 15", "platform": "MACOS", "osVersion": {"minimum": "15.0.1"},
        "diskEncryptionType": {"include": ["ALL_INTERNAL_VOLUMES"]}, "screenLockType": {"include": ["BIOMETRIC"]}, "secureHardwarePresent": true});
    let (s, created) = call(
        &org,
        Method::POST,
        "/api/v1/device-assurances",
        Some(mac.clone()),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    assert!(created["id"].as_str().unwrap().starts_with("dae"));
    assert_eq!(created["osVersion"], mac["osVersion"]);
    assert!(created["createdDate"].is_string() && created["lastUpdatedBy"].is_string());

    let invalid = [
        (
            json!({"name": "W", "platform": "WINDOWS", "jailbreak": false}),
            "jailbreak: This property is not supported on the WINDOWS platform",
        ),
        (
            json!({"name": "W", "platform": "WINDOWS", "osVersion": {"minimum": "11"}}),
            "osVersion.minimum",
        ),
        (
            json!({"name": "I", "platform": "IOS", "diskEncryptionType": {"include": ["FULL"]}}),
            "diskEncryptionType",
        ),
        (
            json!({"name": "A", "platform": "ANDROID", "diskEncryptionType": {"include": ["ALL_INTERNAL_VOLUMES"]}}),
            "'ALL_INTERNAL_VOLUMES' is not one of FULL, USER",
        ),
        (
            json!({"name": "A", "platform": "ANDROID", "screenLockType": {"include": ["PATTERN"]}}),
            "screenLockType",
        ),
        (
            json!({"name": "A", "platform": "ANDROID", "osVersion": {"minimum": "thirteen"}}),
            "osVersion.minimum",
        ),
        (
            json!({"name": "M", "platform": "MACOS", "secureHardwarePresent": "yes"}),
            "secureHardwarePresent: must be a boolean",
        ),
        (
            json!({"platform": "IOS"}),
            "name: The field cannot be left blank",
        ),
        (json!({"name": "X", "platform": "PALMOS"}), "platform"),
        (mac.clone(), "already exists"),
    ];
    for (body, cause) in invalid {
        let (s, err) = call(
            &org,
            Method::POST,
            "/api/v1/device-assurances",
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, 400, "{body}");
        assert!(
            err["errorCauses"].to_string().contains(cause),
            "{body}: {err}"
        );
    }

    let path = format!(
        "/api/v1/device-assurances/{}",
        created["id"].as_str().unwrap()
    );
    let mut changed = mac.clone();
    changed["osVersion"] = json!({"minimum": "15.2"});
    let (s, updated) = call(&org, Method::PUT, &path, Some(changed)).await;
    assert_eq!(
        (s, updated["osVersion"]["minimum"].as_str()),
        (200, Some("15.2"))
    );
    assert_eq!(updated["createdDate"], created["createdDate"]);
    let mut other = mac.clone();
    other["platform"] = json!("WINDOWS");
    other["osVersion"] = json!({"minimum": "10.0.22631"});
    assert_eq!(call(&org, Method::PUT, &path, Some(other)).await.0, 400);
    assert_eq!(call(&org, Method::DELETE, &path, None).await.0, 204);
    assert_eq!(call(&org, Method::GET, &path, None).await.0, 404);
}

#[tokio::test]
async fn writes_are_recorded_in_the_system_log() {
    let org = org().await;
    let (_, user) = call(
        &org,
        Method::POST,
        "/api/v1/users?activate=false",
        Some(new_user("logged@example.com")),
    )
    .await;
    let id = user["id"].as_str().unwrap().to_owned();
    call(
        &org,
        Method::POST,
        &format!("/api/v1/users/{id}/lifecycle/activate"),
        None,
    )
    .await;
    let filter = url::form_urlencoded::byte_serialize(format!("target.id eq \"{id}\"").as_bytes())
        .collect::<String>();
    let (s, events) = call(
        &org,
        Method::GET,
        &format!("/api/v1/logs?filter={filter}"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .collect();
    assert_eq!(types, ["user.lifecycle.create", "user.lifecycle.activate"]);
    let event = &events[0];
    assert_eq!(event["actor"]["type"], "PublicClientApp");
    assert_eq!(event["actor"]["id"], "test");
    assert_eq!(event["outcome"]["result"], "SUCCESS");
    assert_eq!(event["target"][0]["alternateId"], "logged@example.com");
    assert_eq!(
        event["debugContext"]["debugData"]["requestUri"],
        "/api/v1/users"
    );
    assert_eq!(
        org.org.log_events().last().unwrap()["eventType"],
        "user.lifecycle.activate"
    );
}

#[tokio::test]
async fn catalog_lists_integrations_and_install_validates_against_it() {
    let org = org().await;
    let response = org.get("/api/v1/catalog/apps?limit=5").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("link").is_none(),
        "the catalog sends no Link header"
    );
    let first: Vec<Value> = response.json().await.unwrap();
    assert_eq!(first.len(), 5);
    let last = first.last().unwrap()["name"].as_str().unwrap().to_owned();
    let (_, second) = call(
        &org,
        Method::GET,
        &format!("/api/v1/catalog/apps?limit=5&after={last}"),
        None,
    )
    .await;
    assert!(
        second
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"].as_str().unwrap() > last.as_str())
    );
    let (_, found) = call(&org, Method::GET, "/api/v1/catalog/apps?q=SLACK", None).await;
    assert_eq!(found[0]["name"], "slack");
    let (s, slack) = call(
        &org,
        Method::GET,
        "/api/v1/catalog/apps/slack?expand=schema",
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(slack["_embedded"]["schema"]["required"], json!(["domain"]));
    assert_eq!(
        call(&org, Method::GET, "/api/v1/catalog/apps/nope", None)
            .await
            .0,
        404
    );

    let install = |settings: Value, mode: &str| json!({"name": "slack", "label": "Slack EU", "signOnMode": mode, "settings": {"app": settings}});
    let (s, err) = call(
        &org,
        Method::POST,
        "/api/v1/apps",
        Some(install(json!({}), "SAML_2_0")),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        err["errorCauses"]
            .to_string()
            .contains("domain: The field cannot be left blank")
    );
    let (s, err) = call(
        &org,
        Method::POST,
        "/api/v1/apps",
        Some(install(json!({"domain": "acme-eu"}), "BOOKMARK")),
    )
    .await;
    assert_eq!(s, 400, "{err}");
    let (s, app) = call(
        &org,
        Method::POST,
        "/api/v1/apps",
        Some(install(json!({"domain": "acme-eu"}), "SAML_2_0")),
    )
    .await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["name"], "slack");
    assert_eq!(app["settings"]["app"]["domain"], "acme-eu");
    let (s, _) = call(
        &org,
        Method::POST,
        "/api/v1/apps",
        Some(json!({"name": "not_in_catalog", "label": "X", "signOnMode": "SAML_2_0"})),
    )
    .await;
    assert_eq!(s, 400);

    // A seeded integration reads and replaces like an installed one.
    let seeded = org
        .org
        .apps()
        .into_iter()
        .find(|a| a["name"] == "salesforce")
        .unwrap();
    let path = format!("/api/v1/apps/{}", seeded["id"].as_str().unwrap());
    let (s, replaced) = call(&org, Method::PUT, &path, Some(seeded.clone())).await;
    assert_eq!(s, 200, "{replaced}");
    assert_eq!(replaced["settings"]["app"]["instanceType"], "PRODUCTION");
}
