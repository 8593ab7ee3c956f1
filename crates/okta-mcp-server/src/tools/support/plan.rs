//! What a dry run answers: the request a write tool would send (method, path, query, body
//! with secrets masked) and, for an update or replace, the change field by field against
//! the object as it is now, in a compact `{"profile.title": {"from": …, "to": …}}` form a
//! person can read. Nothing here sends a write: the planning client (see
//! `okta_client::WritePlan`) captured the request instead.

use crate::audit::{is_key_material, is_secret_key};
use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use okta_client::{ApiError, Method, PlannedRequest};
use serde_json::{Map, Value, json};

/// What replaces a secret in a plan.
pub const MASK: &str = "****";

/// The request as a plan shows it: `{method, path, query?, body?, upload?}`, secrets masked.
pub fn request_value(request: &PlannedRequest) -> Value {
    let mut out = json!({"method": request.method.as_str(), "path": request.path});
    if !request.query.is_empty() {
        let query: Map<String, Value> = request
            .query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        out["query"] = Value::Object(query);
    }
    if let Some(body) = &request.body {
        out["body"] = masked(body);
    }
    if let Some(upload) = &request.upload {
        out["upload"] = json!(upload);
    }
    out
}

/// `value` with every secret-bearing field (by name, at any depth: passwords, credentials,
/// client secrets, tokens, keys) and every string holding key material replaced by `****`.
pub fn masked(value: &Value) -> Value {
    fn mask_all(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), mask_all(v))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(mask_all).collect()),
            Value::Null => Value::Null,
            _ => json!(MASK),
        }
    }
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) {
                        mask_all(v)
                    } else {
                        masked(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        Value::String(text) if is_key_material(text) => json!(MASK),
        other => other.clone(),
    }
}

/// Whether a write changes an existing object whose current state a GET of the same path
/// returns: a PUT, PATCH or POST with a JSON object body to a path ending in an ID (a POST
/// to a collection creates; a POST to `…/lifecycle/activate` is an operation).
fn updates_an_object(request: &PlannedRequest) -> bool {
    let names_an_object = request.path.rsplit('/').next().is_some_and(|last| {
        !last
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
    });
    matches!(request.method, Method::Put | Method::Patch | Method::Post)
        && request.body.as_ref().is_some_and(Value::is_object)
        && names_an_object
}

/// The leaves of `value` by dotted path (arrays and empty objects are leaves).
fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&path, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

fn at<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(value, |v, key| v.as_object().and_then(|m| m.get(key)))
}

/// Whether any segment of a dotted path names a secret.
fn secret_path(dotted: &str) -> bool {
    dotted.split('.').any(is_secret_key)
}

/// The field-level change `body` makes to `current`: every leaf the body sets to a new
/// value, and for a replace (PUT) every leaf of a section the body sends (e.g. `profile`)
/// that the body leaves out, which the replace removes (`to: null`). Top-level fields the
/// body does not send (id, status, _links) are Okta's, untouched by either. Returns the
/// changes and how many fields the body sends unchanged.
pub fn diff(current: &Value, body: &Value, replace: bool) -> (Map<String, Value>, usize) {
    let mut sent = Vec::new();
    leaves("", body, &mut sent);
    let mut changes = Map::new();
    let mut unchanged = 0;
    let show = |path: &str, v: Option<&Value>| match v {
        None => Value::Null,
        Some(_) if secret_path(path) => json!(MASK),
        Some(v) => masked(v),
    };
    for (path, to) in &sent {
        let from = at(current, path);
        if from == Some(to) {
            unchanged += 1;
            continue;
        }
        changes.insert(
            path.clone(),
            json!({"from": show(path, from), "to": show(path, Some(to))}),
        );
    }
    if replace && let Value::Object(sections) = body {
        for (section, sent_section) in sections {
            if !sent_section.is_object() {
                continue;
            }
            let mut now = Vec::new();
            if let Some(existing) = current.get(section) {
                leaves(section, existing, &mut now);
            }
            for (path, from) in now {
                if at(body, &path).is_none() && !path.contains("._links") {
                    changes.insert(
                        path.clone(),
                        json!({"from": show(&path, Some(&from)), "to": null}),
                    );
                }
            }
        }
    }
    (changes, unchanged)
}

/// The plan of one captured write, with the change it makes when it updates an object
/// that can be read now.
pub async fn describe(ctx: &ToolCtx, request: &PlannedRequest) -> Value {
    let mut plan = json!({"request": request_value(request)});
    if !updates_an_object(request) {
        return plan;
    }
    let current = ctx.client.send(request.read_target()).await;
    match current {
        Ok(found) if found.body.is_object() => {
            let body = request.body.as_ref().unwrap_or(&Value::Null);
            let replace = matches!(request.method, Method::Put);
            let (changes, unchanged) = diff(&found.body, body, replace);
            plan["diff"] = Value::Object(changes);
            plan["unchanged_fields"] = json!(unchanged);
        }
        Ok(_) => {}
        Err(e) => {
            plan["diff_unknown"] = json!(format!("the object could not be read: {e}"));
        }
    }
    plan
}

/// A dry run's answer for a tool whose handler stopped at its first write (or made none).
/// `planned` are the writes the planning client captured; `outcome` is the handler's.
/// A failure before any write (an unknown ID, a bad argument) is the answer itself: the
/// real call would fail the same way.
pub async fn answer(
    ctx: &ToolCtx,
    tool: &str,
    planned: &[okta_client::PlannedRequest],
    outcome: Result<Value, ToolError>,
) -> Result<Value, ToolError> {
    let Some(first) = planned.first() else {
        let result = outcome?;
        return Ok(json!({
            "dry_run": true,
            "tool": tool,
            "message": format!("Dry run: nothing was sent. {tool} would send no write to Okta with these arguments."),
            "result": result,
        }));
    };
    let mut plan = describe(ctx, first).await;
    let what = format!("{} {}", first.method.as_str(), first.path);
    let changes = plan.get("diff").and_then(Value::as_object).map(Map::len);
    let message = match changes {
        Some(0) => {
            format!("Dry run: nothing was sent. {tool} would send {what}, which changes no field.")
        }
        Some(n) => format!(
            "Dry run: nothing was sent. {tool} would send {what}, changing {n} field(s) as listed in diff."
        ),
        None => format!("Dry run: nothing was sent. {tool} would send {what}."),
    };
    let mut out = Map::new();
    out.insert("dry_run".into(), json!(true));
    out.insert("tool".into(), json!(tool));
    out.insert("message".into(), json!(message));
    if let Value::Object(mut described) = plan.take() {
        out.append(&mut described);
    }
    if let Err(e) = &outcome
        && !matches!(e, ToolError::Api(ApiError::NotSent { .. }))
    {
        out.insert("then".into(), json!(e.to_string()));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_client::{ApiPath, ApiRequest};

    fn planned(method: Method, path: &'static str, body: Option<Value>) -> PlannedRequest {
        let request = ApiRequest {
            method,
            path: ApiPath::new(path),
            query: Vec::new(),
            body,
            idempotent: true,
            upload: None,
            links: okta_client::Links::Keep,
        };
        PlannedRequest::of(&request)
    }

    #[test]
    fn a_partial_update_lists_only_the_fields_it_sets() {
        let current = json!({"id": "00u1", "status": "ACTIVE", "profile": {"title": "Engineer", "city": "Oslo", "login": "a@x"}});
        let body = json!({"profile": {"title": "Manager", "city": "Oslo", "nickName": "Al"}});
        let (changes, unchanged) = diff(&current, &body, false);
        assert_eq!(
            Value::Object(changes),
            json!({
                "profile.title": {"from": "Engineer", "to": "Manager"},
                "profile.nickName": {"from": null, "to": "Al"}
            })
        );
        assert_eq!(unchanged, 1);
    }

    #[test]
    fn a_replace_also_lists_what_it_drops_from_the_sections_it_sends() {
        let current = json!({"id": "00g1", "_links": {"self": {}}, "profile": {"name": "Eng", "description": "old"}});
        let body = json!({"profile": {"name": "Engineering"}});
        let (changes, _) = diff(&current, &body, true);
        assert_eq!(
            Value::Object(changes),
            json!({
                "profile.name": {"from": "Eng", "to": "Engineering"},
                "profile.description": {"from": "old", "to": null}
            })
        );
    }

    #[test]
    fn secrets_are_masked_in_bodies_and_changes() {
        let pem = okta_sandbox::oauth::throwaway_private_key_pem();
        let key_line = pem.lines().nth(1).expect("a PEM body line");
        let body = json!({"profile": {"login": "a@x"}, "credentials": {"password": {"value": "Hunter2-Secret"}},
                          "settings": {"client_secret": "cs-1", "key": pem}});
        let shown = masked(&body).to_string();
        assert!(
            !shown.contains("Hunter2") && !shown.contains("cs-1") && !shown.contains(key_line),
            "{shown}"
        );
        assert!(shown.contains("a@x"), "{shown}");
        let (changes, _) = diff(&json!({"profile": {}}), &body, false);
        let shown = Value::Object(changes).to_string();
        assert!(
            !shown.contains("Hunter2") && !shown.contains("cs-1"),
            "{shown}"
        );
        assert!(shown.contains("credentials.password.value"), "{shown}");
    }

    #[test]
    fn only_writes_to_an_object_get_a_diff() {
        let body = Some(json!({"profile": {}}));
        assert!(updates_an_object(&planned(
            Method::Post,
            "/api/v1/users/00u1",
            body.clone()
        )));
        assert!(updates_an_object(&planned(
            Method::Put,
            "/api/v1/groups/00g1",
            body.clone()
        )));
        assert!(!updates_an_object(&planned(
            Method::Post,
            "/api/v1/users",
            body.clone()
        )));
        assert!(!updates_an_object(&planned(
            Method::Post,
            "/api/v1/users/00u1/lifecycle/deactivate",
            None
        )));
        assert!(!updates_an_object(&planned(
            Method::Put,
            "/api/v1/groups/00g1/users/00u1",
            None
        )));
        assert!(!updates_an_object(&planned(
            Method::Delete,
            "/api/v1/groups/00g1",
            None
        )));
    }
}
