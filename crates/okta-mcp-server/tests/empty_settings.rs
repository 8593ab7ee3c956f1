//! A blank optional setting is unset: MCP clients (a Claude Desktop bundle's empty fields)
//! pass `OKTA_X=""` for what the user left empty, and the server must start all the same.

mod support;

use support::run;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn blank_optional_settings_are_ignored_in_demo_mode() {
    // What packaging/mcpb/manifest.json hands over when only "demo mode" is switched on.
    let out = run(
        &env(&[
            ("OKTA_ORG_URL", ""),
            ("OKTA_CLIENT_ID", ""),
            ("OKTA_PRIVATE_KEY_FILE", ""),
            ("OKTA_KEY_ID", ""),
            ("OKTA_MCP_READ_ONLY", "false"),
            ("OKTA_MCP_DEMO", "true"),
        ]),
        &["tools"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("list_users"));
}

#[test]
fn a_blank_key_file_means_the_device_flow_not_an_error() {
    // A real org with no key picked: settings are accepted and the device flow is the method
    // (`auth status` reads them without signing in; it exits 1 as nothing is cached yet).
    let out = run(
        &env(&[
            ("OKTA_ORG_URL", "https://acme.okta.com"),
            ("OKTA_CLIENT_ID", "0oa1example"),
            ("OKTA_PRIVATE_KEY_FILE", ""),
            ("OKTA_KEY_ID", ""),
            ("OKTA_MCP_TOKEN_STORE", "memory"),
        ]),
        &["auth", "status", "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("private-key-file") && !stderr.contains("OKTA_PRIVATE_KEY_FILE"),
        "{stderr}"
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    assert_eq!(status["method"], "device_flow", "{status}");
}
