//! The registry: every toolset in one typed table (its `--toolsets` name and the function
//! that declares its tools), and the catalogue assembled from it. A new area is one row.

use crate::tools::ToolDef;
use crate::tools::{
    admin_roles, apps, authenticators, branding, device_assurance, groups, logs, meta,
    network_zones, policies, users,
};

/// Declares the `Toolset` enum, its names and its tools from one row per toolset, so the
/// variant, the name `--toolsets` takes and the catalogue cannot drift apart.
macro_rules! toolsets {
    ($($variant:ident => $name:literal, $tools:path;)+) => {
        /// A group of tools that can be switched on or off together (`--toolsets`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Toolset {
            $($variant,)+
        }

        impl Toolset {
            /// Every toolset, in catalogue order.
            pub const ALL: &'static [Toolset] = &[$(Toolset::$variant,)+];

            /// The name `--toolsets` and `OKTA_MCP_TOOLSETS` take.
            pub fn name(self) -> &'static str {
                match self {
                    $(Toolset::$variant => $name,)+
                }
            }

            /// The tools this toolset declares, in catalogue order.
            pub fn tools(self) -> Vec<ToolDef> {
                match self {
                    $(Toolset::$variant => $tools(),)+
                }
            }
        }
    };
}

toolsets! {
    Users => "users", users::tools;
    Groups => "groups", groups::tools;
    Apps => "apps", apps::tools;
    Policies => "policies", policies::tools;
    DeviceAssurance => "device_assurance", device_assurance::tools;
    Logs => "logs", logs::tools;
    Brands => "brands", branding::brands::tools;
    Themes => "themes", branding::themes::tools;
    CustomPages => "custom_pages", branding::custom_pages::tools;
    EmailTemplates => "email_templates", branding::email_templates::tools;
    CustomDomains => "custom_domains", branding::custom_domains::tools;
    EmailDomains => "email_domains", branding::email_domains::tools;
    AdminRoles => "admin_roles", admin_roles::tools;
    NetworkZones => "network_zones", network_zones::tools;
    Authenticators => "authenticators", authenticators::tools;
    Meta => "meta", meta::tools;
}

/// Parses `users,groups,logs`; `meta` (get_scope_status) is always kept.
pub fn parse_toolsets(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = raw.to_ascii_lowercase().replace('-', "_");
        if name == "all" {
            return Ok(Toolset::ALL.iter().map(|t| t.name().to_owned()).collect());
        }
        if !Toolset::ALL.iter().any(|t| t.name() == name) {
            let known: Vec<&str> = Toolset::ALL.iter().map(|t| t.name()).collect();
            return Err(format!(
                "unknown toolset {raw:?}; known: all, {}",
                known.join(", ")
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// Every tool this server knows, in catalogue order.
pub fn all_tools() -> Vec<ToolDef> {
    Toolset::ALL.iter().flat_map(|t| t.tools()).collect()
}

/// Every Okta scope some tool needs, sorted.
pub fn all_scopes() -> Vec<String> {
    let set: std::collections::BTreeSet<&str> =
        all_tools().iter().filter_map(|t| t.spec.scope).collect();
    set.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_sits_in_the_toolset_that_declares_it() {
        for toolset in Toolset::ALL {
            for tool in toolset.tools() {
                assert_eq!(tool.spec.toolset, *toolset, "{}", tool.spec.name);
            }
        }
    }

    #[test]
    fn toolset_lists_parse_and_unknown_names_are_refused() {
        assert_eq!(
            parse_toolsets("Users, device-assurance").unwrap(),
            ["users", "device_assurance"]
        );
        assert_eq!(parse_toolsets("all").unwrap().len(), Toolset::ALL.len());
        let err = parse_toolsets("users,nope").unwrap_err();
        assert!(
            err.contains("\"nope\"") && err.contains("email_domains"),
            "{err}"
        );
    }
}
