//! Pages of list endpoints as a stream. Walking them (caps, cancel, progress) is the
//! caller's: the server has one page walker for every paged tool.

use crate::client::Inner;
use crate::link;
use crate::upload::Payload;
use crate::{ApiError, ApiRequest, Method, Page};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
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
) -> BoxStream<'static, Result<Page<T>, ApiError>> {
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
            Some((Ok(page), (following, visited)))
        }
    })
    .boxed()
}
