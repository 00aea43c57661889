//! Writing an answer to the client: status line and fields into one
//! buffer, the body after them (in the same `write` when it is small), with
//! a length, chunked, or (for HTTP/1.0 clients) until the connection
//! closes.

use std::future::{poll_fn, Future};
use std::io::{self, Write as _};
use std::pin::pin;
use std::task::Poll;

use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::response::Parts;
use http::{Response, StatusCode, Version};
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::client::ProxyBody;
use crate::h1::date;
use crate::h1::fields::write_field;

/// Output is written once this much has gathered.
const FLUSH_AT: usize = 16 * 1024;

/// The output buffer is kept between answers up to this capacity.
const KEEP_BUFFER: usize = 64 * 1024;

/// What the request says about how its answer is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exchange {
    /// The request was `HEAD`: the answer has no body.
    pub(crate) head: bool,
    /// The request was `CONNECT`: a 2xx answer has no body.
    pub(crate) connect: bool,
    /// The client spoke HTTP/1.0.
    pub(crate) version: Version,
    /// The connection closes after this answer.
    pub(crate) close: bool,
}

/// How a written answer left the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// Ready for the next request unless the exchange said to close.
    Done,
    /// The body was delimited by closing: the connection must close.
    MustClose,
}

/// How the body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// Writes `response` to `out` and `write`.
pub(crate) async fn write_response(
    write: &mut OwnedWriteHalf,
    out: &mut Vec<u8>,
    response: Response<ProxyBody>,
    exchange: Exchange,
) -> io::Result<Written> {
    let (parts, body) = response.into_parts();
    let framing = framing(&parts, &body, exchange);
    out.clear();
    write_head(out, &parts, framing, exchange);
    let result = match framing {
        Framing::None => write.write_all(out).await,
        _ => write_body(write, out, body, framing).await,
    };
    out.clear();
    if out.capacity() > KEEP_BUFFER {
        *out = Vec::new();
    }
    result?;
    Ok(if framing == Framing::UntilClose {
        Written::MustClose
    } else {
        Written::Done
    })
}

fn framing(parts: &Parts, body: &ProxyBody, exchange: Exchange) -> Framing {
    let status = parts.status;
    let bodiless = exchange.head
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || (exchange.connect && status.is_success());
    if bodiless {
        Framing::None
    } else if let Some(len) = body.size_hint().exact() {
        Framing::Length(len)
    } else if exchange.version == Version::HTTP_11 {
        Framing::Chunked
    } else {
        Framing::UntilClose
    }
}

fn write_head(out: &mut Vec<u8>, parts: &Parts, framing: Framing, exchange: Exchange) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(parts.status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(parts.status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    // The answer to HEAD and a 304 keep the length the upstream gave (the
    // size of what a GET would have returned); 1xx, 204 and a 2xx to
    // CONNECT must not carry one (RFC 9110 §8.6); any other answer is
    // delimited by the gateway.
    let keep_length =
        framing == Framing::None && (exchange.head || parts.status == StatusCode::NOT_MODIFIED);
    let tunnel = exchange.connect && parts.status.is_success();
    for (name, value) in &parts.headers {
        let ours = name == CONNECTION
            || name == TRANSFER_ENCODING
            || (name == CONTENT_LENGTH && !keep_length);
        if !ours {
            write_field(out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    if !parts.headers.contains_key(DATE) {
        write_field(out, b"date", date::now().as_bytes());
    }
    match framing {
        Framing::Length(len) => {
            write_field(
                out,
                b"content-length",
                itoa::Buffer::new().format(len).as_bytes(),
            );
        }
        Framing::Chunked => write_field(out, b"transfer-encoding", b"chunked"),
        Framing::None | Framing::UntilClose => {}
    }
    // A tunnel's answer says nothing about the connection: it becomes the
    // tunnel.
    if !tunnel {
        if exchange.close || framing == Framing::UntilClose {
            write_field(out, b"connection", b"close");
        } else if exchange.version == Version::HTTP_10 {
            write_field(out, b"connection", b"keep-alive");
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes the body after the head already in `out`. A frame that is ready
/// at once joins what is gathered; before waiting for one that is not,
/// what was gathered goes out, so the client sees the head (and the body
/// so far) without waiting for the upstream.
async fn write_body(
    write: &mut OwnedWriteHalf,
    out: &mut Vec<u8>,
    mut body: ProxyBody,
    framing: Framing,
) -> io::Result<()> {
    let chunked = framing == Framing::Chunked;
    let mut left = match framing {
        Framing::Length(len) => len,
        _ => u64::MAX,
    };
    loop {
        if body.is_end_stream() {
            break;
        }
        let frame = {
            let mut next = pin!(body.frame());
            match poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await {
                Poll::Ready(frame) => frame,
                Poll::Pending => {
                    flush(write, out).await?;
                    next.await
                }
            }
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| io::Error::other(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers are not sent
        };
        if data.is_empty() {
            continue;
        }
        let len = data.len() as u64;
        if len > left {
            return Err(io::Error::other("body longer than its length"));
        }
        left -= len;
        if chunked {
            let _ = write!(out, "{:x}\r\n", data.len());
        }
        if out.len() + data.len() > FLUSH_AT && !chunked {
            flush(write, out).await?;
            write.write_all(&data).await?;
        } else {
            out.extend_from_slice(&data);
        }
        if chunked {
            out.extend_from_slice(b"\r\n");
        }
        if out.len() >= FLUSH_AT {
            flush(write, out).await?;
        }
    }
    if matches!(framing, Framing::Length(_)) && left != 0 {
        return Err(io::Error::other("body shorter than its length"));
    }
    if chunked {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    flush(write, out).await
}

async fn flush(write: &mut OwnedWriteHalf, out: &mut Vec<u8>) -> io::Result<()> {
    if !out.is_empty() {
        write.write_all(out).await?;
        out.clear();
    }
    Ok(())
}
