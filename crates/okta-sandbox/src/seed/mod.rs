//! Deterministic seeding: the same seed, sizes and start time build the same org.

pub mod access;
pub mod admins;
pub mod apps;
mod factors;
mod groups;
pub mod logs;
pub mod policies;
mod pools;
pub mod users;

use crate::SandboxConfig;
use crate::ids::{okta_id, prefix};
use crate::org::Org;
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use std::collections::BTreeMap;

/// Builds the org for `config`, with `_links` on `base_url` and timestamps before `now`.
pub fn build(config: &SandboxConfig, base_url: &str, now: DateTime<Utc>) -> Org {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let user_type_id = okta_id(&mut rng, prefix::USER_TYPE);
    let users = users::seed(&mut rng, config.users, base_url, now, &user_type_id);
    let mut apps = apps::seed(&mut rng, config.apps, &users, base_url, now);
    let directory_app = apps
        .first()
        .and_then(|a| a.app["id"].as_str())
        .map(str::to_owned);
    let groups = groups::seed(
        &mut rng,
        config.groups,
        &users,
        directory_app.as_deref(),
        base_url,
        now,
    );
    apps::assign_groups(&mut rng, &mut apps, &groups, base_url, now);
    let everyone = groups
        .iter()
        .find(|(g, _)| g["type"] == "BUILT_IN")
        .and_then(|(g, _)| g["id"].as_str());
    let policies = policies::seed(&mut rng, everyone, base_url, now);
    let admin = users
        .iter()
        .find(|u| u["status"] == "ACTIVE")
        .and_then(|u| u["id"].as_str());
    let device_assurances = policies::seed_device_assurances(&mut rng, admin, base_url, now);

    let sign_on_rules: Vec<(Value, Value)> = policies
        .iter()
        .filter(|p| p.policy["type"] == "OKTA_SIGN_ON")
        .flat_map(|p| p.rules.iter().map(|r| (p.policy.clone(), r.clone())))
        .collect();
    let group_values: Vec<Value> = groups.iter().map(|(g, _)| g.clone()).collect();
    let app_values: Vec<Value> = apps.iter().map(|a| a.app.clone()).collect();
    let refs = logs::Refs {
        users: &users,
        groups: &group_values,
        apps: &app_values,
        sign_on_rules: &sign_on_rules,
    };
    let logs = logs::seed(&mut rng, config.log_events, &refs, now);

    let by_id = |v: Value| (v["id"].as_str().unwrap_or_default().to_owned(), v);
    let mut org = Org {
        base_url: base_url.to_owned(),
        users: users.into_iter().map(by_id).collect(),
        groups: BTreeMap::new(),
        memberships: BTreeMap::new(),
        apps: BTreeMap::new(),
        app_users: BTreeMap::new(),
        app_groups: BTreeMap::new(),
        next_log_seq: logs.len() as u64,
        logs,
        policies: BTreeMap::new(),
        policy_rules: BTreeMap::new(),
        device_assurances: device_assurances.into_iter().map(by_id).collect(),
        admin_roles: BTreeMap::new(),
        factors: BTreeMap::new(),
        group_roles: BTreeMap::new(),
        role_targets: BTreeMap::new(),
        group_rules: BTreeMap::new(),
        group_rule_grants: BTreeMap::new(),
        network_zones: BTreeMap::new(),
        authenticators: BTreeMap::new(),
        saml_certificates: BTreeMap::new(),
        user_type_id,
        rng: StdRng::seed_from_u64(config.seed.wrapping_add(1)),
    };
    for (group, members) in groups {
        let (id, group) = by_id(group);
        org.memberships.insert(id.clone(), members);
        org.groups.insert(id, group);
    }
    for seeded in apps {
        let (id, app) = by_id(seeded.app);
        org.app_users.insert(id.clone(), seeded.users);
        org.app_groups.insert(id.clone(), seeded.groups);
        org.apps.insert(id, app);
    }
    for seeded in policies {
        let (id, policy) = by_id(seeded.policy);
        org.policy_rules.insert(id.clone(), seeded.rules);
        org.policies.insert(id, policy);
    }
    admins::add(&mut org, config.seed, now, config.extra_admins);
    factors::add(&mut org, config.seed, now);
    access::add(&mut org, config.seed, now);
    org
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn org(seed: u64) -> (Org, DateTime<Utc>) {
        let now = Utc::now();
        let config = SandboxConfig {
            seed,
            ..SandboxConfig::default()
        };
        (build(&config, "http://127.0.0.1:1", now), now)
    }

    #[test]
    fn same_seed_same_org() {
        let now = Utc::now();
        let config = SandboxConfig::default();
        let a = build(&config, "http://127.0.0.1:1", now);
        let b = build(&config, "http://127.0.0.1:1", now);
        assert_eq!(a.users, b.users);
        assert_eq!(a.groups, b.groups);
        assert_eq!(a.memberships, b.memberships);
        assert_eq!(a.apps, b.apps);
        let ev = |o: &Org| o.logs.iter().map(|e| e.event.clone()).collect::<Vec<_>>();
        assert_eq!(ev(&a), ev(&b));
        let other = build(
            &SandboxConfig { seed: 43, ..config },
            "http://127.0.0.1:1",
            now,
        );
        assert_ne!(a.users, other.users);
    }

    #[test]
    fn default_sizes_and_every_status() {
        let (org, _) = org(42);
        assert_eq!(org.users.len(), 200 + admins::ADMINS.len());
        assert_eq!(org.groups.len(), 30);
        assert_eq!(org.apps.len(), 20);
        assert_eq!(org.logs.len(), 5000);
        let statuses: HashSet<&str> = org
            .users
            .values()
            .filter_map(|u| u["status"].as_str())
            .collect();
        for status in users::STATUSES {
            assert!(statuses.contains(status), "{status}");
        }
        let kinds: HashSet<&str> = org
            .groups
            .values()
            .filter_map(|g| g["type"].as_str())
            .collect();
        assert!(kinds.contains("OKTA_GROUP") && kinds.contains("APP_GROUP"));
        let modes: HashSet<&str> = org
            .apps
            .values()
            .filter_map(|a| a["signOnMode"].as_str())
            .collect();
        assert!(modes.len() >= 5, "{modes:?}");
        let logins: HashSet<&str> = org
            .users
            .values()
            .filter_map(|u| u["profile"]["login"].as_str())
            .collect();
        assert_eq!(logins.len(), org.users.len(), "logins are unique");
    }

    #[test]
    fn logs_cover_outcomes_types_and_the_last_week() {
        let (org, now) = org(42);
        let outcomes: HashSet<&str> = org
            .logs
            .iter()
            .filter_map(|e| e.event["outcome"]["result"].as_str())
            .collect();
        for result in [
            "SUCCESS",
            "FAILURE",
            "DENY",
            "ALLOW",
            "CHALLENGE",
            "UNKNOWN",
        ] {
            assert!(outcomes.contains(result), "{result}");
        }
        let types: HashSet<&str> = org
            .logs
            .iter()
            .filter_map(|e| e.event["eventType"].as_str())
            .collect();
        for t in logs::event_types() {
            assert!(types.contains(t), "{t}");
        }
        let week = chrono::Duration::days(7);
        assert!(
            org.logs
                .iter()
                .all(|e| e.published < now && e.published > now - week)
        );
        assert!(
            org.logs
                .windows(2)
                .all(|w| w[0].published <= w[1].published)
        );
        assert!(org.logs.iter().all(|e| {
            e.event["published"]
                .as_str()
                .and_then(|p| p.parse::<DateTime<Utc>>().ok())
                == Some(e.published)
        }));
        let user_ids: HashSet<&str> = org.users.keys().map(String::as_str).collect();
        assert!(org.logs.iter().all(|e| {
            e.event["actor"]["id"]
                .as_str()
                .is_some_and(|id| user_ids.contains(id))
        }));
    }

    #[test]
    fn extra_admins_are_active_super_admins_with_generated_logins() {
        let now = Utc::now();
        let plain = build(&SandboxConfig::default(), "http://127.0.0.1:1", now);
        let config = SandboxConfig {
            extra_admins: 3,
            ..SandboxConfig::default()
        };
        let org = build(&config, "http://127.0.0.1:1", now);
        assert_eq!(org.users.len(), plain.users.len() + 3);
        // The rest of the org is unchanged by them.
        for (id, user) in &plain.users {
            assert_eq!(org.users.get(id), Some(user), "{id}");
        }
        for n in 0..3 {
            let login = crate::extra_admin_login(n);
            let (id, user) = org
                .users
                .iter()
                .find(|(_, u)| u["profile"]["login"] == login.as_str())
                .unwrap_or_else(|| panic!("{login} seeded"));
            assert_eq!(id.len(), 20, "an Okta-shaped id: {id}");
            assert_eq!(user["status"], "ACTIVE");
            assert_eq!(org.admin_roles[id][0]["type"], "SUPER_ADMIN");
        }
    }

    #[test]
    fn tiny_and_empty_orgs_build() {
        for (users, groups, apps, log_events) in
            [(0, 0, 0, 0), (1, 1, 1, 1), (3, 0, 0, 50), (0, 40, 25, 10)]
        {
            let config = SandboxConfig {
                users,
                groups,
                apps,
                log_events,
                ..SandboxConfig::default()
            };
            let org = build(&config, "http://127.0.0.1:1", Utc::now());
            // Like a real org, even an empty one has its administrators.
            assert_eq!(org.users.len(), users + admins::ADMINS.len());
            assert_eq!(org.groups.len(), groups);
            assert_eq!(org.apps.len(), apps);
            assert_eq!(org.logs.len(), if users == 0 { 0 } else { log_events });
        }
    }

    #[test]
    fn memberships_reference_seeded_users() {
        let (org, _) = org(1);
        for members in org.memberships.values() {
            assert!(members.iter().all(|m| org.users.contains_key(m)));
        }
        let everyone = org
            .groups
            .values()
            .find(|g| g["profile"]["name"] == "Everyone")
            .unwrap();
        assert_eq!(
            org.memberships[everyone["id"].as_str().unwrap()].len(),
            org.users.len()
        );
    }
}

#[cfg(test)]
mod timing {
    /// CPU time of the calling thread, from /proc (Linux); None elsewhere.
    fn thread_cpu() -> Option<std::time::Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // USER_HZ is 100 on every Linux platform Rust supports.
        Some(std::time::Duration::from_millis(ticks * 10))
    }

    /// Seeding the default org must stay cheap: every test and `--demo` pays for it.
    /// Measured as CPU time so a busy machine does not make it flaky.
    #[test]
    fn default_org_builds_quickly() {
        let before = thread_cpu();
        let org = super::build(
            &crate::SandboxConfig::default(),
            "http://127.0.0.1:1",
            chrono::Utc::now(),
        );
        assert_eq!(org.logs.len(), 5000);
        if let (Some(before), Some(after)) = (before, thread_cpu()) {
            let spent = after - before;
            assert!(
                spent < std::time::Duration::from_millis(600),
                "seeding used {spent:?} of CPU"
            );
        }
    }
}
