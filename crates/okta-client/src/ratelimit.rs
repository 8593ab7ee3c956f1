//! Okta rate-limit headers, and one shared view of each endpoint family's window so that
//! concurrent calls pace themselves instead of running into 429s.

use crate::RateLimit;
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// A rate-limit wait the client is making, as its caller hears of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitWait {
    /// The endpoint family whose window is used up, e.g. `/api/v1/users`.
    pub family: String,
    /// How much longer the client waits before it sends again.
    pub remaining: Duration,
    /// Unix seconds when Okta said the window resets, when it did.
    pub reset: Option<u64>,
}

/// Hears every rate-limit wait of a call (at its start and every few seconds while it lasts).
pub type WaitObserver = Arc<dyn Fn(&RateLimitWait) + Send + Sync>;

/// One endpoint family's window as Okta's `X-Rate-Limit-*` headers described it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedWindow {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds (the org's clock) when the window resets.
    pub reset: u64,
}

/// What a [`SharedRateView`] said to one request about to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Counted against the shared window; `remaining` is what is left after it.
    Granted(SharedWindow),
    /// The shared window is used up until its reset: wait, as for a 429.
    Exhausted(SharedWindow),
}

/// The rate-limit view kept outside this process, so that several processes acting on one
/// org (the team server's replicas) pace together instead of each assuming the whole budget.
/// The in-process view still decides; this one tells it what the others have spent. Both
/// methods must fail quietly (None, nothing recorded): a view that cannot be reached leaves
/// each process pacing on its own, as without one.
pub trait SharedRateView: Send + Sync + 'static {
    /// Counts one request about to go to `family`; None when the window is unknown or the
    /// view unreachable.
    fn claim<'a>(&'a self, family: &'a str) -> BoxFuture<'a, Option<Claim>>;
    /// Records what a response's headers said about `family`'s window; the future resolves
    /// once the view has it (or has given up).
    fn report(&self, family: &str, window: SharedWindow) -> BoxFuture<'static, ()>;
}

/// While a wait lasts, the observer hears of it this often.
const REPORT_EVERY: Duration = Duration::from_secs(5);

/// Waits shorter than this (the spacing of paced requests) are counted but not announced.
const ANNOUNCE_FROM: Duration = Duration::from_secs(1);

/// What one logical call (one tool call, say) allows and wants to hear about its waits.
/// The client finds it in a task-local, so no request signature has to carry it and the
/// client stays ignorant of who listens.
struct CallWaits {
    max_total: Duration,
    observer: Option<WaitObserver>,
    waited: Mutex<Duration>,
}

tokio::task_local! {
    static CALL_WAITS: Arc<CallWaits>;
}

/// Runs `call` with a budget for rate-limit waits: together its waits last at most
/// `max_total` (a wait that would go past it is not made; the call fails with
/// [`crate::ApiError::RateLimited`] at once), and `observer` hears of each wait. Requests the
/// call runs side by side (in the same task) share the budget, each wait counted in full.
pub async fn with_rate_limit_waits<F: Future>(
    max_total: Duration,
    observer: Option<WaitObserver>,
    call: F,
) -> F::Output {
    let scope = Arc::new(CallWaits {
        max_total,
        observer,
        waited: Mutex::new(Duration::ZERO),
    });
    CALL_WAITS.scope(scope, call).await
}

fn current_call() -> Option<Arc<CallWaits>> {
    CALL_WAITS.try_with(Arc::clone).ok()
}

impl CallWaits {
    fn waited(&self) -> Duration {
        *self.waited.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn add(&self, wait: Duration) {
        *self.waited.lock().unwrap_or_else(|p| p.into_inner()) += wait;
    }
}

/// The longest wait allowed now: the client's own cap, or less if the call's budget is
/// mostly spent.
pub(crate) fn allowance(client_max: Duration) -> Duration {
    match current_call() {
        Some(call) => client_max.min(call.max_total.saturating_sub(call.waited())),
        None => client_max,
    }
}

/// The call's whole budget for waits (the client's cap outside a call), for messages.
pub(crate) fn budget(client_max: Duration) -> Duration {
    current_call().map_or(client_max, |call| call.max_total.min(client_max))
}

/// Sleeps out a rate-limit wait: logged, announced to the call's observer at the start
/// and every few seconds, and counted against the call's budget.
pub(crate) async fn wait_out(family: &str, wait: Duration, reset: Option<u64>) {
    let call = current_call();
    if let Some(call) = &call {
        call.add(wait);
    }
    if wait < ANNOUNCE_FROM {
        tokio::time::sleep(wait).await;
        return;
    }
    tracing::info!(
        family,
        wait_secs = wait.as_secs(),
        ?reset,
        "waiting for Okta's rate limit to reset"
    );
    let until = Instant::now() + wait;
    loop {
        let remaining = until.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return;
        }
        if let Some(observer) = call.as_ref().and_then(|c| c.observer.as_ref()) {
            observer(&RateLimitWait {
                family: family.to_owned(),
                remaining,
                reset,
            });
        }
        tokio::time::sleep(remaining.min(REPORT_EVERY)).await;
    }
}

/// Reads `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`; absent or garbled values are None.
pub(crate) fn parse(headers: &HeaderMap) -> RateLimit {
    let num = |name: &str| -> Option<u64> {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    };
    RateLimit {
        limit: num("x-rate-limit-limit"),
        remaining: num("x-rate-limit-remaining"),
        reset: num("x-rate-limit-reset"),
    }
}

/// Server clock minus ours, from the `Date` header, in whole seconds. Small differences are
/// treated as none: `Date` has one-second resolution, so they are noise, not skew.
pub(crate) fn server_skew(headers: &HeaderMap) -> i64 {
    let Some(date) = headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(httpdate_secs)
    else {
        return 0;
    };
    let skew = date - unix_now_secs() as i64;
    if skew.abs() <= 2 { 0 } else { skew }
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to Unix seconds.
fn httpdate_secs(value: &str) -> Option<i64> {
    let mut parts = value.split_ascii_whitespace().skip(1);
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    // Days from civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

pub(crate) fn unix_now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How long from now until Unix second `reset` on the server's clock.
pub(crate) fn until_reset(reset: u64, skew: i64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let secs = reset as f64 - skew as f64 - now;
    Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::ZERO)
}

/// The endpoint family whose counter Okta applies, e.g. `/api/v1/users` for
/// `/api/v1/users/00u1/groups`.
pub(crate) fn family(path: &str) -> String {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("api"), Some(version), Some(resource)) => format!("/api/{version}/{resource}"),
        (Some(first), _, _) => format!("/{first}"),
        _ => "/".to_owned(),
    }
}

/// Extra wait after a window's reset, so the first request of a new window lands in it.
const RESET_MARGIN: Duration = Duration::from_millis(50);

/// Requests start being spread out once this fraction of the window's budget is left.
const LOW_WATER_DIVISOR: u64 = 10;

#[derive(Debug)]
struct Window {
    limit: u64,
    /// The server's remaining count, less requests we sent since.
    remaining: u64,
    reset_unix: u64,
    reset_at: Instant,
}

#[derive(Debug, Default)]
struct FamilyState {
    window: Option<Window>,
    /// One request is out to learn the current window; the others wait for its headers.
    probing: bool,
    /// The family answered without rate-limit headers; nothing to pace by.
    untracked: bool,
    /// Earliest start of the next request while pacing.
    next_slot: Option<Instant>,
    /// Requests sent and not yet answered; they may still count against a newly seen window.
    in_flight: u64,
}

#[derive(Default)]
struct Family {
    state: Mutex<FamilyState>,
    changed: Notify,
}

impl Family {
    fn lock(&self) -> MutexGuard<'_, FamilyState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Shared by every clone of a client: one window per endpoint family, and the view other
/// processes share when there is one.
#[derive(Default)]
pub(crate) struct Limiter {
    families: Mutex<HashMap<String, Arc<Family>>>,
    shared: Option<Arc<dyn SharedRateView>>,
}

/// What the limiter decided for one request.
enum Decision {
    Go {
        probe: bool,
        delay: Duration,
    },
    /// The window is used up: wait this long (until its reset, Unix seconds).
    Sleep(Duration, u64),
    AwaitProbe,
}

impl Limiter {
    pub fn with_shared(shared: Arc<dyn SharedRateView>) -> Self {
        Self {
            families: Mutex::default(),
            shared: Some(shared),
        }
    }

    /// Passes a response's window on to the shared view, when there is one. The answer to
    /// a probe (`wait`) is passed on before it returns: the requests of this process that
    /// waited for the probe go next, and their claims must find the new window in the view.
    /// A claim that finds no window is not counted there, so without the wait each of them
    /// went uncounted and the other processes spent their slots again (seen as bursts of
    /// 429s at each reset with six calls in flight per replica). Other answers only refresh
    /// a window the view already has, so they are passed on without holding up the call.
    pub async fn report(&self, family: &str, rate: &RateLimit, wait: bool) {
        if let (Some(shared), Some(limit), Some(remaining), Some(reset)) =
            (&self.shared, rate.limit, rate.remaining, rate.reset)
        {
            let stored = shared.report(
                family,
                SharedWindow {
                    limit,
                    remaining,
                    reset,
                },
            );
            if wait {
                stored.await;
            } else {
                tokio::spawn(stored);
            }
        }
    }

    fn family(&self, key: &str) -> Arc<Family> {
        let mut map = self
            .families
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Looked up before any key is made: every request asks, a new family is rare.
        if let Some(family) = map.get(key) {
            return family.clone();
        }
        map.entry(key.to_owned()).or_default().clone()
    }

    /// Waits until a request to `family` fits the known window, then reserves it. A wait
    /// longer than `max_wait` (or than the call's remaining budget) is not made: the request
    /// goes and the org decides.
    pub async fn acquire(&self, family: &str, max_wait: Duration) -> Permit {
        let fam = self.family(family);
        loop {
            let notified = fam.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let allowed = allowance(max_wait);
            let decision = {
                let mut st = fam.lock();
                let decision = decide(&mut st, Instant::now(), allowed);
                if matches!(decision, Decision::Go { .. }) {
                    st.in_flight += 1;
                }
                decision
            };
            match decision {
                Decision::Go { probe, delay } => {
                    let permit = Permit {
                        family: fam.clone(),
                        probe,
                    };
                    if let Some(shared) = &self.shared
                        && let Some(claim) = shared.claim(family).await
                        && !merge_shared(&mut fam.lock(), claim, Instant::now())
                    {
                        // The others used the window up: this request waits like theirs.
                        drop(permit);
                        continue;
                    }
                    if !delay.is_zero() {
                        wait_out(family, delay, None).await;
                    }
                    return permit;
                }
                Decision::Sleep(wait, reset) => wait_out(family, wait, Some(reset)).await,
                Decision::AwaitProbe => {
                    // The timeout only guards against a probe that never reports back.
                    let _ = tokio::time::timeout(Duration::from_secs(2), notified).await;
                }
            }
        }
    }
}

fn decide(st: &mut FamilyState, now: Instant, max_wait: Duration) -> Decision {
    if st.untracked {
        return Decision::Go {
            probe: false,
            delay: Duration::ZERO,
        };
    }
    if st.window.as_ref().is_some_and(|w| now >= w.reset_at) {
        st.window = None;
        st.next_slot = None;
    }
    let Some(w) = st.window.as_mut() else {
        if st.probing {
            return Decision::AwaitProbe;
        }
        st.probing = true;
        return Decision::Go {
            probe: true,
            delay: Duration::ZERO,
        };
    };
    let to_reset = w.reset_at.saturating_duration_since(now);
    if w.remaining == 0 {
        let wait = to_reset + RESET_MARGIN;
        if wait > max_wait {
            return Decision::Go {
                probe: false,
                delay: Duration::ZERO,
            };
        }
        return Decision::Sleep(wait, w.reset_unix);
    }
    w.remaining -= 1;
    let low_water = (w.limit / LOW_WATER_DIVISOR).max(1);
    if w.remaining >= low_water {
        return Decision::Go {
            probe: false,
            delay: Duration::ZERO,
        };
    }
    // Few requests left: spread them over the rest of the window instead of spending
    // them at once and then hitting the wall.
    let slot = st.next_slot.filter(|s| *s > now).unwrap_or(now);
    let spacing = w.reset_at.saturating_duration_since(slot) / (w.remaining as u32 + 1);
    st.next_slot = Some(slot + spacing);
    Decision::Go {
        probe: false,
        delay: (slot - now).min(max_wait),
    }
}

/// Folds what the shared view said into the local window; false when the shared window is
/// used up (the local one then is too, so the next decision waits for the reset).
fn merge_shared(st: &mut FamilyState, claim: Claim, now: Instant) -> bool {
    let (shared, granted) = match claim {
        Claim::Granted(w) => (w, true),
        Claim::Exhausted(w) => (w, false),
    };
    let remaining = if granted { shared.remaining } else { 0 };
    match st.window.as_mut() {
        Some(w) if w.reset_unix == shared.reset => w.remaining = w.remaining.min(remaining),
        Some(w) if w.reset_unix > shared.reset => {}
        _ => {
            st.untracked = false;
            st.window = Some(Window {
                limit: shared.limit,
                remaining,
                reset_unix: shared.reset,
                reset_at: now + until_reset(shared.reset, 0),
            });
            st.next_slot = None;
        }
    }
    granted
}

/// A reserved request slot. Report the response's headers with [`Permit::observe`];
/// dropping it unobserved (cancellation, network error) frees a waiting probe.
pub(crate) struct Permit {
    family: Arc<Family>,
    probe: bool,
}

impl Permit {
    /// This request was sent to learn the family's window; the others wait for its answer.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// Folds a response's rate-limit headers into the family's window.
    pub fn observe(self, rate: &RateLimit, skew: i64) {
        let mut st = self.family.lock();
        match (rate.limit, rate.remaining, rate.reset) {
            (Some(limit), Some(remaining), Some(reset_unix)) => {
                st.untracked = false;
                let reset_at = Instant::now() + until_reset(reset_unix, skew);
                match st.window.as_mut() {
                    Some(w) if w.reset_unix == reset_unix => {
                        w.remaining = w.remaining.min(remaining);
                        w.limit = limit;
                    }
                    Some(w) if w.reset_unix > reset_unix => {}
                    _ => {
                        // Requests still in flight may land in this window after the org
                        // counted this one; assume they will.
                        let others = st.in_flight.saturating_sub(1);
                        st.window = Some(Window {
                            limit,
                            remaining: remaining.saturating_sub(others),
                            reset_unix,
                            reset_at,
                        });
                        st.next_slot = None;
                    }
                }
            }
            _ => st.untracked = true,
        }
        drop(st);
        // Drop clears `probing` and wakes the waiters.
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut st = self.family.lock();
            st.in_flight = st.in_flight.saturating_sub(1);
            if self.probe {
                st.probing = false;
            }
        }
        self.family.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_headers() {
        let mut h = HeaderMap::new();
        h.insert("X-Rate-Limit-Limit", HeaderValue::from_static("600"));
        h.insert("X-Rate-Limit-Remaining", HeaderValue::from_static(" 599"));
        h.insert("X-Rate-Limit-Reset", HeaderValue::from_static("1700000060"));
        assert_eq!(
            parse(&h),
            RateLimit {
                limit: Some(600),
                remaining: Some(599),
                reset: Some(1_700_000_060)
            }
        );
        h.insert("X-Rate-Limit-Remaining", HeaderValue::from_static("-1"));
        assert_eq!(parse(&h).remaining, None);
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            httpdate_secs("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(httpdate_secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(httpdate_secs("yesterday"), None);
    }

    #[test]
    fn families() {
        assert_eq!(family("/api/v1/users/00u1/groups"), "/api/v1/users");
        assert_eq!(family("/api/v1/users"), "/api/v1/users");
        assert_eq!(family("/api/v1/logs"), "/api/v1/logs");
        assert_eq!(family("/oauth2/v1/token"), "/oauth2");
    }

    fn window(st: &mut FamilyState, limit: u64, remaining: u64, in_secs: u64) {
        st.window = Some(Window {
            limit,
            remaining,
            reset_unix: unix_now_secs() + in_secs,
            reset_at: Instant::now() + Duration::from_secs(in_secs),
        });
    }

    #[test]
    fn first_request_probes_and_others_wait() {
        let mut st = FamilyState::default();
        let max = Duration::from_secs(60);
        assert!(matches!(
            decide(&mut st, Instant::now(), max),
            Decision::Go { probe: true, .. }
        ));
        assert!(matches!(
            decide(&mut st, Instant::now(), max),
            Decision::AwaitProbe
        ));
    }

    #[test]
    fn spends_budget_then_waits_for_reset() {
        let mut st = FamilyState::default();
        window(&mut st, 100, 50, 10);
        let max = Duration::from_secs(60);
        for _ in 0..40 {
            assert!(matches!(
                decide(&mut st, Instant::now(), max),
                Decision::Go { delay, .. } if delay.is_zero()
            ));
        }
        // Below the low-water mark the remaining ten are spaced out.
        let mut delays = Vec::new();
        for _ in 0..10 {
            match decide(&mut st, Instant::now(), max) {
                Decision::Go { delay, .. } => delays.push(delay),
                _ => panic!("expected a paced go"),
            }
        }
        assert!(delays.windows(2).all(|d| d[1] > d[0]), "{delays:?}");
        assert!(delays[9] < Duration::from_secs(10));
        match decide(&mut st, Instant::now(), max) {
            Decision::Sleep(wait, _) => assert!(wait > Duration::from_secs(9)),
            _ => panic!("expected to wait for the reset"),
        }
        // A wait beyond the bound is not made.
        assert!(matches!(
            decide(&mut st, Instant::now(), Duration::from_secs(1)),
            Decision::Go { .. }
        ));
    }

    #[test]
    fn expired_window_is_forgotten() {
        let mut st = FamilyState::default();
        window(&mut st, 10, 0, 0);
        assert!(matches!(
            decide(
                &mut st,
                Instant::now() + Duration::from_millis(1),
                Duration::from_secs(60)
            ),
            Decision::Go { probe: true, .. }
        ));
    }

    fn rate(limit: u64, remaining: u64, reset: u64) -> RateLimit {
        RateLimit {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
        }
    }

    #[tokio::test]
    async fn a_new_window_discounts_requests_still_in_flight() {
        let limiter = Limiter::default();
        let max = Duration::from_secs(5);
        let now = unix_now_secs();
        let probe = limiter.acquire("/api/v1/users", max).await;
        probe.observe(&rate(10, 9, now + 5), 0);
        let a = limiter.acquire("/api/v1/users", max).await;
        let b = limiter.acquire("/api/v1/users", max).await;
        let remaining = || {
            let fam = limiter.family("/api/v1/users");
            let st = fam.lock();
            st.window.as_ref().map(|w| (w.remaining, w.reset_unix))
        };
        assert_eq!(remaining(), Some((7, now + 5)), "two reserved locally");
        // `a` reports a fresh window; `b` may still be counted in it.
        a.observe(&rate(10, 9, now + 65), 0);
        assert_eq!(remaining(), Some((8, now + 65)));
        // Same window: the lower count wins.
        b.observe(&rate(10, 9, now + 65), 0);
        assert_eq!(remaining(), Some((8, now + 65)));
        // Stale headers of an older window are ignored.
        let c = limiter.acquire("/api/v1/users", max).await;
        c.observe(&rate(10, 2, now + 5), 0);
        assert_eq!(remaining(), Some((7, now + 65)));
    }

    #[tokio::test]
    async fn a_dropped_probe_lets_the_next_caller_probe() {
        let limiter = Limiter::default();
        let max = Duration::from_secs(5);
        let probe = limiter.acquire("/api/v1/groups", max).await;
        let waiter = limiter.acquire("/api/v1/groups", max);
        tokio::pin!(waiter);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), waiter.as_mut())
                .await
                .is_err(),
            "waits while the probe is out"
        );
        drop(probe);
        let next = tokio::time::timeout(Duration::from_millis(500), waiter)
            .await
            .expect("woken when the probe is dropped");
        assert!(next.probe, "the waiter becomes the new probe");
    }

    #[tokio::test]
    async fn families_without_headers_are_not_paced() {
        let limiter = Limiter::default();
        let max = Duration::from_secs(5);
        let probe = limiter.acquire("/oauth2", max).await;
        probe.observe(&RateLimit::default(), 0);
        let many: Vec<Permit> =
            futures::future::join_all((0..20).map(|_| limiter.acquire("/oauth2", max))).await;
        assert!(many.iter().all(|p| !p.probe));
    }

    /// A view shared in memory, standing in for the server crate's Redis one: the
    /// claim/report contract is what is tested here, the Redis script in the server crate.
    /// Like a remote view, a report is stored only when its future runs.
    #[derive(Default)]
    struct MemoryView(Arc<Mutex<HashMap<String, SharedWindow>>>);

    impl MemoryView {
        fn remaining(&self, family: &str) -> Option<u64> {
            self.0.lock().unwrap().get(family).map(|w| w.remaining)
        }
    }

    impl SharedRateView for MemoryView {
        fn claim<'a>(&'a self, family: &'a str) -> BoxFuture<'a, Option<Claim>> {
            let mut map = self.0.lock().unwrap();
            let claim = map.get_mut(family).map(|w| {
                if w.remaining == 0 {
                    Claim::Exhausted(*w)
                } else {
                    w.remaining -= 1;
                    Claim::Granted(*w)
                }
            });
            Box::pin(async move { claim })
        }
        fn report(&self, family: &str, window: SharedWindow) -> BoxFuture<'static, ()> {
            let (map, family) = (self.0.clone(), family.to_owned());
            Box::pin(async move {
                let mut map = map.lock().unwrap();
                let w = map.entry(family).or_insert(window);
                if window.reset > w.reset {
                    *w = window;
                } else if window.reset == w.reset {
                    w.remaining = w.remaining.min(window.remaining);
                }
            })
        }
    }

    /// Two processes' limiters over one shared view: what one spent, the other does not
    /// spend again; once the window is used up the other waits for the reset instead of
    /// sending into a 429.
    #[tokio::test]
    async fn limiters_sharing_a_view_pace_together() {
        let view: Arc<MemoryView> = Arc::default();
        let a = Limiter::with_shared(view.clone());
        let b = Limiter::with_shared(view.clone());
        let max = Duration::from_secs(30);
        let now = unix_now_secs();
        // A learns the window (10 requests) from Okta and spends 5 more.
        let probe = a.acquire("/api/v1/users", max).await;
        let headers = rate(10, 9, now + 20);
        a.report("/api/v1/users", &headers, probe.is_probe()).await;
        probe.observe(&headers, 0);
        for _ in 0..5 {
            drop(a.acquire("/api/v1/users", max).await);
        }
        // B has never sent a request, yet knows only 4 are left.
        let first = b.acquire("/api/v1/users", max).await;
        drop(first);
        let left = b
            .family("/api/v1/users")
            .lock()
            .window
            .as_ref()
            .map(|w| w.remaining);
        assert!(left.is_some_and(|n| n <= 4), "{left:?}");
        // Spend the rest through A; B's next request waits for the reset.
        for _ in 0..3 {
            drop(a.acquire("/api/v1/users", max).await);
        }
        let waited =
            tokio::time::timeout(Duration::from_millis(300), b.acquire("/api/v1/users", max)).await;
        assert!(waited.is_err(), "B sent into a window A had used up");
    }

    /// The answer to a probe is in the shared view before the requests that waited for the
    /// probe claim their slots: a claim that finds no window is not counted, and another
    /// process would spend that slot again. Other answers are passed on in the background.
    #[tokio::test]
    async fn a_probe_answer_reaches_the_shared_view_before_its_waiters_claim() {
        let view: Arc<MemoryView> = Arc::default();
        let a = Limiter::with_shared(view.clone());
        let max = Duration::from_secs(30);
        let family = "/api/v1/users";
        let now = unix_now_secs();
        let probe = a.acquire(family, max).await;
        assert!(probe.is_probe());
        let headers = rate(10, 9, now + 20);
        a.report(family, &headers, probe.is_probe()).await;
        probe.observe(&headers, 0);
        let next = a.acquire(family, max).await;
        assert!(!next.is_probe());
        assert_eq!(
            view.remaining(family),
            Some(8),
            "the waiter's claim was counted"
        );
        // A later answer does not hold its call up: it lands when the runtime gets to it.
        a.report(family, &rate(10, 5, now + 20), next.is_probe())
            .await;
        next.observe(&rate(10, 5, now + 20), 0);
        assert_eq!(view.remaining(family), Some(8));
        tokio::task::yield_now().await;
        assert_eq!(view.remaining(family), Some(5));
    }
}
