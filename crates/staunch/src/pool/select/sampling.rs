//! When strategies scan every endpoint and when they sample a few.

use crate::pool::error::PoolError;

/// Pools up to this size are scanned exactly by the scanning strategies.
pub const DEFAULT_EXACT_SCAN_LIMIT: usize = 64;

/// The largest sample size accepted.
pub const MAX_SAMPLE_SIZE: usize = 64;

/// How a strategy that looks for the "best" endpoint
/// ([`LeastInFlight`](super::LeastInFlight),
/// [`PerformanceScore`](super::PerformanceScore)) bounds its work.
///
/// A scan reads every endpoint's atomics: about 1 ns per endpoint when warm,
/// so a pool of 1000 costs about 1 µs per selection. Pools of at most
/// `exact_scan_limit` endpoints are scanned and the true best is chosen;
/// larger pools look at `sample_size` random eligible endpoints (the "power
/// of d choices"), which keeps a selection in tens of nanoseconds and picks
/// from the best few percent on average instead of the single best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    exact_scan_limit: usize,
    sample_size: usize,
}

impl Sampling {
    /// Checks and builds a sampling rule: `sample_size` must be 1 to
    /// [`MAX_SAMPLE_SIZE`]; any `exact_scan_limit` is accepted (0 means
    /// always sample).
    pub fn new(exact_scan_limit: usize, sample_size: usize) -> Result<Self, PoolError> {
        if !(1..=MAX_SAMPLE_SIZE).contains(&sample_size) {
            return Err(PoolError::parameter(
                "pool.strategy.sample_size",
                sample_size,
                "an integer from 1 to 64",
            ));
        }
        Ok(Self {
            exact_scan_limit,
            sample_size,
        })
    }

    pub(crate) const fn with_sample_size(sample_size: usize) -> Self {
        Self {
            exact_scan_limit: DEFAULT_EXACT_SCAN_LIMIT,
            sample_size,
        }
    }

    /// Pools up to this many endpoints are scanned exactly.
    pub fn exact_scan_limit(&self) -> usize {
        self.exact_scan_limit
    }

    /// Endpoints looked at per selection in larger pools.
    pub fn sample_size(&self) -> usize {
        self.sample_size
    }

    /// Whether a pool of `len` endpoints is scanned exactly.
    #[inline]
    pub(crate) fn scans(&self, len: usize) -> bool {
        len <= self.exact_scan_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_size_outside_range_is_refused() {
        for bad in [0, MAX_SAMPLE_SIZE + 1] {
            let err = Sampling::new(10, bad).err();
            assert_eq!(
                err.as_ref().map(PoolError::field),
                Some("pool.strategy.sample_size")
            );
        }
        assert!(Sampling::new(0, 1).is_ok());
    }
}
