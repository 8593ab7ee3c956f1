//! Path and query encoding end to end: hostile IDs reach the org as one segment and find
//! nothing; query values arrive intact.

mod common;

use common::start;
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use okta_sandbox::faults::FaultConfig;

#[tokio::test]
async fn hostile_ids_stay_one_segment_and_find_nothing() {
    let org = start(FaultConfig::default()).await;
    let cases = [
        ("../groups/00g1", "/api/v1/users/..%2Fgroups%2F00g1"),
        ("00u1%2F..", "/api/v1/users/00u1%252F.."),
        ("a?b#c", "/api/v1/users/a%3Fb%23c"),
        (
            "../../api/v1/groups",
            "/api/v1/users/..%2F..%2Fapi%2Fv1%2Fgroups",
        ),
        ("x/../../groups", "/api/v1/users/x%2F..%2F..%2Fgroups"),
        ("sp ace ünï", "/api/v1/users/sp%20ace%20%C3%BCn%C3%AF"),
    ];
    for (id, raw) in cases {
        org.faults().clear_journal();
        let err = org
            .client
            .send(ApiRequest::get(ApiPath::new(paths::USERS).id(id)))
            .await
            .expect_err("no such user");
        assert_eq!(err.status(), Some(404), "{id:?}: {err}");
        assert_eq!(err.error_code(), Some("E0000007"));
        let journal = org.faults().journal();
        assert_eq!(journal.len(), 1, "{id:?}");
        assert_eq!(journal[0].path, raw, "{id:?}");
    }
}

#[tokio::test]
async fn ids_that_cannot_be_a_segment_are_never_sent() {
    let org = start(FaultConfig::default()).await;
    for id in ["..", ".", ""] {
        let err = org
            .client
            .send(ApiRequest::delete(ApiPath::new(paths::GROUPS).id(id)))
            .await
            .expect_err("refused");
        assert!(matches!(err, ApiError::InvalidRequest(_)), "{id:?}: {err}");
    }
    assert!(org.faults().journal().is_empty());
}

#[tokio::test]
async fn query_values_are_encoded_and_understood() {
    let org = start(FaultConfig::default()).await;
    let first = org
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 1))
        .await
        .unwrap();
    let login = first.body[0]["profile"]["login"]
        .as_str()
        .unwrap()
        .to_owned();
    let search = format!("profile.login eq \"{login}\"");
    let found = org
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS)).query("search", &search))
        .await
        .unwrap();
    assert_eq!(found.body.as_array().map(Vec::len), Some(1));
    assert_eq!(found.body[0]["profile"]["login"], login.as_str());
    let raw = &org.faults().journal()[1].path;
    assert!(
        raw.starts_with("/api/v1/users?search=profile.login%20eq%20%22"),
        "{raw}"
    );
    assert!(
        !raw.contains(' ') && !raw.contains('"') && !raw.contains('@'),
        "{raw}"
    );
}
