//! The reqwest-middleware integration with a pool of base URLs: failover
//! between real local servers, per-base breakers fed by the HTTP classifier,
//! and the request rules unchanged. Time is tokio's paused clock.
#![cfg(feature = "reqwest")]

mod support;

use std::collections::HashSet;
use std::iter::repeat_n;
use std::sync::Arc;
use std::time::Duration;

use reqwest_middleware::ClientWithMiddleware;
use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::metrics::{AttemptOutcome, AttemptRecord, CallOutcome};
use staunch::pool::{Pool, RoundRobin, StrategyKind};
use staunch::retry::StopReason;
use staunch_http::{staunch_error, BaseUrl, HttpPolicy, HttpPolicyBuilder};
use support::reqwest::{client, retry, BASE};
use support::{base_pool, closed_base, Fault, FaultServer, Recorder};
use tokio::time::Instant;

/// Breakers that open after `failures` failures in a row, for 30 s.
fn breakers(failures: u32) -> BreakerRegistry<String> {
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(failures)
        .with_open_duration(Duration::from_secs(30));
    BreakerRegistry::new(config).unwrap()
}

/// A policy of `attempts` attempts over `pool` in round-robin order,
/// recording to `recorder`.
fn pooled(
    pool: Pool<BaseUrl>,
    registry: &BreakerRegistry<String>,
    attempts: u32,
    recorder: &Arc<Recorder>,
) -> HttpPolicyBuilder {
    HttpPolicy::builder()
        .with_retry(retry(attempts))
        .with_breakers(registry.clone())
        .with_metrics(recorder.clone())
        .with_pool(pool)
        .with_pool_strategy(RoundRobin::new())
}

fn pooled_client(
    pool: Pool<BaseUrl>,
    registry: &BreakerRegistry<String>,
    attempts: u32,
) -> (ClientWithMiddleware, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let policy = pooled(pool, registry, attempts, &recorder).build();
    (client(policy), recorder)
}

/// The endpoint ids of `call`'s attempts, in order.
fn endpoints_of(records: &[AttemptRecord], call: u64) -> Vec<String> {
    records
        .iter()
        .filter(|r| r.call_id == call)
        .map(|r| r.endpoint.as_deref().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn calls_succeed_on_the_third_base_when_one_answers_503_and_one_refuses() {
    let down = FaultServer::start(repeat_n(Fault::Status(503), 10)).await;
    let up = FaultServer::start([]).await;
    let pool = base_pool([
        ("down", down.base("")),
        ("refused", closed_base().await),
        ("up", up.base("")),
    ]);
    let (client, recorder) = pooled_client(pool, &breakers(100), 3);

    let started = Instant::now();
    for n in 0..3 {
        let response = client
            .get(format!("http://pool/items?n={n}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    assert_eq!((down.hits(), up.hits()), (3, 3));
    assert!(up.seen().iter().all(|s| s.path == "/items"));
    let queries: Vec<_> = up.seen().into_iter().map(|s| s.query).collect();
    assert_eq!(queries, ["n=0", "n=1", "n=2"].map(|q| Some(q.to_owned())));
    let records = recorder.attempts();
    for call in recorder.calls() {
        assert_eq!(call.outcome, CallOutcome::Success);
        assert_eq!(call.endpoint.as_deref(), Some("up"));
        assert_eq!(
            endpoints_of(&records, call.call_id),
            ["down", "refused", "up"]
        );
    }
    assert!(
        started.elapsed() < BASE,
        "a retry on a base not yet tried does not wait the backoff"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_never_revisits_a_failed_base_while_another_is_available() {
    let servers = [
        FaultServer::start(repeat_n(Fault::Status(503), 20)).await,
        FaultServer::start(repeat_n(Fault::Status(503), 20)).await,
        FaultServer::start(repeat_n(Fault::Status(503), 20)).await,
    ];
    let pool = base_pool([
        ("a", servers[0].base("")),
        ("b", servers[1].base("")),
        ("c", servers[2].base("")),
    ]);
    let recorder = Arc::new(Recorder::default());
    let policy = pooled(pool, &breakers(100), 3, &recorder)
        .with_pool_strategy_kind(&StrategyKind::Random)
        .with_pool_seed(5)
        .build();
    let client = client(policy);

    for _ in 0..6 {
        let response = client.get("http://pool/x").send().await.unwrap();
        assert_eq!(response.status(), 503, "every base is down");
    }

    let records = recorder.attempts();
    for call in recorder.calls() {
        let tried = endpoints_of(&records, call.call_id);
        let distinct: HashSet<_> = tried.iter().collect();
        assert_eq!((tried.len(), distinct.len()), (3, 3), "{tried:?}");
    }
    for server in &servers {
        assert_eq!(server.hits(), 6);
    }
}

#[tokio::test(start_paused = true)]
async fn when_every_breaker_is_open_the_call_fails_at_once_with_all_unavailable() {
    let one = FaultServer::start(repeat_n(Fault::Status(503), 5)).await;
    let two = FaultServer::start(repeat_n(Fault::Status(503), 5)).await;
    let pool = base_pool([("one", one.base("")), ("two", two.base(""))]);
    let registry = breakers(1);
    let (client, recorder) = pooled_client(pool, &registry, 3);

    // The first call opens both breakers, then stops without sleeping.
    let started = Instant::now();
    let response = client.get("http://pool/x").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < BASE);
    assert_eq!(registry.get("one").state(), CircuitState::Open);
    assert_eq!(registry.get("two").state(), CircuitState::Open);
    let opened: Vec<_> = recorder
        .transitions()
        .into_iter()
        .filter(|t| t.to == CircuitState::Open)
        .map(|t| t.key)
        .collect();
    assert_eq!(
        opened,
        ["one", "two"],
        "transitions are keyed by endpoint id"
    );

    let started = Instant::now();
    let error = client.get("http://pool/x").send().await.unwrap_err();

    assert_eq!(started.elapsed(), Duration::ZERO, "no sleep, no queue");
    let stop = staunch_error(&error).expect("a staunch error");
    assert!(matches!(stop.reason(), StopReason::AllUnavailable { .. }));
    assert_eq!(stop.attempts(), 0);
    let wait = stop.next_probe_in().expect("the next probe time");
    assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
    assert_eq!((one.hits(), two.hits()), (1, 1));
    let calls = recorder.calls();
    assert_eq!(calls[1].outcome, CallOutcome::Unavailable);
    let refused = recorder.attempts().pop().unwrap();
    assert_eq!(refused.outcome, AttemptOutcome::Rejected);
    assert_eq!(refused.endpoint, None);
}

#[tokio::test(start_paused = true)]
async fn throttled_base_is_retried_on_another_and_429_is_no_breaker_failure() {
    let throttled = FaultServer::start([Fault::StatusWith(
        429,
        vec![("retry-after", "30".to_owned())],
    )])
    .await;
    let up = FaultServer::start([]).await;
    let pool = base_pool([("throttled", throttled.base("")), ("up", up.base(""))]);
    let registry = breakers(1);
    let (client, recorder) = pooled_client(pool, &registry, 3);

    let started = Instant::now();
    let response = client.get("http://pool/report").send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!((throttled.hits(), up.hits()), (1, 1));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the other base does not wait for the throttled one's Retry-After"
    );
    // One failure would have opened it.
    assert_eq!(registry.get("throttled").state(), CircuitState::Closed);
    let records = recorder.attempts();
    let seen: Vec<_> = records
        .iter()
        .map(|r| (r.endpoint.as_deref().unwrap().to_owned(), r.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("throttled".to_owned(), Some(429)),
            ("up".to_owned(), Some(200))
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn post_is_not_sent_to_another_base_after_a_503_but_its_base_breaker_counts_it() {
    let down = FaultServer::start([Fault::Status(503)]).await;
    let up = FaultServer::start([]).await;
    let pool = base_pool([("down", down.base("")), ("up", up.base(""))]);
    let registry = breakers(1);
    let (client, _) = pooled_client(pool, &registry, 3);

    let response = client
        .post("http://pool/orders")
        .body("o-1")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!((down.hits(), up.hits()), (1, 0));
    assert_eq!(registry.get("down").state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn post_fails_over_when_its_base_refused_the_connection() {
    let up = FaultServer::start([]).await;
    let pool = base_pool([("refused", closed_base().await), ("up", up.base(""))]);
    let (client, _) = pooled_client(pool, &breakers(100), 3);

    let response = client
        .post("http://pool/orders")
        .body("o-2")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body.as_ref(), b"o-2");
}

#[tokio::test(start_paused = true)]
async fn request_on_the_first_base_is_sent_under_each_base_path() {
    let down = FaultServer::start([Fault::Status(503)]).await;
    let up = FaultServer::start([]).await;
    let pool = base_pool([("v1", down.base("/v1/")), ("v2", up.base("/v2"))]);
    let (client, _) = pooled_client(pool, &breakers(100), 3);

    let response = client
        .get(down.url("/v1/items?page=2"))
        .header("host", "ignored.test")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(down.seen()[0].path, "/v1/items");
    let seen = &up.seen()[0];
    assert_eq!(
        (seen.path.as_str(), seen.query.as_deref()),
        ("/v2/items", Some("page=2"))
    );
    let host = up.key().trim_start_matches("http://").to_owned();
    assert_eq!(seen.headers["host"], host.as_str());
}

#[tokio::test(start_paused = true)]
async fn retry_on_an_untried_base_waits_the_failover_delay_instead_of_the_backoff() {
    let down = FaultServer::start([Fault::Status(503)]).await;
    let up = FaultServer::start([]).await;
    let pool = base_pool([("down", down.base("")), ("up", up.base(""))]);
    let recorder = Arc::new(Recorder::default());
    let policy = pooled(pool, &breakers(100), 3, &recorder)
        .with_failover_delay(Duration::from_millis(10))
        .build();

    let started = Instant::now();
    let response = client(policy).get("http://pool/x").send().await.unwrap();

    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(10) && waited < BASE,
        "{waited:?}"
    );
    let records = recorder.attempts();
    assert_eq!(records[1].delay_before, Duration::from_millis(10));
}
