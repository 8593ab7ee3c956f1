//! Pages of list endpoints as a stream, and a capped, streaming fetch over them.

use crate::client::Inner;
use crate::link;
use crate::upload::Payload;
use crate::{ApiError, ApiRequest, Method, Page};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::sync::Arc;
use url::Url;

/// Where the stream of pages stands between polls.
enum Cursor {
    First(Box<(ApiRequest, Url)>),
    Next(Url),
    /// The last page came with a next link that must not be followed: report why, then stop.
    Fail(ApiError),
    Done,
}

/// A page, and whether a next link will be followed after it (a link without an `after`
/// cursor is still followed, so the cursor alone cannot say).
pub(crate) type PageStep<T = Value> = (Page<T>, bool);

/// Why a next link is not followed, in words a person (or a model) reading a result can
/// act on: the pages so far are all there is to see.
pub(crate) fn foreign_next_reason(origin: &str) -> String {
    format!(
        "the org's next link pointed to another origin ({origin}), not followed; results are \
         incomplete (check that OKTA_ORG_URL is the org's canonical URL)"
    )
}

fn repeated_page_reason(next: &Url) -> String {
    let query = next.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!(
        "the org's next link pointed back to a page already read ({}{query}); stopped to \
         avoid a loop; results are incomplete",
        next.path()
    )
}

/// The URLs read so far, as hashes: enough to see a next link that leads back.
#[derive(Default)]
struct Visited(HashSet<u64>);

impl Visited {
    fn key(url: &Url) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        url.as_str().hash(&mut hasher);
        hasher.finish()
    }
    /// Records `url`; false when it was already read.
    fn insert(&mut self, url: &Url) -> bool {
        self.0.insert(Self::key(url))
    }
    fn contains(&self, url: &Url) -> bool {
        self.0.contains(&Self::key(url))
    }
}

/// The stream behind `OktaClient::pages`. Nothing runs between polls, so dropping the
/// stream stops paging at once.
pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
    inner: Arc<Inner>,
    first: Result<(ApiRequest, Url), ApiError>,
) -> BoxStream<'static, Result<PageStep<T>, ApiError>> {
    let start = match first {
        Ok(first) => Cursor::First(Box::new(first)),
        Err(err) => return futures::stream::once(async move { Err(err) }).boxed(),
    };
    futures::stream::unfold((start, Visited::default()), move |(cursor, mut visited)| {
        let inner = inner.clone();
        async move {
            let (request, url) = match cursor {
                Cursor::First(first) => {
                    let (request, url) = *first;
                    (Some(request), url)
                }
                Cursor::Next(url) => (None, url),
                Cursor::Fail(err) => return Some((Err(err), (Cursor::Done, visited))),
                Cursor::Done => return None,
            };
            visited.insert(&url);
            let (method, payload, idempotent) = match &request {
                Some(first) => (first.method, first.payload(), first.idempotent),
                None => (Method::Get, Payload::Empty, true),
            };
            let fetched = match inner.execute(method, &url, payload, idempotent).await {
                Ok(fetched) => fetched,
                Err(err) => return Some((Err(err), (Cursor::Done, visited))),
            };
            let items = match fetched.list::<T>() {
                Ok(items) => items,
                Err(err) => return Some((Err(err), (Cursor::Done, visited))),
            };
            let mut page = Page {
                items,
                next_cursor: None,
                unfollowed_next: None,
            };
            let following = match fetched.next {
                None => Cursor::Done,
                Some(next) if !link::same_origin(&inner.config.org_url, &next) => {
                    let origin = link::origin_text(&next);
                    tracing::warn!(next_origin = %origin, "not following a next link outside the org");
                    page.unfollowed_next = Some(foreign_next_reason(&origin));
                    Cursor::Fail(ApiError::ForeignNextLink(origin))
                }
                Some(next) if visited.contains(&next) => {
                    let reason = repeated_page_reason(&next);
                    tracing::warn!(path = %next.path(), "the next link leads to a page already read; stopped paging");
                    page.unfollowed_next = Some(reason.clone());
                    Cursor::Fail(ApiError::Decode(reason))
                }
                Some(next) => {
                    page.next_cursor = link::after_cursor(&next);
                    Cursor::Next(next)
                }
            };
            let more = matches!(following, Cursor::Next(_));
            Some((Ok((page, more)), (following, visited)))
        }
    })
    .boxed()
}

/// Caps for [`crate::OktaClient::fetch`]. They are checked between pages, so the page that
/// reaches a cap is handed over whole and the returned cursor continues exactly after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchLimits {
    pub max_pages: Option<usize>,
    pub max_items: Option<usize>,
}

/// How far a fetch got, for progress notifications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub pages: usize,
    pub items: usize,
}

/// The result of a fetch: counts, why it stopped before the end (if it did), and the cursor
/// to continue from.
#[derive(Debug, Default)]
pub struct FetchOutcome {
    pub pages: usize,
    pub items: usize,
    /// Why paging stopped before the last page: a cap, the caller, or an error after at
    /// least one page had been delivered.
    pub stopped_early: Option<String>,
    /// `after` cursor for the next page, when there is one to fetch.
    pub next_cursor: Option<String>,
    /// The error that ended paging after some pages were delivered.
    pub error: Option<ApiError>,
}

/// Drives a page stream: hands each page to `on_page` (which owns it from then on), reports
/// progress, and stops at a cap, on the caller's `Break`, or on an error.
pub(crate) async fn fetch(
    mut stream: BoxStream<'static, Result<PageStep, ApiError>>,
    limits: FetchLimits,
    mut on_progress: impl FnMut(Progress),
    mut on_page: impl FnMut(Page) -> ControlFlow<()>,
) -> Result<FetchOutcome, ApiError> {
    let mut outcome = FetchOutcome::default();
    while let Some(next) = stream.next().await {
        let (page, more) = match next {
            Ok(step) => step,
            Err(err) if outcome.pages == 0 => return Err(err),
            Err(err) => {
                outcome.stopped_early = Some(err.to_string());
                outcome.error = Some(err);
                return Ok(outcome);
            }
        };
        outcome.pages += 1;
        outcome.items += page.items.len();
        outcome.next_cursor = page.next_cursor.clone();
        on_progress(Progress {
            pages: outcome.pages,
            items: outcome.items,
        });
        let flow = on_page(page);
        if flow.is_break() {
            if more {
                outcome.stopped_early = Some("stopped by the caller".to_owned());
            }
            return Ok(outcome);
        }
        if !more {
            continue;
        }
        if let Some(max) = limits.max_pages.filter(|max| outcome.pages >= *max) {
            outcome.stopped_early = Some(format!("reached the limit of {max} pages"));
            return Ok(outcome);
        }
        if let Some(max) = limits.max_items.filter(|max| outcome.items >= *max) {
            outcome.stopped_early = Some(format!(
                "reached the limit of {max} items ({} fetched)",
                outcome.items
            ));
            return Ok(outcome);
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(n: usize, cursor: Option<&str>, more: bool) -> Result<PageStep, ApiError> {
        let page = Page {
            items: (0..n).map(|i| json!({ "id": i })).collect(),
            next_cursor: cursor.map(str::to_owned),
            unfollowed_next: None,
        };
        Ok((page, more))
    }

    fn stream(
        steps: Vec<Result<PageStep, ApiError>>,
    ) -> BoxStream<'static, Result<PageStep, ApiError>> {
        futures::stream::iter(steps).boxed()
    }

    async fn run(
        steps: Vec<Result<PageStep, ApiError>>,
        limits: FetchLimits,
    ) -> Result<FetchOutcome, ApiError> {
        fetch(stream(steps), limits, |_| {}, |_| ControlFlow::Continue(())).await
    }

    #[tokio::test]
    async fn caps_apply_even_when_the_next_link_has_no_cursor() {
        let steps = vec![
            step(2, None, true),
            step(2, None, true),
            step(2, None, false),
        ];
        let outcome = run(
            steps,
            FetchLimits {
                max_pages: Some(2),
                max_items: None,
            },
        )
        .await
        .unwrap();
        assert_eq!((outcome.pages, outcome.items), (2, 4));
        assert!(outcome.stopped_early.is_some());
    }

    #[tokio::test]
    async fn the_last_page_is_not_stopped_early() {
        let steps = vec![step(3, Some("a"), true), step(1, None, false)];
        let limits = FetchLimits {
            max_pages: Some(2),
            max_items: Some(4),
        };
        let outcome = run(steps, limits).await.unwrap();
        assert_eq!((outcome.pages, outcome.items), (2, 4));
        assert_eq!(
            outcome.stopped_early, None,
            "reaching a cap on the last page is the end"
        );
        assert_eq!(outcome.next_cursor, None);
        let broke = fetch(
            stream(vec![step(1, None, false)]),
            FetchLimits::default(),
            |_| {},
            |_| ControlFlow::Break(()),
        )
        .await
        .unwrap();
        assert_eq!(broke.stopped_early, None);
    }

    #[tokio::test]
    async fn errors_first_or_later() {
        let first = run(
            vec![Err(ApiError::Decode("bad".into()))],
            FetchLimits::default(),
        )
        .await;
        assert!(matches!(first, Err(ApiError::Decode(_))));
        let later = run(
            vec![
                step(2, Some("c"), true),
                Err(ApiError::Network("reset".into())),
            ],
            FetchLimits::default(),
        )
        .await
        .unwrap();
        assert_eq!((later.pages, later.items), (1, 2));
        assert_eq!(
            later.next_cursor.as_deref(),
            Some("c"),
            "resume where it broke"
        );
        assert!(later.stopped_early.unwrap().contains("reset"));
        assert!(matches!(later.error, Some(ApiError::Network(_))));
    }
}
