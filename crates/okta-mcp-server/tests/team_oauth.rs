//! Team mode end to end: the real binary serving `--transport http --auth oauth` over real
//! HTTP, people signing in through the sandbox org's authorization code flow, each acting
//! as themselves. Every test scans the server's TRACE log for the secrets it saw.

mod support;

use serde_json::{Value, json};
use support::TestOrg;
use support::team::*;

const SUPER: &str = okta_sandbox::oauth::SUPER_ADMIN_LOGIN;
const HELP_DESK: &str = okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN;
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// What the help-desk admin's client asks for: users and groups, nothing else.
const HELP_DESK_SCOPES: &str =
    "okta.users.read okta.users.manage okta.groups.read okta.groups.manage";

fn group_names(org: &TestOrg) -> Vec<String> {
    org.sandbox
        .org()
        .groups()
        .iter()
        .filter_map(|g| g["profile"]["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn two_people_act_as_themselves_and_okta_roles_apply() {
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(&org, &team_env(&org, state.path()), free_port(), "two");
    org.block_on(async {
        // Discovery from a 401, as a client does it.
        let mut anonymous = McpHttp::new(&server, None);
        let denied = anonymous.request("tools/list", json!({})).await;
        assert_eq!(denied.status, 401);
        let challenge = denied.www_authenticate.expect("WWW-Authenticate");
        let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", server.base);
        assert!(
            challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
            "{challenge}"
        );
        assert!(challenge.contains("scope=\"okta.users.read"), "{challenge}");
        let resource: Value = http()
            .get(&metadata_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resource["resource"], server.mcp_url());
        let issuer = resource["authorization_servers"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let as_meta: Value = http()
            .get(format!("{issuer}/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(as_meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(as_meta["client_id_metadata_document_supported"], true);

        let super_client = register(&server, "super's assistant", REDIRECT).await;
        let desk_client = register(&server, "help desk's assistant", REDIRECT).await;
        let admin = sign_in(&org, &server, &super_client, REDIRECT, SUPER, None).await;
        let desk = sign_in(
            &org,
            &server,
            &desk_client,
            REDIRECT,
            HELP_DESK,
            Some(HELP_DESK_SCOPES),
        )
        .await;
        assert_eq!(desk.scope, HELP_DESK_SCOPES);

        let mut admin_mcp = McpHttp::new(&server, Some(&admin.access_token));
        let mut desk_mcp = McpHttp::new(&server, Some(&desk.access_token));
        admin_mcp.initialize().await;
        desk_mcp.initialize().await;
        // Each sees the tools of the scopes they were granted.
        let admin_tools = admin_mcp.tool_names().await;
        let desk_tools = desk_mcp.tool_names().await;
        // A session belongs to the person who opened it: the help-desk admin's own valid
        // token naming the super admin's session is answered as if there were no such session.
        let admin_session = admin_mcp.session().expect("a session id").to_owned();
        let mut hijack = McpHttp::new(&server, Some(&desk.access_token));
        hijack.join_session(&admin_session);
        let refused = hijack.request("tools/list", json!({})).await;
        assert_eq!(refused.status, 404, "{refused:?}");
        let refused = hijack.call("create_group", json!({"name": "Hijack"})).await;
        assert_eq!(refused.status, 404, "{refused:?}");
        assert!(!group_names(&org).iter().any(|g| g == "Hijack"));
        // Its owner goes on using it.
        assert_eq!(admin_mcp.tool_names().await, admin_tools);
        assert!(
            admin_tools.iter().any(|t| t == "list_applications"),
            "{admin_tools:?}"
        );
        assert!(
            !desk_tools.iter().any(|t| t == "list_applications"),
            "{desk_tools:?}"
        );
        assert!(
            desk_tools.iter().any(|t| t == "create_group"),
            "{desk_tools:?}"
        );

        // The super admin's write goes through and the System Log names them.
        let created = admin_mcp
            .call(
                "create_group",
                json!({"profile": {"name": "team-mode-super"}}),
            )
            .await;
        assert_eq!(created.status, 200);
        assert_eq!(created.body["result"]["isError"], false, "{created:?}");
        let group_id = created.body["result"]["structuredContent"]["id"]
            .as_str()
            .expect("group id")
            .to_owned();
        let events = org.sandbox.org().log_events();
        let event = events
            .iter()
            .find(|e| {
                e["eventType"] == "group.lifecycle.create"
                    && e["target"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t["id"] == group_id.as_str()))
            })
            .expect("a System Log event for the new group");
        assert_eq!(event["actor"]["alternateId"], SUPER, "{event}");

        // The help-desk admin's forbidden write: Okta's 403, explained, nothing changed.
        let before = group_names(&org);
        let refused = desk_mcp
            .call(
                "create_group",
                json!({"profile": {"name": "team-mode-desk"}}),
            )
            .await;
        assert_eq!(refused.status, 200);
        let result = &refused.body["result"];
        assert_eq!(result["isError"], true, "{refused:?}");
        assert_eq!(result["structuredContent"]["status"], 403, "{refused:?}");
        let hint = result["structuredContent"]["hint"]
            .as_str()
            .unwrap_or_default();
        assert!(hint.contains("admin role"), "{hint}");
        assert_eq!(group_names(&org), before, "nothing changed");
        // The help-desk admin reads users as themselves.
        let users = desk_mcp.call("list_users", json!({"limit": 2})).await;
        assert_eq!(users.body["result"]["isError"], false, "{users:?}");

        // A tool whose scope the token lacks: 403 insufficient_scope naming it (step-up).
        let step_up = desk_mcp.call("list_applications", json!({})).await;
        assert_eq!(step_up.status, 403, "{step_up:?}");
        let challenge = step_up.www_authenticate.expect("WWW-Authenticate");
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
        assert!(challenge.contains("okta.apps.read"), "{challenge}");
        assert!(challenge.contains("resource_metadata="), "{challenge}");

        // The journal names who signed in and who did what.
        let records = journal(state.path());
        for login in [SUPER, HELP_DESK] {
            assert!(
                records
                    .iter()
                    .any(|r| r["event"] == "sign_in" && r["user_login"] == login),
                "a sign-in of {login}: {records:?}"
            );
        }
        let call = |login: &str| {
            records
                .iter()
                .find(|r| r["tool"] == "create_group" && r["user_login"] == login)
                .unwrap_or_else(|| panic!("{login}'s create_group in the journal: {records:?}"))
                .clone()
        };
        assert_eq!(call(SUPER)["outcome"], "ok");
        assert_eq!(call(SUPER)["mcp_client_id"], super_client.as_str());
        assert_eq!(call(HELP_DESK)["outcome"], "error");
        assert_eq!(call(HELP_DESK)["error_code"], "E0000006");
        let journal_text = std::fs::read_to_string(state.path().join("audit.jsonl")).unwrap();
        let secrets = secrets_of(&server, &[&admin, &desk]);
        assert_no_secrets(&journal_text, &secrets);
        assert_no_secrets(&server.stderr(), &secrets);
    });
}

#[test]
fn tokens_this_server_did_not_issue_are_refused() {
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let env = team_env(&org, state.path());
    let server = TeamServer::start(&org, &env, free_port(), "refuse");
    // A second deployment sharing the state store: its tokens are for another resource.
    let other = TeamServer::start(&org, &env, free_port(), "refuse-other");
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let other_client = register(&other, "assistant", REDIRECT).await;
        let elsewhere = sign_in(&org, &other, &other_client, REDIRECT, SUPER, None).await;
        let mut ok = McpHttp::new(&server, Some(&person.access_token));
        ok.initialize().await;

        // A raw Okta access token (the service app's, valid at the org): no passthrough.
        let out = support::run(&org.service_env(), &["auth", "token"]);
        let okta_token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(okta_token.len() > 20, "auth token printed a token");

        let cases: Vec<(&str, Option<String>)> = vec![
            ("no token", None),
            ("garbage", Some("not-a-token".into())),
            ("a raw Okta token", Some(okta_token)),
            ("a token for another resource", Some(elsewhere.access_token.clone())),
            ("a refresh token as bearer", Some(person.refresh_token.clone())),
        ];
        for (what, token) in cases {
            let mut mcp = McpHttp::new(&server, token.as_deref());
            let answer = mcp.request("tools/list", json!({})).await;
            assert_eq!(answer.status, 401, "{what}: {answer:?}");
            let challenge = answer.www_authenticate.unwrap_or_default();
            assert!(challenge.contains("resource_metadata=\""), "{what}: {challenge}");
        }

        // An expired token: the clock is moved past its lifetime in the state file.
        let db = rusqlite::Connection::open(state.path().join("state.sqlite3")).unwrap();
        db.execute("UPDATE records SET expires_at = 1 WHERE kind = 'access'", [])
            .unwrap();
        let mut expired = McpHttp::new(&server, Some(&person.access_token));
        let answer = expired.request("tools/list", json!({})).await;
        assert_eq!(answer.status, 401, "expired: {answer:?}");
        assert!(answer
            .www_authenticate
            .unwrap_or_default()
            .contains("error=\"invalid_token\""));

        // /authorize for another resource: refused back to the client (RFC 8707).
        let response = http()
            .get(format!(
                "{}/authorize?response_type=code&client_id={client}&redirect_uri={REDIRECT}&code_challenge={}&code_challenge_method=S256&state=s&resource=https://elsewhere.example/mcp",
                server.base,
                "a".repeat(43)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(REDIRECT) && location.contains("error=invalid_target"), "{location}");
        // Plain PKCE is refused; an unregistered redirect URI gets a page, never a redirect.
        let plain = http()
            .get(format!(
                "{}/authorize?response_type=code&client_id={client}&redirect_uri={REDIRECT}&code_challenge={}&code_challenge_method=plain&state=s",
                server.base,
                "a".repeat(43)
            ))
            .send()
            .await
            .unwrap();
        assert!(plain.headers()["location"].to_str().unwrap().contains("error=invalid_request"));
        let foreign = http()
            .get(format!(
                "{}/authorize?response_type=code&client_id={client}&redirect_uri=https://attacker.example/cb&code_challenge={}&code_challenge_method=S256&state=s",
                server.base,
                "a".repeat(43)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 400);
        assert!(foreign.headers().get("location").is_none());

        let mut secrets = secrets_of(&server, &[&person, &elsewhere]);
        secrets.push(("Okta token", String::from_utf8_lossy(&out.stdout).trim().to_owned()));
        assert_no_secrets(&server.stderr(), &secrets);
        assert_no_secrets(&other.stderr(), &secrets);
    });
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_grant() {
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(&org, &team_env(&org, state.path()), free_port(), "refresh");
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let (status, first) = refresh(&server, &client, &person.refresh_token).await;
        assert_eq!(status, 200, "{first}");
        let rotated = first["refresh_token"].as_str().unwrap().to_owned();
        let access = first["access_token"].as_str().unwrap().to_owned();
        assert_ne!(rotated, person.refresh_token, "rotated");
        let mut mcp = McpHttp::new(&server, Some(&access));
        mcp.initialize().await;
        assert!(!mcp.tool_names().await.is_empty());
        // Another client cannot use it.
        let (status, _) = refresh(&server, "someone-else", &rotated).await;
        assert_eq!(status, 400);
        // The first refresh token again: reuse, so the whole grant ends.
        let (status, reused) = refresh(&server, &client, &person.refresh_token).await;
        assert_eq!(status, 400);
        assert_eq!(reused["error"], "invalid_grant");
        let (status, _) = refresh(&server, &client, &rotated).await;
        assert_eq!(status, 400, "the rotated token died with its grant");
        let answer = mcp.request("tools/list", json!({})).await;
        assert_eq!(answer.status, 401, "the access token died with its grant");

        // A code redeemed twice: refused, and the grant it started ends (RFC 6749 §4.1.2).
        let replayed = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let (code, verifier) = (&replayed.secrets[0], &replayed.secrets[2]);
        let response = http()
            .post(format!("{}/token", server.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("client_id", client.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let mut replayed_mcp = McpHttp::new(&server, Some(&replayed.access_token));
        assert_eq!(
            replayed_mcp.request("tools/list", json!({})).await.status,
            401
        );

        // RFC 7009 revocation of a fresh grant's refresh token.
        let again = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let response = http()
            .post(format!("{}/revoke", server.base))
            .form(&[
                ("token", again.refresh_token.as_str()),
                ("client_id", client.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut revoked = McpHttp::new(&server, Some(&again.access_token));
        assert_eq!(revoked.request("tools/list", json!({})).await.status, 401);

        let mut secrets = secrets_of(&server, &[&person, &again, &replayed]);
        secrets.push(("rotated refresh token", rotated));
        secrets.push(("refreshed access token", access));
        assert_no_secrets(&server.stderr(), &secrets);
    });
}

#[test]
fn restart_keeps_people_signed_in_and_sessions_revoke_ends_one_persons_access() {
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let env = team_env(&org, state.path());
    let port = free_port();
    let mut server = TeamServer::start(&org, &env, port, "restart");
    let (admin, desk) = org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let admin = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let desk = sign_in(
            &org,
            &server,
            &client,
            REDIRECT,
            HELP_DESK,
            Some(HELP_DESK_SCOPES),
        )
        .await;
        (admin, desk)
    });
    let first_log = server.stderr();
    server.stop();
    // Restarted with a rotated state key: the old one still opens what it sealed.
    let env = with_env(
        &with_env(&env, "OKTA_MCP_STATE_KEY", NEXT_STATE_KEY),
        "OKTA_MCP_STATE_KEY_PREVIOUS",
        STATE_KEY,
    );
    let server = TeamServer::start(&org, &env, port, "restart-2");
    org.block_on(async {
        for person in [&admin, &desk] {
            let mut mcp = McpHttp::new(&server, Some(&person.access_token));
            mcp.initialize().await;
            let users = mcp.call("list_users", json!({"limit": 1})).await;
            assert_eq!(
                users.body["result"]["isError"], false,
                "after restart: {users:?}"
            );
        }
    });

    // Each person's Okta tokens were re-sealed with the new key when used.
    let key_id = |key: &str| {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .unwrap();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let db = rusqlite::Connection::open(state.path().join("state.sqlite3")).unwrap();
    let sealed: Vec<String> = db
        .prepare("SELECT CAST(value AS TEXT) FROM records WHERE kind = 'upstream'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(sealed.len(), 2);
    for value in &sealed {
        assert!(
            value.starts_with(&format!("v1.{}.", key_id(NEXT_STATE_KEY))),
            "re-sealed"
        );
    }
    let listed = support::run(&env, &["sessions", "list", "--json"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("sessions JSON");
    let logins: Vec<&str> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["login"].as_str().unwrap())
        .collect();
    assert!(
        logins.contains(&SUPER) && logins.contains(&HELP_DESK),
        "{listed}"
    );
    let text = listed.to_string();
    assert!(!text.contains(&admin.access_token) && !text.contains(&admin.refresh_token));

    let revocations_before = org.sandbox.oauth().counters().revocations;
    let revoked = support::run(&env, &["sessions", "revoke", HELP_DESK]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert!(
        org.sandbox.oauth().counters().revocations > revocations_before,
        "the person's Okta tokens were revoked at the org"
    );
    org.block_on(async {
        let mut desk_mcp = McpHttp::new(&server, Some(&desk.access_token));
        assert_eq!(desk_mcp.request("tools/list", json!({})).await.status, 401);
        let (status, _) = refresh(&server, &desk.client_id, &desk.refresh_token).await;
        assert_eq!(status, 400);
        let mut admin_mcp = McpHttp::new(&server, Some(&admin.access_token));
        admin_mcp.initialize().await;
        assert!(
            !admin_mcp.tool_names().await.is_empty(),
            "the other person is unaffected"
        );
    });
    let revocation = journal(state.path())
        .into_iter()
        .find(|r| r["event"] == "revocation" && r["user_login"] == HELP_DESK)
        .expect("the revocation is journaled");
    assert_eq!(revocation["error_code"], "revoked_by_operator");
    let secrets = secrets_of(&server, &[&admin, &desk]);
    assert_no_secrets(
        &std::fs::read_to_string(state.path().join("audit.jsonl")).unwrap(),
        &secrets,
    );
    assert_no_secrets(&first_log, &secrets);
    assert_no_secrets(&server.stderr(), &secrets);
    assert_no_secrets(&String::from_utf8_lossy(&revoked.stderr), &secrets);
}

/// Serves client metadata documents on loopback: `/good.json` names itself, `/liar.json`
/// claims another client's URL.
async fn serve_documents() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let good = json!({
        "client_id": format!("{base}/good.json"),
        "client_name": "metadata document client",
        "redirect_uris": [REDIRECT],
    });
    let liar = json!({
        "client_id": "https://claude.ai/oauth/client.json",
        "redirect_uris": [REDIRECT],
    });
    let app = axum::Router::new()
        .route(
            "/good.json",
            axum::routing::get(move || async move { axum::Json(good) }),
        )
        .route(
            "/liar.json",
            axum::routing::get(move || async move { axum::Json(liar) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[test]
fn client_metadata_documents_identify_clients() {
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(&org, &team_env(&org, state.path()), free_port(), "cimd");
    org.block_on(async {
        let documents = serve_documents().await;
        let client_id = format!("{documents}/good.json");
        let person = sign_in(&org, &server, &client_id, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&server, Some(&person.access_token));
        mcp.initialize().await;
        assert!(!mcp.tool_names().await.is_empty());

        for (what, client_id, redirect) in [
            (
                "a document naming another client",
                format!("{documents}/liar.json"),
                REDIRECT,
            ),
            (
                "a document that does not exist",
                format!("{documents}/missing.json"),
                REDIRECT,
            ),
            (
                "a redirect URI the document does not list",
                client_id.clone(),
                "http://127.0.0.1:9/elsewhere",
            ),
        ] {
            let mut url = url::Url::parse(&format!("{}/authorize", server.base)).unwrap();
            url.query_pairs_mut()
                .append_pair("response_type", "code")
                .append_pair("client_id", &client_id)
                .append_pair("redirect_uri", redirect)
                .append_pair("code_challenge", &"a".repeat(43))
                .append_pair("code_challenge_method", "S256");
            let response = http().get(url).send().await.unwrap();
            assert_eq!(response.status(), 400, "{what}");
            assert!(
                response.headers().get("location").is_none(),
                "{what}: never redirected"
            );
        }
        assert_no_secrets(&server.stderr(), &secrets_of(&server, &[&person]));
    });
}

#[test]
fn a_persons_okta_token_is_refreshed_once_however_many_calls_wait() {
    let org = TestOrg::start();
    let web = org.sandbox.web_client().client_id.clone();
    // Okta tokens that live 64 s: 4 s after sign-in they are inside the 60 s safety margin.
    org.sandbox
        .oauth()
        .set_client_access_token_ttl(&web, Some(std::time::Duration::from_secs(64)));
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(&org, &team_env(&org, state.path()), free_port(), "flight");
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&server, Some(&person.access_token));
        mcp.initialize().await;
        assert_eq!(org.sandbox.oauth().refresh_grants_for(SUPER), 0);
        // Eight sessions ready, then the token ages into the margin and refreshes are slow
        // (300 ms at the org), so the eight calls really wait on one another.
        let mut sessions = Vec::new();
        for _ in 0..8 {
            let mut session = McpHttp::new(&server, Some(&person.access_token));
            session.initialize().await;
            sessions.push(session);
        }
        // A first call: the client's rate-limit view learns the endpoint's window, so the
        // eight below are sent together rather than behind one probe.
        let first = sessions[0].call("list_users", json!({"limit": 1})).await;
        assert_eq!(first.body["result"]["isError"], false, "{first:?}");
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        org.sandbox.faults().update(|config| {
            config.rules.push(
                okta_sandbox::faults::FaultRule::new(
                    "/oauth2/v1/token",
                    okta_sandbox::faults::Fault::Latency(std::time::Duration::from_millis(300)),
                )
                .method("POST"),
            )
        });
        let calls = sessions
            .iter_mut()
            .map(|session| session.call("list_users", json!({"limit": 1})));
        for answer in futures::future::join_all(calls).await {
            assert_eq!(answer.body["result"]["isError"], false, "{answer:?}");
        }
        assert_eq!(
            org.sandbox.oauth().refresh_grants_for(SUPER),
            1,
            "one refresh for eight waiting calls"
        );
        assert_no_secrets(&server.stderr(), &secrets_of(&server, &[&person]));
    });
}

/// The org's token endpoint answers a refresh with a 503: the refresh token is not sent a
/// second time (Okta may have used it before failing, and a second use would be reuse),
/// the call fails saying so, and the next call refreshes with what the store holds.
#[test]
fn a_refresh_the_org_answered_with_a_5xx_is_not_sent_again() {
    let org = TestOrg::start();
    let web = org.sandbox.web_client().client_id.clone();
    // Okta tokens that live 61 s: 2 s after sign-in they are inside the 60 s safety margin.
    org.sandbox
        .oauth()
        .set_client_access_token_ttl(&web, Some(std::time::Duration::from_secs(61)));
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(
        &org,
        &team_env(&org, state.path()),
        free_port(),
        "no-resend",
    );
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&server, Some(&person.access_token));
        mcp.initialize().await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let oauth = org.sandbox.oauth();
        let before = oauth.token_calls("refresh_token");
        oauth.fail_next_refreshes(1);
        let failed = mcp.call("list_users", json!({"limit": 1})).await;
        let result = &failed.body["result"];
        assert_eq!(result["isError"], true, "{failed:?}");
        assert_eq!(
            oauth.token_calls("refresh_token") - before,
            1,
            "the refresh token was sent once: {failed:?}"
        );
        let message = result["structuredContent"]["message"].as_str().unwrap();
        assert!(
            message.contains("503") && message.contains("not sent twice"),
            "{message}"
        );
        let again = mcp.call("list_users", json!({"limit": 1})).await;
        assert_eq!(again.body["result"]["isError"], false, "{again:?}");
        assert_eq!(oauth.token_calls("refresh_token") - before, 2);
        assert_eq!(oauth.refresh_grants_for(SUPER), 1, "one refresh redeemed");
        assert_no_secrets(&server.stderr(), &secrets_of(&server, &[&person]));
    });
}

#[test]
fn the_web_app_may_authenticate_with_private_key_jwt() {
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let env = team_env_private_key(&org, state.path());
    let server = TeamServer::start(&org, &env, free_port(), "jwt");
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, HELP_DESK, None).await;
        let mut mcp = McpHttp::new(&server, Some(&person.access_token));
        mcp.initialize().await;
        let users = mcp.call("list_users", json!({"limit": 1})).await;
        assert_eq!(users.body["result"]["isError"], false, "{users:?}");
        assert_no_secrets(&server.stderr(), &secrets_of(&server, &[&person]));
    });
}
