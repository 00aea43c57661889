//! Reading a message body off a connection's read buffer: a known length,
//! the `chunked` coding, or everything until the connection closes.

use std::io;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::SizeHint;

use super::chunked::{Chunked, Decoded};
use crate::client::BoxError;

/// A connection's read side as a body reads it.
pub(crate) trait Source {
    /// What was read and not used yet.
    fn buffer(&mut self) -> &mut BytesMut;
    /// Reads about `want` more bytes into the buffer (`Ok(0)`: the peer
    /// closed).
    fn poll_fill(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<io::Result<usize>>;
}

/// One poll of a body being read from its connection.
#[derive(Debug)]
pub(crate) enum Polled {
    /// Body bytes; `finished` when they end it (the connection may then
    /// serve another message).
    Data { data: Bytes, finished: bool },
    /// The body ended where its framing says: the connection may serve
    /// another message.
    Finished,
    /// The body ran until the peer closed: the connection is spent.
    Closed,
    /// The body is broken (cut short, malformed, or an I/O error).
    Failed(BoxError),
}

/// Reads the next piece of a body delimited by `decoder` from `source`.
pub(crate) fn poll_body<S: Source>(
    source: &mut S,
    decoder: &mut BodyDecoder,
    cx: &mut Context<'_>,
) -> Poll<Polled> {
    loop {
        let want = match decoder.next(source.buffer()) {
            Ok(Next::Data { data, last }) => {
                return Poll::Ready(Polled::Data {
                    data,
                    finished: last,
                })
            }
            Ok(Next::End) => return Poll::Ready(Polled::Finished),
            Ok(Next::Read(want)) => want,
            Err(why) => return Poll::Ready(Polled::Failed(why.into())),
        };
        match ready!(source.poll_fill(cx, want)) {
            Ok(0) => {
                return Poll::Ready(match decoder.at_close() {
                    Ok(()) => Polled::Closed,
                    Err(why) => Polled::Failed(why.into()),
                })
            }
            Ok(_) => {}
            Err(err) => return Poll::Ready(Polled::Failed(err.into())),
        }
    }
}

/// How much is read from the socket at a time for a body, at most.
const MAX_READ: usize = 64 * 1024;

/// How a body is delimited, and how much of it is left.
#[derive(Debug)]
pub(crate) enum BodyDecoder {
    /// This many bytes left.
    Length(u64),
    /// The `chunked` coding.
    Chunked(Chunked),
    /// Everything until the peer closes.
    UntilClose,
}

/// What the buffer gives next.
#[derive(Debug)]
pub(crate) enum Next {
    /// Body bytes; `last` when they end the body.
    Data { data: Bytes, last: bool },
    /// The body is complete.
    End,
    /// Nothing yet: read about this many more bytes.
    Read(usize),
}

impl BodyDecoder {
    /// Takes the next piece of the body from the front of `buf`.
    pub(crate) fn next(&mut self, buf: &mut BytesMut) -> Result<Next, String> {
        match self {
            Self::Length(0) => Ok(Next::End),
            Self::Length(left) => {
                if buf.is_empty() {
                    return Ok(Next::Read(
                        usize::try_from(*left).map_or(MAX_READ, |left| left.min(MAX_READ)),
                    ));
                }
                let take = usize::try_from(*left).map_or(buf.len(), |left| left.min(buf.len()));
                *left -= take as u64;
                Ok(Next::Data {
                    data: buf.split_to(take).freeze(),
                    last: *left == 0,
                })
            }
            Self::Chunked(chunked) => match chunked.decode(buf).map_err(|e| e.to_string())? {
                Decoded::Data(data) => Ok(Next::Data { data, last: false }),
                Decoded::End => Ok(Next::End),
                Decoded::NeedMore => Ok(Next::Read(MAX_READ / 4)),
            },
            Self::UntilClose if buf.is_empty() => Ok(Next::Read(MAX_READ / 4)),
            Self::UntilClose => Ok(Next::Data {
                data: buf.split().freeze(),
                last: false,
            }),
        }
    }

    /// What the peer closing the connection means: the end of a body that
    /// runs until then, else a body cut short.
    pub(crate) fn at_close(&self) -> Result<(), &'static str> {
        match self {
            Self::UntilClose => Ok(()),
            _ => Err("the connection closed before the end of the body"),
        }
    }

    /// The size left, when known.
    pub(crate) fn size_hint(&self) -> SizeHint {
        match self {
            Self::Length(left) => SizeHint::with_exact(*left),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_is_counted_down_and_the_last_piece_marked() {
        let mut decoder = BodyDecoder::Length(5);
        let mut buf = BytesMut::from(&b"abc"[..]);
        assert!(
            matches!(decoder.next(&mut buf), Ok(Next::Data { ref data, last: false }) if data == "abc")
        );
        assert!(matches!(decoder.next(&mut buf), Ok(Next::Read(2))));
        buf.extend_from_slice(b"deNEXT");
        assert!(
            matches!(decoder.next(&mut buf), Ok(Next::Data { ref data, last: true }) if data == "de")
        );
        assert!(matches!(decoder.next(&mut buf), Ok(Next::End)));
        assert_eq!(&buf[..], b"NEXT", "what follows the body stays");
        assert!(decoder.at_close().is_err());
    }

    #[test]
    fn until_close_takes_everything_and_ends_at_close() {
        let mut decoder = BodyDecoder::UntilClose;
        let mut buf = BytesMut::from(&b"all"[..]);
        assert!(matches!(decoder.next(&mut buf), Ok(Next::Data { ref data, .. }) if data == "all"));
        assert!(matches!(decoder.next(&mut buf), Ok(Next::Read(_))));
        assert!(decoder.at_close().is_ok());
    }
}
