//! Paging end to end: Link-following on the org's origin, the refusal to follow a link
//! anywhere else or back to a page already read, cursors that continue exactly, and
//! cancellation by drop. Caps, progress and cancel of a walk are the server's page walker's
//! (okta-mcp-server src/tools/page_walk.rs and tests/paging_stops.rs,
//! tests/lead_progress_cancel.rs).

mod common;

use common::{Foreign, start};
use futures::StreamExt;
use okta_client::{ApiError, ApiPath, ApiRequest, Page, paths};
use okta_sandbox::faults::{Fault, FaultConfig, FaultRule};
use std::collections::HashSet;
use std::time::Duration;

fn users_by(limit: usize) -> ApiRequest {
    ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", limit)
}

/// Every listed user id, in one request (200 is the endpoint's maximum page size).
async fn all_ids(org: &common::Org) -> HashSet<String> {
    let page = org.client.send(users_by(200)).await.expect("full list");
    assert!(
        page.next_cursor.is_none(),
        "the sandbox org fits one page of 200"
    );
    let ids: HashSet<String> = page
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    assert!(ids.len() > 120, "enough users to page through");
    org.faults().clear_journal();
    ids
}

fn ids(page: &Page) -> Vec<String> {
    page.items
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn pages_follow_next_links_to_the_end() {
    let org = start(FaultConfig::default()).await;
    let expected = all_ids(&org).await;
    let pages: Vec<Page> = org
        .client
        .pages(users_by(60))
        .map(|p| p.expect("page"))
        .collect()
        .await;
    let (last, full) = pages.split_last().expect("pages");
    assert!(
        full.iter()
            .all(|p| p.items.len() == 60 && p.next_cursor.is_some())
    );
    assert!(!last.items.is_empty() && last.items.len() <= 60 && last.next_cursor.is_none());
    let listed: Vec<String> = pages.iter().flat_map(ids).collect();
    let unique: HashSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), unique.len(), "no user twice");
    assert_eq!(unique, expected, "every user once");
    assert_eq!(
        org.requests("GET", paths::USERS).len(),
        expected.len().div_ceil(60)
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_never_followed() {
    let foreign = Foreign::start().await;
    let faults = FaultConfig::default().with_rule(FaultRule::new(
        paths::USERS,
        Fault::ForeignNextLink {
            origin: foreign.origin.clone(),
        },
    ));
    let org = start(faults).await;
    let results: Vec<Result<Page, ApiError>> = org.client.pages(users_by(5)).collect().await;

    assert_eq!(results.len(), 2, "one page, then the reason paging stopped");
    let first = results[0]
        .as_ref()
        .expect("the org's own page is delivered");
    assert_eq!(first.items.len(), 5);
    assert_eq!(first.next_cursor, None, "no cursor from a foreign link");
    let reason = first
        .unfollowed_next
        .as_deref()
        .expect("the page itself says the listing goes on elsewhere");
    assert!(
        reason.contains(&foreign.origin) && reason.contains("incomplete"),
        "{reason}"
    );
    let err = results[1].as_ref().expect_err("paging stops with an error");
    assert!(matches!(err, ApiError::ForeignNextLink(origin) if *origin == foreign.origin));
    assert!(err.to_string().contains("outside the org"), "{err}");

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        foreign.connections(),
        0,
        "the foreign host received nothing"
    );
    assert_eq!(org.requests("GET", paths::USERS).len(), 1);
}

#[tokio::test]
async fn a_next_link_back_to_a_page_already_read_stops_paging() {
    // Page 1 is honest; page 2 links to itself.
    let faults = FaultConfig::default()
        .with_rule(FaultRule::new(paths::USERS, Fault::RepeatNextLink).skip(1));
    let org = start(faults).await;
    let results: Vec<Result<Page, ApiError>> = org.client.pages(users_by(5)).collect().await;
    assert_eq!(
        results.len(),
        3,
        "two pages, then the reason paging stopped"
    );
    let second = results[1].as_ref().expect("the second page is delivered");
    assert_eq!(second.items.len(), 5);
    assert_eq!(second.next_cursor, None);
    let reason = second.unfollowed_next.as_deref().expect("a reason");
    assert!(
        reason.contains("already read") && reason.contains("incomplete"),
        "{reason}"
    );
    assert!(results[2].is_err());
    assert_eq!(
        org.requests("GET", paths::USERS).len(),
        2,
        "the repeated page is not fetched again"
    );
}

#[tokio::test]
async fn a_page_cursor_continues_exactly_where_the_page_ended() {
    let org = start(FaultConfig::default()).await;
    let expected = all_ids(&org).await;
    let mut stream = org.client.pages(users_by(25));
    let mut first_ids = Vec::new();
    let mut cursor = None;
    for _ in 0..2 {
        let page = stream.next().await.expect("a page").expect("ok");
        first_ids.extend(ids(&page));
        cursor = page.next_cursor;
    }
    drop(stream);
    let cursor = cursor.expect("cursor to continue");
    let rest: Vec<Page> = org
        .client
        .pages(users_by(25).query("after", &cursor))
        .map(|p| p.expect("page"))
        .collect()
        .await;
    let rest_ids: Vec<String> = rest.iter().flat_map(ids).collect();
    assert_eq!(rest.last().unwrap().next_cursor, None);
    assert_eq!(
        first_ids.len() + rest_ids.len(),
        expected.len(),
        "no overlap"
    );
    let all: HashSet<String> = first_ids.into_iter().chain(rest_ids).collect();
    assert_eq!(all, expected, "no gap");
}

#[tokio::test]
async fn an_error_on_the_first_page_ends_the_stream() {
    let org = start(FaultConfig::default()).await;
    let results: Vec<Result<Page, ApiError>> = org
        .client
        .pages(ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", "lots"))
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    let err = results[0].as_ref().expect_err("bad limit");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.error_code(), Some("E0000001"));
}

#[tokio::test]
async fn dropping_the_stream_stops_fetching() {
    let faults = FaultConfig {
        latency: Duration::from_millis(100),
        ..FaultConfig::default()
    };
    let org = start(faults).await;
    let mut stream = org.client.pages(users_by(10));
    for _ in 0..2 {
        stream.next().await.expect("a page").expect("ok");
    }
    drop(stream);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(org.requests("GET", paths::USERS).len(), 2);
}
