//! Round-robin selection.

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::SmallRng;

use super::{Candidates, Strategy};

/// Each selection takes the next endpoint in pool order, wrapping around.
///
/// One shared counter drives every caller; an ineligible endpoint is skipped
/// in favour of the next eligible one. O(1) when nothing is excluded.
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
        let i = self.next.fetch_add(1, Ordering::Relaxed) % n;
        if candidates.is_eligible(i) {
            Some(i)
        } else {
            candidates.next_eligible(i + 1)
        }
    }
}
