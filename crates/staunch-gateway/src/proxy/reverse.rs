//! Reverse proxying of origin-form requests to the best-matching route.

use http::StatusCode;
use serde_json::json;

use super::exchange::{exchange, Mode};
use super::Peer;
use crate::active::ActiveConfig;
use crate::answer::Answer;
use crate::engine::{Engine, LivePolicy};
use crate::reply;
use crate::request::ClientRequest;

/// Sends an origin-form request to its route's backends.
pub(super) async fn handle(
    engine: &Engine,
    (active, policy): (&ActiveConfig, &LivePolicy),
    request: ClientRequest,
    peer: &Peer,
) -> Answer {
    let host = request
        .head
        .host
        .as_ref()
        .and_then(|h| h.to_str().ok())
        .map(host_without_port);
    let path = request.head.uri.path();
    let Some(route) = active.routes().find(host, path) else {
        return reply::json_error(
            StatusCode::NOT_FOUND,
            "no_route",
            "no route matches this host and path",
            json!({ "host": host, "path": path }),
        )
        .into();
    };
    let target = request.head.uri.clone();
    exchange(
        engine,
        policy,
        request,
        target,
        route.upstream(),
        active.max_replay_body(),
        peer,
        Mode::Reverse,
    )
    .await
}

/// `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`.
fn host_without_port(host: &str) -> &str {
    // Byte searches: cheaper than `str` patterns on every request.
    let bytes = host.as_bytes();
    match bytes.iter().rposition(|&b| b == b':') {
        Some(i) if !bytes[i..].contains(&b']') => &host[..i],
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::host_without_port;

    #[test]
    fn port_is_dropped_from_host() {
        assert_eq!(host_without_port("a.example:8080"), "a.example");
        assert_eq!(host_without_port("a.example"), "a.example");
        assert_eq!(host_without_port("[::1]:80"), "[::1]");
        assert_eq!(host_without_port("[::1]"), "[::1]");
    }
}
