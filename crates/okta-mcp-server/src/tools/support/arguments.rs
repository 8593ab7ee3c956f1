//! Checks on argument values that serde cannot express.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::error::ToolError;

/// IDs are encoded as one path segment by the client, so no character is dangerous; an
/// empty one would address the collection instead of an object, so it is refused.
pub fn non_empty(name: &str, value: &str) -> Result<(), ToolError> {
    if value.trim().is_empty() {
        return Err(ToolError::InvalidArguments(format!(
            "{name} must not be empty"
        )));
    }
    Ok(())
}

/// The deprecated two-step delete tools still demand the literal word, as the Python server did.
pub fn require_delete_word(confirmation: &str, what: &str) -> Result<(), ToolError> {
    if confirmation != "DELETE" {
        return Err(ToolError::InvalidArguments(format!(
            "confirmation must be exactly DELETE (upper case) to delete the {what}"
        )));
    }
    Ok(())
}
