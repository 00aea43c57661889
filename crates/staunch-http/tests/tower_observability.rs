//! The tower layer's calls get the same `tracing` span as the middleware's,
//! with an event per attempt, when a subscriber listens.
#![cfg(feature = "tower")]

mod support;

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use staunch::retry::RetryPolicy;
use staunch_http::{HttpPolicy, StaunchLayer};
use support::captured_log::Captured;
use support::{Fault, FaultServer};
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test(start_paused = true)]
async fn each_layer_call_has_a_span_and_each_attempt_an_event() {
    let (captured, _logs) = Captured::debug_logs();
    let server = FaultServer::start([Fault::Status(503)]).await;
    let retry = RetryPolicy::builder()
        .with_base_delay(Duration::from_millis(10))
        .build();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let service = ServiceBuilder::new()
        .layer(StaunchLayer::new(
            HttpPolicy::builder().with_retry(retry).build(),
        ))
        .service(client);
    let request = Request::get(server.url("/layered"))
        .body(Full::new(Bytes::new()))
        .unwrap();

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let text = captured.text();
    let finished: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("attempt finished"))
        .collect();
    assert_eq!(finished.len(), 2, "{text}");
    assert!(
        finished
            .iter()
            .all(|l| l.contains("http_call{method=GET") && l.contains("/layered")),
        "{text}"
    );
    assert!(
        finished[0].contains("status=503") && finished[1].contains("status=200"),
        "{text}"
    );
}
