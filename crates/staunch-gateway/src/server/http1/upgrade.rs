//! Handing a client connection over to a `CONNECT` tunnel once the gateway
//! answered the `CONNECT` with a 2xx.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Found in a `CONNECT` request's extensions: resolves to the client's
/// connection once the 2xx answer has been written. (Clones share the one
/// connection; the first to wait for it gets it.)
#[derive(Debug, Clone)]
pub(crate) struct OnUpgrade(Arc<Mutex<Option<oneshot::Receiver<Upgraded>>>>);

impl OnUpgrade {
    pub(crate) fn new(receiver: oneshot::Receiver<Upgraded>) -> Self {
        Self(Arc::new(Mutex::new(Some(receiver))))
    }

    /// The connection, or an error when the client left first.
    pub(crate) async fn upgraded(self) -> io::Result<Upgraded> {
        let receiver = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        let gone = || {
            io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection closed before the tunnel started",
            )
        };
        receiver.ok_or_else(gone)?.await.map_err(|_| gone())
    }
}

/// The client's connection after a `CONNECT`: bytes the client sent right
/// after its request head come first.
#[derive(Debug)]
pub(crate) struct Upgraded {
    stream: TcpStream,
    read_ahead: BytesMut,
}

impl Upgraded {
    pub(crate) fn new(stream: TcpStream, read_ahead: BytesMut) -> Self {
        Self { stream, read_ahead }
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.read_ahead.is_empty() {
            let n = self.read_ahead.len().min(buf.remaining());
            buf.put_slice(&self.read_ahead[..n]);
            self.read_ahead.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
