//! Who reaches an app, as Okta answers it: users assigned directly (app user scope `USER`,
//! stored) and members of the groups assigned to it (scope `GROUP`, made from the
//! memberships as they are now, so adding someone to an assigned group gives them the app
//! with no bookkeeping elsewhere). Also `GET /api/v1/users/{id}/appLinks`, the apps a user
//! reaches either way.

use super::AppState;
use crate::error::ApiError;
use crate::ids::base62;
use crate::org::Org;
use crate::seed::apps::app_user;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/users/{id}/appLinks", get(app_links))
}

impl Org {
    /// The app users of `app_id` by user id: the stored ones, then members of assigned groups
    /// (lowest priority first) as scope `GROUP`. A stored `GROUP` entry (a group member's
    /// profile or credentials set by update) lasts only while a group still gives the app.
    pub fn effective_app_users(&self, app_id: &str) -> BTreeMap<String, Value> {
        let mut through_groups: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: Vec<(&String, &Value)> = self
            .app_groups
            .get(app_id)
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        groups.sort_by_key(|(_, g)| g["priority"].as_u64().unwrap_or(u64::MAX));
        for (group_id, assignment) in groups {
            let Some(members) = self.memberships.get(group_id) else {
                continue;
            };
            for user_id in members {
                let Some(user) = self.users.get(user_id) else {
                    continue;
                };
                if through_groups.contains_key(user_id) || user["status"] == "DEPROVISIONED" {
                    continue;
                }
                let login = user["profile"]["login"].as_str().unwrap_or_default();
                let since = assignment["lastUpdated"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
                let mut member = app_user(&self.base_url, app_id, user_id, login, "GROUP", since);
                member["_links"]["group"] = json!({
                    "name": self.groups.get(group_id).map(|g| g["profile"]["name"].clone()),
                    "href": format!("{}/api/v1/groups/{group_id}", self.base_url),
                });
                through_groups.insert(user_id.clone(), member);
            }
        }
        let mut out = BTreeMap::new();
        if let Some(stored) = self.app_users.get(app_id) {
            for (user_id, assigned) in stored {
                if assigned["scope"] == "GROUP" {
                    let Some(member) = through_groups.get(user_id) else {
                        continue;
                    };
                    let mut assigned = assigned.clone();
                    assigned["_links"]["group"] = member["_links"]["group"].clone();
                    out.insert(user_id.clone(), assigned);
                } else {
                    out.insert(user_id.clone(), assigned.clone());
                }
            }
        }
        for (user_id, member) in through_groups {
            out.entry(user_id).or_insert(member);
        }
        out
    }
}

/// GET /api/v1/users/{id}/appLinks: a link per active app the user reaches, directly or
/// through a group, in app id order.
async fn app_links(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    let user_id = org
        .find_user_id(&id)
        .ok_or_else(|| ApiError::not_found(&id, "User"))?;
    let mut links_out = Vec::new();
    for (app_id, app) in &org.apps {
        if app["status"] != "ACTIVE" {
            continue;
        }
        let users = org.effective_app_users(app_id);
        if !users.contains_key(&user_id) {
            continue;
        }
        let name = app["name"].as_str().unwrap_or_default();
        links_out.push(json!({
            "id": user_id,
            "label": app["label"],
            "linkUrl": format!("{}/home/{name}/{app_id}/link", org.base_url),
            "logoUrl": format!("{}/assets/img/logos/{name}.png", org.base_url),
            "appName": name,
            "appInstanceId": app_id,
            "appAssignmentId": assignment_id(app_id, &user_id),
            "credentialsSetup": false,
            "hidden": app["visibility"]["hide"]["web"].as_bool().unwrap_or(false),
            "sortOrder": links_out.len(),
        }));
    }
    Ok(Json(Value::Array(links_out)))
}

/// A stable `0ua…` id for one (app, user) assignment, as Okta names app user assignments.
fn assignment_id(app_id: &str, user_id: &str) -> String {
    use rand::SeedableRng;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{app_id}/{user_id}").as_bytes());
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&digest);
    let mut rng = rand::rngs::StdRng::from_seed(seed);
    format!("0ua{}", base62(&mut rng, 17))
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestOrg;
    use crate::SandboxConfig;
    use reqwest::Method;
    use serde_json::{Value, json};

    async fn call(org: &TestOrg, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = org.send(method, path, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn group_members_reach_the_app_until_assigned_directly_or_the_group_goes() {
        let org = TestOrg::start(SandboxConfig {
            users: 30,
            log_events: 10,
            ..SandboxConfig::default()
        })
        .await;
        let app = org
            .org
            .apps()
            .into_iter()
            .find(|a| a["signOnMode"] == "BROWSER_PLUGIN")
            .unwrap();
        let app_id = app["id"].as_str().unwrap().to_owned();
        let direct: Vec<String> = org
            .org
            .app_users(&app_id)
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        let (group_id, member) = org
            .org
            .groups()
            .into_iter()
            .filter(|g| g["type"] == "OKTA_GROUP")
            .find_map(|g| {
                let id = g["id"].as_str().unwrap().to_owned();
                let member = org.org.group_members(&id).into_iter().find(|m| {
                    m["status"] == "ACTIVE"
                        && !direct.contains(&m["id"].as_str().unwrap().to_owned())
                })?;
                Some((id, member["id"].as_str().unwrap().to_owned()))
            })
            .unwrap();
        let path = format!("/api/v1/apps/{app_id}");
        let (s, _) = call(
            &org,
            Method::PUT,
            &format!("{path}/groups/{group_id}"),
            Some(json!({})),
        )
        .await;
        assert_eq!(s, 200);
        let (s, got) = call(&org, Method::GET, &format!("{path}/users/{member}"), None).await;
        assert_eq!((s, got["scope"].as_str()), (200, Some("GROUP")), "{got}");
        let (_, links) = call(
            &org,
            Method::GET,
            &format!("/api/v1/users/{member}/appLinks"),
            None,
        )
        .await;
        assert!(
            links
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["appInstanceId"] == json!(app_id)),
            "{links}"
        );

        // A group member cannot be unassigned alone.
        let (s, refused) = call(
            &org,
            Method::DELETE,
            &format!("{path}/users/{member}"),
            None,
        )
        .await;
        assert_eq!(s, 400, "{refused}");
        assert!(refused.to_string().contains("through a group"), "{refused}");

        // Assigned directly (with a password: kept, never answered), they keep it when the group goes.
        let body = json!({"id": member, "credentials": {"userName": "m", "password": {"value": "Pw-123456"}}});
        let (s, assigned) = call(&org, Method::POST, &format!("{path}/users"), Some(body)).await;
        assert_eq!(
            (s, assigned["scope"].as_str()),
            (200, Some("USER")),
            "{assigned}"
        );
        assert_eq!(assigned["credentials"]["password"], json!({}));
        assert!(!assigned.to_string().contains("Pw-123456"));
        let (s, _) = call(
            &org,
            Method::DELETE,
            &format!("{path}/groups/{group_id}"),
            None,
        )
        .await;
        assert_eq!(s, 204);
        let (_, got) = call(&org, Method::GET, &format!("{path}/users/{member}"), None).await;
        assert_eq!(got["scope"], "USER", "{got}");
        let (s, _) = call(
            &org,
            Method::DELETE,
            &format!("{path}/users/{member}"),
            None,
        )
        .await;
        assert_eq!(s, 204);
        let (s, _) = call(&org, Method::GET, &format!("{path}/users/{member}"), None).await;
        assert_eq!(s, 404);
        let (_, links) = call(
            &org,
            Method::GET,
            &format!("/api/v1/users/{member}/appLinks"),
            None,
        )
        .await;
        assert!(
            !links
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["appInstanceId"] == json!(app_id))
        );
        let (s, _) = call(&org, Method::GET, "/api/v1/users/00uNobody/appLinks", None).await;
        assert_eq!(s, 404);
    }
}
