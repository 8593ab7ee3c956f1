//! End to end: the theme image uploads read only checked images from the allowed directories,
//! and a refused file never reaches Okta.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::{Mcp, TestOrg};

fn server(org: &TestOrg, allowed: &Path) -> Mcp {
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

/// The first brand and its (only) theme.
fn brand_and_theme(mcp: &mut Mcp) -> (String, String) {
    let brands = mcp.call_ok("list_brands", json!({}));
    let brand = brands["items"][0]["id"]
        .as_str()
        .expect("brand id")
        .to_owned();
    let themes = mcp.call_ok("list_brand_themes", json!({"brand_id": brand}));
    let theme = themes["themes"][0]["id"]
        .as_str()
        .expect("theme id")
        .to_owned();
    (brand, theme)
}

/// A PNG header with the given size, padded with zeros to `len` bytes.
fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&[8, 6, 0, 0, 0]);
    out.resize(len.max(out.len()), 0);
    out
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path.display().to_string()
}

fn uploads(org: &TestOrg) -> usize {
    org.sandbox.faults().count("POST", "/api/v1/brands")
}

fn refused(mcp: &mut Mcp, tool: &str, args: Value) -> String {
    let result = mcp.call(tool, args);
    assert_eq!(result["isError"], true, "expected a refusal: {result}");
    assert_eq!(result["structuredContent"]["error"], "refused", "{result}");
    result["structuredContent"].to_string()
}

#[test]
fn uploaded_images_become_the_themes_images() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, allowed.path());
    let (brand, theme) = brand_and_theme(&mut mcp);
    let before = mcp.call_ok(
        "get_brand_theme",
        json!({"brand_id": brand, "theme_id": theme}),
    );

    let cases = [
        (
            "upload_brand_theme_logo",
            write(allowed.path(), "logo.png", &png(300, 50, 4096)),
            "logo",
        ),
        (
            "upload_brand_theme_favicon",
            write(allowed.path(), "favicon.png", &png(32, 32, 512)),
            "favicon",
        ),
        (
            "upload_brand_theme_background_image",
            write(allowed.path(), "background.jpg", &{
                let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xE0];
                jpg.resize(500 * 1024, 7);
                jpg
            }),
            "backgroundImage",
        ),
    ];
    for (tool, path, field) in cases {
        let done = mcp.call_ok(
            tool,
            json!({"brand_id": brand, "theme_id": theme, "file_path": path}),
        );
        let url = done["url"]
            .as_str()
            .unwrap_or_else(|| panic!("{tool}: {done}"));
        assert!(url.starts_with("http"), "{tool}: {done}");
        assert_ne!(before[field], json!(url), "{tool} changed nothing");
        let after = mcp.call_ok(
            "get_brand_theme",
            json!({"brand_id": brand, "theme_id": theme}),
        );
        assert_eq!(after[field], json!(url), "{tool}: {after}");
    }
    assert_eq!(uploads(&org), 3);

    let ico = write(
        allowed.path(),
        "favicon.ico",
        b"\0\0\x01\0\x01\0\x20\x20\0\0",
    );
    let done = mcp.call_ok(
        "upload_brand_theme_favicon",
        json!({"brand_id": brand, "theme_id": theme, "file_path": ico}),
    );
    assert!(
        done["url"].as_str().is_some_and(|u| u.contains("ext=ico")),
        "{done}"
    );
}

#[test]
fn files_outside_the_allowed_directories_never_reach_okta() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, allowed.path());
    let (brand, theme) = brand_and_theme(&mut mcp);

    let secret = write(outside.path(), "logo.png", &png(300, 50, 2048));
    let mut attempts = vec![
        secret.clone(),
        format!(
            "{}/../{}/logo.png",
            allowed.path().display(),
            outside.path().file_name().unwrap().to_str().unwrap()
        ),
        "logo.png".to_owned(),
    ];
    #[cfg(unix)]
    {
        let link = allowed.path().join("link.png");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        attempts.push(link.display().to_string());
    }
    for path in attempts {
        for tool in [
            "upload_brand_theme_logo",
            "upload_brand_theme_background_image",
        ] {
            refused(
                &mut mcp,
                tool,
                json!({"brand_id": brand, "theme_id": theme, "file_path": path}),
            );
        }
    }
    assert_eq!(uploads(&org), 0);
}

#[test]
fn oversized_and_mistyped_files_are_refused_before_sending() {
    let org = TestOrg::start();
    let allowed = tempfile::tempdir().unwrap();
    let mut mcp = server(&org, allowed.path());
    let (brand, theme) = brand_and_theme(&mut mcp);
    let args = |path: &str| json!({"brand_id": brand, "theme_id": theme, "file_path": path});

    let big = write(allowed.path(), "big.png", &png(300, 50, 100 * 1024));
    let message = refused(&mut mcp, "upload_brand_theme_logo", args(&big));
    assert!(message.contains("102400"), "{message}");
    let huge = write(
        allowed.path(),
        "huge.png",
        &png(1920, 1080, 2 * 1024 * 1024),
    );
    refused(&mut mcp, "upload_brand_theme_background_image", args(&huge));

    let text = write(
        allowed.path(),
        "logo.png",
        b"just some notes, not an image\n",
    );
    let message = refused(&mut mcp, "upload_brand_theme_logo", args(&text));
    assert!(message.contains("PNG or JPG or GIF"), "{message}");
    let gif = write(allowed.path(), "favicon.gif", b"GIF89a\x20\0\x20\0......");
    refused(&mut mcp, "upload_brand_theme_favicon", args(&gif));
    let wide = write(allowed.path(), "wide.png", &png(64, 32, 256));
    let message = refused(&mut mcp, "upload_brand_theme_favicon", args(&wide));
    assert!(message.contains("square"), "{message}");
    assert_eq!(uploads(&org), 0);

    // A checked file still meets Okta's own answer: an unknown theme is Okta's 404.
    let ok = write(allowed.path(), "ok.png", &png(300, 50, 1024));
    let missing = mcp.call(
        "upload_brand_theme_logo",
        json!({"brand_id": brand, "theme_id": "thdNoSuchTheme", "file_path": ok}),
    );
    assert_eq!(missing["isError"], true, "{missing}");
    assert_eq!(uploads(&org), 1);
}
