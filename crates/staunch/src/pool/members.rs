//! One immutable snapshot of a pool's membership.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::entry::EndpointEntry;

/// Hands out snapshot ids, unique in the process, so caches kept by
/// strategies can tell snapshots apart even across pools.
static NEXT_SNAPSHOT_ID: AtomicU64 = AtomicU64::new(1);

/// The endpoints of a pool at one moment, with what selection needs
/// precomputed. Never changed after creation: a change builds a new one
/// (copy-on-write) and swaps it in.
pub(crate) struct Members<A> {
    entries: Box<[Arc<EndpointEntry<A>>]>,
    index: HashMap<Arc<str>, usize>,
    /// Running sums of weights, for weighted draws by binary search.
    cumulative: Box<[f64]>,
    id: u64,
}

impl<A> Members<A> {
    /// Builds a snapshot. Callers have checked ids are unique and the total
    /// weight is finite.
    pub(crate) fn new(entries: Vec<Arc<EndpointEntry<A>>>) -> Self {
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (Arc::clone(e.shared_id()), i))
            .collect();
        let cumulative = entries
            .iter()
            .scan(0.0, |sum, e| {
                *sum += e.weight();
                Some(*sum)
            })
            .collect();
        Self {
            entries: entries.into_boxed_slice(),
            index,
            cumulative,
            id: NEXT_SNAPSHOT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    #[inline]
    pub(crate) fn entries(&self) -> &[Arc<EndpointEntry<A>>] {
        &self.entries
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    #[inline]
    pub(crate) fn total_weight(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// The index whose weight interval holds `point` (in `[0, total)`).
    #[inline]
    pub(crate) fn weighted_index(&self, point: f64) -> usize {
        let i = self.cumulative.partition_point(|&c| c <= point);
        i.min(self.entries.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::pool::{Endpoint, EndpointStats};

    fn members(weights: &[f64]) -> Members<()> {
        let entries = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                Arc::new(EndpointEntry::new(
                    Endpoint::new(i.to_string(), ()).with_weight(w),
                    EndpointStats::default(),
                    Arc::new(SystemClock),
                ))
            })
            .collect();
        Members::new(entries)
    }

    #[test]
    fn weighted_index_maps_intervals_to_endpoints() {
        let m = members(&[1.0, 3.0, 1.0]);
        assert_eq!(m.total_weight(), 5.0);
        assert_eq!(m.weighted_index(0.0), 0);
        assert_eq!(m.weighted_index(0.99), 0);
        assert_eq!(m.weighted_index(1.0), 1);
        assert_eq!(m.weighted_index(3.99), 1);
        assert_eq!(m.weighted_index(4.5), 2);
        assert_eq!(m.weighted_index(5.0), 2);
    }

    #[test]
    fn snapshots_get_distinct_ids() {
        assert_ne!(members(&[1.0]).id(), members(&[1.0]).id());
    }
}
