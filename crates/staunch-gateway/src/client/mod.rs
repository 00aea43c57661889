//! Upstream HTTP/1.1 clients: one for direct connections (backends and
//! direct forwarding), one per upstream proxy.
//!
//! Each client keeps its own pool of idle connections (module `pool`), so a
//! connection to proxy A is never reused for an attempt meant for proxy B.
//! A proxy client dials the proxy whatever the request's host is and sends
//! the request in absolute form (`GET http://host/path HTTP/1.1`); a direct
//! client sends it in origin form (`GET /path HTTP/1.1`).
//!
//! The client is built on hyper's connection API rather than a general
//! purpose pooled client: per request it takes a ready connection from the
//! current worker's idle list (or opens one), sends, and puts the
//! connection back when the response head arrives. No task is spawned and
//! nothing is boxed per request.

mod pool;

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::client::legacy::connect::HttpConnector;
use tower_service::Service;

pub(crate) use self::pool::set_worker_slot;
use self::pool::Pool;

/// Errors crossing body and client boundaries.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every request the gateway sends and every response it
/// answers with.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// A client that connects straight to the request's host (or a backend).
pub(crate) type DirectClient = UpstreamClient;

/// A client whose every connection goes to one upstream proxy.
pub(crate) type ProxiedClient = UpstreamClient;

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
    UpstreamClient::new(connector(connect_timeout), Target::RequestHost)
}

/// A client that sends everything through the proxy at `proxy`.
pub(crate) fn proxied_client(proxy: Authority, connect_timeout: Duration) -> ProxiedClient {
    UpstreamClient::new(connector(connect_timeout), Target::Proxy(proxy))
}

/// An HTTP/1.1 client with a pool of keep-alive connections. Cheap to
/// clone; clones share the pool.
#[derive(Clone)]
pub(crate) struct UpstreamClient(Arc<Inner>);

struct Inner {
    connector: HttpConnector,
    target: Target,
    pool: Pool,
}

/// Where a client's connections go.
#[derive(Debug, Clone)]
enum Target {
    /// To each request's host; requests go in origin form.
    RequestHost,
    /// Always to one backend; requests go in origin form.
    Backend(Authority),
    /// Always to one upstream proxy; requests go in absolute form.
    Proxy(Authority),
}

impl UpstreamClient {
    fn new(connector: HttpConnector, target: Target) -> Self {
        Self(Arc::new(Inner {
            connector,
            target,
            pool: Pool::new(POOL_IDLE_TIMEOUT),
        }))
    }

    /// A client with this one's settings that always dials `backend`, with
    /// a pool of its own.
    pub(crate) fn for_backend(&self, backend: Authority) -> Self {
        Self::new(self.0.connector.clone(), Target::Backend(backend))
    }

    /// Sends `request` and waits for the response head. A proxy client
    /// dials its proxy and sends the absolute-form target; a backend client
    /// dials its backend and a direct client the request's host, both
    /// sending the target in origin form. The request must carry its
    /// `Host` header.
    ///
    /// A request that a pooled connection refused before sending anything
    /// (the upstream closed it while idle) is sent again on a new
    /// connection.
    pub(crate) async fn send(
        &self,
        mut request: Request<ProxyBody>,
    ) -> Result<Response<Incoming>, ClientError> {
        let host;
        let (dial, key) = match &self.0.target {
            Target::Backend(authority) | Target::Proxy(authority) => (authority, None),
            Target::RequestHost => {
                host = request
                    .uri()
                    .authority()
                    .cloned()
                    .ok_or(ClientError::NoHost)?;
                (&host, Some(&host))
            }
        };
        if !matches!(self.0.target, Target::Proxy(_)) && request.uri().scheme().is_some() {
            origin_form(request.uri_mut());
        }
        let mut pooled = self.0.pool.checkout(key);
        loop {
            let reused = pooled.is_some();
            let mut sender = match pooled.take() {
                Some(sender) => sender,
                None => self.connect(dial).await?,
            };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    self.0.pool.checkin(key, sender);
                    return Ok(response);
                }
                Err(mut err) => match err.take_message() {
                    Some(unsent) if reused => {
                        tracing::debug!(error = %err.error(), "pooled connection closed; sending on a new one");
                        request = unsent;
                    }
                    _ => return Err(ClientError::Send(err.into_error())),
                },
            }
        }
    }

    /// Opens a connection to `authority` and starts its I/O task on the
    /// current thread's runtime.
    async fn connect(
        &self,
        authority: &Authority,
    ) -> Result<http1::SendRequest<ProxyBody>, ClientError> {
        let uri = Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| ClientError::Connect(e.into()))?;
        let io = self
            .0
            .connector
            .clone()
            .call(uri)
            .await
            .map_err(|e| ClientError::Connect(e.into()))?;
        // Heads and small bodies go out in one copied buffer with one
        // `write` rather than a `writev` of several slices: cheaper for the
        // small messages a proxy mostly carries.
        let (sender, connection) = http1::Builder::new()
            .writev(false)
            .handshake(io)
            .await
            .map_err(|e| ClientError::Connect(e.into()))?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }

    /// Connections held by the current thread for `host` (a direct
    /// client) or for the fixed destination (`None`), busy or idle.
    #[cfg(test)]
    pub(crate) fn pooled(&self, host: Option<&Authority>) -> usize {
        self.0.pool.held(host)
    }
}

/// `http://host/path?q` → `/path?q`.
fn origin_form(uri: &mut Uri) {
    *uri = match uri.path_and_query() {
        Some(pq) if pq.as_str() != "/" => {
            let mut parts = http::uri::Parts::default();
            parts.path_and_query = Some(pq.clone());
            Uri::from_parts(parts).unwrap_or_default()
        }
        _ => Uri::default(),
    };
}

/// Why the client got no response.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// No connection could be opened: nothing was sent.
    Connect(BoxError),
    /// A direct request without a host to connect to.
    NoHost,
    /// The exchange on an open connection failed.
    Send(hyper::Error),
}

impl ClientError {
    /// Whether no connection could be opened.
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::NoHost)
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(_) => f.write_str("could not connect"),
            Self::NoHost => f.write_str("the request has no host to connect to"),
            Self::Send(_) => f.write_str("request failed"),
        }
    }
}

impl StdError for ClientError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Connect(e) => Some(e.as_ref()),
            Self::NoHost => None,
            Self::Send(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests;
