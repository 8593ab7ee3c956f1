//! Management API path literals, shared by the client's users and by tests.

pub const USERS: &str = "/api/v1/users";
pub const GROUPS: &str = "/api/v1/groups";
pub const APPS: &str = "/api/v1/apps";
pub const POLICIES: &str = "/api/v1/policies";
pub const DEVICE_ASSURANCES: &str = "/api/v1/device-assurances";
pub const LOGS: &str = "/api/v1/logs";
pub const BRANDS: &str = "/api/v1/brands";
pub const DOMAINS: &str = "/api/v1/domains";
pub const EMAIL_DOMAINS: &str = "/api/v1/email-domains";
