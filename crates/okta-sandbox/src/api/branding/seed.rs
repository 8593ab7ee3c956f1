//! The seeded branding of a sandbox org: the default brand "Okta Default" and one more, each
//! with its theme, pages and Okta's standard email templates; one custom domain and one
//! verified email domain. Ids come from a fixed seed so every sandbox looks the same.

use super::{Brand, BrandingState, PageSet, Template};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const BRAND_PREFIX: &str = "bnd";
pub const THEME_PREFIX: &str = "thd";
pub const CUSTOMIZATION_PREFIX: &str = "oel";
pub const DOMAIN_PREFIX: &str = "OcD";
pub const EMAIL_DOMAIN_PREFIX: &str = "OeD";

/// Okta's standard email templates (name, default subject, default HTML body).
pub const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "AccountLockout",
        "Account Lockout",
        "<html><body><p>Hello ${user.profile.firstName},</p><p>Your ${org.name} account was locked. <a href=\"${unlockAccountLink}\">Unlock it</a>.</p></body></html>",
    ),
    (
        "AuthenticatorEnrolled",
        "Security method enrolled",
        "<html><body><p>Hi ${user.profile.firstName}, a new security method was added to your ${org.name} account.</p></body></html>",
    ),
    (
        "AuthenticatorReset",
        "Security methods reset",
        "<html><body><p>Hi ${user.profile.firstName}, your security methods for ${org.name} were reset.</p></body></html>",
    ),
    (
        "ChangeEmailConfirmation",
        "Confirm email address change",
        "<html><body><p>Hello ${user.profile.firstName}, <a href=\"${verificationLink}\">confirm</a> your new email address.</p></body></html>",
    ),
    (
        "EmailChallenge",
        "One-time verification code",
        "<html><body><p>Hi ${user.profile.firstName}, your verification code is ${verificationToken}.</p></body></html>",
    ),
    (
        "EmailFactorVerification",
        "Confirm your email address",
        "<html><body><p>Hi ${user.profile.firstName}, <a href=\"${verificationLink}\">verify</a> your email for ${org.name}.</p></body></html>",
    ),
    (
        "ForgotPassword",
        "Account password reset",
        "<html><body><p>Hello ${user.profile.firstName},</p><p>A password reset request was made for your ${org.name} account. <a href=\"${resetPasswordLink}\">Reset Password</a></p></body></html>",
    ),
    (
        "ForgotPasswordDenied",
        "Account password reset",
        "<html><body><p>Hello ${user.profile.firstName}, your password cannot be reset here. Contact your ${org.name} administrator.</p></body></html>",
    ),
    (
        "NewSignOnNotification",
        "New sign-on notification",
        "<html><body><p>Hello ${user.profile.firstName}, your ${org.name} account was used to sign in from a new device.</p></body></html>",
    ),
    (
        "OktaVerifyActivation",
        "Activate Okta Verify",
        "<html><body><p>Hi ${user.profile.firstName}, <a href=\"${activationLink}\">activate Okta Verify</a>.</p></body></html>",
    ),
    (
        "PasswordChanged",
        "Password changed",
        "<html><body><p>Hello ${user.profile.firstName},</p><p>The password for your ${org.name} account (${user.profile.login}) was changed.</p></body></html>",
    ),
    (
        "PasswordResetByAdmin",
        "Account password reset",
        "<html><body><p>Hello ${user.profile.firstName}, your ${org.name} administrator reset your password. <a href=\"${resetPasswordLink}\">Set a new one</a>.</p></body></html>",
    ),
    (
        "PendingEmailChange",
        "Email address change pending",
        "<html><body><p>Hello ${user.profile.firstName}, a change of your email address is pending.</p></body></html>",
    ),
    (
        "RegistrationActivation",
        "Activate Account",
        "<html><body><p>Welcome, ${user.profile.firstName}! <a href=\"${registrationActivationLink}\">Activate your ${org.name} account</a>.</p></body></html>",
    ),
    (
        "SelfServiceUnlock",
        "Account unlock",
        "<html><body><p>Hello ${user.profile.firstName}, <a href=\"${unlockAccountLink}\">unlock your account</a>.</p></body></html>",
    ),
    (
        "UserActivation",
        "Welcome to ${org.name}!",
        "<html><body><p>Hello, ${user.profile.firstName}. Click <a href=\"${activationLink}\">here</a> to activate your account.</p></body></html>",
    ),
];

/// The default content of `template`, if Okta has such a template.
pub fn default_content(template: &str) -> Option<(&'static str, &'static str)> {
    TEMPLATES
        .iter()
        .find(|(name, _, _)| *name == template)
        .map(|(_, subject, body)| (*subject, *body))
}

/// Sign-in widget versions Okta offers (major.minor).
pub const WIDGET_VERSIONS: &[&str] = &[
    "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9", "7.10", "7.11", "7.12",
    "7.13", "7.14", "7.15", "7.16", "7.17", "7.18", "7.19", "7.20",
];

pub const DEFAULT_ERROR_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head>\n  <meta charset=\"utf-8\">\n  <title>{{orgName}} - {{errorSummary}}</title>\n</head>\n<body>\n  <h1>{{errorSummary}}</h1>\n  <p>{{{errorDescription}}}</p>\n  <a href=\"{{back}}\">Go back</a>\n</body>\n</html>\n";

pub const DEFAULT_SIGN_IN_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head>\n  <meta charset=\"utf-8\">\n  <title>{{pageTitle}}</title>\n  {{{SignInWidgetResources}}}\n</head>\n<body>\n  <div id=\"okta-login-container\"></div>\n  <script type=\"text/javascript\">\n    var config = OktaUtil.getSignInWidgetConfig();\n    var oktaSignIn = new OktaSignIn(config);\n    oktaSignIn.renderEl({ el: '#okta-login-container' }, OktaUtil.completeLogin);\n  </script>\n</body>\n</html>\n";

pub fn default_theme(base: &str, id: &str) -> Value {
    json!({
        "id": id,
        "logo": default_logo(base),
        "favicon": default_favicon(base),
        "backgroundImage": null,
        "primaryColorHex": "#1662dd",
        "primaryColorContrastHex": "#ffffff",
        "secondaryColorHex": "#ebebed",
        "secondaryColorContrastHex": "#000000",
        "signInPageTouchPointVariant": "OKTA_DEFAULT",
        "endUserDashboardTouchPointVariant": "OKTA_DEFAULT",
        "errorPageTouchPointVariant": "OKTA_DEFAULT",
        "emailTemplateTouchPointVariant": "OKTA_DEFAULT",
        "loadingPageTouchPointVariant": "OKTA_DEFAULT",
    })
}

pub fn default_logo(base: &str) -> String {
    format!("{base}/assets/img/logos/okta-logo.47066819ac7db5c13f4c431b2687cef6.png")
}

pub fn default_favicon(base: &str) -> String {
    format!("{base}/favicon.ico")
}

pub fn default_error_page() -> Value {
    json!({
        "pageContent": DEFAULT_ERROR_PAGE,
        "contentSecurityPolicySetting": {"mode": "report_only", "reportUri": null, "srcList": []},
    })
}

pub fn default_sign_in_page() -> Value {
    json!({
        "pageContent": DEFAULT_SIGN_IN_PAGE,
        "widgetVersion": "^7",
        "widgetCustomizations": {"widgetGeneration": "G3"},
        "contentSecurityPolicySetting": {"mode": "report_only", "reportUri": null, "srcList": []},
    })
}

/// A brand's standard templates, all sent to every user, none customized.
pub fn templates() -> BTreeMap<String, Template> {
    TEMPLATES
        .iter()
        .map(|(name, _, _)| {
            (
                (*name).to_owned(),
                Template {
                    recipients: "ALL_USERS".into(),
                    customizations: BTreeMap::new(),
                },
            )
        })
        .collect()
}

/// A brand as `POST /api/v1/brands` creates it: default theme, pages and templates.
pub fn new_brand(state: &mut BrandingState, name: &str, is_default: bool) -> Brand {
    let id = state.new_id(BRAND_PREFIX);
    let theme_id = state.new_id(THEME_PREFIX);
    let base = state.base_url.clone();
    Brand {
        data: json!({
            "id": id,
            "name": name,
            "isDefault": is_default,
            "agreeToCustomPrivacyPolicy": false,
            "removePoweredByOkta": false,
            "customPrivacyPolicyUrl": null,
            "locale": "en",
        }),
        themes: BTreeMap::from([(theme_id.clone(), default_theme(&base, &theme_id))]),
        error_page: PageSet {
            default: default_error_page(),
            customized: None,
            preview: None,
        },
        sign_in_page: PageSet {
            default: default_sign_in_page(),
            customized: None,
            preview: None,
        },
        sign_out: json!({"type": "OKTA_DEFAULT"}),
        templates: templates(),
    }
}

/// DNS records Okta asks for before it verifies an email domain.
pub fn email_dns_records(domain: &str, subdomain: &str, token: &str) -> Value {
    json!([
        {"recordType": "TXT", "fqdn": format!("_oktaverification.{domain}"), "verificationValue": token},
        {"recordType": "CNAME", "fqdn": format!("{subdomain}.{domain}"), "verificationValue": "u22224444.wl024.sendgrid.net"},
        {"recordType": "CNAME", "fqdn": format!("o1._domainkey.{domain}"), "verificationValue": "o1.domainkey.u22224444.wl024.sendgrid.net"},
        {"recordType": "CNAME", "fqdn": format!("o2._domainkey.{domain}"), "verificationValue": "o2.domainkey.u22224444.wl024.sendgrid.net"},
    ])
}

/// DNS records Okta asks for before it verifies a custom (URL) domain.
pub fn domain_dns_records(domain: &str, token: &str, expiration: &str) -> Value {
    json!([
        {"recordType": "TXT", "fqdn": format!("_oktaverification.{domain}"), "values": [token], "expiration": expiration},
        {"recordType": "CNAME", "fqdn": domain, "values": [format!("{domain}.customdomains.okta.com")]},
    ])
}

pub fn build(base_url: &str) -> BrandingState {
    let mut state = BrandingState {
        base_url: base_url.to_owned(),
        brands: BTreeMap::new(),
        domains: BTreeMap::new(),
        email_domains: BTreeMap::new(),
        rng: StdRng::seed_from_u64(0x6272_616e_6473),
    };
    let mut default = new_brand(&mut state, "Okta Default", true);
    let default_id = default.data["id"].as_str().unwrap_or_default().to_owned();

    let email_domain_id = state.new_id(EMAIL_DOMAIN_PREFIX);
    let token = crate::ids::base62(&mut state.rng, 32).to_lowercase();
    state.email_domains.insert(
        email_domain_id.clone(),
        json!({
            "id": email_domain_id,
            "domain": "acme-sandbox.example",
            "displayName": "Acme IT",
            "userName": "noreply",
            "validationSubdomain": "mail",
            "validationStatus": "VERIFIED",
            "dnsValidationRecords": email_dns_records("acme-sandbox.example", "mail", &token),
        }),
    );
    default.data["emailDomainId"] = json!(email_domain_id);

    // A customized sign-in page and a pending preview, so every page state is represented.
    default.sign_in_page.customized = Some(json!({
        "pageContent": DEFAULT_SIGN_IN_PAGE.replace("<body>", "<body class=\"acme\">"),
        "widgetVersion": "7.20",
        "widgetCustomizations": {"widgetGeneration": "G3", "signInLabel": "Sign in to Acme"},
        "contentSecurityPolicySetting": {"mode": "enforced", "reportUri": null, "srcList": ["https://cdn.acme-sandbox.example"]},
    }));
    default.sign_in_page.preview = default.sign_in_page.customized.clone();
    default.error_page.customized = Some(json!({
        "pageContent": DEFAULT_ERROR_PAGE.replace("Go back", "Back to Acme"),
        "contentSecurityPolicySetting": {"mode": "report_only", "reportUri": null, "srcList": []},
    }));
    default.error_page.preview = default.error_page.customized.clone();

    let customization_id = state.new_id(CUSTOMIZATION_PREFIX);
    let now = crate::ids::timestamp(chrono::Utc::now());
    if let Some(activation) = default.templates.get_mut("UserActivation") {
        activation.customizations.insert(
            customization_id.clone(),
            json!({
                "id": customization_id,
                "language": "en",
                "isDefault": true,
                "subject": "Welcome to ${org.name}, ${user.profile.firstName}!",
                "body": "<!DOCTYPE html><html><body><p>Hello, ${user.profile.firstName}. <a href=\"${activationLink}\">Activate your Acme account</a>.</p></body></html>",
                "created": now,
                "lastUpdated": now,
            }),
        );
    }

    let domain_id = state.new_id(DOMAIN_PREFIX);
    let token = crate::ids::base62(&mut state.rng, 32);
    state.domains.insert(
        domain_id.clone(),
        json!({
            "id": domain_id,
            "domain": "login.acme-sandbox.example",
            "certificateSourceType": "OKTA_MANAGED",
            "validationStatus": "COMPLETED",
            "brandId": default_id,
            "dnsRecords": domain_dns_records("login.acme-sandbox.example", &token, "2030-01-01T00:00:00.000Z"),
            "publicCertificate": {
                "subject": "CN=login.acme-sandbox.example",
                "fingerprint": "73:1D:5F:6A:8E:1E:8B:2C:9F:11:5A:0B:7D:3C:42:90:AF:16:88:01:5C:6E:2D:44:B1:97:3E:0A:52:C8:77:19",
                "expiration": "2030-01-01T00:00:00.000Z",
            },
        }),
    );

    state.brands.insert(default_id, default);
    let partners = new_brand(&mut state, "Acme Partners", false);
    let partners_id = partners.data["id"].as_str().unwrap_or_default().to_owned();
    state.brands.insert(partners_id, partners);
    state
}
