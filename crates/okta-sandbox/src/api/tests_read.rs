//! Read-side API tests over loopback HTTP with a fake bearer check.

use super::testing::{TestOrg, next_link};
use crate::SandboxConfig;
use crate::filter::{self, Dialect};
use serde_json::Value;
use std::collections::HashSet;

async fn org() -> TestOrg {
    TestOrg::start(SandboxConfig::default()).await
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn search_returns_exactly_the_seeded_matches() {
    let org = org().await;
    let expected: Vec<String> = org
        .org
        .users()
        .into_iter()
        .filter(|u| u["profile"]["department"] == "Engineering" && u["status"] == "ACTIVE")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    assert!(!expected.is_empty());
    let (items, _) = org
        .collect_pages(&format!(
            "/api/v1/users?search={}",
            enc(r#"profile.department eq "engineering" and status eq "ACTIVE""#)
        ))
        .await;
    assert_eq!(ids(&items), expected);
}

#[tokio::test]
async fn user_pages_are_disjoint_and_cover_all_listed_users() {
    let org = org().await;
    let expected: HashSet<String> = org
        .org
        .users()
        .into_iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    let (items, pages) = org.collect_pages("/api/v1/users?limit=20").await;
    let got = ids(&items);
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "pages overlap");
    assert_eq!(unique, expected);
    assert_eq!(pages, expected.len().div_ceil(20));
}

#[tokio::test]
async fn link_headers_are_absolute_and_keep_the_query() {
    let org = org().await;
    let response = org
        .get("/api/v1/users?limit=20&filter=status%20eq%20%22ACTIVE%22")
        .await;
    let links: Vec<String> = response
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    assert!(
        links[0].starts_with(&format!("<{}/api/v1/users?limit=20&filter=", org.url)),
        "{links:?}"
    );
    assert!(links[0].ends_with("rel=\"self\""));
    let next = next_link(response.headers()).expect("next link");
    assert!(next.starts_with(&format!(
        "{}/api/v1/users?limit=20&filter=status+eq+%22ACTIVE%22&after=",
        org.url
    )));
}

#[tokio::test]
async fn q_is_a_prefix_match_without_paging() {
    let org = org().await;
    let first = org.org.users()[3]["profile"]["firstName"]
        .as_str()
        .unwrap()
        .to_owned();
    let prefix = &first[..2];
    let response = org
        .get(&format!(
            "/api/v1/users?q={}&limit=200",
            prefix.to_lowercase()
        ))
        .await;
    assert!(next_link(response.headers()).is_none());
    let items: Vec<Value> = response.json().await.unwrap();
    let p = prefix.to_lowercase();
    let expected: Vec<String> = org
        .org
        .users()
        .into_iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .filter(|u| {
            ["firstName", "lastName", "email"].iter().any(|f| {
                u["profile"][f]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
                    .starts_with(&p)
            })
        })
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids(&items), expected);
}

#[tokio::test]
async fn bad_filter_is_a_400_with_okta_body() {
    let org = org().await;
    for query in [
        format!("/api/v1/users?filter={}", enc("status eq ACTIVE")),
        format!("/api/v1/users?search={}", enc(r#"status ne "STAGED""#)),
        format!("/api/v1/users?filter={}", enc(r#"profile.city eq "Paris""#)),
        format!("/api/v1/groups?filter={}", enc(r#"profile.name co "x""#)),
    ] {
        let response = org.get(&query).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000031", "{query}");
        assert_eq!(body["errorSummary"], "Invalid search criteria.");
        assert!(body["errorId"].is_string() && body["errorCauses"].is_array());
    }
    let response = org
        .get(&format!("/api/v1/logs?filter={}", enc("eventType eq")))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000001");
}

#[tokio::test]
async fn unknown_ids_are_404_e0000007() {
    let org = org().await;
    let response = org.get("/api/v1/users/00unknown").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000007");
    assert_eq!(
        body["errorSummary"],
        "Not found: Resource not found: 00unknown (User)"
    );
    let response = org.get("/api/v1/groups/00gnope/users").await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn user_by_login_matches_user_by_id() {
    let org = org().await;
    let id = org.org.users()[5]["id"].as_str().unwrap().to_owned();
    let user = org.org.user(&id).unwrap();
    assert!(user["_links"]["deactivate"].is_object() || user["_links"]["activate"].is_object());
    let by_login: Value = org
        .get(&format!(
            "/api/v1/users/{}",
            user["profile"]["login"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_login, user);
}

#[tokio::test]
async fn group_search_filter_and_members() {
    let org = org().await;
    let groups = org.org.groups();
    let app_groups: Vec<String> = groups
        .iter()
        .filter(|g| g["type"] == "APP_GROUP")
        .filter_map(|g| g["id"].as_str().map(str::to_owned))
        .collect();
    let (items, _) = org
        .collect_pages(&format!(
            "/api/v1/groups?limit=3&filter={}",
            enc(r#"type eq "APP_GROUP""#)
        ))
        .await;
    assert_eq!(ids(&items), app_groups);

    let eng = groups
        .iter()
        .find(|g| g["profile"]["name"] == "Engineering")
        .unwrap();
    let eng_id = eng["id"].as_str().unwrap();
    let (members, _) = org
        .collect_pages(&format!("/api/v1/groups/{eng_id}/users?limit=7"))
        .await;
    assert_eq!(members, org.org.group_members(eng_id));
    assert!(
        members
            .iter()
            .all(|m| m["profile"]["department"] == "Engineering")
    );

    let found: Vec<Value> = org.get("/api/v1/groups?q=eng").await.json().await.unwrap();
    assert!(found.iter().any(|g| g["id"] == eng["id"]));
    assert!(found.iter().all(|g| {
        g["profile"]["name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with("eng")
    }));

    let stats: Value = org
        .get(&format!("/api/v1/groups/{eng_id}?expand=stats"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["_embedded"]["stats"]["usersCount"], members.len());
}

#[tokio::test]
async fn logs_filter_with_window_returns_exactly_the_matching_events() {
    let org = org().await;
    let events = org.org.log_events();
    let since = events[1000]["published"].as_str().unwrap().to_owned();
    let until = events[4000]["published"].as_str().unwrap().to_owned();
    let expected: Vec<String> = events
        .iter()
        .filter(|e| {
            let p = e["published"].as_str().unwrap();
            p >= since.as_str() && p < until.as_str() && e["outcome"]["result"] == "DENY"
        })
        .filter_map(|e| e["uuid"].as_str().map(str::to_owned))
        .collect();
    assert!(!expected.is_empty());
    let (items, _) = org
        .collect_pages(&format!(
            "/api/v1/logs?since={}&until={}&filter={}&limit=7",
            enc(&since),
            enc(&until),
            enc(r#"outcome.result eq "DENY""#)
        ))
        .await;
    let got: Vec<String> = items
        .iter()
        .filter_map(|e| e["uuid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn logs_default_window_order_and_limit() {
    let org = org().await;
    let response = org.get("/api/v1/logs").await;
    assert_eq!(response.status(), 200);
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(page.len(), 100);
    let first = org.org.log_events();
    assert_eq!(page[0], first[0]);
    let desc: Vec<Value> = org
        .get("/api/v1/logs?sortOrder=DESCENDING&limit=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(desc[0], *first.last().unwrap());
    let (all, _) = org.collect_pages("/api/v1/logs?limit=1000").await;
    assert_eq!(all.len(), first.len());
    let bad = org.get("/api/v1/logs?since=yesterday").await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000030");
    assert_eq!(
        org.get("/api/v1/logs?sortOrder=SIDEWAYS").await.status(),
        400
    );
}

#[tokio::test]
async fn logs_keyword_search() {
    let org = org().await;
    let expr =
        filter::compile(r#"eventType eq "user.account.lock""#, &Dialect::LOGS_FILTER).unwrap();
    let expected = org
        .org
        .log_events()
        .into_iter()
        .filter(|e| filter::matches(&expr, e, false))
        .count();
    let (items, _) = org
        .collect_pages("/api/v1/logs?q=MAX%20attempts&limit=1000")
        .await;
    assert_eq!(items.len(), expected);
}

#[tokio::test]
async fn bearer_rejections_use_okta_bodies_and_manage_implies_read() {
    let org = org().await;
    let response = org
        .http
        .get(format!("{}/api/v1/users", org.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000011");

    let with = |scopes: &str| {
        org.http
            .get(format!("{}/api/v1/users", org.url))
            .bearer_auth(format!("scopes:{scopes}"))
            .send()
    };
    let forbidden = with("okta.groups.read").await.unwrap();
    assert_eq!(forbidden.status(), 403);
    let body: Value = forbidden.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000006");
    assert_eq!(with("okta.users.manage").await.unwrap().status(), 200);
    assert_eq!(with("okta.users.read").await.unwrap().status(), 200);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let org = org().await;
    let response = org.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000007");
    let response = org.send(reqwest::Method::PATCH, "/api/v1/logs", None).await;
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000022");
}

#[tokio::test]
async fn limits_follow_the_documented_rules() {
    let org = org().await;
    let items: Vec<Value> = org
        .get("/api/v1/users?limit=5000")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        items.len(),
        200.min(
            org.org
                .users()
                .iter()
                .filter(|u| u["status"] != "DEPROVISIONED")
                .count()
        )
    );
    assert_eq!(org.get("/api/v1/users?limit=abc").await.status(), 400);
    assert_eq!(org.get("/api/v1/users?limit=-3").await.status(), 400);
    assert_eq!(org.get("/api/v1/users?after=garbage!").await.status(), 400);
}

#[tokio::test]
async fn search_sorts_by_a_field_in_either_order() {
    let org = org().await;
    let mut expected: Vec<(String, String)> = org
        .org
        .users()
        .into_iter()
        .filter(|u| u["profile"]["department"] == "Engineering")
        .map(|u| {
            (
                u["profile"]["lastName"].as_str().unwrap().to_lowercase(),
                u["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort();
    let search = enc(r#"profile.department eq "Engineering""#);
    let (asc, _) = org
        .collect_pages(&format!(
            "/api/v1/users?search={search}&sortBy=profile.lastName&limit=9"
        ))
        .await;
    assert_eq!(
        ids(&asc),
        expected
            .iter()
            .map(|(_, id)| id.clone())
            .collect::<Vec<_>>()
    );
    let (desc, _) = org
        .collect_pages(&format!(
            "/api/v1/users?search={search}&sortBy=profile.lastName&sortOrder=DESCENDING&limit=9"
        ))
        .await;
    let mut reversed = ids(&asc);
    reversed.reverse();
    assert_eq!(ids(&desc), reversed);
}

#[tokio::test]
async fn app_groups_are_searchable_by_source_and_expand_their_app() {
    let org = org().await;
    let app_group = org
        .org
        .groups()
        .into_iter()
        .find(|g| g["type"] == "APP_GROUP")
        .unwrap();
    let source = app_group["_links"]["source"]["href"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (found, _) = org
        .collect_pages(&format!(
            "/api/v1/groups?search={}",
            enc(&format!(r#"source.id eq "{source}""#))
        ))
        .await;
    let expected: Vec<String> = org
        .org
        .groups()
        .into_iter()
        .filter(|g| g["type"] == "APP_GROUP")
        .filter_map(|g| g["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids(&found), expected);
    let gid = app_group["id"].as_str().unwrap();
    let expanded: Value = org
        .get(&format!("/api/v1/groups/{gid}?expand=app"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(expanded["_embedded"]["app"]["id"], source.as_str());
}

#[tokio::test]
async fn users_search_by_type_id_and_dates() {
    let org = org().await;
    let users = org.org.users();
    let type_id = users[0]["type"]["id"].as_str().unwrap().to_owned();
    let (all, _) = org
        .collect_pages(&format!(
            "/api/v1/users?search={}",
            enc(&format!(r#"type.id eq "{type_id}""#))
        ))
        .await;
    assert_eq!(
        all.len(),
        users.len(),
        "search includes DEPROVISIONED users"
    );
    let pivot = users[7]["created"].as_str().unwrap().to_owned();
    let expected: Vec<String> = users
        .iter()
        .filter(|u| u["created"].as_str().unwrap() < pivot.as_str())
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    let (older, _) = org
        .collect_pages(&format!(
            "/api/v1/users?search={}",
            enc(&format!(r#"created lt "{pivot}""#))
        ))
        .await;
    assert_eq!(ids(&older), expected);
}

#[tokio::test]
async fn policies_sort_by_name_and_expand_rules() {
    let org = org().await;
    let response = org
        .get("/api/v1/policies?type=OKTA_SIGN_ON&sortBy=name&expand=rules")
        .await;
    assert_eq!(response.status(), 200);
    let policies: Vec<Value> = response.json().await.unwrap();
    let names: Vec<String> = policies
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for policy in &policies {
        let id = policy["id"].as_str().unwrap();
        assert_eq!(
            policy["_embedded"]["rules"],
            Value::Array(org.org.policy_rules(id))
        );
    }
    let (paged, pages) = org
        .collect_pages("/api/v1/policies?type=OKTA_SIGN_ON&limit=1")
        .await;
    assert_eq!(paged.len(), policies.len());
    assert_eq!(pages, policies.len());
}
