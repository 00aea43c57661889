//! Uniform random selection.

use rand::rngs::SmallRng;

use super::{Candidates, Strategy};

/// Each selection takes an eligible endpoint uniformly at random (draws from
/// the context's seedable generator).
#[derive(Debug, Default, Clone, Copy)]
pub struct Random;

impl Random {
    /// The random strategy.
    pub const fn new() -> Self {
        Self
    }
}

impl<A> Strategy<A> for Random {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        candidates.random_eligible(rng, None)
    }
}
