//! A lock-free cache of the best-scoring endpoints of one pool snapshot.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use super::Candidates;
use crate::pool::entry::EndpointEntry;

/// How many top endpoints a ranking remembers.
pub(crate) const HINTS: usize = 4;

/// Marks an empty slot.
const NONE: u32 = u32::MAX;

/// The cached result of one full scan: the largest EWMA latency in the pool
/// and the indices of the top [`HINTS`] endpoints by score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hint {
    pub(crate) max_latency: f64,
    pub(crate) top: [u32; HINTS],
}

impl Hint {
    pub(crate) fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.top.iter().filter(|&&i| i != NONE).map(|&i| i as usize)
    }
}

/// A [`Hint`] in atomics, tagged with the snapshot it was computed on.
///
/// Readers never wait: they read the snapshot tag, then the slots. A reader
/// racing a refresh may see slots from two scans; that is harmless because
/// every hinted index is checked for eligibility and re-scored live.
#[derive(Debug)]
pub(crate) struct Ranking {
    snapshot: AtomicU64,
    top: [AtomicU32; HINTS],
    max_latency: AtomicU64,
    refreshing: AtomicBool,
}

impl Ranking {
    pub(crate) const fn new() -> Self {
        Self {
            snapshot: AtomicU64::new(0),
            top: [const { AtomicU32::new(NONE) }; HINTS],
            max_latency: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
        }
    }

    /// The cached hint, if it was computed on snapshot `snapshot`.
    #[inline]
    pub(crate) fn read(&self, snapshot: u64) -> Option<Hint> {
        if self.snapshot.load(Ordering::Acquire) != snapshot {
            return None;
        }
        Some(Hint {
            max_latency: f64::from_bits(self.max_latency.load(Ordering::Relaxed)),
            top: std::array::from_fn(|i| self.top[i].load(Ordering::Relaxed)),
        })
    }

    /// Rescans every endpoint and publishes the new hint: `scorer` receives
    /// the pool's max latency and returns the score function. Returns false
    /// (and does nothing) when another thread is refreshing already.
    pub(crate) fn refresh<A, S: Fn(&EndpointEntry<A>) -> f64>(
        &self,
        candidates: &Candidates<'_, A>,
        scorer: impl FnOnce(f64) -> S,
    ) -> bool {
        if self.refreshing.swap(true, Ordering::Acquire) {
            return false;
        }
        let _release = ReleaseOnDrop(&self.refreshing);
        let entries = candidates.entries();
        let max_latency = max_latency(entries.iter().map(|e| &**e));
        let score = scorer(max_latency);
        let mut best: [(u32, f64); HINTS] = [(NONE, f64::NEG_INFINITY); HINTS];
        for (i, entry) in entries.iter().enumerate() {
            let Ok(index) = u32::try_from(i) else { break };
            let score = score(entry);
            // Most endpoints are not in the top few: one comparison each.
            if score > best[HINTS - 1].1 {
                insert_top(&mut best, index, score);
            }
        }
        // Invalidate first, so no reader pairs the old tag with new slots.
        self.snapshot.store(0, Ordering::Relaxed);
        for (slot, (index, _)) in self.top.iter().zip(best) {
            slot.store(index, Ordering::Relaxed);
        }
        self.max_latency
            .store(max_latency.to_bits(), Ordering::Relaxed);
        self.snapshot
            .store(candidates.snapshot_id(), Ordering::Release);
        true
    }
}

/// The largest EWMA latency (seconds) among `entries`, 0 when none has data.
pub(crate) fn max_latency<'e, A: 'e>(entries: impl Iterator<Item = &'e EndpointEntry<A>>) -> f64 {
    entries
        .filter_map(|e| e.stats().ewma_latency_secs())
        .fold(0.0, f64::max)
}

/// Keeps `best` sorted by score, highest first.
fn insert_top(best: &mut [(u32, f64); HINTS], index: u32, score: f64) {
    let Some(pos) = best.iter().position(|&(_, s)| score > s) else {
        return;
    };
    best.copy_within(pos..HINTS - 1, pos + 1);
    best[pos] = (index, score);
}

struct ReleaseOnDrop<'a>(&'a AtomicBool);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_top_keeps_the_best_in_order() {
        let mut best = [(NONE, f64::NEG_INFINITY); HINTS];
        for (i, s) in [0.2, 0.9, 0.5, 0.1, 0.7, 0.95].into_iter().enumerate() {
            insert_top(&mut best, i as u32, s);
        }
        let order: Vec<u32> = best.iter().map(|&(i, _)| i).collect();
        assert_eq!(order, [5, 1, 4, 2]);
    }
}
