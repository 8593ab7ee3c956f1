//! What an access review reads: admin roles held by people and by groups (some limited to
//! target groups or apps), a group rule, the org's network zones and its authenticators.
//!
//! Added after the rest of the org is built, from their own random stream, without changing
//! any object seeded before (other tests count users, groups and roles): the roles go to
//! existing people and groups, and everything else is new.

use super::admins::role_label;
use crate::ids::{okta_id, timestamp};
use crate::org::Org;
use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// The groups and apps a role assignment is limited to; both empty means unrestricted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleTargets {
    /// Group ids.
    pub groups: Vec<String>,
    /// Apps as `targets/catalog/apps` lists them: an OIN app by `name`, or one instance
    /// (with its `id`).
    pub apps: Vec<Value>,
}

/// Role types Okta lets an admin limit to groups, and to apps.
pub const GROUP_TARGETED: &[&str] = &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"];
pub const APP_TARGETED: &[&str] = &["APP_ADMIN"];

/// The org id in ORNs (`orn:okta:{org}:users:{id}`).
pub const ORG_ID: &str = "00o1sandbox";

/// A role assignment held by a group, as `GET /api/v1/groups/{id}/roles` lists it.
pub fn group_role_assignment(
    base: &str,
    assignment_id: &str,
    group_id: &str,
    role: &str,
    at: DateTime<Utc>,
) -> Value {
    json!({
        "id": assignment_id,
        "label": role_label(role),
        "type": role,
        "status": "ACTIVE",
        "created": timestamp(at),
        "lastUpdated": timestamp(at),
        "assignmentType": "GROUP",
        "_links": {
            "assignee": {"href": format!("{base}/api/v1/groups/{group_id}")},
        },
    })
}

/// Adds the access-review objects to `org`.
pub fn add(org: &mut Org, seed: u64, now: DateTime<Utc>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0acc_e55e_ed00_0000);
    let base = org.base_url.clone();
    let granted = now - Duration::days(90);
    let group_named = |org: &Org, name: &str| {
        org.groups
            .iter()
            .find(|(_, g)| g["profile"]["name"] == name)
            .map(|(id, _)| id.clone())
    };

    // Two people (the first ACTIVE seeded users who hold no role) with direct roles: an app
    // admin limited to two apps, and a group admin limited to Engineering.
    let people: Vec<String> = org
        .users
        .iter()
        .filter(|(id, u)| u["status"] == "ACTIVE" && !org.admin_roles.contains_key(*id))
        .map(|(id, _)| id.clone())
        .take(2)
        .collect();
    let first_app = org.apps.iter().next().map(|(id, app)| {
        json!({
            "id": id,
            "name": app["name"],
            "displayName": app["label"],
            "status": app["status"],
        })
    });
    if let Some(person) = people.first() {
        let id = okta_id(&mut rng, "ra1");
        let assignment = super::admins::role_assignment(&base, &id, person, "APP_ADMIN", granted);
        org.admin_roles
            .entry(person.clone())
            .or_default()
            .push(assignment);
        let mut apps = vec![json!({
            "name": "salesforce",
            "displayName": "Salesforce.com",
            "description": "Salesforce CRM",
            "status": "ACTIVE",
            "category": "CRM",
            "signOnModes": ["SAML_2_0"],
        })];
        apps.extend(first_app);
        org.role_targets.insert(
            id,
            RoleTargets {
                groups: Vec::new(),
                apps,
            },
        );
    }
    if let (Some(person), Some(engineering)) = (people.get(1), group_named(org, "Engineering")) {
        let id = okta_id(&mut rng, "ra1");
        let assignment = super::admins::role_assignment(&base, &id, person, "USER_ADMIN", granted);
        org.admin_roles
            .entry(person.clone())
            .or_default()
            .push(assignment);
        org.role_targets.insert(
            id,
            RoleTargets {
                groups: vec![engineering],
                apps: Vec::new(),
            },
        );
    }

    // Groups holding roles: Finance reads everything (auditors); People is the help desk
    // for Sales only.
    if let Some(finance) = group_named(org, "Finance") {
        let id = okta_id(&mut rng, "gra");
        let assignment = group_role_assignment(&base, &id, &finance, "READ_ONLY_ADMIN", granted);
        org.group_roles.entry(finance).or_default().push(assignment);
    }
    if let (Some(people_group), Some(sales)) =
        (group_named(org, "People"), group_named(org, "Sales"))
    {
        let id = okta_id(&mut rng, "gra");
        let assignment =
            group_role_assignment(&base, &id, &people_group, "HELP_DESK_ADMIN", granted);
        org.group_roles
            .entry(people_group)
            .or_default()
            .push(assignment);
        org.role_targets.insert(
            id,
            RoleTargets {
                groups: vec![sales],
                apps: Vec::new(),
            },
        );
    }

    // One active group rule that keeps Engineering in step with the department attribute
    // (the seeded memberships already follow it, so it granted nothing of its own).
    if let Some(engineering) = group_named(org, "Engineering") {
        let id = okta_id(&mut rng, "0pr");
        let rule = group_rule(
            &id,
            "Engineering by department",
            "ACTIVE",
            "user.department==\"Engineering\"",
            &[engineering],
            granted,
        );
        org.group_rules.insert(id, rule);
    }

    for zone in zones(&base, &mut rng, now) {
        let id = zone["id"].as_str().unwrap_or_default().to_owned();
        org.network_zones.insert(id, zone);
    }
    for authenticator in authenticators(&base, &mut rng, now) {
        let id = authenticator["id"].as_str().unwrap_or_default().to_owned();
        org.authenticators.insert(id, authenticator);
    }
}

/// A group rule as Okta returns it.
pub fn group_rule(
    id: &str,
    name: &str,
    status: &str,
    expression: &str,
    group_ids: &[String],
    at: DateTime<Utc>,
) -> Value {
    json!({
        "type": "group_rule",
        "id": id,
        "status": status,
        "name": name,
        "created": timestamp(at),
        "lastUpdated": timestamp(at),
        "conditions": {
            "people": {"users": {"exclude": []}, "groups": {"exclude": []}},
            "expression": {"value": expression, "type": "urn:okta:expression:1.0"},
        },
        "actions": {"assignUserToGroups": {"groupIds": group_ids}},
    })
}

/// `_links` of a network zone (self, and the lifecycle link its status allows).
pub fn zone_links(base: &str, id: &str, status: &str) -> Value {
    let href = format!("{base}/api/v1/zones/{id}");
    let (rel, action) = if status == "ACTIVE" {
        ("deactivate", "deactivate")
    } else {
        ("activate", "activate")
    };
    json!({
        "self": {"href": href, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
        rel: {"href": format!("{href}/lifecycle/{action}"), "hints": {"allow": ["POST"]}},
    })
}

fn zones(base: &str, rng: &mut StdRng, now: DateTime<Utc>) -> Vec<Value> {
    let created = timestamp(now - Duration::days(700));
    let recent = timestamp(now - Duration::days(30));
    let mut zone =
        |name: &str, kind: &str, usage: &str, status: &str, system: bool, fields: Value| {
            let id = okta_id(rng, "nzo");
            let mut zone = json!({
                "type": kind,
                "id": id,
                "name": name,
                "status": status,
                "usage": usage,
                "created": created,
                "lastUpdated": if system { &created } else { &recent },
                "system": system,
                "_links": zone_links(base, &id, status),
            });
            if let (Some(zone), Value::Object(fields)) = (zone.as_object_mut(), fields) {
                zone.extend(fields);
            }
            zone
        };
    vec![
        zone(
            "LegacyIpZone",
            "IP",
            "POLICY",
            "ACTIVE",
            true,
            json!({"gateways": null, "proxies": null}),
        ),
        zone(
            "BlockedIpZone",
            "IP",
            "BLOCKLIST",
            "ACTIVE",
            true,
            json!({"gateways": null, "proxies": null}),
        ),
        zone(
            "DefaultEnhancedDynamicZone",
            "DYNAMIC_V2",
            "BLOCKLIST",
            "ACTIVE",
            true,
            json!({
                "locations": {"include": [], "exclude": []},
                "asns": {"include": [], "exclude": []},
                "ipServiceCategories": {"include": ["ALL_ANONYMIZERS"], "exclude": []},
            }),
        ),
        zone(
            "Office Networks",
            "IP",
            "POLICY",
            "ACTIVE",
            false,
            json!({
                "gateways": [
                    {"type": "CIDR", "value": "203.0.113.0/24"},
                    {"type": "RANGE", "value": "198.51.100.10-198.51.100.20"},
                ],
                "proxies": null,
            }),
        ),
        zone(
            "Embargoed Countries",
            "DYNAMIC",
            "BLOCKLIST",
            "ACTIVE",
            false,
            json!({
                "locations": [{"country": "KP", "region": null}, {"country": "IR", "region": null}],
                "proxyType": "TorAnonymizer",
                "asns": [],
            }),
        ),
        zone(
            "Retired VPN",
            "IP",
            "POLICY",
            "INACTIVE",
            false,
            json!({"gateways": [{"type": "CIDR", "value": "192.0.2.0/28"}], "proxies": null}),
        ),
    ]
}

fn authenticators(base: &str, rng: &mut StdRng, now: DateTime<Utc>) -> Vec<Value> {
    let created = timestamp(now - Duration::days(700));
    let mut authenticator = |key: &str, kind: &str, name: &str, status: &str, settings: Value| {
        let id = okta_id(rng, "aut");
        let href = format!("{base}/api/v1/authenticators/{id}");
        let (rel, action) = if status == "ACTIVE" {
            ("deactivate", "deactivate")
        } else {
            ("activate", "activate")
        };
        let mut authenticator = json!({
            "type": kind,
            "id": id,
            "key": key,
            "status": status,
            "name": name,
            "created": created,
            "lastUpdated": created,
            "_links": {
                "self": {"href": href, "hints": {"allow": ["GET", "PUT"]}},
                "methods": {"href": format!("{href}/methods"), "hints": {"allow": ["GET"]}},
                rel: {"href": format!("{href}/lifecycle/{action}"), "hints": {"allow": ["POST"]}},
            },
        });
        if !settings.is_null() {
            authenticator["settings"] = settings;
        }
        authenticator
    };
    vec![
        authenticator(
            "okta_email",
            "email",
            "Email",
            "ACTIVE",
            json!({"allowedFor": "any", "tokenLifetimeInMinutes": 5}),
        ),
        authenticator(
            "okta_password",
            "password",
            "Password",
            "ACTIVE",
            Value::Null,
        ),
        authenticator(
            "okta_verify",
            "app",
            "Okta Verify",
            "ACTIVE",
            json!({"allowedFor": "any", "channelBinding": {"style": "NUMBER_CHALLENGE", "required": "HIGH_RISK_ONLY"}, "userVerification": "PREFERRED"}),
        ),
        authenticator(
            "webauthn",
            "security_key",
            "Security Key or Biometric",
            "ACTIVE",
            Value::Null,
        ),
        authenticator(
            "phone_number",
            "phone",
            "Phone",
            "INACTIVE",
            json!({"allowedFor": "none"}),
        ),
        authenticator(
            "security_question",
            "security_question",
            "Security Question",
            "INACTIVE",
            json!({"allowedFor": "recovery"}),
        ),
    ]
}
