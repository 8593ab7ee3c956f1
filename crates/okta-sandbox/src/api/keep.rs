//! The last step every write handler shares: audit the change, keep the new version, answer
//! with it. One place, so no handler can store a change the audit log never saw.

use super::audit::{self, Audit};
use crate::org::Org;
use axum::Json;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where one kind of resource lives in the org, and how the audit log names it.
pub(super) struct Resource {
    store: fn(&mut Org) -> &mut BTreeMap<String, Value>,
    target: fn(&Value) -> Value,
}

pub(super) const APP: Resource = Resource {
    store: |org| &mut org.apps,
    target: audit::app,
};
pub(super) const GROUP: Resource = Resource {
    store: |org| &mut org.groups,
    target: audit::group,
};
pub(super) const USER: Resource = Resource {
    store: |org| &mut org.users,
    target: audit::user,
};
pub(super) const POLICY: Resource = Resource {
    store: |org| &mut org.policies,
    target: audit::policy,
};
pub(super) const DEVICE_ASSURANCE: Resource = Resource {
    store: |org| &mut org.device_assurances,
    target: audit::device_assurance,
};

/// An audit event: its `eventType` and its display message.
pub(super) type Event<'a> = (&'a str, &'a str);

impl Resource {
    /// Records `event` against `value` and stores it under `id`.
    pub(super) fn record_and_store(
        &self,
        org: &mut Org,
        audit: &Audit,
        (event_type, display): Event,
        id: String,
        value: Value,
    ) {
        audit.record(org, event_type, display, vec![(self.target)(&value)]);
        (self.store)(org).insert(id, value);
    }

    /// [`Self::record_and_store`], then answers with the stored value: how creates and updates end.
    pub(super) fn record_store_and_answer(
        &self,
        org: &mut Org,
        audit: &Audit,
        event: Event,
        id: String,
        value: Value,
    ) -> Json<Value> {
        self.record_and_store(org, audit, event, id, value.clone());
        Json(value)
    }

    /// Records `event` against the stored `id`, then removes it; the audit entry is written
    /// first because its actor may be the very user being removed. An absent `id` is a no-op.
    pub(super) fn record_and_remove(
        &self,
        org: &mut Org,
        audit: &Audit,
        (event_type, display): Event,
        id: &str,
    ) {
        let Some(stored) = (self.store)(org).get(id) else {
            return;
        };
        let target = (self.target)(stored);
        audit.record(org, event_type, display, vec![target]);
        (self.store)(org).remove(id);
    }
}
