//! Power of two choices on EWMA latency.

use rand::rngs::SmallRng;

use super::{Candidates, Strategy};
use crate::pool::entry::EndpointEntry;

/// Each selection draws two distinct eligible endpoints at random and takes
/// the one with the lower cost, where cost = EWMA latency × (in-flight + 1).
///
/// Multiplying by the load (as Finagle's and Linkerd's balancers do) keeps
/// concurrent callers from all piling onto the one fastest endpoint. An
/// endpoint without latency data costs 0, so new endpoints get tried. Two
/// draws and four atomic loads: constant time whatever the pool size.
#[derive(Debug, Default, Clone, Copy)]
pub struct PowerOfTwoChoices;

impl PowerOfTwoChoices {
    /// The power-of-two-choices strategy.
    pub const fn new() -> Self {
        Self
    }

    /// The cost this strategy compares: seconds of EWMA latency times
    /// (in-flight + 1); 0 before the first outcome.
    #[inline]
    pub fn cost<A>(entry: &EndpointEntry<A>) -> f64 {
        let stats = entry.stats();
        let latency = stats.ewma_latency_secs().unwrap_or(0.0);
        // Precision loss only past 2^53 attempts in flight.
        #[allow(clippy::cast_precision_loss)]
        let load = (stats.in_flight() + 1) as f64;
        latency * load
    }
}

impl<A> Strategy<A> for PowerOfTwoChoices {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        let a = candidates.random_eligible(rng, None)?;
        let Some(b) = candidates.random_eligible(rng, Some(a)) else {
            return Some(a);
        };
        let entries = candidates.entries();
        if Self::cost(&entries[b]) < Self::cost(&entries[a]) {
            Some(b)
        } else {
            Some(a)
        }
    }
}
