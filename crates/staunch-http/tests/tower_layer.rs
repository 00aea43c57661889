//! The tower layer around a real hyper-util client, against real local
//! servers that inject faults. Time is tokio's paused clock.
#![cfg(feature = "tower")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::clock::ManualClock;
use staunch::retry::{RetryPolicy, StopReason};
use staunch_http::{BoxError, ErrorKind, HttpPolicy, RequestOptions, Staunch, StaunchLayer};
use support::{closed_port_url, Fault, FaultServer};
use tower::{ServiceBuilder, ServiceExt};

type FullClient = Client<HttpConnector, Full<Bytes>>;

fn policy(max_attempts: u32) -> HttpPolicy {
    let retry = RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_base_delay(Duration::from_millis(100))
        .build();
    HttpPolicy::builder().with_retry(retry).build()
}

fn service(policy: HttpPolicy) -> Staunch<FullClient> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    ServiceBuilder::new()
        .layer(StaunchLayer::new(policy))
        .service(client)
}

fn get(url: &str) -> Request<Full<Bytes>> {
    Request::get(url).body(Full::new(Bytes::new())).unwrap()
}

#[tokio::test(start_paused = true)]
async fn layer_retries_service_unavailable_and_replays_the_full_body() {
    let server = FaultServer::start([Fault::Status(503)]).await;
    let payload = Bytes::from_static(b"{\"order\":42,\"items\":[1,2,3]}");
    let request = Request::post(server.url("/orders"))
        .header("idempotency-key", "order-42")
        .body(Full::new(payload.clone()))
        .unwrap();

    let response = service(policy(3)).oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.body == payload));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.as_ref(), b"status 200");
}

#[tokio::test(start_paused = true)]
async fn layer_does_not_retry_not_found() {
    let server = FaultServer::start([Fault::Status(404)]).await;

    let response = service(policy(3))
        .oneshot(get(&server.url("/x")))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn layer_gives_up_on_refused_connections_with_a_boxed_staunch_error() {
    let url = closed_port_url("/").await;

    let error: BoxError = service(policy(3)).oneshot(get(&url)).await.unwrap_err();

    let staunch = error.downcast_ref::<staunch_http::Error>().unwrap();
    assert_eq!(staunch.reason(), StopReason::Exhausted);
    assert_eq!(staunch.attempts(), 3);
    assert_eq!(staunch.error_kind(), Some(ErrorKind::Connect));
}

#[tokio::test(start_paused = true)]
async fn layer_returns_a_single_final_error_as_it_came() {
    // The client refuses a URI without a scheme and host: a final error.
    let error = service(policy(3))
        .oneshot(get("/relative"))
        .await
        .unwrap_err();

    assert!(error.downcast_ref::<staunch_http::Error>().is_none());
    assert!(error
        .downcast_ref::<hyper_util::client::legacy::Error>()
        .is_some());
}

#[tokio::test(start_paused = true)]
async fn layer_retries_an_attempt_that_times_out() {
    let server = FaultServer::start([Fault::Stall(Duration::from_secs(60))]).await;
    let mut request = get(&server.url("/slow"));
    request
        .extensions_mut()
        .insert(RequestOptions::new().with_attempt_timeout(Duration::from_secs(1)));

    let response = service(policy(3)).oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn layer_sends_a_streaming_body_once() {
    let server = FaultServer::start([Fault::Status(503)]).await;
    type Streaming = BoxBody<Bytes, std::io::Error>;
    let client = Client::builder(TokioExecutor::new()).build_http::<Streaming>();
    let service = StaunchLayer::new(policy(3)).layer_on(client);
    let body: Streaming = Full::new(Bytes::from_static(b"chunk"))
        .map_err(|never| match never {})
        .boxed();
    let request = Request::put(server.url("/upload")).body(body).unwrap();

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn layer_keeps_one_breaker_per_host() {
    let failing = FaultServer::start(std::iter::repeat_n(Fault::Status(500), 5)).await;
    let healthy = FaultServer::start([]).await;
    let registry = BreakerRegistry::<String>::with_clock(
        BreakerConfig::default().with_consecutive_failures(1),
        Arc::new(ManualClock::new()),
    )
    .unwrap();
    let policy = HttpPolicy::builder()
        .with_retry(RetryPolicy::no_retry())
        .with_breakers(registry.clone())
        .build();
    let service = service(policy);

    let first = service
        .clone()
        .oneshot(get(&failing.url("/")))
        .await
        .unwrap();
    let refused = service
        .clone()
        .oneshot(get(&failing.url("/")))
        .await
        .unwrap_err();
    let other = service.oneshot(get(&healthy.url("/"))).await.unwrap();

    assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(refused
        .downcast_ref::<staunch_http::Error>()
        .is_some_and(staunch_http::Error::is_circuit_open));
    assert_eq!(failing.hits(), 1);
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(registry.get(&failing.key()).state(), CircuitState::Open);
}

/// `layer` without naming the `Layer` trait at every call.
trait LayerOn {
    fn layer_on<S>(&self, inner: S) -> Staunch<S>;
}

impl LayerOn for StaunchLayer {
    fn layer_on<S>(&self, inner: S) -> Staunch<S> {
        tower::Layer::layer(self, inner)
    }
}
