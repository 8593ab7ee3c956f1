//! The Okta Integration Network catalog the sandbox offers: which sign-on modes each
//! integration supports and which `settings.app` fields installing it requires. Seeding,
//! `POST /api/v1/apps` validation and `/api/v1/catalog/apps` all read it.

/// One integration: key, display name, category, sign-on modes, required `settings.app` fields.
pub struct CatalogApp {
    pub name: &'static str,
    pub display_name: &'static str,
    pub category: &'static str,
    pub sign_on_modes: &'static [&'static str],
    pub required_settings: &'static [&'static str],
}

const fn entry(
    name: &'static str,
    display_name: &'static str,
    category: &'static str,
    sign_on_modes: &'static [&'static str],
    required_settings: &'static [&'static str],
) -> CatalogApp {
    CatalogApp {
        name,
        display_name,
        category,
        sign_on_modes,
        required_settings,
    }
}

/// Sorted by `name`, the catalog's paging key.
pub const CATALOG: &[CatalogApp] = &[
    entry(
        "amazon_aws",
        "AWS Account Federation",
        "Cloud Infrastructure",
        &["SAML_2_0"],
        &[],
    ),
    entry(
        "atlassian",
        "Atlassian Cloud",
        "Collaboration",
        &["SAML_2_0"],
        &[],
    ),
    entry(
        "bookmark",
        "Bookmark App",
        "Bookmark",
        &["BOOKMARK"],
        &["url"],
    ),
    entry(
        "box",
        "Box",
        "Content Management",
        &["SAML_2_0", "BROWSER_PLUGIN"],
        &[],
    ),
    entry("docusign", "DocuSign", "Productivity", &["SAML_2_0"], &[]),
    entry(
        "dropbox_for_business",
        "Dropbox Business",
        "Content Management",
        &["SAML_2_0", "BROWSER_PLUGIN"],
        &[],
    ),
    entry(
        "githubcloud",
        "GitHub Enterprise Cloud - Organization",
        "Developer Tools",
        &["SAML_2_0"],
        &["githubOrg"],
    ),
    entry(
        "google",
        "Google Workspace",
        "Productivity",
        &["SAML_2_0", "BROWSER_PLUGIN"],
        &["domain"],
    ),
    entry(
        "msft_office365",
        "Microsoft Office 365",
        "Productivity",
        &["WS_FEDERATION"],
        &["domain", "msftTenant"],
    ),
    entry(
        "okta_org2org",
        "Okta Org2Org",
        "Identity",
        &["SAML_2_0"],
        &["baseUrl"],
    ),
    entry(
        "pagerduty",
        "PagerDuty",
        "IT Service Management",
        &["SAML_2_0"],
        &["subdomain"],
    ),
    entry(
        "salesforce",
        "Salesforce.com",
        "CRM",
        &["SAML_2_0", "BROWSER_PLUGIN"],
        &["instanceType"],
    ),
    entry(
        "servicenow_ud",
        "ServiceNow - UD",
        "IT Service Management",
        &["SAML_2_0"],
        &["url"],
    ),
    entry(
        "slack",
        "Slack",
        "Collaboration",
        &["SAML_2_0"],
        &["domain"],
    ),
    entry(
        "template_basic_auth",
        "Template Basic Auth App",
        "Template",
        &["BASIC_AUTH"],
        &["url", "authURL"],
    ),
    entry(
        "template_sps",
        "Template App (Secure Password Store)",
        "Template",
        &["SECURE_PASSWORD_STORE"],
        &["url", "usernameField", "passwordField"],
    ),
    entry(
        "template_swa",
        "Template Plugin App",
        "Template",
        &["BROWSER_PLUGIN"],
        &["url", "usernameField", "passwordField", "buttonField"],
    ),
    entry(
        "template_wsfed",
        "Template WS-Fed App",
        "Template",
        &["WS_FEDERATION"],
        &["realm", "wReplyURL"],
    ),
    entry("workday", "Workday", "HR", &["SAML_2_0"], &["siteURL"]),
    entry(
        "zendesk",
        "Zendesk",
        "Customer Support",
        &["SAML_2_0"],
        &["companySubdomain"],
    ),
    entry(
        "zoomus",
        "Zoom",
        "Collaboration",
        &["SAML_2_0"],
        &["subDomain"],
    ),
];

pub fn find(name: &str) -> Option<&'static CatalogApp> {
    CATALOG.iter().find(|app| app.name == name)
}

/// An OIN integration, as opposed to the template and bookmark entries that back custom apps.
pub fn is_integration(app: &CatalogApp) -> bool {
    app.category != "Template" && app.category != "Bookmark"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_by_name_and_unique() {
        assert!(CATALOG.windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn seeded_integrations_are_in_the_catalog() {
        for name in [
            "salesforce",
            "slack",
            "google",
            "zoomus",
            "workday",
            "githubcloud",
            "atlassian",
            "amazon_aws",
            "dropbox_for_business",
            "msft_office365",
        ] {
            assert!(find(name).is_some_and(is_integration), "{name}");
        }
    }
}
