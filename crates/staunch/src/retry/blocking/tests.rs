use std::io;
use std::time::{Instant, SystemTime};

use super::*;
use crate::retry::{StopReason, Verdict};

/// A clock that fails the test if read.
#[derive(Debug)]
struct UnreadClock;

impl Clock for UnreadClock {
    fn now(&self) -> Instant {
        panic!("the clock was read")
    }

    fn system_now(&self) -> SystemTime {
        panic!("the clock was read")
    }
}

#[test]
fn first_attempt_success_never_sleeps_or_reads_the_clock() {
    let out = RetryPolicy::default()
        .call(|| Ok::<_, &str>(7))
        .sleeper(|_: Duration| panic!("slept"))
        .clock(UnreadClock)
        .run();
    assert_eq!(out, Ok(7));
}

#[test]
fn retries_without_deadline_never_read_the_clock() {
    let mut slept = Vec::new();
    let out = RetryPolicy::default()
        .call(|| Err::<(), _>("down"))
        .sleeper(|d: Duration| slept.push(d))
        .clock(UnreadClock)
        .run();
    assert_eq!(out.unwrap_err().attempts(), 3);
    assert_eq!(slept.len(), 2);
}

#[test]
fn ok_classified_retryable_is_returned_when_retries_stop() {
    let mut calls = 0;
    let out = RetryPolicy::default()
        .call(|| {
            calls += 1;
            Ok::<u16, &str>(503)
        })
        .classify(|r: &Result<u16, &str>| match r {
            Ok(503) => Verdict::RETRY,
            _ => Verdict::Success,
        })
        .sleeper(|_: Duration| {})
        .run();
    assert_eq!(out, Ok(503));
    assert_eq!(calls, 3);
}

#[test]
fn error_classified_success_is_returned_at_once_as_fatal() {
    let err = RetryPolicy::default()
        .call(|| Err::<(), _>("404 on delete"))
        .classify(|_: &Result<(), &str>| Verdict::Success)
        .sleeper(|_: Duration| panic!("slept"))
        .run()
        .unwrap_err();
    assert_eq!((err.attempts(), err.reason()), (1, StopReason::Fatal));
}

#[test]
fn when_predicate_makes_other_errors_fatal() {
    let mut calls = 0;
    let err = RetryPolicy::default()
        .call(|| {
            calls += 1;
            Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied))
        })
        .when(|e| e.kind() == io::ErrorKind::TimedOut)
        .sleeper(|_: Duration| {})
        .run()
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Fatal);
    assert_eq!(calls, 1);
}

#[test]
fn on_retry_hook_gets_attempt_delay_and_error() {
    let mut seen = Vec::new();
    let _ = RetryPolicy::default()
        .call(|| Err::<(), _>("boom"))
        .on_retry(|attempt, delay, e| seen.push((attempt, delay, *e)))
        .sleeper(|_: Duration| {})
        .run();
    assert_eq!(
        seen,
        [
            (1, Duration::from_secs(1), "boom"),
            (2, Duration::from_secs(2), "boom")
        ]
    );
}

#[test]
fn retry_hook_hears_of_retried_values() {
    struct Values(Vec<u16>);
    impl RetryHook<u16, &'static str> for Values {
        fn on_retry(&mut self, _: u32, _: Duration, _: &&'static str) {}
        fn on_retry_value(&mut self, _: u32, _: Duration, value: &u16) {
            self.0.push(*value);
        }
    }
    let mut hook = Values(Vec::new());
    let _ = RetryPolicy::default()
        .call(|| Ok::<u16, &'static str>(429))
        .classify(|_: &Result<u16, &'static str>| Verdict::RETRY)
        .hook(&mut hook)
        .sleeper(|_: Duration| {})
        .run();
    assert_eq!(hook.0, [429, 429]);
}

#[test]
fn interceptor_is_handed_to_the_operation() {
    #[derive(Default)]
    struct Picker {
        endpoint: u32,
    }
    impl Interceptor for Picker {
        fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
            self.endpoint = attempt * 10;
            Ok(())
        }
    }
    let mut used = Vec::new();
    let _ = RetryPolicy::default()
        .call_with(Picker::default(), |picker| {
            used.push(picker.endpoint);
            Err::<(), _>("refused")
        })
        .sleeper(|_: Duration| {})
        .run();
    assert_eq!(used, [10, 20, 30]);
}

#[test]
fn interceptor_refusal_keeps_the_previous_error() {
    struct OpenAfterOne;
    impl Interceptor for OpenAfterOne {
        fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
            if attempt > 1 {
                Err(StopReason::Rejected)
            } else {
                Ok(())
            }
        }
    }
    let err = RetryPolicy::default()
        .call_with(OpenAfterOne, |_| Err::<(), _>("reset"))
        .sleeper(|_: Duration| {})
        .run()
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Rejected);
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.last_error(), Some(&"reset"));
}
