//! Shell completions and the man page, generated from the clap definition so they can never
//! disagree with the options the binary actually takes. Packages install both (see packaging/).

use crate::cli::Cli;
use crate::cli_output;
use clap::CommandFactory;
use std::process::ExitCode;

/// The name the scripts complete and the man page documents: the installed command.
const BIN_NAME: &str = "okta-mcp-server";

/// The completion script for `shell`.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN_NAME, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    match shell {
        clap_complete::Shell::Bash => respell_bash_case_labels(&text),
        _ => text,
    }
}

/// clap_complete's bash script (clap-rs/clap#6421, still in 4.6.12) spells a subcommand's
/// case label with the hyphens of the bin name as `__subcmd__`, while its dispatch loop spells
/// them `__`: no label matches, so nothing after the first word completes for a hyphenated
/// name like ours. This respells the labels the loop's way, and is a no-op once clap agrees
/// with itself. Guarded by tests/completions.rs, which completes through a real bash.
fn respell_bash_case_labels(script: &str) -> String {
    let label_spelling = format!("{}__subcmd__", BIN_NAME.replace('-', "__subcmd__"));
    let loop_spelling = format!("{}__subcmd__", BIN_NAME.replace('-', "__"));
    script.replace(&label_spelling, &loop_spelling)
}

/// The man page, in roff.
pub fn man_page() -> std::io::Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command().name(BIN_NAME)).render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

pub fn print_script(shell: clap_complete::Shell) -> ExitCode {
    cli_output::print_line(script(shell).trim_end_matches('\n'));
    ExitCode::SUCCESS
}

pub fn print_man_page() -> ExitCode {
    match man_page() {
        Ok(page) => {
            cli_output::print_line(page.trim_end_matches('\n'));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("okta-mcp-server: cannot render the man page: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_script_completes_the_binary_and_its_subcommands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let text = script(shell);
            assert!(text.contains(BIN_NAME), "{shell}: no command name");
            for word in ["serve", "auth", "sandbox", "--org-url", "--read-only"] {
                let word = if shell == clap_complete::Shell::Fish {
                    word.trim_start_matches("--")
                } else {
                    word
                };
                assert!(text.contains(word), "{shell} script lacks {word}");
            }
        }
    }

    #[test]
    fn man_page_names_the_command_its_subcommands_and_env_vars() {
        let page = man_page().unwrap();
        assert!(page.starts_with(".ie"), "{}", &page[..80.min(page.len())]);
        assert!(page.contains(".TH okta-mcp-server 1"), "no title header");
        for word in ["serve", "sandbox", "completions", "OKTA_ORG_URL"] {
            assert!(page.contains(word), "man page lacks {word}");
        }
    }
}
