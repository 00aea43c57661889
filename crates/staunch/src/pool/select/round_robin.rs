//! Round-robin selection.

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::SmallRng;

use super::{Candidates, Strategy};

/// Each selection takes the next endpoint in pool order, wrapping around.
///
/// One shared counter drives every caller; an ineligible endpoint is skipped
/// in favour of the next eligible one, and a selection that finds none
/// leaves the counter where it was. O(1) when nothing is excluded; a pool
/// of one endpoint does not touch the counter.
///
/// ```
/// use staunch::pool::{Endpoint, Pool, RoundRobin, SelectContext};
///
/// let pool = Pool::new(["a", "b", "c"].map(|id| Endpoint::new(id, ()))).unwrap();
/// let rr = RoundRobin::new();
/// let mut ctx = SelectContext::seeded(0);
/// let ids: Vec<String> = (0..4)
///     .map(|_| pool.select(&rr, &mut ctx).unwrap().id().to_owned())
///     .collect();
/// assert_eq!(ids, ["a", "b", "c", "a"]);
/// ```
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: AtomicUsize,
}

impl RoundRobin {
    /// A round robin starting at the first endpoint.
    pub const fn new() -> Self {
        Self {
            next: AtomicUsize::new(0),
        }
    }
}

impl<A> Strategy<A> for RoundRobin {
    fn select(&self, candidates: &Candidates<'_, A>, _rng: &mut SmallRng) -> Option<usize> {
        let n = candidates.len();
        if n == 0 {
            return None;
        }
        if n == 1 {
            // One endpoint takes every turn: the counter, which all callers
            // write, is left alone.
            return candidates.is_eligible(0).then_some(0);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % n;
        if candidates.is_eligible(i) {
            return Some(i);
        }
        let chosen = candidates.next_eligible(i + 1);
        if chosen.is_none() {
            // No turn was taken: the pool asks again without its exclusions
            // once every endpoint was tried, and that second pass must see
            // the same position, or the rotation would skip an endpoint.
            self.next.fetch_sub(1, Ordering::Relaxed);
        }
        chosen
    }
}
