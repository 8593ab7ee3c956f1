//! The standalone sandbox command: it prints the org URL and client credentials, and a
//! server pointed at them works.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use support::{BIN, run};

#[test]
fn sandbox_command_prints_credentials_a_server_can_use() {
    let key_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--port",
            "0",
            "--rate-limits",
            "off",
            "--key-dir",
        ])
        .arg(key_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sandbox");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut text = String::new();
    let printed: serde_json::Value = loop {
        let line = lines.next().expect("sandbox output").expect("line");
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let service = &printed["service_client"];
    let key_file = service["OKTA_PRIVATE_KEY_FILE"].as_str().unwrap();
    assert!(
        key_file.starts_with(key_dir.path().to_str().unwrap()),
        "the key goes where asked"
    );
    assert_eq!(
        printed["device_client"]["OKTA_CLIENT_ID"],
        "0oasandboxdevice"
    );
    let env: Vec<(String, String)> = vec![
        (
            "OKTA_ORG_URL".into(),
            printed["org_url"].as_str().unwrap().into(),
        ),
        (
            "OKTA_CLIENT_ID".into(),
            service["OKTA_CLIENT_ID"].as_str().unwrap().into(),
        ),
        (
            "OKTA_KEY_ID".into(),
            service["OKTA_KEY_ID"].as_str().unwrap().into(),
        ),
        ("OKTA_PRIVATE_KEY_FILE".into(), key_file.into()),
        ("OKTA_SCOPES".into(), "okta.groups.read".into()),
        ("OKTA_MCP_TOKEN_STORE".into(), "memory".into()),
    ];
    let out = run(
        &env,
        &["call", "list_groups", r#"{"limit": 2, "fields": "id"}"#],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
}
