//! Hedging settings: when to start a second attempt beside a slow one.

use std::time::Duration;

use crate::config::ConfigError;

/// The most hedges one attempt may start.
pub const MAX_HEDGES: u32 = 10;

/// When a hedged call starts extra attempts.
///
/// With hedging on, an attempt that has not answered after `delay` gets a
/// twin on another endpoint (another one every `delay` after that, up to
/// `max_hedges`); the first success wins and the others are cancelled. Each
/// hedge is a retry as far as the retry budget is concerned: when the budget
/// refuses, no hedge starts. Only for idempotent work.
///
/// | setting | default | allowed |
/// |---|---|---|
/// | `delay` | off (no hedging) | any duration |
/// | `max_hedges` | 1 | 1 to [`MAX_HEDGES`] |
///
/// ```
/// use staunch::pool::Hedging;
/// use std::time::Duration;
///
/// let hedging = Hedging::after(Duration::from_millis(150)).with_max_hedges(2);
/// assert!(hedging.validate().is_ok());
/// assert_eq!(hedging.delay(), Some(Duration::from_millis(150)));
/// assert!(!Hedging::OFF.is_enabled());
/// assert!(Hedging::OFF.with_max_hedges(0).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hedging {
    delay: Option<Duration>,
    max_hedges: u32,
}

impl Hedging {
    /// No hedging (the default).
    pub const OFF: Self = Self {
        delay: None,
        max_hedges: 1,
    };

    /// Hedge an attempt that has not answered after `delay`, once.
    pub const fn after(delay: Duration) -> Self {
        Self {
            delay: Some(delay),
            max_hedges: 1,
        }
    }

    /// Sets how many hedges one attempt may start (1 to [`MAX_HEDGES`]).
    #[must_use]
    pub const fn with_max_hedges(mut self, max_hedges: u32) -> Self {
        self.max_hedges = max_hedges;
        self
    }

    /// How long an attempt runs alone before a hedge starts; `None` when off.
    pub const fn delay(&self) -> Option<Duration> {
        self.delay
    }

    /// How many hedges one attempt may start.
    pub const fn max_hedges(&self) -> u32 {
        self.max_hedges
    }

    /// Whether hedges are started at all.
    pub const fn is_enabled(&self) -> bool {
        self.delay.is_some()
    }

    /// Checks `max_hedges`; the error names `pool.max_hedges`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_HEDGES).contains(&self.max_hedges) {
            return Err(ConfigError::invalid(
                "pool.max_hedges",
                self.max_hedges,
                format!("a whole number from 1 to {MAX_HEDGES}"),
            ));
        }
        Ok(())
    }
}

impl Default for Hedging {
    fn default() -> Self {
        Self::OFF
    }
}
