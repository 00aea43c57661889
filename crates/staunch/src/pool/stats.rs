//! Live statistics of one endpoint, recorded lock-free.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::error::PoolError;
use super::ewma::AtomicEwma;
use super::window::OutcomeWindow;
pub use crate::outcome::Outcome;

/// The EWMA smoothing factor used unless a pool is built with another one:
/// each new latency sample weighs 20 %.
pub const DEFAULT_EWMA_ALPHA: f64 = 0.2;

/// Longest last-error message kept, in bytes; longer messages are cut at a
/// character boundary so one huge error cannot pin memory.
pub const MAX_ERROR_MESSAGE_LEN: usize = 512;

/// The most recent failure of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// The error's message (at most [`MAX_ERROR_MESSAGE_LEN`] bytes).
    pub message: String,
    /// When it was recorded (wall clock of the pool's clock).
    pub at: SystemTime,
}

/// Live statistics of one endpoint.
///
/// Everything a selection reads is an atomic: the in-flight count, the EWMA
/// latency (f64 bits, updated by compare-and-swap), the success ratio over
/// the last [`OUTCOME_WINDOW`](super::OUTCOME_WINDOW) outcomes (a bitset ring)
/// and the totals. Only the last error sits behind a small mutex, taken on
/// failures only.
///
/// Failures feed the latency average like successes: a failure's latency is
/// real time spent on the endpoint.
// Aligned to a cache line, with the fields selection reads first (in-flight,
// EWMA, window length and success count: 40 bytes), so looking at an
// endpoint costs one cache line.
#[derive(Debug)]
#[repr(C, align(64))]
pub struct EndpointStats {
    in_flight: AtomicU64,
    ewma: AtomicEwma,
    window: OutcomeWindow,
    successes: AtomicU64,
    failures: AtomicU64,
    last_error: Mutex<Option<LastError>>,
}

impl EndpointStats {
    /// Empty statistics with the given EWMA smoothing factor, which must be in
    /// (0, 1].
    pub fn new(ewma_alpha: f64) -> Result<Self, PoolError> {
        validate_alpha(ewma_alpha)?;
        Ok(Self::with_valid_alpha(ewma_alpha))
    }

    pub(crate) fn with_valid_alpha(ewma_alpha: f64) -> Self {
        Self {
            in_flight: AtomicU64::new(0),
            ewma: AtomicEwma::new(ewma_alpha),
            window: OutcomeWindow::default(),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    /// Attempts started and not finished or dropped yet.
    #[inline]
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The smoothed latency, `None` before the first recorded outcome.
    pub fn ewma_latency(&self) -> Option<Duration> {
        self.ewma_latency_secs()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    }

    /// The smoothed latency in seconds, `None` before the first outcome.
    #[inline]
    pub fn ewma_latency_secs(&self) -> Option<f64> {
        self.ewma.get()
    }

    /// The EWMA smoothing factor.
    pub fn ewma_alpha(&self) -> f64 {
        self.ewma.alpha()
    }

    /// Successes over the last (up to) 100 outcomes, `None` before the first.
    #[inline]
    pub fn success_ratio(&self) -> Option<f64> {
        self.window.ratio()
    }

    /// How many outcomes the success ratio is computed over (0 to 100).
    pub fn window_len(&self) -> u32 {
        self.window.len()
    }

    /// Successes recorded since the endpoint joined the pool.
    pub fn total_successes(&self) -> u64 {
        self.successes.load(Ordering::Relaxed)
    }

    /// Failures recorded since the endpoint joined the pool.
    pub fn total_failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The most recent failure recorded with a message.
    pub fn last_error(&self) -> Option<LastError> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records an outcome and its latency (without an error message).
    ///
    /// Use this when measuring time yourself; otherwise
    /// [`EndpointEntry::begin`](super::EndpointEntry::begin) measures it.
    pub fn record(&self, outcome: Outcome, latency: Duration) {
        self.ewma.record(latency.as_secs_f64());
        let success = outcome == Outcome::Success;
        self.window.record(success);
        let total = if success {
            &self.successes
        } else {
            &self.failures
        };
        total.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a failure with its message as the endpoint's last error.
    pub fn record_failure(&self, latency: Duration, error: &dyn fmt::Display, at: SystemTime) {
        self.record(Outcome::Failure, latency);
        let mut message = String::new();
        let _ = write!(message, "{error}");
        truncate_at_char(&mut message, MAX_ERROR_MESSAGE_LEN);
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(LastError { message, at });
    }

    pub(crate) fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn end(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for EndpointStats {
    /// Empty statistics with [`DEFAULT_EWMA_ALPHA`].
    fn default() -> Self {
        Self::with_valid_alpha(DEFAULT_EWMA_ALPHA)
    }
}

pub(crate) fn validate_alpha(alpha: f64) -> Result<(), PoolError> {
    if alpha > 0.0 && alpha <= 1.0 {
        Ok(())
    } else {
        Err(PoolError::parameter(
            "pool.ewma_alpha",
            alpha,
            "a number greater than 0 and at most 1",
        ))
    }
}

fn truncate_at_char(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_error_messages_are_cut_at_a_char_boundary() {
        let stats = EndpointStats::default();
        let long = "é".repeat(MAX_ERROR_MESSAGE_LEN);
        stats.record_failure(Duration::ZERO, &long, SystemTime::UNIX_EPOCH);
        let kept = stats.last_error().map(|e| e.message).unwrap_or_default();
        assert!(kept.len() <= MAX_ERROR_MESSAGE_LEN && !kept.is_empty());
    }

    #[test]
    fn alpha_outside_zero_one_is_refused() {
        for bad in [0.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let err = EndpointStats::new(bad).err();
            assert_eq!(
                err.map(|e| e.field().to_owned()).as_deref(),
                Some("pool.ewma_alpha")
            );
        }
    }
}
