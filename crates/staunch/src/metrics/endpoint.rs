//! Everything kept for one endpoint: the current minute (atomics), a ring of
//! frozen minutes, a ring of hourly sums, and totals since the start.
//!
//! Recording touches the current minute only. When a record belongs to a
//! later minute, the endpoint's lock is taken once to freeze the current
//! minute into both rings; queries take the same lock to read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::hot::HotBucket;
use super::layout::{Counts, Delta, HourBucket, MinuteBucket};
use crate::breaker::CircuitState;

/// The frozen past of one endpoint.
#[derive(Debug)]
pub(crate) struct Cold {
    minutes: Box<[MinuteBucket]>,
    hours: Box<[HourBucket]>,
    lifetime: Counts,
    late_dropped: u64,
}

impl Cold {
    fn new(retention_hours: u32) -> Self {
        let hours = retention_hours as usize;
        Self {
            minutes: vec![MinuteBucket::EMPTY; hours * 60].into_boxed_slice(),
            // One more hour than kept: the oldest hour of a window is partial.
            hours: vec![HourBucket::EMPTY; hours + 1].into_boxed_slice(),
            lifetime: Counts::ZERO,
            late_dropped: 0,
        }
    }

    fn minute_index(&self, minute: u32) -> usize {
        minute as usize % self.minutes.len()
    }

    fn hour_index(&self, hour: u32) -> usize {
        hour as usize % self.hours.len()
    }

    /// Stores the finished minute `minute`.
    fn freeze(&mut self, minute: u32, counts: &Counts) {
        if counts.is_zero() {
            return;
        }
        self.lifetime.add(counts);
        let index = self.minute_index(minute);
        self.minutes[index] = MinuteBucket::freeze(minute, counts);
        let hour = minute / 60;
        let index = self.hour_index(hour);
        let slot = &mut self.hours[index];
        if slot.hour < hour {
            *slot = HourBucket {
                hour,
                ..HourBucket::EMPTY
            };
        }
        if slot.hour == hour {
            slot.counts.add(counts);
            slot.last_minute = slot.last_minute.max(minute);
        }
    }

    /// Adds a record for a minute already frozen (or skipped). `newest` is
    /// the current minute; records older than the ring only reach the
    /// totals since the start.
    fn add_late(&mut self, minute: u32, newest: u32, delta: &Delta) {
        self.lifetime.apply(delta);
        let in_ring = u64::from(minute) + self.minutes.len() as u64 > u64::from(newest);
        let hour = minute / 60;
        let (m, h) = (self.minute_index(minute), self.hour_index(hour));
        if !in_ring || self.minutes[m].minute > minute || self.hours[h].hour > hour {
            self.late_dropped += 1;
            return;
        }
        if self.minutes[m].minute < minute {
            self.minutes[m] = MinuteBucket {
                minute,
                ..MinuteBucket::EMPTY
            };
        }
        self.minutes[m].apply(delta);
        let slot = &mut self.hours[h];
        if slot.hour < hour {
            *slot = HourBucket {
                hour,
                ..HourBucket::EMPTY
            };
        }
        slot.counts.apply(delta);
        slot.last_minute = slot.last_minute.max(minute);
    }

    /// Adds the frozen figures of minutes `from..=to` to `out`: whole hours
    /// from the hourly sums, partial hours minute by minute.
    fn sum(&self, from: u32, to: u32, out: &mut Counts) {
        if from > to {
            return;
        }
        for hour in from / 60..=to / 60 {
            let slot = &self.hours[self.hour_index(hour)];
            if slot.hour != hour {
                // Nothing of this hour was ever frozen (or it expired).
                continue;
            }
            let first = u64::from(hour) * 60;
            let start = u64::from(from).max(first);
            let end = u64::from(to).min(first + 59);
            if start == first && end >= u64::from(slot.last_minute) {
                out.add(&slot.counts);
            } else {
                for minute in start..=end {
                    let bucket = &self.minutes[minute as usize % self.minutes.len()];
                    if u64::from(bucket.minute) == minute {
                        out.add_minute(bucket);
                    }
                }
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.minutes) + std::mem::size_of_val(&*self.hours)
    }
}

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
