//! `completions SHELL` and `man`: the scripts a real shell loads and completes with, and a
//! man page roff renders without a warning. Both work whatever the Okta settings say.

mod support;

use std::process::{Command, Stdio};
use support::run;

fn stdout_of(args: &[&str], env: &[(String, String)]) -> String {
    let out = run(env, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("skipping the {tool} part: {tool} is not installed");
    }
    found
}

/// What bash's completion offers for the words typed so far (the last one being completed).
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let program = format!(
        r#"source "$1"
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="{line}"
COMP_POINT=${{#COMP_LINE}}
# The function the script registered for the command, as bash itself would call it.
function=$(complete -p okta-mcp-server | sed -E 's/.*-F ([^ ]+).*/\1/')
"$function" okta-mcp-server "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "bash"])
        .arg(script)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_flags() {
    if !have("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("okta-mcp-server.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"], &[])).unwrap();

    assert_eq!(
        bash_completes(&script, &["okta-mcp-server", "sa"]),
        ["sandbox"]
    );
    let auth = bash_completes(&script, &["okta-mcp-server", "auth", ""]);
    for sub in ["login", "logout", "status", "token"] {
        assert!(auth.contains(&sub.to_owned()), "auth completions: {auth:?}");
    }
    let flags = bash_completes(&script, &["okta-mcp-server", "serve", "--tr"]);
    assert_eq!(flags, ["--transport"]);
    let shells = bash_completes(&script, &["okta-mcp-server", "completions", ""]);
    assert!(shells.contains(&"zsh".to_owned()), "{shells:?}");
}

#[test]
fn zsh_and_fish_scripts_parse_and_fish_completes() {
    for (shell, check) in [("zsh", ["-n"]), ("fish", ["--no-execute"])] {
        let text = stdout_of(&["completions", shell], &[]);
        assert!(text.contains("okta-mcp-server"), "{shell}: {text}");
        if !have(shell) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("script");
        std::fs::write(&script, &text).unwrap();
        let out = Command::new(shell)
            .args(check)
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{shell} rejects its script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if shell == "fish" {
            let program = format!(
                "source {}; complete -C 'okta-mcp-server auth st'",
                script.display()
            );
            let out = Command::new("fish")
                .args(["-c", &program])
                .output()
                .unwrap();
            let offered = String::from_utf8_lossy(&out.stdout);
            assert!(offered.starts_with("status"), "fish offers: {offered}");
        }
    }
}

#[test]
fn man_page_renders_without_warnings() {
    let page = stdout_of(&["man"], &[]);
    assert!(page.contains(".TH okta-mcp-server 1"), "no title: {page}");
    if !have("groff") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("okta-mcp-server.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "groff warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new("groff")
        .args(["-man", "-Tutf8", "-P", "-cbou"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for word in ["okta-mcp-server", "sandbox", "completions", "OKTA_ORG_URL"] {
        assert!(text.contains(word), "rendered page lacks {word}");
    }
}

#[test]
fn completions_and_man_ignore_the_okta_settings() {
    // An org URL the server would refuse: these commands never read it.
    let bad = [("OKTA_ORG_URL".to_owned(), "http://evil.example".to_owned())];
    assert!(stdout_of(&["completions", "fish"], &bad).contains("okta-mcp-server"));
    assert!(stdout_of(&["man"], &bad).contains(".TH"));
    let refused = run(&bad, &["tools"]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "the same setting stops `tools`"
    );
}

#[test]
fn an_unknown_shell_is_refused_with_the_choices() {
    let out = run(&[], &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}
