//! Branding data (brands, themes, pages, email templates, custom and email domains) kept
//! apart from the org's directory data, one seeded copy per running sandbox.
//!
//! The state lives in a registry keyed by the sandbox's origin and tied to that sandbox's
//! bearer checker, so a later sandbox that reuses the port starts from a fresh seed.

pub mod images;
pub mod multipart;
pub mod render;
pub mod seed;

use super::AppState;
use crate::error::ApiError;
use axum::http::StatusCode;
use rand::rngs::StdRng;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

/// One customizable page (error or sign-in): Okta's default, plus the live and preview edits.
#[derive(Debug, Clone)]
pub struct PageSet {
    pub default: Value,
    pub customized: Option<Value>,
    pub preview: Option<Value>,
}

/// One email template of a brand: its settings and its per-language customizations.
#[derive(Debug, Clone)]
pub struct Template {
    pub recipients: String,
    /// customization id → EmailCustomization (without `_links`).
    pub customizations: BTreeMap<String, Value>,
}

/// A brand and everything that hangs off it.
#[derive(Debug, Clone)]
pub struct Brand {
    /// The Brand object without `_links`.
    pub data: Value,
    /// theme id → ThemeResponse (without `_links`); Okta gives every brand exactly one.
    pub themes: BTreeMap<String, Value>,
    pub error_page: PageSet,
    pub sign_in_page: PageSet,
    /// HostedPage of the sign-out page.
    pub sign_out: Value,
    /// template name → template.
    pub templates: BTreeMap<String, Template>,
}

#[derive(Debug)]
pub struct BrandingState {
    pub base_url: String,
    pub brands: BTreeMap<String, Brand>,
    /// custom domain id → DomainResponse (without `_links`).
    pub domains: BTreeMap<String, Value>,
    /// email domain id → EmailDomainResponse (without `_links`).
    pub email_domains: BTreeMap<String, Value>,
    pub rng: StdRng,
}

impl BrandingState {
    pub fn brand(&self, id: &str) -> Result<&Brand, ApiError> {
        self.brands
            .get(id)
            .ok_or_else(|| ApiError::not_found(id, "Brand"))
    }

    pub fn brand_mut(&mut self, id: &str) -> Result<&mut Brand, ApiError> {
        self.brands
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(id, "Brand"))
    }

    pub fn new_id(&mut self, prefix: &str) -> String {
        crate::ids::okta_id(&mut self.rng, prefix)
    }

    /// The brand Okta uses for the org's own subdomain.
    pub fn default_brand_id(&self) -> Option<String> {
        self.brands
            .iter()
            .find(|(_, b)| b.data["isDefault"] == Value::Bool(true))
            .map(|(id, _)| id.clone())
    }
}

/// A new non-default brand with Okta's default theme, pages and templates.
pub fn seed_brand(state: &mut BrandingState, name: &str) -> Brand {
    seed::new_brand(state, name, false)
}

type Entry = (Weak<dyn super::Authorizer>, Arc<Mutex<BrandingState>>);

fn registry() -> &'static Mutex<HashMap<String, Entry>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Entry>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The branding state of the sandbox serving `app`, seeded on first use.
pub fn shared(app: &AppState) -> Arc<Mutex<BrandingState>> {
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    // Entries of stopped sandboxes are dead weight; drop them while we hold the lock.
    map.retain(|_, (owner, _)| owner.strong_count() > 0);
    let owner = Arc::downgrade(&app.auth);
    if let Some((known, state)) = map.get(&app.base_url)
        && Weak::ptr_eq(known, &owner)
    {
        return state.clone();
    }
    let state = Arc::new(Mutex::new(seed::build(&app.base_url)));
    map.insert(app.base_url.clone(), (owner, state.clone()));
    state
}

/// Runs `f` with the locked branding state (never held across an `.await`).
pub fn with<T>(app: &AppState, f: impl FnOnce(&mut BrandingState) -> T) -> T {
    let state = shared(app);
    let mut guard: MutexGuard<'_, BrandingState> = state.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// A JSON object with `_links` added, as the API returns it.
pub fn with_links(mut value: Value, links: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.insert("_links".into(), links);
    }
    value
}

/// `{"href": url, "hints": {"allow": [...]}}`.
pub fn link(href: String, allow: &[&str]) -> Value {
    serde_json::json!({ "href": href, "hints": { "allow": allow } })
}

/// 400 E0000001 naming the offending field.
pub fn invalid(field: &str, cause: impl Into<String>) -> ApiError {
    ApiError::validation(field, cause)
}

/// An Okta error with its own code and status (409s and the like).
pub fn conflict(code: &'static str, summary: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, summary)
}

/// A required string field of a request body.
pub fn required_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(invalid(
            field,
            format!("{field}: The field cannot be left blank"),
        )),
        Some(_) => Err(invalid(field, format!("{field}: must be a string"))),
    }
}

/// An optional string field (absent and null are both None).
pub fn optional_str<'a>(
    body: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(field, format!("{field}: must be a string"))),
    }
}

/// An optional boolean field.
pub fn optional_bool(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(field, format!("{field}: must be true or false"))),
    }
}

/// A value that must be one of `allowed` (Okta's enums are case-sensitive).
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{field}: '{value}' is not one of {}", allowed.join(", ")),
        ))
    }
}

/// BCP 47 language tag shape (`en`, `fr-CA`, `zh-Hant-TW`); tags compare case-insensitively.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A DNS name with at least two labels, each 1-63 letters, digits or inner hyphens.
pub fn is_fqdn(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_and_domain_names() {
        for ok in ["en", "fr-CA", "zh-Hant-TW", "EN-us"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english-", "en_US", "fr--CA"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
        assert!(is_fqdn("login.example.com"));
        assert!(is_fqdn("Login.Example.COM."));
        assert!(!is_fqdn("localhost"));
        assert!(!is_fqdn("-bad.example.com"));
        assert!(!is_fqdn("a..b"));
    }
}
