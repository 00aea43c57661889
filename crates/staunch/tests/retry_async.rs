//! The async executor on tokio's paused clock: no test waits for real.
#![cfg(feature = "tokio")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use staunch::retry::{Interceptor, RetryHook, RetryPolicy, StopReason, Verdict};
use tokio::time::Instant;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test(start_paused = true)]
async fn async_delays_are_one_two_seconds_by_default() {
    let start = Instant::now();
    let mut at = Vec::new();
    let err = RetryPolicy::default()
        .retry_async(|| {
            at.push(start.elapsed());
            async { Err::<(), _>("down") }
        })
        .await
        .unwrap_err();
    assert_eq!(at, [secs(0), secs(1), secs(3)]);
    assert_eq!(err.attempts(), 3);
}

/// A client whose methods borrow `self` and their arguments.
struct Client {
    fail_first: u32,
    calls: AtomicU32,
}

impl Client {
    async fn get(&self, path: &str) -> Result<String, String> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
        if n <= self.fail_first {
            Err(format!("{path}: 503"))
        } else {
            Ok(format!("{path}: ok after {n}"))
        }
    }
}

#[tokio::test(start_paused = true)]
async fn async_closure_borrowing_a_local_compiles_and_runs() {
    let client = Client {
        fail_first: 2,
        calls: AtomicU32::new(0),
    };
    let path = String::from("/orders");
    let mut log = Vec::new();
    let body = RetryPolicy::default()
        .call_async(|| client.get(&path))
        .on_retry(|attempt, _delay, e| log.push(format!("{attempt}: {e}")))
        .run()
        .await;
    assert_eq!(body.unwrap(), "/orders: ok after 3");
    assert_eq!(log, ["1: /orders: 503", "2: /orders: 503"]);
}

#[tokio::test(start_paused = true)]
async fn dropped_retry_future_stops_retrying() {
    let calls = AtomicU32::new(0);
    let policy = RetryPolicy::builder().with_max_attempts(10).build();
    let retrying = policy.retry_async(|| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>("down") }
    });
    // Attempts at 0 s and 1 s; the next would be at 3 s.
    let cut = tokio::time::timeout(Duration::from_millis(1500), retrying).await;
    assert!(cut.is_err());
    tokio::time::sleep(secs(600)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_future_drops_the_attempt_in_flight() {
    struct Flag<'a>(&'a AtomicU32);
    impl Drop for Flag<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = AtomicU32::new(0);
    let policy = RetryPolicy::default();
    let retrying = policy.retry_async(|| {
        let flag = Flag(&dropped);
        async move {
            tokio::time::sleep(secs(100)).await;
            drop(flag);
            Ok::<_, String>(())
        }
    });
    assert!(tokio::time::timeout(secs(1), retrying).await.is_err());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn timed_out_attempt_is_retried() {
    let policy = RetryPolicy::builder().with_attempt_timeout(secs(2)).build();
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    let out = policy
        .retry_async(|| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    tokio::time::sleep(secs(3600)).await; // hangs
                }
                Ok::<_, String>(n)
            }
        })
        .await;
    assert_eq!(out, Ok(1));
    // 2 s timeout, then the 1 s backoff.
    assert_eq!(start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn last_attempt_timing_out_leaves_no_last_error() {
    let policy = RetryPolicy::builder().with_attempt_timeout(secs(1)).build();
    let err = policy
        .retry_async(|| async {
            tokio::time::sleep(secs(60)).await;
            Err::<(), _>("never seen")
        })
        .await
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Exhausted);
    assert_eq!(err.attempts(), 3);
    assert!(err.last_error().is_none());
    assert!(err.timed_out());
}

#[tokio::test(start_paused = true)]
async fn timeouts_reach_the_retry_hook() {
    #[derive(Default)]
    struct Timeouts(Vec<(u32, Duration)>);
    impl RetryHook<(), String> for Timeouts {
        fn on_retry(&mut self, _: u32, _: Duration, _: &String) {}
        fn on_retry_timeout(&mut self, attempt: u32, _: Duration, limit: Duration) {
            self.0.push((attempt, limit));
        }
    }
    let policy = RetryPolicy::builder().with_attempt_timeout(secs(1)).build();
    let mut hook = Timeouts::default();
    let _ = policy
        .call_async(|| async {
            tokio::time::sleep(secs(60)).await;
            Ok::<(), String>(())
        })
        .hook(&mut hook)
        .run()
        .await;
    assert_eq!(hook.0, [(1, secs(1)), (2, secs(1))]);
}

#[tokio::test(start_paused = true)]
async fn deadline_cuts_a_slow_attempt() {
    let policy = RetryPolicy::builder().with_deadline(secs(5)).build();
    let start = Instant::now();
    let err = policy
        .retry_async(|| async {
            tokio::time::sleep(secs(60)).await;
            Ok::<(), String>(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Deadline);
    assert_eq!(start.elapsed(), secs(5));
}

#[tokio::test(start_paused = true)]
async fn deadline_stops_before_an_over_long_async_sleep() {
    let policy = RetryPolicy::builder()
        .with_max_attempts(10)
        .with_deadline(secs(6))
        .build();
    let start = Instant::now();
    let err = policy
        .retry_async(|| async { Err::<(), _>("down") })
        .await
        .unwrap_err();
    // Sleeps of 1 s and 2 s fit (ending at 3 s); 4 s would end at 7 s.
    assert_eq!(err.reason(), StopReason::Deadline);
    assert_eq!(err.attempts(), 3);
    assert_eq!(start.elapsed(), secs(3));
    assert_eq!(err.last_error(), Some(&"down"));
}

#[tokio::test(start_paused = true)]
async fn fatal_error_stops_the_async_call_at_once() {
    let start = Instant::now();
    let mut calls = 0;
    let err = RetryPolicy::default()
        .call_async(|| {
            calls += 1;
            async { Err::<(), _>(404) }
        })
        .when(|status| *status >= 500)
        .run()
        .await
        .unwrap_err();
    assert_eq!((calls, err.reason()), (1, StopReason::Fatal));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn retry_after_raises_the_async_delay_and_is_capped() {
    let policy = RetryPolicy::builder()
        .with_max_retry_after(secs(30))
        .build();
    let start = Instant::now();
    let mut at = Vec::new();
    let mut hints = [10u64, 600].into_iter();
    let _ = policy
        .call_async(|| {
            at.push(start.elapsed());
            let hint = hints.next().unwrap_or(0);
            async move { Err::<(), _>(hint) }
        })
        .classify(|r: &Result<(), u64>| match r {
            Err(hint) => Verdict::retry_after(Duration::from_secs(*hint)),
            Ok(()) => Verdict::Success,
        })
        .run()
        .await;
    // 10 s (hint above the 1 s backoff), then 30 s (600 s capped).
    assert_eq!(at, [secs(0), secs(10), secs(40)]);
}

/// A stand-in retry budget that allows one retry per call.
#[derive(Default)]
struct OneRetry {
    retries: u32,
}

impl Interceptor for OneRetry {
    fn before_retry(&mut self, _: u32, _: Duration) -> Result<(), StopReason> {
        self.retries += 1;
        if self.retries > 1 {
            Err(StopReason::BudgetExhausted)
        } else {
            Ok(())
        }
    }
}

#[tokio::test(start_paused = true)]
async fn interceptor_refusing_a_retry_ends_the_async_call() {
    let policy = RetryPolicy::builder().with_max_attempts(5).build();
    let err = policy
        .call_async_with(OneRetry::default(), |budget| {
            let seen = budget.retries;
            async move { Err::<(), _>(format!("after {seen} retries")) }
        })
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::BudgetExhausted);
    assert_eq!(err.attempts(), 2);
    assert_eq!(
        err.last_error().map(String::as_str),
        Some("after 1 retries")
    );
}

#[test]
fn retry_future_is_send_when_its_parts_are() {
    fn assert_send<T: Send>(_: &T) {}
    let policy = RetryPolicy::default();
    let fut = policy.retry_async(|| async { Ok::<_, String>(1) });
    assert_send(&fut);
}
