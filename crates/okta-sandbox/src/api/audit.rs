//! System Log entries for API writes, as Okta records admin actions: who (the token's
//! user, or the client app for a service token), what, from where, on which targets.

use crate::ids::{base62, timestamp, uuid};
use crate::oauth::TokenInfo;
use crate::org::{LogEntry, Org};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use chrono::{SubsecRound, Utc};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;

/// Who made a request and how, captured before the handler changes anything.
#[derive(Debug, Clone)]
pub struct Audit {
    token: Option<TokenInfo>,
    user_agent: String,
    ip: String,
    request_uri: String,
    /// The `X-Okta-Request-Id` this request is answered with.
    request_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Audit {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "127.0.0.1".to_owned(), |c| c.0.ip().to_string());
        Ok(Audit {
            token: parts.extensions.get::<TokenInfo>().cloned(),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("unknown")
                .to_owned(),
            ip,
            request_uri: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            request_id: parts
                .extensions
                .get::<super::RequestId>()
                .map(|id| id.0.clone()),
        })
    }
}

impl Audit {
    /// The actor: the signed-in user behind a user token, else the client application.
    fn actor(&self, org: &Org) -> Value {
        let Some(token) = &self.token else {
            return json!({"id": "unknown", "type": "PublicClientApp", "alternateId": "unknown", "displayName": "unknown", "detailEntry": null});
        };
        let person = token
            .user_id
            .as_deref()
            .and_then(|id| org.users.get(id))
            .or_else(|| {
                org.find_user_id(&token.subject)
                    .and_then(|id| org.users.get(&id))
            });
        match person {
            Some(user) if token.subject != token.client_id => json!({
                "id": user["id"],
                "type": "User",
                "alternateId": user["profile"]["login"],
                "displayName": user["profile"]["displayName"],
                "detailEntry": null,
            }),
            _ => json!({
                "id": token.client_id,
                "type": "PublicClientApp",
                "alternateId": token.client_id,
                "displayName": token.client_id,
                "detailEntry": null,
            }),
        }
    }

    /// Appends one successful admin event to the org's System Log.
    pub fn record(&self, org: &mut Org, event_type: &str, display: &str, targets: Vec<Value>) {
        let actor = self.actor(org);
        push_event(
            org,
            Entry {
                event_type,
                display,
                actor,
                client_id: self.token.as_ref().map(|t| t.client_id.clone()),
                user_agent: &self.user_agent,
                ip: &self.ip,
                request_uri: &self.request_uri,
                request_id: self.request_id.clone(),
                outcome: ("SUCCESS", None),
                targets,
            },
        );
    }
}

/// One System Log event to append, before ids and timestamps are given to it.
struct Entry<'a> {
    event_type: &'a str,
    display: &'a str,
    actor: Value,
    client_id: Option<String>,
    user_agent: &'a str,
    ip: &'a str,
    request_uri: &'a str,
    /// The `X-Okta-Request-Id` the API answered with, which is also `transaction.id` (a
    /// fresh one where no request carries the event).
    request_id: Option<String>,
    /// `outcome.result` and `outcome.reason`.
    outcome: (&'a str, Option<String>),
    targets: Vec<Value>,
}

/// Appends an event in Okta's LogEvent shape.
fn push_event(org: &mut Org, entry: Entry<'_>) {
    // Whole milliseconds, as `published` is written, so time windows and the text agree.
    let now = Utc::now().trunc_subsecs(3);
    // Drawn even when the request has its id, so the seeded generator's sequence (and so
    // every id the org makes after this) does not depend on how the request arrived.
    let drawn = base62(&mut org.rng, 26);
    let request_id = entry.request_id.unwrap_or(drawn);
    let event = json!({
        "uuid": uuid(&mut org.rng),
        "published": timestamp(now),
        "eventType": entry.event_type,
        "version": "0",
        "displayMessage": entry.display,
        "severity": if entry.outcome.0 == "SUCCESS" { "INFO" } else { "WARN" },
        "legacyEventType": null,
        "actor": entry.actor,
        "client": {
            "userAgent": {"rawUserAgent": entry.user_agent, "os": "Unknown", "browser": "UNKNOWN"},
            "zone": "null",
            "device": "Unknown",
            "id": entry.client_id,
            "ipAddress": entry.ip,
            "geographicalContext": null,
        },
        "device": null,
        "authenticationContext": {
            "authenticationProvider": null,
            "credentialProvider": null,
            "credentialType": null,
            "issuer": null,
            "interface": null,
            "authenticationStep": 0,
            "externalSessionId": "unknown",
        },
        "outcome": {"result": entry.outcome.0, "reason": entry.outcome.1},
        "target": entry.targets,
        "transaction": {"type": "WEB", "id": request_id, "detail": {}},
        "debugContext": {"debugData": {
            "requestId": request_id,
            "requestUri": entry.request_uri.split('?').next().unwrap_or_default(),
            "url": entry.request_uri,
        }},
        "securityContext": {"asNumber": null, "asOrg": null, "isp": null, "domain": null, "isProxy": null},
        "request": {"ipChain": [{"ip": entry.ip, "geographicalContext": null, "version": "V4", "source": null}]},
    });
    org.push_log(LogEntry {
        published: now,
        seq: 0,
        event,
    });
}

/// Records what the org authorization server did (a sign-in, a detected token reuse): the
/// person as actor (or, for an unknown username, what was typed), the client app as target.
pub(crate) fn record_auth_event(org: &mut Org, event: &crate::oauth::AuthEvent) {
    let actor = match event.user_id.as_deref().and_then(|id| org.users.get(id)) {
        Some(found) => json!({
            "id": found["id"],
            "type": "User",
            "alternateId": found["profile"]["login"],
            "displayName": found["profile"]["displayName"],
            "detailEntry": null,
        }),
        None => json!({
            "id": "unknown",
            "type": "User",
            "alternateId": event.username,
            "displayName": "unknown",
            "detailEntry": null,
        }),
    };
    let client = json!(event.client_id);
    let targets = vec![target(&client, "AppInstance", &client, &client)];
    push_event(
        org,
        Entry {
            event_type: event.event_type,
            display: event.display,
            actor,
            client_id: Some(event.client_id.clone()),
            user_agent: "unknown",
            ip: "127.0.0.1",
            request_uri: event.request_path,
            request_id: None,
            outcome: (
                if event.success { "SUCCESS" } else { "FAILURE" },
                event.reason.clone(),
            ),
            targets,
        },
    );
}

fn target(id: &Value, kind: &str, alternate: &Value, display: &Value) -> Value {
    json!({"id": id, "type": kind, "alternateId": alternate, "displayName": display, "detailEntry": null})
}

pub fn user(user: &Value) -> Value {
    target(
        &user["id"],
        "User",
        &user["profile"]["login"],
        &user["profile"]["displayName"],
    )
}

pub fn group(group: &Value) -> Value {
    target(
        &group["id"],
        "UserGroup",
        &json!("unknown"),
        &group["profile"]["name"],
    )
}

pub fn app(app: &Value) -> Value {
    target(&app["id"], "AppInstance", &app["label"], &app["label"])
}

pub fn policy(policy: &Value) -> Value {
    target(
        &policy["id"],
        "PolicyEntity",
        &json!("unknown"),
        &policy["name"],
    )
}

pub fn rule(rule: &Value) -> Value {
    target(&rule["id"], "PolicyRule", &json!("unknown"), &rule["name"])
}

pub fn device_assurance(policy: &Value) -> Value {
    target(
        &policy["id"],
        "DeviceAssurance",
        &json!("unknown"),
        &policy["name"],
    )
}
