//! Request bodies: buffered when they fit the replay limit, streamed once
//! when they don't.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

use crate::client::{BoxError, OutBody};

mod client;

pub use self::client::ClientBody;
pub(crate) use self::client::Home;

/// A client's request body, ready to be sent upstream.
#[derive(Debug)]
pub enum RequestBody {
    /// Read whole: it can be sent again on every attempt.
    Buffered(Bytes),
    /// Larger than the replay limit: it can be sent once. `None` once taken.
    Streaming(Option<StreamOnce>),
}

impl RequestBody {
    /// Reads `body` into memory if it fits in `limit` bytes; otherwise keeps
    /// what was read so far in front of the rest and streams it once.
    ///
    /// A `Content-Length` over the limit skips reading altogether.
    pub async fn read(
        mut body: ClientBody,
        content_length: Option<u64>,
        limit: u64,
    ) -> Result<Self, BoxError> {
        if content_length.is_some_and(|len| len > limit) {
            return Ok(Self::Streaming(Some(StreamOnce::new(
                VecDeque::new(),
                body,
            ))));
        }
        let mut chunks = VecDeque::new();
        let mut size = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                // Trailers end the body; they are not forwarded.
                break;
            };
            size = size.saturating_add(data.len() as u64);
            chunks.push_back(data);
            if size > limit {
                return Ok(Self::Streaming(Some(StreamOnce::new(chunks, body))));
            }
        }
        Ok(Self::Buffered(concat(chunks, size)))
    }

    /// Whether the body can be sent more than once.
    pub fn is_replayable(&self) -> bool {
        matches!(self, Self::Buffered(_))
    }

    /// The body for the next attempt: a buffered body (shared, not
    /// copied), or the streaming body the first time only.
    pub(crate) fn for_attempt(&mut self) -> Option<OutBody> {
        match self {
            Self::Buffered(bytes) => Some(OutBody::Full(bytes.clone())),
            Self::Streaming(once) => once.take().map(OutBody::Stream),
        }
    }
}

fn concat(mut chunks: VecDeque<Bytes>, size: u64) -> Bytes {
    if chunks.len() <= 1 {
        // No body (most requests) or a single chunk: nothing to copy.
        return chunks.pop_front().unwrap_or_default();
    }
    let mut all = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for chunk in chunks {
        all.extend_from_slice(&chunk);
    }
    Bytes::from(all)
}

/// The chunks already read, then the rest of the client's body.
#[derive(Debug)]
pub struct StreamOnce {
    read: VecDeque<Bytes>,
    rest: ClientBody,
}

impl StreamOnce {
    fn new(read: VecDeque<Bytes>, rest: ClientBody) -> Self {
        Self { read, rest }
    }
}

impl Body for StreamOnce {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(chunk) = self.read.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let read: u64 = self.read.iter().map(|c| c.len() as u64).sum();
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower().saturating_add(read));
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(read));
        }
        hint
    }
}
