//! [`ClientBody`]: a request body as the proxy listener reads it from the
//! client's connection.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::client::BoxError;
use crate::h1::decode::BodyDecoder;
use crate::h1::message_body::{Finish, MessageBody};
use crate::h1::reader::Reader;

/// The body of a client's request.
///
/// Small bodies are read before the request is handled; larger ones
/// stream from the connection as they are polled, and the connection
/// serves its next request only once the body was read to its end.
#[derive(Debug)]
pub struct ClientBody(MessageBody<Reader, Home>);

/// Where the connection's read side goes back once the body was read.
pub(crate) type Home = Arc<Mutex<Option<Reader>>>;

impl Finish<Reader> for Home {
    fn finish(self, reader: Reader) {
        *self.lock().unwrap_or_else(|e| e.into_inner()) = Some(reader);
    }
}

impl ClientBody {
    /// No body.
    pub fn empty() -> Self {
        Self(MessageBody::empty())
    }

    /// A body read whole.
    pub fn whole(bytes: Bytes) -> Self {
        Self(MessageBody::whole(bytes))
    }

    /// A body still on the connection behind `reader`; it goes back to
    /// `home` once the body was read.
    pub(crate) fn reading(reader: Reader, decoder: BodyDecoder, home: Home) -> Self {
        Self(MessageBody::reading(reader, decoder, home))
    }
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}
