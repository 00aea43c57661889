//! Header fields kept as they came: the head's bytes and where each field
//! sits in them. Relaying an upstream's answer this way writes its field
//! lines back out as they are (names keep their case), with no map built,
//! hashed and taken apart per answer; a head carries a handful of fields,
//! so a lookup is a short scan.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::fields::Span;

/// The header fields of a parsed head, in the order they came.
#[derive(Clone, Default)]
pub struct RawFields {
    head: Bytes,
    spans: Vec<Span>,
}

impl RawFields {
    /// The fields at `spans` (offsets of name and value) of `head`.
    pub(crate) fn new(head: Bytes, spans: Vec<Span>) -> Self {
        Self { head, spans }
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each field's name (as it came) and value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.spans
            .iter()
            .map(|&[name_start, name_end, value_start, value_end]| {
                (
                    &self.head[name_start as usize..name_end as usize],
                    &self.head[value_start as usize..value_end as usize],
                )
            })
    }

    /// The values of every field named `name` (any case), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(field, _)| field.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| value)
    }

    /// The value of the first field named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| value)
    }

    /// Keeps only the fields whose name `keep` accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let head = &self.head;
        self.spans
            .retain(|&[start, end, ..]| keep(&head[start as usize..end as usize]));
    }

    /// The fields of `map` that `keep` accepts, in the map's order.
    pub fn from_map(map: &HeaderMap, mut keep: impl FnMut(&HeaderName) -> bool) -> Self {
        let mut head = Vec::new();
        let mut spans = Vec::with_capacity(map.len());
        for (name, value) in map {
            if !keep(name) {
                continue;
            }
            let name_start = head.len() as u32;
            head.extend_from_slice(name.as_str().as_bytes());
            let value_start = head.len() as u32;
            head.extend_from_slice(value.as_bytes());
            spans.push([name_start, value_start, value_start, head.len() as u32]);
        }
        Self::new(Bytes::from(head), spans)
    }

    /// Fields from `(name, value)` pairs, names in their own case.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let mut head = Vec::new();
        let mut spans = Vec::new();
        for (name, value) in pairs {
            let name_start = head.len() as u32;
            head.extend_from_slice(name.as_bytes());
            let value_start = head.len() as u32;
            head.extend_from_slice(value.as_bytes());
            spans.push([name_start, value_start, value_start, head.len() as u32]);
        }
        Self::new(Bytes::from(head), spans)
    }

    /// The fields as a [`HeaderMap`] (names lowercased).
    pub fn to_header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.len());
        for (name, value) in self.iter() {
            // The parser admitted only valid names and values.
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                map.append(name, value);
            }
        }
        map
    }
}

impl fmt::Debug for RawFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(name, value)| {
                (
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value),
                )
            }))
            .finish()
    }
}

/// Whether a field named `name` (any case) describes one connection
/// (RFC 9110 §7.6.1): `Connection`, `Keep-Alive`, `Proxy-Connection`,
/// `TE`, `Trailer`, `Transfer-Encoding` or `Upgrade`. (Names a
/// `Connection` field lists are found by [`listed_in_connection`].)
pub(crate) fn is_hop_by_hop(name: &[u8]) -> bool {
    let is = |known: &[u8]| name.eq_ignore_ascii_case(known);
    match name.len() {
        2 => is(b"te"),
        7 => is(b"trailer") || is(b"upgrade"),
        10 => is(b"connection") || is(b"keep-alive"),
        16 => is(b"proxy-connection"),
        17 => is(b"transfer-encoding"),
        _ => false,
    }
}

/// Whether an upstream's answer field named `name` is not relayed: a
/// hop-by-hop one, or an upstream proxy's `Proxy-Authenticate`.
pub(crate) fn is_hop_by_hop_response(name: &[u8]) -> bool {
    is_hop_by_hop(name) || name.eq_ignore_ascii_case(b"proxy-authenticate")
}

/// Whether `name` is one of the connection options listed in the
/// `Connection` or `Proxy-Connection` fields of `fields`.
pub(crate) fn listed_in_connection<'a>(
    fields: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    name: &[u8],
) -> bool {
    fields
        .filter(|(field, _)| {
            field.eq_ignore_ascii_case(b"connection")
                || field.eq_ignore_ascii_case(b"proxy-connection")
        })
        .flat_map(|(_, value)| value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .any(|token| !token.is_empty() && token.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case_and_keep_order() {
        let raw = RawFields::from_pairs(&[
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]);
        assert_eq!(raw.len(), 3);
        assert_eq!(raw.get("content-type"), Some(&b"text/plain"[..]));
        assert_eq!(raw.get("SET-COOKIE"), Some(&b"a=1"[..]));
        let cookies: Vec<_> = raw.get_all("set-cookie").collect();
        assert_eq!(cookies, [&b"a=1"[..], &b"b=2"[..]]);
        assert_eq!(raw.get("date"), None);
        let names: Vec<_> = raw.iter().map(|(name, _)| name).collect();
        assert_eq!(names, [&b"Content-Type"[..], b"Set-Cookie", b"set-cookie"]);
    }

    #[test]
    fn fields_from_a_map_keep_its_order_and_drop_what_is_refused() {
        let mut map = HeaderMap::new();
        map.append("accept", HeaderValue::from_static("*/*"));
        map.append("host", HeaderValue::from_static("a.test"));
        map.append("vary", HeaderValue::from_static("a"));
        map.append("vary", HeaderValue::from_static("b"));
        let mut raw = RawFields::from_map(&map, |name| name != "host");
        let fields: Vec<_> = raw.iter().collect();
        assert_eq!(
            fields,
            [
                (&b"accept"[..], &b"*/*"[..]),
                (b"vary", b"a"),
                (b"vary", b"b")
            ]
        );
        raw.retain(|name| name != b"vary");
        assert_eq!(raw.len(), 1);
        assert_eq!(raw.get("Accept"), Some(&b"*/*"[..]));
    }

    #[test]
    fn header_map_has_every_field() {
        let raw = RawFields::from_pairs(&[("Retry-After", "5"), ("Vary", "a"), ("Vary", "b")]);
        let map = raw.to_header_map();
        assert_eq!(map.len(), 3);
        assert_eq!(map["retry-after"], "5");
        assert_eq!(map.get_all("vary").iter().count(), 2);
    }

    #[test]
    fn hop_by_hop_names_in_any_case() {
        for name in [
            "Connection",
            "keep-alive",
            "PROXY-CONNECTION",
            "te",
            "Trailer",
            "Transfer-Encoding",
            "upgrade",
            "Proxy-Authenticate",
        ] {
            assert!(is_hop_by_hop_response(name.as_bytes()), "{name}");
        }
        for name in [
            "content-length",
            "tee",
            "date",
            "proxy-authorization",
            "x-staunch-attempts",
        ] {
            assert!(!is_hop_by_hop_response(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn connection_options_name_fields() {
        let raw = RawFields::from_pairs(&[
            ("Connection", "close, X-Trace ,keep-alive"),
            ("X-Trace", "1"),
            ("X-Other", "2"),
        ]);
        assert!(listed_in_connection(raw.iter(), b"x-trace"));
        assert!(!listed_in_connection(raw.iter(), b"x-other"));
    }
}
