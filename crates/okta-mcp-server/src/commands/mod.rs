//! One module per command; each takes the checked settings and returns the exit code.

pub mod audit;
pub mod auth;
pub mod call;
pub mod completions;
#[cfg(feature = "demo")]
pub mod sandbox;
pub mod serve;
pub mod sessions;
pub mod tools;
