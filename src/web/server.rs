//! The HTTP server: accepts connections and serves the application on them, with bounds an
//! attacker cannot lift. `axum::serve` has no header timeout and no cap on connections: 1,100
//! half-sent requests used up the file descriptors and `/healthz` stopped answering. Here:
//!
//! - a request's headers must arrive within `header_timeout` (hyper's `header_read_timeout`);
//!   hyper starts that clock whenever it waits for a request's first line, so an idle
//!   keep-alive connection is closed after the same time;
//! - at most `max_connections` connections are open at once, websockets included (the permit
//!   travels with the socket into the upgrade); beyond that new ones wait in the kernel's
//!   backlog until one closes. The cap is kept below the process' open-file limit, which is
//!   raised to its hard limit at start (`raise_open_file_limit`);
//! - a request must be received and answered within `request_deadline` (60 s; sending the
//!   answer is not counted): a body sent one byte at a time gets 408 and the connection closes;
//! - a request's head (line and headers) is at most 32 KiB, so connections that send headers
//!   slowly hold little memory each;
//! - graceful shutdown: no new connections, each open one finishes its request and closes;
//!   websockets are closed by the application itself (code 1001, `web::board::socket`).
//!
//! HTTP/1.1 only (what axum serves here too): Tavolo speaks cleartext HTTP behind a TLS proxy,
//! and browsers never use HTTP/2 without TLS.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::web::client_address::{ClientAddress, TrustedProxies};

/// Descriptors kept for everything but client connections: the database pool, files, the
/// SMTP connection, the listening socket.
const RESERVED_DESCRIPTORS: u64 = 256;

/// A connection's read buffer, hence the largest request head: hyper's default (~400 KiB) let
/// each slow connection hold that much; browsers send a few KiB (nginx allows 32 KiB too).
const MAX_BUFFER: usize = 32 * 1024;

/// The server's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers, and to send the next one on a kept-alive connection.
    pub header_timeout: Duration,
    /// Connections open at once (capped further by the open-file limit).
    pub max_connections: usize,
    /// Time to receive a request's body and prepare the answer (not to send it).
    pub request_deadline: Duration,
}

/// The answer to a request that took longer than its deadline: 408, and the connection is
/// closed (its body may still be arriving).
fn too_slow() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::REQUEST_TIMEOUT,
        [(axum::http::header::CONNECTION, "close")],
        "La richiesta è arrivata troppo lentamente: riprova.",
    )
        .into_response()
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then stops accepting and waits
/// for the open HTTP connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    proxies: TrustedProxies,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let file_limit = raise_open_file_limit();
    let max_connections = effective_cap(limits.max_connections, file_limit);
    tracing::info!(
        max_connections,
        header_timeout_s = limits.header_timeout.as_secs_f64(),
        trusted_proxies = %proxies,
        "serving HTTP"
    );
    let slots = Arc::new(Semaphore::new(max_connections));
    let connections = TaskTracker::new();
    loop {
        // A free slot first: when all are taken, new connections wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("never closed"),
            _ = shutdown.cancelled() => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors (EMFILE) or a connection reset before it was
                    // accepted: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        // TCP_NODELAY: board events are small and must not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        let io = TokioIo::new(Counted { tcp, _slot: slot });
        let app = app.clone();
        let shutdown = shutdown.clone();
        let proxies = proxies.clone();
        connections.spawn(serve_connection(io, peer, app, limits, proxies, shutdown));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

async fn serve_connection(
    io: TokioIo<Counted>,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    proxies: TrustedProxies,
    shutdown: CancellationToken,
) {
    let Limits {
        header_timeout,
        request_deadline,
        ..
    } = limits;
    let service = tower::service_fn(move |req: axum::http::Request<Incoming>| {
        let app = app.clone();
        let client = ClientAddress(proxies.client_of(peer.ip(), req.headers()));
        async move {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(client);
            // The handler, its body included, within the deadline: the header timeout does not
            // cover a body sent one byte at a time.
            match tokio::time::timeout(request_deadline, app.oneshot(req)).await {
                Ok(answer) => answer,
                Err(_) => Ok::<_, std::convert::Infallible>(too_slow()),
            }
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_BUFFER)
        .max_header_size(MAX_BUFFER)
        .serve_connection(io, TowerToHyperService::new(service))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            return;
        }
        _ = shutdown.cancelled() => {}
    }
    // Shutting down: finish the request in flight (if any), then close.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The connection cap: the configured one, below the open-file limit.
fn effective_cap(configured: usize, file_limit: Option<u64>) -> usize {
    let by_files = file_limit
        .map(|n| n.saturating_sub(RESERVED_DESCRIPTORS).max(16))
        .unwrap_or(u64::MAX);
    (configured as u64).min(by_files).max(1) as usize
}

/// Raises the soft limit on open files to the hard limit (the usual soft limit, 1,024, is
/// far too low for a room of a thousand websockets); returns the limit now in force.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

/// A client connection holding its slot: the slot is given back when the socket is dropped,
/// after the HTTP connection or, for a websocket, after the upgraded connection.
struct Counted {
    tcp: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_open_file_limit() {
        assert_eq!(effective_cap(10_000, Some(1024)), 768);
        assert_eq!(effective_cap(10_000, Some(1_048_576)), 10_000);
        assert_eq!(effective_cap(500, None), 500);
        assert_eq!(effective_cap(10_000, Some(100)), 16);
    }
}
