//! The retry policy and its builder.

use std::time::Duration;

use crate::backoff::{Backoff, Jitter, Schedule};

/// How a call is retried: how many attempts, how long between them, and how
/// long in all.
///
/// | setting | default |
/// |---|---|
/// | [`max_attempts`](RetryPolicyBuilder::with_max_attempts) (the first included) | 3 |
/// | [`schedule`](RetryPolicyBuilder::with_schedule) | exponential from 1 s, × 2 (1 s, 2 s, 4 s…) |
/// | [`max_delay`](RetryPolicyBuilder::with_max_delay) (cap, after jitter) | 30 s |
/// | [`jitter`](RetryPolicyBuilder::with_jitter) | none |
/// | [`deadline`](RetryPolicyBuilder::with_deadline) (over all attempts and sleeps) | none |
/// | [`max_retry_after`](RetryPolicyBuilder::with_max_retry_after) (cap on server hints) | 60 s |
/// | [`attempt_timeout`](RetryPolicyBuilder::with_attempt_timeout) (async only) | none |
/// | [`rng_seed`](RetryPolicyBuilder::with_rng_seed) | fresh entropy per call |
///
/// A policy is plain data: cheap to clone, shareable between threads, and
/// each call keeps its own state.
///
/// ```
/// use staunch::retry::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::builder()
///     .with_max_attempts(5)
///     .with_base_delay(Duration::ZERO) // keeps the example instant
///     .with_deadline(Duration::from_secs(10))
///     .build();
/// let mut calls = 0;
/// let value = policy.retry(|| {
///     calls += 1;
///     if calls < 3 { Err("not yet") } else { Ok(calls) }
/// });
/// assert_eq!(value, Ok(3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_retry_after: Duration,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) rng_seed: Option<u64>,
}

impl RetryPolicy {
    /// The documented defaults (see the table above).
    pub const DEFAULT: Self = Self {
        max_attempts: 3,
        backoff: Backoff::DEFAULT,
        deadline: None,
        max_retry_after: Duration::from_secs(60),
        attempt_timeout: None,
        rng_seed: None,
    };

    /// The default policy.
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// A policy that makes one attempt and never retries.
    pub const fn no_retry() -> Self {
        Self::builder().with_max_attempts(1).build()
    }

    /// A builder starting from the defaults.
    pub const fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// A builder starting from this policy.
    pub const fn to_builder(&self) -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: Self {
                max_attempts: self.max_attempts,
                backoff: self.backoff,
                deadline: self.deadline,
                max_retry_after: self.max_retry_after,
                attempt_timeout: self.attempt_timeout,
                rng_seed: self.rng_seed,
            },
        }
    }

    /// The most attempts a call makes, the first included (at least 1).
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay schedule, jitter and cap.
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// The time allowed for a whole call, attempts and sleeps included.
    pub const fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The longest a server hint (`Retry-After`) can make a call wait.
    pub const fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The time allowed for one attempt (async executors only).
    pub const fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The seed of the random numbers used for jitter, if fixed.
    pub const fn rng_seed(&self) -> Option<u64> {
        self.rng_seed
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Builds a [`RetryPolicy`]; every setting starts at the documented default.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// The most attempts, the first included (default 3). 0 is read as 1.
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.policy.max_attempts = if max_attempts == 0 { 1 } else { max_attempts };
        self
    }

    /// Replaces schedule, jitter and cap at once.
    pub const fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// The delay schedule (default exponential from 1 s, × 2), keeping jitter
    /// and cap.
    pub const fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.policy.backoff = self.policy.backoff.with_schedule(schedule);
        self
    }

    /// Changes only the base delay of the current schedule (default 1 s).
    pub const fn with_base_delay(self, base: Duration) -> Self {
        let schedule = match self.policy.backoff.schedule() {
            Schedule::Exponential { multiplier, .. } => Schedule::exponential(base, multiplier),
            Schedule::Linear { .. } => Schedule::linear(base),
            Schedule::Fixed { .. } => Schedule::fixed(base),
            Schedule::Decorrelated { .. } => Schedule::decorrelated(base),
        };
        self.with_schedule(schedule)
    }

    /// The jitter (default none).
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.policy.backoff = self.policy.backoff.with_jitter(jitter);
        self
    }

    /// The cap on every delay, applied after jitter (default 30 s).
    pub const fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.policy.backoff = self.policy.backoff.with_max_delay(max_delay);
        self
    }

    /// The time allowed for the whole call, attempts and sleeps included
    /// (default none). A sleep that would end at or past it is not started.
    pub const fn with_deadline(mut self, deadline: Duration) -> Self {
        self.policy.deadline = Some(deadline);
        self
    }

    /// The cap on server hints (default 60 s).
    pub const fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.policy.max_retry_after = max;
        self
    }

    /// The time allowed for each attempt (default none). Async executors only:
    /// a blocking attempt cannot be interrupted. A timed-out attempt is
    /// retryable.
    pub const fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.policy.attempt_timeout = Some(timeout);
        self
    }

    /// Fixes the seed of the random numbers used for jitter, so every call
    /// draws the same delays (default: fresh entropy for each call that
    /// needs random numbers).
    pub const fn with_rng_seed(mut self, seed: u64) -> Self {
        self.policy.rng_seed = Some(seed);
        self
    }

    /// The policy.
    pub const fn build(self) -> RetryPolicy {
        self.policy
    }
}

impl Default for RetryPolicyBuilder {
    fn default() -> Self {
        RetryPolicy::builder()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 3);
        assert_eq!(
            p.backoff().schedule(),
            Schedule::exponential(Duration::from_secs(1), 2.0)
        );
        assert_eq!(p.backoff().max_delay(), Duration::from_secs(30));
        assert_eq!(p.backoff().jitter(), Jitter::None);
        assert_eq!(p.deadline(), None);
        assert_eq!(p.max_retry_after(), Duration::from_secs(60));
        assert_eq!(p.attempt_timeout(), None);
    }

    #[test]
    fn zero_max_attempts_still_makes_one_attempt() {
        assert_eq!(
            RetryPolicy::builder()
                .with_max_attempts(0)
                .build()
                .max_attempts(),
            1
        );
    }

    #[test]
    fn base_delay_keeps_the_schedule_kind() {
        let p = RetryPolicy::builder()
            .with_schedule(Schedule::linear(Duration::from_secs(2)))
            .with_base_delay(Duration::from_secs(5))
            .build();
        assert_eq!(
            p.backoff().schedule(),
            Schedule::linear(Duration::from_secs(5))
        );
    }

    #[test]
    fn max_delay_survives_a_later_schedule_change() {
        let p = RetryPolicy::builder()
            .with_max_delay(Duration::from_secs(7))
            .with_schedule(Schedule::fixed(Duration::from_secs(1)))
            .build();
        assert_eq!(p.backoff().max_delay(), Duration::from_secs(7));
    }
}
