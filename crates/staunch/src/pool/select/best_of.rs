//! Best-of-d sampling: draw a few endpoints, keep the best, without a branch
//! that depends on the statistics.
//!
//! Which of two random endpoints is better is a coin flip to the branch
//! predictor, and a mispredicted branch costs more than reading an endpoint.
//! So every looked-at endpoint gets a `u64` key (lower is better, its sample
//! position in the low bits) and the winner is the minimum key, which compiles
//! to conditional moves.

use rand::rngs::SmallRng;
use rand::RngCore;

use super::Candidates;

/// Low bits of a key that hold the sample's position: ties between equal
/// ranks go to the earlier draw, which is itself random, so no endpoint is
/// favoured by its index.
const POSITION_BITS: u32 = 8;

/// The largest rank a key can hold.
pub(crate) const MAX_RANK: u64 = u64::MAX >> POSITION_BITS;

/// The running minimum of a best-of-d selection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BestOf {
    key: u64,
    index: usize,
}

impl BestOf {
    pub(crate) const fn new() -> Self {
        Self {
            key: u64::MAX,
            index: usize::MAX,
        }
    }

    /// Considers the endpoint at `index`, the `position`-th looked at, with
    /// `rank` (lower is better; clamped to [`MAX_RANK`]).
    #[inline(always)]
    pub(crate) fn offer(&mut self, index: usize, position: usize, rank: u64) {
        let key = (rank.min(MAX_RANK) << POSITION_BITS) | (position as u64 & 0xff);
        let better = key < self.key;
        self.key = if better { key } else { self.key };
        self.index = if better { index } else { self.index };
    }

    /// The index with the lowest key, `None` when nothing was offered.
    #[inline]
    pub(crate) fn winner(&self) -> Option<usize> {
        (self.key != u64::MAX).then_some(self.index)
    }
}

/// A rank for a score where higher is better (such as a performance score,
/// which is never negative): the order of positive `f64`s is the order of
/// their bits, so inverting the bits turns "highest" into "lowest". Zero,
/// negative and NaN scores rank last.
#[inline(always)]
pub(crate) fn rank_of_score(score: f64) -> u64 {
    if score > 0.0 {
        !score.to_bits() >> POSITION_BITS
    } else {
        MAX_RANK
    }
}

/// Calls `visit(index, position)` for `count` random eligible indices
/// (positions `0..count`), stopping early only when none is eligible.
///
/// With no restriction in force, each 64-bit draw of the generator yields two
/// indices by multiply-shift (bias below `len / 2^32`, negligible for any real
/// pool); otherwise each index comes from
/// [`Candidates::random_eligible`].
#[inline]
pub(crate) fn for_each_sample<A>(
    candidates: &Candidates<'_, A>,
    rng: &mut SmallRng,
    count: usize,
    mut visit: impl FnMut(usize, usize),
) {
    let len = candidates.len();
    match u32::try_from(len) {
        Ok(len) if len > 0 && candidates.is_unrestricted() => {
            let mut position = 0;
            while position < count {
                let bits = rng.next_u64();
                visit(scale(bits, len), position);
                if position + 1 < count {
                    visit(scale(bits >> 32, len), position + 1);
                }
                position += 2;
            }
        }
        _ => {
            for position in 0..count {
                let Some(index) = candidates.random_eligible(rng, None) else {
                    return;
                };
                visit(index, position);
            }
        }
    }
}

/// Maps the low 32 bits of `bits` onto `0..len`.
#[inline(always)]
fn scale(bits: u64, len: u32) -> usize {
    let scaled = ((bits & u64::from(u32::MAX)) * u64::from(len)) >> 32;
    // Below `len`, which fits in u32, so it fits in usize.
    scaled as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lowest_rank_wins_and_ties_go_to_the_earlier_position() {
        let mut best = BestOf::new();
        assert_eq!(best.winner(), None);
        best.offer(10, 0, 5);
        best.offer(20, 1, 3);
        best.offer(30, 2, 3);
        best.offer(40, 3, 9);
        assert_eq!(best.winner(), Some(20));
    }

    #[test]
    fn ranks_past_the_limit_are_clamped_not_wrapped() {
        let mut best = BestOf::new();
        best.offer(1, 0, u64::MAX);
        best.offer(2, 1, MAX_RANK - 1);
        assert_eq!(best.winner(), Some(2));
    }

    #[test]
    fn scale_stays_in_range_at_the_extremes() {
        assert_eq!(scale(0, 1000), 0);
        assert_eq!(scale(u64::MAX, 1000), 999);
        assert_eq!(scale(u64::from(u32::MAX), 1), 0);
    }

    proptest! {
        #[test]
        fn higher_scores_rank_lower(a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
            prop_assume!((a - b).abs() > 1e-12);
            prop_assert_eq!(a > b, rank_of_score(a) < rank_of_score(b));
        }

        #[test]
        fn negative_and_nan_scores_rank_last(s in 0.0f64..=1.0) {
            prop_assert!(rank_of_score(s) <= rank_of_score(-0.5));
            prop_assert!(rank_of_score(s) <= rank_of_score(-0.0));
            prop_assert_eq!(rank_of_score(f64::NAN), MAX_RANK);
        }
    }
}
