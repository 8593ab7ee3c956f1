//! Who a tool call acts for. In team mode (`serve --transport http --auth oauth`) the
//! authorization layer resolves the bearer token to the signed-in person and puts a `Caller`
//! into the HTTP request's extensions; the tool path reads it from there to pick that
//! person's Okta token and to name them in the audit journal. Over stdio, and on HTTP
//! without authentication, there is no per-request caller: the server's own identity acts.

use rmcp::RoleServer;
use rmcp::service::RequestContext;
use std::sync::Arc;

/// The signed-in person behind one request. Holds identifiers only, never a token.
///
/// A handle on one shared [`Identity`]: a request's extensions are copied on its way through
/// the HTTP layers and rmcp (some four times per tool call), and each copy of a plain struct
/// was four strings allocated and freed again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller(Arc<Identity>);

#[derive(Debug, PartialEq, Eq)]
pub struct Identity {
    /// The Okta user id (`sub` of the person's Okta ID token).
    pub user_id: String,
    /// The person's Okta login (`preferred_username`), for people reading the audit journal.
    pub login: String,
    /// The MCP client this server registered (or resolved from a metadata document).
    pub client_id: String,
    /// The client's self-declared name, when it gave one.
    pub client_name: Option<String>,
    /// The scopes this server granted the client's token: tools/list is pruned by them.
    /// Shared with the access record it was read from, not copied.
    pub scopes: Arc<[String]>,
}

impl std::ops::Deref for Caller {
    type Target = Identity;

    fn deref(&self) -> &Identity {
        &self.0
    }
}

impl From<Identity> for Caller {
    fn from(identity: Identity) -> Self {
        Caller(Arc::new(identity))
    }
}

impl Caller {
    /// The caller the authorization layer attached to this request, if any.
    pub fn of(context: &RequestContext<RoleServer>) -> Option<&Caller> {
        put_by_http_layers(context)
    }
}

/// What an HTTP layer put in the request this MCP request came in (rmcp keeps the HTTP
/// request's parts, extensions included, in the MCP request's extensions).
pub fn put_by_http_layers<T: Send + Sync + 'static>(
    context: &RequestContext<RoleServer>,
) -> Option<&T> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<T>())
}
