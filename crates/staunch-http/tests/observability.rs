//! Every call gets a `tracing` span with an event per attempt.
#![cfg(feature = "reqwest")]

mod support;

use std::time::Duration;

use reqwest_middleware::ClientBuilder;
use staunch::retry::RetryPolicy;
use staunch_http::{HttpPolicy, StaunchMiddleware};
use support::captured_log::Captured;
use support::{Fault, FaultServer};

#[tokio::test(start_paused = true)]
async fn each_call_has_a_span_and_each_attempt_an_event() {
    let (captured, _logs) = Captured::debug_logs();
    let server = FaultServer::start([Fault::Status(503)]).await;
    let retry = RetryPolicy::builder()
        .with_base_delay(Duration::from_millis(10))
        .build();
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build().unwrap())
        .with(StaunchMiddleware::new(
            HttpPolicy::builder().with_retry(retry).build(),
        ))
        .build();

    let response = client.get(server.url("/traced")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    let finished: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("attempt finished"))
        .collect();
    assert_eq!(finished.len(), 2, "{text}");
    assert!(
        finished.iter().all(|l| l.contains("http_call{method=GET")),
        "{text}"
    );
    assert!(
        finished[0].contains("status=503") && finished[1].contains("status=200"),
        "{text}"
    );
    assert!(
        finished
            .iter()
            .all(|l| l.contains("path=\"/traced\"") || l.contains("path=/traced")),
        "{text}"
    );
    let retries = lines
        .iter()
        .filter(|l| l.contains("attempt failed, retrying"))
        .count();
    assert_eq!(retries, 1, "{text}");
}
