//! Guard tests over the whole registry, and the committed snapshot of every tool definition.

use super::{Effect, ToolDef, all_tools};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Tools that only read the org but write a local file (so they are not read-only).
const LOCAL_WRITERS: &[&str] = &["export_users_csv"];

/// Tools this server adds to the Python server's catalogue.
const NEW_TOOLS: &[&str] = &["summarize_logs"];

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
        assert_eq!(
            def["outputSchema"].is_object(),
            tool.spec.output == super::Output::List,
            "{name}: only list envelopes declare an outputSchema"
        );
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

#[test]
fn destructive_tools_require_confirmation() {
    for tool in all_tools() {
        let def = serde_json::to_value(tool.mcp_tool()).unwrap();
        let destructive = def["annotations"]["destructiveHint"] == true;
        assert_eq!(destructive, tool.needs_confirmation(), "{}", tool.spec.name);
        if destructive {
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

#[test]
fn tools_list_fits_the_size_budget() {
    let defs: Vec<_> = all_tools().iter().map(ToolDef::mcp_tool).collect();
    let bytes = serde_json::to_vec(&serde_json::json!({"tools": defs}))
        .unwrap()
        .len();
    assert!(
        bytes <= 75_000,
        "tools/list is {bytes} bytes; the budget is 75,000"
    );
}
