//! The org's rate-limit view in Redis, shared by every replica: what Okta's `X-Rate-Limit-*`
//! headers last said per endpoint family, and how many requests all replicas have sent in
//! that window since. Each replica's client claims one request here before it sends, so two
//! replicas pace as one instead of each spending the whole budget (okta-client's
//! [`SharedRateView`]).
//!
//! One hash per family, `okta-mcp:rate:<family>` {limit, remaining, reset}, expiring shortly
//! after the window's reset. A Redis that is slow or down costs a request at most
//! [`CLAIM_TIMEOUT`] and leaves each replica pacing on its own view, as with one replica.

use crate::team::store::redis::{KEY_PREFIX, RedisConnection, StateUrl};
use futures::future::BoxFuture;
use okta_client::{Claim, SharedRateView, SharedWindow};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest a request waits for the shared view before going on its own view.
const CLAIM_TIMEOUT: Duration = Duration::from_millis(250);
/// The record outlives its window's reset by this much (clock differences between replicas).
const KEEP_AFTER_RESET_SECS: u64 = 5;
/// An unreachable view is reported in the log at most this often.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// Counts one request against a live window: `{granted, limit, remaining, reset}`, or nil
/// when no window is known (or its reset second has come). `ARGV[1]`: now, Unix seconds.
const CLAIM: &str = r"
local w = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset')
if not w[1] or not w[2] or not w[3] then return nil end
if tonumber(w[3]) <= tonumber(ARGV[1]) then return nil end
local remaining = tonumber(w[2])
if remaining > 0 then
  remaining = redis.call('HINCRBY', KEYS[1], 'remaining', -1)
  return {1, tonumber(w[1]), remaining, tonumber(w[3])}
end
return {0, tonumber(w[1]), 0, tonumber(w[3])}
";

/// Folds a response's window in: a newer window replaces the record; within the same window
/// the lower remaining count wins (requests of other replicas may be counted in either).
/// `ARGV`: limit, remaining, reset, expire-at.
const REPORT: &str = r"
local reset = redis.call('HGET', KEYS[1], 'reset')
if not reset or tonumber(reset) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'remaining', ARGV[2], 'reset', ARGV[3])
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
elseif tonumber(reset) == tonumber(ARGV[3]) then
  local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining') or ARGV[2])
  if tonumber(ARGV[2]) < remaining then
    redis.call('HSET', KEYS[1], 'remaining', ARGV[2], 'limit', ARGV[1])
  end
end
return 1
";

pub struct RedisRateView {
    redis: RedisConnection,
    claim: redis::Script,
    report: redis::Script,
    last_warned: Mutex<Option<Instant>>,
}

fn key(family: &str) -> String {
    format!("{KEY_PREFIX}rate:{family}")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl RedisRateView {
    pub fn open(url: &StateUrl) -> anyhow::Result<Self> {
        Ok(Self {
            redis: RedisConnection::open(url).map_err(anyhow::Error::msg)?,
            claim: redis::Script::new(CLAIM),
            report: redis::Script::new(REPORT),
            last_warned: Mutex::new(None),
        })
    }

    fn warn(&self, what: &str, error: &dyn std::fmt::Display) {
        let mut last = self.last_warned.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(%error, "the shared rate-limit view could not be {what}; this replica paces on its own view meanwhile");
        }
    }
}

impl SharedRateView for RedisRateView {
    fn claim<'a>(&'a self, family: &'a str) -> BoxFuture<'a, Option<Claim>> {
        let script = self.claim.clone();
        let key = key(family);
        let op = self.redis.run(move |mut conn| async move {
            let answer: Option<(u8, u64, u64, u64)> = script
                .key(key)
                .arg(unix_now())
                .invoke_async(&mut conn)
                .await?;
            Ok(answer)
        });
        Box::pin(async move {
            match tokio::time::timeout(CLAIM_TIMEOUT, op).await {
                Ok(Ok(answer)) => answer.map(|(granted, limit, remaining, reset)| {
                    let window = SharedWindow {
                        limit,
                        remaining,
                        reset,
                    };
                    if granted == 1 {
                        Claim::Granted(window)
                    } else {
                        Claim::Exhausted(window)
                    }
                }),
                Ok(Err(e)) => {
                    self.warn("read", &e);
                    None
                }
                Err(_) => {
                    self.warn("read", &"no answer in time");
                    None
                }
            }
        })
    }

    fn report(&self, family: &str, window: SharedWindow) -> BoxFuture<'static, ()> {
        let script = self.report.clone();
        let key = key(family);
        let op = self.redis.run(move |mut conn| async move {
            let _: i64 = script
                .key(key)
                .arg(window.limit)
                .arg(window.remaining)
                .arg(window.reset)
                .arg(window.reset + KEEP_AFTER_RESET_SECS)
                .invoke_async(&mut conn)
                .await?;
            Ok(())
        });
        // A lost or late report only makes the view older; the client waits for it at most
        // as long as for a claim.
        Box::pin(async move {
            match tokio::time::timeout(CLAIM_TIMEOUT, op).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "the shared rate-limit view could not be updated")
                }
                Err(_) => tracing::debug!("the shared rate-limit view took too long to update"),
            }
        })
    }
}
