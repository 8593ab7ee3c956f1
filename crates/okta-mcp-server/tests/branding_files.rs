//! End to end: branding tools that read local files (the custom-domain private key) read
//! only from the allowed directories and never echo what they read.

mod support;

use serde_json::{Value, json};
use support::{Mcp, TestOrg};

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVGb3JUZXN0c09ubHkwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----";
const CHAIN: &str = "-----BEGIN CERTIFICATE-----\nMIIBtDCCAVqgAwIBAgIUSW50ZXJtZWRpYXRlRm9yVGVzdHMwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----";
/// The key these tests hand to the tools: the sandbox's throwaway key, generated when it
/// started (nothing committed), and a line of its body, which no output may contain.
fn key_pem(org: &TestOrg) -> (String, String) {
    let pem = org.throwaway_private_key_pem();
    let body_line = pem
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with("-----"))
        .expect("a PEM body")
        .to_owned();
    (pem, body_line)
}

fn server(org: &TestOrg, allowed: &std::path::Path) -> Mcp {
    let mut env = org.service_env();
    env.push(("OKTA_MCP_CONFIRM".into(), "never".into()));
    env.push((
        "OKTA_MCP_ALLOWED_KEY_DIRS".into(),
        allowed.display().to_string(),
    ));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp
}

fn error_of(result: &Value) -> Value {
    assert_eq!(result["isError"], true, "expected an error: {result}");
    result["structuredContent"].clone()
}

fn new_domain(mcp: &mut Mcp) -> String {
    let created = mcp.call_ok(
        "create_custom_domain",
        json!({"domain": "secure.example.com", "certificate_source_type": "OKTA_MANAGED"}),
    );
    created["id"].as_str().expect("id").to_owned()
}

#[test]
fn certificate_key_comes_only_from_allowed_files_and_is_never_echoed() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, allowed.path());
    let id = new_domain(&mut mcp);
    let (key_pem, key_body) = key_pem(&org);

    let key = allowed.path().join("tls..key.pem");
    std::fs::write(&key, &key_pem).unwrap();
    let done = mcp.call_ok(
        "upsert_custom_domain_certificate",
        json!({"domain_id": id, "certificate": CERT, "certificate_chain": CHAIN, "private_key_file_path": key.display().to_string()}),
    );
    assert_eq!(done["success"], true);
    assert_eq!(done["domain"]["certificateSourceType"], "MANUAL");
    assert!(done["domain"]["publicCertificate"]["fingerprint"].is_string());
    assert!(!done.to_string().contains(&key_body));

    let secret = outside.path().join("key.pem");
    std::fs::write(&secret, &key_pem).unwrap();
    let attempts = vec![
        secret.display().to_string(),
        format!(
            "{}/../{}/key.pem",
            allowed.path().display(),
            outside.path().file_name().unwrap().to_str().unwrap()
        ),
    ];
    #[cfg(unix)]
    let attempts = {
        let mut attempts = attempts;
        let link = allowed.path().join("link.pem");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        attempts.push(link.display().to_string());
        attempts
    };
    for path in attempts {
        let refused = error_of(&mcp.call(
            "upsert_custom_domain_certificate",
            json!({"domain_id": id, "certificate": CERT, "certificate_chain": CHAIN, "private_key_file_path": path}),
        ));
        assert_eq!(refused["error"], "refused", "{path}: {refused}");
        assert!(!refused.to_string().contains(&key_body));
    }

    let not_a_key = allowed.path().join("notes.txt");
    std::fs::write(&not_a_key, format!("my key is {key_body}")).unwrap();
    let refused = error_of(&mcp.call(
        "upsert_custom_domain_certificate",
        json!({"domain_id": id, "certificate": CERT, "certificate_chain": CHAIN, "private_key_file_path": not_a_key.display().to_string()}),
    ));
    assert!(!refused.to_string().contains(&key_body), "{refused}");

    let bad_cert = error_of(&mcp.call(
        "upsert_custom_domain_certificate",
        json!({"domain_id": id, "certificate": "hello", "certificate_chain": CHAIN, "private_key_file_path": key.display().to_string()}),
    ));
    assert_eq!(bad_cert["error"], "invalid_arguments");
    assert!(!mcp.stderr().contains(&key_body));
}

#[test]
fn the_private_key_cannot_be_passed_inline() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, allowed.path());
    let id = new_domain(&mut mcp);
    let (key_pem, key_body) = key_pem(&org);
    let refused = mcp.call(
        "upsert_custom_domain_certificate",
        json!({"domain_id": id, "certificate": CERT, "certificate_chain": CHAIN, "private_key": key_pem, "private_key_file_path": "x"}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(!refused.to_string().contains(&key_body));
}
