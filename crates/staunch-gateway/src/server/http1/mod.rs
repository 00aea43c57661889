//! The proxy listener's HTTP/1.1 server: one loop per client connection
//! that reads a request head, hands the request to the proxy, and writes
//! the answer, on the connection's own task.
//!
//! Small request bodies are read before the request is handled; larger
//! ones stream from the connection, which serves its next request only
//! once the body was read to its end. Answers stream as their bodies are
//! polled. A `CONNECT` answered with a 2xx hands the connection to the
//! tunnel (see [`upgrade`]).
//!
//! Shutdown: a connection waiting for a request closes at once; one busy
//! with a request closes after its answer; when the drain time is up it is
//! dropped.

mod head;
mod head_timer;
mod live;
mod respond;
pub(crate) mod upgrade;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use self::head::{parse_head, BodyKind, Head, HeadError};
use self::head_timer::HeadTimer;
use self::live::Live;
use self::respond::{write_response, Exchange, Written};
use self::upgrade::{OnUpgrade, Upgraded};
use super::broadcast::Watch;
use super::Shared;
use crate::body::{ClientBody, Home};
use crate::h1::chunked::Chunked;
use crate::h1::decode::{BodyDecoder, Source};
use crate::h1::reader::Reader;
use crate::proxy;
use crate::reply;
use crate::request::ClientRequest;

/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Request bodies up to this size are read before the request is handled.
const READ_AHEAD_BODY: u64 = 64 * 1024;

/// How much is read from the socket at a time for a head, at least.
const READ_CHUNK: usize = 8 * 1024;

/// What can end a connection's wait: the head (or small body) read
/// timeout, the shutdown (for a connection with no request under way), and
/// the end of the drain. One timer and one registration per signal for the
/// whole connection.
struct Waits {
    timeout: HeadTimer,
    shutdown: Watch,
    forced: Watch,
}

impl Waits {
    fn new(shared: &Shared) -> Self {
        Self {
            timeout: HeadTimer::new(HEADER_READ_TIMEOUT),
            shutdown: shared.stop_idle().watch(),
            forced: shared.cut().watch(),
        }
    }

    /// Gives the next read the time a head gets.
    fn restart_timeout(&mut self) {
        self.timeout.restart();
    }
}

/// How waiting for a request head ended.
// Returned once per request and matched at once: boxing the head would
// cost an allocation per request.
#[allow(clippy::large_enum_variant)]
enum HeadRead {
    Head(Head),
    /// A head that cannot be served: answered with 400 or 431, then closed.
    Refused(HeadError),
    /// The client left, took too long, or the gateway is stopping.
    Closed,
}

/// Serves one client connection of the proxy listener.
pub(crate) async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = Reader::new(read);
    let client = proxy::Peer::new(peer);
    let mut live = Live::new(&shared);
    let mut out = Vec::new();
    let mut waits = Waits::new(&shared);
    loop {
        let head = match read_head(&mut reader, &mut waits, peer).await {
            HeadRead::Head(head) => head,
            HeadRead::Refused(err) => {
                tokio::select! {
                    biased;
                    () = &mut waits.forced => {}
                    () = refuse(&mut write, &mut out, err) => {}
                }
                return;
            }
            HeadRead::Closed => return,
        };
        let method = &head.request.method;
        let exchange = Exchange {
            head: method == Method::HEAD,
            connect: method == Method::CONNECT,
            version: head.request.version,
            close: !head.keep_alive,
        };
        if head.expect_continue && head.body != BodyKind::Empty {
            let sent = tokio::select! {
                biased;
                () = &mut waits.forced => return,
                sent = write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n") => sent,
            };
            if sent.is_err() {
                return;
            }
        }
        let Some((body, read_side)) = take_body(reader, head.body, &mut waits, peer).await else {
            return;
        };
        let (upgrade, on_upgrade) = match exchange.connect {
            true => {
                let (sender, receiver) = oneshot::channel();
                (Some(sender), Some(OnUpgrade::new(receiver)))
            }
            false => (None, None),
        };
        let request = ClientRequest {
            head: head.request,
            body,
            upgrade: on_upgrade,
        };
        let response = tokio::select! {
            biased;
            () = &mut waits.forced => return,
            response = proxy::handle(&shared, live.current(), request, &client) => response,
        };
        // A streamed body not read to its end leaves the connection
        // unusable for another request.
        let exchange = Exchange {
            close: exchange.close || !read_side.is_back() || shared.stop_idle().is_raised(),
            ..exchange
        };
        let tunnel = upgrade.filter(|_| response.status().is_success());
        let written = tokio::select! {
            biased;
            () = &mut waits.forced => return,
            written = write_response(&mut write, &mut out, response, exchange) => written,
        };
        let keep = matches!(written, Ok(Written::Done));
        reader = match read_side.take_back() {
            Some(reader) => reader,
            None => return,
        };
        if let Some(sender) = tunnel {
            if keep {
                hand_over(reader, write, sender);
            }
            return;
        }
        if !keep || exchange.close {
            return;
        }
    }
}

/// Reads until a complete request head.
async fn read_head(reader: &mut Reader, waits: &mut Waits, peer: SocketAddr) -> HeadRead {
    waits.restart_timeout();
    loop {
        if !reader.buffer().is_empty() {
            match parse_head(reader.buffer()) {
                Ok(Some(head)) => return HeadRead::Head(head),
                Ok(None) => {}
                Err(err) => return HeadRead::Refused(err),
            }
        }
        let idle = reader.buffer().is_empty();
        tokio::select! {
            biased;
            read = reader.fill(READ_CHUNK) => match read {
                Ok(0) | Err(_) => return HeadRead::Closed,
                Ok(_) => {}
            },
            () = &mut waits.timeout => {
                tracing::debug!(%peer, "no complete request head in time; closing");
                return HeadRead::Closed;
            }
            () = &mut waits.shutdown, if idle => return HeadRead::Closed,
            () = &mut waits.forced => return HeadRead::Closed,
        }
    }
}

/// Where the connection's read side is while a request is handled.
enum ReadSide {
    /// Here: the body was empty or read ahead.
    Kept(Reader),
    /// Lent to a streamed body, which puts it back in its home once read.
    Lent(Home),
}

impl ReadSide {
    /// Whether the read side is back (a streamed body was read to its end).
    fn is_back(&self) -> bool {
        match self {
            Self::Kept(_) => true,
            Self::Lent(home) => lock(home).is_some(),
        }
    }

    /// The read side for the next request; `None` when a streamed body
    /// was not read to its end.
    fn take_back(self) -> Option<Reader> {
        match self {
            Self::Kept(reader) => Some(reader),
            Self::Lent(home) => lock(&home).take(),
        }
    }
}

/// The body of a request: read now when small (within the head's time),
/// else streamed from the connection. `None`: the connection closes.
async fn take_body(
    mut reader: Reader,
    kind: BodyKind,
    waits: &mut Waits,
    peer: SocketAddr,
) -> Option<(ClientBody, ReadSide)> {
    Some(match kind {
        BodyKind::Empty => (ClientBody::empty(), ReadSide::Kept(reader)),
        BodyKind::Length(len) if len <= READ_AHEAD_BODY => {
            waits.restart_timeout();
            let bytes = tokio::select! {
                biased;
                read = read_ahead(&mut reader, len as usize) => read?,
                () = &mut waits.timeout => {
                    tracing::debug!(%peer, "request body not complete in time; closing");
                    return None;
                }
                () = &mut waits.forced => return None,
            };
            (ClientBody::whole(bytes), ReadSide::Kept(reader))
        }
        kind => {
            let decoder = match kind {
                BodyKind::Length(len) => BodyDecoder::Length(len),
                _ => BodyDecoder::Chunked(Chunked::new()),
            };
            let home = Home::default();
            let body = ClientBody::reading(reader, decoder, Arc::clone(&home));
            (body, ReadSide::Lent(home))
        }
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a body of `len` bytes that is small enough to hold; `None` when
/// the client closed first.
async fn read_ahead(reader: &mut Reader, len: usize) -> Option<Bytes> {
    while reader.buffer().len() < len {
        let want = len - reader.buffer().len();
        match reader.fill(want).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
    Some(reader.buffer().split_to(len).freeze())
}

/// Answers a request head that cannot be served (400 or 431) and lets the
/// connection close.
async fn refuse(write: &mut OwnedWriteHalf, out: &mut Vec<u8>, err: HeadError) {
    let response = match err {
        HeadError::TooLarge => reply::json_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "head_too_large",
            "the request head is too large",
            json!({ "max_bytes": head::MAX_HEAD, "max_fields": 100 }),
        ),
        HeadError::Invalid(why) => reply::bad_request("malformed request", json!({ "cause": why })),
    };
    let exchange = Exchange {
        head: false,
        connect: false,
        version: http::Version::HTTP_11,
        close: true,
    };
    let _ = write_response(write, out, response.into(), exchange).await;
}

/// Gives the connection to the tunnel waiting on `sender`.
fn hand_over(reader: Reader, write: OwnedWriteHalf, sender: oneshot::Sender<Upgraded>) {
    let (read, read_ahead) = reader.into_parts();
    match read.reunite(write) {
        Ok(stream) => {
            let _ = sender.send(Upgraded::new(stream, read_ahead));
        }
        Err(err) => tracing::debug!(%err, "cannot hand the connection to the tunnel"),
    }
}
