//! `/api/v1/catalog/apps`: the Okta Integration Network catalog the admin console uses
//! (not in the public spec). Like Okta's, it pages by app `name` (`after`) and sends no
//! `Link` header.

use super::AppState;
use super::Query;
use super::paging::{LimitRule, parse_limit};
use crate::catalog::{CATALOG, CatalogApp, find, is_integration};
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

/// Okta's catalog page size when `limit` is absent; the catalog allows up to 200.
const LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 200,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalog/apps", get(list))
        .route("/api/v1/catalog/apps/{name}", get(get_one))
}

fn render(state: &AppState, app: &CatalogApp, with_schema: bool) -> Value {
    let base = &state.base_url;
    let mut value = json!({
        "name": app.name,
        "displayName": app.display_name,
        "description": format!("{} integration from the Okta Integration Network", app.display_name),
        "category": app.category,
        "status": "ACTIVE",
        "signOnModes": app.sign_on_modes,
        "features": if is_integration(app) { json!(["IMPORT_NEW_USERS", "PUSH_NEW_USERS"]) } else { json!([]) },
        "verificationStatus": if is_integration(app) { "OKTA_VERIFIED" } else { "COMMUNITY_CREATED" },
        "_links": {
            "self": {"href": format!("{base}/api/v1/catalog/apps/{}", app.name)},
            "logo": [{"name": "medium", "href": format!("{base}/assets/img/logos/{}.png", app.name), "type": "image/png"}],
        },
    });
    if with_schema {
        let properties: Map<String, Value> = app
            .required_settings
            .iter()
            .map(|field| {
                (
                    (*field).to_owned(),
                    json!({"type": "string", "title": field, "required": true}),
                )
            })
            .collect();
        value["_embedded"] = json!({"schema": {
            "type": "object",
            "properties": properties,
            "required": app.required_settings,
        }});
    }
    value
}

/// GET /api/v1/catalog/apps?q=&after=&limit=: `q` matches name or display name
/// (case-insensitive substring); `after` is the last `name` seen.
async fn list(State(state): State<AppState>, query: Query) -> Result<Json<Value>, ApiError> {
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let q = query.non_empty("q").map(str::to_lowercase);
    let after = query.non_empty("after");
    let items: Vec<Value> = CATALOG
        .iter()
        .filter(|app| after.is_none_or(|a| app.name > a))
        .filter(|app| {
            q.as_ref().is_none_or(|q| {
                app.name.contains(q.as_str())
                    || app.display_name.to_lowercase().contains(q.as_str())
            })
        })
        .take(limit)
        .map(|app| render(&state, app, false))
        .collect();
    Ok(Json(Value::Array(items)))
}

/// GET /api/v1/catalog/apps/{name}?expand=schema
async fn get_one(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let app = find(&name).ok_or_else(|| ApiError::not_found(&name, "CatalogApp"))?;
    let with_schema = query
        .non_empty("expand")
        .is_some_and(|e| e.split(',').any(|x| x.trim() == "schema"));
    Ok(Json(render(&state, app, with_schema)))
}
