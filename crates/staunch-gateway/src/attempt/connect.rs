//! One tunnel connect: TCP to the target, or `CONNECT` through an upstream
//! proxy. Bytes inside an established tunnel are never retried; only this
//! step is.

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::uri::Authority;
use http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Attempt, AttemptError, AttemptErrorKind};
use crate::endpoint::{Endpoint, Via};

/// Largest response head accepted from an upstream proxy's `CONNECT`.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// An established connection to a tunnel's target.
#[derive(Debug)]
pub struct Tunnel {
    stream: TcpStream,
    /// Bytes the upstream proxy sent after its `200` head, owed to the client.
    pending: Bytes,
}

impl Tunnel {
    /// Copies bytes both ways between `client` and the target until either
    /// side closes. Returns the bytes sent to and received from the target.
    pub async fn splice<C>(mut self, client: &mut C) -> io::Result<(u64, u64)>
    where
        C: AsyncRead + AsyncWrite + Unpin + ?Sized,
    {
        if !self.pending.is_empty() {
            client.write_all(&self.pending).await?;
        }
        tokio::io::copy_bidirectional(client, &mut self.stream).await
    }
}

/// Opens a tunnel to `target` through `endpoint`: a TCP connect for the
/// direct endpoint, `CONNECT target` (with `Proxy-Authorization` when the
/// proxy has credentials) for an upstream proxy.
///
/// Bounded by the endpoint's connect timeout and by `time_left`; running
/// out of `time_left` is a [`AttemptErrorKind::Timeout`], of the connect
/// timeout a [`AttemptErrorKind::Connect`].
pub async fn connect_once(
    endpoint: &Endpoint,
    target: &Authority,
    time_left: Option<Duration>,
) -> Result<Tunnel, AttemptError> {
    let connect_limit = endpoint.connect_timeout();
    let (limit, kind) = match time_left {
        Some(left) if left < connect_limit => (left, AttemptErrorKind::Timeout),
        _ => (connect_limit, AttemptErrorKind::Connect),
    };
    tokio::time::timeout(limit, open(endpoint, target))
        .await
        .unwrap_or_else(|_| Err(AttemptError::new(kind, endpoint.id())))
}

async fn open(endpoint: &Endpoint, target: &Authority) -> Result<Tunnel, AttemptError> {
    let id = endpoint.id();
    match endpoint.via() {
        Via::Direct(_) | Via::Backend { .. } => {
            let stream = dial(target, 443)
                .await
                .map_err(|e| AttemptError::from_connect_io(id, e))?;
            Ok(Tunnel {
                stream,
                pending: Bytes::new(),
            })
        }
        Via::Proxy {
            authority,
            authorization,
            ..
        } => {
            let mut stream = dial(authority, 80)
                .await
                .map_err(|e| AttemptError::from_connect_io(id, e))?;
            let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
            if let Some(auth) = authorization {
                head.extend_from_slice(b"Proxy-Authorization: ");
                head.extend_from_slice(auth.as_bytes());
                head.extend_from_slice(b"\r\n");
            }
            head.extend_from_slice(b"\r\n");
            stream
                .write_all(&head)
                .await
                .map_err(|e| AttemptError::new(AttemptErrorKind::Reset, id).with_source(e))?;
            let pending = read_connect_reply(&mut stream, id).await?;
            Ok(Tunnel { stream, pending })
        }
    }
}

async fn dial(authority: &Authority, default_port: u16) -> io::Result<TcpStream> {
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(default_port);
    let stream = TcpStream::connect((host, port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Reads the proxy's answer to `CONNECT`; returns the bytes after the head.
async fn read_connect_reply(stream: &mut TcpStream, id: &str) -> Result<Bytes, AttemptError> {
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        let read = stream
            .read_buf(&mut buf)
            .await
            .map_err(|e| AttemptError::new(AttemptErrorKind::Reset, id).with_source(e))?;
        if read == 0 {
            return Err(AttemptError::new(AttemptErrorKind::Reset, id));
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let code = response.code.unwrap_or(0);
                let status = StatusCode::from_u16(code)
                    .map_err(|_| AttemptError::new(AttemptErrorKind::BadUpstream, id))?;
                if !status.is_success() {
                    return Err(AttemptError::new(
                        AttemptErrorKind::ProxyRefused(status),
                        id,
                    ));
                }
                return Ok(buf.split_off(len).freeze());
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_CONNECT_HEAD => continue,
            Ok(httparse::Status::Partial) | Err(_) => {
                return Err(AttemptError::new(AttemptErrorKind::BadUpstream, id));
            }
        }
    }
}

/// Opens a tunnel to one target; any established tunnel is final.
#[derive(Debug, Clone)]
pub struct ConnectAttempt {
    target: Authority,
}

impl ConnectAttempt {
    /// Attempts that open a tunnel to `target` (`host:port`).
    pub fn new(target: Authority) -> Self {
        Self { target }
    }
}

impl Attempt for ConnectAttempt {
    type Output = Tunnel;

    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Tunnel, AttemptError>> + Send {
        let endpoint = endpoint.clone();
        let target = self.target.clone();
        async move { connect_once(&endpoint, &target, time_left).await }
    }

    fn is_retryable(&self, _tunnel: &Tunnel) -> bool {
        false
    }
}
