//! The reqwest-middleware integration against real local servers that
//! inject faults: which answers and failures are retried, and how long it
//! waits. Time is tokio's paused clock: backoff sleeps, `Retry-After` waits
//! and attempt timeouts cost no real time.
#![cfg(feature = "reqwest")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{AttemptOutcome, CallOutcome};
use staunch::retry::StopReason;
use staunch_http::{staunch_error, ErrorKind, HttpPolicy, RequestOptions};
use support::reqwest::{client, recorded, retry, BASE};
use support::{closed_port_url, Fault, FaultServer, Recorder};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn service_unavailable_twice_then_ok_takes_three_attempts() {
    let server = FaultServer::start([Fault::Status(503), Fault::Status(503)]).await;
    let (client, recorder) = recorded(retry(3));
    let started = Instant::now();

    let response = client.get(server.url("/items")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 3);
    // Exponential backoff from the base: 100 ms, then 200 ms.
    assert!(started.elapsed() >= BASE * 3, "{:?}", started.elapsed());
    let attempts = recorder.attempts();
    let statuses: Vec<_> = attempts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
    let delays: Vec<_> = attempts.iter().map(|r| r.delay_before).collect();
    assert_eq!(delays, [Duration::ZERO, BASE, BASE * 2]);
    assert_eq!(attempts[0].outcome, AttemptOutcome::RetryableFailure);
    assert_eq!(attempts[0].endpoint.as_deref(), Some(server.key().as_str()));
    let calls = recorder.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].attempts, calls[0].outcome),
        (3, CallOutcome::Success)
    );
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_hand_back_the_last_retryable_response() {
    let server = FaultServer::start(std::iter::repeat_n(Fault::Status(502), 5)).await;
    let (client, recorder) = recorded(retry(3));

    let response = client.get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 502);
    assert_eq!(server.hits(), 3);
    assert_eq!(recorder.calls()[0].outcome, CallOutcome::Exhausted);
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_with_retry_after_seconds_waits_that_long() {
    let limited = Fault::StatusWith(429, vec![("retry-after", "1".into())]);
    let server = FaultServer::start([limited]).await;
    let (client, recorder) = recorded(retry(3));
    let started = Instant::now();

    let response = client.get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
    // The hint (1 s) beat the backoff (100 ms).
    assert_eq!(recorder.attempts()[1].delay_before, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date_waits_until_that_date() {
    let wall = ManualClock::new();
    let at = wall.system_now() + Duration::from_secs(7);
    let limited = Fault::StatusWith(503, vec![("retry-after", httpdate::fmt_http_date(at))]);
    let server = FaultServer::start([limited]).await;
    let recorder = Arc::new(Recorder::default());
    let policy = HttpPolicy::builder()
        .with_retry(retry(2))
        .with_metrics(recorder.clone())
        .with_clock(Arc::new(wall.clone()))
        .build();

    let response = client(policy).get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 2);
    let waited = recorder.attempts()[1].delay_before;
    // HTTP-dates have whole seconds: the wait is 7 s less the sub-second part.
    assert!(
        waited > Duration::from_secs(6) && waited <= Duration::from_secs(7),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_capped_by_max_retry_after() {
    let limited = Fault::StatusWith(503, vec![("retry-after", "3600".into())]);
    let server = FaultServer::start([limited]).await;
    let policy = retry(2)
        .to_builder()
        .with_max_retry_after(Duration::from_secs(2))
        .build();
    let (client, recorder) = recorded(policy);

    let response = client.get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(recorder.attempts()[1].delay_before, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn garbage_retry_after_falls_back_to_the_backoff() {
    let limited = Fault::StatusWith(503, vec![("retry-after", "-5".into())]);
    let server = FaultServer::start([limited]).await;
    let (client, recorder) = recorded(retry(2));

    let response = client.get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(recorder.attempts()[1].delay_before, BASE);
}

#[tokio::test(start_paused = true)]
async fn connection_reset_before_the_answer_is_retried() {
    let server = FaultServer::start([Fault::Reset]).await;
    let (client, recorder) = recorded(retry(3));

    let response = client.get(server.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 2);
    assert_eq!(recorder.attempts()[0].error_kind, Some("reset"));
}

#[tokio::test(start_paused = true)]
async fn reset_mid_response_is_not_retried_once_headers_were_handed_over() {
    let server = FaultServer::start([Fault::ResetMidBody]).await;
    let (client, recorder) = recorded(retry(3));

    let response = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.bytes().await;

    assert!(body.is_err(), "the body was cut: {body:?}");
    assert_eq!(server.hits(), 1);
    assert_eq!(recorder.attempts().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_then_reported_with_its_kind() {
    let url = closed_port_url("/").await;
    let (client, recorder) = recorded(retry(3));

    let error = client.get(url).send().await.unwrap_err();

    let staunch = staunch_error(&error).expect("staunch stopped the call");
    assert_eq!(staunch.reason(), StopReason::Exhausted);
    assert_eq!(staunch.attempts(), 3);
    assert_eq!(staunch.error_kind(), Some(ErrorKind::Connect));
    assert!(staunch.last_error().is_some());
    let kinds: Vec<_> = recorder.attempts().iter().map(|r| r.error_kind).collect();
    assert_eq!(kinds, [Some("connect"); 3]);
}

#[tokio::test(start_paused = true)]
async fn slow_response_past_the_attempt_timeout_is_retried() {
    let server = FaultServer::start([Fault::Stall(Duration::from_secs(60))]).await;
    let policy = retry(3)
        .to_builder()
        .with_attempt_timeout(Duration::from_secs(1))
        .build();
    let (client, recorder) = recorded(policy);
    let started = Instant::now();

    let response = client.get(server.url("/slow")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 2);
    assert!(started.elapsed() < Duration::from_secs(60));
    let first = &recorder.attempts()[0];
    assert_eq!(first.outcome, AttemptOutcome::Timeout);
    assert_eq!(first.error_kind, Some("timeout"));
    assert!(
        first.latency >= Duration::from_secs(1) && first.latency < Duration::from_millis(1100),
        "the attempt was cut at its timeout: {:?}",
        first.latency
    );
}

#[tokio::test(start_paused = true)]
async fn every_attempt_timing_out_gives_up_with_a_timeout_error() {
    let stall = Fault::Stall(Duration::from_secs(60));
    let server = FaultServer::start([stall.clone(), stall]).await;
    let options = RequestOptions::new()
        .with_max_attempts(2)
        .with_attempt_timeout(Duration::from_millis(500));
    let (client, _) = recorded(retry(3));

    let error = client
        .get(server.url("/slow"))
        .with_extension(options)
        .send()
        .await
        .unwrap_err();

    let staunch = staunch_error(&error).unwrap();
    assert!(staunch.timed_out());
    assert_eq!(staunch.attempts(), 2);
    assert_eq!(server.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn not_found_is_final_and_not_retried() {
    let server = FaultServer::start([Fault::Status(404)]).await;
    let (client, recorder) = recorded(retry(3));

    let response = client.get(server.url("/missing")).send().await.unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(server.hits(), 1);
    assert_eq!(recorder.attempts()[0].outcome, AttemptOutcome::Fatal);
    assert_eq!(recorder.calls()[0].outcome, CallOutcome::Fatal);
}

#[tokio::test(start_paused = true)]
async fn per_request_max_attempts_overrides_the_policy() {
    let server = FaultServer::start(std::iter::repeat_n(Fault::Status(503), 4)).await;
    let (client, _) = recorded(retry(2));

    let response = client
        .get(server.url("/"))
        .with_extension(RequestOptions::new().with_max_attempts(5))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 5);
}

#[tokio::test(start_paused = true)]
async fn deadline_stops_before_a_sleep_that_would_pass_it() {
    let limited = Fault::StatusWith(503, vec![("retry-after", "30".into())]);
    let server = FaultServer::start([limited]).await;
    let (client, _) = recorded(retry(3));
    let started = Instant::now();

    let response = client
        .get(server.url("/"))
        .with_extension(RequestOptions::new().with_deadline(Duration::from_secs(5)))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(server.hits(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}
