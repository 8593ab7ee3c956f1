//! `/api/v1/users/{userId}/factors`: a user's enrolled MFA factors, listed, read one by
//! one, and unenrolled (DELETE, what the Admin Console calls "reset factor"), with Okta's
//! rules: no unenrolling for a deactivated user, and removing Okta Verify push takes the
//! Okta Verify TOTP with it. Resetting them all is the user lifecycle's `reset_factors`.

use super::AppState;
use super::audit::{self, Audit};
use crate::error::ApiError;
use crate::org::Org;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/{id}/factors", get(list))
        .route(
            "/api/v1/users/{id}/factors/{factorId}",
            get(get_one).delete(unenroll),
        )
}

fn find_user(org: &Org, id_or_login: &str) -> Result<String, ApiError> {
    org.find_user_id(id_or_login)
        .ok_or_else(|| ApiError::not_found(id_or_login, "User"))
}

/// GET /api/v1/users/{userId}/factors: every enrolled factor in enrollment order, one page.
async fn list(
    State(state): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let org = state.org.read();
    let id = find_user(&org, &user)?;
    Ok(Json(org.factors.get(&id).cloned().unwrap_or_default()))
}

/// GET /api/v1/users/{userId}/factors/{factorId}
async fn get_one(
    State(state): State<AppState>,
    Path((user, factor)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    let id = find_user(&org, &user)?;
    org.factors
        .get(&id)
        .and_then(|factors| factors.iter().find(|f| f["id"] == factor.as_str()))
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&factor, "UserFactor"))
}

/// Whether unenrolling `removed` also unenrolls `other`: Okta Verify's push and its TOTP
/// are one enrollment, so removing the push removes the OKTA TOTP too.
fn goes_with(removed: &Value, other: &Value) -> bool {
    removed["factorType"] == "push"
        && removed["provider"] == "OKTA"
        && other["factorType"] == "token:software:totp"
        && other["provider"] == "OKTA"
}

/// DELETE /api/v1/users/{userId}/factors/{factorId}?removeRecoveryEnrollment=: 204.
async fn unenroll(
    State(state): State<AppState>,
    audit: Audit,
    Path((user, factor)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    let id = find_user(&org, &user)?;
    let Some(removed) = org
        .factors
        .get(&id)
        .and_then(|factors| factors.iter().find(|f| f["id"] == factor.as_str()))
        .cloned()
    else {
        return Err(ApiError::not_found(&factor, "UserFactor"));
    };
    if org.users[&id]["status"] == "DEPROVISIONED" {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        ));
    }
    if let Some(factors) = org.factors.get_mut(&id) {
        factors.retain(|f| f["id"] != removed["id"] && !goes_with(&removed, f));
        if factors.is_empty() {
            org.factors.remove(&id);
        }
    }
    let target = audit::user(&org.users[&id]);
    audit.record(
        &mut org,
        "user.mfa.factor.deactivate",
        "Reset factor for user",
        vec![target],
    );
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestOrg;
    use crate::SandboxConfig;
    use reqwest::Method;
    use serde_json::{Value, json};

    async fn call(org: &TestOrg, method: Method, path: &str) -> (u16, Value) {
        let response = org.send(method, path, None).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A seeded user with factors whose status passes `status`.
    fn enrolled_user(org: &TestOrg, status: impl Fn(&str) -> bool) -> (String, Vec<Value>) {
        org.org
            .users()
            .iter()
            .filter(|u| status(u["status"].as_str().unwrap()))
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .map(|id| {
                let factors = org.org.factors(&id);
                (id, factors)
            })
            .find(|(_, f)| f.iter().any(|f| f["factorType"] == "push") && f.len() >= 3)
            .expect("a seeded user with Okta Verify and another factor")
    }

    #[tokio::test]
    async fn factors_list_read_and_unenroll_as_okta_does() {
        let org = TestOrg::start(SandboxConfig::default()).await;
        let (user, factors) = enrolled_user(&org, |_| true);
        let path = format!("/api/v1/users/{user}/factors");
        let (s, listed) = call(&org, Method::GET, &path).await;
        assert_eq!(s, 200);
        assert_eq!(listed, json!(factors));
        let (s, unknown) = call(&org, Method::GET, "/api/v1/users/00unobody/factors").await;
        assert_eq!((s, unknown["errorCode"].as_str()), (404, Some("E0000007")));

        let email = factors.iter().find(|f| f["factorType"] == "email").unwrap();
        let one = format!("{path}/{}", email["id"].as_str().unwrap());
        let (s, got) = call(&org, Method::GET, &one).await;
        assert_eq!((s, &got), (200, email));
        assert_eq!(call(&org, Method::DELETE, &one).await.0, 204);
        let (s, gone) = call(&org, Method::DELETE, &one).await;
        assert_eq!((s, gone["errorCode"].as_str()), (404, Some("E0000007")));
        assert!(
            gone["errorSummary"]
                .as_str()
                .unwrap()
                .contains("(UserFactor)")
        );

        // Removing Okta Verify push takes its TOTP along; other factors stay.
        let push = factors.iter().find(|f| f["factorType"] == "push").unwrap();
        let push_path = format!("{path}/{}", push["id"].as_str().unwrap());
        assert_eq!(call(&org, Method::DELETE, &push_path).await.0, 204);
        let left: Vec<String> = org
            .org
            .factors(&user)
            .iter()
            .map(|f| f["factorType"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = factors
            .iter()
            .map(|f| f["factorType"].as_str().unwrap().to_owned())
            .filter(|t| !["email", "push", "token:software:totp"].contains(&t.as_str()))
            .collect();
        assert_eq!(left, expected);
        let events: Vec<Value> = org.org.log_events();
        let resets = events
            .iter()
            .filter(|e| e["eventType"] == "user.mfa.factor.deactivate")
            .count();
        assert!(resets >= 2);
    }

    #[tokio::test]
    async fn reset_factors_clears_every_enrollment_and_deactivated_users_keep_theirs() {
        let org = TestOrg::start(SandboxConfig::default()).await;
        let (user, _) = enrolled_user(&org, |s| s == "ACTIVE");
        let reset = |id: &str| format!("/api/v1/users/{id}/lifecycle/reset_factors");
        assert_eq!(call(&org, Method::POST, &reset(&user)).await.0, 200);
        assert!(org.org.factors(&user).is_empty());
        let (locked, factors) = enrolled_user(&org, |s| s != "ACTIVE");
        let (s, refused) = call(&org, Method::POST, &reset(&locked)).await;
        assert_eq!((s, refused["errorCode"].as_str()), (400, Some("E0000001")));
        assert_eq!(org.org.factors(&locked), factors);

        let (other, others) = org
            .org
            .users()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .filter(|id| *id != user)
            .map(|id| {
                let f = org.org.factors(&id);
                (id, f)
            })
            .find(|(_, f)| !f.is_empty())
            .unwrap();
        let deactivate = format!("/api/v1/users/{other}/lifecycle/deactivate");
        assert_eq!(call(&org, Method::POST, &deactivate).await.0, 200);
        let one = format!(
            "/api/v1/users/{other}/factors/{}",
            others[0]["id"].as_str().unwrap()
        );
        let (s, refused) = call(&org, Method::DELETE, &one).await;
        assert_eq!((s, refused["errorCode"].as_str()), (403, Some("E0000038")));
        assert_eq!(org.org.factors(&other), others);
    }

    #[tokio::test]
    async fn lifecycle_one_time_secrets_follow_the_spec() {
        let org = TestOrg::start(SandboxConfig::default()).await;
        let active = org
            .org
            .users()
            .into_iter()
            .find(|u| u["status"] == "ACTIVE" && !u["id"].as_str().unwrap().starts_with("00uzzz"))
            .unwrap();
        let id = active["id"].as_str().unwrap();
        let op = |name: &str| format!("/api/v1/users/{id}/lifecycle/{name}");

        let (s, temp) = call(
            &org,
            Method::POST,
            &format!(
                "{}?revokeSessions=true",
                op("expire_password_with_temp_password")
            ),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(temp.as_object().unwrap().len(), 1, "{temp}");
        assert!(temp["tempPassword"].as_str().unwrap().len() >= 8);
        assert_eq!(org.org.user(id).unwrap()["status"], "PASSWORD_EXPIRED");
        // The older spelling answers the same way; without it the user comes back.
        let (_, legacy) = call(
            &org,
            Method::POST,
            &format!("{}?tempPassword=true", op("expire_password")),
        )
        .await;
        assert!(legacy["tempPassword"].is_string(), "{legacy}");
        assert_ne!(legacy["tempPassword"], temp["tempPassword"]);
        let (_, user) = call(&org, Method::POST, &op("expire_password")).await;
        assert_eq!(user["status"], "PASSWORD_EXPIRED");

        // Reactivation restarts an unfinished activation, without email unless asked.
        let provisioned = org
            .org
            .users()
            .into_iter()
            .find(|u| u["status"] == "PROVISIONED")
            .unwrap();
        let pid = provisioned["id"].as_str().unwrap();
        let reactivate = format!("/api/v1/users/{pid}/lifecycle/reactivate");
        let (s, token) = call(&org, Method::POST, &reactivate).await;
        assert_eq!(s, 200);
        assert!(
            token["activationUrl"]
                .as_str()
                .unwrap()
                .contains(token["activationToken"].as_str().unwrap())
        );
        assert_eq!(org.org.user(pid).unwrap()["status"], "PROVISIONED");
        let (s, emailed) = call(&org, Method::POST, &format!("{reactivate}?sendEmail=true")).await;
        assert_eq!((s, emailed), (200, json!({})));
        let (s, refused) = call(&org, Method::POST, &op("reactivate")).await;
        assert_eq!((s, refused["errorCode"].as_str()), (403, Some("E0000038")));
    }
}
