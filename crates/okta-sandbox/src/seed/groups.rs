//! Seeded groups: the built-in Everyone group, OKTA_GROUPs by department, region and role,
//! and APP_GROUPs imported from the directory app, with memberships that follow profiles.

use super::pools::DEPARTMENTS;
use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Who belongs to a seeded group.
enum Members {
    All,
    Department(&'static str),
    Countries(&'static [&'static str]),
    UserType(&'static str),
    /// Roughly one user in `n`.
    Sample(u32),
}

enum Kind {
    BuiltIn,
    Okta,
    /// Imported from the directory app (the first seeded app).
    App,
}

struct Template {
    name: String,
    description: String,
    kind: Kind,
    members: Members,
}

fn templates() -> Vec<Template> {
    let okta = |name: &str, description: &str, members| Template {
        name: name.into(),
        description: description.into(),
        kind: Kind::Okta,
        members,
    };
    let app = |name: &str, description: &str, members| Template {
        name: name.into(),
        description: description.into(),
        kind: Kind::App,
        members,
    };
    let mut list = vec![Template {
        name: "Everyone".into(),
        description: "All users in your organization".into(),
        kind: Kind::BuiltIn,
        members: Members::All,
    }];
    for (department, ..) in DEPARTMENTS {
        list.push(okta(
            department,
            &format!("Members of the {department} department"),
            Members::Department(department),
        ));
    }
    list.extend([
        okta(
            "Contractors",
            "External contractors with limited access",
            Members::UserType("Contractor"),
        ),
        okta(
            "All Staff US",
            "Employees based in the United States",
            Members::Countries(&["US"]),
        ),
        okta(
            "All Staff EMEA",
            "Employees based in Europe",
            Members::Countries(&["GB", "IE", "DE", "FR"]),
        ),
        okta(
            "All Staff APAC",
            "Employees based in Asia Pacific",
            Members::Countries(&["IN", "JP", "AU"]),
        ),
        okta(
            "All Staff Americas (non-US)",
            "Employees in Canada and Latin America",
            Members::Countries(&["CA", "BR"]),
        ),
        okta(
            "VPN Users",
            "Users allowed to connect to the corporate VPN",
            Members::Sample(3),
        ),
        okta(
            "MFA Exempt",
            "Service accounts exempt from MFA (review quarterly)",
            Members::Sample(40),
        ),
        okta(
            "Okta Admins",
            "Administrators of the Okta org",
            Members::Sample(25),
        ),
        okta(
            "Beta Testers",
            "Early access to new features",
            Members::Sample(6),
        ),
        okta(
            "On-Call Engineers",
            "Receive production pages",
            Members::Sample(10),
        ),
        okta("Managers", "People managers", Members::Sample(8)),
        app("Domain Users", "CORP\\Domain Users", Members::Sample(2)),
        app(
            "Finance-Share-RW",
            "CORP\\Finance-Share-RW",
            Members::Sample(12),
        ),
        app(
            "Remote Desktop Users",
            "CORP\\Remote Desktop Users",
            Members::Sample(9),
        ),
        app(
            "Print Operators",
            "CORP\\Print Operators",
            Members::Sample(30),
        ),
        app(
            "Engineering-Builds",
            "CORP\\Engineering-Builds",
            Members::Sample(7),
        ),
        app("Wifi-Corp", "CORP\\Wifi-Corp", Members::Sample(2)),
        app("Legacy-ERP", "CORP\\Legacy-ERP", Members::Sample(15)),
    ]);
    list
}

/// Builds `count` groups and their member sets (same order).
pub fn seed(
    rng: &mut StdRng,
    count: usize,
    users: &[Value],
    directory_app: Option<&str>,
    base: &str,
    now: DateTime<Utc>,
) -> Vec<(Value, BTreeSet<String>)> {
    let mut list = templates();
    let mut extra = 1;
    while list.len() < count {
        list.push(Template {
            name: format!("Project Team {extra}"),
            description: format!("Members of project team {extra}"),
            kind: Kind::Okta,
            members: Members::Sample(5),
        });
        extra += 1;
    }
    list.truncate(count);
    list.into_iter()
        .map(|t| {
            let members = members(rng, &t.members, users);
            (build(rng, &t, directory_app, base, now), members)
        })
        .collect()
}

fn members(rng: &mut StdRng, rule: &Members, users: &[Value]) -> BTreeSet<String> {
    users
        .iter()
        .filter(|u| {
            let profile = &u["profile"];
            match rule {
                Members::All => true,
                Members::Department(d) => profile["department"] == *d,
                Members::Countries(cs) => cs.iter().any(|c| profile["countryCode"] == *c),
                Members::UserType(t) => profile["userType"] == *t,
                Members::Sample(n) => rng.gen_ratio(1, *n),
            }
        })
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect()
}

fn build(
    rng: &mut StdRng,
    t: &Template,
    directory_app: Option<&str>,
    base: &str,
    now: DateTime<Utc>,
) -> Value {
    let id = okta_id(rng, prefix::GROUP);
    let created = now - Duration::days(rng.gen_range(200..1200));
    let last_updated = created + Duration::days(rng.gen_range(0..150));
    let membership_updated = now - Duration::minutes(rng.gen_range(10..60 * 24 * 60));
    let (kind, object_class, source) = match t.kind {
        Kind::BuiltIn => ("BUILT_IN", "okta:user_group", None),
        Kind::Okta => ("OKTA_GROUP", "okta:user_group", None),
        Kind::App => (
            "APP_GROUP",
            "okta:windows_security_principal",
            directory_app,
        ),
    };
    let mut profile = json!({"name": t.name, "description": t.description});
    if matches!(t.kind, Kind::App) {
        profile["groupType"] = json!("Security");
        profile["samAccountName"] = json!(t.name);
        profile["groupScope"] = json!("Global");
        profile["dn"] = json!(format!(
            "CN={},OU=Groups,DC=corp,DC=acme,DC=example",
            t.name
        ));
        profile["windowsDomainQualifiedName"] = json!(t.description);
        profile["externalId"] = json!(crate::ids::base62(rng, 22));
    }
    json!({
        "id": id,
        "created": timestamp(created),
        "lastUpdated": timestamp(last_updated),
        "lastMembershipUpdated": timestamp(membership_updated),
        "objectClass": [object_class],
        "type": kind,
        "profile": profile,
        "_links": links::group(base, &id, source),
    })
}
