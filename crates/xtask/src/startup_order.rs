//! `xtask startup-order`: lists the functions the release server runs from spawn to its
//! tools/list answer, for the linker to place first (see crates/okta-mcp-server/build.rs).
//!
//! The server runs under callgrind against the sandbox with a warm token cache, exactly as
//! the benchmark's cold start does; the profile is dumped once tools/list is answered. The
//! names of the binary's own functions that ran are written in their current address
//! order.
//!
//! `--check` is the guard CI runs after its release build: names change with code,
//! dependency, feature and toolchain changes, the linker skips the ones it no longer finds
//! without a word, and idle RSS creeps up (the release profile as it is, dependencies at
//! opt-level 3 and the server's crate at "s": fresh 8.7 MiB, 57% of the names left 14.0 MiB.
//! Everything at "s": fresh 7.0-7.4, 75% left 9.3-9.8, none 12.9. Everything at 3: fresh
//! 9.3, 98% left 10.1, none 17.6. The benchmark's target is 10 MiB). It fails when fewer
//! than [`PRESENT_AT_LEAST_PERCENT`] of the listed names are in the binary.

use crate::bench::{build_server, management_scopes, server_env};
use crate::process::{SandboxProcess, ServerProcess};
use anyhow::{Context, bail};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The ordering file, next to the build script that hands it to the linker.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../okta-mcp-server/startup-order.txt")
}

/// The share of listed names the release binary must still have for `--check` to pass. A
/// few go with any change (inlined, renamed); below this idle RSS heads for its target.
pub const PRESENT_AT_LEAST_PERCENT: usize = 90;

/// What the list file says about itself, above the names (lld skips `#` lines).
const HEADER: &str = "\
# Start-up link order: the functions the release server runs from spawn to its tools/list
# answer, placed first by the linker (build.rs) so start-up touches few 64 KiB blocks of code.
# Made by `cargo run -p xtask -- startup-order`; CI runs `startup-order --check`,
# which fails when fewer than 90% of these names are in the release binary.
";

/// The function names a list file holds (comments and blank lines skipped).
fn listed_names(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Listed names and how many of them `bin` has.
fn present(bin: &Path, list: &Path) -> anyhow::Result<(usize, usize)> {
    let symbols = text_symbols(bin)?;
    let listed =
        std::fs::read_to_string(list).with_context(|| format!("reading {}", list.display()))?;
    let names = listed_names(&listed);
    let found = names.iter().filter(|n| symbols.contains_key(**n)).count();
    Ok((found, names.len()))
}

/// Whether the order still holds: enough listed names present (an empty list holds nothing).
fn holds(found: usize, listed: usize) -> bool {
    listed > 0 && found * 100 >= listed * PRESENT_AT_LEAST_PERCENT
}

/// `found` as a whole percentage of `listed`.
fn percent(found: usize, listed: usize) -> usize {
    (found * 100).checked_div(listed).unwrap_or(0)
}

/// One line for the benchmark report: does the measured binary follow the list?
pub fn coverage(bin: &Path, list: &Path) -> String {
    match present(bin, list) {
        Ok((found, listed)) if holds(found, listed) => format!(
            "{found} of {listed} listed functions present ({}%)",
            percent(found, listed)
        ),
        Ok((found, listed)) => format!(
            "STALE, {found} of {listed} listed functions present ({}%; run `xtask startup-order`)",
            percent(found, listed)
        ),
        Err(e) => format!("unknown ({e:#})"),
    }
}

pub fn run(out: &Path, check_only: bool) -> anyhow::Result<()> {
    let bin = build_server()?;
    if check_only {
        let (found, listed) = present(&bin, out)?;
        let share = percent(found, listed);
        if !holds(found, listed) {
            bail!(
                "{} is stale: only {found} of its {listed} function names ({share}%, under \
                 {PRESENT_AT_LEAST_PERCENT}%) are in {}, so the release link no longer keeps \
                 start-up code together and idle RSS grows; make it again with `cargo run -p \
                 xtask -- startup-order` (needs valgrind) and commit it",
                out.display(),
                bin.display()
            );
        }
        eprintln!(
            "startup-order: {found} of {listed} listed functions ({share}%) are in {}",
            bin.display()
        );
        return Ok(());
    }
    let symbols = text_symbols(&bin)?;
    let executed = profile_startup(&bin)?;
    let mut ordered: Vec<(u64, &str)> = executed
        .iter()
        .filter_map(|name| symbols.get(name.as_str()).map(|&at| (at, name.as_str())))
        .collect();
    ordered.sort();
    if ordered.is_empty() {
        bail!(
            "none of the {} profiled functions is a symbol of {}",
            executed.len(),
            bin.display()
        );
    }
    let mut text = HEADER.to_owned();
    for (_, name) in &ordered {
        text.push_str(name);
        text.push('\n');
    }
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "startup-order: {} functions written to {}; rebuild the release binary to apply them",
        ordered.len(),
        out.display()
    );
    Ok(())
}

/// Runs spawn → initialize → tools/list under callgrind and returns the mangled names of
/// every function that ran.
fn profile_startup(bin: &Path) -> anyhow::Result<HashSet<String>> {
    let work = tempfile::tempdir().context("creating a temporary directory")?;
    let keys = work.path().join("keys");
    std::fs::create_dir_all(&keys).context("creating the key directory")?;
    let sandbox = SandboxProcess::start(bin, 0, &keys, &work.path().join("sandbox.log"))?;
    let scopes = management_scopes(&sandbox.org_url)?;
    let env = server_env(&sandbox, &scopes, work.path())?;
    let log = work.path().join("server.log");
    {
        // Fills the token cache, so the profiled start is a warm one.
        let mut server = ServerProcess::spawn(bin, &env, &log)?;
        server.initialize()?;
        server.list_tools()?;
        server.call_tool("list_users", &json!({"limit": 1}))?;
    }
    let profile = work.path().join("callgrind.out");
    let wrapper = [
        "valgrind".to_owned(),
        "--tool=callgrind".to_owned(),
        "--demangle=no".to_owned(),
        "--compress-strings=no".to_owned(),
        format!("--callgrind-out-file={}", profile.display()),
    ];
    let mut server = ServerProcess::spawn_under(&wrapper, bin, &env, &log)
        .context("starting the server under valgrind (is valgrind installed?)")?;
    server.initialize()?;
    server.list_tools()?;
    let dumped = Command::new("callgrind_control")
        .arg("-d")
        .arg(server.pid.to_string())
        .output()
        .context("running callgrind_control")?;
    if !dumped.status.success() {
        bail!(
            "callgrind_control -d failed: {}",
            String::from_utf8_lossy(&dumped.stderr)
        );
    }
    let names = wait_for_dump(work.path(), Duration::from_secs(60))?;
    drop(server);
    drop(sandbox);
    Ok(names)
}

/// Reads the first complete dump callgrind wrote into `dir`.
fn wait_for_dump(dir: &Path, timeout: Duration) -> anyhow::Result<HashSet<String>> {
    let started = Instant::now();
    loop {
        for entry in std::fs::read_dir(dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("callgrind.out") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            // A dump is complete once its totals line is written.
            if text.contains("\ntotals:") {
                return Ok(function_names(&text));
            }
        }
        if started.elapsed() > timeout {
            bail!("callgrind wrote no profile within {} s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The `fn=` (and `cfn=`) names of a callgrind profile written without name compression.
fn function_names(profile: &str) -> HashSet<String> {
    profile
        .lines()
        .filter_map(|l| l.strip_prefix("fn=").or_else(|| l.strip_prefix("cfn=")))
        .map(|name| name.trim().to_owned())
        .collect()
}

/// The binary's defined function symbols and their addresses, from `nm`.
fn text_symbols(bin: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    let out = Command::new("nm")
        .arg("--defined-only")
        .arg(bin)
        .output()
        .context("running nm (binutils)")?;
    if !out.status.success() {
        bail!("nm {} failed", bin.display());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let symbols: BTreeMap<String, u64> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let at = u64::from_str_radix(parts.next()?, 16).ok()?;
            let kind = parts.next()?;
            let name = parts.next()?;
            matches!(kind, "t" | "T" | "w" | "W").then(|| (name.to_owned(), at))
        })
        .collect();
    if symbols.is_empty() {
        bail!(
            "{} has no symbol table (is the release profile stripping symbols?)",
            bin.display()
        );
    }
    Ok(symbols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_not_a_name_and_most_names_must_be_present() {
        let text = format!("{HEADER}\n_RNvCs1_3foo4main\n_ZN3foo3bar17h0123456789abcdefE\n");
        assert_eq!(
            listed_names(&text),
            ["_RNvCs1_3foo4main", "_ZN3foo3bar17h0123456789abcdefE"]
        );
        assert!(holds(100, 100) && holds(90, 100));
        assert!(!holds(89, 100) && !holds(0, 0));
        assert_eq!(percent(62, 100), 62);
        assert!(HEADER.contains(&format!("{PRESENT_AT_LEAST_PERCENT}%")));
    }

    #[test]
    fn profile_names_are_read_from_fn_and_cfn_lines() {
        let profile = "events: Ir\nfn=_RNvCs1_3foo4main\n0 3\ncfn=_RNvCs1_3foo3bar\ncalls=1 0\n0 5\nfn=_RNvCs1_3foo3bar\n0 5\ntotals: 8\n";
        let names = function_names(profile);
        assert_eq!(
            names,
            HashSet::from([
                "_RNvCs1_3foo4main".to_owned(),
                "_RNvCs1_3foo3bar".to_owned()
            ])
        );
    }
}
