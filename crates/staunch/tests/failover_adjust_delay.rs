//! The retry core's `Interceptor::adjust_delay` hook, which failover uses to
//! replace the backoff of a retry that goes elsewhere.

use std::time::Duration;

use staunch::clock::{Clock, ManualClock};
use staunch::retry::{Interceptor, RetryPolicy, RetryRun, Step, StopReason, Verdict};

/// Replaces every delay with `with`, and counts `before_retry` calls.
#[derive(Default)]
struct Replace {
    with: Option<Duration>,
    stop: Option<StopReason>,
    seen: Vec<Duration>,
    before_retry: Vec<Duration>,
}

impl Interceptor for Replace {
    fn adjust_delay(&mut self, _: u32, delay: Duration) -> Result<Option<Duration>, StopReason> {
        self.seen.push(delay);
        match self.stop {
            Some(reason) => Err(reason),
            None => Ok(self.with),
        }
    }

    fn before_retry(&mut self, _: u32, delay: Duration) -> Result<(), StopReason> {
        self.before_retry.push(delay);
        Ok(())
    }
}

fn one_retry(policy: &RetryPolicy, interceptor: Replace, verdict: Verdict) -> (Step, Replace) {
    let start = ManualClock::new().now();
    let mut run = RetryRun::new(policy, interceptor, || start);
    run.begin_attempt(|| start).unwrap();
    let step = run.end_attempt(verdict, || start);
    (step, run.into_interceptor())
}

#[test]
fn no_adjustment_keeps_the_backoff() {
    let (step, seen) = one_retry(&RetryPolicy::default(), Replace::default(), Verdict::RETRY);
    assert_eq!(
        step,
        Step::Retry {
            delay: Duration::from_secs(1)
        }
    );
    assert_eq!(seen.seen, [Duration::from_secs(1)]);
}

#[test]
fn replacement_is_slept_and_given_to_before_retry() {
    let interceptor = Replace {
        with: Some(Duration::ZERO),
        ..Replace::default()
    };
    let (step, seen) = one_retry(&RetryPolicy::default(), interceptor, Verdict::RETRY);
    assert_eq!(
        step,
        Step::Retry {
            delay: Duration::ZERO
        }
    );
    assert_eq!(seen.before_retry, [Duration::ZERO]);
}

#[test]
fn adjust_error_stops_at_once_without_before_retry() {
    let reason = StopReason::AllUnavailable {
        next_probe_in: Some(Duration::from_secs(3)),
    };
    let interceptor = Replace {
        stop: Some(reason),
        ..Replace::default()
    };
    let (step, seen) = one_retry(&RetryPolicy::default(), interceptor, Verdict::RETRY);
    assert_eq!(step, Step::Stop(reason));
    assert!(seen.before_retry.is_empty());
}

#[test]
fn adjustment_sees_the_hinted_delay() {
    let hint = Verdict::retry_after(Duration::from_secs(5));
    let (_, seen) = one_retry(&RetryPolicy::default(), Replace::default(), hint);
    assert_eq!(seen.seen, [Duration::from_secs(5)]);
}

#[test]
fn replacement_drops_a_hint_past_the_deadline() {
    // Without the replacement, a 60 s hint past the 10 s deadline fails fast;
    // a retry sent elsewhere at once is within the deadline.
    let policy = RetryPolicy::builder()
        .with_deadline(Duration::from_secs(10))
        .build();
    let hint = Verdict::retry_after(Duration::from_secs(60));
    let (kept, _) = one_retry(&policy, Replace::default(), hint);
    assert_eq!(kept, Step::Stop(StopReason::Deadline));
    let replace = Replace {
        with: Some(Duration::ZERO),
        ..Replace::default()
    };
    let (replaced, _) = one_retry(&policy, replace, hint);
    assert_eq!(
        replaced,
        Step::Retry {
            delay: Duration::ZERO
        }
    );
}

#[test]
fn replacement_longer_than_the_deadline_still_stops_for_the_deadline() {
    let policy = RetryPolicy::builder()
        .with_deadline(Duration::from_secs(10))
        .build();
    let replace = Replace {
        with: Some(Duration::from_secs(20)),
        ..Replace::default()
    };
    let (step, _) = one_retry(&policy, replace, Verdict::RETRY);
    assert_eq!(step, Step::Stop(StopReason::Deadline));
}

#[test]
fn pair_chains_adjustments_and_the_last_replacement_wins() {
    let first = Replace {
        with: Some(Duration::from_millis(500)),
        ..Replace::default()
    };
    let second = Replace::default();
    let start = ManualClock::new().now();
    let policy = RetryPolicy::default();
    let mut run = RetryRun::new(&policy, (first, second), || start);
    run.begin_attempt(|| start).unwrap();
    let step = run.end_attempt(Verdict::RETRY, || start);
    assert_eq!(
        step,
        Step::Retry {
            delay: Duration::from_millis(500)
        }
    );
    let (first, second) = run.into_interceptor();
    assert_eq!(first.seen, [Duration::from_secs(1)]);
    assert_eq!(
        second.seen,
        [Duration::from_millis(500)],
        "B sees A's replacement"
    );

    let third = Replace {
        with: Some(Duration::from_millis(5)),
        ..Replace::default()
    };
    let mut run = RetryRun::new(&policy, (Replace::default(), third), || start);
    run.begin_attempt(|| start).unwrap();
    assert_eq!(
        run.end_attempt(Verdict::RETRY, || start),
        Step::Retry {
            delay: Duration::from_millis(5)
        }
    );
}

#[test]
fn blocking_executor_sleeps_the_replacement() {
    let clock = ManualClock::new();
    let mut slept = Vec::new();
    let mut tries = 0;
    let result = RetryPolicy::default()
        .call_with(
            Replace {
                with: Some(Duration::from_millis(7)),
                ..Replace::default()
            },
            |_| {
                tries += 1;
                if tries < 3 {
                    Err("busy")
                } else {
                    Ok(tries)
                }
            },
        )
        .sleeper(|d: Duration| {
            slept.push(d);
            clock.advance(d);
        })
        .run();
    assert_eq!(result, Ok(3));
    assert_eq!(slept, [Duration::from_millis(7); 2]);
}
