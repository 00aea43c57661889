//! Upstream HTTP/1.1 clients: one for direct connections (backends and
//! direct forwarding), one per upstream proxy.
//!
//! Each client keeps its own pool of idle connections, so a connection to
//! proxy A is never reused for an attempt meant for proxy B. A proxy client
//! dials the proxy whatever the request's host is, and marks the connection
//! as proxied so the request goes out in absolute form
//! (`GET http://host/path HTTP/1.1`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::Authority;
use http::Uri;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;

/// Errors crossing body and client boundaries.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every request the gateway sends and every response it
/// answers with.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// A client that connects straight to the request's host.
pub(crate) type DirectClient = Client<HttpConnector, ProxyBody>;

/// A client whose every connection goes to one upstream proxy.
pub(crate) type ProxiedClient = Client<ProxyConnector, ProxyBody>;

/// How long an idle upstream connection is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

fn connector(connect_timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    http
}

/// A client for direct connections.
pub(crate) fn direct_client(connect_timeout: Duration) -> DirectClient {
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector(connect_timeout))
}

/// A client that sends everything through the proxy at `proxy`.
pub(crate) fn proxied_client(proxy: Authority, connect_timeout: Duration) -> ProxiedClient {
    let proxy_uri = Uri::builder()
        .scheme("http")
        .authority(proxy)
        .path_and_query("/")
        .build()
        .unwrap_or_default();
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(ProxyConnector {
            inner: connector(connect_timeout),
            proxy: proxy_uri,
        })
}

/// Dials a fixed proxy for every destination.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    inner: HttpConnector,
    proxy: Uri,
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = ProxiedStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxiedStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, _destination: Uri) -> Self::Future {
        let connecting = self.inner.call(self.proxy.clone());
        Box::pin(async move { Ok(ProxiedStream(connecting.await?)) })
    }
}

/// A connection to an upstream proxy.
pub(crate) struct ProxiedStream(TokioIo<TcpStream>);

impl Connection for ProxiedStream {
    fn connected(&self) -> Connected {
        self.0.connected().proxy(true)
    }
}

impl hyper::rt::Read for ProxiedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ProxiedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
