//! Release link order: the functions start-up runs are placed next to each other.
//!
//! The kernel maps a file-backed page fault's 64 KiB neighbourhood, so the server's resident
//! code depends on how many 64 KiB blocks start-up touches, not on how much code runs: about
//! 1.3 MiB of functions run from spawn to the tools/list answer, scattered over the 9 MB of
//! code they made 6 MiB resident. `startup-order.txt` lists them (`cargo run -p xtask --
//! startup-order` regenerates it); the linker puts them first. Names the build no longer has
//! (after code, dependency, feature or toolchain changes) are skipped, so a stale list costs
//! memory, never correctness. Idle RSS against the benchmark's 10 MiB target: 7.0-7.4 MiB
//! with a fresh list, 9.3-9.8 MiB with 75% of it left, 11.0 MiB with 62%, 12.9 MiB without
//! it. The guard: CI runs `cargo run -p xtask -- startup-order --check` after its release
//! build, which fails when fewer than 90% of the listed names are in the binary.

use std::env;
use std::path::Path;
use std::process::Command;

const ORDER_FILE: &str = "startup-order.txt";

fn main() {
    println!("cargo:rerun-if-changed={ORDER_FILE}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| env::var(name).unwrap_or_default();
    // Only lld reads an ordering file (GNU ld refuses the option), and rustc's own rust-lld
    // is what links x86_64 Linux by default since Rust 1.90, unless a linker is configured.
    let uses_rust_lld = var("PROFILE") == "release"
        && var("TARGET") == "x86_64-unknown-linux-gnu"
        && env::var_os("RUSTC_LINKER").is_none()
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("link")
        && rustc_minor().is_some_and(|minor| minor >= 90);
    if !uses_rust_lld {
        return;
    }
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join(ORDER_FILE);
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// The minor version of the `rustc` cargo builds with (`1.95.0` → 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var_os("RUSTC")?;
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
