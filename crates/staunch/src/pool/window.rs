//! The success ratio over an endpoint's last [`OUTCOME_WINDOW`] outcomes.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// How many recent outcomes the success ratio looks at.
pub const OUTCOME_WINDOW: usize = 100;

/// A ring of the last 100 outcomes as a bitset in two atomic words (1 =
/// success), a counter that hands out ring slots, and the number of set bits.
///
/// Recording is one `fetch_add` and one `fetch_or`/`fetch_and`, plus one more
/// `fetch_add` on the success count when the slot's bit actually changes (the
/// previous bit comes back from the `fetch_or`/`fetch_and`, so every change is
/// counted exactly once). Reading is two loads, no popcount: selection reads
/// this for many endpoints. Under concurrent recording a reader may be off by
/// one outcome for an instant; the ratio is clamped to [0, 1].
#[derive(Debug, Default)]
#[repr(C)] // read fields first, see `EndpointStats`
pub(crate) struct OutcomeWindow {
    seen: AtomicU64,
    /// Set bits in `bits`. Signed: a clear may be counted just before the
    /// set it undoes, so it can dip below 0 for an instant.
    successes: AtomicI64,
    bits: [AtomicU64; 2],
}

impl OutcomeWindow {
    pub(crate) fn record(&self, success: bool) {
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        // The remainder is below 100, so the cast cannot truncate.
        let slot = (n % OUTCOME_WINDOW as u64) as usize;
        let word = &self.bits[slot / 64];
        let bit = 1u64 << (slot % 64);
        let was_success = if success {
            word.fetch_or(bit, Ordering::Relaxed)
        } else {
            word.fetch_and(!bit, Ordering::Relaxed)
        } & bit
            != 0;
        match (was_success, success) {
            (false, true) => self.successes.fetch_add(1, Ordering::Relaxed),
            (true, false) => self.successes.fetch_sub(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// How many outcomes the window holds (0 to 100).
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        // At most 100, so the cast cannot truncate.
        self.seen.load(Ordering::Relaxed).min(OUTCOME_WINDOW as u64) as u32
    }

    /// Successes divided by outcomes in the window, `None` when empty.
    #[inline]
    pub(crate) fn ratio(&self) -> Option<f64> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        // Clamped to 0..=100 first, so the cast cannot truncate.
        let successes = self.successes.load(Ordering::Relaxed).clamp(0, 100) as u32;
        Some((f64::from(successes) / f64::from(len)).min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_count_matches_the_bits() {
        let window = OutcomeWindow::default();
        for i in 0..1000u32 {
            window.record(i % 3 != 0 || i % 7 == 0);
        }
        let set: u32 = window
            .bits
            .iter()
            .map(|w| w.load(Ordering::Relaxed).count_ones())
            .sum();
        assert_eq!(window.successes.load(Ordering::Relaxed), i64::from(set));
    }

    #[test]
    fn empty_window_has_no_ratio() {
        assert_eq!(OutcomeWindow::default().ratio(), None);
    }

    #[test]
    fn oldest_outcomes_fall_out_after_one_hundred() {
        let window = OutcomeWindow::default();
        for _ in 0..OUTCOME_WINDOW {
            window.record(false);
        }
        assert_eq!(window.ratio(), Some(0.0));
        for _ in 0..50 {
            window.record(true);
        }
        assert_eq!(window.ratio(), Some(0.5));
        assert_eq!(window.len(), 100);
    }
}
