//! One upstream HTTP/1.1 connection, driven by the request that uses it:
//! no task of its own, no channel between the request and the socket.

use std::io::{self, Write as _};
use std::pin::{pin, Pin};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use bytes::{Bytes, BytesMut};
use http::Method;
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::request::{Form, Framing, OutBody, OutRequest};
use super::response::{parse_head, BadResponse, Head};
use super::ClientError;
use crate::h1::decode::Source;

/// How much is read from the socket at a time, at least.
const READ_CHUNK: usize = 8 * 1024;

/// A full body up to this size goes out in the same `write` as the head.
const INLINE_BODY: usize = 16 * 1024;

/// The output buffer is kept between requests up to this capacity.
const KEEP_WRITE_BUFFER: usize = 64 * 1024;

/// Buffers are kept at most this large while a connection is idle.
const KEEP_IDLE_BUFFER: usize = 16 * 1024;

/// An open connection and what was read from it but not used yet.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    read: BytesMut,
    write: Vec<u8>,
}

/// How sending went when it failed.
pub(crate) enum SendFailure {
    /// The request head could not be written: the upstream received
    /// nothing usable and the body was not touched, so it is handed back.
    Unsent(OutBody, io::Error),
    /// The exchange failed after the request (or part of it) went out.
    Failed(ClientError),
}

/// A waker that does nothing, for a readiness check that must not wait.
fn noop_waker() -> &'static Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    static WAKER: OnceLock<Waker> = OnceLock::new();
    WAKER.get_or_init(|| Waker::from(Arc::new(Noop)))
}

impl Conn {
    pub(crate) fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            read: BytesMut::new(),
            write: Vec::new(),
        }
    }

    /// Whether an idle connection can carry a new request: the upstream
    /// has neither closed it nor sent anything since its last response.
    /// Costs a system call only when the socket was reported readable.
    pub(crate) fn is_usable(&self) -> bool {
        if !self.read.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(noop_waker());
        match self.stream.poll_read_ready(&mut cx) {
            Poll::Pending => true,
            Poll::Ready(Err(_)) => false,
            Poll::Ready(Ok(())) => {
                let mut probe = [0u8; 1];
                matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
        }
    }

    /// Waits until the socket is readable (tests: the reactor has seen
    /// what the far end did).
    #[cfg(test)]
    pub(crate) async fn readable(&self) {
        self.stream.readable().await.unwrap();
    }

    /// Writes `request` with `body` in `form` and reads the response
    /// head.
    pub(crate) async fn exchange(
        &mut self,
        request: &OutRequest<'_>,
        body: OutBody,
        form: Form,
    ) -> Result<Head, SendFailure> {
        let framing = request.framing(&body);
        let to_head = request.method == Method::HEAD;
        self.write.clear();
        request.write_head(form, framing, &mut self.write);
        match body {
            OutBody::Full(bytes) if bytes.len() <= INLINE_BODY => {
                self.write.extend_from_slice(&bytes);
                if let Err(err) = self.flush_write().await {
                    return Err(SendFailure::Unsent(OutBody::Full(bytes), err));
                }
            }
            OutBody::Full(bytes) => {
                if let Err(err) = self.flush_write().await {
                    return Err(SendFailure::Unsent(OutBody::Full(bytes), err));
                }
                match self.send_watching(&bytes, to_head).await {
                    Ok(None) => {}
                    Ok(Some(early)) => return Ok(early),
                    Err(err) => return self.early_answer(to_head, err),
                }
            }
            OutBody::Stream(stream) => {
                if let Err(err) = self.flush_write().await {
                    return Err(SendFailure::Unsent(OutBody::Stream(stream), err));
                }
                match self.stream_body(stream, framing, to_head).await {
                    Ok(None) => {}
                    Ok(Some(early)) => return Ok(early),
                    Err(err) => return self.early_answer(to_head, err),
                }
            }
        }
        self.read_head(to_head).await.map_err(SendFailure::Failed)
    }

    async fn flush_write(&mut self) -> io::Result<()> {
        let result = self.stream.write_all(&self.write).await;
        self.write.clear();
        if self.write.capacity() > KEEP_WRITE_BUFFER {
            self.write = Vec::new();
        }
        result
    }

    /// Sends a streamed body in `framing`, frame by frame; stops early
    /// when the upstream answers before it has all of it.
    async fn stream_body<B>(
        &mut self,
        mut body: B,
        framing: Framing,
        to_head: bool,
    ) -> Result<Option<Head>, ClientError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: Into<super::BoxError>,
    {
        let chunked = framing == Framing::Chunked;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ClientError::RequestBody(e.into()))?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers are not forwarded
            };
            if data.is_empty() {
                continue;
            }
            let early = if chunked {
                let mut out = std::mem::take(&mut self.write);
                out.clear();
                write!(out, "{:x}\r\n", data.len()).map_err(ClientError::Io)?;
                out.extend_from_slice(&data);
                out.extend_from_slice(b"\r\n");
                let sent = self.send_watching(&out, to_head).await;
                self.write = out;
                sent?
            } else {
                self.send_watching(&data, to_head).await?
            };
            if early.is_some() {
                return Ok(early);
            }
        }
        if chunked {
            return self.send_watching(b"0\r\n\r\n", to_head).await;
        }
        Ok(None)
    }

    /// Writes `data` unless the upstream sends a final answer first (a 413
    /// to an upload it refuses, possibly without reading the rest): then
    /// the rest of the request is not sent and the answer is returned, on
    /// a connection that is not reused. Without this, an upstream that
    /// stops reading would leave the write waiting for ever.
    async fn send_watching(
        &mut self,
        data: &[u8],
        to_head: bool,
    ) -> Result<Option<Head>, ClientError> {
        let Self { stream, read, .. } = self;
        let (reader, mut writer) = stream.split();
        let mut write = pin!(writer.write_all(data));
        let mut read_open = true;
        loop {
            tokio::select! {
                biased;
                written = &mut write => return written.map(|()| None).map_err(ClientError::Io),
                ready = reader.readable(), if read_open => {
                    ready.map_err(ClientError::Io)?;
                    read_open = read_ready(reader.as_ref(), read).map_err(ClientError::Io)?;
                    if let Some(early) = early_head(read, to_head).map_err(ClientError::BadResponse)? {
                        return Ok(Some(early));
                    }
                }
            }
        }
    }

    /// After sending failed: the upstream may have answered early (a 413
    /// to an upload it refuses) and closed; an answer already received is
    /// returned, on a connection that is not reused.
    fn early_answer(&mut self, to_head: bool, error: ClientError) -> Result<Head, SendFailure> {
        // What the socket holds is all there is to look at: a read error
        // leaves the sending error to report.
        let _ = read_ready(&self.stream, &mut self.read);
        match early_head(&mut self.read, to_head) {
            Ok(Some(head)) => Ok(head),
            _ => Err(SendFailure::Failed(self.closed_if_silent(error))),
        }
    }

    /// Reads until a complete response head.
    async fn read_head(&mut self, to_head: bool) -> Result<Head, ClientError> {
        loop {
            if !self.read.is_empty() {
                if let Some(head) =
                    parse_head(&mut self.read, to_head).map_err(ClientError::BadResponse)?
                {
                    return Ok(head);
                }
            }
            let filled = self.fill(READ_CHUNK).await;
            if filled.map_err(|e| self.closed_if_silent(ClientError::Io(e)))? == 0 {
                return Err(if self.read.is_empty() {
                    ClientError::Closed
                } else {
                    ClientError::BadResponse(super::response::BadResponse(
                        "connection closed inside the response head".into(),
                    ))
                });
            }
        }
    }

    /// `error` as [`ClientError::Closed`] when it is the upstream closing
    /// or resetting the connection before sending a byte of answer (what an
    /// upstream closing an idle connection as the request arrives looks
    /// like), so that a reused connection's request can be sent again.
    fn closed_if_silent(&self, error: ClientError) -> ClientError {
        match &error {
            ClientError::Io(e)
                if self.read.is_empty()
                    && matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset
                            | io::ErrorKind::BrokenPipe
                            | io::ErrorKind::ConnectionAborted
                    ) =>
            {
                ClientError::Closed
            }
            _ => error,
        }
    }

    /// Gives up buffer memory kept from large messages before the
    /// connection waits idle in the pool.
    pub(crate) fn shrink(&mut self) {
        if self.read.is_empty() && self.read.capacity() > KEEP_IDLE_BUFFER {
            self.read = BytesMut::new();
        }
        if self.write.capacity() > KEEP_IDLE_BUFFER {
            self.write = Vec::new();
        }
    }

    /// Reads at least one more byte (`Ok(0)`: the upstream closed).
    async fn fill(&mut self, at_least: usize) -> io::Result<usize> {
        self.read.reserve(at_least);
        self.stream.read_buf(&mut self.read).await
    }
}

/// Reads what `stream` holds right now into `read`, without waiting;
/// `Ok(false)` when the upstream closed its side.
fn read_ready(stream: &TcpStream, read: &mut BytesMut) -> io::Result<bool> {
    loop {
        read.reserve(READ_CHUNK);
        match stream.try_read_buf(read) {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) => return Err(e),
        }
    }
}

/// A final answer the upstream sent before the request was all sent: the
/// connection is not reused after it.
fn early_head(read: &mut BytesMut, to_head: bool) -> Result<Option<Head>, BadResponse> {
    let head = parse_head(read, to_head)?;
    Ok(head.map(|mut head| {
        head.keep_alive = false;
        head
    }))
}

impl Source for Conn {
    fn buffer(&mut self) -> &mut BytesMut {
        &mut self.read
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<io::Result<usize>> {
        self.read.reserve(want);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.read)
    }
}
