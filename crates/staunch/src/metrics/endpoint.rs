//! Everything kept for one endpoint: the current minute (atomics) and the
//! frozen past ([`Cold`]).
//!
//! Recording touches the current minute only. When a record belongs to a
//! later minute, the endpoint's lock is taken once to freeze the current
//! minute into both rings; queries take the same lock to read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::cold::Cold;
use super::hot::HotBucket;
use super::layout::{Counts, Delta};
use crate::breaker::CircuitState;

/// One endpoint's figures.
#[derive(Debug)]
pub(crate) struct EndpointSlot {
    name: Arc<str>,
    hot: HotBucket,
    cold: Mutex<Cold>,
    /// Breaker transitions since the start, by the state entered.
    transitions: [AtomicU64; 4],
}

/// An endpoint's figures held still for reading.
pub(crate) struct SlotView<'a> {
    cold: MutexGuard<'a, Cold>,
    hot: Counts,
    hot_minute: u32,
}

impl SlotView<'_> {
    /// Adds minutes `from..=to` to `out`.
    pub(crate) fn sum(&self, from: u32, to: u32, out: &mut Counts) {
        if (from..=to).contains(&self.hot_minute) {
            out.add(&self.hot);
        }
        self.cold.sum(from, to, out);
    }

    /// Everything since the store was made.
    pub(crate) fn lifetime(&self) -> Counts {
        let mut total = self.cold.lifetime;
        total.add(&self.hot);
        total
    }

    /// Records that arrived too late for the ring.
    pub(crate) fn late_dropped(&self) -> u64 {
        self.cold.late_dropped
    }
}

pub(crate) const fn state_index(state: CircuitState) -> usize {
    match state {
        CircuitState::Closed => 0,
        CircuitState::Open => 1,
        CircuitState::HalfOpen => 2,
        CircuitState::Isolated => 3,
    }
}

/// The states in [`state_index`] order.
pub(crate) const STATES: [CircuitState; 4] = [
    CircuitState::Closed,
    CircuitState::Open,
    CircuitState::HalfOpen,
    CircuitState::Isolated,
];

impl EndpointSlot {
    pub(crate) fn new(name: Arc<str>, retention_hours: u32) -> Self {
        Self {
            name,
            hot: HotBucket::new(),
            cold: Mutex::new(Cold::new(retention_hours)),
            transitions: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    fn lock(&self) -> MutexGuard<'_, Cold> {
        // Nothing panics while holding the lock; recover the data if
        // something ever did rather than losing every later record.
        self.cold.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one record of `minute`.
    #[inline]
    pub(crate) fn record(&self, minute: u32, delta: &Delta) {
        if minute == self.hot.minute() {
            self.hot.apply(delta);
        } else {
            self.record_other_minute(minute, delta);
        }
    }

    #[cold]
    fn record_other_minute(&self, minute: u32, delta: &Delta) {
        let mut cold = self.lock();
        let current = self.hot.minute();
        if minute > current {
            self.hot.set_minute(minute);
            let finished = self.hot.take();
            cold.freeze(current, &finished);
            self.hot.apply(delta);
        } else if minute == current {
            self.hot.apply(delta);
        } else {
            cold.add_late(minute, current, delta);
        }
    }

    pub(crate) fn record_transition(&self, to: CircuitState) {
        self.transitions[state_index(to)].fetch_add(1, Ordering::Relaxed);
    }

    /// Transitions since the start, by the state entered.
    pub(crate) fn transitions(&self) -> [u64; 4] {
        std::array::from_fn(|i| self.transitions[i].load(Ordering::Relaxed))
    }

    /// Holds the figures still for reading.
    pub(crate) fn view(&self) -> SlotView<'_> {
        let cold = self.lock();
        SlotView {
            hot: self.hot.snapshot(),
            hot_minute: self.hot.minute(),
            cold,
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.name.len() + self.lock().memory_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::layout::{RETRIES, SUCCESS};
    use crate::metrics::{AttemptOutcome, AttemptRecord};
    use std::time::{Duration, SystemTime};

    fn success(attempt: u32) -> Delta {
        Delta::attempt(
            &AttemptRecord::new(1, attempt, AttemptOutcome::Success, SystemTime::UNIX_EPOCH)
                .with_latency(Duration::from_millis(1)),
        )
    }

    fn total(slot: &EndpointSlot, from: u32, to: u32) -> Counts {
        let mut out = Counts::ZERO;
        slot.view().sum(from, to, &mut out);
        out
    }

    #[test]
    fn minutes_sum_across_hour_boundaries() {
        let slot = EndpointSlot::new("a".into(), 3);
        let start = 1_000_000;
        for minute in start..start + 150 {
            slot.record(minute, &success(1));
        }
        assert_eq!(total(&slot, start, start + 149).successes(), 150);
        assert_eq!(total(&slot, start + 10, start + 69).successes(), 60);
        assert_eq!(
            total(&slot, start + 149, start + 149).successes(),
            1,
            "hot minute"
        );
    }

    #[test]
    fn minutes_older_than_the_ring_are_gone() {
        let slot = EndpointSlot::new("a".into(), 1);
        slot.record(600, &success(1));
        slot.record(660, &success(1));
        slot.record(661, &success(1));
        // The hour of retention ending at 661 starts at 602.
        assert_eq!(total(&slot, 602, 661).successes(), 2);
        assert_eq!(slot.view().lifetime().successes(), 3);
    }

    #[test]
    fn late_record_joins_its_minute() {
        let slot = EndpointSlot::new("a".into(), 1);
        slot.record(100, &success(1));
        slot.record(105, &success(1));
        slot.record(100, &success(2));
        slot.record(103, &success(1));
        let counts = total(&slot, 100, 100);
        assert_eq!(counts.successes(), 2);
        assert_eq!(counts.fields[RETRIES], 1);
        assert_eq!(total(&slot, 101, 104).fields[SUCCESS], 1);
        assert_eq!(total(&slot, 0, 200).successes(), 4);
    }

    #[test]
    fn record_older_than_ring_only_reaches_lifetime() {
        let slot = EndpointSlot::new("a".into(), 1);
        slot.record(1000, &success(1));
        slot.record(900, &success(1));
        let view = slot.view();
        assert_eq!(view.late_dropped(), 1);
        assert_eq!(view.lifetime().successes(), 2);
    }
}
