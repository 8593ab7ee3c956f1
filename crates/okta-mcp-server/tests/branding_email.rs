//! End to end: email template tools and custom/email domain tools against the sandbox org.

mod support;

use serde_json::{Value, json};
use support::{Mcp, TestOrg, server, unconfirmed};

fn default_brand(mcp: &mut Mcp) -> String {
    let brands = mcp.call_ok("list_brands", json!({}));
    brands["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|b| b["isDefault"] == true)
        .and_then(|b| b["id"].as_str())
        .expect("default brand")
        .to_owned()
}

fn error_of(result: &Value) -> Value {
    assert_eq!(result["isError"], true, "expected an error: {result}");
    result["structuredContent"].clone()
}

const BODY: &str = "<!DOCTYPE html><html><body>\n<p>Bonjour ${user.profile.firstName} — «bienvenue» chez ${org.name} &amp; co.</p>\n<a href=\"${activationLink}\" style='color:#0A3D62'>Activer</a> <!-- ${custom.thing} -->\n</body></html>";

#[test]
fn templates_settings_and_default_content() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let brand = default_brand(&mut mcp);

    let all = mcp.call_ok(
        "list_email_templates",
        json!({"brand_id": brand, "fetch_all": true, "expand": ["customizationCount"]}),
    );
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in ["UserActivation", "ForgotPassword", "PasswordChanged"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let activation = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "UserActivation")
        .unwrap();
    assert_eq!(activation["_embedded"]["customizationCount"], 1);

    let page = mcp.call_ok(
        "list_email_templates",
        json!({"brand_id": brand, "limit": 5}),
    );
    assert_eq!(page["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(page["has_more"], true);
    let next = mcp.call_ok(
        "list_email_templates",
        json!({"brand_id": brand, "limit": 5, "after": page["next_cursor"]}),
    );
    assert_ne!(next["items"][0]["name"], page["items"][0]["name"]);

    let one = mcp.call_ok(
        "get_email_template",
        json!({"brand_id": brand, "template_name": "ForgotPassword", "expand": ["settings"]}),
    );
    assert_eq!(one["_embedded"]["settings"]["recipients"], "ALL_USERS");

    let settings = mcp.call_ok(
        "replace_email_settings",
        json!({"brand_id": brand, "template_name": "ForgotPassword", "recipients": "admins_only"}),
    );
    assert_eq!(settings["recipients"], "ADMINS_ONLY");
    let got = mcp.call_ok(
        "get_email_settings",
        json!({"brand_id": brand, "template_name": "ForgotPassword"}),
    );
    assert_eq!(got["recipients"], "ADMINS_ONLY");
    let bad = error_of(&mcp.call(
        "replace_email_settings",
        json!({"brand_id": brand, "template_name": "ForgotPassword", "recipients": "EVERYONE"}),
    ));
    assert_eq!(bad["error"], "invalid_arguments");

    let default = mcp.call_ok(
        "get_email_default_content",
        json!({"brand_id": brand, "template_name": "PasswordChanged", "language": "en"}),
    );
    assert!(
        default["body"]
            .as_str()
            .unwrap()
            .contains("${user.profile.firstName}")
    );
    let preview = mcp.call_ok(
        "get_email_default_content_preview",
        json!({"brand_id": brand, "template_name": "PasswordChanged"}),
    );
    let rendered = preview["body"].as_str().unwrap();
    assert!(rendered.contains("Hello John"), "{rendered}");
    assert!(
        !rendered.contains("${user.profile.firstName}"),
        "{rendered}"
    );

    let unknown = error_of(&mcp.call(
        "get_email_template",
        json!({"brand_id": brand, "template_name": "NoSuchTemplate"}),
    ));
    assert_eq!(unknown["status"], 404);
    let sent = mcp.call_ok(
        "send_test_email",
        json!({"brand_id": brand, "template_name": "UserActivation", "language": "en"}),
    );
    assert_eq!(sent["success"], true);
}

#[test]
fn customizations_round_trip_render_and_are_removed() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let brand = default_brand(&mut mcp);
    let t = "UserActivation";

    let existing = mcp.call_ok(
        "list_email_customizations",
        json!({"brand_id": brand, "template_name": t}),
    );
    let english = existing["items"][0].clone();
    assert_eq!(english["language"], "en");
    assert_eq!(english["isDefault"], true);

    let created = mcp.call_ok(
        "create_email_customization",
        json!({"brand_id": brand, "template_name": t, "language": "fr", "subject": "Bienvenue, ${user.profile.firstName} !", "body": BODY}),
    );
    let fr = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["body"], BODY);
    assert_eq!(created["isDefault"], false);
    let got = mcp.call_ok(
        "get_email_customization",
        json!({"brand_id": brand, "template_name": t, "customization_id": fr}),
    );
    assert_eq!(got["body"].as_str(), Some(BODY));

    // Language tags compare case-insensitively: FR is the same language as fr.
    let dup = error_of(&mcp.call(
        "create_email_customization",
        json!({"brand_id": brand, "template_name": t, "language": "FR", "subject": "x", "body": "<p>x</p>"}),
    ));
    assert!(dup["message"].as_str().unwrap().contains(&fr), "{dup}");
    let bad = error_of(&mcp.call(
        "create_email_customization",
        json!({"brand_id": brand, "template_name": t, "language": "french", "subject": "x", "body": "<p>x</p>"}),
    ));
    assert_eq!(bad["error"], "invalid_arguments");

    let preview = mcp.call_ok(
        "get_email_customization_preview",
        json!({"brand_id": brand, "template_name": t, "customization_id": fr}),
    );
    assert_eq!(preview["subject"], "Bienvenue, John !");
    let body = preview["body"].as_str().unwrap();
    assert!(
        body.contains("Bonjour John — «bienvenue» chez Acme Sandbox &amp; co."),
        "{body}"
    );
    assert!(body.contains("/welcome/"), "{body}");
    assert!(body.contains("${custom.thing}"), "{body}");

    let replaced = mcp.call_ok(
        "replace_email_customization",
        json!({"brand_id": brand, "template_name": t, "customization_id": fr, "language": "fr-CA", "subject": "Salut", "body": "<p>Salut</p>", "is_default": true}),
    );
    assert_eq!(replaced["language"], "fr-CA");
    assert_eq!(replaced["isDefault"], true);
    let old_default = mcp.call_ok(
        "get_email_customization",
        json!({"brand_id": brand, "template_name": t, "customization_id": english["id"]}),
    );
    assert_eq!(old_default["isDefault"], false);

    // The default cannot go while another customization exists.
    let refused = error_of(&mcp.call(
        "delete_email_customization",
        json!({"brand_id": brand, "template_name": t, "customization_id": fr}),
    ));
    assert_eq!(refused["errorCode"], "E0000184", "{refused}");
    let deleted = mcp.call_ok(
        "delete_email_customization",
        json!({"brand_id": brand, "template_name": t, "customization_id": english["id"]}),
    );
    assert_eq!(deleted["success"], true);
    let left = mcp.call_ok(
        "list_email_customizations",
        json!({"brand_id": brand, "template_name": t, "fetch_all": true}),
    );
    assert_eq!(left["items"].as_array().map(Vec::len), Some(1));

    mcp.call_ok(
        "delete_all_email_customizations",
        json!({"brand_id": brand, "template_name": t}),
    );
    let none = mcp.call_ok(
        "list_email_customizations",
        json!({"brand_id": brand, "template_name": t}),
    );
    assert_eq!(none["items"], json!([]));
}

#[test]
fn deleting_customizations_asks_with_their_language() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let brand = default_brand(&mut mcp);
    let list = mcp.call_ok(
        "list_email_customizations",
        json!({"brand_id": brand, "template_name": "UserActivation"}),
    );
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let asked = mcp.call_ok(
        "delete_email_customization",
        json!({"brand_id": brand, "template_name": "UserActivation", "customization_id": id}),
    );
    assert_eq!(asked["confirmation_required"], true);
    let message = asked["message"].as_str().unwrap();
    assert!(
        message.contains("the en customization") && message.contains(&id),
        "{message}"
    );
    let asked = mcp.call_ok(
        "delete_all_email_customizations",
        json!({"brand_id": brand, "template_name": "UserActivation"}),
    );
    assert!(
        asked["message"].as_str().unwrap().contains("1 (en)"),
        "{asked}"
    );
    let still = mcp.call_ok(
        "list_email_customizations",
        json!({"brand_id": brand, "template_name": "UserActivation"}),
    );
    assert_eq!(still["items"].as_array().map(Vec::len), Some(1));
}

#[test]
fn custom_domains_lifecycle() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let brand = default_brand(&mut mcp);
    let listed = mcp.call_ok("list_custom_domains", json!({}));
    assert_eq!(listed["total_fetched"], 1);

    let created = mcp.call_ok(
        "create_custom_domain",
        json!({"domain": "Id.Example.COM", "certificate_source_type": " okta_managed "}),
    );
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["domain"], "id.example.com");
    assert_eq!(created["validationStatus"], "NOT_STARTED");
    assert!(created["dnsRecords"].as_array().unwrap().len() >= 2);
    let dup = error_of(&mcp.call(
        "create_custom_domain",
        json!({"domain": "ID.example.com.", "certificate_source_type": "MANUAL"}),
    ));
    assert!(dup["message"].as_str().unwrap().contains(&id), "{dup}");
    let bad = error_of(&mcp.call(
        "create_custom_domain",
        json!({"domain": "id.example.org", "certificate_source_type": "SELF_SIGNED"}),
    ));
    assert_eq!(bad["error"], "invalid_arguments");

    let verified = mcp.call_ok("verify_custom_domain", json!({"domain_id": id}));
    assert_eq!(verified["validationStatus"], "COMPLETED");
    let again = mcp.call_ok("verify_custom_domain", json!({"domain_id": id}));
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("already verified")
    );

    let partners = mcp.call_ok("list_brands", json!({"q": "Partners"}))["items"][0]["id"].clone();
    let moved = mcp.call_ok(
        "replace_custom_domain",
        json!({"domain_id": id, "brand_id": partners}),
    );
    assert_eq!(moved["brandId"], partners);
    let theirs = mcp.call_ok("list_brand_domains", json!({"brand_id": partners}));
    assert_eq!(theirs["domains"][0]["id"], json!(id));
    let got = mcp.call_ok("get_custom_domain", json!({"domain_id": id}));
    assert_eq!(got["brandId"], partners);
    let _ = brand;

    let refused = error_of(&mcp.call("delete_custom_domain", json!({"domain_id": "DEFAULT"})));
    assert_eq!(refused["error"], "invalid_arguments");
    mcp.call_ok("delete_custom_domain", json!({"domain_id": id}));
    assert_eq!(
        error_of(&mcp.call("get_custom_domain", json!({"domain_id": id})))["status"],
        404
    );
}

#[test]
fn email_domains_lifecycle() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let listed = mcp.call_ok("list_email_domains", json!({"expand_brands": true}));
    assert_eq!(listed["total_fetched"], 1);
    assert_eq!(
        listed["email_domains"][0]["_embedded"]["brands"][0]["name"],
        "Okta Default"
    );

    let partners = mcp.call_ok("list_brands", json!({"q": "Partners"}))["items"][0]["id"].clone();
    let created = mcp.call_ok(
        "create_email_domain",
        json!({"brand_id": partners, "domain": "Partners.Example.com", "display_name": "Acme Partners", "user_name": "hello"}),
    );
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["domain"], "partners.example.com");
    assert_eq!(created["validationSubdomain"], "mail");
    assert_eq!(created["validationStatus"], "NOT_STARTED");
    let brand = mcp.call_ok("get_brand", json!({"brand_id": partners}));
    assert_eq!(brand["emailDomainId"], json!(id));

    let dup = error_of(&mcp.call(
        "create_email_domain",
        json!({"brand_id": partners, "domain": "PARTNERS.example.COM", "display_name": "x", "user_name": "x"}),
    ));
    assert!(dup["message"].as_str().unwrap().contains(&id), "{dup}");

    let renamed = mcp.call_ok(
        "replace_email_domain",
        json!({"email_domain_id": id, "display_name": "Partner Team", "user_name": "team"}),
    );
    assert_eq!(renamed["displayName"], "Partner Team");
    let got = mcp.call_ok(
        "get_email_domain",
        json!({"email_domain_id": id, "expand_brands": true}),
    );
    assert_eq!(got["userName"], "team");
    assert_eq!(got["_embedded"]["brands"][0]["id"], partners);

    let verified = mcp.call_ok("verify_email_domain", json!({"email_domain_id": id}));
    assert_eq!(verified["validationStatus"], "VERIFIED");
    let again = mcp.call_ok("verify_email_domain", json!({"email_domain_id": id}));
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("already verified")
    );

    mcp.call_ok("delete_email_domain", json!({"email_domain_id": id}));
    assert_eq!(
        error_of(&mcp.call("get_email_domain", json!({"email_domain_id": id})))["status"],
        404
    );
    let missing = error_of(&mcp.call("verify_email_domain", json!({"email_domain_id": id})));
    assert_eq!(missing["status"], 404);
}

#[test]
fn deleting_a_domain_names_it() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let domains = mcp.call_ok("list_email_domains", json!({}));
    let id = domains["email_domains"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked = mcp.call_ok("delete_email_domain", json!({"email_domain_id": id}));
    assert!(
        asked["message"]
            .as_str()
            .unwrap()
            .contains("acme-sandbox.example"),
        "{asked}"
    );
    let customs = mcp.call_ok("list_custom_domains", json!({}));
    let cid = customs["domains"][0]["id"].as_str().unwrap().to_owned();
    let asked = mcp.call_ok("delete_custom_domain", json!({"domain_id": cid}));
    assert!(
        asked["message"]
            .as_str()
            .unwrap()
            .contains("login.acme-sandbox.example"),
        "{asked}"
    );
    assert_eq!(
        mcp.call_ok("list_custom_domains", json!({}))["total_fetched"],
        1
    );
}
