//! How a confirmation prompt or message names an object: `name (id)`, looked up at the org,
//! falling back to the id the caller gave when the lookup fails.

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use okta_client::{ApiPath, ApiRequest, paths};
use serde_json::Value;

/// `login (id)` when the user object has a login, else the id.
pub fn describe_user(user: &Value, id: &str) -> String {
    match user["profile"]["login"].as_str() {
        Some(login) => format!("{login} ({id})"),
        None => id.to_owned(),
    }
}

/// Names a user for a confirmation prompt; falls back to what was given if the lookup fails.
pub async fn user_label(ctx: &ToolCtx, user_id: &str) -> String {
    if user_id.trim().is_empty() {
        return user_id.to_owned();
    }
    let req = ApiRequest::get(ApiPath::new(paths::USERS).id(user_id));
    match ctx.client.send(req).await {
        Ok(found) => {
            let id = found.body["id"].as_str().unwrap_or(user_id).to_owned();
            describe_user(&found.body, &id)
        }
        Err(_) => user_id.to_owned(),
    }
}

/// Names a group for a confirmation prompt; falls back to the id if the lookup fails.
pub async fn group_label(ctx: &ToolCtx, group_id: &str) -> String {
    if group_id.trim().is_empty() {
        return group_id.to_owned();
    }
    let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(group_id));
    match ctx.client.send(req).await {
        Ok(found) => match found.body["profile"]["name"].as_str() {
            Some(name) => format!("{name} ({group_id})"),
            None => group_id.to_owned(),
        },
        Err(_) => group_id.to_owned(),
    }
}

/// `name (id)` of a brand for prompts and messages; the id alone if it cannot be read.
pub async fn brand_label(ctx: &ToolCtx, brand_id: &str) -> String {
    let req = ApiRequest::get(ApiPath::new(paths::BRANDS).id(brand_id));
    match ctx.client.send(req).await {
        Ok(found) => match found.body["name"].as_str() {
            Some(name) => format!("\"{name}\" ({brand_id})"),
            None => brand_id.to_owned(),
        },
        Err(_) => brand_id.to_owned(),
    }
}

/// A user as Okta has it now, read before a write that depends on their status: the id
/// Okta gives (a login resolves to it), `login (id)` for messages, and the status.
pub struct UserNow {
    pub id: String,
    pub label: String,
    pub status: String,
}

/// Reads `user_id` (an id or a login); an unknown user is Okta's 404, naming it.
pub async fn read_user_now(ctx: &ToolCtx, user_id: &str) -> Result<UserNow, ToolError> {
    let user = ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS).id(user_id)))
        .await?
        .body;
    let id = user["id"].as_str().unwrap_or(user_id).to_owned();
    Ok(UserNow {
        label: describe_user(&user, &id),
        status: user["status"].as_str().unwrap_or("UNKNOWN").to_owned(),
        id,
    })
}
