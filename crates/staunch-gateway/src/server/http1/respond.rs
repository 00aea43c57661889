//! Writing an answer to the client: status line and fields into one
//! buffer, the body after them (in the same `write` when it is small), with
//! a length, chunked, or (for HTTP/1.0 clients) until the connection
//! closes.

use std::future::{poll_fn, Future};
use std::io::{self, Write as _};
use std::pin::pin;
use std::task::Poll;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::{HeaderMap, StatusCode, Version};
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::answer::Answer;
use crate::client::{BoxError, RawFields};
use crate::control::{ATTEMPTS, ENDPOINT};
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

/// Writes `answer` to `out` and `write`.
pub(crate) async fn write_response(
    write: &mut OwnedWriteHalf,
    out: &mut Vec<u8>,
    answer: Answer,
    exchange: Exchange,
) -> io::Result<Written> {
    out.clear();
    let (result, framing) = match answer {
        Answer::Made(response) => {
            let (parts, body) = response.into_parts();
            let framing = framing(parts.status, &body, exchange);
            write_status_line(out, parts.status);
            let has_date = write_made_fields(
                out,
                &parts.headers,
                keep_length(parts.status, framing, exchange),
            );
            write_own_fields(out, has_date, parts.status, framing, exchange);
            (write_body(write, out, body, framing).await, framing)
        }
        Answer::Relayed(relayed) => {
            // Read in place; only the body is moved out of the box.
            let response = &relayed.response;
            let status = response.status();
            let framing = framing(status, response.body(), exchange);
            write_status_line(out, status);
            let keep = keep_length(status, framing, exchange);
            let has_date = write_relayed_fields(out, response.fields(), keep);
            write_field(
                out,
                ATTEMPTS.as_str().as_bytes(),
                relayed.attempts.as_bytes(),
            );
            if let Some(id) = relayed.endpoint.id_value() {
                write_field(out, ENDPOINT.as_str().as_bytes(), id.as_bytes());
            }
            write_own_fields(out, has_date, status, framing, exchange);
            let body = relayed.response.into_body();
            (write_body(write, out, body, framing).await, framing)
        }
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

fn framing(status: StatusCode, body: &impl Body, exchange: Exchange) -> Framing {
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

/// Whether the answer keeps the `Content-Length` it has: the answer to
/// HEAD and a 304 keep the length the upstream gave (the size of what a
/// GET would have returned); 1xx, 204 and a 2xx to CONNECT must not carry
/// one (RFC 9110 §8.6); any other answer is delimited by the gateway.
fn keep_length(status: StatusCode, framing: Framing, exchange: Exchange) -> bool {
    let may_have_length = status != StatusCode::NO_CONTENT && !status.is_informational();
    framing == Framing::None
        && may_have_length
        && (exchange.head || status == StatusCode::NOT_MODIFIED)
}

fn write_status_line(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes the fields of an answer the gateway made, but those that frame
/// it; returns whether it has a `Date`.
fn write_made_fields(out: &mut Vec<u8>, headers: &HeaderMap, keep_length: bool) -> bool {
    for (name, value) in headers {
        let ours = name == CONNECTION
            || name == TRANSFER_ENCODING
            || (name == CONTENT_LENGTH && !keep_length);
        if !ours {
            write_field(out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    headers.contains_key(DATE)
}

/// Writes a relayed answer's fields as they came, but its length (unless
/// kept) and any `X-Staunch-Attempts` or `X-Staunch-Endpoint` (the
/// gateway's own replace them); returns whether it has a `Date`.
fn write_relayed_fields(out: &mut Vec<u8>, fields: &RawFields, keep_length: bool) -> bool {
    let mut has_date = false;
    for (name, value) in fields.iter() {
        let skip = match name.len() {
            4 => {
                has_date |= name.eq_ignore_ascii_case(b"date");
                false
            }
            14 => !keep_length && name.eq_ignore_ascii_case(b"content-length"),
            18 => {
                name.eq_ignore_ascii_case(ATTEMPTS.as_str().as_bytes())
                    || name.eq_ignore_ascii_case(ENDPOINT.as_str().as_bytes())
            }
            _ => false,
        };
        if !skip {
            write_field(out, name, value);
        }
    }
    has_date
}

/// Writes the fields the gateway sets itself, and the end of the head.
fn write_own_fields(
    out: &mut Vec<u8>,
    has_date: bool,
    status: StatusCode,
    framing: Framing,
    exchange: Exchange,
) {
    if !has_date {
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
    let tunnel = exchange.connect && status.is_success();
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
async fn write_body<B>(
    write: &mut OwnedWriteHalf,
    out: &mut Vec<u8>,
    mut body: B,
    framing: Framing,
) -> io::Result<()>
where
    B: Body<Data = Bytes, Error = BoxError> + Unpin,
{
    if framing == Framing::None {
        return write.write_all(out).await;
    }
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
