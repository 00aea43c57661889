//! Injected time.
//!
//! Every component that needs "now" takes a [`Clock`] instead of calling
//! [`Instant::now`] deep in its logic, so tests run on fake time and never
//! sleep. [`SystemClock`] is the default; [`ManualClock`] is the fake that tests
//! and simulations advance by hand.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// A source of monotonic and wall-clock time.
///
/// Implementations must be cheap: breakers and pools may read the clock on
/// every call when a rule needs it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current monotonic instant.
    fn now(&self) -> Instant;

    /// The current wall-clock time, used to stamp events and metrics buckets.
    fn system_now(&self) -> SystemTime;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn system_now(&self) -> SystemTime {
        (**self).system_now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn system_now(&self) -> SystemTime {
        (**self).system_now()
    }
}

/// The real clock: [`Instant::now`] and [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }

    #[inline]
    fn system_now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to.
///
/// Cloning shares the same time, so a test can hand one clone to a breaker and
/// advance another.
///
/// ```
/// use staunch::clock::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.now() - start, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

#[derive(Debug)]
struct ManualInner {
    origin: Instant,
    system_origin: SystemTime,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock frozen at the real current time.
    pub fn new() -> Self {
        Self::starting_at(SystemTime::now())
    }

    /// A clock frozen at the given wall-clock time (the monotonic side starts
    /// at the real current instant).
    pub fn starting_at(system_origin: SystemTime) -> Self {
        Self {
            inner: Arc::new(ManualInner {
                origin: Instant::now(),
                system_origin,
                offset_nanos: AtomicU64::new(0),
            }),
        }
    }

    /// Moves time forward by `by`. Saturates instead of overflowing.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .inner
            .offset_nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                Some(cur.saturating_add(nanos))
            });
    }

    /// How far this clock has been advanced since it was made.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.inner.offset_nanos.load(Ordering::Acquire))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.origin + self.elapsed()
    }

    fn system_now(&self) -> SystemTime {
        self.inner.system_origin + self.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::new();
        let a = clock.now();
        let b = clock.now();
        assert_eq!(a, b);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - a, Duration::from_millis(1500));
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new();
        let other = clock.clone();
        let before = other.system_now();
        clock.advance(Duration::from_secs(60));
        assert_eq!(
            other.system_now().duration_since(before).unwrap(),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn manual_clock_saturates_instead_of_overflowing() {
        let clock = ManualClock::new();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.elapsed(), Duration::from_nanos(u64::MAX));
    }
}
