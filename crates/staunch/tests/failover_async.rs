//! The async failover executor, on tokio's paused clock.
#![cfg(feature = "tokio")]

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Failover, Pool, RoundRobin};
use staunch::retry::{RetryPolicy, StopReason};
use tokio::time::Instant;

/// Endpoints named `ids`, address = the latency in ms they answer after.
fn failover(
    endpoints: &[(&str, u64)],
    trip: u32,
) -> (Failover<u64>, BreakerRegistry<String>, ManualClock) {
    let clock = ManualClock::new();
    let pool = Pool::builder()
        .with_endpoints(endpoints.iter().map(|(id, ms)| Endpoint::new(*id, *ms)))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(trip);
    let registry = BreakerRegistry::with_clock(config, Arc::new(clock.clone())).unwrap();
    let failover = Failover::builder(pool, registry.clone())
        .with_strategy(RoundRobin::new())
        .build()
        .unwrap();
    (failover, registry, clock)
}

#[tokio::test(start_paused = true)]
async fn async_failover_goes_to_the_next_endpoint_without_waiting() {
    let (failover, _, _) = failover(&[("a", 10), ("b", 10)], 100);
    let started = Instant::now();
    let result = failover
        .call_async(&RetryPolicy::default(), |target| async move {
            tokio::time::sleep(Duration::from_millis(*target.address())).await;
            if target.id() == "a" {
                Err("503")
            } else {
                Ok(target.id().to_owned())
            }
        })
        .run()
        .await;
    assert_eq!(result.unwrap(), "b");
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(20),
        "two attempts, no backoff"
    );
}

#[tokio::test(start_paused = true)]
async fn async_reuse_of_the_only_endpoint_waits_the_backoff() {
    let (failover, _, _) = failover(&[("a", 0)], 100);
    let started = Instant::now();
    let err = failover
        .call_async(&RetryPolicy::default(), |_| async { Err::<(), _>("503") })
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Exhausted);
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn async_all_open_returns_at_once_without_time_passing() {
    let (failover, registry, _) = failover(&[("a", 0), ("b", 0)], 1);
    registry.isolate("a");
    let _ = registry.get("b").call(|| Err::<(), _>("down"));
    let started = Instant::now();
    let err = failover
        .call_async(&RetryPolicy::default(), |_| async { Ok::<_, String>(()) })
        .run()
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(err.attempts(), 0);
    assert_eq!(
        err.reason(),
        StopReason::AllUnavailable {
            next_probe_in: Some(Duration::from_secs(30))
        }
    );
}

#[tokio::test(start_paused = true)]
async fn timed_out_attempt_is_a_failure_of_its_endpoint() {
    let (failover, registry, _) = failover(&[("slow", 5_000), ("fast", 10)], 1);
    let policy = RetryPolicy::builder()
        .with_attempt_timeout(Duration::from_millis(100))
        .build();
    let result = failover
        .call_async(&policy, |target| async move {
            tokio::time::sleep(Duration::from_millis(*target.address())).await;
            Ok::<_, String>(target.id().to_owned())
        })
        .run()
        .await;
    assert_eq!(result.unwrap(), "fast");
    let slow = failover.pool().get("slow").unwrap();
    assert_eq!(slow.stats().total_failures(), 1);
    assert_eq!(
        slow.stats().last_error().unwrap().message,
        "the attempt timed out"
    );
    assert_eq!(registry.get("slow").state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn async_error_text_becomes_the_endpoint_last_error() {
    let (failover, _, _) = failover(&[("a", 0), ("b", 0)], 100);
    let result = failover
        .call_async(&RetryPolicy::default(), |target| async move {
            if target.id() == "a" {
                Err("connection reset".to_owned())
            } else {
                Ok(())
            }
        })
        .run()
        .await;
    assert!(result.is_ok());
    let a = failover.pool().get("a").unwrap();
    assert_eq!(a.stats().last_error().unwrap().message, "connection reset");
}

#[tokio::test(start_paused = true)]
async fn cancelled_call_releases_the_in_flight_count_and_the_probe_slot() {
    let (failover, registry, clock) = failover(&[("a", 0)], 1);
    let _ = registry.get("a").call(|| Err::<(), _>("down"));
    clock.advance(Duration::from_secs(30));
    let policy = RetryPolicy::default();
    let call = failover
        .call_async(&policy, |_| std::future::pending::<Result<(), String>>())
        .run();
    let cancelled = tokio::time::timeout(Duration::from_secs(1), call).await;
    assert!(cancelled.is_err(), "the call was still running");
    let entry = failover.pool().get("a").unwrap();
    assert_eq!(entry.stats().in_flight(), 0);
    assert_eq!(registry.get("a").state(), CircuitState::HalfOpen);
    assert_eq!(
        entry.stats().total_failures() + entry.stats().total_successes(),
        0
    );
    let probe = failover
        .call_async(&RetryPolicy::no_retry(), |_| async { Ok::<_, String>(7) })
        .run()
        .await;
    assert_eq!(probe.unwrap(), 7, "the probe slot was freed");
    assert_eq!(registry.get("a").state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn async_call_future_is_send_for_spawning() {
    let (failover, _, _) = failover(&[("a", 0)], 100);
    let task = tokio::spawn(async move {
        let policy = RetryPolicy::default();
        failover
            .call_async(&policy, |target| async move {
                Ok::<_, String>(target.id().to_owned())
            })
            .run()
            .await
    });
    assert_eq!(task.await.unwrap().unwrap(), "a");
}
