//! A small local HTTP server for the examples: each example decides, per
//! request, what its flaky upstream answers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request, as the handler sees it.
pub(crate) struct Hit {
    /// 1 for the first request the server got.
    pub(crate) number: u64,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// What the server does with a request.
pub(crate) enum Reply {
    /// Answers `status` with `headers` and `body`.
    Answer(u16, Vec<(&'static str, String)>, Bytes),
    /// Drops the connection without an answer.
    Reset,
}

impl Reply {
    /// A status with a short text body.
    pub(crate) fn status(code: u16) -> Self {
        Self::Answer(code, Vec::new(), Bytes::from(format!("status {code}")))
    }
}

/// Serves `handler` on 127.0.0.1 (an ephemeral port) until the program ends.
pub(crate) async fn serve<H>(handler: H) -> SocketAddr
where
    H: Fn(Hit) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let handler = Arc::new(handler);
    let count = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let handler = Arc::clone(&handler);
                    let number = count.fetch_add(1, Ordering::Relaxed) + 1;
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map_err(std::io::Error::other)?
                            .to_bytes();
                        let hit = Hit {
                            number,
                            method: parts.method,
                            path: parts.uri.path().to_owned(),
                            headers: parts.headers,
                            body,
                        };
                        match handler(hit) {
                            Reply::Answer(code, headers, body) => Ok(answer(code, headers, body)),
                            // An error from the service makes hyper drop the
                            // connection without writing an answer.
                            Reply::Reset => Err(std::io::Error::other("injected reset")),
                        }
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn answer(code: u16, headers: Vec<(&'static str, String)>, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
