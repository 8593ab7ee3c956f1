//! The one page walker. Every tool that reads a paged Okta list (list tools, log windows and
//! their concurrent slices, summaries, the CSV export, the OIN catalogue) reads its pages
//! here, so the page cap, the client's cancel, progress notifications and the refusal to
//! follow a next link off the org are handled once. What a page's items become (rendered
//! JSON, CSV rows, counters) is the caller's business between pages.

use crate::tools::ToolCtx;
use crate::tools::common::{ProgressEvent, ProgressFn};
use futures::{Stream, StreamExt};
use okta_client::{ApiError, Page};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// Why a walk ended.
#[derive(Debug)]
pub enum WalkEnd {
    /// The last page was read.
    Complete,
    /// The caller ended it (`stop`).
    Stopped,
    /// The page cap was reached; `after` reads the next page.
    PageCap { after: String },
    /// The client cancelled the call; the page being fetched was dropped.
    Cancelled,
    /// The org linked a next page that is not followed (another origin, or a page already
    /// read); the text says why, for the result.
    Unfollowed(String),
    /// A page could not be read (on the first page, nothing was read at all).
    Failed(ApiError),
}

/// How a walk went: pages read and why it ended.
#[derive(Debug)]
pub struct Walked {
    pub pages: usize,
    pub end: WalkEnd,
}

/// What a call's walks answer to besides their pages: the client's cancel, and progress
/// counted over all of them (concurrent slices share one), sent only when it rises.
pub struct Observer {
    cancel: CancellationToken,
    progress: Option<ProgressFn>,
    /// Pages read and items taken so far.
    totals: Mutex<(u64, u64)>,
}

impl Observer {
    pub fn of(ctx: &ToolCtx) -> Self {
        Self::new(ctx.cancel.clone(), ctx.progress.clone())
    }

    pub fn new(cancel: CancellationToken, progress: Option<ProgressFn>) -> Self {
        Observer {
            cancel,
            progress,
            totals: Mutex::new((0, 0)),
        }
    }

    /// Counts a page read; reports progress when it added items (MCP requires each
    /// notification's progress to rise, so a page that adds nothing is not reported).
    fn page_read(&self, items: u64) {
        // One lock for counting and reporting keeps concurrent walks' reports in order.
        let mut totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
        totals.0 += 1;
        totals.1 += items;
        if let Some(progress) = self.progress.as_ref().filter(|_| items > 0) {
            progress(ProgressEvent::Fetched {
                pages: totals.0,
                items: totals.1,
            });
        }
    }
}

/// A walk over the pages of one listing, pulled page by page:
/// `while let Some(page) = walk.next().await { …; walk.took(n) }`, then `walk.finish()`.
/// It ends at the last page, after `max_pages` pages, when the caller calls `stop`, at a
/// next link that is not followed, at an error, or at the client's cancel (checked while a
/// page is being fetched, so the walk stops within one page and drops that fetch).
pub struct PageWalk<'a, S> {
    observer: &'a Observer,
    pages: S,
    max_pages: usize,
    read: usize,
    /// The links of the page handed out last: its next cursor, and why a next link it
    /// had is not followed.
    links: Option<(Option<String>, Option<String>)>,
    end: Option<WalkEnd>,
}

impl<'a, T, S> PageWalk<'a, S>
where
    S: Stream<Item = Result<Page<T>, ApiError>> + Unpin,
{
    pub fn new(observer: &'a Observer, pages: S, max_pages: usize) -> Self {
        PageWalk {
            observer,
            pages,
            max_pages: max_pages.max(1),
            read: 0,
            links: None,
            end: None,
        }
    }

    /// The next page, or None once the walk is over (`finish` says why).
    pub async fn next(&mut self) -> Option<Page<T>> {
        if self.end.is_some() {
            return None;
        }
        if let Some(links) = self.links.take() {
            let end = match links {
                (_, Some(reason)) => Some(WalkEnd::Unfollowed(reason)),
                (None, None) => Some(WalkEnd::Complete),
                (Some(after), None) if self.read >= self.max_pages => {
                    Some(WalkEnd::PageCap { after })
                }
                (Some(_), None) => None,
            };
            if end.is_some() {
                self.end = end;
                return None;
            }
        }
        let next = tokio::select! {
            _ = self.observer.cancel.cancelled() => None,
            page = self.pages.next() => Some(page),
        };
        self.end = match next {
            None => Some(WalkEnd::Cancelled),
            Some(None) => Some(WalkEnd::Complete),
            Some(Some(Err(error))) => Some(WalkEnd::Failed(error)),
            Some(Some(Ok(page))) => {
                self.read += 1;
                self.links = Some((page.next_cursor.clone(), page.unfollowed_next.clone()));
                return Some(page);
            }
        };
        None
    }

    /// Counts the page just read and the items the caller took from it, for progress.
    pub fn took(&self, items: u64) {
        self.observer.page_read(items);
    }

    /// Ends the walk after the page just read (e.g. the result byte budget is spent).
    pub fn stop(&mut self) {
        self.end.get_or_insert(WalkEnd::Stopped);
    }

    /// How the walk went. Asked before the walk ended, it ended by the caller's choice.
    pub fn finish(self) -> Walked {
        Walked {
            pages: self.read,
            end: self.end.unwrap_or(WalkEnd::Stopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::sync::Arc;

    fn page(n: usize, next: Option<&str>) -> Result<Page, ApiError> {
        Ok(Page {
            items: (0..n).map(|i| json!({ "id": i })).collect(),
            next_cursor: next.map(str::to_owned),
            unfollowed_next: None,
        })
    }

    fn quiet() -> Observer {
        Observer::new(CancellationToken::new(), None)
    }

    async fn run(
        observer: &Observer,
        pages: Vec<Result<Page, ApiError>>,
        max_pages: usize,
    ) -> (Walked, Vec<usize>) {
        let mut sizes = Vec::new();
        let mut walk = PageWalk::new(observer, futures::stream::iter(pages), max_pages);
        while let Some(page) = walk.next().await {
            sizes.push(page.items.len());
            walk.took(page.items.len() as u64);
        }
        (walk.finish(), sizes)
    }

    #[tokio::test]
    async fn the_page_cap_stops_with_the_cursor_of_the_next_page() {
        let pages = vec![page(2, Some("b")), page(2, Some("c")), page(2, None)];
        let (walked, sizes) = run(&quiet(), pages, 2).await;
        assert_eq!((walked.pages, sizes), (2, vec![2, 2]));
        assert!(matches!(walked.end, WalkEnd::PageCap { after } if after == "c"));
        // Reaching the cap on the last page is the end, not a stop.
        let (walked, _) = run(&quiet(), vec![page(2, Some("b")), page(1, None)], 2).await;
        assert!(matches!(walked.end, WalkEnd::Complete), "{walked:?}");
    }

    #[tokio::test]
    async fn a_next_link_not_followed_ends_the_walk_with_its_reason() {
        let mut cut = page(3, None).unwrap();
        cut.unfollowed_next = Some("the org's next link pointed to another origin".into());
        let pages = vec![
            Ok(cut),
            Err(ApiError::ForeignNextLink("https://evil.example".into())),
        ];
        let (walked, sizes) = run(&quiet(), pages, 10).await;
        assert_eq!(sizes, vec![3], "the org's own page is kept");
        assert!(
            matches!(&walked.end, WalkEnd::Unfollowed(r) if r.contains("another origin")),
            "{walked:?}"
        );
    }

    #[tokio::test]
    async fn errors_end_the_walk_and_the_caller_can_stop_it() {
        let pages = vec![page(2, Some("b")), Err(ApiError::Network("reset".into()))];
        let (walked, _) = run(&quiet(), pages, 10).await;
        assert_eq!(walked.pages, 1);
        assert!(matches!(walked.end, WalkEnd::Failed(ApiError::Network(_))));
        let first = run(&quiet(), vec![Err(ApiError::Decode("bad".into()))], 10).await;
        assert_eq!(first.0.pages, 0);
        let observer = quiet();
        let pages = futures::stream::iter(vec![page(2, Some("b")), page(2, None)]);
        let mut walk = PageWalk::new(&observer, pages, 10);
        while walk.next().await.is_some() {
            walk.stop();
        }
        let walked = walk.finish();
        assert_eq!(walked.pages, 1);
        assert!(matches!(walked.end, WalkEnd::Stopped));
    }

    #[tokio::test]
    async fn progress_rises_over_concurrent_walks_and_skips_empty_pages() {
        let sent: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
        let log = sent.clone();
        let progress: ProgressFn = Arc::new(move |event| {
            if let ProgressEvent::Fetched { pages, items } = event {
                log.lock().unwrap().push((pages, items));
            }
        });
        let observer = Observer::new(CancellationToken::new(), Some(progress));
        let one = run(
            &observer,
            vec![page(2, Some("b")), page(0, Some("c")), page(1, None)],
            10,
        );
        let two = run(&observer, vec![page(5, None)], 10);
        futures::join!(one, two);
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 3, "the empty page is not reported: {sent:?}");
        assert!(sent.windows(2).all(|w| w[1].1 > w[0].1), "{sent:?}");
        assert_eq!(sent.last().unwrap().1, 8);
    }

    #[tokio::test]
    async fn cancelling_stops_while_a_page_is_being_fetched() {
        let cancel = CancellationToken::new();
        let observer = Observer::new(cancel.clone(), None);
        // One page, then a fetch that never answers.
        let pages = futures::stream::iter(vec![page(2, Some("b"))])
            .chain(futures::stream::pending::<Result<Page<Value>, ApiError>>());
        let stop = async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            cancel.cancel();
        };
        let read = async {
            let mut walk = PageWalk::new(&observer, pages, 10);
            while walk.next().await.is_some() {}
            walk.finish()
        };
        let (walked, ()) = futures::join!(read, stop);
        assert_eq!(walked.pages, 1);
        assert!(matches!(walked.end, WalkEnd::Cancelled));
    }
}
