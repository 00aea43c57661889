//! A request as the upstream client sends it: borrowed from the forwarded
//! request, so an attempt copies no header map, and written straight into
//! the connection's output buffer.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::body::StreamOnce;
use crate::h1::fields::write_field;
use crate::h1::raw_fields::RawFields;
use crate::headers::Forwarded;

/// One request to send upstream.
#[derive(Debug)]
pub(crate) struct OutRequest<'a> {
    /// The method.
    pub(crate) method: &'a Method,
    /// The client's target: absolute for forward traffic; for a reverse
    /// route only its path and query are sent.
    pub(crate) uri: &'a Uri,
    /// Put in front of the path of an origin-form target (a backend's base
    /// path); empty otherwise.
    pub(crate) base_path: &'a str,
    /// The `Host` header's value.
    pub(crate) host: &'a [u8],
    /// The other fields, without `Host`, `Content-Length` and hop-by-hop
    /// ones.
    pub(crate) fields: &'a RawFields,
    /// The client's `Content-Length`.
    pub(crate) content_length: Option<u64>,
    /// Credentials for an upstream proxy.
    pub(crate) proxy_authorization: Option<&'a HeaderValue>,
    /// `X-Forwarded-*` values that replace those in `headers`.
    pub(crate) forwarded: Option<&'a Forwarded>,
}

/// The fields of `headers` to forward (all but `Host`, `Content-Length`
/// and `Transfer-Encoding`, which the client writes itself), and the
/// `Content-Length` it had, when valid.
pub(crate) fn forwarded_fields(headers: &HeaderMap) -> (RawFields, Option<u64>) {
    let content_length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let fields = RawFields::from_map(headers, |name| {
        name != HOST && name != CONTENT_LENGTH && name != TRANSFER_ENCODING
    });
    (fields, content_length)
}

/// A request body.
#[derive(Debug)]
pub(crate) enum OutBody {
    /// Known in full (possibly empty).
    Full(Bytes),
    /// Streamed from the client, sent once.
    Stream(StreamOnce),
}

/// How the request's body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body and no `Content-Length`.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// How the request line names the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `/path?query`, to an origin server.
    Origin,
    /// `http://host/path?query`, to a proxy.
    Absolute,
}

impl OutRequest<'_> {
    /// How the body goes on the wire. A full body is sent with its length
    /// (left out when empty, unless the method expects a body or the
    /// client sent a length); a streamed one with the client's
    /// `Content-Length` when it had a valid one, chunked otherwise.
    pub(crate) fn framing(&self, body: &OutBody) -> Framing {
        match body {
            OutBody::Full(bytes) if bytes.is_empty() => {
                let expects_body =
                    matches!(*self.method, Method::POST | Method::PUT | Method::PATCH);
                if expects_body || self.content_length.is_some() {
                    Framing::Length(0)
                } else {
                    Framing::None
                }
            }
            OutBody::Full(bytes) => Framing::Length(bytes.len() as u64),
            OutBody::Stream(_) => self
                .content_length
                .map_or(Framing::Chunked, Framing::Length),
        }
    }

    /// Appends the request line and headers, ending with the empty line,
    /// to `out`.
    pub(crate) fn write_head(&self, form: Form, framing: Framing, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        self.write_target(form, out);
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(self.host);
        out.extend_from_slice(b"\r\n");
        let forwarded = self.forwarded.is_some();
        for (name, value) in self.fields.iter() {
            if !(forwarded && Forwarded::replaces_field(name)) {
                write_field(out, name, value);
            }
        }
        for (name, value) in self.forwarded.iter().flat_map(|f| f.fields()) {
            write_field(out, name.as_bytes(), value);
        }
        if let Some(credentials) = self.proxy_authorization {
            write_field(out, b"proxy-authorization", credentials.as_bytes());
        }
        match framing {
            Framing::None => {}
            Framing::Length(len) => {
                out.extend_from_slice(b"content-length: ");
                out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
        out.extend_from_slice(b"\r\n");
    }

    fn write_target(&self, form: Form, out: &mut Vec<u8>) {
        let path = self.uri.path_and_query().map_or("/", |pq| pq.as_str());
        match form {
            Form::Origin => {
                out.extend_from_slice(self.base_path.as_bytes());
                out.extend_from_slice(path.as_bytes());
            }
            Form::Absolute => {
                out.extend_from_slice(self.uri.scheme_str().unwrap_or("http").as_bytes());
                out.extend_from_slice(b"://");
                match self.uri.authority() {
                    Some(authority) => out.extend_from_slice(authority.as_str().as_bytes()),
                    None => out.extend_from_slice(self.host),
                }
                out.extend_from_slice(path.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        method: &'a Method,
        uri: &'a Uri,
        fields: &'a (RawFields, Option<u64>),
    ) -> OutRequest<'a> {
        OutRequest {
            method,
            uri,
            base_path: "",
            host: b"example.test:8080",
            fields: &fields.0,
            content_length: fields.1,
            proxy_authorization: None,
            forwarded: None,
        }
    }

    fn body(text: &str) -> OutBody {
        OutBody::Full(Bytes::copy_from_slice(text.as_bytes()))
    }

    fn head(request: &OutRequest<'_>, body: &OutBody, form: Form) -> String {
        let mut out = Vec::new();
        request.write_head(form, request.framing(body), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn origin_form_with_base_path_and_cleaned_framing_headers() {
        let uri: Uri = "http://example.test:8080/items?page=2".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("*/*"));
        headers.append("x-tag", HeaderValue::from_static("a"));
        headers.append("x-tag", HeaderValue::from_static("b"));
        headers.insert(HOST, HeaderValue::from_static("ignored"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
        let fields = forwarded_fields(&headers);
        let mut req = request(&Method::POST, &uri, &fields);
        req.base_path = "/api";
        assert_eq!(
            head(&req, &body("hello"), Form::Origin),
            "POST /api/items?page=2 HTTP/1.1\r\nhost: example.test:8080\r\naccept: */*\r\n\
             x-tag: a\r\nx-tag: b\r\ncontent-length: 5\r\n\r\n"
        );
    }

    #[test]
    fn absolute_form_carries_proxy_credentials() {
        let uri: Uri = "http://example.test:8080".parse().unwrap();
        let fields = forwarded_fields(&HeaderMap::new());
        let credentials = HeaderValue::from_static("Basic dTpw");
        let mut req = request(&Method::GET, &uri, &fields);
        req.proxy_authorization = Some(&credentials);
        assert_eq!(
            head(&req, &body(""), Form::Absolute),
            "GET http://example.test:8080/ HTTP/1.1\r\nhost: example.test:8080\r\n\
             proxy-authorization: Basic dTpw\r\n\r\n"
        );
    }

    #[test]
    fn forwarded_values_replace_the_clients() {
        let uri: Uri = "/".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        headers.insert("accept", HeaderValue::from_static("*/*"));
        let forwarded = Forwarded::of(&headers, &HeaderValue::from_static("192.0.2.7"), None);
        let fields = forwarded_fields(&headers);
        let mut req = request(&Method::GET, &uri, &fields);
        req.forwarded = Some(&forwarded);
        assert_eq!(
            head(&req, &body(""), Form::Origin),
            "GET / HTTP/1.1\r\nhost: example.test:8080\r\naccept: */*\r\n\
             x-forwarded-for: 10.0.0.1, 192.0.2.7\r\nx-forwarded-proto: http\r\n\r\n"
        );
    }

    #[test]
    fn empty_bodies_get_a_length_only_where_one_is_expected() {
        let uri: Uri = "/".parse().unwrap();
        let none = forwarded_fields(&HeaderMap::new());
        let mut with_length = HeaderMap::new();
        with_length.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        let with_length = forwarded_fields(&with_length);
        assert_eq!(
            request(&Method::GET, &uri, &none).framing(&body("")),
            Framing::None
        );
        assert_eq!(
            request(&Method::DELETE, &uri, &none).framing(&body("")),
            Framing::None
        );
        assert_eq!(
            request(&Method::GET, &uri, &with_length).framing(&body("")),
            Framing::Length(0)
        );
        assert_eq!(
            request(&Method::POST, &uri, &none).framing(&body("")),
            Framing::Length(0)
        );
        assert_eq!(
            request(&Method::PUT, &uri, &none).framing(&body("ab")),
            Framing::Length(2)
        );
    }
}
