//! Seeded users: realistic profiles spread over every Okta user status, with timestamps
//! consistent with that status (a STAGED user never logged in, and so on).

use super::pools::{CITIES, DEPARTMENTS, FIRST_NAMES, LAST_NAMES, STREETS};
use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Every status Okta gives users; the first users cycle through them so each appears.
pub const STATUSES: [&str; 8] = [
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
    "DEPROVISIONED",
];

/// Weights for the rest: most users are ACTIVE, as in a real org.
const STATUS_WEIGHTS: [u32; 8] = [4, 4, 70, 3, 4, 4, 4, 7];

pub const EMAIL_DOMAIN: &str = "acme.example.com";

pub fn seed(
    rng: &mut StdRng,
    count: usize,
    base: &str,
    now: DateTime<Utc>,
    type_id: &str,
) -> Vec<Value> {
    let mut logins = HashSet::new();
    let mut users: Vec<Value> = Vec::with_capacity(count);
    for index in 0..count {
        let status = STATUSES
            .get(index)
            .copied()
            .unwrap_or_else(|| weighted_status(rng));
        let first = *FIRST_NAMES.choose(rng).unwrap_or(&"Alex");
        let last = *LAST_NAMES.choose(rng).unwrap_or(&"Doe");
        let mut login = format!(
            "{}.{}@{EMAIL_DOMAIN}",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let mut n = 2;
        while !logins.insert(login.clone()) {
            login = format!(
                "{}.{}{n}@{EMAIL_DOMAIN}",
                first.to_lowercase(),
                last.to_lowercase()
            );
            n += 1;
        }
        // Managers are drawn from earlier users so the reporting chain has no cycles.
        let manager = if index == 0 {
            None
        } else {
            users.get(rng.gen_range(0..index.min(12)))
        };
        let user = build(
            rng,
            BuildArgs {
                index,
                status,
                first,
                last,
                login: &login,
                manager,
                base,
                now,
                type_id,
            },
        );
        users.push(user);
    }
    users
}

fn weighted_status(rng: &mut StdRng) -> &'static str {
    let total: u32 = STATUS_WEIGHTS.iter().sum();
    let mut pick = rng.gen_range(0..total);
    for (status, weight) in STATUSES.iter().zip(STATUS_WEIGHTS) {
        if pick < weight {
            return status;
        }
        pick -= weight;
    }
    "ACTIVE"
}

struct BuildArgs<'a> {
    index: usize,
    status: &'static str,
    first: &'a str,
    last: &'a str,
    login: &'a str,
    manager: Option<&'a Value>,
    base: &'a str,
    now: DateTime<Utc>,
    type_id: &'a str,
}

fn build(rng: &mut StdRng, a: BuildArgs<'_>) -> Value {
    let id = okta_id(rng, prefix::USER);
    let (department, division, cost_center, titles) =
        DEPARTMENTS[rng.gen_range(0..DEPARTMENTS.len())];
    let title = titles[rng.gen_range(0..titles.len())];
    let home = &CITIES[rng.gen_range(0..CITIES.len())];
    let street = STREETS[rng.gen_range(0..STREETS.len())];
    let contractor = rng.gen_ratio(1, 8);

    let created = a.now
        - Duration::days(rng.gen_range(30..1100))
        - Duration::seconds(rng.gen_range(0..86_400));
    let after = |rng: &mut StdRng, from: DateTime<Utc>| {
        let span = (a.now - from).num_seconds().max(2);
        from + Duration::seconds(rng.gen_range(1..span))
    };
    let activated = (a.status != "STAGED").then(|| after(rng, created));
    let password_changed = match a.status {
        "STAGED" | "PROVISIONED" => None,
        _ => activated.map(|t| after(rng, t)),
    };
    let last_login = match a.status {
        "STAGED" | "PROVISIONED" => None,
        _ => password_changed.map(|t| after(rng, t)),
    };
    let status_changed = match a.status {
        "STAGED" => None,
        "ACTIVE" | "PROVISIONED" => activated,
        _ => Some(after(rng, last_login.or(activated).unwrap_or(created))),
    };
    let last_updated = [Some(created), activated, password_changed, status_changed]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(created);

    let ts = |t: Option<DateTime<Utc>>| t.map(timestamp).map_or(Value::Null, Value::String);
    let mut credentials = json!({
        "provider": {"type": "OKTA", "name": "OKTA"},
    });
    if password_changed.is_some() {
        credentials["password"] = json!({});
        credentials["recovery_question"] =
            json!({"question": "What was the name of your first pet?"});
    }
    let (manager, manager_id) = match a.manager {
        Some(m) => (
            json!(format!(
                "{} {}",
                m["profile"]["firstName"].as_str().unwrap_or_default(),
                m["profile"]["lastName"].as_str().unwrap_or_default()
            )),
            m["id"].clone(),
        ),
        None => (Value::Null, Value::Null),
    };

    json!({
        "id": id,
        "status": a.status,
        "created": timestamp(created),
        "activated": ts(activated),
        "statusChanged": ts(status_changed),
        "lastLogin": ts(last_login),
        "lastUpdated": timestamp(last_updated),
        "passwordChanged": ts(password_changed),
        "type": {"id": a.type_id},
        "profile": {
            "firstName": a.first,
            "lastName": a.last,
            "displayName": format!("{} {}", a.first, a.last),
            "nickName": a.first,
            "login": a.login,
            "email": a.login,
            "secondEmail": null,
            "mobilePhone": format!("{} {:03}-{:04}", home.phone_prefix, rng.gen_range(200..999), rng.gen_range(0..10_000)),
            "primaryPhone": null,
            "title": title,
            "department": department,
            "division": division,
            "organization": "Acme Corp",
            "costCenter": cost_center,
            "employeeNumber": format!("{:06}", 100_000 + a.index),
            "userType": if contractor { "Contractor" } else { "Employee" },
            "manager": manager,
            "managerId": manager_id,
            "streetAddress": format!("{} {street}", rng.gen_range(1..999)),
            "city": home.name,
            "state": home.state,
            "zipCode": home.postal_code,
            "countryCode": home.country_code,
            "preferredLanguage": "en",
            "locale": "en_US",
            "timezone": home.timezone,
        },
        "credentials": credentials,
        "_links": links::user(a.base, &id, a.status, a.type_id),
    })
}
