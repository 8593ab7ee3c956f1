//! The seeded administrators: three ACTIVE people holding Okta's standard admin roles, with
//! fixed ids and logins so tests and the team server can sign them in by name.
//!
//! They are added after the rest of the org is built, from their own random stream, so the
//! seeded users, groups, apps and events are the same with or without them.

use super::users;
use crate::ids::timestamp;
use crate::oauth::{HELP_DESK_ADMIN_LOGIN, READ_ONLY_ADMIN_LOGIN, SUPER_ADMIN_LOGIN};
use crate::org::Org;
use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// One seeded admin: fixed id, login, name and role.
pub struct SeededAdmin {
    pub id: &'static str,
    pub role_assignment_id: &'static str,
    pub login: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub role: &'static str,
}

/// The seeded admins, in the order the README lists them.
pub const ADMINS: [SeededAdmin; 3] = [
    SeededAdmin {
        id: "00uzzzsandboxsuper01",
        role_assignment_id: "ra1sandboxsuperadm01",
        login: SUPER_ADMIN_LOGIN,
        first_name: "Sandbox",
        last_name: "Admin",
        role: "SUPER_ADMIN",
    },
    SeededAdmin {
        id: "00uzzzsandboxhelpd01",
        role_assignment_id: "ra1sandboxhelpdesk01",
        login: HELP_DESK_ADMIN_LOGIN,
        first_name: "Helen",
        last_name: "Desk",
        role: "HELP_DESK_ADMIN",
    },
    SeededAdmin {
        id: "00uzzzsandboxreado01",
        role_assignment_id: "ra1sandboxreadonly01",
        login: READ_ONLY_ADMIN_LOGIN,
        first_name: "Reid",
        last_name: "Only",
        role: "READ_ONLY_ADMIN",
    },
];

/// Okta's label for a standard role type.
pub fn role_label(role: &str) -> &'static str {
    match role {
        "SUPER_ADMIN" => "Super Organization Administrator",
        "ORG_ADMIN" => "Organizational Administrator",
        "HELP_DESK_ADMIN" => "Help Desk Administrator",
        "READ_ONLY_ADMIN" => "Read Only Administrator",
        "USER_ADMIN" => "Group Administrator",
        "GROUP_MEMBERSHIP_ADMIN" => "Group Membership Administrator",
        "APP_ADMIN" => "Application Administrator",
        "REPORT_ADMIN" => "Report Administrator",
        _ => "Administrator",
    }
}

/// A role assignment as `GET /api/v1/users/{id}/roles` lists it.
pub fn role_assignment(
    base: &str,
    assignment_id: &str,
    user_id: &str,
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
        "assignmentType": "USER",
        "_links": {
            "assignee": {"href": format!("{base}/api/v1/users/{user_id}")},
        },
    })
}

/// The login of the `n`th extra admin (0-based): `bench.admin.0000@example.com`, ...
pub fn extra_admin_login(n: usize) -> String {
    format!("bench.admin.{n:04}@example.com")
}

/// Adds the admins, their role assignments and their Everyone membership to `org`, then
/// `extra` more SUPER_ADMINs with generated logins ([`extra_admin_login`]), for load runs
/// that need many distinct people signed in at once.
pub fn add(org: &mut Org, seed: u64, now: DateTime<Utc>, extra: usize) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0ad4_1a5e_ed00_0000);
    let everyone = org
        .groups
        .iter()
        .find(|(_, g)| g["type"] == "BUILT_IN")
        .map(|(id, _)| id.clone());
    let fixed = ADMINS.iter().map(|admin| Person {
        id: admin.id.to_owned(),
        role_assignment_id: admin.role_assignment_id.to_owned(),
        login: admin.login.to_owned(),
        first_name: admin.first_name.to_owned(),
        last_name: admin.last_name.to_owned(),
        role: admin.role,
    });
    let generated = (0..extra).map(|n| Person {
        id: format!("00uzzzbenchadm{n:06}"),
        role_assignment_id: format!("ra1zzzbenchadm{n:06}"),
        login: extra_admin_login(n),
        first_name: "Bench".to_owned(),
        last_name: format!("Admin {n:04}"),
        role: "SUPER_ADMIN",
    });
    for (index, admin) in fixed.chain(generated).enumerate() {
        let mut user = users::seed(&mut rng, 1, &org.base_url, now, &org.user_type_id)
            .pop()
            .unwrap_or_else(|| json!({"profile": {}}));
        let profile = &mut user["profile"];
        profile["firstName"] = json!(admin.first_name);
        profile["lastName"] = json!(admin.last_name);
        profile["displayName"] = json!(format!("{} {}", admin.first_name, admin.last_name));
        profile["nickName"] = json!(admin.first_name);
        profile["login"] = json!(admin.login);
        profile["email"] = json!(admin.login);
        profile["department"] = json!("IT");
        profile["employeeNumber"] = json!(format!("9{index:05}"));
        profile["title"] = json!(role_label(admin.role));
        profile["manager"] = Value::Null;
        profile["managerId"] = Value::Null;
        let created = now - Duration::days(400);
        user["id"] = json!(admin.id);
        user["status"] = json!("ACTIVE");
        user["created"] = json!(timestamp(created));
        user["activated"] = json!(timestamp(created));
        user["statusChanged"] = json!(timestamp(created));
        user["passwordChanged"] = json!(timestamp(created));
        user["credentials"]["password"] = json!({});
        user["_links"] = crate::links::user(&org.base_url, &admin.id, "ACTIVE", &org.user_type_id);
        org.admin_roles.insert(
            admin.id.clone(),
            vec![role_assignment(
                &org.base_url,
                &admin.role_assignment_id,
                &admin.id,
                admin.role,
                created,
            )],
        );
        if let Some(everyone) = &everyone {
            org.memberships
                .entry(everyone.clone())
                .or_default()
                .insert(admin.id.clone());
        }
        org.users.insert(admin.id, user);
    }
}

/// An admin about to be added: a fixed one or a generated extra.
struct Person {
    id: String,
    role_assignment_id: String,
    login: String,
    first_name: String,
    last_name: String,
    role: &'static str,
}
