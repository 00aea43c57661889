//! Reading a client's request head: parsed with `httparse` from the
//! connection's read buffer, the target and header values shared with that
//! buffer rather than copied, and the body's delimitation decided (RFC
//! 9112 §6.3).

use std::mem::MaybeUninit;

use bytes::BytesMut;
use http::header::{EXPECT, HOST};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, Request, Uri, Version};

use crate::h1::fields::{record_spans, to_map, FramingFields, MAX_FIELDS};

/// The longest request head accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// Header fields the gateway may add before forwarding (`X-Forwarded-*`
/// are written separately; this is room for `Host` and the like).
const ROOM: usize = 2;

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// The `chunked` transfer coding.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) parts: Parts,
    pub(crate) body: BodyKind,
    /// Whether the client keeps the connection open after the response.
    pub(crate) keep_alive: bool,
    /// Whether the client waits for `100 Continue` before sending the body.
    pub(crate) expect_continue: bool,
}

/// Why a request head is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// Longer than [`MAX_HEAD`] or with more than 100 fields: `431`.
    TooLarge,
    /// Not a valid HTTP/1.x request head: `400`, with the reason.
    Invalid(String),
}

fn invalid(why: impl Into<String>) -> HeadError {
    HeadError::Invalid(why.into())
}

/// Parses a request head from the front of `buf` and removes it.
/// `Ok(None)`: the head is not complete yet.
pub(crate) fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, HeadError> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_FIELDS];
    let mut request = httparse::Request::new(&mut []);
    let len = match request.parse_with_uninit_headers(buf, &mut slots) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
        Ok(httparse::Status::Complete(_)) => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(err) => return Err(invalid(err.to_string())),
    };
    let method = Method::from_bytes(request.method.unwrap_or("").as_bytes())
        .map_err(|_| invalid("invalid method"))?;
    let version = if request.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let path = request.path.unwrap_or("");
    let target = (path.as_ptr() as usize - buf.as_ptr() as usize, path.len());
    let mut spans = [[0u32; 4]; MAX_FIELDS];
    let count = record_spans(buf.as_ptr(), request.headers, &mut spans);
    let block = buf.split_to(len).freeze();
    // The target shares the head's bytes too.
    let uri = Uri::from_maybe_shared(block.slice(target.0..target.0 + target.1))
        .map_err(|_| invalid("invalid request target"))?;
    let mut fields = RequestFields::default();
    let headers = to_map(&spans[..count], &block, ROOM, |name, value| {
        fields.see(name, value)
    })
    .map_err(HeadError::Invalid)?;
    let body = fields.body_kind()?;
    if version == Version::HTTP_11 && fields.hosts != 1 {
        return Err(invalid(if fields.hosts == 0 {
            "HTTP/1.1 request without Host"
        } else {
            "more than one Host field"
        }));
    }
    let mut parts = Request::new(()).into_parts().0;
    parts.method = method;
    parts.uri = uri;
    parts.version = version;
    parts.headers = headers;
    Ok(Some(Head {
        parts,
        body,
        // An HTTP/1.0 client cannot tell where a chunked body ends other
        // than by the connection closing (RFC 9112 §6.1).
        keep_alive: !fields.framing.close
            && (version == Version::HTTP_11
                || (fields.framing.keep_alive && fields.framing.transfer_encoding.is_none())),
        expect_continue: fields.expect_continue && version == Version::HTTP_11,
    }))
}

/// What the fields that delimit the body and govern the connection say,
/// and the request's own: `Host` and `Expect`.
#[derive(Debug, Default)]
struct RequestFields {
    framing: FramingFields,
    expect_continue: bool,
    /// How many `Host` fields.
    hosts: usize,
}

impl RequestFields {
    fn see(&mut self, name: &HeaderName, value: &HeaderValue) -> Result<(), String> {
        if *name == HOST {
            self.hosts += 1;
        } else if *name == EXPECT {
            self.expect_continue = value.as_bytes().eq_ignore_ascii_case(b"100-continue");
        }
        self.framing.see(name.as_str().as_bytes(), value.as_bytes())
    }

    /// RFC 9112 §6.3 for requests: `chunked` last, or a length, or none.
    /// Both at once, or another final coding, could desynchronize the
    /// gateway and the upstream about where the request ends: refused.
    fn body_kind(&self) -> Result<BodyKind, HeadError> {
        match (self.framing.transfer_encoding, self.framing.length) {
            (Some(_), Some(_)) => Err(invalid("both Transfer-Encoding and Content-Length")),
            (Some(true), None) => Ok(BodyKind::Chunked),
            (Some(false), None) => Err(invalid("Transfer-Encoding does not end with chunked")),
            (None, Some(0) | None) => Ok(BodyKind::Empty),
            (None, Some(len)) => Ok(BodyKind::Length(len)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<Option<Head>, HeadError> {
        parse_head(&mut BytesMut::from(text.as_bytes()))
    }

    fn complete(text: &str) -> Head {
        parse(text).unwrap().unwrap()
    }

    #[test]
    fn parses_method_target_version_headers_and_leaves_the_body() {
        let mut buf = BytesMut::from(
            &b"POST http://example.test/a?b=1 HTTP/1.1\r\nHost: example.test\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 4\r\n\r\nbodyGET"[..],
        );
        let head = parse_head(&mut buf).unwrap().unwrap();
        assert_eq!(head.parts.method, Method::POST);
        assert_eq!(head.parts.uri, "http://example.test/a?b=1");
        assert_eq!(head.parts.version, Version::HTTP_11);
        let values: Vec<_> = head.parts.headers.get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
        assert_eq!(head.body, BodyKind::Length(4));
        assert!(head.keep_alive && !head.expect_continue);
        assert_eq!(&buf[..], b"bodyGET");
    }

    #[test]
    fn connect_targets_and_partial_heads() {
        let head = complete("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
        assert_eq!(head.parts.uri.authority().unwrap(), "example.test:443");
        assert!(parse("GET / HTTP/1.1\r\nHost: a").unwrap().is_none());
    }

    #[test]
    fn connection_and_expect_fields() {
        assert!(!complete("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!complete("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        let head = complete(
            "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
        );
        assert!(head.expect_continue);
        assert!(!complete("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
    }

    #[test]
    fn body_delimitation() {
        let chunked_1_0 =
            "POST / HTTP/1.0\r\nConnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(
            !complete(chunked_1_0).keep_alive,
            "HTTP/1.0 with a chunked body closes after it"
        );
        assert_eq!(
            complete("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body,
            BodyKind::Empty
        );
        assert_eq!(
            complete("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 0\r\n\r\n").body,
            BodyKind::Empty
        );
        assert_eq!(
            complete("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n").body,
            BodyKind::Chunked
        );
        assert_eq!(
            complete("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 7, 7\r\n\r\n").body,
            BodyKind::Length(7)
        );
    }

    #[test]
    fn smuggling_shapes_and_garbage_are_refused() {
        for text in [
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\ncontent-length: -3\r\n\r\n",
            "GET / HTTP/1.1\r\nbad header\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "\x16\x03\x01\x02\x00\x01\x00\x01\x03\x03\r\n\r\n",
        ] {
            assert!(
                matches!(parse(text), Err(HeadError::Invalid(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn oversized_heads_are_too_large() {
        let long = format!("GET / HTTP/1.1\r\nx-a: {}", "a".repeat(MAX_HEAD));
        assert_eq!(parse(&long).unwrap_err(), HeadError::TooLarge);
        let complete = format!("{long}\r\n\r\n");
        assert_eq!(parse(&complete).unwrap_err(), HeadError::TooLarge);
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "x-a: 1\r\n".repeat(MAX_FIELDS + 1)
        );
        assert_eq!(parse(&many).unwrap_err(), HeadError::TooLarge);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut buf = BytesMut::from(&bytes[..]);
            if let Ok(Some(_)) = parse_head(&mut buf) {
                prop_assert!(buf.len() < bytes.len(), "a parsed head is consumed");
            }
        }
    }
}
