//! The sans-IO retry core: every decision of the retry loop, and nothing
//! else. It never sleeps, never reads a clock by itself and never runs the
//! operation; executors (blocking, async, or any later one) drive it.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};

use super::{AttemptRecord, Interceptor, RetryPolicy, StopReason, Verdict};
use crate::backoff::BackoffState;

/// What an executor does after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Step {
    /// Return the outcome: the classifier called it a success.
    Done,
    /// Sleep `delay`, then start the next attempt.
    Retry {
        /// How long to sleep first.
        delay: Duration,
    },
    /// Stop and return the outcome (an error becomes a
    /// [`RetryError`](super::RetryError) with this reason).
    Stop(StopReason),
}

/// The state of one call under a [`RetryPolicy`]: attempt count, deadline,
/// backoff state and random numbers, plus an [`Interceptor`].
///
/// An executor runs this loop, and all the policy lives in the two calls:
///
/// ```
/// use staunch::retry::{RetryPolicy, RetryRun, Step, Verdict};
/// use std::time::{Duration, Instant};
///
/// let policy = RetryPolicy::default();
/// let mut run = RetryRun::new(&policy, (), Instant::now);
/// let mut delays = Vec::new();
/// loop {
///     let _time_limit = run.begin_attempt(Instant::now).unwrap();
///     let verdict = Verdict::RETRY; // run the operation and classify it here
///     match run.end_attempt(verdict, Instant::now) {
///         Step::Done => break,
///         Step::Retry { delay } => delays.push(delay), // sleep here
///         Step::Stop(reason) => { println!("gave up: {reason}"); break }
///     }
/// }
/// assert_eq!(delays, [Duration::from_secs(1), Duration::from_secs(2)]);
/// assert_eq!(run.attempts(), 3);
/// ```
///
/// `now` arguments are only called when the policy has a deadline, so a call
/// without one never reads the clock. Random numbers are only drawn (and the
/// generator only created) when the backoff is random and a retry happens.
#[derive(Debug)]
pub struct RetryRun<'p, I = ()> {
    policy: &'p RetryPolicy,
    interceptor: I,
    attempts: u32,
    deadline: Option<Instant>,
    backoff: BackoffState,
    rng: Option<SmallRng>,
}

impl<'p, I> RetryRun<'p, I> {
    /// The policy.
    pub fn policy(&self) -> &'p RetryPolicy {
        self.policy
    }

    /// Attempts started so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When the call must be over, if the policy has a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The interceptor.
    pub fn interceptor(&self) -> &I {
        &self.interceptor
    }

    /// The interceptor, mutably (executors hand it to the operation).
    pub fn interceptor_mut(&mut self) -> &mut I {
        &mut self.interceptor
    }

    /// Gives the interceptor back.
    pub fn into_interceptor(self) -> I {
        self.interceptor
    }
}

impl<'p, I: Interceptor> RetryRun<'p, I> {
    /// Starts a call. `now` is read only if the policy has a deadline.
    #[inline]
    pub fn new(policy: &'p RetryPolicy, interceptor: I, now: impl FnOnce() -> Instant) -> Self {
        let deadline = match policy.deadline {
            // A deadline too far to represent is no deadline.
            Some(total) => now().checked_add(total),
            None => None,
        };
        Self {
            policy,
            interceptor,
            attempts: 0,
            deadline,
            backoff: BackoffState::default(),
            rng: None,
        }
    }

    /// Starts the next attempt. Returns the time limit of this attempt (the
    /// policy's attempt timeout, shortened to the time left before the
    /// deadline), or why the attempt must not start: the deadline has passed,
    /// or the interceptor refused it.
    #[inline]
    pub fn begin_attempt(
        &mut self,
        now: impl FnOnce() -> Instant,
    ) -> Result<Option<Duration>, StopReason> {
        let attempt = self.attempts.saturating_add(1);
        let left = match self.deadline {
            // The first attempt starts when the deadline was set.
            Some(_) if attempt == 1 => self.policy.deadline,
            Some(deadline) => match deadline.checked_duration_since(now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Err(self.stop(StopReason::Deadline)),
            },
            None => None,
        };
        if let Err(reason) = self.interceptor.before_attempt(attempt) {
            return Err(self.stop(reason));
        }
        self.attempts = attempt;
        Ok(match (self.policy.attempt_timeout, left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Ends the current attempt with the classifier's verdict and says what
    /// to do next.
    #[inline]
    pub fn end_attempt(&mut self, verdict: Verdict, now: impl FnOnce() -> Instant) -> Step {
        self.interceptor.after_attempt(&AttemptRecord {
            attempt: self.attempts,
            verdict,
            timed_out: false,
        });
        // The success path stays inline and small; the rest is out of line.
        if verdict == Verdict::Success {
            self.interceptor.finished(self.attempts, None);
            return Step::Done;
        }
        self.decide(verdict, now)
    }

    /// Ends the current attempt because its time limit ran out. The attempt
    /// counts as retryable, unless the deadline is what ran out.
    pub fn end_timed_out_attempt(&mut self, now: impl FnOnce() -> Instant) -> Step {
        self.interceptor.after_attempt(&AttemptRecord {
            attempt: self.attempts,
            verdict: Verdict::RETRY,
            timed_out: true,
        });
        let Some(deadline) = self.deadline else {
            return self.decide(Verdict::RETRY, now);
        };
        let now = now();
        if now >= deadline {
            return Step::Stop(self.stop(StopReason::Deadline));
        }
        self.decide(Verdict::RETRY, || now)
    }

    #[inline(never)]
    fn decide(&mut self, verdict: Verdict, now: impl FnOnce() -> Instant) -> Step {
        let mut hint = match verdict {
            Verdict::Success => {
                self.interceptor.finished(self.attempts, None);
                return Step::Done;
            }
            Verdict::Fatal => return Step::Stop(self.stop(StopReason::Fatal)),
            Verdict::Retry { after } => after,
        };
        if self.attempts >= self.policy.max_attempts {
            return Step::Stop(self.stop(StopReason::Exhausted));
        }
        let backoff = self.next_backoff();
        let mut delay = match hint {
            // DESIGN: max(hint, backoff), capped by `max_retry_after`.
            Some(hint) => backoff.max(hint).min(self.policy.max_retry_after),
            None => backoff,
        };
        // A failover may replace the delay (and with it the hint, which was
        // about the endpoint that just failed), or end the call at once.
        match self.interceptor.adjust_delay(self.attempts, delay) {
            Ok(None) => {}
            Ok(Some(replaced)) => {
                delay = replaced;
                hint = None;
            }
            Err(reason) => return Step::Stop(self.stop(reason)),
        }
        if let Some(deadline) = self.deadline {
            // A hint past the deadline fails fast even when it is capped: the
            // other side said it will not be ready in time.
            let wait = hint.map_or(delay, |hint| hint.max(delay));
            match now().checked_add(wait) {
                Some(wake) if wake < deadline => {}
                _ => return Step::Stop(self.stop(StopReason::Deadline)),
            }
        }
        if let Err(reason) = self.interceptor.before_retry(self.attempts, delay) {
            return Step::Stop(self.stop(reason));
        }
        Step::Retry { delay }
    }

    fn next_backoff(&mut self) -> Duration {
        let mut rng = LazyRng {
            slot: &mut self.rng,
            seed: self.policy.rng_seed,
        };
        self.policy
            .backoff
            .delay(self.attempts, &mut self.backoff, &mut rng)
    }

    fn stop(&mut self, reason: StopReason) -> StopReason {
        self.interceptor.finished(self.attempts, Some(reason));
        reason
    }
}

/// A random number generator created on its first draw, so calls whose
/// backoff has no randomness never seed one.
struct LazyRng<'a> {
    slot: &'a mut Option<SmallRng>,
    seed: Option<u64>,
}

impl LazyRng<'_> {
    fn get(&mut self) -> &mut SmallRng {
        let seed = self.seed;
        self.slot.get_or_insert_with(|| match seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_rng(&mut rand::rng()),
        })
    }
}

impl RngCore for LazyRng<'_> {
    fn next_u32(&mut self) -> u32 {
        self.get().next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.get().next_u64()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.get().fill_bytes(dst);
    }
}

#[cfg(test)]
mod tests;
