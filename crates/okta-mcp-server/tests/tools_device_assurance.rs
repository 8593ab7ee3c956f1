//! End to end: device assurance tools against the sandbox org, through the real binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{TestOrg, server, unconfirmed};

fn names(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_flags_policies_below_the_threshold() {
    let org = TestOrg::start();
    let seeded = org.sandbox.org().device_assurances();
    let mut mcp = unconfirmed(&org);
    let all = mcp.call_ok("list_device_assurance_policies", json!({}));
    assert_eq!(all["total"], json!(seeded.len()));
    let policies = all["policies"].as_array().unwrap();
    assert!(
        policies
            .iter()
            .all(|p| p["securityAttributeStatus"].is_object())
    );

    // Numeric comparison: 17.0.0 is below 17.4.1 (a string compare would agree here, but
    // not for e.g. 9.x vs 10.x, which the unit tests cover).
    let ios = mcp.call_ok(
        "list_device_assurance_policies",
        json!({"platform": "IOS", "version_threshold": "17.4.1"}),
    );
    let expected_ios: BTreeSet<String> = seeded
        .iter()
        .filter(|p| p["platform"] == "IOS")
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names(&ios["policies"]), expected_ios);
    let below: BTreeSet<String> = seeded
        .iter()
        .filter(|p| p["platform"] == "IOS")
        .filter(|p| {
            p["osVersion"]["minimum"].as_str().is_some_and(|m| {
                let v: Vec<u64> = m.split('.').map(|x| x.parse().unwrap()).collect();
                v < vec![17, 4, 1]
            })
        })
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!below.is_empty());
    assert_eq!(names(&ios["below_threshold"]), below);
    assert!(ios["note"].as_str().unwrap().contains("17.4.1"));
    for p in ios["policies"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert_eq!(p["below_version_threshold"], json!(below.contains(name)));
    }

    let r = mcp.call(
        "list_device_assurance_policies",
        json!({"version_threshold": "latest"}),
    );
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");
}

#[test]
fn create_replace_delete_with_platform_rules() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);

    // Android major-only versions are valid, as Okta documents.
    let created = mcp.call_ok(
        "create_device_assurance_policy",
        json!({"policy_data": {"name": "Android 14 fleet", "platform": "ANDROID", "jailbreak": false,
               "screenLockType": {"include": ["BIOMETRIC"]}},
               "user_stated_os_version": "14"}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["osVersion"]["minimum"], "14");
    let got = mcp.call_ok(
        "get_device_assurance_policy",
        json!({"device_assurance_id": id}),
    );
    assert_eq!(got["name"], "Android 14 fleet");
    assert_eq!(got["securityAttributeStatus"]["jailbreak"], "configured");
    assert_eq!(
        got["securityAttributeStatus"]["diskEncryptionType"],
        "not_configured"
    );

    // osVersion may also come inside policy_data; replace reports what changed.
    let replaced = mcp.call_ok(
        "replace_device_assurance_policy",
        json!({"device_assurance_id": id, "policy_data": {"jailbreak": false,
               "osVersion": {"minimum": "14.0.1"}, "diskEncryptionType": {"include": ["FULL"]},
               "screenLockType": {"include": ["BIOMETRIC"]}}}),
    );
    assert_eq!(replaced["before"]["osVersion"]["minimum"], "14");
    assert_eq!(replaced["after"]["osVersion"]["minimum"], "14.0.1");
    assert_eq!(replaced["after"]["name"], "Android 14 fleet", "name kept");
    let changed: BTreeSet<String> = replaced["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["attribute"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        changed,
        BTreeSet::from(["osVersion".to_owned(), "diskEncryptionType".to_owned()])
    );
    let got = mcp.call_ok(
        "get_device_assurance_policy",
        json!({"device_assurance_id": id}),
    );
    assert_eq!(got["diskEncryptionType"]["include"], json!(["FULL"]));

    // Platform rules are checked before any call.
    for (data, expected) in [
        (
            json!({"name": "x", "platform": "IOS", "diskEncryptionType": {"include": ["FULL"]}}),
            "not supported on IOS",
        ),
        (
            json!({"name": "x", "platform": "MACOS", "osVersion": {"minimum": "14.2"}}),
            "exact patch",
        ),
        (
            json!({"name": "x", "platform": "WINDOWS", "jailbreak": false}),
            "not supported on WINDOWS",
        ),
    ] {
        let r = mcp.call(
            "create_device_assurance_policy",
            json!({"policy_data": data}),
        );
        assert_eq!(r["structuredContent"]["error"], "invalid_arguments", "{r}");
        assert!(
            r["structuredContent"]["message"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{r}"
        );
    }
    let r = mcp.call(
        "replace_device_assurance_policy",
        json!({"device_assurance_id": id, "policy_data": {"platform": "IOS"}}),
    );
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");

    mcp.call_ok(
        "delete_device_assurance_policy",
        json!({"device_assurance_id": id}),
    );
    let gone = mcp.call(
        "get_device_assurance_policy",
        json!({"device_assurance_id": id}),
    );
    assert_eq!(gone["structuredContent"]["status"], 404, "{gone}");
}

#[test]
fn deletion_asks_first_naming_the_policy() {
    let org = TestOrg::start();
    let policy = org
        .sandbox
        .org()
        .device_assurances()
        .into_iter()
        .next()
        .expect("a seeded policy");
    let id = policy["id"].as_str().unwrap();
    let mut mcp = server(&org, &[]);
    let asked = mcp.call_ok(
        "delete_device_assurance_policy",
        json!({"device_assurance_id": id}),
    );
    assert_eq!(asked["confirmation_required"], true);
    assert!(
        asked["message"]
            .as_str()
            .unwrap()
            .contains(policy["name"].as_str().unwrap()),
        "{asked}"
    );
    mcp.call_ok(
        "get_device_assurance_policy",
        json!({"device_assurance_id": id}),
    );
}
