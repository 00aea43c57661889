//! [`UpstreamBody`]: a response body read from its upstream connection as
//! the gateway's client reads it.

use bytes::Bytes;

use super::conn::Conn;
use super::Checkin;
use crate::h1::decode::{BodyDecoder, Source};
use crate::h1::message_body::{forward_body_impl, Finish, MessageBody};

/// The body of an upstream response.
///
/// It streams: nothing is buffered beyond what one read from the socket
/// returns. The connection goes back to its pool once the body has been
/// read to its end (at once when it came whole with the head); a body
/// dropped before its end closes the connection.
#[derive(Debug)]
pub struct UpstreamBody(MessageBody<Conn, Option<Checkin>>);

/// A connection whose response was read goes back to its pool, when it can
/// carry another request (`Some`) and nothing past the response arrived.
impl Finish<Conn> for Option<Checkin> {
    fn finish(self, mut conn: Conn) {
        if let Some(checkin) = self {
            if conn.buffer().is_empty() {
                checkin.release(conn);
            }
        }
    }
}

impl UpstreamBody {
    /// An empty body.
    pub(crate) fn empty() -> Self {
        Self(MessageBody::empty())
    }

    /// A body read whole.
    pub(crate) fn whole(bytes: Bytes) -> Self {
        Self(MessageBody::whole(bytes))
    }

    /// A body still to be read from `conn` with `decoder`; `checkin` takes
    /// the connection back once it is read (`None`: it is closed).
    pub(crate) fn reading(conn: Conn, decoder: BodyDecoder, checkin: Option<Checkin>) -> Self {
        Self(MessageBody::reading(conn, decoder, checkin))
    }
}

forward_body_impl!(UpstreamBody);
