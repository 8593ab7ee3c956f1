//! Seeded policies (a few of each common type, each with rules, the default ones marked
//! `system`) and device assurance policies for every platform.

use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// Policy types the Management API manages here, with the rule type each one's rules carry.
pub const POLICY_TYPES: &[(&str, &str)] = &[
    ("OKTA_SIGN_ON", "SIGN_ON"),
    ("PASSWORD", "PASSWORD"),
    ("MFA_ENROLL", "MFA_ENROLL"),
    ("ACCESS_POLICY", "ACCESS_POLICY"),
    ("PROFILE_ENROLLMENT", "PROFILE_ENROLLMENT"),
    ("IDP_DISCOVERY", "IDP_DISCOVERY"),
];

/// The rule `type` for rules of a policy of `policy_type`.
pub fn rule_type(policy_type: &str) -> Option<&'static str> {
    POLICY_TYPES
        .iter()
        .find(|(p, _)| *p == policy_type)
        .map(|(_, r)| *r)
}

/// Default `settings` Okta fills in for a new policy of this type.
pub fn default_settings(policy_type: &str) -> Value {
    match policy_type {
        "PASSWORD" => json!({
            "password": {
                "complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0,
                    "excludeUsername": true, "dictionary": {"common": {"exclude": false}}, "excludeAttributes": []},
                "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 4},
                "lockout": {"maxAttempts": 10, "autoUnlockMinutes": 0, "userLockoutNotificationChannels": [], "showLockoutFailures": false},
            },
            "recovery": {"factors": {"okta_email": {"status": "ACTIVE", "properties": {"recoveryToken": {"tokenLifetimeMinutes": 60}}}}},
            "delegation": {"options": {"skipUnlock": false}},
        }),
        "MFA_ENROLL" => json!({
            "type": "AUTHENTICATORS",
            "authenticators": [
                {"key": "okta_verify", "enroll": {"self": "REQUIRED"}},
                {"key": "okta_email", "enroll": {"self": "OPTIONAL"}},
                {"key": "webauthn", "enroll": {"self": "OPTIONAL"}},
            ],
        }),
        _ => Value::Null,
    }
}

/// Default rule `actions` for a rule of this type.
pub fn default_actions(rule_type: &str) -> Value {
    match rule_type {
        "SIGN_ON" => json!({"signon": {
            "access": "ALLOW", "requireFactor": false, "primaryFactor": "PASSWORD_IDP_ANY_FACTOR",
            "session": {"usePersistentCookie": false, "maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 0},
        }}),
        "PASSWORD" => json!({
            "passwordChange": {"access": "ALLOW"},
            "selfServicePasswordReset": {"access": "ALLOW", "requirement": {"primary": {"methods": ["email"]}, "stepUp": {"required": false}}},
            "selfServiceUnlock": {"access": "DENY"},
        }),
        "MFA_ENROLL" => json!({"enroll": {"self": "CHALLENGE"}}),
        "ACCESS_POLICY" => {
            json!({"appSignOn": {"access": "ALLOW", "verificationMethod": {"factorMode": "2FA", "type": "ASSURANCE", "reauthenticateIn": "PT2H", "constraints": []}}})
        }
        "PROFILE_ENROLLMENT" => {
            json!({"profileEnrollment": {"access": "ALLOW", "targetGroupIds": [], "unknownUserAction": "DENY", "activationRequirements": {"emailVerification": true}, "profileAttributes": []}})
        }
        "IDP_DISCOVERY" => json!({"idp": {"providers": [{"type": "OKTA", "id": null}]}}),
        _ => json!({}),
    }
}

/// Default rule `conditions`.
pub fn default_conditions(rule_type: &str) -> Value {
    match rule_type {
        "SIGN_ON" => {
            json!({"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}, "authContext": {"authType": "ANY"}, "risk": {"behaviors": []}, "riskScore": {"level": "ANY"}, "identityProvider": {"provider": "ANY"}})
        }
        "PASSWORD" => {
            json!({"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}})
        }
        "MFA_ENROLL" => {
            json!({"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}})
        }
        _ => json!({}),
    }
}

pub struct SeededPolicy {
    pub policy: Value,
    pub rules: Vec<Value>,
}

/// Builds one policy object.
#[allow(clippy::too_many_arguments)]
pub fn policy_object(
    base: &str,
    id: &str,
    policy_type: &str,
    name: &str,
    description: &str,
    status: &str,
    priority: i64,
    system: bool,
    group_ids: &[&str],
    at: DateTime<Utc>,
) -> Value {
    let mut policy = json!({
        "id": id,
        "type": policy_type,
        "status": status,
        "name": name,
        "description": description,
        "priority": priority,
        "system": system,
        "conditions": if policy_type == "ACCESS_POLICY" {
            Value::Null
        } else {
            json!({"people": {"groups": {"include": group_ids}}})
        },
        "created": timestamp(at),
        "lastUpdated": timestamp(at),
        "_links": links::policy(base, id, status),
    });
    let settings = default_settings(policy_type);
    if !settings.is_null() {
        policy["settings"] = settings;
    }
    policy
}

/// Builds one rule object.
#[allow(clippy::too_many_arguments)]
pub fn rule_object(
    base: &str,
    policy_id: &str,
    id: &str,
    rule_type: &str,
    name: &str,
    priority: i64,
    system: bool,
    status: &str,
    at: DateTime<Utc>,
) -> Value {
    json!({
        "id": id,
        "status": status,
        "name": name,
        "priority": priority,
        "created": timestamp(at),
        "lastUpdated": timestamp(at),
        "system": system,
        "type": rule_type,
        "conditions": default_conditions(rule_type),
        "actions": default_actions(rule_type),
        "_links": links::rule(base, policy_id, id, status),
    })
}

pub fn seed(
    rng: &mut StdRng,
    everyone: Option<&str>,
    base: &str,
    now: DateTime<Utc>,
) -> Vec<SeededPolicy> {
    let groups: Vec<&str> = everyone.into_iter().collect();
    let plan: &[(&str, &str, &str, &str, bool)] = &[
        (
            "OKTA_SIGN_ON",
            "Default Policy",
            "The default policy applies in all situations if no other policy applies.",
            "ACTIVE",
            true,
        ),
        (
            "OKTA_SIGN_ON",
            "Contractors session policy",
            "Shorter sessions for contractors",
            "ACTIVE",
            false,
        ),
        (
            "OKTA_SIGN_ON",
            "Legacy VPN sign-on",
            "Retired with the old VPN",
            "INACTIVE",
            false,
        ),
        (
            "PASSWORD",
            "Default Policy",
            "The default policy applies in all situations if no other policy applies.",
            "ACTIVE",
            true,
        ),
        (
            "PASSWORD",
            "Admin passwords",
            "Stronger passwords for administrators",
            "ACTIVE",
            false,
        ),
        (
            "MFA_ENROLL",
            "Default Policy",
            "The default policy applies in all situations if no other policy applies.",
            "ACTIVE",
            true,
        ),
        (
            "MFA_ENROLL",
            "Phishing-resistant enrollment",
            "Require FIDO2 for engineering",
            "ACTIVE",
            false,
        ),
        (
            "ACCESS_POLICY",
            "Default Policy",
            "The default app sign-in policy",
            "ACTIVE",
            true,
        ),
        (
            "ACCESS_POLICY",
            "Any two factors",
            "Require two factors",
            "ACTIVE",
            false,
        ),
        (
            "ACCESS_POLICY",
            "Password only",
            "Legacy apps that cannot do MFA",
            "INACTIVE",
            false,
        ),
        (
            "PROFILE_ENROLLMENT",
            "Default Policy",
            "The default profile enrollment policy",
            "ACTIVE",
            true,
        ),
        (
            "IDP_DISCOVERY",
            "Idp Discovery Policy",
            "Routes users to the right identity provider",
            "ACTIVE",
            true,
        ),
    ];
    // The default (system) policy of each type comes last, as in Okta.
    let mut priorities: std::collections::HashMap<&str, i64> = Default::default();
    let per_type = |t: &str| plan.iter().filter(|p| p.0 == t).count() as i64;
    let mut out: Vec<SeededPolicy> = plan
        .iter()
        .map(|(policy_type, name, description, status, system)| {
            let id = okta_id(rng, prefix::POLICY);
            let at = now - Duration::days(rng.gen_range(100..700));
            let priority = if *system {
                per_type(policy_type)
            } else {
                let next = priorities.entry(policy_type).or_insert(0);
                *next += 1;
                *next
            };
            let policy = policy_object(
                base,
                &id,
                policy_type,
                name,
                description,
                status,
                priority,
                *system,
                &groups,
                at,
            );
            let rule_type = rule_type(policy_type).unwrap_or("SIGN_ON");
            let extra = if *system { 0 } else { rng.gen_range(1..3) };
            let mut rules: Vec<Value> = (1..=extra)
                .map(|p| {
                    let rule_id = okta_id(rng, prefix::RULE);
                    rule_object(
                        base,
                        &id,
                        &rule_id,
                        rule_type,
                        &format!("{name} rule {p}"),
                        p,
                        false,
                        "ACTIVE",
                        at,
                    )
                })
                .collect();
            let rule_id = okta_id(rng, prefix::RULE);
            rules.push(rule_object(
                base,
                &id,
                &rule_id,
                rule_type,
                "Default Rule",
                extra + 1,
                true,
                "ACTIVE",
                at,
            ));
            SeededPolicy { policy, rules }
        })
        .collect();
    // Okta lists the default (system) policy last in priority; keep the numbers as seeded.
    out.sort_by(|a, b| a.policy["id"].as_str().cmp(&b.policy["id"].as_str()));
    out
}

/// Device assurance policies, one or two per platform.
pub fn seed_device_assurances(
    rng: &mut StdRng,
    admin: Option<&str>,
    base: &str,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let admin = admin.unwrap_or("00u000000000000000000");
    let plans = [
        json!({"name": "macOS managed laptops", "platform": "MACOS", "osVersion": {"minimum": "14.5.0"},
               "diskEncryptionType": {"include": ["ALL_INTERNAL_VOLUMES"]}, "screenLockType": {"include": ["PASSCODE", "BIOMETRIC"]},
               "secureHardwarePresent": true}),
        json!({"name": "Windows 11 baseline", "platform": "WINDOWS", "osVersion": {"minimum": "10.0.22631"},
               "diskEncryptionType": {"include": ["ALL_INTERNAL_VOLUMES"]}, "screenLockType": {"include": ["PASSCODE"]},
               "secureHardwarePresent": true}),
        json!({"name": "iOS phones", "platform": "IOS", "osVersion": {"minimum": "17.0.0"},
               "screenLockType": {"include": ["BIOMETRIC"]}, "jailbreak": false}),
        json!({"name": "Android phones", "platform": "ANDROID", "osVersion": {"minimum": "13"},
               "diskEncryptionType": {"include": ["USER", "FULL"]}, "screenLockType": {"include": ["BIOMETRIC"]},
               "jailbreak": false, "secureHardwarePresent": true}),
        json!({"name": "ChromeOS kiosks", "platform": "CHROMEOS"}),
    ];
    plans
        .into_iter()
        .map(|mut policy| {
            let id = okta_id(rng, prefix::DEVICE_ASSURANCE);
            let at = timestamp(now - Duration::days(rng.gen_range(10..300)));
            policy["id"] = json!(id);
            policy["createdDate"] = json!(at);
            policy["lastUpdate"] = json!(at);
            policy["createdBy"] = json!(admin);
            policy["lastUpdatedBy"] = json!(admin);
            policy["_links"] = links::device_assurance(base, &id);
            policy
        })
        .collect()
}
