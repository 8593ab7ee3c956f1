//! Two replicas of the team server behind a real HAProxy, sharing a real redis-server
//! (tests/support/cluster.rs): a signed-in client talks to the load balancer only, and every
//! call must succeed whichever replica it lands on.

mod support;

use serde_json::{Value, json};
use support::TestOrg;
use support::cluster::Cluster;
use support::team::{Endpoint, McpHttp, register, sign_in};

const SUPER: &str = okta_sandbox::oauth::SUPER_ADMIN_LOGIN;
const HELP_DESK: &str = okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN;
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// The line each replica logs when it admits an MCP request (src/server/http.rs).
const ADMITTED: &str = "admitted an MCP request";
/// The line a replica logs when it continues a session another one opened.
const RESTORED: &str = "continuing an MCP session opened on another replica";

fn ok(answer: &support::team::Exchange, what: &str) -> Value {
    assert_eq!(answer.status, 200, "{what}: {answer:?}");
    let result = &answer.body["result"];
    assert_ne!(result["isError"], true, "{what}: {answer:?}");
    assert!(result.is_object(), "{what}: {answer:?}");
    result.clone()
}

/// One MCP session, opened through the balancer, continues on both replicas: consecutive calls
/// alternate between them (each replica's log shows its share) and all succeed; another
/// person's token naming the session is refused on either replica.
#[test]
fn consecutive_calls_land_on_both_replicas_and_all_succeed() {
    let org = TestOrg::start();
    let Some(cluster) = Cluster::start(&org, &[]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let admin = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&cluster, Some(&admin.access_token));
        mcp.initialize().await;
        let before = [
            cluster.log_count(0, ADMITTED),
            cluster.log_count(1, ADMITTED),
        ];
        const CALLS: usize = 12;
        for i in 0..CALLS {
            let answer = mcp.call("list_users", json!({"limit": 1})).await;
            let result = ok(&answer, &format!("call {i}"));
            assert!(
                result["structuredContent"].is_object() || result["content"].is_array(),
                "{result}"
            );
        }
        let served = [
            cluster.log_count(0, ADMITTED) - before[0],
            cluster.log_count(1, ADMITTED) - before[1],
        ];
        assert_eq!(
            served[0] + served[1],
            CALLS,
            "every call was admitted by exactly one replica"
        );
        // Round-robin: each replica served half, give or take the handshake's placement.
        for (i, n) in served.iter().enumerate() {
            assert!(
                *n >= CALLS / 2 - 1,
                "replica {i} served {n} of {CALLS} calls\n{}",
                cluster.stderr()
            );
        }
        // The session started on one replica and was restored on the other.
        let restored = cluster.log_count(0, RESTORED) + cluster.log_count(1, RESTORED);
        assert!(restored >= 1, "{}", cluster.stderr());

        // A session belongs to its owner on every replica.
        let desk_client = register(&cluster, "desk assistant", REDIRECT).await;
        let desk = sign_in(&org, &cluster, &desk_client, REDIRECT, HELP_DESK, None).await;
        let session = mcp.session().expect("a session id").to_owned();
        let mut hijack = McpHttp::new(&cluster, Some(&desk.access_token));
        hijack.join_session(&session);
        for _ in 0..2 {
            let refused = hijack.request("tools/list", json!({})).await;
            assert_eq!(refused.status, 404, "{refused:?}");
        }
        ok(&mcp.request("tools/list", json!({})).await, "owner goes on");
    });
}
