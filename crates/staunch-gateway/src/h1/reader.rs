//! The read side of a client connection and what was read from it but not
//! used yet.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;

use super::decode::Source;

/// The read half of a client connection with its buffer.
#[derive(Debug)]
pub(crate) struct Reader {
    half: OwnedReadHalf,
    buf: BytesMut,
}

impl Reader {
    pub(crate) fn new(half: OwnedReadHalf) -> Self {
        Self {
            half,
            buf: BytesMut::new(),
        }
    }

    /// Reads at least one more byte (`Ok(0)`: the client closed).
    pub(crate) async fn fill(&mut self, at_least: usize) -> io::Result<usize> {
        self.buf.reserve(at_least);
        self.half.read_buf(&mut self.buf).await
    }

    /// The read half and the bytes read ahead.
    pub(crate) fn into_parts(self) -> (OwnedReadHalf, BytesMut) {
        (self.half, self.buf)
    }
}

impl Source for Reader {
    fn buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<io::Result<usize>> {
        self.buf.reserve(want);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.half), cx, &mut self.buf)
    }
}
