//! Seeded applications across Okta's sign-on modes, with user and group assignments.

use super::pools::APPS;
use crate::ids::{base62, okta_id, prefix, timestamp};
use crate::links;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A seeded app and who is assigned to it.
pub struct SeededApp {
    pub app: Value,
    pub users: BTreeMap<String, Value>,
    pub groups: BTreeMap<String, Value>,
}

pub fn seed(
    rng: &mut StdRng,
    count: usize,
    users: &[Value],
    base: &str,
    now: DateTime<Utc>,
) -> Vec<SeededApp> {
    (0..count)
        .map(|i| {
            let (label, name, mode) = APPS[i % APPS.len()];
            let label = if i < APPS.len() {
                label.to_owned()
            } else {
                format!("{label} {}", i / APPS.len() + 1)
            };
            // A few apps are inactive, as in any org that retires tools.
            let status = if i % 7 == 6 { "INACTIVE" } else { "ACTIVE" };
            let id = okta_id(rng, prefix::APP);
            let created = now - Duration::days(rng.gen_range(60..900));
            let updated = created + Duration::days(rng.gen_range(0..50));
            let mut app_settings = settings(rng, mode, &label);
            fill_required_settings(&mut app_settings, name, &label);
            let app = app_object(
                base,
                &id,
                name,
                &label,
                mode,
                status,
                created,
                updated,
                app_settings,
                rng,
            );
            let assigned = assign_users(rng, base, &id, users, now);
            SeededApp {
                app,
                users: assigned,
                groups: BTreeMap::new(),
            }
        })
        .collect()
}

/// Gives a seeded integration the app settings its catalog entry requires, so the seeded
/// app reads (and replaces) like one an admin installed.
fn fill_required_settings(settings: &mut Value, name: &str, label: &str) {
    let Some(entry) = crate::catalog::find(name).filter(|e| crate::catalog::is_integration(e))
    else {
        return;
    };
    for field in entry.required_settings {
        let value = match *field {
            "instanceType" => "PRODUCTION".to_owned(),
            "baseUrl" | "siteURL" | "url" => format!(
                "https://{}.example.com",
                label.to_lowercase().replace(' ', "")
            ),
            _ => "acme".to_owned(),
        };
        settings["app"][*field] = json!(value);
    }
}

/// The full application object Okta returns, for seeding and for POST /api/v1/apps.
#[allow(clippy::too_many_arguments)]
pub fn app_object(
    base: &str,
    id: &str,
    name: &str,
    label: &str,
    mode: &str,
    status: &str,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    settings: Value,
    rng: &mut StdRng,
) -> Value {
    let mut credentials = json!({
        "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
        "signing": {"kid": base62(rng, 43)},
    });
    match mode {
        "OPENID_CONNECT" => {
            credentials["oauthClient"] = json!({
                "autoKeyRotation": true,
                "client_id": id,
                "token_endpoint_auth_method": "client_secret_basic",
            });
        }
        "AUTO_LOGIN" | "BROWSER_PLUGIN" | "SECURE_PASSWORD_STORE" | "BASIC_AUTH" => {
            credentials["scheme"] = json!("EDIT_USERNAME_AND_PASSWORD");
            credentials["revealPassword"] = json!(false);
        }
        _ => {}
    }
    json!({
        "id": id,
        "orn": format!("orn:okta:idp:{}:apps:{name}:{id}", "00o1sandbox"),
        "name": name,
        "label": label,
        "status": status,
        "created": timestamp(created),
        "lastUpdated": timestamp(updated),
        "accessibility": {"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null},
        "visibility": {
            "autoLaunch": false,
            "autoSubmitToolbar": false,
            "hide": {"iOS": false, "web": false},
            "appLinks": {name: true},
        },
        "features": [],
        "signOnMode": mode,
        "credentials": credentials,
        "settings": settings,
        "_links": links::app(base, id, name, status),
    })
}

fn slug(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Mode-specific `settings` as Okta shapes them.
pub fn settings(rng: &mut StdRng, mode: &str, label: &str) -> Value {
    let host = format!("https://{}.example.com", slug(label));
    let common = |app: Value| {
        json!({
            "app": app,
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}, "message": null, "helpUrl": null}},
            "notes": {"admin": null, "enduser": null},
        })
    };
    match mode {
        "BOOKMARK" => common(json!({"requestIntegration": false, "url": format!("{host}/")})),
        "SAML_2_0" => {
            let mut s = common(json!({}));
            s["signOn"] = json!({
                "defaultRelayState": "",
                "ssoAcsUrl": format!("{host}/saml/acs"),
                "recipient": format!("{host}/saml/acs"),
                "destination": format!("{host}/saml/acs"),
                "audience": format!("{host}/saml/metadata"),
                "idpIssuer": "http://www.okta.com/${org.externalKey}",
                "subjectNameIdTemplate": "${user.userName}",
                "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                "responseSigned": true,
                "assertionSigned": true,
                "signatureAlgorithm": "RSA_SHA256",
                "digestAlgorithm": "SHA256",
                "honorForceAuthn": true,
                "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "attributeStatements": [],
            });
            s
        }
        "OPENID_CONNECT" => {
            let mut s = common(json!({}));
            s["oauthClient"] = json!({
                "client_uri": host,
                "redirect_uris": [format!("{host}/authorization-code/callback")],
                "post_logout_redirect_uris": [format!("{host}/")],
                "response_types": ["code"],
                "grant_types": ["authorization_code", "refresh_token"],
                "application_type": "web",
                "consent_method": "REQUIRED",
                "initiate_login_uri": format!("{host}/login"),
                "issuer_mode": "ORG_URL",
            });
            s
        }
        "AUTO_LOGIN" => {
            let mut s = common(json!({}));
            s["signOn"] = json!({"loginUrl": format!("{host}/login"), "redirectUrl": null});
            s
        }
        "BROWSER_PLUGIN" => common(json!({
            "url": format!("{host}/login"),
            "usernameField": "#username",
            "passwordField": "#password",
            "buttonField": "#submit",
        })),
        "SECURE_PASSWORD_STORE" => common(json!({
            "url": format!("{host}/login"),
            "usernameField": "user",
            "passwordField": "pass",
            "optionalField1": null,
            "optionalField1Value": null,
        })),
        "BASIC_AUTH" => {
            common(json!({"url": format!("{host}/"), "authURL": format!("{host}/auth")}))
        }
        "WS_FEDERATION" => common(json!({
            "realm": format!("urn:{}:{}", slug(label), base62(rng, 8)),
            "wReplyURL": format!("{host}/wsfed"),
            "audienceRestriction": format!("{host}/"),
            "nameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            "siteURL": format!("{host}/"),
        })),
        _ => common(json!({})),
    }
}

fn assign_users(
    rng: &mut StdRng,
    base: &str,
    app_id: &str,
    users: &[Value],
    now: DateTime<Utc>,
) -> BTreeMap<String, Value> {
    let share = rng.gen_range(3..10);
    users
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED" && rng.gen_ratio(1, share))
        .filter_map(|u| {
            let user_id = u["id"].as_str()?;
            let login = u["profile"]["login"].as_str()?;
            Some((
                user_id.to_owned(),
                app_user(base, app_id, user_id, login, "USER", now),
            ))
        })
        .collect()
}

/// An app user (assignment) object.
pub fn app_user(
    base: &str,
    app_id: &str,
    user_id: &str,
    user_name: &str,
    scope: &str,
    now: DateTime<Utc>,
) -> Value {
    let at = timestamp(now);
    json!({
        "id": user_id,
        "externalId": null,
        "created": at,
        "lastUpdated": at,
        "scope": scope,
        "status": "ACTIVE",
        "statusChanged": at,
        "passwordChanged": null,
        "syncState": "DISABLED",
        "credentials": {"userName": user_name},
        "profile": {},
        "_links": links::app_user(base, app_id, user_id),
    })
}

/// An application group assignment object.
pub fn app_group(
    base: &str,
    app_id: &str,
    group_id: &str,
    priority: usize,
    now: DateTime<Utc>,
) -> Value {
    json!({
        "id": group_id,
        "lastUpdated": timestamp(now),
        "priority": priority,
        "profile": {},
        "_links": links::app_group(base, app_id, group_id),
    })
}

/// Assigns a few OKTA_GROUPs to apps (groups are seeded after apps).
pub fn assign_groups(
    rng: &mut StdRng,
    apps: &mut [SeededApp],
    groups: &[(Value, BTreeSet<String>)],
    base: &str,
    now: DateTime<Utc>,
) {
    let okta_groups: Vec<&str> = groups
        .iter()
        .filter(|(g, _)| g["type"] == "OKTA_GROUP")
        .filter_map(|(g, _)| g["id"].as_str())
        .collect();
    if okta_groups.is_empty() {
        return;
    }
    for seeded in apps.iter_mut() {
        let Some(app_id) = seeded.app["id"].as_str().map(str::to_owned) else {
            continue;
        };
        for priority in 0..rng.gen_range(0..3usize) {
            let group_id = okta_groups[rng.gen_range(0..okta_groups.len())];
            seeded
                .groups
                .entry(group_id.to_owned())
                .or_insert_with(|| app_group(base, &app_id, group_id, priority, now));
        }
    }
}
