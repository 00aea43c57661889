//! Accept loops and per-connection HTTP/1.1 serving with graceful shutdown.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;

use super::timer::ConnTimer;
use super::workers::{OpenGuard, Workers};
use super::Shared;

/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Pause after a failed accept (for example out of file descriptors) so the
/// loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Which listener a connection arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The proxy listener.
    Proxy,
    /// The admin listener.
    Admin,
}

/// Accepts connections until shutdown; the listener closes when this
/// returns, so new connections are refused from then on. With `workers`,
/// each connection is served on a worker thread; without, on the current
/// runtime.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    role: Role,
    workers: Option<&Workers>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shared.shutdown_signal().cancelled() => break,
        };
        match accepted {
            Ok((stream, peer)) => match workers.and_then(Workers::pick) {
                Some((worker, open)) => hand_off(&shared, worker, open, stream, peer, role),
                None => {
                    let conn_shared = Arc::clone(&shared);
                    shared.spawn(serve_connection(stream, peer, conn_shared, role));
                }
            },
            Err(err) => {
                tracing::warn!(%err, ?role, "accept failed");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
}

/// Serves a connection on a worker thread: the stream moves to the
/// worker's I/O driver, and `open` counts it there until it closes.
fn hand_off(
    shared: &Arc<Shared>,
    worker: &Handle,
    open: OpenGuard,
    stream: TcpStream,
    peer: SocketAddr,
    role: Role,
) {
    let stream = match stream.into_std() {
        Ok(stream) => stream,
        Err(err) => {
            tracing::warn!(%err, %peer, "cannot hand the connection to a worker");
            return;
        }
    };
    let conn_shared = Arc::clone(shared);
    let task = async move {
        let _open = open;
        match TcpStream::from_std(stream) {
            Ok(stream) => serve_connection(stream, peer, conn_shared, role).await,
            Err(err) => tracing::warn!(%err, %peer, "cannot hand the connection to a worker"),
        }
    };
    shared.spawn_on(task, worker);
}

/// Serves one connection: the proxy listener's with the gateway's own
/// HTTP/1.1 server ([`http1`](super::http1)), the admin listener's with
/// hyper's.
async fn serve_connection(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, role: Role) {
    match role {
        Role::Proxy => super::http1::serve(stream, peer, shared).await,
        Role::Admin => serve_admin(stream, peer, shared).await,
    }
}

/// Serves one admin connection. On shutdown an idle connection closes at
/// once and a busy one after its current response; when the drain time is
/// up it is dropped.
async fn serve_admin(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service_shared = Arc::clone(&shared);
    let service = service_fn(move |request: Request<Incoming>| {
        let shared = Arc::clone(&service_shared);
        async move { Ok::<_, std::convert::Infallible>(shared.admin().handle(request).await) }
    });
    let connection = http1::Builder::new()
        .timer(ConnTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // One `write` of a flattened buffer per response rather than a
        // `writev` of head and body slices (see the upstream client).
        .writev(false)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = pin!(connection);
    let force = shared.force_close();
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shared.shutdown_signal().cancelled() => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                result = connection.as_mut() => result,
                () = force.cancelled() => return,
            }
        }
    };
    if let Err(err) = result {
        tracing::debug!(%peer, %err, "connection ended with an error");
    }
}
