//! The reqwest-middleware integration against real local servers that
//! inject faults. Time is tokio's paused clock: backoff sleeps, `Retry-After`
//! waits and attempt timeouts cost no real time.
#![cfg(feature = "reqwest")]

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::clock::ManualClock;
use staunch::metrics::{AttemptOutcome, CallOutcome};
use staunch::retry::{RetryPolicy, StopReason};
use staunch_http::{staunch_error, ErrorKind, HttpPolicy, RequestOptions, StaunchMiddleware};
use support::{closed_port_url, Fault, FaultServer, Recorder};
use tokio::time::Instant;

const BASE: Duration = Duration::from_millis(100);

fn retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_base_delay(BASE)
        .build()
}

fn client(policy: HttpPolicy) -> ClientWithMiddleware {
    let inner = reqwest::Client::builder().no_proxy().build().unwrap();
    ClientBuilder::new(inner)
        .with(StaunchMiddleware::new(policy))
        .build()
}

/// A client on `retry` that records to a fresh [`Recorder`].
fn recorded(retry: RetryPolicy) -> (ClientWithMiddleware, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let policy = HttpPolicy::builder()
        .with_retry(retry)
        .with_metrics(recorder.clone())
        .build();
    (client(policy), recorder)
}

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
    let at = wall.system_now_for_test() + Duration::from_secs(7);
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
async fn post_is_retried_when_the_connection_was_refused() {
    let url = closed_port_url("/orders").await;
    let (client, recorder) = recorded(retry(3));

    let error = client.post(url).body("order").send().await.unwrap_err();

    assert_eq!(staunch_error(&error).unwrap().attempts(), 3);
    assert_eq!(recorder.attempts().len(), 3);
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

/// `SystemTime` of a manual clock, for building dates in tests.
trait SystemNow {
    fn system_now_for_test(&self) -> SystemTime;
}

impl SystemNow for ManualClock {
    fn system_now_for_test(&self) -> SystemTime {
        staunch::clock::Clock::system_now(self)
    }
}
