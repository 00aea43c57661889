//! A recording HTTP backend with scripted answers.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};

/// A request as a test server received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

pub(crate) type Reply = Response<Full<Bytes>>;
type Handler = Arc<dyn Fn(Recorded) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// A local HTTP/1.1 server that records every request and answers through
/// a handler.
pub(crate) struct Upstream {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.kill();
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
        let connections = Arc::new(Mutex::new(Vec::new()));
        let task_connections = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = Arc::clone(&handler);
                let seen = Arc::clone(&task_seen);
                let connection = tokio::spawn(async move {
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
                task_connections
                    .lock()
                    .unwrap()
                    .push(connection.abort_handle());
            }
        });
        Self {
            addr,
            seen,
            task,
            connections,
        }
    }

    /// Stops the server at once: the port is closed and every open
    /// connection (kept alive by a client) is cut.
    pub(crate) fn kill(&self) {
        self.task.abort();
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Answers each of `statuses` in turn (body `step N`), then 200 `ok`
    /// to everything after.
    pub(crate) async fn sequence(statuses: &[u16]) -> Self {
        let statuses = Arc::new(statuses.to_vec());
        let count = Arc::new(AtomicUsize::new(0));
        Self::start(move |_| {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let status = statuses.get(n).copied();
            async move {
                match status {
                    Some(status) => reply(status, &format!("step {n}")),
                    None => reply(200, "ok"),
                }
            }
        })
        .await
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

pub(crate) async fn record(req: Request<Incoming>) -> Recorded {
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
