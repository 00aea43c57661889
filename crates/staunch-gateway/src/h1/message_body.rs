//! [`MessageBody`]: a body read from its connection as it is polled, for
//! both directions of the proxy (request bodies from clients, response
//! bodies from upstreams).

use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::decode::{poll_body, BodyDecoder, Polled, Source};
use crate::client::BoxError;

/// Implements [`http_body::Body`] for a one-field wrapper around a
/// [`MessageBody`] (the wrappers keep their connection types private), by
/// forwarding to it.
macro_rules! forward_body_impl {
    ($wrapper:ty) => {
        impl http_body::Body for $wrapper {
            type Data = bytes::Bytes;
            type Error = $crate::client::BoxError;

            fn poll_frame(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
                self.0.poll_frame(cx)
            }

            fn is_end_stream(&self) -> bool {
                self.0.is_end_stream()
            }

            fn size_hint(&self) -> http_body::SizeHint {
                self.0.size_hint()
            }
        }
    };
}
pub(crate) use forward_body_impl;

/// What becomes of a connection once the body on it was read to its end.
pub(crate) trait Finish<S> {
    /// `source` is free for another message.
    fn finish(self, source: S);
}

/// A body: nothing, bytes already read, or the rest on a connection.
#[derive(Debug)]
pub(crate) struct MessageBody<S, F> {
    state: State<S, F>,
}

#[derive(Debug)]
enum State<S, F> {
    /// Nothing (left) to read.
    Done,
    /// The whole body, already read.
    Whole(Bytes),
    /// Still on the connection; `finish` takes it once the body is read.
    Reading {
        source: S,
        decoder: BodyDecoder,
        finish: F,
    },
}

impl<S: Source, F: Finish<S>> MessageBody<S, F> {
    pub(crate) fn empty() -> Self {
        Self { state: State::Done }
    }

    pub(crate) fn whole(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            return Self::empty();
        }
        Self {
            state: State::Whole(bytes),
        }
    }

    pub(crate) fn reading(source: S, decoder: BodyDecoder, finish: F) -> Self {
        Self {
            state: State::Reading {
                source,
                decoder,
                finish,
            },
        }
    }

    /// The next frame; the connection is handed to `finish` as soon as the
    /// body's last bytes were read.
    pub(crate) fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = match &mut self.state {
            State::Done => return Poll::Ready(None),
            State::Whole(bytes) => {
                let bytes = std::mem::take(bytes);
                self.state = State::Done;
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            State::Reading {
                source, decoder, ..
            } => ready!(poll_body(source, decoder, cx)),
        };
        let state = std::mem::replace(&mut self.state, State::Done);
        match polled {
            Polled::Data { data, finished } => {
                match state {
                    State::Reading { source, finish, .. } if finished => finish.finish(source),
                    // More to come: the connection stays with the body.
                    state => self.state = state,
                }
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            Polled::Finished => {
                if let State::Reading { source, finish, .. } = state {
                    finish.finish(source);
                }
                Poll::Ready(None)
            }
            Polled::Closed => Poll::Ready(None),
            Polled::Failed(err) => Poll::Ready(Some(Err(err))),
        }
    }

    pub(crate) fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done)
    }

    pub(crate) fn size_hint(&self) -> SizeHint {
        match &self.state {
            State::Done => SizeHint::with_exact(0),
            State::Whole(bytes) => SizeHint::with_exact(bytes.len() as u64),
            State::Reading { decoder, .. } => decoder.size_hint(),
        }
    }
}
