//! Accepting TCP connections and serving HTTP on them.
//!
//! This replaces `axum::serve`, which gives hyper no timer, so hyper's read timeout for a
//! request's headers is off. With it off, a connection that sends nothing is held forever.
//! That covers a client that keeps an idle keep-alive connection, a client that has gone
//! away without a FIN, and a hostile peer that opens thousands of sockets (or trickles a
//! header a byte a minute). Each such connection keeps its read and write buffers and its
//! task, some 15 KB. Here hyper gets a timer, and a connection waiting longer than
//! `idle_timeout` for the next request's headers is closed. The clock runs only while
//! hyper waits for headers. A request being answered, a long tool call or an open event
//! stream, is never cut by it.
//!
//! Shutdown works as with `axum::serve`'s graceful shutdown. Once `stop_accepting`
//! resolves, no connection is accepted. Each open one is asked to close after the response
//! in flight: an idle one closes at once. The returned future resolves when all are closed.

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long to wait after an accept error that is not about one connection (out of file
/// descriptors, say) before accepting again, so such an error does not spin a core.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `stop_accepting` resolves; then each connection closes
/// once its response in flight is done, and this returns when all have.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    idle_timeout: Duration,
    stop_accepting: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout);
    // HTTP/2 (cleartext, prior knowledge) has no header clock; pings every `idle_timeout`
    // let a peer that has gone away be noticed and its connection closed.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(idle_timeout))
        .keep_alive_timeout(idle_timeout);
    let open = GracefulShutdown::new();
    // Cancelled at shutdown, for connections that have not sent their first byte yet.
    let closing = CancellationToken::new();
    tokio::pin!(stop_accepting);
    loop {
        let tcp = tokio::select! {
            () = &mut stop_accepting => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) if about_one_connection(&error) => continue,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed; pausing before the next");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        // A Streamable HTTP answer leaves in several small writes (headers, then each SSE
        // event, then the end of the chunked body). With Nagle's algorithm on, each write
        // after the first waits for the client's delayed ACK, about 40 ms on Linux: a
        // signed-in client's get_user took 44 ms where the same Okta request took 0.35 ms.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on an accepted connection");
        }
        // A Router clone shares its routes (one Arc): no per-connection copy of the table.
        let service = TowerToHyperService::new(app.clone());
        let (builder, watcher, closing) = (builder.clone(), open.watcher(), closing.clone());
        tokio::spawn(async move {
            // hyper's clock starts once it knows the protocol, which takes the first bytes;
            // a peer that never sends one is let go here, or at shutdown.
            let mut first = [0u8; 1];
            tokio::select! {
                peeked = tokio::time::timeout(idle_timeout, tcp.peek(&mut first)) => match peeked {
                    Ok(Ok(n)) if n > 0 => {}
                    _ => return,
                },
                () = closing.cancelled() => return,
            }
            let connection = builder
                .serve_connection(TokioIo::new(tcp), service)
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::trace!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    closing.cancel();
    open.shutdown().await;
}

/// Errors that end one pending connection and say nothing about the listener.
fn about_one_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
