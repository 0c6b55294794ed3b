//! The HTTP/1.1 listener: hyper's connection builder instead of `axum::serve`, because the
//! defences against slow and heavy clients live there.
//!
//! - A client must send a request's headers within the header-read timeout (also the
//!   timeout of an idle kept-alive connection): a connection that trickles its headers, or
//!   sends part of them and waits, is closed.
//! - Headers larger than the limit are answered `431` and the connection closed, so a
//!   client cannot make the server buffer hundreds of KiB per connection.
//! - At most so many connections are open at once; more wait in the kernel's backlog
//!   until one closes, instead of exhausting the process's file descriptors (which the
//!   database needs too).
//!
//! Each request carries its peer's address (`ConnectInfo`), which sign-in limits count
//! by. On the stop signal the listener closes, idle connections are closed, and requests
//! in flight finish (the caller bounds how long).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Layer;

/// The listener's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time a client has to send a request's headers (and an idle connection to start
    /// its next request).
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `stop` completes, then waits for the connections
/// still open to finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
    stopping: impl FnOnce(),
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        // A free slot first: beyond the cap, connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted:
                    // wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(
            axum::Extension(ConnectInfo::<SocketAddr>(peer)).layer(app.clone()),
        );
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    stopping();
    graceful.shutdown().await;
}
