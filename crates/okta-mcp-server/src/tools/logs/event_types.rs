//! System Log event types: the ones admins filter on most, and where a filter expression is
//! in the middle of typing one. Shared by the log tools and `completion/complete`, so that a
//! client can offer `eventType eq "user.session.start"` while the user types `user.sess`.
//!
//! Okta's catalogue has close to a thousand event types
//! (<https://developer.okta.com/docs/reference/api/event-types/>); this list keeps the ones
//! that answer everyday questions (sign-ins, MFA, lockouts, lifecycle, membership, policy
//! and admin changes, tokens, threats). Every type the sandbox org seeds is here too, so a
//! demo completes to events it actually has.

/// Event types offered as completions, grouped by what they are about.
pub const COMMON_EVENT_TYPES: &[&str] = &[
    // Sign-in and sessions.
    "user.session.start",
    "user.session.end",
    "user.session.clear",
    "user.authentication.sso",
    "user.authentication.auth_via_mfa",
    "user.authentication.authenticate",
    "user.authentication.verify",
    "policy.evaluate_sign_on",
    // MFA factors.
    "user.mfa.factor.activate",
    "user.mfa.factor.deactivate",
    "user.mfa.factor.update",
    "user.mfa.factor.reset_all",
    "user.mfa.okta_verify.deny_push",
    // Accounts and passwords.
    "user.account.lock",
    "user.account.unlock",
    "user.account.reset_password",
    "user.account.update_password",
    "user.account.expire_password",
    "user.account.update_profile",
    "user.account.privilege.grant",
    "user.account.privilege.revoke",
    // User lifecycle.
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.reactivate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.lifecycle.delete.initiated",
    "user.lifecycle.delete.completed",
    // Groups.
    "group.user_membership.add",
    "group.user_membership.remove",
    "group.lifecycle.create",
    "group.lifecycle.delete",
    "group.profile.update",
    "group.application_assignment.add",
    "group.application_assignment.remove",
    // Applications. `app.user_membership.*` is what the sandbox org records for assignments;
    // Okta's catalogue names them `application.user_membership.*`.
    "application.user_membership.add",
    "application.user_membership.remove",
    "app.user_membership.add",
    "app.user_membership.remove",
    "application.lifecycle.create",
    "application.lifecycle.update",
    "application.lifecycle.activate",
    "application.lifecycle.deactivate",
    "application.lifecycle.delete",
    // OAuth and API tokens.
    "app.oauth2.as.authorize",
    "app.oauth2.as.token.grant",
    "app.oauth2.token.detect_reuse",
    "system.api_token.create",
    "system.api_token.revoke",
    // Policies.
    "policy.lifecycle.create",
    "policy.lifecycle.update",
    "policy.lifecycle.activate",
    "policy.lifecycle.deactivate",
    "policy.lifecycle.delete",
    "policy.rule.add",
    "policy.rule.update",
    "policy.rule.activate",
    "policy.rule.deactivate",
    "policy.rule.delete",
    // Threats and risk.
    "security.threat.detected",
    "security.request.blocked",
    "user.risk.detect",
];

/// Event types from the catalogue starting with `prefix`, ignoring ASCII case.
pub fn matching(prefix: &str) -> impl Iterator<Item = &'static str> + '_ {
    COMMON_EVENT_TYPES.iter().copied().filter(move |t| {
        t.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    })
}

/// Where `filter` ends inside an unclosed event-type string literal (`eventType eq "user.se`
/// or `eventType sw "app.`, any case of the operator, any spacing): the byte offset just past
/// the opening quote. `None` when the text ends outside a literal or inside one that compares
/// some other attribute. Earlier clauses (`… and eventType eq "x"`), including quotes escaped
/// inside their literals, are skipped over as Okta's parser would.
pub fn open_literal_start(filter: &str) -> Option<usize> {
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in filter.char_indices() {
        match open {
            None if c == '"' => open = Some(i + 1),
            None => {}
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(_) if c == '"' => open = None,
            Some(_) => {}
        }
    }
    let start = open?;
    compares_event_type(&filter[..start - 1]).then_some(start)
}

/// Whether `before` (the text before a literal's opening quote) ends with
/// `eventType eq` or `eventType sw`.
fn compares_event_type(before: &str) -> bool {
    let before = before.trim_end();
    let Some(split) = before.len().checked_sub(2) else {
        return false;
    };
    let Some((rest, operator)) = before.split_at_checked(split) else {
        return false;
    };
    if !(operator.eq_ignore_ascii_case("eq") || operator.eq_ignore_ascii_case("sw")) {
        return false;
    }
    if !rest.ends_with(char::is_whitespace) {
        return false;
    }
    let Some(head) = rest.trim_end().strip_suffix("eventType") else {
        return false;
    };
    // `eventType` itself, not the tail of another attribute (`legacyEventType` differs in
    // case, but `x.eventType` or `myeventType` must not match either).
    !head.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.')
}

/// Completions of a whole filter value that ends inside an event-type literal: the text up to
/// and including the opening quote, each matching event type, and the closing quote. MCP
/// completion values replace the argument's value, so each one is the full filter.
pub fn complete_filter(filter: &str) -> Vec<String> {
    let Some(start) = open_literal_start(filter) else {
        return Vec::new();
    };
    let (head, typed) = filter.split_at(start);
    matching(typed).map(|t| format!("{head}{t}\"")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_catalogue_has_every_event_type_the_sandbox_seeds_and_no_duplicates() {
        let catalogue: HashSet<&str> = COMMON_EVENT_TYPES.iter().copied().collect();
        assert_eq!(catalogue.len(), COMMON_EVENT_TYPES.len(), "duplicates");
        let seeded = okta_sandbox::seeded_event_types();
        assert!(seeded.len() >= 10, "{seeded:?}");
        for t in seeded {
            assert!(catalogue.contains(t), "{t} is seeded but not offered");
        }
        assert!(
            COMMON_EVENT_TYPES.iter().all(|t| !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_' || c.is_ascii_digit())),
            "event types are lowercase dotted names"
        );
    }

    #[test]
    fn an_open_event_type_literal_is_found_after_eq_or_sw() {
        assert_eq!(open_literal_start("eventType eq \"user.se"), Some(14));
        assert_eq!(open_literal_start("eventType eq \""), Some(14));
        assert_eq!(open_literal_start("eventType   SW   \"app."), Some(18));
        assert_eq!(open_literal_start("eventType Eq\"x"), Some(13));
        assert_eq!(open_literal_start("eventTypeeq \"x"), None, "no space");
        assert_eq!(open_literal_start("eventType eq\t\"x"), Some(14));
        // Closed literal, other attributes, other operators.
        assert_eq!(
            open_literal_start("eventType eq \"user.session.start\""),
            None
        );
        assert_eq!(open_literal_start("outcome.result eq \"FAIL"), None);
        assert_eq!(open_literal_start("eventType ne \"user"), None);
        assert_eq!(open_literal_start("legacyEventType eq \"core"), None);
        assert_eq!(open_literal_start("target.eventType eq \"core"), None);
        assert_eq!(open_literal_start("user.session"), None);
        assert_eq!(open_literal_start(""), None);
        assert_eq!(open_literal_start("\"user"), None);
    }

    #[test]
    fn earlier_clauses_and_escaped_quotes_are_skipped() {
        let f = "outcome.result eq \"FAILURE\" and eventType eq \"user.acc";
        assert_eq!(&f[open_literal_start(f).unwrap()..], "user.acc");
        // A quote escaped inside an earlier literal does not close it.
        let f = "actor.alternateId eq \"a\\\"b eventType eq \\\"x\" and eventType sw \"user.";
        assert_eq!(&f[open_literal_start(f).unwrap()..], "user.");
        // The open literal here compares actor.alternateId; `eventType eq "` is inside it.
        let f = "actor.alternateId eq \"a\\\" and eventType eq \\\"user";
        assert_eq!(open_literal_start(f), None);
        // The event type clause is closed; the open one is about something else.
        let f = "eventType eq \"user.session.start\" and client.ipAddress eq \"10.";
        assert_eq!(open_literal_start(f), None);
    }

    #[test]
    fn completions_are_whole_filter_values_matched_without_regard_to_case() {
        // The typed part is replaced by the catalogue's spelling; the rest is kept as typed.
        let values =
            complete_filter("outcome.result eq \"FAILURE\" and eventType EQ  \"User.Session.St");
        assert_eq!(
            values,
            ["outcome.result eq \"FAILURE\" and eventType EQ  \"user.session.start\""]
        );
        let values = complete_filter("eventType sw \"user.lifecycle.");
        assert!(values.len() >= 6, "{values:?}");
        assert!(values.iter().all(|v| v.ends_with('"')), "{values:?}");
        let all = complete_filter("eventType eq \"");
        assert_eq!(all.len(), COMMON_EVENT_TYPES.len());
        assert!(complete_filter("eventType eq \"zzz").is_empty());
        assert!(complete_filter("eventType eq \"user.session.start\"").is_empty());
        assert!(complete_filter("q").is_empty());
    }
}
