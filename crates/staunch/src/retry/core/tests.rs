use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::backoff::Jitter;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Runs `verdicts` through a fresh run at a frozen `now`, returning the steps.
fn steps(policy: &RetryPolicy, verdicts: &[Verdict]) -> Vec<Step> {
    let now = Instant::now();
    let mut run = RetryRun::new(policy, (), || now);
    let mut out = Vec::new();
    for v in verdicts {
        if let Err(reason) = run.begin_attempt(|| now) {
            out.push(Step::Stop(reason));
            break;
        }
        let step = run.end_attempt(*v, || now);
        out.push(step);
        if !matches!(step, Step::Retry { .. }) {
            break;
        }
    }
    out
}

#[test]
fn default_delays_are_one_two_then_exhausted() {
    let got = steps(&RetryPolicy::default(), &[Verdict::RETRY; 5]);
    assert_eq!(
        got,
        [
            Step::Retry { delay: secs(1) },
            Step::Retry { delay: secs(2) },
            Step::Stop(StopReason::Exhausted)
        ]
    );
}

#[test]
fn four_attempts_give_delays_one_two_four() {
    let policy = RetryPolicy::builder().with_max_attempts(4).build();
    let delays: Vec<_> = steps(&policy, &[Verdict::RETRY; 4])
        .into_iter()
        .filter_map(|s| match s {
            Step::Retry { delay } => Some(delay),
            _ => None,
        })
        .collect();
    assert_eq!(delays, [secs(1), secs(2), secs(4)]);
}

#[test]
fn max_attempts_counts_the_first_attempt() {
    let policy = RetryPolicy::builder().with_max_attempts(1).build();
    assert_eq!(
        steps(&policy, &[Verdict::RETRY]),
        [Step::Stop(StopReason::Exhausted)]
    );
}

#[test]
fn fatal_stops_at_once() {
    let got = steps(&RetryPolicy::default(), &[Verdict::Fatal, Verdict::RETRY]);
    assert_eq!(got, [Step::Stop(StopReason::Fatal)]);
}

#[test]
fn retry_after_hint_raises_the_delay() {
    let hint = Verdict::retry_after(secs(10));
    assert_eq!(
        steps(&RetryPolicy::default(), &[hint]),
        [Step::Retry { delay: secs(10) }]
    );
}

#[test]
fn retry_after_hint_never_shortens_the_backoff() {
    let hint = Verdict::retry_after(Duration::from_millis(10));
    assert_eq!(
        steps(&RetryPolicy::default(), &[hint]),
        [Step::Retry { delay: secs(1) }]
    );
}

#[test]
fn retry_after_hint_is_capped_by_max_retry_after() {
    let hint = Verdict::retry_after(secs(3600));
    assert_eq!(
        steps(&RetryPolicy::default(), &[hint]),
        [Step::Retry { delay: secs(60) }]
    );
}

#[test]
fn hinted_delay_is_capped_even_when_the_backoff_alone_is_longer() {
    let policy = RetryPolicy::builder()
        .with_base_delay(secs(120))
        .with_max_delay(secs(300))
        .with_max_retry_after(secs(60))
        .build();
    let got = steps(&policy, &[Verdict::retry_after(secs(5))]);
    assert_eq!(got, [Step::Retry { delay: secs(60) }]);
}

#[test]
fn deadline_stops_before_a_sleep_that_would_end_past_it() {
    let policy = RetryPolicy::builder()
        .with_max_attempts(10)
        .with_deadline(secs(5))
        .build();
    let start = Instant::now();
    let mut run = RetryRun::new(&policy, (), || start);
    let mut now = start;
    let mut got = Vec::new();
    loop {
        run.begin_attempt(|| now).unwrap();
        match run.end_attempt(Verdict::RETRY, || now) {
            Step::Retry { delay } => {
                got.push(delay);
                now += delay;
            }
            step => {
                assert_eq!(step, Step::Stop(StopReason::Deadline));
                break;
            }
        }
    }
    // 1 s (ends at 1 s), 2 s (ends at 3 s); 4 s would end at 7 s > 5 s.
    assert_eq!(got, [secs(1), secs(2)]);
    assert_eq!(now - start, secs(3), "the over-long sleep was not started");
}

#[test]
fn hint_past_the_deadline_fails_fast_even_when_capped() {
    let policy = RetryPolicy::builder()
        .with_deadline(secs(30))
        .with_max_retry_after(secs(10))
        .build();
    let got = steps(&policy, &[Verdict::retry_after(secs(45))]);
    assert_eq!(got, [Step::Stop(StopReason::Deadline)]);
}

#[test]
fn attempt_limit_is_the_shorter_of_timeout_and_time_left() {
    let policy = RetryPolicy::builder()
        .with_deadline(secs(10))
        .with_attempt_timeout(secs(4))
        .build();
    let start = Instant::now();
    let mut run = RetryRun::new(&policy, (), || start);
    assert_eq!(run.begin_attempt(|| start), Ok(Some(secs(4))));
    let later = start + secs(8);
    assert_eq!(
        run.end_attempt(Verdict::RETRY, || start + secs(7)),
        Step::Retry { delay: secs(1) }
    );
    assert_eq!(run.begin_attempt(|| later), Ok(Some(secs(2))));
}

#[test]
fn no_deadline_means_the_clock_is_never_read() {
    let policy = RetryPolicy::default();
    let mut run = RetryRun::new(&policy, (), || panic!("clock read"));
    run.begin_attempt(|| panic!("clock read")).unwrap();
    assert_eq!(
        run.end_attempt(Verdict::RETRY, || panic!("clock read")),
        Step::Retry { delay: secs(1) }
    );
}

#[test]
fn timed_out_attempt_is_retryable() {
    let policy = RetryPolicy::builder().with_attempt_timeout(secs(1)).build();
    let mut run = RetryRun::new(&policy, (), Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    assert_eq!(
        run.end_timed_out_attempt(Instant::now),
        Step::Retry { delay: secs(1) }
    );
}

#[test]
fn attempt_cut_by_the_deadline_stops_with_deadline() {
    let policy = RetryPolicy::builder().with_deadline(secs(2)).build();
    let start = Instant::now();
    let mut run = RetryRun::new(&policy, (), || start);
    run.begin_attempt(|| start).unwrap();
    assert_eq!(
        run.end_timed_out_attempt(|| start + secs(2)),
        Step::Stop(StopReason::Deadline)
    );
}

#[test]
fn seeded_policy_draws_the_same_jitter_every_call() {
    let policy = RetryPolicy::builder()
        .with_jitter(Jitter::Full)
        .with_rng_seed(9)
        .with_max_attempts(5)
        .build();
    let a = steps(&policy, &[Verdict::RETRY; 5]);
    assert_eq!(a, steps(&policy, &[Verdict::RETRY; 5]));
    assert!(a
        .iter()
        .any(|s| matches!(s, Step::Retry { delay } if delay.subsec_nanos() != 0)));
}

/// Records every interceptor call and refuses what it is told to.
#[derive(Default)]
struct Recorder {
    log: Vec<String>,
    refuse_attempt: Option<u32>,
    refuse_retry: bool,
}

impl Interceptor for Recorder {
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        self.log.push(format!("before {attempt}"));
        if self.refuse_attempt == Some(attempt) {
            return Err(StopReason::Rejected);
        }
        Ok(())
    }

    fn after_attempt(&mut self, record: &AttemptRecord) {
        self.log
            .push(format!("after {} {:?}", record.attempt, record.verdict));
    }

    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        self.log.push(format!("retry {attempt} {delay:?}"));
        if self.refuse_retry {
            return Err(StopReason::BudgetExhausted);
        }
        Ok(())
    }

    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        self.log.push(format!("finished {attempts} {stop:?}"));
    }
}

#[test]
fn interceptor_sees_every_step_in_order() {
    let policy = RetryPolicy::default();
    let mut run = RetryRun::new(&policy, Recorder::default(), Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    let _ = run.end_attempt(Verdict::RETRY, Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    let _ = run.end_attempt(Verdict::Success, Instant::now);
    assert_eq!(
        run.into_interceptor().log,
        [
            "before 1",
            "after 1 Retry { after: None }",
            "retry 1 1s",
            "before 2",
            "after 2 Success",
            "finished 2 None"
        ]
    );
}

#[test]
fn interceptor_refusing_a_retry_stops_with_its_reason() {
    let policy = RetryPolicy::default();
    let recorder = Recorder {
        refuse_retry: true,
        ..Recorder::default()
    };
    let mut run = RetryRun::new(&policy, recorder, Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    assert_eq!(
        run.end_attempt(Verdict::RETRY, Instant::now),
        Step::Stop(StopReason::BudgetExhausted)
    );
    assert_eq!(
        run.interceptor().log.last().unwrap(),
        "finished 1 Some(BudgetExhausted)"
    );
}

#[test]
fn interceptor_refusing_an_attempt_does_not_count_it() {
    let policy = RetryPolicy::default();
    let recorder = Recorder {
        refuse_attempt: Some(2),
        ..Recorder::default()
    };
    let mut run = RetryRun::new(&policy, recorder, Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    let _ = run.end_attempt(Verdict::RETRY, Instant::now);
    assert_eq!(run.begin_attempt(Instant::now), Err(StopReason::Rejected));
    assert_eq!(run.attempts(), 1);
}

fn any_verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Success),
        Just(Verdict::Fatal),
        Just(Verdict::RETRY),
        (0u64..200).prop_map(|s| Verdict::retry_after(secs(s))),
    ]
}

proptest! {
    /// The core against a reference model of the rules: attempts counted from
    /// the first, success and fatal end at once, retries stop at
    /// max_attempts, delay = max(backoff, hint) capped by max_retry_after when
    /// a hint was given.
    #[test]
    fn core_matches_the_reference_model(
        max_attempts in 1u32..8,
        verdicts in proptest::collection::vec(any_verdict(), 1..12),
    ) {
        let policy = RetryPolicy::builder().with_max_attempts(max_attempts).build();
        let got = steps(&policy, &verdicts);

        let mut want = Vec::new();
        for (i, v) in verdicts.iter().enumerate() {
            let attempt = u32::try_from(i + 1).unwrap();
            let step = match *v {
                Verdict::Success => Step::Done,
                Verdict::Fatal => Step::Stop(StopReason::Fatal),
                Verdict::Retry { .. } if attempt >= max_attempts => Step::Stop(StopReason::Exhausted),
                Verdict::Retry { after } => {
                    let backoff = secs(1 << (attempt - 1)).min(secs(30));
                    let delay = match after {
                        Some(hint) => backoff.max(hint).min(secs(60)),
                        None => backoff,
                    };
                    Step::Retry { delay }
                }
            };
            want.push(step);
            if !matches!(step, Step::Retry { .. }) {
                break;
            }
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn no_sleep_ever_ends_past_the_deadline(
        deadline_s in 1u64..120,
        verdicts in proptest::collection::vec(any_verdict(), 1..12),
        work_s in proptest::collection::vec(0u64..5, 12),
    ) {
        let policy = RetryPolicy::builder()
            .with_max_attempts(20)
            .with_deadline(secs(deadline_s))
            .build();
        let start = Instant::now();
        let deadline = start + secs(deadline_s);
        let mut run = RetryRun::new(&policy, (), || start);
        let mut now = start;
        for (v, work) in verdicts.iter().zip(&work_s) {
            if run.begin_attempt(|| now).is_err() {
                break;
            }
            now += secs(*work);
            match run.end_attempt(*v, || now) {
                Step::Retry { delay } => {
                    now += delay;
                    prop_assert!(now < deadline);
                }
                _ => break,
            }
        }
    }
}
