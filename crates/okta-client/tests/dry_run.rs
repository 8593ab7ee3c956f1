//! A planning client (a dry run) sends its reads and captures its writes: the org sees no
//! write, the caller gets `NotSent` and the plan holds what would have gone out.

mod common;

use common::start;
use futures::StreamExt;
use okta_client::{ApiError, ApiPath, ApiRequest, Method, WritePlan, paths};
use okta_sandbox::faults::FaultConfig;
use serde_json::json;

#[tokio::test]
async fn reads_go_out_and_writes_are_captured_not_sent() {
    let org = start(FaultConfig::default()).await;
    let plan = WritePlan::default();
    let client = org.client.planning(&plan);
    assert!(client.is_planning() && !org.client.is_planning());

    let users = client
        .send(ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 2))
        .await
        .expect("a read is sent");
    let id = users.body[0]["id"].as_str().expect("a user").to_owned();

    let update = ApiRequest::post(ApiPath::new(paths::USERS).id(&id))
        .query("strict", true)
        .json(json!({"profile": {"title": "Planner"}}));
    let err = client.send(update).await.expect_err("a write is not sent");
    assert!(
        matches!(&err, ApiError::NotSent { method: "POST", path } if path == &format!("/api/v1/users/{id}")),
        "{err:?}"
    );
    assert!(err.hint().contains("dry run"), "{}", err.hint());
    let deleted = client
        .pages(ApiRequest::delete(ApiPath::new(paths::GROUPS).id("00g1")))
        .next()
        .await
        .expect("one item");
    assert!(matches!(deleted, Err(ApiError::NotSent { .. })));

    let planned = plan.requests();
    assert_eq!(planned.len(), 2);
    assert_eq!(planned[0].method, Method::Post);
    assert_eq!(planned[0].query, [("strict".to_owned(), "true".to_owned())]);
    assert_eq!(
        planned[0].body,
        Some(json!({"profile": {"title": "Planner"}}))
    );
    assert_eq!(planned[1].method, Method::Delete);
    assert_eq!(planned[1].path, "/api/v1/groups/00g1");
    assert!(
        !format!("{planned:?}").contains("Planner"),
        "Debug leaves bodies out"
    );

    let writes = org.faults().writes();
    assert!(writes.is_empty(), "the org saw a write: {writes:?}");
    assert_eq!(org.requests("GET", "/api/v1/users").len(), 1);

    // The client it was made from still sends writes.
    org.client
        .send(
            ApiRequest::post(ApiPath::new(paths::USERS).id(&id))
                .json(json!({"profile": {"title": "Doer"}})),
        )
        .await
        .expect("sent");
    assert_eq!(org.requests("POST", "/api/v1/users/").len(), 1);
    assert_eq!(
        org.faults().writes().len(),
        1,
        "the journal's writes see it"
    );
}
