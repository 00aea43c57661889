//! A lock-free exponentially weighted moving average of latency.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bit pattern meaning "no sample yet". It is a NaN that arithmetic never
/// produces, and samples are always finite, so it cannot collide with a value.
const NO_DATA: u64 = u64::MAX;

/// One step of the average: `alpha * sample + (1 - alpha) * previous`, or the
/// sample itself when there is no previous value.
///
/// The result is clamped between the previous value and the sample so rounding
/// can never move it outside them.
pub(crate) fn ewma_step(previous: Option<f64>, sample: f64, alpha: f64) -> f64 {
    match previous {
        None => sample,
        Some(prev) => {
            let next = alpha * sample + (1.0 - alpha) * prev;
            next.clamp(prev.min(sample), prev.max(sample))
        }
    }
}

/// An EWMA stored as `f64` bits in an [`AtomicU64`], updated by compare-and-swap.
#[derive(Debug)]
#[repr(C)] // `bits` first, see `EndpointStats`
pub(crate) struct AtomicEwma {
    bits: AtomicU64,
    alpha: f64,
}

impl AtomicEwma {
    /// An empty average. `alpha` must be in (0, 1]; callers validate it.
    pub(crate) const fn new(alpha: f64) -> Self {
        Self {
            bits: AtomicU64::new(NO_DATA),
            alpha,
        }
    }

    pub(crate) fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The current average, `None` before the first sample.
    #[inline]
    pub(crate) fn get(&self) -> Option<f64> {
        decode(self.bits.load(Ordering::Relaxed))
    }

    /// Folds one sample in. Non-finite or negative samples are ignored.
    pub(crate) fn record(&self, sample: f64) {
        if !(sample.is_finite() && sample >= 0.0) {
            return;
        }
        let alpha = self.alpha;
        // `fetch_update` retries the CAS until no other recorder raced us.
        let _ = self
            .bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some(ewma_step(decode(bits), sample, alpha).to_bits())
            });
    }
}

#[inline]
fn decode(bits: u64) -> Option<f64> {
    (bits != NO_DATA).then(|| f64::from_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sample_is_taken_as_is() {
        let ewma = AtomicEwma::new(0.2);
        assert_eq!(ewma.get(), None);
        ewma.record(0.5);
        assert_eq!(ewma.get(), Some(0.5));
    }

    #[test]
    fn non_finite_samples_are_ignored() {
        let ewma = AtomicEwma::new(0.2);
        ewma.record(f64::NAN);
        ewma.record(-1.0);
        assert_eq!(ewma.get(), None);
    }
}
