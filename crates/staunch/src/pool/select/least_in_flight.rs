//! Least-in-flight selection.

use rand::rngs::SmallRng;

use super::best_of::{for_each_sample, BestOf};
use super::{Candidates, Sampling, Strategy};

/// Default sample size of [`LeastInFlight`] in pools above the scan limit.
const DEFAULT_SAMPLE_SIZE: usize = 8;

/// Each selection takes the eligible endpoint with the fewest attempts in
/// flight.
///
/// Pools up to [`Sampling::exact_scan_limit`] (default 64) are scanned and the
/// true minimum is chosen, ties broken at random (the scan starts at a random
/// position). Larger pools take the least loaded of
/// [`Sampling::sample_size`] (default 8) random eligible endpoints: in-flight
/// counts change on every call start and end, so a cached ranking would be
/// stale at once, while best-of-d sampling is known to keep load within a
/// small constant of the optimum and costs d atomic loads.
#[derive(Debug, Clone, Copy)]
pub struct LeastInFlight {
    sampling: Sampling,
}

impl LeastInFlight {
    /// Exact up to 64 endpoints, best of 8 samples above.
    pub const fn new() -> Self {
        Self {
            sampling: Sampling::with_sample_size(DEFAULT_SAMPLE_SIZE),
        }
    }

    /// Replaces the scan/sample rule.
    #[must_use]
    pub const fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// The scan/sample rule.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }
}

impl Default for LeastInFlight {
    fn default() -> Self {
        Self::new()
    }
}

impl<A> Strategy<A> for LeastInFlight {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        let n = candidates.len();
        if n == 0 {
            return None;
        }
        let load = |i: usize| candidates.entries()[i].stats().in_flight();
        if self.sampling.scans(n) {
            let start = candidates.random_index(rng);
            let mut best: Option<(usize, u64)> = None;
            for i in (start..n).chain(0..start) {
                let l = load(i);
                if best.map_or(true, |(_, b)| l < b) && candidates.is_eligible(i) {
                    best = Some((i, l));
                }
            }
            best.map(|(i, _)| i)
        } else {
            let mut best = BestOf::new();
            for_each_sample(
                candidates,
                rng,
                self.sampling.sample_size(),
                |i, position| {
                    best.offer(i, position, load(i));
                },
            );
            best.winner()
        }
    }
}
