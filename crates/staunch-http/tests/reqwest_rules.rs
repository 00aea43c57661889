//! The reqwest-middleware integration against real local servers that
//! inject faults: what may be sent again (idempotency, bodies) and what
//! guards the calls (per-host breakers, the retry budget). Time is tokio's
//! paused clock.
#![cfg(feature = "reqwest")]

mod support;

use std::sync::Arc;

use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::clock::ManualClock;
use staunch::metrics::{AttemptOutcome, CallOutcome};
use staunch_http::{staunch_error, HttpPolicy, RequestOptions};
use std::time::Duration;
use support::reqwest::{client, recorded, retry};
use support::{closed_port_url, Fault, FaultServer, Recorder};

#[tokio::test(start_paused = true)]
async fn post_is_retried_when_the_connection_was_refused() {
    let url = closed_port_url("/orders").await;
    let (client, recorder) = recorded(retry(3));

    let error = client.post(url).body("order").send().await.unwrap_err();

    assert_eq!(staunch_error(&error).unwrap().attempts(), 3);
    assert_eq!(recorder.attempts().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn post_is_not_retried_without_an_opt_in() {
    let server = FaultServer::start([Fault::Status(503)]).await;
    let (client, _) = recorded(retry(3));

    let response = client
        .post(server.url("/orders"))
        .body("o-1")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn post_with_idempotency_key_is_retried() {
    let server = FaultServer::start([Fault::Status(503), Fault::Reset]).await;
    let (client, _) = recorded(retry(3));

    let response = client
        .post(server.url("/orders"))
        .header("Idempotency-Key", "order-42")
        .body("o-1")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 3);
    assert!(server
        .seen()
        .iter()
        .all(|s| s.headers["idempotency-key"] == "order-42"));
}

#[tokio::test(start_paused = true)]
async fn post_with_a_per_request_opt_in_is_retried() {
    let server = FaultServer::start([Fault::Status(500)]).await;
    let (client, _) = recorded(retry(3));

    let response = client
        .patch(server.url("/orders/1"))
        .body("patch")
        .with_extension(RequestOptions::new().with_idempotent(true))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 2);
}

/// A body of `len` bytes that is not all the same byte.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test(start_paused = true)]
async fn buffered_body_is_replayed_byte_identical() {
    let server = FaultServer::start([Fault::Status(503), Fault::Status(503)]).await;
    let (client, _) = recorded(retry(3));
    let body = pattern(64 * 1024);

    let response = client
        .put(server.url("/blob"))
        .body(body.clone())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.body.as_ref(), body.as_slice());
    }
}

#[tokio::test(start_paused = true)]
async fn body_over_the_replay_limit_is_sent_once() {
    let server = FaultServer::start([Fault::Status(503)]).await;
    let policy = HttpPolicy::builder()
        .with_retry(retry(3))
        .with_max_replay_body(1024)
        .build();

    let response = client(policy)
        .put(server.url("/blob"))
        .body(pattern(1025))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(server.hits(), 1);
    assert_eq!(server.seen()[0].body.len(), 1025);
}

#[tokio::test(start_paused = true)]
async fn streaming_body_is_sent_once() {
    let server = FaultServer::start([Fault::Status(503)]).await;
    let (client, _) = recorded(retry(3));
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>("a"), Ok("b")]);

    let response = client
        .put(server.url("/stream"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(server.hits(), 1);
    assert_eq!(server.seen()[0].body.as_ref(), b"ab");
}

#[tokio::test(start_paused = true)]
async fn per_host_breaker_opens_for_one_server_while_another_keeps_working() {
    let failing = FaultServer::start(std::iter::repeat_n(Fault::Status(503), 10)).await;
    let healthy = FaultServer::start([]).await;
    let registry = BreakerRegistry::<String>::with_clock(
        BreakerConfig::default().with_consecutive_failures(2),
        Arc::new(ManualClock::new()),
    )
    .unwrap();
    let policy = HttpPolicy::builder()
        .with_retry(retry(1))
        .with_breakers(registry.clone())
        .build();
    let client = client(policy);

    for _ in 0..2 {
        let response = client.get(failing.url("/")).send().await.unwrap();
        assert_eq!(response.status(), 503);
    }
    let refused = client.get(failing.url("/")).send().await.unwrap_err();
    let ok = client.get(healthy.url("/")).send().await.unwrap();

    let staunch = staunch_error(&refused).expect("the breaker refused the call");
    assert!(staunch.is_circuit_open());
    assert_eq!(staunch.attempts(), 0);
    assert_eq!(staunch.next_probe_in(), Some(Duration::from_secs(30)));
    assert_eq!(
        failing.hits(),
        2,
        "the refused call never reached the server"
    );
    assert_eq!(ok.status(), 200);
    assert_eq!(healthy.hits(), 1);
    assert_eq!(registry.get(&failing.key()).state(), CircuitState::Open);
    assert_eq!(registry.get(&healthy.key()).state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_does_not_trip_the_breaker_by_default() {
    let server = FaultServer::start(std::iter::repeat_n(Fault::Status(429), 4)).await;
    let registry =
        BreakerRegistry::<String>::new(BreakerConfig::default().with_consecutive_failures(2))
            .unwrap();
    let policy = HttpPolicy::builder()
        .with_retry(retry(4))
        .with_breakers(registry.clone())
        .build();

    let response = client(policy).get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 429);
    assert_eq!(server.hits(), 4);
    assert_eq!(registry.get(&server.key()).state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn breaker_opening_mid_call_stops_the_retries() {
    let server = FaultServer::start(std::iter::repeat_n(Fault::Status(503), 10)).await;
    let registry =
        BreakerRegistry::<String>::new(BreakerConfig::default().with_consecutive_failures(2))
            .unwrap();
    let recorder = Arc::new(Recorder::default());
    let policy = HttpPolicy::builder()
        .with_retry(retry(5))
        .with_breakers(registry)
        .with_metrics(recorder.clone())
        .build();

    let response = client(policy).get(server.url("/")).send().await.unwrap();

    // The last 503 comes back; the third attempt was refused, not sent.
    assert_eq!(response.status(), 503);
    assert_eq!(server.hits(), 2);
    let outcomes: Vec<_> = recorder.attempts().iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            AttemptOutcome::RetryableFailure,
            AttemptOutcome::RetryableFailure,
            AttemptOutcome::Rejected
        ]
    );
    assert_eq!(recorder.calls()[0].outcome, CallOutcome::Unavailable);
    let transitions = recorder.transitions();
    assert_eq!(
        transitions.len(),
        1,
        "the breaker's opening reached the sink"
    );
    assert_eq!(transitions[0].to, CircuitState::Open);
    assert_eq!(transitions[0].key, server.key());
}

#[tokio::test(start_paused = true)]
async fn exhausted_budget_ends_the_call_with_the_last_answer() {
    let server = FaultServer::start([Fault::Status(503)]).await;
    let budget = staunch::budget::RetryBudget::new(
        staunch::budget::BudgetConfig::default()
            .with_ratio(0.0)
            .with_min_per_sec(0),
    )
    .unwrap();
    let recorder = Arc::new(Recorder::default());
    let policy = HttpPolicy::builder()
        .with_retry(retry(3))
        .with_budget(Arc::new(budget))
        .with_metrics(recorder.clone())
        .build();

    let response = client(policy).get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(server.hits(), 1);
    let outcomes: Vec<_> = recorder.attempts().iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            AttemptOutcome::RetryableFailure,
            AttemptOutcome::BudgetDenied
        ]
    );
    assert_eq!(recorder.calls()[0].outcome, CallOutcome::BudgetExhausted);
}
