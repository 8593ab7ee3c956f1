//! Fault injection and a request journal, so client tests can provoke and observe what a
//! real org and network do: 429s, 5xx, latency, resets, bad bodies, foreign `next` links.
//!
//! Interface used by the rest of the sandbox (keep these signatures; extend freely):
//! - `FaultConfig`: the knobs, set at start and changeable at run time through `Faults`.
//! - `Faults::new(config)` and `Faults::wrap(router)`: the middleware around the whole app.
//! - `Faults::journal()`: every request received, with its raw path, for assertions.

#[derive(Clone, Debug, Default)]
pub struct FaultConfig {}

#[derive(Clone, Default)]
pub struct Faults {}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        let _ = config;
        Self {}
    }

    pub fn wrap(&self, router: axum::Router) -> axum::Router {
        router
    }
}
