//! A real HTTP/1.1 server on 127.0.0.1:0 that injects one fault per request,
//! in arrival order, and remembers every request it saw.
#![allow(dead_code, unreachable_pub)]

pub mod captured_log;
#[cfg(feature = "reqwest")]
pub mod reqwest;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use staunch::breaker::Transition;
use staunch::metrics::{AttemptRecord, CallRecord, MetricsSink};
use staunch::pool::{Endpoint, Pool};
use staunch_http::BaseUrl;
use tokio::net::TcpListener;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answers this status with a short body.
    Status(u16),
    /// Answers this status with these headers.
    StatusWith(u16, Vec<(&'static str, String)>),
    /// Closes the connection without an answer.
    Reset,
    /// Sends the head of a 200 and part of its body, then drops the
    /// connection.
    ResetMidBody,
    /// Answers 200 after this long (tokio time).
    Stall(Duration),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Fault>>,
    seen: Mutex<Vec<Seen>>,
}

/// The server; it runs until the test's runtime ends.
#[derive(Clone)]
pub struct FaultServer {
    addr: SocketAddr,
    state: Arc<State>,
}

type ReplyBody = BoxBody<Bytes, std::io::Error>;

impl FaultServer {
    /// Starts a server that plays `script`, then answers 200 `ok`.
    pub async fn start(script: impl IntoIterator<Item = Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        state.script.lock().unwrap().extend(script);
        let server = Self { addr, state };
        let shared = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let server = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let server = server.clone();
                        async move { server.answer(req).await }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        server
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://127.0.0.1:PORT` + `path`, as a pool's base URL.
    pub fn base(&self, path: &str) -> BaseUrl {
        BaseUrl::parse(&self.url(path)).unwrap()
    }

    /// The breaker key of this server.
    pub fn key(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests reached the server.
    pub fn hits(&self) -> usize {
        self.state.seen.lock().unwrap().len()
    }

    /// Every request, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Adds faults to play after the current script.
    pub fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.script.lock().unwrap().extend(faults);
    }

    async fn answer(&self, req: Request<Incoming>) -> Result<Response<ReplyBody>, std::io::Error> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        self.state.seen.lock().unwrap().push(Seen {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
        });
        let fault = self.state.script.lock().unwrap().pop_front();
        match fault {
            None => Ok(reply(200, &[])),
            Some(Fault::Status(code)) => Ok(reply(code, &[])),
            Some(Fault::StatusWith(code, headers)) => Ok(reply(code, &headers)),
            // An error from the service makes hyper drop the connection.
            Some(Fault::Reset) => Err(std::io::Error::other("injected reset")),
            Some(Fault::ResetMidBody) => {
                // The pause lets hyper flush the head and the first chunk
                // before the error drops the connection.
                let chunks = stream::iter([Ok(Frame::data(Bytes::from_static(b"partial-")))])
                    .chain(stream::once(async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err(std::io::Error::other("injected reset mid-body"))
                    }));
                let mut response = Response::new(BoxBody::new(StreamBody::new(chunks)));
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_LENGTH, "1000".parse().unwrap());
                Ok(response)
            }
            Some(Fault::Stall(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(reply(200, &[]))
            }
        }
    }
}

fn reply(code: u16, headers: &[(&'static str, String)]) -> Response<ReplyBody> {
    let body = Full::new(Bytes::from(format!("status {code}")))
        .map_err(|never: Infallible| match never {})
        .boxed();
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(code).unwrap();
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

/// A port nothing listens on: connecting to it is refused.
pub async fn closed_port_url(path: &str) -> String {
    // Bound but never listening, and held until the test process ends: a
    // port merely freed could go to another test's server, which would
    // then answer.
    static HELD: Mutex<Vec<tokio::net::TcpSocket>> = Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    HELD.lock().unwrap().push(socket);
    format!("http://{addr}{path}")
}

/// A pool of base URLs, one endpoint per `(id, base)`, in that order.
pub fn base_pool(bases: impl IntoIterator<Item = (&'static str, BaseUrl)>) -> Pool<BaseUrl> {
    Pool::new(bases.into_iter().map(|(id, base)| Endpoint::new(id, base))).unwrap()
}

/// A base URL nothing listens on.
pub async fn closed_base() -> BaseUrl {
    BaseUrl::parse(&closed_port_url("").await).unwrap()
}

/// A metrics sink that keeps every record.
#[derive(Default)]
pub struct Recorder {
    pub attempts: Mutex<Vec<AttemptRecord>>,
    pub calls: Mutex<Vec<CallRecord>>,
    pub transitions: Mutex<Vec<Transition>>,
}

impl Recorder {
    pub fn attempts(&self) -> Vec<AttemptRecord> {
        self.attempts.lock().unwrap().clone()
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap().clone()
    }

    pub fn transitions(&self) -> Vec<Transition> {
        self.transitions.lock().unwrap().clone()
    }
}

impl MetricsSink for Recorder {
    fn record_attempt(&self, record: &AttemptRecord) {
        self.attempts.lock().unwrap().push(record.clone());
    }

    fn record_call(&self, record: &CallRecord) {
        self.calls.lock().unwrap().push(record.clone());
    }

    fn record_transition(&self, transition: &Transition) {
        self.transitions.lock().unwrap().push(transition.clone());
    }
}
