//! What the middleware benches share: a local server and the four clients
//! they compare, all on one current-thread runtime.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use reqwest_retry::policies::ExponentialBackoff;
use reqwest_retry::RetryTransientMiddleware;
use staunch_http::{HttpPolicy, StaunchMiddleware};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// A current-thread runtime: the client and the server share its one
/// thread, so every request is the same CPU work, without cross-thread
/// wake-ups, whose timing on a small machine varies more than the
/// middleware costs.
pub(crate) fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A server answering 200 `ok` to everything, on the current runtime.
pub(crate) async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_req: Request<Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// The clients compared, each with its own connection pool.
pub(crate) struct Clients {
    /// A plain reqwest client.
    pub(crate) bare: reqwest::Client,
    /// The reqwest-middleware stack with nothing in it: what any
    /// reqwest-middleware integration costs before its own work.
    pub(crate) empty_stack: ClientWithMiddleware,
    /// staunch with its default policy (retry + per-host breaker).
    pub(crate) staunch: ClientWithMiddleware,
    /// reqwest-retry's `RetryTransientMiddleware` with 2 retries.
    pub(crate) reqwest_retry: ClientWithMiddleware,
}

impl Clients {
    /// The four clients.
    pub(crate) fn new() -> Self {
        let retry_policy = ExponentialBackoff::builder().build_with_max_retries(2);
        Self {
            bare: plain_client(),
            empty_stack: ClientBuilder::new(plain_client()).build(),
            staunch: ClientBuilder::new(plain_client())
                .with(StaunchMiddleware::new(HttpPolicy::default()))
                .build(),
            reqwest_retry: ClientBuilder::new(plain_client())
                .with(RetryTransientMiddleware::new_with_policy(retry_policy))
                .build(),
        }
    }
}

/// One GET through a middleware client, body read.
pub(crate) async fn get_via(client: &ClientWithMiddleware, url: &str) -> Bytes {
    let response = client.get(url).send().await.unwrap();
    response.bytes().await.unwrap()
}

/// One GET through the plain client, body read.
pub(crate) async fn get_bare(client: &reqwest::Client, url: &str) -> Bytes {
    let response = client.get(url).send().await.unwrap();
    response.bytes().await.unwrap()
}
