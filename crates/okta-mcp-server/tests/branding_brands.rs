//! End to end: brand, theme and custom page tools change the sandbox org's branding as Okta
//! would, through the real binary.

mod support;

use serde_json::{Value, json};
use support::{Mcp, TestOrg, server, unconfirmed};

fn brand_id(mcp: &mut Mcp, name: &str) -> String {
    let brands = mcp.call_ok("list_brands", json!({}));
    brands["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|b| b["name"] == name)
        .and_then(|b| b["id"].as_str())
        .unwrap_or_else(|| panic!("no brand {name} in {brands}"))
        .to_owned()
}

fn error_of(result: &Value) -> Value {
    assert_eq!(result["isError"], true, "expected an error: {result}");
    result["structuredContent"].clone()
}

#[test]
fn brands_are_listed_created_replaced_and_deleted() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let listed = mcp.call_ok("list_brands", json!({"expand": ["themes", "emailDomain"]}));
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{listed}");
    let default = items
        .iter()
        .find(|b| b["isDefault"] == true)
        .expect("default brand");
    assert_eq!(default["name"], "Okta Default");
    assert_eq!(
        default["_embedded"]["themes"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        default["_embedded"]["emailDomain"]["id"],
        default["emailDomainId"]
    );
    let default_id = default["id"].as_str().unwrap().to_owned();

    let first = mcp.call_ok("list_brands", json!({"limit": 1, "fields": "id,name"}));
    assert_eq!(first["has_more"], true, "{first}");
    assert_eq!(first["items"][0].as_object().map(|o| o.len()), Some(2));
    let second = mcp.call_ok(
        "list_brands",
        json!({"limit": 1, "after": first["next_cursor"]}),
    );
    assert_eq!(second["has_more"], false, "{second}");
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    let all = mcp.call_ok("list_brands", json!({"fetch_all": true, "limit": 1}));
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));

    let only = mcp.call_ok("list_brands", json!({"q": "partners"}));
    assert_eq!(only["items"][0]["name"], "Acme Partners");
    assert_eq!(only["items"].as_array().map(Vec::len), Some(1));

    let domains = mcp.call_ok("list_brand_domains", json!({"brand_id": default_id}));
    assert_eq!(domains["total_fetched"], 1);
    assert_eq!(
        domains["domains"][0]["domain"],
        "login.acme-sandbox.example"
    );

    let created = mcp.call_ok("create_brand", json!({"name": "Beta Brand"}));
    let id = created["id"].as_str().expect("new brand id").to_owned();
    assert_eq!(created["isDefault"], false);
    let got = mcp.call_ok("get_brand", json!({"brand_id": id, "expand": ["themes"]}));
    assert_eq!(got["name"], "Beta Brand");
    assert_eq!(got["_embedded"]["themes"].as_array().map(Vec::len), Some(1));

    let dup = error_of(&mcp.call("create_brand", json!({"name": "beta BRAND"})));
    assert!(dup["message"].as_str().unwrap().contains(&id), "{dup}");

    let replaced = mcp.call_ok(
        "replace_brand",
        json!({"brand_id": id, "name": "Beta", "locale": "fr-CA", "remove_powered_by_okta": true}),
    );
    assert_eq!(replaced["locale"], "fr-CA");
    // A later rename keeps what it does not mention.
    let renamed = mcp.call_ok("replace_brand", json!({"brand_id": id, "name": "Beta 2"}));
    assert_eq!(renamed["name"], "Beta 2");
    assert_eq!(renamed["locale"], "fr-CA");
    assert_eq!(renamed["removePoweredByOkta"], true);
    let privacy = error_of(&mcp.call(
        "replace_brand",
        json!({"brand_id": id, "name": "Beta 2", "custom_privacy_policy_url": "https://acme.example/privacy"}),
    ));
    assert_eq!(privacy["status"], 400, "{privacy}");

    let deleted = mcp.call_ok("delete_brand", json!({"brand_id": id}));
    assert_eq!(deleted["success"], true);
    assert!(deleted["message"].as_str().unwrap().contains("Beta 2"));
    let gone = error_of(&mcp.call("get_brand", json!({"brand_id": id})));
    assert_eq!(gone["status"], 404);
    let refused = error_of(&mcp.call("delete_brand", json!({"brand_id": default_id})));
    assert_eq!(refused["errorCode"], "E0000200", "{refused}");
}

#[test]
fn deleting_a_brand_asks_first_and_names_it() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let id = brand_id(&mut mcp, "Acme Partners");
    let asked = mcp.call_ok("delete_brand", json!({"brand_id": id}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    assert!(
        asked["message"].as_str().unwrap().contains("Acme Partners"),
        "{asked}"
    );
    mcp.call_ok("get_brand", json!({"brand_id": id}));
    let done = mcp.call_ok("delete_brand", json!({"brand_id": id, "confirm": true}));
    assert_eq!(done["success"], true);
    assert_eq!(
        error_of(&mcp.call("get_brand", json!({"brand_id": id})))["status"],
        404
    );
}

#[test]
fn themes_are_replaced_and_their_images_removed() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let brand = brand_id(&mut mcp, "Okta Default");
    let themes = mcp.call_ok("list_brand_themes", json!({"brand_id": brand}));
    assert_eq!(themes["total_fetched"], 1);
    let theme = themes["themes"][0]["id"].as_str().unwrap().to_owned();

    let replaced = mcp.call_ok(
        "replace_brand_theme",
        json!({
            "brand_id": brand, "theme_id": theme,
            "primary_color_hex": "#0A3D62", "secondary_color_hex": "#F5F6FA",
            "sign_in_page_touch_point_variant": "background_secondary_color",
            "end_user_dashboard_touch_point_variant": "full_theme",
            "error_page_touch_point_variant": "OKTA_DEFAULT",
            "email_template_touch_point_variant": "FULL_THEME",
            "loading_page_touch_point_variant": "none"
        }),
    );
    assert_eq!(
        replaced["signInPageTouchPointVariant"],
        "BACKGROUND_SECONDARY_COLOR"
    );
    let got = mcp.call_ok(
        "get_brand_theme",
        json!({"brand_id": brand, "theme_id": theme}),
    );
    assert_eq!(got["primaryColorHex"], "#0A3D62");
    assert_eq!(got["endUserDashboardTouchPointVariant"], "FULL_THEME");
    assert_eq!(got["loadingPageTouchPointVariant"], "NONE");
    assert_eq!(got["primaryColorContrastHex"], "#ffffff");

    let bad = error_of(&mcp.call(
        "replace_brand_theme",
        json!({
            "brand_id": brand, "theme_id": theme,
            "primary_color_hex": "navy", "secondary_color_hex": "#F5F6FA",
            "sign_in_page_touch_point_variant": "OKTA_DEFAULT",
            "end_user_dashboard_touch_point_variant": "OKTA_DEFAULT",
            "error_page_touch_point_variant": "OKTA_DEFAULT",
            "email_template_touch_point_variant": "OKTA_DEFAULT"
        }),
    ));
    assert_eq!(bad["error"], "invalid_arguments");

    let removed = mcp.call_ok(
        "delete_brand_theme_logo",
        json!({"brand_id": brand, "theme_id": theme}),
    );
    assert_eq!(removed["success"], true);
    let got = mcp.call_ok(
        "get_brand_theme",
        json!({"brand_id": brand, "theme_id": theme}),
    );
    assert!(got["logo"].as_str().unwrap().contains("okta-logo"), "{got}");
    mcp.call_ok(
        "delete_brand_theme_background_image",
        json!({"brand_id": brand, "theme_id": theme}),
    );
    mcp.call_ok(
        "delete_brand_theme_favicon",
        json!({"brand_id": brand, "theme_id": theme}),
    );
    let got = mcp.call_ok(
        "get_brand_theme",
        json!({"brand_id": brand, "theme_id": theme}),
    );
    assert!(got.get("backgroundImage").is_none(), "{got}");
    assert!(got["favicon"].as_str().unwrap().ends_with("/favicon.ico"));
    let missing = error_of(&mcp.call(
        "get_brand_theme",
        json!({"brand_id": brand, "theme_id": "thdNoSuchTheme"}),
    ));
    assert_eq!(missing["status"], 404);
}

/// HTML that breaks naive escaping: quotes, entities, non-ASCII, scripts, template syntax.
const TRICKY_HTML: &str = "<!DOCTYPE html>\n<html lang=\"fr\"><head><title>{{orgName}} – Erreur</title></head>\n<body data-x='1 & 2'>\n  <h1>Ça n’a pas marché 🙁</h1>\n  <p>{{{errorDescription}}} &amp; &lt;tags&gt; ${user.profile.firstName}</p>\n  <script>if (a < b && c > d) { console.log(\"\\u00e9\\n\"); }</script>\n</body></html>\n";

#[test]
fn pages_round_trip_exactly_and_keep_what_is_not_changed() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let brand = brand_id(&mut mcp, "Acme Partners");

    let default = mcp.call_ok("get_default_error_page", json!({"brand_id": brand}));
    assert!(
        default["pageContent"]
            .as_str()
            .unwrap()
            .contains("errorSummary")
    );
    let none = error_of(&mcp.call("get_customized_error_page", json!({"brand_id": brand})));
    assert_eq!(none["status"], 404);

    let put = mcp.call_ok(
        "replace_customized_error_page",
        json!({"brand_id": brand, "page_content": TRICKY_HTML, "csp_mode": "enforced", "csp_src_list": ["https://cdn.acme.example"]}),
    );
    assert_eq!(put["pageContent"], TRICKY_HTML);
    let got = mcp.call_ok("get_customized_error_page", json!({"brand_id": brand}));
    assert_eq!(got["pageContent"].as_str(), Some(TRICKY_HTML));
    assert_eq!(got["contentSecurityPolicySetting"]["mode"], "enforced");

    mcp.call_ok(
        "replace_customized_error_page",
        json!({"brand_id": brand, "csp_mode": "report_only"}),
    );
    let got = mcp.call_ok("get_customized_error_page", json!({"brand_id": brand}));
    assert_eq!(got["pageContent"].as_str(), Some(TRICKY_HTML));
    assert_eq!(got["contentSecurityPolicySetting"]["mode"], "report_only");
    assert_eq!(
        got["contentSecurityPolicySetting"]["srcList"],
        json!(["https://cdn.acme.example"])
    );

    let empty = error_of(&mcp.call("replace_preview_error_page", json!({"brand_id": brand})));
    assert_eq!(empty["error"], "invalid_arguments");
    mcp.call_ok(
        "replace_preview_error_page",
        json!({"brand_id": brand, "page_content": "<p>preview</p>"}),
    );
    let preview = mcp.call_ok("get_preview_error_page", json!({"brand_id": brand}));
    assert_eq!(preview["pageContent"], "<p>preview</p>");

    let root = mcp.call_ok(
        "get_error_page_resources",
        json!({"brand_id": brand, "expand": ["customized", "previewUrl"]}),
    );
    assert_eq!(
        root["_embedded"]["customized"]["pageContent"].as_str(),
        Some(TRICKY_HTML)
    );
    assert!(
        root["_embedded"]["previewUrl"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );

    mcp.call_ok("delete_preview_error_page", json!({"brand_id": brand}));
    assert_eq!(
        error_of(&mcp.call("get_preview_error_page", json!({"brand_id": brand})))["status"],
        404
    );
    let deleted = mcp.call_ok("delete_customized_error_page", json!({"brand_id": brand}));
    assert_eq!(deleted["success"], true);
    assert_eq!(
        error_of(&mcp.call("get_customized_error_page", json!({"brand_id": brand})))["status"],
        404
    );
}

#[test]
fn sign_in_and_sign_out_pages() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let brand = brand_id(&mut mcp, "Okta Default");

    let live = mcp.call_ok("get_customized_sign_in_page", json!({"brand_id": brand}));
    assert_eq!(
        live["widgetCustomizations"]["signInLabel"],
        "Sign in to Acme"
    );
    let default = mcp.call_ok("get_default_sign_in_page", json!({"brand_id": brand}));
    assert!(
        default["pageContent"]
            .as_str()
            .unwrap()
            .contains("OktaSignIn")
    );

    let versions = mcp.call_ok("list_sign_in_widget_versions", json!({"brand_id": brand}));
    assert!(
        versions["versions"]
            .as_array()
            .unwrap()
            .contains(&json!("7.20"))
    );

    let preview = mcp.call_ok(
        "replace_preview_sign_in_page",
        json!({
            "brand_id": brand,
            "widget_version": "7.19",
            "widget_customizations": {"sign_in_label": "Welcome back", "help_url": "https://help.acme.example"}
        }),
    );
    assert_eq!(preview["widgetVersion"], "7.19");
    assert_eq!(
        preview["widgetCustomizations"]["signInLabel"],
        "Welcome back"
    );
    assert_eq!(
        preview["widgetCustomizations"]["helpUrl"],
        "https://help.acme.example"
    );
    // The preview started from the existing one, so its HTML was kept.
    assert_eq!(preview["pageContent"], live["pageContent"]);
    let still_live = mcp.call_ok("get_customized_sign_in_page", json!({"brand_id": brand}));
    assert_eq!(still_live["widgetVersion"], "7.20");

    let root = mcp.call_ok("get_sign_in_page_resources", json!({"brand_id": brand}));
    assert!(
        root["links"]["preview"]["href"].as_str().is_some(),
        "{root}"
    );

    mcp.call_ok("delete_preview_sign_in_page", json!({"brand_id": brand}));
    mcp.call_ok("delete_customized_sign_in_page", json!({"brand_id": brand}));
    assert_eq!(
        error_of(&mcp.call("get_customized_sign_in_page", json!({"brand_id": brand})))["status"],
        404
    );

    let out = mcp.call_ok("get_sign_out_page_settings", json!({"brand_id": brand}));
    assert_eq!(out["type"], "OKTA_DEFAULT");
    let refused = error_of(&mcp.call(
        "replace_sign_out_page_settings",
        json!({"brand_id": brand, "type": "externally_hosted"}),
    ));
    assert_eq!(refused["error"], "invalid_arguments");
    mcp.call_ok(
        "replace_sign_out_page_settings",
        json!({"brand_id": brand, "type": "externally_hosted", "url": "https://acme.example/bye"}),
    );
    let out = mcp.call_ok("get_sign_out_page_settings", json!({"brand_id": brand}));
    assert_eq!(
        out,
        json!({"type": "EXTERNALLY_HOSTED", "url": "https://acme.example/bye"})
    );
}
