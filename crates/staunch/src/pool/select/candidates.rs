//! What a strategy chooses from: a pool snapshot and the call's restrictions.

use std::fmt;
use std::sync::Arc;

use rand::rngs::SmallRng;
use rand::Rng;

use super::context::AvailabilityFn;
use super::exclusions::ExclusionSet;
use crate::pool::entry::EndpointEntry;
use crate::pool::members::Members;

/// Random draws tried before a sampling helper falls back to a scan.
const DRAWS_BEFORE_SCAN: usize = 4;

/// The endpoints a [`Strategy`](super::Strategy) may choose from.
///
/// It is a snapshot of the pool plus this call's restrictions: endpoints
/// already tried, the caller's availability check, and (inside
/// [`RegionAffinity`](super::RegionAffinity)) a tag filter. A strategy
/// returns the index of an endpoint for which [`is_eligible`](Self::is_eligible)
/// holds, and `None` only when no index is eligible.
///
/// [`Pool::select`](crate::pool::Pool::select) runs a strategy first with
/// exclusions on; if it finds nothing, it runs it again with exclusions off
/// (so endpoints already tried become eligible again), but never on
/// unavailable endpoints.
pub struct Candidates<'c, A> {
    members: &'c Members<A>,
    excluded: Option<&'c ExclusionSet>,
    available: Option<&'c AvailabilityFn<A>>,
    tag: Option<(&'c str, &'c str)>,
    last_failed: Option<&'c EndpointEntry<A>>,
}

impl<'c, A> Candidates<'c, A> {
    pub(crate) fn new(
        members: &'c Members<A>,
        excluded: Option<&'c ExclusionSet>,
        available: Option<&'c AvailabilityFn<A>>,
        last_failed: Option<&'c EndpointEntry<A>>,
    ) -> Self {
        Self {
            members,
            excluded: excluded.filter(|set| !set.is_empty()),
            available,
            tag: None,
            last_failed,
        }
    }

    pub(crate) fn members(&self) -> &'c Members<A> {
        self.members
    }

    /// Whether exclusions are applied in this pass.
    pub(crate) fn has_exclusions(&self) -> bool {
        self.excluded.is_some()
    }

    /// The same candidates without the exclusions (the second pass).
    pub(crate) fn without_exclusions(&self) -> Self {
        Self {
            excluded: None,
            ..*self
        }
    }

    /// The same candidates, further restricted to endpoints whose tag `key`
    /// equals `value`.
    pub fn with_tag<'t>(&self, key: &'t str, value: &'t str) -> Candidates<'t, A>
    where
        'c: 't,
    {
        Candidates {
            tag: Some((key, value)),
            ..*self
        }
    }

    /// Endpoints in the snapshot, eligible or not.
    #[inline]
    pub fn len(&self) -> usize {
        self.members.entries().len()
    }

    /// Whether the snapshot has no endpoint.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All endpoints of the snapshot, by index.
    #[inline]
    pub fn entries(&self) -> &'c [Arc<EndpointEntry<A>>] {
        self.members.entries()
    }

    /// The endpoint at `index`.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&'c Arc<EndpointEntry<A>>> {
        self.members.entries().get(index)
    }

    /// The sum of all weights of the snapshot.
    pub fn total_weight(&self) -> f64 {
        self.members.total_weight()
    }

    /// An id unique to this snapshot of the pool (it changes whenever an
    /// endpoint is added or removed), for strategies that cache per snapshot.
    #[inline]
    pub fn snapshot_id(&self) -> u64 {
        self.members.id()
    }

    /// The endpoint that failed last in this call, for affinity rules.
    pub fn last_failed(&self) -> Option<&'c EndpointEntry<A>> {
        self.last_failed
    }

    /// Whether no restriction applies: every index is eligible.
    #[inline]
    pub fn is_unrestricted(&self) -> bool {
        self.excluded.is_none() && self.available.is_none() && self.tag.is_none()
    }

    /// Whether the endpoint at `index` may be chosen in this pass.
    #[inline]
    pub fn is_eligible(&self, index: usize) -> bool {
        let Some(entry) = self.get(index) else {
            return false;
        };
        if let Some((key, value)) = self.tag {
            if entry.tag(key) != Some(value) {
                return false;
            }
        }
        if let Some(excluded) = self.excluded {
            if excluded.contains(entry.shared_id()) {
                return false;
            }
        }
        self.available.map_or(true, |available| available(entry))
    }

    /// The first eligible index at or after `start`, wrapping around.
    pub fn next_eligible(&self, start: usize) -> Option<usize> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let start = start % n;
        (start..n).chain(0..start).find(|&i| self.is_eligible(i))
    }

    /// A uniformly random index in `0..len()` (eligible or not).
    #[inline]
    pub fn random_index(&self, rng: &mut SmallRng) -> usize {
        rng.random_range(0..self.len().max(1))
    }

    /// A random eligible index other than `avoid`: a few random draws, then a
    /// scan from a random start. `None` only when no other index is eligible.
    pub fn random_eligible(&self, rng: &mut SmallRng, avoid: Option<usize>) -> Option<usize> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        if self.is_unrestricted() {
            return match avoid {
                None => Some(rng.random_range(0..n)),
                Some(_) if n == 1 => None,
                Some(a) => {
                    let i = rng.random_range(0..n - 1);
                    Some(if i >= a { i + 1 } else { i })
                }
            };
        }
        for _ in 0..DRAWS_BEFORE_SCAN {
            let i = rng.random_range(0..n);
            if Some(i) != avoid && self.is_eligible(i) {
                return Some(i);
            }
        }
        let start = rng.random_range(0..n);
        (start..n)
            .chain(0..start)
            .find(|&i| Some(i) != avoid && self.is_eligible(i))
    }
}

impl<A> Clone for Candidates<'_, A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for Candidates<'_, A> {}

impl<A> fmt::Debug for Candidates<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Candidates")
            .field("len", &self.len())
            .field("snapshot_id", &self.snapshot_id())
            .field("excluded", &self.excluded.map_or(0, ExclusionSet::len))
            .field("has_availability_check", &self.available.is_some())
            .field("tag", &self.tag)
            .finish()
    }
}
