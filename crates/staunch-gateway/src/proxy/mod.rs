//! The proxy listener's request handling: dispatch by request form.
//!
//! - `CONNECT host:port` opens a tunnel ([`connect`]);
//! - absolute-form `GET http://host/path` is forward-proxied ([`forward`]);
//! - origin-form `GET /path` goes to the route matching its path and host
//!   ([`reverse`]);
//! - anything else (`OPTIONS *`, an authority without CONNECT) gets 400.

mod connect;
mod exchange;
mod forward;
mod own;
mod reverse;

use std::net::SocketAddr;

use http::{HeaderValue, Method};
use serde_json::json;

use self::exchange::{exchange, Mode};
use crate::active::ActiveConfig;
use crate::answer::Answer;
use crate::engine::LivePolicy;
use crate::headers::ip_value;
use crate::reply;
use crate::request::ClientRequest;
use crate::server::Shared;

/// The client at the other end of one proxy connection.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// Its address as an `X-Forwarded-For` entry, rendered once per
    /// connection.
    forwarded_for: HeaderValue,
}

impl Peer {
    /// The client at `addr`.
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Self {
            forwarded_for: ip_value(addr.ip()),
        }
    }
}

/// Answers one request from `peer`, under the configuration and retry
/// policy in `live`.
pub(crate) async fn handle(
    shared: &Shared,
    live: (&ActiveConfig, &LivePolicy),
    request: ClientRequest,
    peer: &Peer,
) -> Answer {
    let (active, policy) = live;
    let uri = &request.head.uri;
    // The exchange is awaited here rather than inside a forward or
    // reverse handler: each level of async function would copy the whole
    // exchange's state once more per request.
    let (upstream, mode) = if request.head.method == Method::CONNECT {
        return connect::handle(shared, live, request).await.into();
    } else if uri.scheme().is_some() {
        (forward::upstream(active, &request), Mode::Forward)
    } else if uri.path().starts_with('/') {
        (reverse::upstream(active, &request), Mode::Reverse)
    } else {
        return reply::bad_request(
            "request target must be absolute (forward proxy) or a path (reverse route)",
            json!({ "target": uri.to_string() }),
        )
        .into();
    };
    match upstream {
        Ok(upstream) => {
            let limit = active.max_replay_body();
            exchange(
                shared.engine(),
                policy,
                request,
                upstream,
                limit,
                peer,
                mode,
            )
            .await
        }
        Err(refused) => (*refused).into(),
    }
}
