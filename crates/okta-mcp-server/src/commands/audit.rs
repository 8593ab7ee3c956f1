//! `audit`: reads the audit journal, filtered by time, person and tool; a table for people,
//! JSON lines for scripts.

use crate::audit::{AUDIT_STREAM_KEY, AuditRecord, AuditStream, read_all};
use crate::cli::AuditArgs;
use crate::output;
use crate::settings::{Settings, parse_duration};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::process::ExitCode;

pub async fn run(settings: Settings, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = settings.audit_log.path()? else {
        anyhow::bail!("the audit journal is off (OKTA_MCP_AUDIT_LOG=off); nothing is recorded");
    };
    let since = args.since.as_deref().map(parse_since).transpose()?;
    // With the state in Redis the shared stream holds every replica's records.
    let stream = match &settings.state_url {
        Some(url) => Some((AuditStream::open(url).map_err(anyhow::Error::msg)?, url)),
        None => None,
    };
    let source = match &stream {
        Some((_, url)) => format!("the audit stream {AUDIT_STREAM_KEY} at {}", url.address()),
        None => path.display().to_string(),
    };
    let read = match &stream {
        Some((stream, _)) => Ok(stream
            .read_all()
            .await
            .map_err(|e| anyhow::anyhow!("reading {source}: {e}"))?),
        None => read_all(path),
    };
    let (records, skipped) = match read {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "no audit journal at {} yet: nothing has been recorded",
                path.display()
            );
            (Vec::new(), 0)
        }
        Err(e) => {
            return Err(e).with_context(|| format!("reading the audit journal {}", path.display()));
        }
    };
    let matching: Vec<&AuditRecord> = records
        .iter()
        .filter(|r| since.is_none_or(|t| record_time(r).is_some_and(|rt| rt >= t)))
        .filter(|r| args.user.as_deref().is_none_or(|who| r.is_by(who)))
        .filter(|r| {
            args.tool
                .as_deref()
                .is_none_or(|tool| r.tool.as_deref() == Some(tool))
        })
        .collect();
    if args.json {
        for record in &matching {
            output::print_line(&serde_json::to_string(record)?);
        }
    } else {
        output::print_line(&table(&matching));
    }
    if skipped > 0 {
        eprintln!(
            "skipped {skipped} unreadable record(s) in {source} (an unfinished last line after a crash is one)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `30m`, `1h`, `7d` back from now, or an RFC 3339 time.
fn parse_since(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(time.with_timezone(&Utc));
    }
    let back = parse_duration(text).map_err(|_| {
        anyhow::anyhow!(
            "--since: expected a duration back from now (30m, 1h, 7d) or an RFC 3339 time (2026-12-01T09:00:00Z), got {text:?}"
        )
    })?;
    let back = chrono::Duration::from_std(back).context("--since: too far back")?;
    Utc::now()
        .checked_sub_signed(back)
        .context("--since: too far back")
}

fn record_time(record: &AuditRecord) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&record.time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn table(records: &[&AuditRecord]) -> String {
    let header = [
        "TIME",
        "WHO",
        "CLIENT",
        "EVENT",
        "OUTCOME",
        "TARGETS",
        "OKTA REQUEST",
    ];
    let rows: Vec<[String; 7]> = records
        .iter()
        .map(|r| {
            let who = r
                .user_login
                .clone()
                .or_else(|| r.user_id.clone())
                .or_else(|| r.okta_client_id.as_ref().map(|c| format!("app {c}")))
                .unwrap_or_else(|| "-".into());
            let client = r
                .mcp_client_name
                .clone()
                .or_else(|| r.mcp_client_id.clone())
                .unwrap_or_else(|| "-".into());
            let event = r.tool.clone().unwrap_or_else(|| {
                serde_json::to_value(r.event)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            });
            let outcome = serde_json::to_value(r.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let outcome = match &r.error_code {
                Some(code) => format!("{outcome} {code}"),
                None => outcome,
            };
            let targets = r
                .targets
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            [
                r.time.clone(),
                who,
                client,
                event,
                outcome,
                if targets.is_empty() {
                    "-".into()
                } else {
                    targets
                },
                r.okta_request_ids
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "-".into()),
            ]
            .map(|cell| printable(&cell))
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    if rows.is_empty() {
        out.push("(no matching records)".into());
    }
    out.join("\n")
}

/// Control characters shown escaped, so a crafted id cannot rewrite the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
