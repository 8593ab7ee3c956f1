//! Fault injection and a request journal, so client tests can provoke and observe what a
//! real org and network do: 429s, 5xx, latency, resets, bad bodies, foreign `next` links,
//! next links back to the same page.
//!
//! Interface used by the rest of the sandbox (keep these signatures; extend freely):
//! - `FaultConfig`: the knobs, set at start and changeable at run time through `Faults`.
//! - `Faults::new(config)` and `Faults::wrap(router)`: the middleware around the whole app.
//! - `Faults::journal()`: every request received, with its raw path, for assertions.
//!
//! Every `/api/v1` response carries `X-Rate-Limit-Limit/-Remaining/-Reset` from a real
//! per-family counter ([`RateLimits`]); requests over the limit get Okta's 429 E0000047.

mod burst;
mod config;
mod journal;
mod respond;
mod spec;

pub use burst::family;
pub use config::{Fault, FaultConfig, FaultRule, RateLimits};
pub use journal::JournalEntry;
pub use spec::{SpecError, parse_duration};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The journal keeps this many most recent requests, so a long-running sandbox stays small.
pub const JOURNAL_CAPACITY: usize = 100_000;

/// Largest org response the body faults will buffer to mutilate.
const MAX_BUFFERED_BODY: usize = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug, Default)]
struct RuleCount {
    seen: u32,
    fired: u32,
}

struct State {
    config: FaultConfig,
    rng: StdRng,
    rule_counts: Vec<RuleCount>,
    counter: burst::Counter,
    journal: VecDeque<(u64, JournalEntry)>,
    next_seq: u64,
}

impl State {
    fn new(config: FaultConfig) -> Self {
        Self {
            rng: StdRng::seed_from_u64(config.seed),
            rule_counts: vec![RuleCount::default(); config.rules.len()],
            config,
            counter: burst::Counter::default(),
            journal: VecDeque::new(),
            next_seq: 0,
        }
    }

    /// Okta-looking error id (`oae` + 22 alphanumerics), from the seeded RNG.
    fn error_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..22)
            .map(|_| ALPHABET[self.rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        format!("oae{tail}")
    }

    /// Which rules fire for this request, advancing their counters.
    fn firing_rules(&mut self, method: &str, path: &str) -> Vec<Fault> {
        let mut firing = Vec::new();
        for (i, rule) in self.config.rules.iter().enumerate() {
            if !rule.matches(method, path) {
                continue;
            }
            let count = &mut self.rule_counts[i];
            count.seen += 1;
            if count.seen <= rule.skip || rule.times.is_some_and(|t| count.fired >= t) {
                continue;
            }
            if rule.probability < 1.0 && self.rng.r#gen::<f64>() >= rule.probability {
                continue;
            }
            count.fired += 1;
            firing.push(rule.fault.clone());
        }
        firing
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new(FaultConfig::default())
    }
}

/// What happens to one request, decided under the lock when it arrives.
struct Plan {
    seq: u64,
    api: bool,
    delay: Duration,
    /// `X-Rate-Limit-*` values for the response: limit, remaining, reset.
    rate: Option<(u64, u64, u64)>,
    /// Answer without asking the org.
    reject: Option<Response>,
    /// Applied to the org's response.
    after: Vec<Fault>,
    label: Option<&'static str>,
    error_id: String,
}

/// The handle shared by the middleware and whoever tunes the faults at run time.
#[derive(Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(config))),
        }
    }

    /// Puts the fault middleware and the journal around every route, fallback included.
    pub fn wrap(&self, router: axum::Router) -> axum::Router {
        let faults = self.clone();
        router.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let faults = faults.clone();
                async move { faults.handle(request, next).await }
            },
        ))
    }

    /// Replaces the configuration and starts a fresh run: RNG re-seeded, rule counters and
    /// rate-limit windows reset (the journal is kept).
    pub fn set(&self, config: FaultConfig) {
        let mut state = self.lock();
        let journal = std::mem::take(&mut state.journal);
        let next_seq = state.next_seq;
        *state = State::new(config);
        state.journal = journal;
        state.next_seq = next_seq;
    }

    /// Edits the configuration in place; rule counters restart, windows and RNG carry on.
    pub fn update(&self, edit: impl FnOnce(&mut FaultConfig)) {
        let mut state = self.lock();
        edit(&mut state.config);
        state.rule_counts = vec![RuleCount::default(); state.config.rules.len()];
    }

    /// Forgets every rate-limit window, as if a new minute had begun for all families.
    pub fn reset_rate_limits(&self) {
        self.lock().counter.clear();
    }

    pub fn config(&self) -> FaultConfig {
        self.lock().config.clone()
    }

    /// Every request received so far (the latest [`JOURNAL_CAPACITY`]), oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.lock().journal.iter().map(|(_, e)| e.clone()).collect()
    }

    /// The Management API requests received that could change the org (any method but GET
    /// and HEAD; OAuth's token POSTs are not org changes), oldest first: what a dry run must
    /// never send.
    pub fn writes(&self) -> Vec<JournalEntry> {
        self.lock()
            .journal
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.path.starts_with("/api/") && !matches!(e.method.as_str(), "GET" | "HEAD"))
            .cloned()
            .collect()
    }

    pub fn clear_journal(&self) {
        self.lock().journal.clear();
    }

    /// How many received requests match `method` and start with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.lock()
            .journal
            .iter()
            .filter(|(_, e)| {
                e.method.eq_ignore_ascii_case(method) && e.path.starts_with(path_prefix)
            })
            .count()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn handle(&self, request: Request, next: Next) -> Response {
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let raw = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| path.clone());
        let user_agent = request
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let plan = self.plan(&method, &path, &raw, user_agent);
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let mut response = match plan.reject {
            Some(reject) => reject,
            None => {
                let response = next.run(request).await;
                apply(response, &plan.after, &raw, &plan.error_id).await
            }
        };
        if plan.api
            && let Some((limit, remaining, reset)) = plan.rate
        {
            respond::set_rate_headers(response.headers_mut(), limit, remaining, reset);
        }
        self.finish(plan.seq, response.status().as_u16(), plan.label);
        response
    }

    /// Records the request and decides its fate: counting, 429s, latency, later faults.
    fn plan(&self, method: &str, path: &str, raw: &str, user_agent: Option<String>) -> Plan {
        let mut state = self.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        if state.journal.len() >= JOURNAL_CAPACITY {
            state.journal.pop_front();
        }
        state.journal.push_back((
            seq,
            JournalEntry {
                method: method.to_owned(),
                path: raw.to_owned(),
                status: None,
                user_agent,
                fault: None,
            },
        ));
        let error_id = state.error_id();
        let api = path == "/api/v1" || path.starts_with("/api/v1/");
        let mut plan = Plan {
            seq,
            api,
            delay: Duration::ZERO,
            rate: None,
            reject: None,
            after: Vec::new(),
            label: None,
            error_id,
        };
        let now = unix_now();
        if api {
            plan.delay = state.config.latency;
            let family = burst::family(path);
            let limits = state.config.rate_limits.clone();
            let count = state.counter.count(&limits, &family, now);
            plan.rate = Some((count.limit, count.remaining, count.reset));
            if count.exceeded && limits.enforce {
                plan.reject = Some(respond::rate_limited(plan.error_id.clone()));
                plan.label = Some("rate_limit");
                return plan;
            }
        }
        for fault in state.firing_rules(method, path) {
            plan.label.get_or_insert(fault.label());
            match fault {
                Fault::Latency(extra) => plan.delay += extra,
                Fault::TooManyRequests { reset_after } => {
                    let reset = (now + reset_after.as_secs_f64()).ceil() as u64;
                    let limit = plan.rate.map(|(limit, _, _)| limit).unwrap_or(0);
                    plan.rate = Some((limit, 0, reset));
                    plan.api = true;
                    plan.reject = Some(respond::rate_limited(plan.error_id.clone()));
                    plan.label = Some(fault.label());
                }
                other => plan.after.push(other),
            }
        }
        plan
    }

    fn finish(&self, seq: u64, status: u16, fault: Option<&'static str>) {
        let mut state = self.lock();
        if let Some((_, entry)) = state.journal.iter_mut().rev().find(|(s, _)| *s == seq) {
            entry.status = Some(status);
            entry.fault = fault;
        }
    }
}

/// Applies the response-side faults to the org's answer, in rule order.
async fn apply(mut response: Response, faults: &[Fault], raw: &str, error_id: &str) -> Response {
    for fault in faults {
        response = match fault {
            Fault::ServerError { status } => respond::server_error(*status, error_id.to_owned()),
            Fault::ForeignNextLink { origin } => {
                respond::foreign_next(response.headers_mut(), origin, raw);
                response
            }
            Fault::RepeatNextLink => {
                respond::repeat_next(response.headers_mut(), raw);
                response
            }
            Fault::ResetMidBody | Fault::TruncatedJson | Fault::MalformedJson => {
                let (head, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, MAX_BUFFERED_BODY)
                    .await
                    .unwrap_or_default();
                match fault {
                    Fault::ResetMidBody => respond::reset_mid_body(head, bytes),
                    Fault::TruncatedJson => respond::truncated(head, bytes),
                    _ => respond::malformed(head),
                }
            }
            Fault::Latency(_) | Fault::TooManyRequests { .. } => response,
        };
    }
    response
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod http_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_after_skip_for_at_most_times() {
        let config = FaultConfig::default().with_rule(
            FaultRule::new("/api/v1/users", Fault::MalformedJson)
                .skip(1)
                .times(2),
        );
        let mut state = State::new(config);
        let fired: Vec<bool> = (0..5)
            .map(|_| !state.firing_rules("GET", "/api/v1/users").is_empty())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(state.firing_rules("GET", "/api/v1/groups").is_empty());
    }

    #[test]
    fn fractional_faults_are_seeded() {
        let run = |seed: u64| -> Vec<bool> {
            let config = FaultConfig {
                seed,
                ..FaultConfig::default()
            }
            .with_rule(
                FaultRule::new("/api/v1", Fault::ServerError { status: 503 }).probability(0.3),
            );
            let mut state = State::new(config);
            (0..200)
                .map(|_| !state.firing_rules("GET", "/api/v1/users").is_empty())
                .collect()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|h| **h).count();
        assert!((30..=90).contains(&hits), "{hits} of 200 at p=0.3");
    }
}
