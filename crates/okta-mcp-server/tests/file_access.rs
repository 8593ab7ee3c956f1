//! End to end: what the server writes to local files is owner-only, and what tools read from
//! local files stays inside the allowed directories, cannot be reached through a link that
//! leads out, never reveals what exists outside, and is never the server's own private key.

mod support;

use okta_client::paths;
use serde_json::{Value, json};
use std::path::Path;
use support::{Mcp, TestOrg};

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVGb3JUZXN0c09ubHkwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----";
const CHAIN: &str = "-----BEGIN CERTIFICATE-----\nMIIBtDCCAVqgAwIBAgIUSW50ZXJtZWRpYXRlRm9yVGVzdHMwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----";

fn server(org: &TestOrg, allowed: &[&Path], extra: &[(&str, String)]) -> Mcp {
    let mut env = org.service_env();
    env.push(("OKTA_MCP_CONFIRM".into(), "never".into()));
    let dirs: Vec<String> = allowed.iter().map(|d| d.display().to_string()).collect();
    env.push(("OKTA_MCP_ALLOWED_KEY_DIRS".into(), dirs.join(":")));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp
}

fn refusal(result: &Value) -> String {
    assert_eq!(result["isError"], true, "expected an error: {result}");
    let body = &result["structuredContent"];
    assert_eq!(body["error"], "refused", "{body}");
    body["message"].as_str().expect("message").to_owned()
}

fn new_domain(mcp: &mut Mcp) -> String {
    let created = mcp.call_ok(
        "create_custom_domain",
        json!({"domain": "secure.example.com", "certificate_source_type": "OKTA_MANAGED"}),
    );
    created["id"].as_str().expect("id").to_owned()
}

fn install_key(mcp: &mut Mcp, domain: &str, key: &Path) -> Value {
    mcp.call(
        "upsert_custom_domain_certificate",
        json!({"domain_id": domain, "certificate": CERT, "certificate_chain": CHAIN,
               "private_key_file_path": key.display().to_string()}),
    )
}

fn certificate_puts(org: &TestOrg) -> usize {
    org.sandbox
        .faults()
        .journal()
        .iter()
        .filter(|e| {
            e.method == "PUT"
                && e.path.starts_with(paths::DOMAINS)
                && e.path.ends_with("/certificate")
        })
        .count()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn csv_exports_and_the_log_file_are_created_owner_only() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let log = allowed.path().join("server.log");
    let mut mcp = server(
        &org,
        &[allowed.path()],
        &[("OKTA_LOG_FILE", log.display().to_string())],
    );
    let out = allowed.path().join("users.csv");
    let done = mcp.call_ok(
        "export_users_csv",
        json!({"output_path": out.display().to_string()}),
    );
    assert!(done["total_users"].as_u64().unwrap() > 0, "{done}");
    assert_eq!(mode(&out), 0o600, "the export lists the whole directory");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("id,status,login"), "{text:.80}");

    let replaced = mcp.call_ok(
        "export_users_csv",
        json!({"output_path": out.display().to_string(), "overwrite": true}),
    );
    assert_eq!(replaced["total_users"], done["total_users"]);
    assert_eq!(mode(&out), 0o600, "a replaced export too");
    let leftovers: Vec<_> = std::fs::read_dir(allowed.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");

    assert!(log.exists(), "the log file is created at start");
    assert_eq!(mode(&log), 0o600, "debug logs name users and admins");
}

#[test]
fn a_refusal_outside_the_allowed_dirs_does_not_say_whether_the_file_exists() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, &[allowed.path()], &[]);
    let domain = new_domain(&mut mcp);
    let present = outside.path().join("present.pem");
    std::fs::write(&present, org.throwaway_private_key_pem()).unwrap();
    let absent = outside.path().join("absent.pem");

    let anonymised =
        |path: &Path, message: String| message.replace(&path.display().to_string(), "<path>");
    let for_present = anonymised(&present, refusal(&install_key(&mut mcp, &domain, &present)));
    let for_absent = anonymised(&absent, refusal(&install_key(&mut mcp, &domain, &absent)));
    assert_eq!(for_present, for_absent);
    assert!(
        for_present.contains("outside the allowed directories"),
        "{for_present}"
    );

    let export = |mcp: &mut Mcp, path: &Path| {
        mcp.call(
            "export_users_csv",
            json!({"output_path": path.join("users.csv").display().to_string()}),
        )
    };
    let missing_dir = outside.path().join("no-such-dir");
    assert_eq!(
        anonymised(outside.path(), refusal(&export(&mut mcp, outside.path()))),
        anonymised(&missing_dir, refusal(&export(&mut mcp, &missing_dir))),
    );
    assert_eq!(certificate_puts(&org), 0);
}

#[cfg(unix)]
#[test]
fn links_that_lead_out_of_an_allowed_dir_are_refused() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, &[allowed.path()], &[]);
    let domain = new_domain(&mut mcp);
    std::fs::write(
        outside.path().join("key.pem"),
        org.throwaway_private_key_pem(),
    )
    .unwrap();

    // A file link inside the allowed dir pointing out.
    let link = allowed.path().join("link.pem");
    std::os::unix::fs::symlink(outside.path().join("key.pem"), &link).unwrap();
    let message = refusal(&install_key(&mut mcp, &domain, &link));
    assert!(
        message.contains("outside the allowed directories"),
        "{message}"
    );

    // A directory that was real when checked and is now a link out (the swap the old
    // check-then-reopen let through): the path through it is refused.
    let sub = allowed.path().join("certs");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("key.pem"), org.throwaway_private_key_pem()).unwrap();
    let inside = install_key(&mut mcp, &domain, &sub.join("key.pem"));
    assert_ne!(
        inside["isError"], true,
        "the real directory works: {inside}"
    );
    std::fs::rename(&sub, allowed.path().join("certs-old")).unwrap();
    std::os::unix::fs::symlink(outside.path(), &sub).unwrap();
    let message = refusal(&install_key(&mut mcp, &domain, &sub.join("key.pem")));
    assert!(
        message.contains("outside the allowed directories"),
        "{message}"
    );

    // Writing through the swapped directory is refused too.
    let export = mcp.call(
        "export_users_csv",
        json!({"output_path": sub.join("users.csv").display().to_string()}),
    );
    refusal(&export);
    assert!(!outside.path().join("users.csv").exists());
    assert_eq!(certificate_puts(&org), 1, "only the real file was sent");
}

#[cfg(unix)]
#[test]
fn the_servers_own_private_key_is_never_sent_to_the_org() {
    let org = TestOrg::start();
    let key_file = org
        .sandbox
        .service_client()
        .private_key_file
        .clone()
        .expect("the service client has a key file");
    let key_dir = key_file.parent().unwrap().to_path_buf();
    let allowed = tempfile::tempdir_in(&key_dir).unwrap();
    // The same file under another name, inside another allowed directory.
    let alias = allowed.path().join("innocent.pem");
    std::fs::hard_link(&key_file, &alias).unwrap();
    let mut mcp = server(&org, &[&key_dir, allowed.path()], &[]);
    let domain = new_domain(&mut mcp);

    for path in [&key_file, &alias] {
        let message = refusal(&install_key(&mut mcp, &domain, path));
        assert!(
            message.contains("this server's own private key")
                && message.contains("OKTA_PRIVATE_KEY_FILE"),
            "{message}"
        );
    }
    assert_eq!(certificate_puts(&org), 0, "nothing was sent");
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    let body = key_text.lines().nth(1).unwrap_or_default();
    assert!(!body.is_empty() && !mcp.stderr().contains(body));
}
