//! README sections generated from the registry and the CLI definition, so the docs cannot
//! drift from the code: a test regenerates them and fails on a difference.

use crate::cli::Cli;
use clap::CommandFactory;

/// The env var table: every global option with its variable, from clap's own definition.
pub fn env_table() -> String {
    let cmd = Cli::command();
    let mut out = String::from("| Variable | Flag | Meaning |\n|---|---|---|\n");
    let mut rows: Vec<(String, String, String)> = Vec::new();
    collect_env(&cmd, &mut rows);
    for sub in cmd.get_subcommands() {
        collect_env(sub, &mut rows);
    }
    rows.sort();
    rows.dedup_by(|a, b| a.0 == b.0);
    for (var, flag, help) in rows {
        out.push_str(&format!("| `{var}` | `--{flag}` | {help} |\n"));
    }
    out
}

fn collect_env(cmd: &clap::Command, rows: &mut Vec<(String, String, String)>) {
    for arg in cmd.get_arguments() {
        if let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) {
            let help = arg
                .get_help()
                .map(|h| h.to_string())
                .unwrap_or_default()
                .replace('|', "\\|");
            rows.push((env.to_string_lossy().into_owned(), long.to_owned(), help));
        }
    }
}

/// The tool table: name, toolset, scope, and whether it reads, writes or destroys.
pub fn tools_table() -> String {
    let mut out =
        String::from("| Tool | Toolset | Scope | Kind | What it does |\n|---|---|---|---|---|\n");
    for tool in crate::tools::all_tools() {
        let kind = if tool.is_read_only() {
            "read"
        } else if matches!(tool.spec.effect, crate::tools::Effect::Destructive { .. }) {
            "destructive (confirms)"
        } else if tool.needs_confirmation() {
            "write (confirms)"
        } else {
            "write"
        };
        let first_sentence = tool
            .spec
            .description
            .split(". ")
            .next()
            .unwrap_or("")
            .trim_end_matches('.');
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {}. |\n",
            tool.spec.name,
            tool.spec.toolset.name(),
            tool.spec
                .scope
                .map(|s| format!("`{s}`"))
                .unwrap_or_else(|| "—".into()),
            kind,
            first_sentence.replace('|', "\\|"),
        ));
    }
    out
}

/// Replaces the text between `<!-- BEGIN GENERATED name -->` and `<!-- END GENERATED name -->`.
pub fn splice(doc: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN GENERATED {name} -->");
    let end = format!("<!-- END GENERATED {name} -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = doc[start..].find(&end)? + start;
    Some(format!("{}\n{}{}", &doc[..start], body, &doc[stop..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when README.md's generated sections are stale; `UPDATE_README=1` rewrites them.
    #[test]
    fn readme_generated_sections_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let current = std::fs::read_to_string(&path).expect("README.md");
        let mut fresh = current.clone();
        for (name, body) in [("TOOLS", tools_table()), ("ENV", env_table())] {
            fresh = splice(&fresh, name, &body)
                .unwrap_or_else(|| panic!("README.md lacks the {name} markers"));
        }
        if fresh != current {
            if std::env::var_os("UPDATE_README").is_some() {
                std::fs::write(&path, fresh).expect("write README.md");
            } else {
                panic!(
                    "README.md generated sections are stale: run `UPDATE_README=1 cargo test -p okta-mcp-server readme` and commit"
                );
            }
        }
    }

    #[test]
    fn splice_replaces_only_between_markers() {
        let doc = "a\n<!-- BEGIN GENERATED X -->\nold\n<!-- END GENERATED X -->\nb";
        assert_eq!(
            splice(doc, "X", "new\n").unwrap(),
            "a\n<!-- BEGIN GENERATED X -->\nnew\n<!-- END GENERATED X -->\nb"
        );
        assert!(splice(doc, "Y", "").is_none());
    }
}
