//! Why an attempt failed, classified for retry decisions and status codes.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use http::StatusCode;

use crate::client::{BoxError, ClientError};

/// The class of an attempt failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptErrorKind {
    /// The endpoint refused the TCP connection: nothing was sent.
    ConnectRefused,
    /// The TCP connection could not be made (unreachable, name not found,
    /// connect timeout): nothing was sent.
    Connect,
    /// An upstream proxy refused to carry the request: a non-2xx answer to
    /// `CONNECT`, or `407 Proxy Authentication Required` to a forwarded
    /// request. Nothing reached the target.
    ProxyRefused(StatusCode),
    /// The connection broke during the exchange (reset, closed early).
    Reset,
    /// No answer within the time left for the request.
    Timeout,
    /// The endpoint answered with something that is not HTTP.
    BadUpstream,
    /// The request body streamed to an earlier attempt and cannot be sent
    /// again.
    BodyNotReplayable,
    /// Not sent: the endpoint's circuit breaker is open (or isolated).
    CircuitOpen,
    /// The client's request body failed while it was streamed to the
    /// endpoint (the client left, or sent a malformed chunked body): the
    /// client's fault, not the endpoint's.
    ClientBody,
}

impl AttemptErrorKind {
    /// Whether the request may have reached the endpoint. `false` means
    /// repeating it elsewhere is safe even for a non-idempotent request.
    pub fn may_have_reached_endpoint(self) -> bool {
        !matches!(
            self,
            Self::ConnectRefused | Self::Connect | Self::ProxyRefused(_) | Self::CircuitOpen
        )
    }

    fn describe(self) -> String {
        match self {
            Self::ConnectRefused => "connection refused".into(),
            Self::Connect => "could not connect".into(),
            Self::ProxyRefused(status) => format!("upstream proxy refused with {status}"),
            Self::Reset => "connection reset or closed before a response".into(),
            Self::Timeout => "timed out".into(),
            Self::BadUpstream => "invalid HTTP response".into(),
            Self::BodyNotReplayable => "request body already sent once".into(),
            Self::CircuitOpen => "circuit breaker open; not sent".into(),
            Self::ClientBody => "the client's request body failed while it was sent".into(),
        }
    }
}

/// A failed attempt: its class, the endpoint it was made at, and the cause.
///
/// Messages name the endpoint by id, never by a URL with credentials.
#[derive(Debug)]
pub struct AttemptError {
    kind: AttemptErrorKind,
    endpoint: String,
    source: Option<BoxError>,
}

impl AttemptError {
    /// A failure of `kind` at the endpoint `endpoint`.
    pub fn new(kind: AttemptErrorKind, endpoint: impl Into<String>) -> Self {
        Self {
            kind,
            endpoint: endpoint.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The class of the failure.
    pub fn kind(&self) -> AttemptErrorKind {
        self.kind
    }

    /// The id of the endpoint the attempt was made at.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Classifies an I/O error from a connect step.
    pub(crate) fn from_connect_io(endpoint: &str, error: io::Error) -> Self {
        let kind = match error.kind() {
            io::ErrorKind::ConnectionRefused => AttemptErrorKind::ConnectRefused,
            _ => AttemptErrorKind::Connect,
        };
        Self::new(kind, endpoint).with_source(error)
    }

    /// Classifies a failure of the upstream HTTP client.
    pub(crate) fn from_client(endpoint: &str, error: ClientError) -> Self {
        let kind = if error.is_connect() {
            match find::<io::Error>(&error).map(io::Error::kind) {
                Some(io::ErrorKind::ConnectionRefused) => AttemptErrorKind::ConnectRefused,
                _ => AttemptErrorKind::Connect,
            }
        } else if matches!(error, ClientError::BadResponse(_)) {
            AttemptErrorKind::BadUpstream
        } else if matches!(error, ClientError::RequestBody(_)) {
            AttemptErrorKind::ClientBody
        } else {
            AttemptErrorKind::Reset
        };
        Self::new(kind, endpoint).with_source(error)
    }
}

fn find<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "endpoint `{}`: {}", self.endpoint, self.kind.describe())?;
        if let Some(source) = &self.source {
            // The innermost cause says the most ("Connection refused (os
            // error 111)"); the wrappers around it say "client error".
            let mut root: &(dyn StdError + 'static) = source.as_ref();
            while let Some(next) = root.source() {
                root = next;
            }
            write!(f, " ({root})")?;
        }
        Ok(())
    }
}

impl StdError for AttemptError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
