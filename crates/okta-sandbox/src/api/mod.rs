//! The Management API: one module per area, combined here with the bearer check that
//! guards every `/api/v1` call. Adding an area is one `.merge(area::routes())` line below
//! (and, for a new path prefix, one row in [`SCOPES`]).

pub(crate) mod admin_access;
mod app_access;
mod apps;
pub(crate) mod audit;
mod authenticators;
mod branding;
mod brands;
mod catalog;
mod device_assurance;
mod domains;
mod email_domains;
mod email_templates;
mod factors;
mod group_rules;
mod groups;
mod logs;
mod network_zones;
mod pages;
pub mod paging;
mod respond;
pub mod roles;
mod saml_metadata;
mod schema;
mod themes;

mod keep;
mod policies;
mod query;
mod users;

use crate::error::ApiError;
use crate::oauth::{BearerRejection, OAuthServer, TokenInfo};
use crate::org::SharedOrg;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::LINK;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub use query::Query;

/// Checks a Management API call's credentials; `OAuthServer` in production, fakes in tests.
pub trait Authorizer: Send + Sync + 'static {
    fn authenticate(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
        required_scope: &str,
    ) -> Result<TokenInfo, BearerRejection>;

    /// Ends a person's sessions at the org, and with `oauth_tokens` every OAuth token issued
    /// to them (`DELETE /api/v1/users/{id}/sessions`). Fakes need not do anything.
    fn end_sessions(&self, _user_id: &str, _oauth_tokens: bool) {}
}

impl Authorizer for OAuthServer {
    fn authenticate(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
        required_scope: &str,
    ) -> Result<TokenInfo, BearerRejection> {
        OAuthServer::authenticate(self, method, url, headers, required_scope)
    }

    fn end_sessions(&self, user_id: &str, oauth_tokens: bool) {
        OAuthServer::end_user_sessions(self, user_id, oauth_tokens);
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub org: SharedOrg,
    pub auth: Arc<dyn Authorizer>,
    /// The org's origin, for `Link` headers and for the URL handed to the bearer check.
    pub base_url: String,
}

/// Path prefix → scope family. The first match wins, so longer prefixes come first.
/// GET/HEAD need `{family}.read`; every other method needs `{family}.manage`.
pub const SCOPES: &[(&str, &str)] = &[
    ("/api/v1/users/*/roles", "okta.roles"),
    ("/api/v1/groups/*/roles", "okta.roles"),
    ("/api/v1/iam/assignees", "okta.roles"),
    ("/api/v1/zones", "okta.networkZones"),
    ("/api/v1/authenticators", "okta.authenticators"),
    ("/api/v1/users", "okta.users"),
    ("/api/v1/groups", "okta.groups"),
    ("/api/v1/apps", "okta.apps"),
    ("/api/v1/catalog/apps", "okta.apps"),
    ("/api/v1/logs", "okta.logs"),
    ("/api/v1/policies", "okta.policies"),
    ("/api/v1/device-assurances", "okta.deviceAssurance"),
    ("/api/v1/meta/schemas/user", "okta.schemas"),
    ("/api/v1/brands/*/templates", "okta.templates"),
    ("/api/v1/brands", "okta.brands"),
    ("/api/v1/domains", "okta.domains"),
    ("/api/v1/email-domains", "okta.emailDomains"),
];

/// The scope an `/api/v1` call needs, or None for paths outside the table.
pub fn required_scope(method: &Method, path: &str) -> Option<String> {
    let family = SCOPES
        .iter()
        .find(|(prefix, _)| prefix_matches(prefix, path))?
        .1;
    let access = if matches!(*method, Method::GET | Method::HEAD) {
        "read"
    } else {
        "manage"
    };
    Some(format!("{family}.{access}"))
}

/// Matches path segments, `*` standing for any one segment.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    let mut path_segments = path.split('/');
    prefix.split('/').all(|p| match path_segments.next() {
        Some(s) => p == "*" || p == s,
        None => false,
    })
}

/// Builds the Management API router (without the OAuth endpoints).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(users::routes())
        .merge(factors::routes())
        .merge(roles::routes())
        .merge(admin_access::routes())
        .merge(group_rules::routes())
        .merge(network_zones::routes())
        .merge(authenticators::routes())
        .merge(groups::routes())
        .merge(apps::routes())
        .merge(app_access::routes())
        .merge(saml_metadata::routes())
        .merge(catalog::routes())
        .merge(logs::routes())
        .merge(policies::routes())
        .merge(device_assurance::routes())
        .merge(brands::routes())
        .merge(themes::routes())
        .merge(pages::routes())
        .merge(email_templates::routes())
        .merge(domains::routes())
        .merge(email_domains::routes())
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .with_state(state)
}

/// Okta's name for one request: sent back as `X-Okta-Request-Id` on every response and
/// recorded as the System Log event's `transaction.id`, as the real org does.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The header real orgs name each request in.
pub const REQUEST_ID_HEADER: &str = "x-okta-request-id";

/// Gives every request a [`RequestId`] and answers with it in `X-Okta-Request-Id`.
pub async fn tag_request_id(mut request: Request, next: Next) -> Response {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let id: String = {
        let mut rng = rand::thread_rng();
        (0..26)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    };
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Answers paths no area serves with Okta's 404 body.
pub async fn not_found(request: Request) -> Response {
    ApiError::no_such_endpoint(request.uri().path()).into_response()
}

/// The URL as the client addressed it (its `Host`, e.g. `localhost:PORT`), which DPoP
/// proofs are bound to; the org URL when the request has no usable `Host`.
fn request_url(base_url: &str, request: &Request) -> String {
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()));
    match host {
        Some(host) => format!("http://{host}{path}"),
        None => format!("{base_url}{path}"),
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i])
}

/// Points `Link` headers at the origin the client used (e.g. `localhost`), so a client
/// that only follows links on its own org URL keeps paging.
fn relink(response: &mut Response, base_url: &str, origin: &str) {
    if origin == base_url {
        return;
    }
    let links: Vec<HeaderValue> = response
        .headers()
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.replace(&format!("<{base_url}/"), &format!("<{origin}/")))
        .filter_map(|v| HeaderValue::from_str(&v).ok())
        .collect();
    if links.is_empty() {
        return;
    }
    response.headers_mut().remove(LINK);
    for link in links {
        response.headers_mut().append(LINK, link);
    }
}

async fn authorize(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(scope) = required_scope(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let url = request_url(&state.base_url, &request);
    let outcome = state
        .auth
        .authenticate(request.method(), &url, request.headers(), &scope)
        .or_else(|rejection| {
            // Okta lets a `.manage` grant stand in for the matching `.read` scope.
            match scope.strip_suffix(".read") {
                Some(family) if rejection.status == StatusCode::FORBIDDEN => state
                    .auth
                    .authenticate(
                        request.method(),
                        &url,
                        request.headers(),
                        &format!("{family}.manage"),
                    )
                    .map_err(|_| rejection),
                _ => Err(rejection),
            }
        });
    match outcome {
        Ok(info) => {
            // A person's token also needs an admin role that allows the action (`roles`).
            if let Some(user_id) = &info.user_id
                && !roles::permits(
                    &state.org.read(),
                    user_id,
                    request.method(),
                    request.uri().path(),
                )
            {
                return ApiError::forbidden().into_response();
            }
            // Handlers attribute System Log events to the caller (see `audit`).
            request.extensions_mut().insert(info);
            let origin = origin_of(&url).to_owned();
            let mut response = next.run(request).await;
            relink(&mut response, &state.base_url, &origin);
            response
        }
        Err(rejection) => {
            let mut error = ApiError::new(
                rejection.status,
                rejection.error_code,
                rejection.error_summary,
            );
            error.www_authenticate = rejection.www_authenticate;
            error.into_response()
        }
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_url_follows_the_host_the_client_used() {
        let request = |host: Option<&str>| {
            let mut builder = axum::http::Request::builder().uri("/api/v1/users?limit=2");
            if let Some(host) = host {
                builder = builder.header("host", host);
            }
            builder.body(axum::body::Body::empty()).unwrap()
        };
        let base = "http://127.0.0.1:9";
        assert_eq!(
            request_url(base, &request(Some("localhost:9"))),
            "http://localhost:9/api/v1/users?limit=2"
        );
        assert_eq!(
            request_url(base, &request(None)),
            "http://127.0.0.1:9/api/v1/users?limit=2"
        );
    }

    #[test]
    fn link_headers_follow_the_origin_the_client_used() {
        assert_eq!(
            origin_of("http://localhost:9/api/v1/users?x=1"),
            "http://localhost:9"
        );
        assert_eq!(origin_of("http://localhost:9"), "http://localhost:9");
        let mut response = Response::new(axum::body::Body::empty());
        for rel in ["self", "next"] {
            let value = format!("<http://127.0.0.1:9/api/v1/users?limit=2>; rel=\"{rel}\"");
            response
                .headers_mut()
                .append(LINK, HeaderValue::from_str(&value).unwrap());
        }
        relink(&mut response, "http://127.0.0.1:9", "http://localhost:9");
        let links: Vec<&str> = response
            .headers()
            .get_all(LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(
            links,
            [
                "<http://localhost:9/api/v1/users?limit=2>; rel=\"self\"",
                "<http://localhost:9/api/v1/users?limit=2>; rel=\"next\""
            ]
        );
    }

    #[test]
    fn scopes_follow_method_and_path() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            required_scope(&get, "/api/v1/users").as_deref(),
            Some("okta.users.read")
        );
        assert_eq!(
            required_scope(&post, "/api/v1/users/00u1/lifecycle/activate").as_deref(),
            Some("okta.users.manage")
        );
        assert_eq!(
            required_scope(&get, "/api/v1/groups/00g1/users").as_deref(),
            Some("okta.groups.read")
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/api/v1/apps/0oa1").as_deref(),
            Some("okta.apps.manage")
        );
        assert_eq!(
            required_scope(&get, "/api/v1/logs").as_deref(),
            Some("okta.logs.read")
        );
        assert_eq!(
            required_scope(&Method::PUT, "/api/v1/device-assurances/dae1").as_deref(),
            Some("okta.deviceAssurance.manage")
        );
        assert_eq!(
            required_scope(&get, "/api/v1/brands/b1/templates/email").as_deref(),
            Some("okta.templates.read")
        );
        assert_eq!(
            required_scope(&get, "/api/v1/brands/b1/themes").as_deref(),
            Some("okta.brands.read")
        );
        assert_eq!(
            required_scope(&get, "/api/v1/email-domains").as_deref(),
            Some("okta.emailDomains.read")
        );
        assert_eq!(
            required_scope(&get, "/api/v1/domains").as_deref(),
            Some("okta.domains.read")
        );
        assert_eq!(required_scope(&get, "/api/v1/usersx"), None);
        assert_eq!(required_scope(&get, "/oauth2/v1/keys"), None);
    }
}

#[cfg(test)]
mod tests_read;
#[cfg(test)]
mod tests_write;
