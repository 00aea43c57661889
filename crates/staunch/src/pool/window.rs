//! The success ratio over an endpoint's last [`OUTCOME_WINDOW`] outcomes.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many recent outcomes the success ratio looks at.
pub const OUTCOME_WINDOW: usize = 100;

/// Bits of the second word that belong to the window (100 - 64 = 36).
const HIGH_MASK: u64 = (1 << (OUTCOME_WINDOW - 64)) - 1;

/// A ring of the last 100 outcomes as a bitset in two atomic words (1 =
/// success), plus a counter that hands out ring slots.
///
/// Recording is one `fetch_add` and one `fetch_or`/`fetch_and`; reading is
/// three loads and two popcounts. Under concurrent recording a reader may see
/// a slot claimed but not yet written (or the reverse) and be off by one
/// outcome for an instant; the ratio is clamped to [0, 1].
#[derive(Debug, Default)]
pub(crate) struct OutcomeWindow {
    bits: [AtomicU64; 2],
    seen: AtomicU64,
}

impl OutcomeWindow {
    pub(crate) fn record(&self, success: bool) {
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        // The remainder is below 100, so the cast cannot truncate.
        let slot = (n % OUTCOME_WINDOW as u64) as usize;
        let word = &self.bits[slot / 64];
        let bit = 1u64 << (slot % 64);
        if success {
            word.fetch_or(bit, Ordering::Relaxed);
        } else {
            word.fetch_and(!bit, Ordering::Relaxed);
        }
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
        let low = self.bits[0].load(Ordering::Relaxed).count_ones();
        let high = (self.bits[1].load(Ordering::Relaxed) & HIGH_MASK).count_ones();
        Some((f64::from(low + high) / f64::from(len)).min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
