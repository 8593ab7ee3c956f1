//! Repository tasks. `cargo run --release -p xtask -- bench` runs the benchmark.

fn main() {
    eprintln!("usage: cargo run --release -p xtask -- bench");
    std::process::exit(2);
}
