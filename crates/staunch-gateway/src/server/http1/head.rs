//! Reading a client's request head: parsed with `httparse` from the
//! connection's read buffer, the target and the end-to-end fields kept as
//! slices of the head's bytes ([`RawFields`]), and the body's delimitation
//! decided (RFC 9112 §6.3).

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderValue, Method, Uri, Version};

use crate::h1::fields::{span_of, FramingFields, Span, MAX_FIELDS};
use crate::h1::raw_fields::{is_hop_by_hop, listed_in_connection, RawFields};
use crate::request::RequestHead;

/// What control fields' names start with.
const CONTROL_PREFIX: &[u8] = crate::control::CONTROL_PREFIX.as_bytes();

/// The longest request head accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

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
    pub(crate) request: RequestHead,
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
    let base = buf.as_ptr() as usize;
    let offset = |part: &[u8]| (part.as_ptr() as usize - base) as u32;
    let path = request.path.unwrap_or("");
    let target = offset(path.as_bytes()) as usize..offset(path.as_bytes()) as usize + path.len();
    let mut fields = RequestFields::default();
    let mut kept: Vec<Span> = Vec::new();
    let mut host = None;
    for field in request.headers.iter() {
        let name = field.name.as_bytes();
        let value = field.value;
        match fields.see(name, value).map_err(HeadError::Invalid)? {
            Role::Host => host = Some(offset(value)..offset(value) + value.len() as u32),
            Role::Hop => {}
            Role::EndToEnd => {
                if kept.is_empty() {
                    kept.reserve_exact(request.headers.len());
                }
                kept.push(span_of(buf.as_ptr(), name, value));
            }
        }
    }
    if fields.framing.names_fields {
        let all = request.headers.iter().map(|f| (f.name.as_bytes(), f.value));
        kept.retain(|&[start, end, ..]| {
            !listed_in_connection(all.clone(), &buf[start as usize..end as usize])
        });
    }
    let body = fields.body_kind()?;
    // RFC 9112 §3.2: a 1.1 request needs one, and no request may have two.
    if fields.hosts > 1 {
        return Err(invalid("more than one Host field"));
    }
    if version == Version::HTTP_11 && fields.hosts == 0 {
        return Err(invalid("HTTP/1.1 request without Host"));
    }
    // The target, the `Host` value and the kept fields are copied out of
    // the read buffer rather than split off and shared with it: a few
    // small copies cost less than the shared count's atomic writes, and
    // the buffer stays the connection's own.
    let uri = Uri::from_maybe_shared(Bytes::copy_from_slice(&buf[target]))
        .map_err(|_| invalid("invalid request target"))?;
    let host = match host {
        Some(at) => Some(
            HeaderValue::from_bytes(&buf[at.start as usize..at.end as usize])
                .map_err(|_| invalid("invalid Host"))?,
        ),
        None => None,
    };
    let kept = match kept.is_empty() {
        true => RawFields::default(),
        false => RawFields::new(Bytes::copy_from_slice(&buf[..len]), kept),
    };
    buf.advance(len);
    Ok(Some(Head {
        request: RequestHead {
            method,
            uri,
            version,
            host,
            fields: kept,
            has_control: fields.control,
            content_length: fields.framing.length,
        },
        body,
        // An HTTP/1.0 client cannot tell where a chunked body ends other
        // than by the connection closing (RFC 9112 §6.1).
        keep_alive: !fields.framing.close
            && (version == Version::HTTP_11
                || (fields.framing.keep_alive && fields.framing.transfer_encoding.is_none())),
        expect_continue: fields.expect_continue && version == Version::HTTP_11,
    }))
}

/// What becomes of a request field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `Host`: each endpoint gets its own.
    Host,
    /// Read here and not forwarded: it concerns this connection or this
    /// proxy (hop-by-hop fields, `Proxy-Authorization`, `Expect`), or the
    /// gateway writes its own (`Content-Length`).
    Hop,
    /// Forwarded as it came.
    EndToEnd,
}

/// What the fields that delimit the body and govern the connection say,
/// and the request's own: `Host`, `Expect` and control fields.
#[derive(Debug, Default)]
struct RequestFields {
    framing: FramingFields,
    expect_continue: bool,
    /// How many `Host` fields.
    hosts: usize,
    /// Whether a field's name starts with `X-Staunch-`.
    control: bool,
}

impl RequestFields {
    /// Takes note of one field (`name` in any case) and says what becomes
    /// of it.
    fn see(&mut self, name: &[u8], value: &[u8]) -> Result<Role, String> {
        let is = |known: &[u8]| name.eq_ignore_ascii_case(known);
        let role = match name.len() {
            4 if is(b"host") => {
                self.hosts += 1;
                Role::Host
            }
            6 if is(b"expect") => {
                self.expect_continue = value.eq_ignore_ascii_case(b"100-continue");
                Role::Hop
            }
            14 if is(b"content-length") => Role::Hop,
            19 if is(b"proxy-authorization") => Role::Hop,
            _ if is_hop_by_hop(name) => Role::Hop,
            _ => {
                self.control |= name.len() > CONTROL_PREFIX.len()
                    && name[..CONTROL_PREFIX.len()].eq_ignore_ascii_case(CONTROL_PREFIX);
                Role::EndToEnd
            }
        };
        self.framing.see(name, value)?;
        Ok(role)
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
        let request = &head.request;
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.uri, "http://example.test/a?b=1");
        assert_eq!(request.version, Version::HTTP_11);
        assert_eq!(request.host.as_ref().unwrap(), "example.test");
        assert_eq!(request.content_length, Some(4));
        let fields: Vec<_> = request.fields.iter().collect();
        assert_eq!(fields, [(&b"X-A"[..], &b"1"[..]), (b"x-a", b"2")]);
        assert!(!request.has_control);
        assert_eq!(head.body, BodyKind::Length(4));
        assert!(head.keep_alive && !head.expect_continue);
        assert_eq!(&buf[..], b"bodyGET");
    }

    #[test]
    fn connect_targets_and_partial_heads() {
        let head = complete("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
        assert_eq!(head.request.uri.authority().unwrap(), "example.test:443");
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
    fn only_end_to_end_fields_are_kept_and_control_fields_are_noticed() {
        let head = complete(
            "POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\
             Keep-Alive: 5\r\nProxy-Authorization: Basic eDp5\r\nProxy-Connection: close\r\n\
             TE: trailers\r\nTrailer: x\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n\
             Content-Length: 0\r\nAccept: */*\r\nX-Staunch-Max-Attempts: 2\r\n\r\n",
        );
        let proxy_listed = complete(
            "GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: keep-alive, X-Old\r\nX-Old: 1\r\nX-New: 2\r\n\r\n",
        );
        let kept: Vec<_> = proxy_listed.request.fields.iter().collect();
        assert_eq!(kept, [(&b"X-New"[..], &b"2"[..])]);
        let kept: Vec<_> = head.request.fields.iter().collect();
        assert_eq!(
            kept,
            [
                (&b"Accept"[..], &b"*/*"[..]),
                (b"X-Staunch-Max-Attempts", b"2")
            ]
        );
        assert!(head.request.has_control);
        assert_eq!(head.request.content_length, Some(0));
        assert!(
            !complete("GET / HTTP/1.1\r\nHost: a\r\nX-Staunch: 1\r\n\r\n")
                .request
                .has_control
        );
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
            "GET / HTTP/1.0\r\nHost: a\r\nHost: evil\r\n\r\n",
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
