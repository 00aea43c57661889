//! [`ClientBody`]: a request body as the proxy listener reads it from the
//! client's connection.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::h1::decode::BodyDecoder;
use crate::h1::message_body::{forward_body_impl, Finish, MessageBody};
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

forward_body_impl!(ClientBody);
