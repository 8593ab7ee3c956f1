//! Branding: brands, their themes, custom sign-in and error pages, email templates, and the
//! custom and email domains that serve them. One toolset per module.

pub mod brands;
pub mod custom_domains;
pub mod custom_pages;
pub mod email_domains;
pub mod email_templates;
pub mod themes;
