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
mod reverse;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response};
use hyper::body::Incoming;
use serde_json::json;

use crate::client::ProxyBody;
use crate::reply;
use crate::server::Shared;

/// Answers one request from the client at `peer`.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<ProxyBody>, Infallible> {
    let active = shared.active();
    let response = if request.method() == Method::CONNECT {
        connect::handle(&shared, &active, request).await
    } else if request.uri().scheme().is_some() {
        forward::handle(shared.engine(), &active, request, peer).await
    } else if request.uri().path().starts_with('/') {
        reverse::handle(shared.engine(), &active, request, peer).await
    } else {
        reply::bad_request(
            "request target must be absolute (forward proxy) or a path (reverse route)",
            json!({ "target": request.uri().to_string() }),
        )
    };
    Ok(response)
}
