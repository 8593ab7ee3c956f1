//! File uploads: one `multipart/form-data` part, as Okta's image endpoints take them.

use serde_json::Value;

/// A file sent as one multipart part (Okta's theme images use the field `file`). Debug
/// output shows its name, type and size, never its bytes.
#[derive(Clone)]
pub struct Upload {
    pub field: String,
    pub file_name: String,
    /// MIME type, e.g. `image/png`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Upload {
    /// A part named `file`, the field every Okta upload endpoint reads.
    pub fn file(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        Self {
            field: "file".to_owned(),
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes,
        }
    }

    /// A fresh form for one attempt (a form is consumed when sent).
    pub(crate) fn form(&self) -> Result<reqwest::multipart::Form, crate::ApiError> {
        let part = reqwest::multipart::Part::bytes(self.bytes.clone())
            .file_name(self.file_name.clone())
            .mime_str(&self.content_type)
            .map_err(|_| {
                crate::ApiError::InvalidRequest(format!(
                    "{:?} is not a valid content type",
                    self.content_type
                ))
            })?;
        Ok(reqwest::multipart::Form::new().part(self.field.clone(), part))
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("field", &self.field)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What one request carries, borrowed for each attempt.
#[derive(Clone, Copy)]
pub(crate) enum Payload<'a> {
    Empty,
    Json(&'a Value),
    File(&'a Upload),
}
