//! What each endpoint's `filter`/`search` accepts, as Okta documents it. An expression
//! outside the dialect is refused (a 400), never answered with a silently empty list.

use super::{Expr, FilterError, Op};

const ORDERING: [Op; 4] = [Op::Gt, Op::Ge, Op::Lt, Op::Le];

/// The operators, attributes and logic one endpoint parameter supports.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Operators allowed on every permitted attribute.
    pub ops: &'static [Op],
    /// Operators allowed only on the listed attributes (e.g. `co` on name fields).
    pub restricted: &'static [(Op, &'static [&'static str])],
    /// Attributes that may be used at all; `None` allows any path.
    pub attributes: Option<&'static [&'static str]>,
    pub allow_or: bool,
    pub allow_not: bool,
    /// Whether string values compare case-insensitively.
    pub case_insensitive: bool,
}

const USER_FILTER_ORDERED: &[&str] = &["lastUpdated"];
const USER_CO: &[&str] = &[
    "profile.firstName",
    "profile.lastName",
    "profile.email",
    "profile.login",
];
const GROUP_FILTER_ORDERED: &[&str] = &["lastUpdated", "lastMembershipUpdated"];
const GROUP_CO: &[&str] = &["profile.name", "profile.description"];

impl Dialect {
    /// `GET /api/v1/users?filter=`: eq on a few properties, ordering only on `lastUpdated`.
    pub const USERS_FILTER: Dialect = Dialect {
        ops: &[Op::Eq],
        restricted: &[
            (Op::Gt, USER_FILTER_ORDERED),
            (Op::Ge, USER_FILTER_ORDERED),
            (Op::Lt, USER_FILTER_ORDERED),
            (Op::Le, USER_FILTER_ORDERED),
        ],
        attributes: Some(&[
            "status",
            "lastUpdated",
            "id",
            "profile.login",
            "profile.email",
            "profile.firstName",
            "profile.lastName",
        ]),
        allow_or: true,
        allow_not: false,
        case_insensitive: false,
    };

    /// `GET /api/v1/users?search=`: any property; `co` only on name/email/login; no `ne`.
    pub const USERS_SEARCH: Dialect = Dialect {
        ops: &[Op::Eq, Op::Sw, Op::Pr, Op::Gt, Op::Ge, Op::Lt, Op::Le],
        restricted: &[(Op::Co, USER_CO)],
        attributes: None,
        allow_or: true,
        allow_not: false,
        case_insensitive: true,
    };

    /// `GET /api/v1/groups?filter=`: id, type, lastUpdated, lastMembershipUpdated.
    pub const GROUPS_FILTER: Dialect = Dialect {
        ops: &[Op::Eq],
        restricted: &[
            (Op::Gt, GROUP_FILTER_ORDERED),
            (Op::Ge, GROUP_FILTER_ORDERED),
            (Op::Lt, GROUP_FILTER_ORDERED),
            (Op::Le, GROUP_FILTER_ORDERED),
        ],
        attributes: Some(&["id", "type", "lastUpdated", "lastMembershipUpdated"]),
        allow_or: true,
        allow_not: false,
        case_insensitive: false,
    };

    /// `GET /api/v1/groups?search=`: any property; `co` only on name and description.
    pub const GROUPS_SEARCH: Dialect = Dialect {
        ops: &[Op::Eq, Op::Sw, Op::Pr, Op::Gt, Op::Ge, Op::Lt, Op::Le],
        restricted: &[(Op::Co, GROUP_CO)],
        attributes: None,
        allow_or: true,
        allow_not: false,
        case_insensitive: true,
    };

    /// `GET /api/v1/logs?filter=`: every operator and `not`; values compare case-sensitively.
    pub const LOGS_FILTER: Dialect = Dialect {
        ops: &[
            Op::Eq,
            Op::Ne,
            Op::Sw,
            Op::Ew,
            Op::Co,
            Op::Pr,
            Op::Gt,
            Op::Ge,
            Op::Lt,
            Op::Le,
        ],
        restricted: &[],
        attributes: None,
        allow_or: true,
        allow_not: true,
        case_insensitive: false,
    };

    /// `GET /api/v1/apps?filter=`: eq on id, status, name, signing kid, SLO and the
    /// assignment pseudo-attributes `user.id`/`group.id`, joined by `and`.
    pub const APPS_FILTER: Dialect = Dialect {
        ops: &[Op::Eq],
        restricted: &[],
        attributes: Some(&[
            "id",
            "status",
            "name",
            "user.id",
            "group.id",
            "credentials.signing.kid",
            "settings.slo.enabled",
        ]),
        allow_or: false,
        allow_not: false,
        case_insensitive: false,
    };

    /// `GET /api/v1/zones?filter=`: eq on `id`, `usage` and `system`, joined by `or`/`and`.
    pub const ZONES_FILTER: Dialect = Dialect {
        ops: &[Op::Eq],
        restricted: &[],
        attributes: Some(&["id", "usage", "system"]),
        allow_or: true,
        allow_not: false,
        case_insensitive: false,
    };

    /// Refuses anything this dialect does not support.
    pub fn check(&self, expr: &Expr) -> Result<(), FilterError> {
        match expr {
            Expr::And(a, b) => {
                self.check(a)?;
                self.check(b)
            }
            Expr::Or(a, b) => {
                if !self.allow_or {
                    return Err(FilterError("'or' is not supported here".into()));
                }
                self.check(a)?;
                self.check(b)
            }
            Expr::Not(inner) => {
                if !self.allow_not {
                    return Err(FilterError("'not' is not supported here".into()));
                }
                self.check(inner)
            }
            Expr::Present(path) => self.check_term(path, Op::Pr),
            Expr::Compare { path, op, .. } => self.check_term(path, *op),
        }
    }

    fn check_term(&self, path: &str, op: Op) -> Result<(), FilterError> {
        if let Some(allowed) = self.attributes
            && !allowed.contains(&path)
        {
            return Err(FilterError(format!(
                "attribute '{path}' cannot be filtered"
            )));
        }
        if self.ops.contains(&op) {
            return Ok(());
        }
        let allowed_here = self
            .restricted
            .iter()
            .any(|(restricted_op, paths)| *restricted_op == op && paths.contains(&path));
        if allowed_here {
            Ok(())
        } else {
            Err(FilterError(format!(
                "operator '{}' is not supported on '{path}'",
                op.name()
            )))
        }
    }

    /// Whether `op` is one of the ordering operators (used by callers validating dates).
    pub fn is_ordering(op: Op) -> bool {
        ORDERING.contains(&op)
    }
}

#[cfg(test)]
mod tests {
    use super::super::compile;
    use super::*;

    #[test]
    fn users_filter_follows_okta_rules() {
        let d = Dialect::USERS_FILTER;
        assert!(compile(r#"status eq "ACTIVE""#, &d).is_ok());
        assert!(
            compile(
                r#"lastUpdated gt "2013-06-01T00:00:00.000Z" and (status eq "LOCKED_OUT" or status eq "RECOVERY")"#,
                &d
            )
            .is_ok()
        );
        assert!(
            compile(r#"status gt "A""#, &d).is_err(),
            "ordering only on lastUpdated"
        );
        assert!(
            compile(r#"profile.department eq "x""#, &d).is_err(),
            "not a filter attribute"
        );
        assert!(compile(r#"not status eq "ACTIVE""#, &d).is_err(), "no not");
        assert!(compile(r#"status ne "ACTIVE""#, &d).is_err(), "no ne");
        assert!(compile(r#"profile.login sw "a""#, &d).is_err(), "no sw");
    }

    #[test]
    fn users_search_restricts_co_and_ne() {
        let d = Dialect::USERS_SEARCH;
        assert!(compile(r#"profile.department eq "Engineering""#, &d).is_ok());
        assert!(compile(r#"profile.firstName co "an""#, &d).is_ok());
        assert!(compile(r#"profile.city co "an""#, &d).is_err());
        assert!(compile(r#"status ne "STAGED""#, &d).is_err());
        assert!(compile(r#"profile.title pr"#, &d).is_ok());
    }

    #[test]
    fn groups_and_apps_dialects() {
        assert!(compile(r#"type eq "OKTA_GROUP""#, &Dialect::GROUPS_FILTER).is_ok());
        assert!(compile(r#"profile.name eq "x""#, &Dialect::GROUPS_FILTER).is_err());
        assert!(compile(r#"profile.name co "x""#, &Dialect::GROUPS_SEARCH).is_ok());
        assert!(compile(r#"source.id co "x""#, &Dialect::GROUPS_SEARCH).is_err());
        assert!(compile(r#"status eq "ACTIVE""#, &Dialect::APPS_FILTER).is_ok());
        assert!(
            compile(
                r#"status eq "ACTIVE" or status eq "INACTIVE""#,
                &Dialect::APPS_FILTER
            )
            .is_err()
        );
    }

    #[test]
    fn logs_accept_every_operator() {
        let d = Dialect::LOGS_FILTER;
        assert!(
            compile(
                r#"not (eventType ne "x") and actor.id pr or target.id ew "1" or displayMessage co "a""#,
                &d
            )
            .is_ok()
        );
        assert!(Dialect::is_ordering(Op::Ge) && !Dialect::is_ordering(Op::Eq));
    }
}
