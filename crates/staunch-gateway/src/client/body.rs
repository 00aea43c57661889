//! [`UpstreamBody`]: a response body read from its upstream connection as
//! the gateway's client reads it.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::conn::Conn;
use super::{BoxError, Checkin};
use crate::h1::chunked::{Chunked, Decoded};

/// How much is read from the socket at a time for a body, at most.
const MAX_READ: usize = 64 * 1024;

/// The body of an upstream response.
///
/// It streams: nothing is buffered beyond what one read from the socket
/// returns. The connection goes back to its pool once the body has been
/// read to its end (at once when it came whole with the head); a body
/// dropped before its end closes the connection.
#[derive(Debug)]
pub struct UpstreamBody {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Nothing (left) to read.
    Done,
    /// The whole body, already read; the connection is released.
    Whole(Bytes),
    /// Still on the connection.
    Reading {
        conn: Conn,
        decoder: Decoder,
        /// Where the connection goes once the body is read; `None` when
        /// it cannot carry another request.
        checkin: Option<Checkin>,
    },
}

#[derive(Debug)]
pub(crate) enum Decoder {
    /// This many bytes left.
    Length(u64),
    /// The `chunked` coding.
    Chunked(Chunked),
    /// Everything until the upstream closes.
    UntilClose,
}

impl UpstreamBody {
    /// An empty body.
    pub(crate) fn empty() -> Self {
        Self { state: State::Done }
    }

    /// A body read whole.
    pub(crate) fn whole(bytes: Bytes) -> Self {
        Self {
            state: State::Whole(bytes),
        }
    }

    /// A body still to be read from `conn` with `decoder`.
    pub(crate) fn reading(conn: Conn, decoder: Decoder, checkin: Option<Checkin>) -> Self {
        Self {
            state: State::Reading {
                conn,
                decoder,
                checkin,
            },
        }
    }

    /// The body has been read: its connection goes back to the pool when
    /// it can carry another request.
    fn finish(&mut self) {
        if let State::Reading {
            mut conn,
            checkin: Some(checkin),
            ..
        } = std::mem::replace(&mut self.state, State::Done)
        {
            if conn.buffer().is_empty() {
                checkin.release(conn);
            }
        }
    }

    fn fail(&mut self, error: impl Into<BoxError>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.state = State::Done;
        Poll::Ready(Some(Err(error.into())))
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let (conn, decoder) = match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Whole(bytes) => {
                    let bytes = std::mem::take(bytes);
                    this.state = State::Done;
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                State::Reading { conn, decoder, .. } => (conn, decoder),
            };
            let want = match decoder {
                Decoder::Length(left) => {
                    let buf = conn.buffer();
                    if !buf.is_empty() {
                        let take =
                            usize::try_from(*left).map_or(buf.len(), |left| left.min(buf.len()));
                        let data = buf.split_to(take).freeze();
                        *left -= take as u64;
                        if *left == 0 {
                            this.finish();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    usize::try_from(*left).map_or(MAX_READ, |left| left.min(MAX_READ))
                }
                Decoder::Chunked(chunked) => match chunked.decode(conn.buffer()) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::End) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => MAX_READ / 4,
                    Err(err) => return this.fail(err),
                },
                Decoder::UntilClose => {
                    let buf = conn.buffer();
                    if !buf.is_empty() {
                        let data = buf.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    MAX_READ / 4
                }
            };
            match ready!(conn.poll_fill(cx, want)) {
                Ok(0) if matches!(decoder, Decoder::UntilClose) => {
                    this.state = State::Done;
                    return Poll::Ready(None);
                }
                Ok(0) => {
                    return this.fail("upstream closed the connection before the end of the body")
                }
                Ok(_) => {}
                Err(err) => return this.fail(err),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match &self.state {
            State::Done => SizeHint::with_exact(0),
            State::Whole(bytes) => SizeHint::with_exact(bytes.len() as u64),
            State::Reading {
                decoder: Decoder::Length(left),
                ..
            } => SizeHint::with_exact(*left),
            State::Reading { .. } => SizeHint::default(),
        }
    }
}
