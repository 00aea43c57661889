//! Requests aimed at the gateway's own listeners are refused: through the
//! forward proxy, a client that may reach the proxy (perhaps from another
//! machine) would otherwise reach the loopback-only admin API, or make the
//! proxy call itself in a loop.

use std::net::{IpAddr, SocketAddr};

use http::uri::Authority;
use http::{Response, StatusCode};
use serde_json::json;

use crate::client::ProxyBody;
use crate::config::Validated;
use crate::reply;

/// `Some(403)` when `target` names one of the gateway's own listeners.
pub(super) fn refuse_own_listener(
    target: &Authority,
    default_port: u16,
    settings: &Validated,
) -> Option<Response<ProxyBody>> {
    let port = target.port_u16().unwrap_or(default_port);
    let own = [settings.listen, settings.admin_listen]
        .into_iter()
        .any(|listener| names_listener(target.host(), port, listener));
    own.then(|| {
        reply::json_error(
            StatusCode::FORBIDDEN,
            "own_listener",
            "the gateway does not proxy requests to its own listeners",
            json!({ "target": target.as_str() }),
        )
    })
}

/// Whether `host:port` is `listener` as seen from this machine.
fn names_listener(host: &str, port: u16, listener: SocketAddr) -> bool {
    if port != listener.port() || port == 0 {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return listener.ip().is_loopback() || listener.ip().is_unspecified();
    }
    host.parse::<IpAddr>().is_ok_and(|ip| {
        ip == listener.ip()
            || listener.ip().is_unspecified()
            || (ip.is_loopback() && listener.ip().is_loopback())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_admin_listener_is_recognised_under_its_local_names() {
        let admin = addr("127.0.0.1:9090");
        for host in ["127.0.0.1", "localhost", "[::1]", "127.0.0.2"] {
            assert!(names_listener(host, 9090, admin), "{host}");
        }
    }

    #[test]
    fn other_ports_and_hosts_are_not_the_gateway() {
        let admin = addr("127.0.0.1:9090");
        assert!(!names_listener("127.0.0.1", 9091, admin));
        assert!(!names_listener("example.test", 9090, admin));
        assert!(!names_listener("10.0.0.1", 9090, admin));
    }

    #[test]
    fn an_unspecified_listener_matches_any_local_address() {
        let proxy = addr("0.0.0.0:8080");
        assert!(names_listener("10.1.2.3", 8080, proxy));
        assert!(names_listener("localhost", 8080, proxy));
    }

    #[test]
    fn ephemeral_port_zero_never_matches() {
        assert!(!names_listener("127.0.0.1", 0, addr("127.0.0.1:0")));
    }
}
