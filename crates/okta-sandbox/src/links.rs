//! `_links` objects as Okta renders them, shared by seeding and the write endpoints so a
//! resource's links always match its current state.

use serde_json::{Map, Value, json};

fn href(url: String) -> Value {
    json!({ "href": url })
}

fn post(url: String) -> Value {
    json!({ "href": url, "method": "POST" })
}

/// User links; lifecycle links depend on the status, as Okta only offers valid transitions.
pub fn user(base: &str, id: &str, status: &str, type_id: &str) -> Value {
    let user = format!("{base}/api/v1/users/{id}");
    let lifecycle = |op: &str| post(format!("{user}/lifecycle/{op}"));
    let mut links = Map::new();
    links.insert("self".into(), href(user.clone()));
    links.insert(
        "schema".into(),
        href(format!("{base}/api/v1/meta/schemas/user/default")),
    );
    links.insert(
        "type".into(),
        href(format!("{base}/api/v1/meta/types/user/{type_id}")),
    );
    match status {
        "STAGED" | "PROVISIONED" => {
            links.insert("activate".into(), lifecycle("activate"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        "SUSPENDED" => {
            links.insert("unsuspend".into(), lifecycle("unsuspend"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        "LOCKED_OUT" => {
            links.insert("unlock".into(), lifecycle("unlock"));
            links.insert("resetPassword".into(), lifecycle("reset_password"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        "DEPROVISIONED" => {
            links.insert("activate".into(), lifecycle("activate"));
        }
        _ => {
            links.insert("suspend".into(), lifecycle("suspend"));
            links.insert("resetPassword".into(), lifecycle("reset_password"));
            links.insert("expirePassword".into(), lifecycle("expire_password"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
    }
    Value::Object(links)
}

/// Links of an enrolled MFA factor: itself (GET, DELETE to unenroll), its user, and the next
/// step its status allows (verify an active factor, activate a pending one).
pub fn factor(base: &str, user_id: &str, id: &str, factor_type: &str, status: &str) -> Value {
    let user = format!("{base}/api/v1/users/{user_id}");
    let factor = format!("{user}/factors/{id}");
    let allow = |methods: &[&str]| json!({ "allow": methods });
    let mut links = json!({
        "self": {"href": factor.clone(), "hints": allow(&["GET", "DELETE"])},
        "user": {"href": user, "hints": allow(&["GET"])},
    });
    if status == "PENDING_ACTIVATION" {
        links["next"] = json!({"name": "activate", "href": format!("{factor}/lifecycle/activate"), "hints": allow(&["POST"])});
    } else if factor_type == "question" {
        links["questions"] =
            json!({"href": format!("{user}/factors/questions"), "hints": allow(&["GET"])});
    } else {
        links["verify"] = json!({"href": format!("{factor}/verify"), "hints": allow(&["POST"])});
    }
    links
}

pub fn group(base: &str, id: &str, source_app: Option<&str>) -> Value {
    let mut links = json!({
        "logo": [
            {"name": "medium", "href": format!("{base}/img/logos/groups/okta-medium.png"), "type": "image/png"},
            {"name": "large", "href": format!("{base}/img/logos/groups/okta-large.png"), "type": "image/png"}
        ],
        "users": href(format!("{base}/api/v1/groups/{id}/users")),
        "apps": href(format!("{base}/api/v1/groups/{id}/apps")),
    });
    if let Some(app) = source_app {
        links["source"] = href(format!("{base}/api/v1/apps/{app}"));
    }
    links
}

pub fn app(base: &str, id: &str, name: &str, status: &str) -> Value {
    let app = format!("{base}/api/v1/apps/{id}");
    let mut links = json!({
        "self": href(app.clone()),
        "users": href(format!("{app}/users")),
        "groups": href(format!("{app}/groups")),
        "appLinks": [{"name": name, "href": format!("{base}/home/{name}/{id}/link"), "type": "text/html"}],
        "logo": [{"name": "medium", "href": format!("{base}/assets/img/logos/{name}.png"), "type": "image/png"}],
        "metadata": href(format!("{app}/sso/saml/metadata")),
    });
    if status == "ACTIVE" {
        links["deactivate"] = post(format!("{app}/lifecycle/deactivate"));
    } else {
        links["activate"] = post(format!("{app}/lifecycle/activate"));
    }
    links
}

pub fn app_user(base: &str, app_id: &str, user_id: &str) -> Value {
    json!({
        "app": href(format!("{base}/api/v1/apps/{app_id}")),
        "user": href(format!("{base}/api/v1/users/{user_id}")),
    })
}

pub fn app_group(base: &str, app_id: &str, group_id: &str) -> Value {
    json!({
        "app": href(format!("{base}/api/v1/apps/{app_id}")),
        "group": href(format!("{base}/api/v1/groups/{group_id}")),
    })
}

pub fn policy(base: &str, id: &str, status: &str) -> Value {
    let policy = format!("{base}/api/v1/policies/{id}");
    let mut links = json!({
        "self": {"href": policy.clone(), "hints": {"allow": ["GET", "PUT", "DELETE"]}},
        "rules": {"href": format!("{policy}/rules"), "hints": {"allow": ["GET", "POST"]}},
    });
    let (name, op) = if status == "ACTIVE" {
        ("deactivate", "deactivate")
    } else {
        ("activate", "activate")
    };
    links[name] = json!({"href": format!("{policy}/lifecycle/{op}"), "hints": {"allow": ["POST"]}});
    links
}

pub fn rule(base: &str, policy_id: &str, id: &str, status: &str) -> Value {
    let rule = format!("{base}/api/v1/policies/{policy_id}/rules/{id}");
    let mut links = json!({
        "self": {"href": rule.clone(), "hints": {"allow": ["GET", "PUT", "DELETE"]}},
    });
    let op = if status == "ACTIVE" {
        "deactivate"
    } else {
        "activate"
    };
    links[op] = json!({"href": format!("{rule}/lifecycle/{op}"), "hints": {"allow": ["POST"]}});
    links
}

pub fn device_assurance(base: &str, id: &str) -> Value {
    json!({
        "self": {"href": format!("{base}/api/v1/device-assurances/{id}"), "hints": {"allow": ["GET", "PUT", "DELETE"]}},
    })
}

/// Users in a collection carry only their `self` link (Okta's documented behaviour).
pub fn collection_view(user: &Value) -> Value {
    let mut view = user.clone();
    view["_links"] = json!({ "self": user["_links"]["self"].clone() });
    view
}
