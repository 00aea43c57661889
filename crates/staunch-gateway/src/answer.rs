//! What the proxy listener answers a request with: a response the gateway
//! made, or an upstream's answer relayed with the gateway's own fields.

use http::{HeaderValue, Response, StatusCode};

use crate::client::{ProxyBody, UpstreamResponse};
use crate::endpoint::Endpoint;

/// The answer to one proxied request.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Made by the gateway: an error, a tunnel's opening, a JSON reply.
    Made(Response<ProxyBody>),
    /// An upstream's answer (boxed: it is moved through several futures,
    /// and a pointer moves cheaper than the whole answer).
    Relayed(Box<Relayed>),
}

/// An upstream's answer with what the gateway adds to it.
#[derive(Debug)]
pub(crate) struct Relayed {
    /// The answer: its fields are written as they came, its body streams.
    pub(crate) response: UpstreamResponse,
    /// The `X-Staunch-Attempts` value.
    pub(crate) attempts: HeaderValue,
    /// The endpoint that answered: its id is the `X-Staunch-Endpoint`
    /// value.
    pub(crate) endpoint: Endpoint,
}

impl Answer {
    /// The status the client gets.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Made(response) => response.status(),
            Self::Relayed(relayed) => relayed.response.status(),
        }
    }
}

impl From<Response<ProxyBody>> for Answer {
    fn from(response: Response<ProxyBody>) -> Self {
        Self::Made(response)
    }
}
