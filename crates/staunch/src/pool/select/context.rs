//! The state of one call across its selections.

use std::fmt;
use std::sync::Arc;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::exclusions::ExclusionSet;
use crate::pool::entry::EndpointEntry;

/// The caller's availability check: `false` means "do not choose this
/// endpoint now" (typically: its circuit breaker is open).
pub type AvailabilityFn<A> = dyn Fn(&EndpointEntry<A>) -> bool + Sync;

/// What one call carries from one selection to the next: the endpoints it
/// already tried, the endpoint that failed last, an availability check and a
/// seedable random number generator.
///
/// Make one per call; [`reset`](Self::reset) makes it reusable for the next.
///
/// ```
/// use staunch::pool::{Endpoint, Pool, RoundRobin, SelectContext};
///
/// let pool = Pool::new([Endpoint::new("a", 1), Endpoint::new("b", 2)]).unwrap();
/// let open_breakers = |entry: &staunch::pool::EndpointEntry<i32>| entry.id() != "b";
/// let mut ctx = SelectContext::seeded(7).with_available(&open_breakers);
/// let first = pool.select(&RoundRobin::new(), &mut ctx).unwrap();
/// assert_eq!(first.id(), "a");
/// ```
pub struct SelectContext<'a, A> {
    rng: RngSlot<'a>,
    excluded: ExclusionSet,
    last_failed: Option<Arc<EndpointEntry<A>>>,
    available: Option<&'a AvailabilityFn<A>>,
}

enum RngSlot<'a> {
    Owned(SmallRng),
    Borrowed(&'a mut SmallRng),
}

impl<'a, A> SelectContext<'a, A> {
    /// A context with a freshly seeded generator of its own.
    pub fn new() -> Self {
        Self::from_rng(crate::seed::fresh_rng())
    }

    /// A context with a generator seeded from `seed`, for reproducible runs.
    pub fn seeded(seed: u64) -> Self {
        Self::from_rng(SmallRng::seed_from_u64(seed))
    }

    /// A context that owns `rng`.
    pub fn from_rng(rng: SmallRng) -> Self {
        Self::with_slot(RngSlot::Owned(rng))
    }

    /// A context that draws from the caller's generator (so one seeded
    /// generator can drive a whole simulation).
    pub fn with_rng(rng: &'a mut SmallRng) -> Self {
        Self::with_slot(RngSlot::Borrowed(rng))
    }

    fn with_slot(rng: RngSlot<'a>) -> Self {
        Self {
            rng,
            excluded: ExclusionSet::default(),
            last_failed: None,
            available: None,
        }
    }

    /// Sets the availability check: endpoints it refuses are never chosen,
    /// not even when every other endpoint was already tried.
    #[must_use]
    pub fn with_available(mut self, available: &'a AvailabilityFn<A>) -> Self {
        self.available = Some(available);
        self
    }

    /// Replaces (or removes) the availability check.
    pub fn set_available(&mut self, available: Option<&'a AvailabilityFn<A>>) {
        self.available = available;
    }

    /// Marks an endpoint as tried: it is skipped while another eligible
    /// endpoint exists.
    pub fn exclude(&mut self, id: impl Into<Arc<str>>) {
        self.excluded.insert(id.into());
    }

    /// Records that an attempt on `entry` failed: excludes it and remembers it
    /// as the last failed endpoint (for region affinity).
    pub fn record_failure(&mut self, entry: &Arc<EndpointEntry<A>>) {
        self.excluded.insert(Arc::clone(entry.shared_id()));
        self.last_failed = Some(Arc::clone(entry));
    }

    /// Sets the last failed endpoint without excluding it.
    pub fn set_last_failed(&mut self, entry: Option<Arc<EndpointEntry<A>>>) {
        self.last_failed = entry;
    }

    /// The endpoint that failed last in this call.
    pub fn last_failed(&self) -> Option<&Arc<EndpointEntry<A>>> {
        self.last_failed.as_ref()
    }

    /// Whether the endpoint with this id was marked as tried.
    pub fn is_excluded(&self, id: &str) -> bool {
        self.excluded.contains_str(id)
    }

    /// How many endpoints are marked as tried.
    pub fn excluded_len(&self) -> usize {
        self.excluded.len()
    }

    /// The ids marked as tried.
    pub fn excluded(&self) -> impl Iterator<Item = &str> + '_ {
        self.excluded.iter().map(|id| &**id)
    }

    /// Forgets the tried endpoints and the last failure, keeping the
    /// generator and the availability check, for the next call.
    pub fn reset(&mut self) {
        self.excluded.clear();
        self.last_failed = None;
    }

    /// The random number generator strategies draw from.
    pub fn rng(&mut self) -> &mut SmallRng {
        match &mut self.rng {
            RngSlot::Owned(rng) => rng,
            RngSlot::Borrowed(rng) => rng,
        }
    }

    /// Splits the context for one selection.
    pub(crate) fn parts(
        &mut self,
    ) -> (
        &ExclusionSet,
        Option<&'a AvailabilityFn<A>>,
        Option<&EndpointEntry<A>>,
        &mut SmallRng,
    ) {
        let rng = match &mut self.rng {
            RngSlot::Owned(rng) => rng,
            RngSlot::Borrowed(rng) => &mut **rng,
        };
        (
            &self.excluded,
            self.available,
            self.last_failed.as_deref(),
            rng,
        )
    }
}

impl<A> Default for SelectContext<'_, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A> fmt::Debug for SelectContext<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectContext")
            .field("excluded", &self.excluded.iter().collect::<Vec<_>>())
            .field("last_failed", &self.last_failed.as_ref().map(|e| e.id()))
            .field("has_availability_check", &self.available.is_some())
            .finish_non_exhaustive()
    }
}
