use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::window::{Tally, Window, SLOTS};
use super::BudgetConfig;
use crate::clock::Clock;
use crate::config::ConfigError;

/// The span over which requests and retries are compared: 10 seconds, kept
/// as ten one-second slots.
pub const WINDOW: Duration = Duration::from_secs(SLOTS as u64);

/// Limits retries to a share of recent traffic so that an outage cannot turn
/// into a retry storm.
///
/// Every request calls [`deposit`](Self::deposit); every retry asks
/// [`try_withdraw`](Self::try_withdraw) first and gives up when it says no.
/// A retry is allowed when either
///
/// - fewer than `min_per_sec` retries were allowed so far in the current
///   second (the floor, always available), or
/// - the retries of the last 10 seconds beyond each second's floor, this one
///   included, stay within `ratio` × the requests of the last 10 seconds.
///
/// So the retries of any one second are at most `min_per_sec` + `ratio` ×
/// the requests of the 10 seconds ending with it. Time is cut into whole
/// seconds: a request counts for the second it was made in and the nine
/// after it; so does a retry.
///
/// Both calls are lock-free: a deposit is one atomic add; a refusal
/// reads the current slot and the kept sums of the nine finished seconds; an
/// allowed retry is counted, then checked against every slot. Concurrent
/// withdrawals never exceed the allowance; under contention, or racing with
/// the turn of a second, one may be refused while a unit was still free.
///
/// ```
/// use staunch::budget::{BudgetConfig, RetryBudget};
/// use staunch::clock::ManualClock;
/// use std::sync::Arc;
///
/// let clock = ManualClock::new();
/// let config = BudgetConfig::default().with_ratio(0.5).with_min_per_sec(0);
/// let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
///
/// budget.deposit();
/// budget.deposit();
/// assert!(budget.try_withdraw()); // 1 retry for 2 requests
/// assert!(!budget.try_withdraw());
/// assert_eq!((budget.withdrawn(), budget.denied()), (1, 1));
/// ```
pub struct RetryBudget {
    config: BudgetConfig,
    ratio_ppm: u64,
    /// Read on every deposit and withdrawal.
    time: TimeSource,
    window: Window,
    withdrawn: AtomicU64,
    denied: AtomicU64,
}

/// Where a budget reads the time.
enum TimeSource {
    /// The CPU's time-stamp counter, scaled to nanoseconds (`quanta`, which
    /// falls back to the OS monotonic clock where the counter is not
    /// reliable): a budget reads the time on every call and only needs whole
    /// seconds, and the counter costs a fraction of `Instant::now()` in
    /// virtual machines.
    Counter {
        clock: quanta::Clock,
        origin: quanta::Instant,
    },
    /// A clock given by the caller (fake time in tests).
    Given {
        clock: Arc<dyn Clock>,
        origin: Instant,
    },
}

impl fmt::Debug for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Counter { .. } => "TimeSource::Counter",
            Self::Given { .. } => "TimeSource::Given",
        })
    }
}

/// Counters and headroom of a [`RetryBudget`], as shown by the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BudgetStats {
    /// Requests deposited since the budget was made.
    pub deposited: u64,
    /// Retries allowed since the budget was made.
    pub withdrawn: u64,
    /// Retries refused since the budget was made.
    pub denied: u64,
    /// Retries that would be allowed right now.
    pub available: u64,
}

impl RetryBudget {
    /// A budget on the real clock. Fails when `config` is out of range.
    pub fn new(config: BudgetConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::build(config, None))
    }

    /// A budget reading time from `clock` (a [`ManualClock`] in tests).
    ///
    /// [`ManualClock`]: crate::clock::ManualClock
    pub fn with_clock(
        config: BudgetConfig,
        clock: impl Clock + 'static,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::build(config, Some(Arc::new(clock))))
    }

    /// Builds from a config already validated.
    fn build(config: BudgetConfig, clock: Option<Arc<dyn Clock>>) -> Self {
        let time = match clock {
            Some(clock) => TimeSource::Given {
                origin: clock.now(),
                clock,
            },
            None => {
                let clock = quanta::Clock::new();
                TimeSource::Counter {
                    origin: clock.now(),
                    clock,
                }
            }
        };
        Self {
            ratio_ppm: config.ratio_ppm(),
            config,
            time,
            window: Window::default(),
            withdrawn: AtomicU64::new(0),
            denied: AtomicU64::new(0),
        }
    }

    /// The settings this budget runs with.
    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// The whole seconds elapsed since the budget was made.
    #[inline]
    fn second(&self) -> u32 {
        let elapsed = match &self.time {
            TimeSource::Counter { clock, origin } => clock.now().saturating_duration_since(*origin),
            TimeSource::Given { clock, origin } => clock.now().saturating_duration_since(*origin),
        };
        u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX)
    }

    /// Counts one request. Deposit once per call, not per retry: the ratio
    /// compares retries with calls.
    #[inline]
    pub fn deposit(&self) {
        self.window.deposit(self.second());
    }

    /// Asks for one retry: `true` when it is within the budget (and counts
    /// it), `false` when it must not happen (and counts the denial).
    #[inline]
    pub fn try_withdraw(&self) -> bool {
        let now = self.second();
        let floor = self.config.min_per_sec;
        // The common refusal reads the kept sums of the finished seconds and
        // writes nothing but its counter.
        if !self.admits(self.window.quick_tally(now, floor), floor) {
            self.denied.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        // Count it, then check with every slot read, concurrent withdrawals
        // included, and take it back if the allowance is gone. Of racing
        // withdrawals the last to read sees all the others, so together they
        // never exceed the allowance.
        let (counted_in, in_second) = self.window.withdraw(now);
        let fits = in_second <= floor || {
            let tally = self.window.tally(now, floor);
            self.within_ratio(tally.excess, tally.deposits)
        };
        if fits {
            self.withdrawn.fetch_add(1, Ordering::Relaxed);
        } else {
            self.window.cancel(counted_in);
            self.denied.fetch_add(1, Ordering::Relaxed);
        }
        fits
    }

    /// Whether one more withdrawal fits on top of `tally`.
    #[inline]
    fn admits(&self, tally: Tally, floor: u32) -> bool {
        let after = tally.current + 1;
        after <= u64::from(floor)
            || self.within_ratio(
                tally.excess + u64::from(after > u64::from(floor)),
                tally.deposits,
            )
    }

    /// `excess <= ratio * deposits`, exactly, in integers.
    #[inline]
    fn within_ratio(&self, excess: u64, deposits: u64) -> bool {
        u128::from(excess) * 1_000_000 <= u128::from(self.ratio_ppm) * u128::from(deposits)
    }

    /// How many retries [`try_withdraw`](Self::try_withdraw) would allow
    /// right now, with no requests in between.
    pub fn available(&self) -> u64 {
        let floor = self.config.min_per_sec;
        let tally = self.window.tally(self.second(), floor);
        let from_floor = u64::from(floor).saturating_sub(tally.current);
        let earned = u128::from(self.ratio_ppm) * u128::from(tally.deposits) / 1_000_000;
        let from_ratio = u64::try_from(earned)
            .unwrap_or(u64::MAX)
            .saturating_sub(tally.excess);
        from_floor.saturating_add(from_ratio)
    }

    /// Requests deposited since the budget was made.
    pub fn deposited(&self) -> u64 {
        self.window.deposits_total()
    }

    /// Retries allowed since the budget was made.
    pub fn withdrawn(&self) -> u64 {
        self.withdrawn.load(Ordering::Relaxed)
    }

    /// Retries refused since the budget was made.
    pub fn denied(&self) -> u64 {
        self.denied.load(Ordering::Relaxed)
    }

    /// All counters at once, plus the current headroom.
    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            deposited: self.deposited(),
            withdrawn: self.withdrawn(),
            denied: self.denied(),
            available: self.available(),
        }
    }
}

impl Default for RetryBudget {
    /// A budget with [`BudgetConfig::DEFAULT`] on the real clock.
    fn default() -> Self {
        Self::build(BudgetConfig::DEFAULT, None)
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}
