//! Seeded System Log: events over the 7 days before start, of the types an admin sees
//! most, covering every outcome, each shaped like Okta's `LogEvent` and pointing at
//! seeded users, groups, apps and policies.

use super::pools::{CITIES, NETWORKS, USER_AGENTS};
use crate::ids::{base62, okta_id, timestamp, uuid};
use crate::org::LogEntry;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// What an event is about, which decides its targets.
#[derive(Clone, Copy)]
enum Subject {
    None,
    Authenticator,
    App,
    Policy,
    User,
    UserGroup,
    AppMembership,
}

/// (result, reason, weight)
type Outcome = (&'static str, Option<&'static str>, u32);

struct Kind {
    event_type: &'static str,
    display: &'static str,
    legacy: Option<&'static str>,
    weight: u32,
    /// (result, reason, weight)
    outcomes: &'static [Outcome],
    subject: Subject,
    /// Admin events have the admin as actor and another user as target.
    by_admin: bool,
}

const OK: &[Outcome] = &[("SUCCESS", None, 1)];

const KINDS: &[Kind] = &[
    Kind {
        event_type: "user.session.start",
        display: "User login to Okta",
        legacy: Some("core.user_auth.login_success"),
        weight: 24,
        outcomes: &[
            ("SUCCESS", None, 20),
            ("FAILURE", Some("INVALID_CREDENTIALS"), 4),
            ("FAILURE", Some("VERIFICATION_ERROR"), 1),
        ],
        subject: Subject::None,
        by_admin: false,
    },
    Kind {
        event_type: "user.authentication.auth_via_mfa",
        display: "Authentication of user via MFA",
        legacy: Some("core.user.factor.attempt_success"),
        weight: 14,
        outcomes: &[
            ("SUCCESS", None, 12),
            ("FAILURE", Some("INVALID_CREDENTIALS"), 2),
            ("CHALLENGE", None, 1),
        ],
        subject: Subject::Authenticator,
        by_admin: false,
    },
    Kind {
        event_type: "user.authentication.sso",
        display: "User single sign on to app",
        legacy: Some("app.auth.sso"),
        weight: 20,
        outcomes: &[
            ("SUCCESS", None, 15),
            (
                "FAILURE",
                Some("User is not assigned to this application"),
                1,
            ),
        ],
        subject: Subject::App,
        by_admin: false,
    },
    Kind {
        event_type: "policy.evaluate_sign_on",
        display: "Evaluation of sign-on policy",
        legacy: None,
        weight: 14,
        outcomes: &[
            (
                "ALLOW",
                Some("Sign-on policy evaluation resulted in ALLOW"),
                10,
            ),
            (
                "DENY",
                Some("Sign-on policy evaluation resulted in DENY"),
                2,
            ),
            (
                "CHALLENGE",
                Some("Sign-on policy evaluation resulted in CHALLENGE"),
                3,
            ),
        ],
        subject: Subject::Policy,
        by_admin: false,
    },
    Kind {
        event_type: "user.authentication.verify",
        display: "Verify user identity",
        legacy: None,
        weight: 4,
        outcomes: &[
            ("SUCCESS", None, 5),
            ("FAILURE", Some("INVALID_CREDENTIALS"), 1),
            ("CHALLENGE", None, 1),
        ],
        subject: Subject::Authenticator,
        by_admin: false,
    },
    Kind {
        event_type: "user.session.end",
        display: "User logout from Okta",
        legacy: Some("core.user_auth.logout_success"),
        weight: 8,
        outcomes: OK,
        subject: Subject::None,
        by_admin: false,
    },
    Kind {
        event_type: "security.threat.detected",
        display: "Request from suspicious actor",
        legacy: None,
        weight: 2,
        outcomes: &[
            ("DENY", Some("Blocked by ThreatInsight"), 2),
            ("ALLOW", Some("ThreatInsight log only"), 1),
            ("UNKNOWN", None, 1),
        ],
        subject: Subject::None,
        by_admin: false,
    },
    Kind {
        event_type: "user.risk.detect",
        display: "User risk detected",
        legacy: None,
        weight: 2,
        outcomes: &[("UNKNOWN", None, 1)],
        subject: Subject::User,
        by_admin: false,
    },
    Kind {
        event_type: "user.account.lock",
        display: "Max sign in attempts exceeded",
        legacy: Some("core.user_auth.account_locked"),
        weight: 2,
        outcomes: OK,
        subject: Subject::None,
        by_admin: false,
    },
    Kind {
        event_type: "user.account.unlock",
        display: "Unlock Okta user",
        legacy: Some("core.user.config.user_status.account_unlock"),
        weight: 1,
        outcomes: OK,
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "user.account.reset_password",
        display: "Fired when the user's Okta password is reset",
        legacy: Some("core.user.config.password_update.success"),
        weight: 1,
        outcomes: OK,
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "user.lifecycle.create",
        display: "Create Okta user",
        legacy: Some("core.user.config.user_creation.success"),
        weight: 1,
        outcomes: OK,
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "user.lifecycle.activate",
        display: "Activate Okta user",
        legacy: Some("core.user.config.user_activated"),
        weight: 1,
        outcomes: OK,
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "user.lifecycle.deactivate",
        display: "Deactivate Okta user",
        legacy: Some("core.user.config.user_deactivated"),
        weight: 1,
        outcomes: &[
            ("SUCCESS", None, 5),
            ("FAILURE", Some("User is already deactivated"), 1),
        ],
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "user.lifecycle.suspend",
        display: "Suspend Okta user",
        legacy: Some("core.user.config.user_suspended"),
        weight: 1,
        outcomes: OK,
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "user.lifecycle.unsuspend",
        display: "Unsuspend Okta user",
        legacy: Some("core.user.config.user_unsuspended"),
        weight: 1,
        outcomes: OK,
        subject: Subject::User,
        by_admin: true,
    },
    Kind {
        event_type: "group.user_membership.add",
        display: "Add user to group membership",
        legacy: Some("core.user_group_member.user_add"),
        weight: 3,
        outcomes: OK,
        subject: Subject::UserGroup,
        by_admin: true,
    },
    Kind {
        event_type: "group.user_membership.remove",
        display: "Remove user from group membership",
        legacy: Some("core.user_group_member.user_remove"),
        weight: 1,
        outcomes: OK,
        subject: Subject::UserGroup,
        by_admin: true,
    },
    Kind {
        event_type: "app.user_membership.add",
        display: "Add user to application membership",
        legacy: Some("application.user_membership.add"),
        weight: 2,
        outcomes: OK,
        subject: Subject::AppMembership,
        by_admin: true,
    },
    Kind {
        event_type: "app.user_membership.remove",
        display: "Remove user from application membership",
        legacy: Some("application.user_membership.remove"),
        weight: 1,
        outcomes: OK,
        subject: Subject::AppMembership,
        by_admin: true,
    },
];

/// Event types every seeded log contains (tests and demos can rely on each being present).
pub fn event_types() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.event_type).collect()
}

/// The seeded objects events may reference.
pub struct Refs<'a> {
    pub users: &'a [Value],
    pub groups: &'a [Value],
    pub apps: &'a [Value],
    /// (policy, rule) pairs of sign-on policies.
    pub sign_on_rules: &'a [(Value, Value)],
}

pub fn seed(rng: &mut StdRng, count: usize, refs: &Refs<'_>, now: DateTime<Utc>) -> Vec<LogEntry> {
    let active: Vec<&Value> = refs
        .users
        .iter()
        .filter(|u| u["status"] == "ACTIVE")
        .collect();
    let Some(admin) = active.first().copied().or(refs.users.first()) else {
        return Vec::new();
    };
    // Spread over the 7 days before start, kept clear of the default `since` boundary.
    let window = (Duration::days(7) - Duration::minutes(10)).num_milliseconds();
    let total_weight: u32 = KINDS.iter().map(|k| k.weight).sum();
    let mut entries: Vec<LogEntry> = (0..count)
        .map(|i| {
            // The first events walk every kind and outcome so small orgs still cover them all.
            let (kind, outcome) = forced(i).unwrap_or_else(|| {
                let kind = pick_kind(rng, total_weight);
                (kind, pick_outcome(rng, kind))
            });
            // Whole milliseconds, as `published` is written, so time windows and the text agree.
            let published =
                (now - Duration::milliseconds(rng.gen_range(1..window))).trunc_subsecs(3);
            let user = pick(rng, &active).unwrap_or(admin);
            let event = build(rng, kind, outcome, user, admin, refs, published);
            LogEntry {
                published,
                seq: 0,
                event,
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        a.published
            .cmp(&b.published)
            .then_with(|| a.event["uuid"].as_str().cmp(&b.event["uuid"].as_str()))
    });
    for (seq, entry) in entries.iter_mut().enumerate() {
        entry.seq = seq as u64;
    }
    entries
}

fn forced(i: usize) -> Option<(&'static Kind, &'static Outcome)> {
    let mut n = 0;
    for kind in KINDS {
        for outcome in kind.outcomes {
            if n == i {
                return Some((kind, outcome));
            }
            n += 1;
        }
    }
    None
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a Value]) -> Option<&'a Value> {
    (!items.is_empty()).then(|| items[rng.gen_range(0..items.len())])
}

fn pick_kind(rng: &mut StdRng, total: u32) -> &'static Kind {
    let mut n = rng.gen_range(0..total);
    for kind in KINDS {
        if n < kind.weight {
            return kind;
        }
        n -= kind.weight;
    }
    &KINDS[0]
}

fn pick_outcome(rng: &mut StdRng, kind: &'static Kind) -> &'static Outcome {
    let total: u32 = kind.outcomes.iter().map(|o| o.2).sum();
    let mut n = rng.gen_range(0..total.max(1));
    for outcome in kind.outcomes {
        if n < outcome.2 {
            return outcome;
        }
        n -= outcome.2;
    }
    &kind.outcomes[0]
}

fn actor_of(user: &Value) -> Value {
    json!({
        "id": user["id"],
        "type": "User",
        "alternateId": user["profile"]["login"],
        "displayName": user["profile"]["displayName"],
        "detailEntry": null,
    })
}

fn target(id: &Value, kind: &str, alternate: &Value, display: &Value) -> Value {
    json!({"id": id, "type": kind, "alternateId": alternate, "displayName": display, "detailEntry": null})
}

fn user_target(user: &Value) -> Value {
    target(
        &user["id"],
        "User",
        &user["profile"]["login"],
        &user["profile"]["displayName"],
    )
}

fn targets(rng: &mut StdRng, subject: Subject, user: &Value, refs: &Refs<'_>) -> Vec<Value> {
    fn any<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[rng.gen_range(0..items.len())])
    }
    match subject {
        Subject::None => Vec::new(),
        Subject::Authenticator => vec![target(
            &json!(okta_id(rng, "pfd")),
            "AuthenticatorEnrollment",
            &json!("unknown"),
            &json!(
                [
                    "Okta Verify",
                    "Google Authenticator",
                    "Security Key or Biometric",
                    "Phone"
                ][rng.gen_range(0..4)]
            ),
        )],
        Subject::App => any(rng, refs.apps)
            .map(|app| {
                vec![
                    target(&app["id"], "AppInstance", &app["label"], &app["label"]),
                    target(
                        &json!(okta_id(rng, "0ua")),
                        "AppUser",
                        &user["profile"]["login"],
                        &user["profile"]["displayName"],
                    ),
                ]
            })
            .unwrap_or_default(),
        Subject::Policy => any(rng, refs.sign_on_rules)
            .map(|(policy, rule)| {
                vec![
                    target(
                        &policy["id"],
                        "PolicyEntity",
                        &json!("unknown"),
                        &policy["name"],
                    ),
                    target(&rule["id"], "PolicyRule", &json!("unknown"), &rule["name"]),
                ]
            })
            .unwrap_or_default(),
        Subject::User => any(rng, refs.users)
            .map(|u| vec![user_target(u)])
            .unwrap_or_default(),
        Subject::UserGroup => match (any(rng, refs.users), any(rng, refs.groups)) {
            (Some(u), Some(g)) => vec![
                user_target(u),
                target(
                    &g["id"],
                    "UserGroup",
                    &json!("unknown"),
                    &g["profile"]["name"],
                ),
            ],
            _ => Vec::new(),
        },
        Subject::AppMembership => match (any(rng, refs.users), any(rng, refs.apps)) {
            (Some(u), Some(app)) => vec![
                target(
                    &json!(okta_id(rng, "0ua")),
                    "AppUser",
                    &u["profile"]["login"],
                    &u["profile"]["displayName"],
                ),
                target(&app["id"], "AppInstance", &app["label"], &app["label"]),
                user_target(u),
            ],
            _ => Vec::new(),
        },
    }
}

fn build(
    rng: &mut StdRng,
    kind: &Kind,
    outcome: &Outcome,
    user: &Value,
    admin: &Value,
    refs: &Refs<'_>,
    published: DateTime<Utc>,
) -> Value {
    let (result, reason, _) = *outcome;
    let actor = if kind.by_admin { admin } else { user };
    let (raw, os, browser, device) = USER_AGENTS[rng.gen_range(0..USER_AGENTS.len())];
    let city = actor["profile"]["city"].as_str().unwrap_or_default();
    let place = CITIES.iter().find(|c| c.name == city).unwrap_or(&CITIES[0]);
    let (as_number, as_org, isp) = NETWORKS[rng.gen_range(0..NETWORKS.len())];
    let ip = format!(
        "{}.{}",
        ["198.51.100", "203.0.113", "192.0.2"][rng.gen_range(0..3)],
        rng.gen_range(1..255)
    );
    let geo = json!({
        "city": place.name, "state": place.state, "country": place.country, "postalCode": place.postal_code,
        "geolocation": {"lat": place.lat, "lon": place.lon},
    });
    let severity = match (result, kind.event_type) {
        (_, "user.account.lock") | ("DENY", _) | ("FAILURE", _) => "WARN",
        _ => "INFO",
    };
    let legacy = match (kind.legacy, result) {
        (Some("core.user_auth.login_success"), "FAILURE") => Some("core.user_auth.login_failed"),
        (legacy, _) => legacy,
    };
    let session = format!("idx{}", base62(rng, 22));
    let request_id = base62(rng, 26);
    json!({
        "uuid": uuid(rng),
        "published": timestamp(published),
        "eventType": kind.event_type,
        "version": "0",
        "displayMessage": kind.display,
        "severity": severity,
        "legacyEventType": legacy,
        "actor": actor_of(actor),
        "client": {
            "userAgent": {"rawUserAgent": raw, "os": os, "browser": browser},
            "zone": "null",
            "device": device,
            "id": null,
            "ipAddress": ip,
            "geographicalContext": geo,
        },
        "device": null,
        "authenticationContext": {
            "authenticationProvider": null,
            "credentialProvider": null,
            "credentialType": null,
            "issuer": null,
            "interface": null,
            "authenticationStep": 0,
            "rootSessionId": session,
            "externalSessionId": session,
        },
        "outcome": {"result": result, "reason": reason},
        "target": targets(rng, kind.subject, user, refs),
        "transaction": {"type": "WEB", "id": request_id, "detail": {}},
        "debugContext": {"debugData": {
            "requestId": request_id,
            "requestUri": "/idp/idx/identify",
            "url": "/idp/idx/identify?",
            "threatSuspected": (kind.event_type == "security.threat.detected").to_string(),
        }},
        "securityContext": {"asNumber": as_number, "asOrg": as_org, "isp": isp, "domain": null, "isProxy": false},
        "request": {"ipChain": [{"ip": ip, "geographicalContext": geo, "version": "V4", "source": null}]},
    })
}
