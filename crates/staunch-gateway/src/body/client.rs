//! [`ClientBody`]: a request body as the proxy listener reads it from the
//! client's connection.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::client::BoxError;
use crate::h1::chunked::{Chunked, Decoded};
use crate::h1::reader::Reader;

/// How much is read from the socket at a time for a body, at most.
const MAX_READ: usize = 64 * 1024;

/// The body of a client's request.
///
/// Small bodies are read before the request is handled; larger ones
/// stream from the connection as they are polled, and the connection
/// serves its next request only once the body was read to its end.
#[derive(Debug)]
pub struct ClientBody {
    state: State,
}

#[derive(Debug)]
enum State {
    Done,
    Whole(Bytes),
    Reading {
        reader: Reader,
        decoder: Decoder,
        /// Where the connection's read side goes back once the body is
        /// read.
        home: Arc<Mutex<Option<Reader>>>,
    },
}

/// How a streamed body is delimited.
#[derive(Debug)]
pub(crate) enum Decoder {
    /// This many bytes left.
    Length(u64),
    /// The `chunked` coding.
    Chunked(Chunked),
}

impl ClientBody {
    /// No body.
    pub fn empty() -> Self {
        Self { state: State::Done }
    }

    /// A body read whole.
    pub fn whole(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            return Self::empty();
        }
        Self {
            state: State::Whole(bytes),
        }
    }

    /// A body still on the connection behind `reader`.
    pub(crate) fn reading(
        reader: Reader,
        decoder: Decoder,
        home: Arc<Mutex<Option<Reader>>>,
    ) -> Self {
        Self {
            state: State::Reading {
                reader,
                decoder,
                home,
            },
        }
    }

    fn finish(&mut self) {
        if let State::Reading { reader, home, .. } = std::mem::replace(&mut self.state, State::Done)
        {
            *home.lock().unwrap_or_else(|e| e.into_inner()) = Some(reader);
        }
    }

    fn fail(&mut self, error: impl Into<BoxError>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.state = State::Done;
        Poll::Ready(Some(Err(error.into())))
    }
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let (reader, decoder) = match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Whole(bytes) => {
                    let bytes = std::mem::take(bytes);
                    this.state = State::Done;
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                State::Reading {
                    reader, decoder, ..
                } => (reader, decoder),
            };
            let want = match decoder {
                Decoder::Length(0) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Decoder::Length(left) => {
                    let buf = reader.buffer();
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
                Decoder::Chunked(chunked) => match chunked.decode(reader.buffer()) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::End) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => MAX_READ / 4,
                    Err(err) => return this.fail(err),
                },
            };
            match ready!(reader.poll_fill(cx, want)) {
                Ok(0) => {
                    return this.fail("the client closed the connection before the end of the body")
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
