//! Which tools a configuration exposes, decided in a fixed order: scope → read-only → toolsets.

use crate::settings::Settings;
use crate::tools::ToolDef;
use std::borrow::Borrow;
use std::collections::BTreeSet;

/// Scopes held: the server's own token's, or a caller's as they came with their token (team
/// mode, where they are asked about on every call and are not worth copying or sorting).
pub enum Granted<'a> {
    Own(BTreeSet<String>),
    Caller(&'a [String]),
}

/// Why a tool is hidden; the text is what a caller of a hidden tool is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hidden {
    MissingScope(&'static str),
    ReadOnly,
    Toolset(&'static str),
}

impl Hidden {
    pub fn explain(&self, tool: &str) -> String {
        match self {
            Hidden::MissingScope(scope) => format!(
                "{tool} is not available: the token was not granted {scope}. Grant the scope to the Okta app, add it to OKTA_SCOPES, and sign in again (`okta-mcp-server auth login`)."
            ),
            Hidden::ReadOnly => format!(
                "{tool} is not available: the server runs read-only (--read-only / OKTA_MCP_READ_ONLY) and {tool} writes to the org."
            ),
            Hidden::Toolset(set) => format!(
                "{tool} is not available: its toolset {set:?} is not enabled (--toolsets / OKTA_MCP_TOOLSETS)."
            ),
        }
    }
}

/// Scopes a token holds, asked about one at a time: a set (the server's own token, a tool
/// listing) or a caller's list as it came with their token (a team call asks about one tool,
/// and sorting two dozen scopes into a set on every call cost more than the question).
pub trait Scopes {
    fn holds(&self, scope: &str) -> bool;
}

impl<S: Borrow<str> + Ord> Scopes for BTreeSet<S> {
    fn holds(&self, scope: &str) -> bool {
        self.contains(scope)
    }
}

impl Scopes for [String] {
    fn holds(&self, scope: &str) -> bool {
        self.iter().any(|s| s == scope)
    }
}

impl Scopes for Granted<'_> {
    fn holds(&self, scope: &str) -> bool {
        match self {
            Granted::Own(set) => set.holds(scope),
            Granted::Caller(list) => list.holds(scope),
        }
    }
}

/// True when `granted` covers `required`; `okta.X.manage` implies `okta.X.read`, as in Okta.
pub fn scope_granted<G: Scopes + ?Sized>(granted: &G, required: &str) -> bool {
    if granted.holds(required) {
        return true;
    }
    match required.strip_suffix(".read") {
        Some(base) => granted.holds(&format!("{base}.manage")),
        None => false,
    }
}

pub fn check<G: Scopes + ?Sized>(
    tool: &ToolDef,
    settings: &Settings,
    granted: &G,
) -> Result<(), Hidden> {
    if let Some(scope) = tool.spec.scope
        && !scope_granted(granted, scope)
    {
        return Err(Hidden::MissingScope(scope));
    }
    if settings.read_only && !tool.is_read_only() {
        return Err(Hidden::ReadOnly);
    }
    if let Some(sets) = &settings.toolsets {
        let name = tool.spec.toolset.name();
        if tool.spec.toolset != crate::tools::Toolset::Meta && !sets.iter().any(|s| s == name) {
            return Err(Hidden::Toolset(name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manage_implies_read_but_not_the_reverse() {
        let granted: BTreeSet<String> = ["okta.users.manage".to_owned()].into();
        assert!(scope_granted(&granted, "okta.users.read"));
        assert!(scope_granted(&granted, "okta.users.manage"));
        assert!(!scope_granted(&granted, "okta.groups.read"));
        let read: BTreeSet<String> = ["okta.users.read".to_owned()].into();
        assert!(!scope_granted(&read, "okta.users.manage"));
    }

    #[test]
    fn a_callers_list_answers_as_a_set_does() {
        let list: Vec<String> = vec!["okta.groups.read".into(), "okta.users.manage".into()];
        let set: BTreeSet<String> = list.iter().cloned().collect();
        for scope in [
            "okta.users.read",
            "okta.users.manage",
            "okta.groups.read",
            "okta.groups.manage",
            "okta.apps.read",
        ] {
            assert_eq!(
                scope_granted(&list[..], scope),
                scope_granted(&set, scope),
                "{scope}"
            );
            assert_eq!(
                scope_granted(&Granted::Caller(&list), scope),
                scope_granted(&Granted::Own(set.clone()), scope),
                "{scope}"
            );
        }
        assert!(!scope_granted(&list[..], "okta.groups.manage"));
    }
}
