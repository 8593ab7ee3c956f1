//! Team mode on the Redis state store (OKTA_MCP_STATE_URL), end to end: the real binary over
//! HTTP against the sandbox org, with a real redis-server that tests stop and restart.

mod support;

use support::redis::RedisServer;

/// The test harness itself: a redis-server on a free port answers, goes away when stopped, and
/// comes back on the same port.
#[test]
fn redis_server_stops_and_restarts_on_the_same_port() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let port = redis.port;
    assert!(redis.ping());
    redis.stop();
    assert!(!redis.ping(), "a stopped redis-server still answers");
    redis.restart();
    assert_eq!(redis.port, port);
    assert!(redis.ping());
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{port}"));
}
