//! Reverse proxying of origin-form requests to the best-matching route.

use http::{Response, StatusCode};
use serde_json::json;

use crate::active::ActiveConfig;
use crate::client::ProxyBody;
use crate::reply;
use crate::request::ClientRequest;
use crate::upstream::Upstream;

/// Where an origin-form request goes: the backends of the route that
/// matches its host and path (none: answered at once with 404).
pub(super) fn upstream<'a>(
    active: &'a ActiveConfig,
    request: &ClientRequest,
) -> Result<&'a Upstream, Box<Response<ProxyBody>>> {
    let host = request
        .head
        .host
        .as_ref()
        .and_then(|h| h.to_str().ok())
        .map(host_without_port);
    let path = request.head.uri.path();
    match active.routes().find(host, path) {
        Some(route) => Ok(route.upstream()),
        None => Err(Box::new(reply::json_error(
            StatusCode::NOT_FOUND,
            "no_route",
            "no route matches this host and path",
            json!({ "host": host, "path": path }),
        ))),
    }
}

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
