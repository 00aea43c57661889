//! Reading an upstream's response head: parsed with `httparse` from the
//! connection's read buffer, its end-to-end fields kept as they came
//! ([`RawFields`]), and the body's delimitation decided (RFC 9112 §6.3).

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use http::{StatusCode, Version};

use crate::h1::fields::{span_of, FramingFields, Span, MAX_FIELDS};
use crate::h1::raw_fields::{is_hop_by_hop_response, listed_in_connection, RawFields};

/// The longest response head accepted (large `Set-Cookie` and
/// `Content-Security-Policy` fields make some heads long).
pub(crate) const MAX_HEAD: usize = 256 * 1024;

/// How the response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// No body (a `HEAD` request, 1xx, 204, 304, or a length of 0).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// The `chunked` transfer coding.
    Chunked,
    /// Until the upstream closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    /// The end-to-end fields: hop-by-hop ones (RFC 9110 §7.6.1) are left
    /// out.
    pub(crate) fields: RawFields,
    pub(crate) body: BodyKind,
    /// Whether the connection may carry another request once the body
    /// has been read.
    pub(crate) keep_alive: bool,
}

/// Why a response head is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadResponse(pub(crate) String);

impl std::fmt::Display for BadResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid response from upstream: {}", self.0)
    }
}

impl std::error::Error for BadResponse {}

fn bad(why: impl Into<String>) -> BadResponse {
    BadResponse(why.into())
}

/// Parses a final response head from the front of `buf` and removes it;
/// informational (1xx) heads before it are skipped. `Ok(None)`: the head
/// is not complete yet. `to_head` says the request was `HEAD`.
pub(crate) fn parse_head(buf: &mut BytesMut, to_head: bool) -> Result<Option<Head>, BadResponse> {
    loop {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_FIELDS];
        let mut response = httparse::Response::new(&mut []);
        let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut response,
            buf,
            &mut slots,
        );
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
            Ok(httparse::Status::Complete(_)) => return Err(bad("response head too large")),
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(bad("response head too large"))
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(err) => return Err(bad(err.to_string())),
        };
        let code = response.code.unwrap_or(0);
        let version = if response.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        if (100..200).contains(&code) {
            if code == 101 {
                return Err(bad("101 Switching Protocols to a request without Upgrade"));
            }
            let _ = buf.split_to(len);
            continue;
        }
        let status = StatusCode::from_u16(code).map_err(|_| bad(format!("status {code}")))?;
        let mut framing = FramingFields::default();
        let mut kept: Vec<Span> = Vec::with_capacity(response.headers.len());
        for field in response.headers.iter() {
            let name = field.name.as_bytes();
            framing.see(name, field.value).map_err(BadResponse)?;
            if !is_hop_by_hop_response(name) {
                kept.push(span_of(buf.as_ptr(), name, field.value));
            }
        }
        if framing.names_fields {
            let all = response
                .headers
                .iter()
                .map(|f| (f.name.as_bytes(), f.value));
            kept.retain(|&[start, end, ..]| {
                !listed_in_connection(all.clone(), &buf[start as usize..end as usize])
            });
        }
        // The head is copied out rather than split off: the connection's
        // buffer stays its own, to be reused in place by the next read.
        let fields = RawFields::new(Bytes::copy_from_slice(&buf[..len]), kept);
        buf.advance(len);
        let (body, framing_closes) = body_kind(&framing, status, to_head);
        let keep_alive = !framing_closes
            && !framing.close
            && (version == Version::HTTP_11 || framing.keep_alive);
        return Ok(Some(Head {
            status,
            version,
            fields,
            body,
            keep_alive,
        }));
    }
}

/// The body's delimitation (RFC 9112 §6.3), and whether it forces the
/// connection closed.
fn body_kind(fields: &FramingFields, status: StatusCode, to_head: bool) -> (BodyKind, bool) {
    if to_head || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return (BodyKind::Empty, false);
    }
    match (fields.transfer_encoding, fields.length) {
        // With a Content-Length as well the message is suspect: decode it
        // as chunked and do not reuse the connection.
        (Some(true), length) => (BodyKind::Chunked, length.is_some()),
        (Some(false), _) => (BodyKind::UntilClose, true),
        (None, Some(0)) => (BodyKind::Empty, false),
        (None, Some(len)) => (BodyKind::Length(len), false),
        (None, None) => (BodyKind::UntilClose, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str, to_head: bool) -> Result<Option<Head>, BadResponse> {
        parse_head(&mut BytesMut::from(text.as_bytes()), to_head)
    }

    fn complete(text: &str) -> Head {
        parse(text, false).unwrap().unwrap()
    }

    #[test]
    fn parses_status_headers_and_leaves_the_body() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nX-A: 1\r\nx-a: 2\r\ncontent-length: 4\r\n\r\nbody"[..],
        );
        let head = parse_head(&mut buf, false).unwrap().unwrap();
        assert_eq!(head.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(head.fields.get("retry-after"), Some(&b"1"[..]));
        let values: Vec<_> = head.fields.get_all("x-a").collect();
        assert_eq!(values, [b"1", b"2"]);
        assert_eq!(head.body, BodyKind::Length(4));
        assert!(head.keep_alive);
        assert_eq!(&buf[..], b"body");
    }

    #[test]
    fn partial_heads_wait_for_more() {
        assert!(parse("HTTP/1.1 200 OK\r\ncontent-len", false)
            .unwrap()
            .is_none());
    }

    #[test]
    fn informational_heads_are_skipped() {
        let head =
            complete("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.body, BodyKind::Empty);
    }

    #[test]
    fn hop_by_hop_fields_are_left_out_and_the_rest_kept_as_they_came() {
        let head = complete(
            "HTTP/1.1 200 OK\r\nX-Trace: 1\r\nConnection: keep-alive, x-trace\r\n\
             Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nProxy-Authenticate: Basic\r\n\
             Content-Type: text/plain\r\nUpgrade: h2c\r\nVary: a\r\n\
             Proxy-Connection: X-Proxy-Hop\r\nX-Proxy-Hop: 2\r\n\r\n",
        );
        let kept: Vec<_> = head.fields.iter().collect();
        assert_eq!(
            kept,
            [(&b"Content-Type"[..], &b"text/plain"[..]), (b"Vary", b"a")]
        );
        assert_eq!(head.body, BodyKind::Chunked);
        assert!(head.keep_alive);
    }

    #[test]
    fn body_delimitation_follows_rfc_9112() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
                BodyKind::Chunked,
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
                BodyKind::UntilClose,
                false,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", BodyKind::UntilClose, false),
            (
                "HTTP/1.1 204 No Content\r\ncontent-length: 7\r\n\r\n",
                BodyKind::Empty,
                true,
            ),
            ("HTTP/1.1 304 Not Modified\r\n\r\n", BodyKind::Empty, true),
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 3, 3\r\n\r\n",
                BodyKind::Length(3),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\n",
                BodyKind::Length(3),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\n",
                BodyKind::Length(3),
                false,
            ),
            (
                "HTTP/1.0 200 OK\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\n",
                BodyKind::Length(3),
                true,
            ),
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n",
                BodyKind::Chunked,
                false,
            ),
        ];
        for (text, body, keep_alive) in cases {
            let head = complete(text);
            assert_eq!((head.body, head.keep_alive), (body, keep_alive), "{text}");
        }
        let head = parse("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", true)
            .unwrap()
            .unwrap();
        assert_eq!(head.body, BodyKind::Empty, "the answer to HEAD has no body");
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        for text in [
            "SSH-2.0-OpenSSH\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: +1\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        ] {
            assert!(parse(text, false).is_err(), "{text}");
        }
        let endless = format!("HTTP/1.1 200 OK\r\nx-a: {}", "a".repeat(MAX_HEAD));
        assert_eq!(
            parse(&endless, false).unwrap_err().0,
            "response head too large"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut buf = BytesMut::from(&bytes[..]);
            if let Ok(Some(_)) = parse_head(&mut buf, false) {
                prop_assert!(buf.len() < bytes.len(), "a parsed head is consumed");
            }
        }
    }
}
