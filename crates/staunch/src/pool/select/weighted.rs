//! Weighted random selection.

use rand::rngs::SmallRng;
use rand::Rng;

use super::{Candidates, Strategy};

/// Random draws tried before the exact one-pass draw over eligible endpoints.
const REJECTION_DRAWS: usize = 4;

/// Each selection takes endpoint *i* with probability `weight_i / Σ weight`
/// over the eligible endpoints.
///
/// With nothing excluded it is one draw and a binary search over the pool's
/// precomputed running sums (O(log n)). With restrictions it redraws a few
/// times, then falls back to a single pass over the eligible endpoints
/// (weighted reservoir sampling). Both keep the exact proportions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Weighted;

impl Weighted {
    /// The weighted strategy.
    pub const fn new() -> Self {
        Self
    }
}

impl<A> Strategy<A> for Weighted {
    fn select(&self, candidates: &Candidates<'_, A>, rng: &mut SmallRng) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        let members = candidates.members();
        let total = members.total_weight();
        let draw = |rng: &mut SmallRng| members.weighted_index(rng.random::<f64>() * total);
        if candidates.is_unrestricted() {
            return Some(draw(rng));
        }
        for _ in 0..REJECTION_DRAWS {
            let i = draw(rng);
            if candidates.is_eligible(i) {
                return Some(i);
            }
        }
        // One pass: keep endpoint i with probability w_i / (sum of weights so
        // far); the survivor is chosen with probability w_i / total.
        let mut sum = 0.0;
        let mut chosen = None;
        for (i, entry) in candidates.entries().iter().enumerate() {
            if !candidates.is_eligible(i) {
                continue;
            }
            sum += entry.weight();
            if rng.random::<f64>() * sum < entry.weight() {
                chosen = Some(i);
            }
        }
        chosen
    }
}
