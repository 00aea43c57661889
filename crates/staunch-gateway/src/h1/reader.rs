//! The read side of a client connection and what was read from it but not
//! used yet.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;

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

    /// What was read and not used yet.
    pub(crate) fn buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Reads at least one more byte (`Ok(0)`: the client closed).
    pub(crate) async fn fill(&mut self, at_least: usize) -> io::Result<usize> {
        self.buf.reserve(at_least);
        self.half.read_buf(&mut self.buf).await
    }

    /// Polls for more bytes (`Ok(0)`: the client closed).
    pub(crate) fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        at_least: usize,
    ) -> Poll<io::Result<usize>> {
        self.buf.reserve(at_least);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.half), cx, &mut self.buf)
    }

    /// The read half and the bytes read ahead.
    pub(crate) fn into_parts(self) -> (OwnedReadHalf, BytesMut) {
        (self.half, self.buf)
    }
}
