//! The org's state: every resource stored as the JSON the API returns, keyed by id so
//! listings have a stable order and cursors survive inserts and deletes.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One System Log event plus its parsed `published`, for fast time-window queries.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub published: DateTime<Utc>,
    /// Order of arrival: breaks ties between events published in the same millisecond.
    pub seq: u64,
    pub event: Value,
}

/// Everything the sandbox org holds.
#[derive(Debug)]
pub struct Org {
    /// Origin used in `_links` (e.g. `http://127.0.0.1:41234`).
    pub base_url: String,
    pub users: BTreeMap<String, Value>,
    pub groups: BTreeMap<String, Value>,
    /// group id → member user ids.
    pub memberships: BTreeMap<String, BTreeSet<String>>,
    pub apps: BTreeMap<String, Value>,
    /// app id → user id → app user (assignment) object.
    pub app_users: BTreeMap<String, BTreeMap<String, Value>>,
    /// app id → group id → application group assignment.
    pub app_groups: BTreeMap<String, BTreeMap<String, Value>>,
    /// Sorted by (`published`, `seq`).
    pub logs: Vec<LogEntry>,
    /// `seq` of the next event appended.
    pub next_log_seq: u64,
    pub policies: BTreeMap<String, Value>,
    /// policy id → its rules (sorted by priority when read).
    pub policy_rules: BTreeMap<String, Vec<Value>>,
    pub device_assurances: BTreeMap<String, Value>,
    /// user id → the user's admin role assignments (as `/api/v1/users/{id}/roles` lists them).
    pub admin_roles: BTreeMap<String, Vec<Value>>,
    /// user id → the user's enrolled MFA factors, in enrollment order (`/users/{id}/factors`).
    pub factors: BTreeMap<String, Vec<Value>>,
    /// group id → the group's admin role assignments (`/api/v1/groups/{id}/roles`).
    pub group_roles: BTreeMap<String, Vec<Value>>,
    /// role assignment id → the groups and apps the role is limited to (none: all of them).
    pub role_targets: BTreeMap<String, crate::seed::access::RoleTargets>,
    /// Group rules by id (`/api/v1/groups/rules`).
    pub group_rules: BTreeMap<String, Value>,
    /// rule id → the (group id, user id) memberships the rule added, for `removeUsers`.
    pub group_rule_grants: BTreeMap<String, BTreeSet<(String, String)>>,
    /// Network zones by id (`/api/v1/zones`).
    pub network_zones: BTreeMap<String, Value>,
    /// Authenticators by id (`/api/v1/authenticators`).
    pub authenticators: BTreeMap<String, Value>,
    /// A SAML app's signing key id → its certificate (DER), made when first asked for.
    pub saml_certificates: BTreeMap<String, Vec<u8>>,
    /// The id of the default user type (`oty…`), shared by every user.
    pub user_type_id: String,
    /// Source of ids for objects created at run time (seeded, so runs are repeatable).
    pub rng: StdRng,
}

/// Shared, lockable org. Locks are never held across an `.await`.
#[derive(Clone, Debug)]
pub struct SharedOrg(Arc<RwLock<Org>>);

impl SharedOrg {
    pub fn new(org: Org) -> Self {
        Self(Arc::new(RwLock::new(org)))
    }

    /// A poisoned lock only means a handler panicked mid-request; the data is still usable.
    pub fn read(&self) -> RwLockReadGuard<'_, Org> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Org> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Org {
    /// Members of a group in id order, as listed (collection view of each user).
    pub fn group_members(&self, group_id: &str) -> Vec<Value> {
        self.memberships
            .get(group_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.users.get(id))
                    .map(crate::links::collection_view)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Looks a user up by id, or by login (case-insensitive, as Okta matches logins).
    pub fn find_user_id(&self, id_or_login: &str) -> Option<String> {
        if self.users.contains_key(id_or_login) {
            return Some(id_or_login.to_owned());
        }
        self.users
            .iter()
            .find(|(_, u)| {
                u["profile"]["login"]
                    .as_str()
                    .is_some_and(|l| l.eq_ignore_ascii_case(id_or_login))
            })
            .map(|(id, _)| id.clone())
    }

    /// Appends an event keeping the log sorted.
    pub fn push_log(&mut self, mut entry: LogEntry) {
        entry.seq = self.next_log_seq;
        self.next_log_seq += 1;
        let at = self
            .logs
            .partition_point(|e| e.published <= entry.published);
        self.logs.insert(at, entry);
    }
}

/// Read access to the org as the API would return it, so tests can compute expected answers.
#[derive(Clone, Debug)]
pub struct OrgHandle {
    org: SharedOrg,
}

impl OrgHandle {
    pub(crate) fn new(org: SharedOrg) -> Self {
        Self { org }
    }

    /// Every user (all statuses, DEPROVISIONED included) in listing order, as a list
    /// returns them (only the `self` link).
    pub fn users(&self) -> Vec<Value> {
        self.org
            .read()
            .users
            .values()
            .map(crate::links::collection_view)
            .collect()
    }

    /// One user as `GET /api/v1/users/{id}` returns it (full lifecycle links).
    pub fn user(&self, id: &str) -> Option<Value> {
        self.org.read().users.get(id).cloned()
    }

    pub fn groups(&self) -> Vec<Value> {
        self.org.read().groups.values().cloned().collect()
    }

    /// Members of `group_id` (empty for an unknown group).
    pub fn group_members(&self, group_id: &str) -> Vec<Value> {
        self.org.read().group_members(group_id)
    }

    pub fn apps(&self) -> Vec<Value> {
        self.org.read().apps.values().cloned().collect()
    }

    /// App users of `app_id`: assigned directly (scope USER) or through a group (GROUP).
    pub fn app_users(&self, app_id: &str) -> Vec<Value> {
        self.org
            .read()
            .effective_app_users(app_id)
            .into_values()
            .collect()
    }

    /// Group assignments of `app_id`.
    pub fn app_groups(&self, app_id: &str) -> Vec<Value> {
        self.org
            .read()
            .app_groups
            .get(app_id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every System Log event, oldest first.
    pub fn log_events(&self) -> Vec<Value> {
        self.org
            .read()
            .logs
            .iter()
            .map(|e| e.event.clone())
            .collect()
    }

    /// Adds System Log events (each with an RFC 3339 `published`), for tests that need a
    /// particular shape of log, e.g. many events in one millisecond at a page boundary.
    pub fn add_log_events(&self, events: impl IntoIterator<Item = Value>) {
        let mut org = self.org.write();
        for event in events {
            let published = event["published"]
                .as_str()
                .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
                .map(|p| p.with_timezone(&Utc))
                .expect("a test log event needs an RFC 3339 published");
            org.push_log(LogEntry {
                published,
                seq: 0,
                event,
            });
        }
    }

    pub fn policies(&self) -> Vec<Value> {
        self.org.read().policies.values().cloned().collect()
    }

    /// Rules of `policy_id` in priority order.
    pub fn policy_rules(&self, policy_id: &str) -> Vec<Value> {
        let mut rules = self
            .org
            .read()
            .policy_rules
            .get(policy_id)
            .cloned()
            .unwrap_or_default();
        rules.sort_by_key(|r| r["priority"].as_i64().unwrap_or(i64::MAX));
        rules
    }

    /// The MFA factors `user_id` has enrolled, as `GET /api/v1/users/{id}/factors` lists them.
    pub fn factors(&self, user_id: &str) -> Vec<Value> {
        self.org
            .read()
            .factors
            .get(user_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The admin role assignments a person holds, theirs and their groups', as
    /// `/api/v1/users/{id}/roles` lists them.
    pub fn user_roles(&self, user_id: &str) -> Vec<Value> {
        crate::api::admin_access::roles_of_user(&self.org.read(), user_id)
    }

    /// Every (assignee id, assignment) the org holds: people's own, then groups'.
    pub fn role_assignments(&self) -> Vec<(String, Value)> {
        let org = self.org.read();
        let people = org.admin_roles.iter();
        let groups = org.group_roles.iter();
        people
            .chain(groups)
            .flat_map(|(id, roles)| roles.iter().map(move |r| (id.clone(), r.clone())))
            .collect()
    }

    /// The group ids a role assignment is limited to (none: unrestricted).
    pub fn role_group_targets(&self, assignment_id: &str) -> Vec<String> {
        self.org
            .read()
            .role_targets
            .get(assignment_id)
            .map(|t| t.groups.clone())
            .unwrap_or_default()
    }

    pub fn group_rules(&self) -> Vec<Value> {
        self.org.read().group_rules.values().cloned().collect()
    }

    pub fn network_zones(&self) -> Vec<Value> {
        self.org.read().network_zones.values().cloned().collect()
    }

    pub fn authenticators(&self) -> Vec<Value> {
        self.org.read().authenticators.values().cloned().collect()
    }

    pub fn device_assurances(&self) -> Vec<Value> {
        self.org
            .read()
            .device_assurances
            .values()
            .cloned()
            .collect()
    }
}

/// The org is the authorization server's directory: who can sign in, and their claims.
impl crate::oauth::UserDirectory for SharedOrg {
    fn find_user(&self, id_or_login: &str) -> Option<crate::oauth::DirectoryUser> {
        let org = self.read();
        let id = org.find_user_id(id_or_login)?;
        let user = org.users.get(&id)?;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let profile = &user["profile"];
        Some(crate::oauth::DirectoryUser {
            id,
            login: text(&profile["login"]),
            email: text(&profile["email"]),
            first_name: text(&profile["firstName"]),
            last_name: text(&profile["lastName"]),
            status: text(&user["status"]),
            locale: profile["locale"].as_str().map(str::to_owned),
            time_zone: profile["timezone"].as_str().map(str::to_owned),
            updated_at: user["lastUpdated"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp()),
        })
    }

    fn record(&self, event: crate::oauth::AuthEvent) {
        crate::api::audit::record_auth_event(&mut self.write(), &event);
    }
}
