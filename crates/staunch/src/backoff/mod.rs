//! Delay schedules and jitter.
//!
//! A [`Backoff`] is a [`Schedule`] (how delays grow), a [`Jitter`] (how each
//! delay is spread at random) and a cap (`max_delay`). The delay before retry
//! *n* is computed as: schedule, capped; jitter; capped again. So no delay ever
//! exceeds `max_delay`, and jitter still spreads delays that sit at the cap
//! instead of letting every client wait exactly `max_delay`.
//!
//! Randomness is injected: pass any [`rand::Rng`], seeded in tests.
//!
//! ```
//! use staunch::backoff::{Backoff, Jitter};
//! use rand::{rngs::SmallRng, SeedableRng};
//! use std::time::Duration;
//!
//! // The defaults: exponential from 1 s, × 2, capped at 30 s, no jitter.
//! let delays: Vec<_> = Backoff::default().iter(SmallRng::seed_from_u64(7)).take(6).collect();
//! let secs: Vec<u64> = delays.iter().map(Duration::as_secs).collect();
//! assert_eq!(secs, [1, 2, 4, 8, 16, 30]);
//!
//! // ±20 % around the same schedule.
//! let jittered = Backoff::default().with_jitter(Jitter::Proportional(0.2));
//! for d in jittered.iter(SmallRng::seed_from_u64(7)).take(3) {
//!     assert!(d >= Duration::from_millis(800));
//! }
//! ```

mod jitter;
mod schedule;

use std::time::Duration;

use rand::Rng;

pub use jitter::Jitter;
pub use schedule::Schedule;

use schedule::nanos_of;

/// A delay schedule with jitter and a cap.
///
/// Defaults ([`Backoff::DEFAULT`]): exponential from 1 s with multiplier 2,
/// `max_delay` 30 s, no jitter, giving 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s…
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    schedule: Schedule,
    jitter: Jitter,
    max_delay: Duration,
}

/// What a [`Backoff`] remembers between the retries of one call (only the
/// decorrelated schedule needs it). Start each call with a fresh default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BackoffState {
    prev: f64,
}

impl Backoff {
    /// Exponential from 1 s, × 2, capped at 30 s, no jitter.
    pub const DEFAULT: Self = Self {
        schedule: Schedule::exponential(Duration::from_secs(1), 2.0),
        jitter: Jitter::None,
        max_delay: Duration::from_secs(30),
    };

    /// `schedule` with the default cap (30 s) and no jitter.
    pub const fn new(schedule: Schedule) -> Self {
        Self {
            schedule,
            ..Self::DEFAULT
        }
    }

    /// `base * multiplier^(n-1)` before retry *n*.
    pub const fn exponential(base: Duration, multiplier: f64) -> Self {
        Self::new(Schedule::exponential(base, multiplier))
    }

    /// `base * n` before retry *n*.
    pub const fn linear(base: Duration) -> Self {
        Self::new(Schedule::linear(base))
    }

    /// `base` before every retry.
    pub const fn fixed(base: Duration) -> Self {
        Self::new(Schedule::fixed(base))
    }

    /// Polly v8 decorrelated jitter aiming at `base` for the first retry.
    pub const fn decorrelated(base: Duration) -> Self {
        Self::new(Schedule::decorrelated(base))
    }

    /// Replaces the schedule, keeping jitter and cap.
    pub const fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Sets the jitter (default [`Jitter::None`]).
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the cap applied to every delay, after jitter (default 30 s).
    pub const fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// The schedule.
    pub const fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The jitter.
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The cap.
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Whether [`Backoff::delay`] draws from its random number generator. When
    /// it does not, callers may skip creating one.
    pub const fn is_random(&self) -> bool {
        self.schedule.is_random() || self.jitter.is_random()
    }

    /// The delay before retry `retry` (1 = the first retry, i.e. the second
    /// attempt; 0 is read as 1). Always within `[0, max_delay]`.
    ///
    /// `state` carries what the decorrelated schedule needs between the
    /// retries of one call: use one fresh [`BackoffState`] per call and ask for
    /// retries in order.
    pub fn delay<R: Rng + ?Sized>(
        &self,
        retry: u32,
        state: &mut BackoffState,
        rng: &mut R,
    ) -> Duration {
        let cap = nanos_of(self.max_delay);
        let raw = self
            .schedule
            .raw_nanos(retry, &mut state.prev, rng)
            .min(cap);
        let jittered = self.jitter.apply(raw, rng);
        let nanos = if jittered.is_nan() {
            0.0
        } else {
            jittered.clamp(0.0, cap)
        };
        // `as` saturates, and `nanos <= cap` which came from a `Duration`.
        let whole = nanos as u128;
        duration_from_nanos(whole).min(self.max_delay)
    }

    /// The endless sequence of delays before retry 1, 2, 3, … of one call.
    pub fn iter<R: Rng>(self, rng: R) -> Delays<R> {
        Delays {
            backoff: self,
            state: BackoffState::default(),
            retry: 0,
            rng,
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Builds a `Duration` from nanoseconds without overflowing.
fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    // The remainder is below one billion, so it fits a u32.
    let sub = u32::try_from(nanos % NANOS_PER_SEC).unwrap_or(0);
    Duration::new(secs, sub)
}

/// The delays of one call, from [`Backoff::iter`]. Never ends.
#[derive(Debug, Clone)]
pub struct Delays<R> {
    backoff: Backoff,
    state: BackoffState,
    retry: u32,
    rng: R,
}

impl<R: Rng> Iterator for Delays<R> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.retry = self.retry.saturating_add(1);
        Some(
            self.backoff
                .delay(self.retry, &mut self.state, &mut self.rng),
        )
    }
}

#[cfg(test)]
mod tests;
