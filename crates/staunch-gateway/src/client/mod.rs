//! Upstream HTTP/1.1 clients: one for direct connections (backends and
//! direct forwarding), one per upstream proxy.
//!
//! Each client keeps its own pool of idle connections (module `pool`), so a
//! connection to proxy A is never reused for an attempt meant for proxy B.
//! A proxy client dials the proxy whatever the request's host is and sends
//! the request in absolute form (`GET http://host/path HTTP/1.1`); a direct
//! client sends it in origin form (`GET /path HTTP/1.1`).
//!
//! The client is the gateway's own lean HTTP/1.1 client: per request it
//! takes an idle connection from the current worker's list (or opens one),
//! writes the head straight from the forwarded request's borrowed parts
//! (no header map is copied per attempt), reads the response head on the
//! request's own task, and hands the body over as [`UpstreamBody`], which
//! puts the connection back once it has been read to its end. No task is
//! spawned per connection and no channel sits between the request and its
//! socket.

mod body;
mod conn;
mod pool;
mod request;
mod response;
mod upstream_response;

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::uri::{Authority, Scheme};
use http::Uri;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tower_service::Service;

pub use self::body::UpstreamBody;
use self::conn::{Conn, SendFailure};
pub(crate) use self::pool::set_worker_slot;
use self::pool::{Pool, Slot};
use self::request::Form;
pub(crate) use self::request::{forwarded_fields, OutBody, OutRequest};
pub(crate) use self::response::BadResponse;
use self::response::BodyKind;
pub use self::upstream_response::UpstreamResponse;
use crate::h1::chunked::Chunked;
use crate::h1::decode::{BodyDecoder, Source};
use crate::h1::message_body::Finish;
pub use crate::h1::raw_fields::RawFields;

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

    /// Sends `request` with `body` and waits for the response head. A
    /// proxy client dials its proxy and sends the absolute-form target; a
    /// backend client dials its backend and a direct client the request's
    /// host, both sending the target in origin form.
    ///
    /// A request that a pooled connection failed before anything of it was
    /// sent is sent again on a new connection, and so is an idempotent
    /// request with a body in memory whose reused connection was closed
    /// without a byte of answer (the upstream closed it while idle, as
    /// Go's and hyper's clients also assume).
    pub(crate) async fn send(
        &self,
        request: &OutRequest<'_>,
        mut body: OutBody,
    ) -> Result<UpstreamResponse, ClientError> {
        let host;
        let (dial, key) = match &self.0.target {
            Target::Backend(authority) | Target::Proxy(authority) => (authority, None),
            Target::RequestHost => {
                host = request
                    .uri
                    .authority()
                    .cloned()
                    .ok_or(ClientError::NoHost)?;
                (&host, Some(&host))
            }
        };
        let form = match self.0.target {
            Target::Proxy(_) => Form::Absolute,
            Target::RequestHost | Target::Backend(_) => Form::Origin,
        };
        let mut pooled = self.0.pool.checkout(key);
        loop {
            let reused = pooled.is_some();
            let mut conn = match pooled.take() {
                Some(conn) => conn,
                None => self.connect(dial).await?,
            };
            let again = match &body {
                OutBody::Full(bytes) if reused && staunch_http::is_idempotent(request.method) => {
                    Some(OutBody::Full(bytes.clone()))
                }
                _ => None,
            };
            match conn.exchange(request, body, form).await {
                Ok(head) => return Ok(self.response(conn, head, key)),
                Err(SendFailure::Unsent(unsent, err)) if reused => {
                    tracing::debug!(error = %err, "pooled connection closed; sending on a new one");
                    body = unsent;
                }
                Err(SendFailure::Unsent(_, err)) => return Err(ClientError::Io(err)),
                Err(SendFailure::Failed(ClientError::Closed)) if again.is_some() => {
                    tracing::debug!(
                        "pooled connection closed without an answer; sending on a new one"
                    );
                    body = again.unwrap_or(OutBody::Full(Bytes::new()));
                }
                Err(SendFailure::Failed(err)) => return Err(err),
            }
        }
    }

    /// The response with its body still on `conn`, or read whole when it
    /// came with the head (then `conn` goes back to the pool at once).
    fn response(
        &self,
        mut conn: Conn,
        head: response::Head,
        key: Option<&Authority>,
    ) -> UpstreamResponse {
        let checkin = head.keep_alive.then(|| Checkin {
            slot: self.0.pool.home(),
            key: key.cloned(),
        });
        let body = match head.body {
            BodyKind::Empty => {
                checkin.finish(conn);
                UpstreamBody::empty()
            }
            BodyKind::Length(len) if conn.buffer().len() as u64 >= len => {
                let whole = take_whole(conn.buffer(), len as usize);
                checkin.finish(conn);
                UpstreamBody::whole(whole)
            }
            BodyKind::Length(len) => UpstreamBody::reading(conn, BodyDecoder::Length(len), checkin),
            BodyKind::Chunked => {
                UpstreamBody::reading(conn, BodyDecoder::Chunked(Chunked::new()), checkin)
            }
            BodyKind::UntilClose => UpstreamBody::reading(conn, BodyDecoder::UntilClose, None),
        };
        UpstreamResponse::new(head.status, head.version, head.fields, body)
    }

    /// Opens a connection to `authority`.
    async fn connect(&self, authority: &Authority) -> Result<Conn, ClientError> {
        let uri = Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| ClientError::Connect(e.into()))?;
        let io: TokioIo<tokio::net::TcpStream> = self
            .0
            .connector
            .clone()
            .call(uri)
            .await
            .map_err(|e| ClientError::Connect(e.into()))?;
        Ok(Conn::new(io.into_inner()))
    }

    /// Connections held by the current thread for `host` (a direct
    /// client) or for the fixed destination (`None`), busy or idle.
    #[cfg(test)]
    pub(crate) fn pooled(&self, host: Option<&Authority>) -> usize {
        self.0.pool.held(host)
    }
}

/// The first `len` bytes of `buffer`, taken off it. A small body is
/// copied out, so that the connection's buffer stays its own and the next
/// read reuses it in place; a large one is split off, sharing the bytes.
fn take_whole(buffer: &mut BytesMut, len: usize) -> Bytes {
    if len <= COPY_BODY_UP_TO {
        let whole = Bytes::copy_from_slice(&buffer[..len]);
        buffer.advance(len);
        whole
    } else {
        buffer.split_to(len).freeze()
    }
}

/// Bodies up to this size that come whole with their head are copied.
const COPY_BODY_UP_TO: usize = 16 * 1024;

/// Where a connection goes once the body of its last response has been
/// read: back to its client's pool, under its host for a direct client.
pub(crate) struct Checkin {
    /// The pool slot of the thread that used the connection.
    slot: Arc<Slot>,
    key: Option<Authority>,
}

impl fmt::Debug for Checkin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkin").field("key", &self.key).finish()
    }
}

impl Checkin {
    fn release(self, conn: Conn) {
        self.slot.checkin(self.key.as_ref(), conn);
    }
}

/// Why the client got no response.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// No connection could be opened: nothing was sent.
    Connect(BoxError),
    /// A direct request without a host to connect to.
    NoHost,
    /// Writing the request or reading the response failed.
    Io(io::Error),
    /// The upstream closed the connection before answering.
    Closed,
    /// The upstream's answer is not valid HTTP/1.x.
    BadResponse(BadResponse),
    /// The client's request body failed while it was streamed upstream.
    RequestBody(BoxError),
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
            Self::Io(_) => f.write_str("request failed"),
            Self::Closed => f.write_str("the upstream closed the connection without answering"),
            Self::BadResponse(_) => f.write_str("the upstream's answer is not valid HTTP"),
            Self::RequestBody(_) => f.write_str("the request body failed while it was sent"),
        }
    }
}

impl StdError for ClientError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Connect(e) => Some(e.as_ref()),
            Self::NoHost | Self::Closed => None,
            Self::Io(e) => Some(e),
            Self::BadResponse(e) => Some(e),
            Self::RequestBody(e) => Some(e.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests;
