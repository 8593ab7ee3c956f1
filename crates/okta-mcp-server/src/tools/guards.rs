//! Guard tests over the whole registry, and the committed snapshot of every tool definition.

use super::{Effect, ToolDef, all_tools};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Tools that only read the org but write a local file (so they are not read-only).
const LOCAL_WRITERS: &[&str] = &["export_users_csv"];

/// Tools this server adds to the Python server's catalogue.
const NEW_TOOLS: &[&str] = &[
    "summarize_logs",
    // Help-desk lifecycle and MFA factors (issue 14).
    "unlock_user",
    "suspend_user",
    "unsuspend_user",
    "activate_user",
    "reactivate_user",
    "reset_user_password",
    "expire_user_password",
    "clear_user_sessions",
    "list_user_factors",
    "reset_user_factor",
    "reset_all_user_factors",
    "list_user_admin_roles",
    "list_group_admin_roles",
    "list_admins",
    "list_group_rules",
    "get_group_rule",
    "create_group_rule",
    "activate_group_rule",
    "deactivate_group_rule",
    "delete_group_rule",
    "list_network_zones",
    "get_network_zone",
    "list_authenticators",
    // Issue 14, app assignments:
    "list_application_users",
    "list_application_groups",
    "assign_user_to_application",
    "update_application_user",
    "unassign_user_from_application",
    "assign_group_to_application",
    "unassign_group_from_application",
    "get_application_saml_metadata",
    "list_user_applications",
    "add_users_to_group",
    "remove_users_from_group",
    "deactivate_users",
    "unlock_users",
    "assign_users_to_application",
];

fn reference_names() -> BTreeSet<String> {
    let tsv = include_str!("../../tests/reference/anchor-tool-names.tsv");
    tsv.lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn names_are_unique_snake_case_and_from_the_reference_catalogue() {
    let reference = reference_names();
    let mut seen = BTreeSet::new();
    for tool in all_tools() {
        let name = tool.spec.name;
        assert!(seen.insert(name), "{name} declared twice");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !name.starts_with('_'),
            "{name} is not snake_case"
        );
        assert!(
            reference.contains(name) || NEW_TOOLS.contains(&name),
            "{name} is neither in the reference catalogue nor a declared new tool"
        );
    }
}

#[test]
fn every_tool_has_scope_annotations_and_a_usable_schema() {
    for tool in all_tools() {
        let name = tool.spec.name;
        if tool.spec.toolset != super::Toolset::Meta {
            let scope = tool
                .spec
                .scope
                .unwrap_or_else(|| panic!("{name} has no scope"));
            assert!(
                scope.starts_with("okta.")
                    && (scope.ends_with(".read") || scope.ends_with(".manage")),
                "{name}: {scope}"
            );
            if tool.spec.effect == Effect::Read {
                assert!(
                    scope.ends_with(".read"),
                    "{name} reads but asks for {scope}"
                );
            } else if !LOCAL_WRITERS.contains(&name) {
                assert!(
                    scope.ends_with(".manage"),
                    "{name} writes but asks for {scope}"
                );
            }
        }
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let ann = &def["annotations"];
        assert!(def["title"].is_string(), "{name} has no title");
        let hints: &[&str] = if tool.spec.effect == Effect::Read {
            &["readOnlyHint", "openWorldHint"]
        } else {
            &[
                "readOnlyHint",
                "destructiveHint",
                "idempotentHint",
                "openWorldHint",
            ]
        };
        for hint in hints {
            assert!(!ann[hint].is_null(), "{name} lacks an explicit {hint}");
        }
        let schema = &def["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}");
        for combinator in ["anyOf", "oneOf", "allOf"] {
            assert!(
                schema.get(combinator).is_none(),
                "{name}: top-level {combinator} is rejected by some clients"
            );
        }
        assert!(
            !tool.spec.description.is_empty() && tool.spec.description.len() <= 600,
            "{name}: description length {}",
            tool.spec.description.len()
        );
    }
}

/// Every tool names what it returns with `ToolDef::returns` (the result kind's bare default
/// says nothing), as a valid, lean JSON Schema: names and types, no descriptions.
#[test]
fn every_tool_declares_a_specific_valid_output_schema() {
    let mut untyped_lists = Vec::new();
    for tool in all_tools() {
        let name = tool.spec.name;
        assert!(
            tool.declares_output(),
            "{name} declares no outputSchema: add .returns(…) from tools/support/output_schemas.rs"
        );
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let schema = &def["outputSchema"];
        assert_eq!(
            schema["type"], "object",
            "{name}: MCP wants an object schema"
        );
        assert!(
            schema["properties"]
                .as_object()
                .is_some_and(|p| !p.is_empty()),
            "{name}: an outputSchema names the properties of the result"
        );
        if let Err(e) = jsonschema::meta::validate(schema) {
            panic!("{name}: the outputSchema is not a valid JSON Schema: {e}");
        }
        assert!(
            !holds_key(schema, "description") && !holds_key(schema, "title"),
            "{name}: descriptions in an outputSchema cost every conversation bytes"
        );
        if tool.spec.result_kind == super::ResultKind::List
            && !schema["properties"]["items"]["items"]["properties"].is_object()
        {
            untyped_lists.push(name);
        }
    }
    assert!(
        untyped_lists.is_empty(),
        "these list results declare no item schema: {untyped_lists:?}"
    );
}

/// A destructive tool answers a call it may not run yet with a confirmation request or a
/// "not done" (both success results of that tool), so its schema must accept them.
#[test]
fn destructive_tools_schemas_accept_the_confirmation_answers() {
    use crate::server::confirm::{cancelled_answer, confirmation_answer};
    let mut misfits = Vec::new();
    for tool in all_tools().iter().filter(|t| t.needs_confirmation()) {
        let name = tool.spec.name;
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let validator = jsonschema::validator_for(&def["outputSchema"]).unwrap();
        let asked = confirmation_answer(name, "Delete it?".into(), "Ask the user.".into());
        let declined = cancelled_answer(name, "the user declined; nothing was changed.");
        for answer in [asked, declined] {
            let problems: Vec<String> = validator
                .iter_errors(&answer)
                .map(|e| e.to_string())
                .collect();
            if !problems.is_empty() {
                misfits.push(format!("{name}: {answer} does not fit: {problems:?}"));
            }
        }
    }
    assert!(misfits.is_empty(), "{}", misfits.join("\n"));
}

/// A dry run answers with the plan instead of the tool's usual result (`support::plan::answer`),
/// a success result of that tool, so every schema of a tool that takes `dry_run` must accept
/// it: every key a plan may carry, with the types `plan::answer` gives them.
#[test]
fn write_tools_schemas_accept_the_dry_run_plan() {
    let plan = serde_json::json!({
        "dry_run": true,
        "tool": "a_tool",
        "message": "Dry run: nothing was sent. a_tool would send POST /api/v1/users/00u1.",
        "request": {"method": "POST", "path": "/api/v1/users/00u1", "query": {}, "body": {"profile": {}}},
        "diff": {"profile.title": {"from": "a", "to": "b"}},
        "unchanged_fields": 3,
        "diff_unknown": "the object could not be read: 404",
        "then": "an error after the first write",
        "result": {"success": true, "message": "what the tool answered"},
    });
    let mut misfits = Vec::new();
    for tool in all_tools()
        .iter()
        .filter(|t| t.takes_dry_run() && !t.answers_dry_run())
    {
        let name = tool.spec.name;
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let validator = jsonschema::validator_for(&def["outputSchema"]).unwrap();
        let problems: Vec<String> = validator
            .iter_errors(&plan)
            .map(|e| e.to_string())
            .collect();
        if !problems.is_empty() {
            misfits.push(format!("{name}: {problems:?}"));
        }
    }
    assert!(
        misfits.is_empty(),
        "a dry-run plan does not fit these outputSchemas:\n{}",
        misfits.join("\n")
    );
}

fn holds_key(value: &Value, key: &str) -> bool {
    match value {
        // `properties` maps result field names, which may be anything.
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| (k == key && v.is_string()) || holds_key(v, key)),
        Value::Array(items) => items.iter().any(|v| holds_key(v, key)),
        _ => false,
    }
}

#[test]
fn destructive_tools_require_confirmation() {
    for tool in all_tools() {
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let destructive = def["annotations"]["destructiveHint"] == true;
        // Destructive tools ask; a bulk write asks too (one question for many users).
        assert!(
            !destructive || tool.needs_confirmation(),
            "{} is destructive but does not ask",
            tool.spec.name
        );
        if tool.needs_confirmation() {
            assert!(
                def["inputSchema"]["properties"]["confirm"].is_object(),
                "{} offers no confirm parameter",
                tool.spec.name
            );
        }
        let name = tool.spec.name;
        if name.starts_with("delete_")
            || name.starts_with("deactivate_")
            || name.starts_with("confirm_delete_")
        {
            assert!(
                tool.needs_confirmation(),
                "{name} deletes or deactivates but does not confirm"
            );
        }
    }
}

/// Every tool that writes offers a dry run (the server answers it; no tool declares it).
#[test]
fn every_write_tool_offers_a_dry_run() {
    for tool in all_tools() {
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let offered = def["inputSchema"]["properties"]["dry_run"].is_object();
        assert_eq!(
            offered,
            tool.spec.effect != Effect::Read,
            "{}: dry_run offered {offered}",
            tool.spec.name
        );
        assert_eq!(offered, tool.takes_dry_run(), "{}", tool.spec.name);
    }
}

/// Sorted JSON of every tool definition, so any change to the tool surface shows in review.
fn snapshot(tools: &[ToolDef]) -> String {
    let by_name: BTreeMap<&str, Value> = tools
        .iter()
        .map(|t| (t.spec.name, serde_json::to_value(t.mcp_tool()).unwrap()))
        .collect();
    let mut text =
        serde_json::to_string_pretty(&sort_keys(serde_json::to_value(by_name).unwrap())).unwrap();
    text.push('\n');
    text
}

fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Fails on a missing or changed snapshot; `UPDATE_SNAPSHOTS=1` rewrites it for review.
#[test]
fn tool_definitions_match_the_committed_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/tools.json");
    let fresh = snapshot(&all_tools());
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if fresh != committed {
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        } else {
            panic!(
                "tests/snapshots/tools.json is missing or stale: review the change, then run `UPDATE_SNAPSHOTS=1 cargo test -p okta-mcp-server snapshot` and commit"
            );
        }
    }
}

/// Bytes of the full tools/list, every tool exposed. 69.5 kB for the 114 tools before issue
/// 14; 132.7 kB after it: 37 more tools, `dry_run` on every write, and a typed outputSchema
/// for every tool (39 kB of names and types). The budget is the catalogue as merged plus a
/// little; a deployment that needs less lists fewer areas with `--toolsets`. Keep it in step
/// with the bench's tools/list target (crates/xtask/src/report.rs).
const TOOLS_LIST_BUDGET: usize = 135_000;

#[test]
fn tools_list_fits_the_size_budget() {
    let defs: Vec<_> = all_tools().iter().map(ToolDef::mcp_tool).collect();
    let bytes = serde_json::to_vec(&serde_json::json!({"tools": defs}))
        .unwrap()
        .len();
    eprintln!("tools/list: {} tools, {bytes} bytes", defs.len());
    assert!(
        bytes <= TOOLS_LIST_BUDGET,
        "tools/list is {bytes} bytes; the budget is {TOOLS_LIST_BUDGET}"
    );
}

/// Modules under `tools/` that hold no tools: what every area may use.
const SHARED_MODULES: &[&str] = &[
    "common",
    "error",
    "guards",
    "listing",
    "page_walk",
    "registry",
    "field_selection",
    "support",
];

/// One module path a source file names, from `crate::tools::…` (a braced group gives
/// several) or `super::…`.
#[derive(Debug, PartialEq)]
enum Reference {
    /// Segments after `crate::tools::`.
    Tools(Vec<String>),
    /// The first segment after `super::`.
    Super(String),
}

fn references(source: &str) -> Vec<Reference> {
    // `a::b::c` up to the first character that is not part of a path.
    let segments = |text: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        loop {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            out.push(rest[..end].to_owned());
            match rest[end..].strip_prefix("::") {
                Some(next) => rest = next,
                None => break,
            }
        }
        out
    };
    let mut found = Vec::new();
    for (at, _) in source.match_indices("crate::tools::") {
        let rest = &source[at + "crate::tools::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let path = segments(part.trim());
                if !path.is_empty() && path[0] != "self" {
                    found.push(Reference::Tools(path));
                }
            }
        } else {
            found.push(Reference::Tools(segments(rest)));
        }
    }
    for (at, _) in source.match_indices("super::") {
        if source[..at].ends_with("super::") {
            continue;
        }
        let first = segments(&source[at + "super::".len()..]);
        if let Some(first) = first.into_iter().next() {
            found.push(Reference::Super(first));
        }
    }
    found
}

/// Why `source` (the file at `path` under tools/, e.g. `branding/themes.rs`) breaks the
/// layout: a tool module may use the shared modules, its own submodules and its own area's
/// root, never another area or a sibling tool module; the shared modules use no area.
/// `module_exists` says whether `tools/<area>/<name>.rs` (or a folder of that name) exists.
fn layout_violations(
    path: &str,
    source: &str,
    module_exists: &dyn Fn(&str, &str) -> bool,
) -> Vec<String> {
    let mut own: Vec<&str> = path.trim_end_matches(".rs").split('/').collect();
    if own.last() == Some(&"mod") {
        own.pop();
    }
    let Some(&area) = own.first() else {
        return Vec::new();
    };
    let shared = SHARED_MODULES.contains(&area);
    let mut out = Vec::new();
    for reference in references(source) {
        match reference {
            Reference::Tools(segments) => {
                let Some(first) = segments.first() else {
                    continue;
                };
                // Items of tools/mod.rs (ToolDef, Effect, …) start with a capital letter.
                let is_module =
                    first.starts_with(|c: char| c.is_ascii_lowercase()) && first != "all_tools";
                if !is_module || SHARED_MODULES.contains(&first.as_str()) {
                    continue;
                }
                if shared || first != area {
                    out.push(format!("{path} uses crate::tools::{}", segments.join("::")));
                } else if let (Some(sub), Some(own_sub)) = (segments.get(1), own.get(1))
                    && sub != own_sub
                    && module_exists(area, sub)
                {
                    out.push(format!(
                        "{path} uses its sibling crate::tools::{area}::{sub}"
                    ));
                }
            }
            Reference::Super(name) => {
                let sibling = own.len() >= 2
                    && own.get(1) != Some(&name.as_str())
                    && module_exists(area, &name);
                let other_area = own.len() == 1
                    && !shared
                    && name != area
                    && module_exists(&name, "")
                    && !SHARED_MODULES.contains(&name.as_str());
                if name == "super" && own.len() >= 2 || sibling || other_area {
                    out.push(format!("{path} uses super::{name}"));
                }
            }
        }
    }
    out
}

/// No tool module imports another (STYLE.md): what two areas share lives in `support`.
#[test]
fn no_tool_module_imports_another() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tools");
    let module_exists = |area: &str, name: &str| {
        if name.is_empty() {
            return root.join(format!("{area}.rs")).is_file() || root.join(area).is_dir();
        }
        root.join(area).join(format!("{name}.rs")).is_file() || root.join(area).join(name).is_dir()
    };
    let sources = tool_sources();
    assert!(sources.len() > 20, "found only {} files", sources.len());
    let mut violations = Vec::new();
    for (relative, source) in sources {
        // The registry names every area (it assembles the catalogue); this file quotes examples.
        if ["mod.rs", "registry.rs", "guards.rs"].contains(&relative.as_str()) {
            continue;
        }
        violations.extend(layout_violations(&relative, &source, &module_exists));
    }
    assert!(
        violations.is_empty(),
        "move what two tool modules share into tools/support/:\n{}",
        violations.join("\n")
    );
}

/// Every `.rs` file under src/tools, with its path relative to it.
fn tool_sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tools");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

/// A parameter that names an object in a path is an ID type (support/ids.rs), checked when
/// the arguments are read, never a bare String checked (or not) by each handler.
#[test]
fn id_parameters_are_id_types() {
    // Values that only filter (blank means "any"), never a path segment.
    const FILTER_VALUES: &[(&str, &str)] = &[("logs/login_failures.rs", "user_id")];
    let mut bare = Vec::new();
    for (path, source) in tool_sources() {
        for line in source.lines().map(str::trim) {
            let Some(field) = line.strip_prefix("pub ") else {
                continue;
            };
            let Some((name, ty)) = field.split_once(": ") else {
                continue;
            };
            let names_an_object =
                name.ends_with("_id") || name == "template_name" || name == "app_name";
            let bare_string = ty.starts_with("String") || ty.starts_with("Option<String>");
            if names_an_object && bare_string && !FILTER_VALUES.contains(&(path.as_str(), name)) {
                bare.push(format!("{path}: {line}"));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "use an ID type from tools/support/ids.rs:\n{}",
        bare.join("\n")
    );
}

#[test]
fn the_layout_check_sees_each_kind_of_cross_import() {
    let exists = |area: &str, name: &str| {
        matches!(
            (area, name),
            ("users", "")
                | ("groups", "")
                | ("branding", "")
                | ("branding", "brands")
                | ("branding", "themes")
                | ("users", "export")
        )
    };
    let check = |path: &str, source: &str| layout_violations(path, source, &exists);
    assert_eq!(
        check("groups.rs", "use crate::tools::users::non_empty;").len(),
        1
    );
    assert_eq!(
        check("groups.rs", "use crate::tools::{Effect, users};").len(),
        1
    );
    assert_eq!(
        check(
            "branding/themes.rs",
            "use crate::tools::branding::brands::ack;"
        )
        .len(),
        1
    );
    assert_eq!(
        check("branding/themes.rs", "use super::brands::ack;").len(),
        1
    );
    assert_eq!(
        check("support/labels.rs", "use crate::tools::users::x;").len(),
        1
    );
    assert_eq!(
        check("users/export.rs", "use super::super::groups;").len(),
        1
    );
    // Allowed: shared modules, the registry's items, an area's own submodules, tests' `super::*`.
    assert!(check("groups.rs", "use crate::tools::support::arguments::non_empty;\nuse crate::tools::{Effect, ResultKind, ToolDef, common};").is_empty());
    assert!(
        check(
            "users.rs",
            "use crate::tools::users::export;\nmod tests { use super::*; }"
        )
        .is_empty()
    );
    assert!(
        check(
            "branding/themes.rs",
            "use crate::tools::branding::themes::images;"
        )
        .is_empty()
    );
}
