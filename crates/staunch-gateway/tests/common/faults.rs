//! A fake upstream proxy, an echo server, a server that answers garbage,
//! closed ports.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::upstream::{record, reply, Recorded, Reply};

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
        Self::flaky(id, expected_auth, 0).await
    }

    /// Like [`start`](Self::start), but the first `refused` `CONNECT`s get
    /// `503` instead of a tunnel.
    pub(crate) async fn flaky(
        id: &'static str,
        expected_auth: Option<&'static str>,
        refused: usize,
    ) -> Self {
        let refusals = Arc::new(AtomicUsize::new(refused));
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
                let refusals = Arc::clone(&refusals);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let seen = Arc::clone(&seen);
                        let refusals = Arc::clone(&refusals);
                        async move {
                            Ok::<_, Infallible>(
                                proxy_answer(id, expected_auth, req, &seen, &refusals).await,
                            )
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
    refusals: &AtomicUsize,
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
        let refuse = refusals
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refuse {
            return reply(503, "upstream proxy overloaded");
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
///
/// The port is bound but never listened on, and stays bound until the
/// test process ends: a port merely freed could be handed to a server of
/// a test running at the same time, which would then answer.
pub(crate) async fn closed_port() -> SocketAddr {
    static HELD: std::sync::Mutex<Vec<tokio::net::TcpSocket>> = std::sync::Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    HELD.lock().unwrap().push(socket);
    addr
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
