//! Evaluates an expression against a resource's JSON. Paths walk objects; an array along
//! the way matches if any element does (SCIM semantics, e.g. `target.id` on log events).

use super::{Expr, Literal, Op};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use std::cmp::Ordering;

/// Whether `resource` satisfies `expr`.
pub fn matches(expr: &Expr, resource: &Value, case_insensitive: bool) -> bool {
    match expr {
        Expr::And(a, b) => {
            matches(a, resource, case_insensitive) && matches(b, resource, case_insensitive)
        }
        Expr::Or(a, b) => {
            matches(a, resource, case_insensitive) || matches(b, resource, case_insensitive)
        }
        Expr::Not(inner) => !matches(inner, resource, case_insensitive),
        Expr::Present(path) => resolve(resource, path).iter().any(|v| is_present(v)),
        Expr::Compare { path, op, value } => {
            let found = resolve(resource, path);
            match op {
                Op::Ne => !found
                    .iter()
                    .any(|v| compare(v, Op::Eq, value, case_insensitive)),
                Op::Eq if *value == Literal::Null => {
                    found.is_empty() || found.iter().any(|v| v.is_null())
                }
                _ => found
                    .iter()
                    .any(|v| compare(v, *op, value, case_insensitive)),
            }
        }
    }
}

/// Every leaf value reached by `path`, flattening arrays on the way.
fn resolve<'a>(resource: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![resource];
    for segment in path.split('.') {
        let mut next = Vec::new();
        for value in current {
            match value {
                Value::Object(map) => {
                    if let Some(child) = map.get(segment) {
                        next.push(child);
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        if let Some(child) = item.get(segment) {
                            next.push(child);
                        }
                    }
                }
                _ => {}
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare(actual: &Value, op: Op, expected: &Literal, case_insensitive: bool) -> bool {
    match (actual, expected) {
        (Value::String(a), Literal::Str(b)) => compare_strings(a, op, b, case_insensitive),
        (Value::Number(a), Literal::Num(b)) => a
            .as_f64()
            .and_then(|a| a.partial_cmp(b))
            .is_some_and(|ord| ordering_satisfies(ord, op)),
        (Value::Number(a), Literal::Str(b)) => compare_strings(&a.to_string(), op, b, false),
        (Value::Bool(a), Literal::Bool(b)) => op == Op::Eq && a == b,
        (Value::Bool(a), Literal::Str(b)) => op == Op::Eq && a.to_string().eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn compare_strings(actual: &str, op: Op, expected: &str, case_insensitive: bool) -> bool {
    if let (Some(a), Some(b)) = (parse_instant(actual), parse_instant(expected)) {
        return match op {
            Op::Sw | Op::Ew | Op::Co => text_op(actual, op, expected, case_insensitive),
            _ => ordering_satisfies(a.cmp(&b), op),
        };
    }
    text_op(actual, op, expected, case_insensitive)
}

fn text_op(actual: &str, op: Op, expected: &str, case_insensitive: bool) -> bool {
    let (a, b) = if case_insensitive {
        (actual.to_lowercase(), expected.to_lowercase())
    } else {
        (actual.to_owned(), expected.to_owned())
    };
    match op {
        Op::Sw => a.starts_with(&b),
        Op::Ew => a.ends_with(&b),
        Op::Co => a.contains(&b),
        _ => ordering_satisfies(a.cmp(&b), op),
    }
}

fn ordering_satisfies(ord: Ordering, op: Op) -> bool {
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Sw | Op::Ew | Op::Co | Op::Pr => false,
    }
}

/// ISO 8601 instants as Okta writes them (`2024-08-13T15:58:20.353Z`).
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<FixedOffset>> {
    if s.len() < 20 || s.as_bytes().get(10).is_none_or(|b| *b != b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "00u1",
            "status": "ACTIVE",
            "lastUpdated": "2024-03-01T10:00:00.000Z",
            "profile": {"firstName": "Ada", "department": "Engineering", "title": "", "level": 3, "admin": true},
            "target": [{"id": "t1", "type": "User"}, {"id": "t2", "type": "Group"}]
        })
    }

    fn check(expr: &str, ci: bool) -> bool {
        matches(&parse(expr).unwrap(), &user(), ci)
    }

    #[test]
    fn equality_and_case() {
        assert!(check(r#"status eq "ACTIVE""#, false));
        assert!(!check(r#"status eq "active""#, false));
        assert!(check(r#"status eq "active""#, true));
        assert!(check(r#"status ne "STAGED""#, false));
        assert!(!check(r#"status ne "ACTIVE""#, false));
        assert!(check(r#"profile.admin eq true"#, false));
        assert!(check(r#"profile.level eq 3"#, false));
        assert!(check(r#"profile.level ge 3 and profile.level lt 4"#, false));
        assert!(check(r#"profile.missing eq null"#, false));
    }

    #[test]
    fn string_operators() {
        assert!(check(r#"profile.firstName sw "Ad""#, false));
        assert!(check(r#"profile.firstName sw "ad""#, true));
        assert!(!check(r#"profile.firstName sw "ad""#, false));
        assert!(check(r#"profile.department co "gine""#, false));
        assert!(check(r#"profile.department ew "ring""#, false));
        assert!(check(r#"status gt "ABC""#, false));
    }

    #[test]
    fn dates_compare_as_instants() {
        assert!(check(r#"lastUpdated gt "2024-02-29T23:59:59Z""#, false));
        assert!(check(r#"lastUpdated eq "2024-03-01T10:00:00Z""#, false));
        assert!(!check(
            r#"lastUpdated lt "2024-03-01T11:00:00.000+01:00""#,
            false
        ));
        assert!(check(
            r#"lastUpdated le "2024-03-01T11:00:00.000+01:00""#,
            false
        ));
    }

    #[test]
    fn presence() {
        assert!(check("profile.firstName pr", false));
        assert!(
            !check("profile.title pr", false),
            "empty string is not present"
        );
        assert!(!check("profile.nothing pr", false));
    }

    #[test]
    fn arrays_match_any_element() {
        assert!(check(r#"target.id eq "t2""#, false));
        assert!(check(
            r#"target.type eq "User" and target.id eq "t1""#,
            false
        ));
        assert!(!check(r#"target.id eq "t3""#, false));
    }

    #[test]
    fn logic() {
        assert!(check(
            r#"status eq "X" or profile.firstName eq "Ada""#,
            false
        ));
        assert!(!check(
            r#"status eq "X" and profile.firstName eq "Ada""#,
            false
        ));
        assert!(check(r#"not (status eq "X")"#, false));
        assert!(!check(r#"not status eq "ACTIVE" or status eq "X""#, false));
    }
}
