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
        // Whole milliseconds, as `published` is written, so time windows and the text agree.
        let now = Utc::now().trunc_subsecs(3);
        // Drawn even when the request has its id, so the seeded generator's sequence (and so
        // every id the org makes after this) does not depend on how the request arrived.
        let drawn = base62(&mut org.rng, 26);
        let request_id = self.request_id.clone().unwrap_or(drawn);
        let event = json!({
            "uuid": uuid(&mut org.rng),
            "published": timestamp(now),
            "eventType": event_type,
            "version": "0",
            "displayMessage": display,
            "severity": "INFO",
            "legacyEventType": null,
            "actor": self.actor(org),
            "client": {
                "userAgent": {"rawUserAgent": self.user_agent, "os": "Unknown", "browser": "UNKNOWN"},
                "zone": "null",
                "device": "Unknown",
                "id": self.token.as_ref().map(|t| t.client_id.clone()),
                "ipAddress": self.ip,
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
            "outcome": {"result": "SUCCESS", "reason": null},
            "target": targets,
            "transaction": {"type": "WEB", "id": request_id, "detail": {}},
            "debugContext": {"debugData": {
                "requestId": request_id,
                "requestUri": self.request_uri.split('?').next().unwrap_or_default(),
                "url": self.request_uri,
            }},
            "securityContext": {"asNumber": null, "asOrg": null, "isp": null, "domain": null, "isProxy": null},
            "request": {"ipChain": [{"ip": self.ip, "geographicalContext": null, "version": "V4", "source": null}]},
        });
        org.push_log(LogEntry {
            published: now,
            seq: 0,
            event,
        });
    }
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
