//! `/api/v1/logs`: the System Log, bounded by `since`/`until`, filtered by SCIM expression
//! and keywords, sorted by `published`, paged by an opaque cursor.

use super::paging::{Cursor, LimitRule, paginate_refs, parse_limit};
use super::respond;
use super::{AppState, Query};
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

const PATH: &str = "/api/v1/logs";
/// Okta: default 100, at most 1000.
const LIMIT: LimitRule = LimitRule {
    default: 100,
    max: 1000,
};
/// Okta: at most 10 keywords of at most 40 characters in `q`.
const MAX_KEYWORDS: usize = 10;
const MAX_KEYWORD_LEN: usize = 40;

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(list))
}

/// Okta's answer to a `since`/`until` it cannot read.
fn invalid_date() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "E0000030",
        "Bad request. Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00.",
    )
}

fn parse_time(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|s| parse_iso8601(s.trim()).ok_or_else(invalid_date))
        .transpose()
}

/// ISO 8601 timestamps as clients send them: RFC 3339 (`...Z`, `...+02:00`), offsets
/// without a colon (`...+0200`), or no zone at all (read as UTC).
fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Every keyword must appear (case-insensitively) in some string field of the event.
fn keywords(q: &str) -> Result<Vec<String>, ApiError> {
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    if words.len() > MAX_KEYWORDS {
        return Err(ApiError::validation(
            "q",
            format!("q: at most {MAX_KEYWORDS} keywords are allowed"),
        ));
    }
    if words.iter().any(|w| w.chars().count() > MAX_KEYWORD_LEN) {
        return Err(ApiError::validation(
            "q",
            format!("q: keywords must be at most {MAX_KEYWORD_LEN} characters"),
        ));
    }
    Ok(words)
}

fn contains_keyword(value: &Value, keyword: &str) -> bool {
    match value {
        Value::String(s) => s.to_lowercase().contains(keyword),
        Value::Array(items) => items.iter().any(|v| contains_keyword(v, keyword)),
        Value::Object(map) => map.values().any(|v| contains_keyword(v, keyword)),
        _ => false,
    }
}

async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let now = Utc::now();
    let until = parse_time(query.non_empty("until"))?.unwrap_or(now);
    let since = parse_time(query.non_empty("since"))?.unwrap_or(until - Duration::days(7));
    if since > until {
        return Err(ApiError::validation(
            "since",
            "since: must be earlier than until",
        ));
    }
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let descending = respond::descending(&query)?;
    let after = respond::after(&query)?;
    let expr = query
        .non_empty("filter")
        .map(|f| filter::compile(f, &Dialect::LOGS_FILTER))
        .transpose()
        .map_err(|e| {
            ApiError::validation("filter", format!("filter: Invalid filter expression: {e}"))
        })?;
    let words = query
        .non_empty("q")
        .map(keywords)
        .transpose()?
        .unwrap_or_default();

    let org = state.org.read();
    let start = org.logs.partition_point(|e| e.published < since);
    let end = org.logs.partition_point(|e| e.published < until);
    let matched = org.logs[start..end.max(start)]
        .iter()
        .filter(|e| {
            expr.as_ref()
                .is_none_or(|x| filter::matches(x, &e.event, false))
        })
        .filter(|e| words.iter().all(|w| contains_keyword(&e.event, w)))
        .map(|e| {
            let key = Cursor {
                sort: e.event["published"].as_str().unwrap_or_default().to_owned(),
                id: format!("{:016}", e.seq),
            };
            (key, &e.event)
        })
        .collect();
    let page = paginate_refs(matched, descending, after.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_the_iso_8601_forms_clients_use() {
        let expected = "2024-03-01T10:00:00Z".parse::<DateTime<Utc>>().ok();
        for form in [
            "2024-03-01T10:00:00Z",
            "2024-03-01T10:00:00.000Z",
            "2024-03-01T12:00:00.000+02:00",
            "2024-03-01T03:00:00-0700",
            "2024-03-01T10:00:00",
        ] {
            assert_eq!(parse_iso8601(form), expected, "{form}");
        }
        for bad in ["yesterday", "2024-03-01", "2024-13-01T00:00:00Z", ""] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn keywords_are_bounded_like_okta() {
        assert_eq!(keywords("Max Attempts").unwrap(), ["max", "attempts"]);
        assert!(keywords(&"a ".repeat(11)).is_err());
        assert!(keywords(&"x".repeat(41)).is_err());
    }
}
