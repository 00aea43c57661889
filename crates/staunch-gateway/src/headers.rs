//! Hop-by-hop headers and `X-Forwarded-*`.
//!
//! Hop-by-hop headers describe one connection, so a proxy removes them in
//! both directions (RFC 9110 §7.6.1): `Connection` and every header it
//! names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
//! `Transfer-Encoding`, `Upgrade`; plus `Proxy-Authorization` from clients
//! (credentials meant for this proxy) and `Proxy-Authenticate` from
//! upstreams.

use std::net::IpAddr;

use http::header::{HeaderName, PROXY_AUTHORIZATION};
use http::{HeaderMap, HeaderValue};

use crate::h1::raw_fields::{
    is_hop_by_hop, is_hop_by_hop_response, listed_in_connection, RawFields,
};

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Host`.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Removes hop-by-hop headers from a client's request.
pub fn strip_request_hop_by_hop(headers: &mut HeaderMap) {
    strip(headers, |name| {
        is_hop_by_hop(name) || name.eq_ignore_ascii_case(PROXY_AUTHORIZATION.as_str().as_bytes())
    });
}

/// Removes hop-by-hop headers from an upstream's response.
pub fn strip_response_hop_by_hop(headers: &mut HeaderMap) {
    strip(headers, is_hop_by_hop_response);
}

/// Removes the headers `drop` names, and those a `Connection` or
/// `Proxy-Connection` header lists.
fn strip(headers: &mut HeaderMap, drop: impl Fn(&[u8]) -> bool) {
    // Most have none: one pass over the names is cheaper than a lookup per
    // hop-by-hop name.
    if !headers.keys().any(|name| drop(name.as_str().as_bytes())) {
        return;
    }
    let fields = || {
        headers
            .iter()
            .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()))
    };
    let gone: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            let name = name.as_str().as_bytes();
            drop(name) || listed_in_connection(fields(), name)
        })
        .cloned()
        .collect();
    for name in gone {
        headers.remove(name);
    }
}

/// Sets the `X-Forwarded-*` headers of a reverse-proxied request:
/// appends `client` to `X-Forwarded-For`, records the host the client asked
/// for in `X-Forwarded-Host`, and the scheme it used in `X-Forwarded-Proto`.
pub fn set_forwarded(headers: &mut HeaderMap, client: IpAddr, original_host: Option<&HeaderValue>) {
    set_forwarded_for(headers, &ip_value(client), original_host);
}

/// `client` as a header value (`192.0.2.7`, `::1`).
pub(crate) fn ip_value(client: IpAddr) -> HeaderValue {
    HeaderValue::from_str(&client.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// [`set_forwarded`] with the client's address already rendered by
/// [`ip_value`] (once per connection rather than per request).
pub(crate) fn set_forwarded_for(
    headers: &mut HeaderMap,
    client: &HeaderValue,
    original_host: Option<&HeaderValue>,
) {
    Forwarded::of(headers, client, original_host).apply(headers);
}

/// The `X-Forwarded-*` values of one reverse-proxied request: the
/// client's address appended to any `X-Forwarded-For` chain it sent, the
/// host it asked for, and the scheme it used (`http`). Values the client
/// sent for `X-Forwarded-Host` and `X-Forwarded-Proto` are replaced.
#[derive(Debug, Clone)]
pub struct Forwarded {
    chain: HeaderValue,
    host: Option<HeaderValue>,
}

impl Forwarded {
    /// The values for a request with `headers` from `client` (its address
    /// as a header value: `192.0.2.7`, `::1`) that asked for
    /// `original_host`.
    pub fn of(
        headers: &HeaderMap,
        client: &HeaderValue,
        original_host: Option<&HeaderValue>,
    ) -> Self {
        let earlier = headers.get_all(&X_FORWARDED_FOR);
        Self::after(
            earlier.iter().map(HeaderValue::as_bytes),
            client,
            original_host,
        )
    }

    /// [`Forwarded::of`] a request with `fields`.
    pub(crate) fn of_fields(
        fields: &RawFields,
        client: &HeaderValue,
        original_host: Option<&HeaderValue>,
    ) -> Self {
        Self::after(
            fields.get_all(X_FORWARDED_FOR.as_str()),
            client,
            original_host,
        )
    }

    /// The values after the `X-Forwarded-For` values `earlier`.
    fn after<'a>(
        earlier: impl Iterator<Item = &'a [u8]>,
        client: &HeaderValue,
        original_host: Option<&HeaderValue>,
    ) -> Self {
        let earlier: Vec<&str> = earlier
            .filter_map(|v| std::str::from_utf8(v).ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let chain = if earlier.is_empty() {
            client.clone()
        } else {
            let client = String::from_utf8_lossy(client.as_bytes());
            HeaderValue::from_str(&format!("{}, {client}", earlier.join(", ")))
                .unwrap_or_else(|_| client_value(&client))
        };
        Self {
            chain,
            host: original_host.cloned(),
        }
    }

    /// Sets the values in `headers`.
    pub fn apply(self, headers: &mut HeaderMap) {
        headers.insert(X_FORWARDED_FOR, self.chain);
        match self.host {
            Some(host) => {
                headers.insert(X_FORWARDED_HOST, host);
            }
            None => {
                headers.remove(X_FORWARDED_HOST);
            }
        }
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    }

    /// The headers these values replace.
    pub fn replaces(name: &HeaderName) -> bool {
        Self::replaces_field(name.as_str().as_bytes())
    }

    /// Whether these values replace a field named `name` (any case).
    pub(crate) fn replaces_field(name: &[u8]) -> bool {
        match name.len() {
            15 => name.eq_ignore_ascii_case(X_FORWARDED_FOR.as_str().as_bytes()),
            16 => name.eq_ignore_ascii_case(X_FORWARDED_HOST.as_str().as_bytes()),
            17 => name.eq_ignore_ascii_case(X_FORWARDED_PROTO.as_str().as_bytes()),
            _ => false,
        }
    }

    /// The fields as `(name, value)` pairs, in the order they are sent.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &[u8])> {
        [
            Some(("x-forwarded-for", self.chain.as_bytes())),
            self.host
                .as_ref()
                .map(|host| ("x-forwarded-host", host.as_bytes())),
            Some(("x-forwarded-proto", &b"http"[..])),
        ]
        .into_iter()
        .flatten()
    }
}

fn client_value(client: &str) -> HeaderValue {
    HeaderValue::from_str(client).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn request_loses_hop_by_hop_and_connection_listed_headers() {
        let mut h = map(&[
            ("connection", "keep-alive, X-Secret-Hop"),
            ("x-secret-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("proxy-authorization", "Basic abc"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("accept", "*/*"),
        ]);
        strip_request_hop_by_hop(&mut h);
        let left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["accept"]);
    }

    #[test]
    fn proxy_credentials_alone_are_still_removed() {
        let mut h = map(&[("proxy-authorization", "Basic abc"), ("accept", "*/*")]);
        strip_request_hop_by_hop(&mut h);
        let left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["accept"]);
        let mut h = map(&[("proxy-authenticate", "Basic"), ("etag", "\"1\"")]);
        strip_response_hop_by_hop(&mut h);
        let left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["etag"]);
    }

    #[test]
    fn end_to_end_headers_pass_untouched() {
        let pairs = [
            ("accept", "*/*"),
            ("x-trace", "a"),
            ("x-trace", "b"),
            ("cookie", "k=v"),
        ];
        let mut h = map(&pairs);
        strip_request_hop_by_hop(&mut h);
        assert_eq!(h, map(&pairs));
        strip_response_hop_by_hop(&mut h);
        assert_eq!(h, map(&pairs));
    }

    #[test]
    fn prerendered_client_address_matches_set_forwarded() {
        let ip: IpAddr = "2001:db8::7".parse().unwrap();
        let mut a = map(&[("x-forwarded-for", "10.0.0.1")]);
        let mut b = a.clone();
        set_forwarded(&mut a, ip, None);
        set_forwarded_for(&mut b, &ip_value(ip), None);
        assert_eq!(a, b);
        assert_eq!(a[X_FORWARDED_FOR], "10.0.0.1, 2001:db8::7");
    }

    #[test]
    fn response_loses_proxy_authenticate_but_keeps_end_to_end_headers() {
        let mut h = map(&[
            ("proxy-authenticate", "Basic"),
            ("connection", "close"),
            ("content-type", "text/plain"),
            ("content-length", "3"),
        ]);
        strip_response_hop_by_hop(&mut h);
        assert!(h.get("proxy-authenticate").is_none());
        assert!(h.get("connection").is_none());
        assert_eq!(h["content-type"], "text/plain");
        assert_eq!(h["content-length"], "3");
    }

    #[test]
    fn forwarded_for_appends_client_to_existing_chain() {
        let mut h = map(&[
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        let host = HeaderValue::from_static("shop.example:8080");
        set_forwarded(&mut h, "192.0.2.7".parse().unwrap(), Some(&host));
        assert_eq!(h[X_FORWARDED_FOR], "10.0.0.1, 10.0.0.2, 192.0.2.7");
        assert_eq!(h[X_FORWARDED_HOST], "shop.example:8080");
        assert_eq!(h[X_FORWARDED_PROTO], "http");
    }

    #[test]
    fn forwarded_fields_match_what_apply_sets() {
        let h = map(&[
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-proto", "https"),
        ]);
        let host = HeaderValue::from_static("shop.example");
        let forwarded = Forwarded::of(&h, &ip_value("192.0.2.7".parse().unwrap()), Some(&host));
        let mut fields: Vec<_> = forwarded
            .fields()
            .map(|(name, value)| (name, String::from_utf8_lossy(value).into_owned()))
            .collect();
        let mut applied = h.clone();
        forwarded.apply(&mut applied);
        let mut expected: Vec<_> = applied
            .iter()
            .filter(|(name, _)| Forwarded::replaces(name))
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(fields[0].1, "10.0.0.1, 192.0.2.7");
        fields.sort();
        expected.sort();
        assert_eq!(fields, expected);
        assert!(Forwarded::replaces(&X_FORWARDED_HOST));
        assert!(!Forwarded::replaces(&http::header::HOST));
    }

    #[test]
    fn client_supplied_forwarded_proto_is_overwritten() {
        let mut h = map(&[("x-forwarded-proto", "https"), ("x-forwarded-host", "evil")]);
        set_forwarded(&mut h, "::1".parse().unwrap(), None);
        assert_eq!(h[X_FORWARDED_PROTO], "http");
        assert!(h.get(X_FORWARDED_HOST).is_none());
        assert_eq!(h[X_FORWARDED_FOR], "::1");
    }
}
