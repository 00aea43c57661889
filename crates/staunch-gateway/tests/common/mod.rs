//! Local servers for the gateway's end-to-end tests: backends that record
//! what they receive and inject faults, fake upstream proxies, an echo
//! server, a server that answers garbage, and closed ports.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use staunch_gateway::config::{ConfigSource, GatewayConfig};
use staunch_gateway::Gateway;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Upper bound on any single wait in a test, so a bug fails instead of
/// hanging.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`].
pub(crate) async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("timed out waiting")
}

/// A request as a test server received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

type Reply = Response<Full<Bytes>>;
type Handler = Arc<dyn Fn(Recorded) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// A local HTTP/1.1 server that records every request and answers through
/// a handler.
pub(crate) struct Upstream {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    /// Starts a server answering with `handler`.
    pub(crate) async fn start<F, Fut>(handler: F) -> Self
    where
        F: Fn(Recorded) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |r| Box::pin(handler(r)));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task_seen = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = Arc::clone(&handler);
                let seen = Arc::clone(&task_seen);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = Arc::clone(&handler);
                        let seen = Arc::clone(&seen);
                        async move {
                            let recorded = record(req).await;
                            seen.lock().unwrap().push(recorded.clone());
                            Ok::<_, Infallible>(handler(recorded).await)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, seen, task }
    }

    /// Answers 200 with `name` as the body and `x-served-by: name`.
    pub(crate) async fn ok(name: &'static str) -> Self {
        Self::start(move |_| async move { reply(200, name) }).await
    }

    /// Answers `status` to everything.
    pub(crate) async fn status(status: u16) -> Self {
        Self::start(move |_| async move { reply(status, "fault") }).await
    }

    /// Announces each request on `arrived`, then holds it until `release`
    /// is notified, then answers 200 `name`.
    pub(crate) async fn slow(
        name: &'static str,
        arrived: Arc<Notify>,
        release: Arc<Notify>,
    ) -> Self {
        Self::start(move |_| {
            let (arrived, release) = (Arc::clone(&arrived), Arc::clone(&release));
            async move {
                arrived.notify_one();
                release.notified().await;
                reply(200, name)
            }
        })
        .await
    }

    /// `http://addr`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub(crate) fn seen(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

async fn record(req: Request<Incoming>) -> Recorded {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Recorded {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts.headers,
        body,
    }
}

/// A response with `status`, body `text` and `x-served-by: text`.
pub(crate) fn reply(status: u16, text: &str) -> Reply {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("x-served-by", text)
        .body(Full::new(Bytes::from(text.to_string())))
        .unwrap()
}

/// A fake upstream HTTP proxy. Absolute-form requests are answered by the
/// proxy itself (`200`, body `via ID`, `x-seen-uri`); `CONNECT` dials the
/// target and splices. With `expected_auth`, anything without that exact
/// `Proxy-Authorization` gets 407.
pub(crate) struct FakeProxy {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for FakeProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeProxy {
    pub(crate) async fn start(id: &'static str, expected_auth: Option<&'static str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task_seen = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let seen = Arc::clone(&task_seen);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let seen = Arc::clone(&seen);
                        async move {
                            Ok::<_, Infallible>(proxy_answer(id, expected_auth, req, &seen).await)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Self { addr, seen, task }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

async fn proxy_answer(
    id: &'static str,
    expected_auth: Option<&'static str>,
    mut req: Request<Incoming>,
    seen: &Mutex<Vec<Recorded>>,
) -> Reply {
    let auth_ok = match expected_auth {
        None => true,
        Some(want) => req
            .headers()
            .get("proxy-authorization")
            .is_some_and(|got| got == want),
    };
    if req.method() == http::Method::CONNECT {
        seen.lock().unwrap().push(Recorded {
            method: "CONNECT".into(),
            uri: req.uri().to_string(),
            headers: req.headers().clone(),
            body: Bytes::new(),
        });
        if !auth_ok {
            return reply(407, "proxy auth required");
        }
        let target = req.uri().authority().unwrap().to_string();
        let Ok(mut upstream) = TcpStream::connect(&target).await else {
            return reply(502, "target unreachable");
        };
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(upgraded) = upgrade.await {
                let mut client = TokioIo::new(upgraded);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
        });
        return reply(200, id);
    }
    let recorded = record(req).await;
    let uri = recorded.uri.clone();
    seen.lock().unwrap().push(recorded);
    if !auth_ok {
        return reply(407, "proxy auth required");
    }
    let mut response = reply(200, &format!("via {id}"));
    response
        .headers_mut()
        .insert("x-seen-uri", uri.parse().unwrap());
    response
}

/// A TCP server that echoes every byte back.
pub(crate) async fn echo_server() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = stream.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    (addr, task)
}

/// A TCP server that reads a request head and answers bytes that are not
/// HTTP.
pub(crate) async fn garbage_server() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let _ = read_head(&mut stream).await;
                let _ = stream.write_all(b"SPDY/9 this is not http\r\n\r\n").await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, task)
}

/// An address nothing listens on: connecting to it is refused.
pub(crate) async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
    // The listener is dropped here, closing the port.
}

/// Reads up to the end of an HTTP head; returns it as text.
pub(crate) async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Starts a gateway with `config` on ephemeral ports.
pub(crate) async fn start_gateway(config: GatewayConfig) -> Gateway {
    let config = config
        .with_listen("127.0.0.1:0")
        .with_admin_listen("127.0.0.1:0");
    Gateway::start(ConfigSource::fixed(config)).await.unwrap()
}

/// A client that sends everything through the gateway as a forward proxy.
pub(crate) fn forward_client(gateway: &Gateway) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(format!("http://{}", gateway.proxy_addr())).unwrap())
        .build()
        .unwrap()
}

/// A client that talks to the gateway as a server (reverse routes).
pub(crate) fn direct_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `http://proxy_addr{path}` for reverse-route requests.
pub(crate) fn gateway_url(gateway: &Gateway, path: &str) -> String {
    format!("http://{}{path}", gateway.proxy_addr())
}

/// The value of a response header as text.
pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}
