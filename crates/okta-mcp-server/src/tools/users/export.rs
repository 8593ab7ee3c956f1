//! export_users_csv: every matching user to a CSV file, one page in memory at a time, written
//! to a temporary file beside the target and moved into place only when complete.

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::files::{self, FileRules, WriteTarget};
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// The anchor's columns, in its order: two user fields, then profile attributes.
pub const COLUMNS: [&str; 17] = [
    "id",
    "status",
    "login",
    "email",
    "firstName",
    "lastName",
    "displayName",
    "mobilePhone",
    "primaryPhone",
    "department",
    "title",
    "organization",
    "userType",
    "employeeNumber",
    "costCenter",
    "division",
    "manager",
];

/// Okta's largest users page.
const PAGE_SIZE: u32 = 200;
/// 200,000 users; memory stays at one page whatever the size, this only bounds the time.
const MAX_PAGES: usize = 1000;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ExportUsersParams {
    /// CSV file to create, inside OKTA_MCP_ALLOWED_KEY_DIRS (default: the temp dir).
    #[serde(default = "default_path")]
    pub output_path: String,
    /// Okta search expression, e.g. `status eq "ACTIVE"`.
    #[serde(default)]
    pub search: Option<String>,
    /// Okta filter expression.
    #[serde(default)]
    pub filter: Option<String>,
    /// Name/email prefix.
    #[serde(default)]
    pub q: Option<String>,
    /// Replace output_path if it already exists.
    #[serde(default)]
    pub overwrite: bool,
}

fn default_path() -> String {
    "/tmp/okta_users_export.csv".into()
}

pub fn export_users_csv() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "export_users_csv",
            title: "Export users to CSV",
            description: "Write every matching user to a CSV file (id, status and 15 profile columns); returns the count, not the users. Never overwrites unless overwrite=true.",
            toolset: Toolset::Users,
            scope: Some("okta.users.read"),
            // Reads the org; the only thing written is a new local file in an allowed dir.
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ExportUsersParams| async move { export(&ctx, p).await },
    )
    .returns(schemas::requiring(schemas::object(&[("output_path", "string"), ("total_users", "integer"), ("pages_fetched", "integer"), ("stopped_early", "boolean"), ("stop_reason", "string|null"), ("warning", "string"), ("note", "string")]), &["output_path", "total_users", "stopped_early"]))
}

async fn export(ctx: &ToolCtx, p: ExportUsersParams) -> Result<Value, ToolError> {
    let target = files::writable(&p.output_path, FileRules::of(&ctx.settings), p.overwrite)?;
    let shown = target.shown.clone();
    let mut temp = TempFile::create(target)?;
    temp.write(header().as_bytes()).await?;

    let request = ApiRequest::get(ApiPath::new(paths::USERS))
        .query_opt("search", p.search.filter(|s| !s.trim().is_empty()))
        .query_opt("filter", p.filter.filter(|s| !s.trim().is_empty()))
        .query_opt("q", p.q.filter(|s| !s.trim().is_empty()))
        .query("limit", PAGE_SIZE);
    let observer = Observer::of(ctx);
    let mut pages = PageWalk::new(&observer, ctx.client.pages(request), MAX_PAGES);
    let mut users = 0u64;
    let mut unnamed = 0u64;
    while let Some(page) = pages.next().await {
        let mut chunk = String::new();
        for user in &page.items {
            if missing_name(user) {
                unnamed += 1;
            }
            push_row(&mut chunk, user);
        }
        users += page.items.len() as u64;
        temp.write(chunk.as_bytes()).await?;
        pages.took(page.items.len() as u64);
    }
    let walked = pages.finish();
    let stop_reason = match walked.end {
        WalkEnd::Complete | WalkEnd::Stopped => None,
        WalkEnd::Cancelled => {
            return Err(ToolError::Refused(
                "export cancelled by the client; no file was written".into(),
            ));
        }
        // Nothing exported yet: the error is the answer (and the temp file is removed).
        WalkEnd::Failed(e) if walked.pages == 0 => return Err(e.into()),
        WalkEnd::Failed(e) => Some(format!("API error: {e}")),
        WalkEnd::Unfollowed(reason) => Some(reason),
        WalkEnd::PageCap { .. } => Some(format!(
            "reached the page limit ({MAX_PAGES} pages of {PAGE_SIZE}); narrow the export with search or filter"
        )),
    };
    let pages = walked.pages;
    temp.finish(p.overwrite).await?;

    let stopped_early = stop_reason.is_some();
    let mut out = json!({
        "output_path": shown.display().to_string(),
        "total_users": users,
        "pages_fetched": pages,
        "stopped_early": stopped_early,
        "stop_reason": stop_reason,
    });
    if stopped_early {
        out["warning"] =
            json!("The file holds only the users fetched before the stop; it is incomplete.");
    }
    if unnamed > 0 {
        out["note"] = json!(format!(
            "{unnamed} user(s) have an empty first or last name."
        ));
    }
    Ok(out)
}

fn missing_name(user: &Value) -> bool {
    ["firstName", "lastName"].iter().any(|k| {
        user["profile"][k]
            .as_str()
            .is_none_or(|s| s.trim().is_empty())
    })
}

fn header() -> String {
    let mut line = COLUMNS.join(",");
    line.push_str("\r\n");
    line
}

/// One CSV record (CRLF-terminated, RFC 4180) for a user.
fn push_row(out: &mut String, user: &Value) {
    for (i, column) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let value = match *column {
            "id" | "status" => &user[*column],
            other => &user["profile"][other],
        };
        out.push_str(&csv_field(&text(value)));
    }
    out.push_str("\r\n");
}

fn text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// Quotes a field when it holds a comma, quote, CR or LF (doubling quotes), and defuses
/// spreadsheet formulas: a value starting with = + - @ (or tab/CR) gets a leading `'`.
pub fn csv_field(raw: &str) -> Cow<'_, str> {
    let guarded: Cow<'_, str> = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{raw}"))
    } else {
        Cow::Borrowed(raw)
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", guarded.replace('"', "\"\"")))
    } else {
        guarded
    }
}

/// The export's temporary file beside the target, created owner-only (0600: the allowed
/// directory is often the shared temp dir, and the file lists the whole user directory);
/// removed on drop unless moved into place, so an error or a cancelled call never leaves a
/// partial file behind. Every step goes through the checked directory's handle.
struct TempFile {
    target: WriteTarget,
    temp_name: String,
    writer: Option<tokio::io::BufWriter<tokio::fs::File>>,
}

impl TempFile {
    fn create(target: WriteTarget) -> Result<Self, ToolError> {
        let temp_name = format!(
            ".{}.{}.part",
            target.name.to_string_lossy(),
            uuid::Uuid::new_v4().simple()
        );
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use cap_std::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = target
            .dir
            .open_with(&temp_name, &options)
            .map_err(|e| io_error(&target.shown, e))?
            .into_std();
        Ok(Self {
            target,
            temp_name,
            writer: Some(tokio::io::BufWriter::new(tokio::fs::File::from_std(file))),
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ToolError> {
        let shown = &self.target.shown;
        match self.writer.as_mut() {
            Some(w) => w.write_all(bytes).await.map_err(|e| io_error(shown, e)),
            None => Ok(()),
        }
    }

    /// Flushes to disk and moves the file to its name; without `overwrite` the move fails if
    /// a file appeared there meanwhile (a hard link never replaces an existing name).
    async fn finish(mut self, overwrite: bool) -> Result<(), ToolError> {
        let shown = self.target.shown.clone();
        if let Some(mut writer) = self.writer.take() {
            writer.flush().await.map_err(|e| io_error(&shown, e))?;
            writer
                .get_mut()
                .sync_all()
                .await
                .map_err(|e| io_error(&shown, e))?;
        }
        let dir = &self.target.dir;
        let (temp, name) = (&self.temp_name, &self.target.name);
        if overwrite {
            return dir.rename(temp, dir, name).map_err(|e| io_error(&shown, e));
        }
        match dir.hard_link(temp, dir, name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(ToolError::Refused(format!(
                    "{} appeared while exporting; choose another name or pass overwrite: true",
                    shown.display()
                )))
            }
            // File systems without hard links: a plain rename, after checking again.
            Err(_) if dir.symlink_metadata(name).is_err() => {
                dir.rename(temp, dir, name).map_err(|e| io_error(&shown, e))
            }
            Err(e) => Err(io_error(&shown, e)),
        }
        // Drop removes the temp name (already gone after a rename).
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = self.target.dir.remove_file(&self.temp_name);
    }
}

fn io_error(path: &Path, e: std::io::Error) -> ToolError {
    ToolError::Refused(format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn defuses_formulas() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1 555 0100"), "'+1 555 0100");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("a=b"), "a=b");
    }

    #[test]
    fn a_row_has_every_column_in_order() {
        let user = json!({
            "id": "00u1", "status": "ACTIVE",
            "profile": {"login": "a@b.c", "email": "a@b.c", "firstName": "Ann", "lastName": "O'Neil, Jr.",
                        "employeeNumber": 42, "manager": null}
        });
        let mut row = String::new();
        push_row(&mut row, &user);
        assert_eq!(
            row,
            "00u1,ACTIVE,a@b.c,a@b.c,Ann,\"O'Neil, Jr.\",,,,,,,,42,,,\r\n"
        );
        assert_eq!(header().trim_end().split(',').count(), 17);
        assert!(missing_name(
            &json!({"profile": {"firstName": "A", "lastName": " "}})
        ));
        assert!(!missing_name(&user));
    }
}
