//! Refuses cross-site writes: a web page the operator happens to visit can
//! make the browser send a body-less `POST` to the loopback admin API (no
//! CORS preflight is needed for that), and a DNS-rebound name can reach it
//! under a foreign `Host`. Mutating calls therefore need a `Host` naming this
//! machine's loopback (or the listener's own address) when the listener is
//! on loopback, and, when the browser says where the call comes from
//! (`Origin`), an origin equal to that host.

use std::net::{IpAddr, SocketAddr};

use http::header::{HOST, ORIGIN};
use http::HeaderMap;
use serde_json::json;

use super::error::ApiError;

/// Checks a mutating call's `Host` and `Origin` against the listener.
pub(super) fn check_same_origin(bound: SocketAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    if bound.ip().is_loopback() {
        if let Some(host) = host {
            if !is_local_host(host, bound) {
                return Err(refused("host", host));
            }
        }
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let same = host.is_some_and(|host| {
            origin
                .strip_prefix("http://")
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        });
        if !same {
            return Err(refused("origin", origin));
        }
    }
    Ok(())
}

/// `localhost`, a loopback address, or the listener's own address, with
/// any port.
fn is_local_host(host: &str, bound: SocketAddr) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') || host.starts_with('[') => {
            if port.chars().all(|c| c.is_ascii_digit()) && !name.is_empty() {
                name
            } else {
                host
            }
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || ip == bound.ip())
}

fn refused(header: &'static str, value: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::FORBIDDEN,
        "cross_origin",
        format!(
            "a change through the admin API must come from the admin page or a local client; \
             `{header}: {value}` is not this listener"
        ),
        json!({ "header": header, "value": value }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn loopback() -> SocketAddr {
        "127.0.0.1:9090".parse().unwrap()
    }

    #[test]
    fn local_clients_without_origin_are_accepted() {
        for host in [
            "127.0.0.1:9090",
            "localhost:9090",
            "[::1]:9090",
            "localhost",
        ] {
            assert!(
                check_same_origin(loopback(), &headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
        assert!(check_same_origin(loopback(), &HeaderMap::new()).is_ok());
    }

    #[test]
    fn the_dashboard_itself_is_accepted() {
        let map = headers(&[
            ("host", "127.0.0.1:9090"),
            ("origin", "http://127.0.0.1:9090"),
        ]);
        assert!(check_same_origin(loopback(), &map).is_ok());
    }

    #[test]
    fn another_site_is_refused_with_403() {
        let map = headers(&[
            ("host", "127.0.0.1:9090"),
            ("origin", "https://evil.example"),
        ]);
        let err = check_same_origin(loopback(), &map).unwrap_err();
        assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_rebound_host_name_is_refused_on_loopback() {
        let map = headers(&[("host", "rebind.evil.example:9090")]);
        assert!(check_same_origin(loopback(), &map).is_err());
    }

    #[test]
    fn a_public_listener_accepts_its_own_name() {
        let bound: SocketAddr = "10.0.0.5:9090".parse().unwrap();
        let map = headers(&[
            ("host", "gw.internal:9090"),
            ("origin", "http://gw.internal:9090"),
        ]);
        assert!(check_same_origin(bound, &map).is_ok());
    }
}
