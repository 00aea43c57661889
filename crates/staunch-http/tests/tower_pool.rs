//! The tower layer with a pool of base URLs, around a real hyper-util
//! client and real local servers. Time is tokio's paused clock.
#![cfg(feature = "tower")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use staunch::breaker::{BreakerConfig, BreakerRegistry};
use staunch::pool::{Pool, RoundRobin};
use staunch::retry::{RetryPolicy, StopReason};
use staunch_http::{BaseUrl, Error, HttpPolicy, Staunch, StaunchLayer};
use support::{base_pool, closed_base, Fault, FaultServer, Recorder};
use tower::{Layer, ServiceExt};

type FullClient = Client<HttpConnector, Full<Bytes>>;

fn service(
    pool: Pool<BaseUrl>,
    registry: &BreakerRegistry<String>,
    recorder: &Arc<Recorder>,
) -> Staunch<FullClient> {
    let retry = RetryPolicy::builder()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(100))
        .build();
    let policy = HttpPolicy::builder()
        .with_retry(retry)
        .with_breakers(registry.clone())
        .with_metrics(recorder.clone())
        .with_pool(pool)
        .with_pool_strategy(RoundRobin::new())
        .build();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    StaunchLayer::new(policy).layer(client)
}

fn registry() -> BreakerRegistry<String> {
    BreakerRegistry::new(BreakerConfig::default()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn layer_sends_origin_form_requests_under_the_pool_and_fails_over() {
    let down = FaultServer::start([Fault::Status(502)]).await;
    let up = FaultServer::start([]).await;
    let pool = base_pool([
        ("refused", closed_base().await),
        ("down", down.base("/api")),
        ("up", up.base("/api")),
    ]);
    let recorder = Arc::new(Recorder::default());
    let request = Request::get("/items?since=7")
        .header(header::HOST, "placeholder.test")
        .body(Full::new(Bytes::new()))
        .unwrap();

    let response = service(pool, &registry(), &recorder)
        .oneshot(request)
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!((down.hits(), up.hits()), (1, 1));
    let seen = &up.seen()[0];
    assert_eq!(
        (seen.path.as_str(), seen.query.as_deref()),
        ("/api/items", Some("since=7"))
    );
    let authority = up.key().trim_start_matches("http://").to_owned();
    assert_eq!(seen.headers[header::HOST], authority.as_str());
    let endpoints: Vec<_> = recorder
        .attempts()
        .iter()
        .map(|r| r.endpoint.as_deref().unwrap().to_owned())
        .collect();
    assert_eq!(endpoints, ["refused", "down", "up"]);
}

#[tokio::test(start_paused = true)]
async fn layer_with_every_base_isolated_fails_at_once_with_all_unavailable() {
    let one = FaultServer::start([]).await;
    let two = FaultServer::start([]).await;
    let pool = base_pool([("one", one.base("")), ("two", two.base(""))]);
    let registry = registry();
    registry.isolate("one");
    registry.isolate("two");
    let recorder = Arc::new(Recorder::default());
    let request = Request::get("http://pool/x")
        .body(Full::new(Bytes::new()))
        .unwrap();

    let started = tokio::time::Instant::now();
    let error = service(pool, &registry, &recorder)
        .oneshot(request)
        .await
        .unwrap_err();

    assert_eq!(started.elapsed(), Duration::ZERO);
    let stop = error.downcast_ref::<Error>().expect("a staunch error");
    assert!(matches!(stop.reason(), StopReason::AllUnavailable { .. }));
    assert_eq!(stop.attempts(), 0);
    assert_eq!((one.hits(), two.hits()), (0, 0));
}
