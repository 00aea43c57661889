//! The current minute of one endpoint: plain atomic counters, so recording
//! is a handful of `fetch_add`s with no lock.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::layout::{Counts, Delta, FIELDS};

#[derive(Debug)]
pub(crate) struct HotBucket {
    minute: AtomicU32,
    fields: [AtomicU64; FIELDS],
    latency_nanos: AtomicU64,
}

impl HotBucket {
    pub(crate) fn new() -> Self {
        Self {
            minute: AtomicU32::new(0),
            fields: std::array::from_fn(|_| AtomicU64::new(0)),
            latency_nanos: AtomicU64::new(0),
        }
    }

    /// The minute the counters belong to.
    #[inline]
    pub(crate) fn minute(&self) -> u32 {
        self.minute.load(Ordering::Acquire)
    }

    /// Moves on to `minute`; only under the endpoint's lock.
    pub(crate) fn set_minute(&self, minute: u32) {
        self.minute.store(minute, Ordering::Release);
    }

    #[inline]
    pub(crate) fn apply(&self, delta: &Delta) {
        for &field in delta.fields() {
            self.fields[usize::from(field)].fetch_add(1, Ordering::Relaxed);
        }
        if delta.latency_nanos > 0 {
            self.latency_nanos
                .fetch_add(delta.latency_nanos, Ordering::Relaxed);
        }
    }

    /// Reads and zeroes every counter; only under the endpoint's lock. An
    /// increment racing with it lands on one side or the other, never lost.
    pub(crate) fn take(&self) -> Counts {
        let mut counts = Counts::ZERO;
        for (out, field) in counts.fields.iter_mut().zip(&self.fields) {
            *out = field.swap(0, Ordering::Relaxed);
        }
        counts.latency_nanos = self.latency_nanos.swap(0, Ordering::Relaxed);
        counts
    }

    /// Reads every counter.
    pub(crate) fn snapshot(&self) -> Counts {
        let mut counts = Counts::ZERO;
        for (out, field) in counts.fields.iter_mut().zip(&self.fields) {
            *out = field.load(Ordering::Relaxed);
        }
        counts.latency_nanos = self.latency_nanos.load(Ordering::Relaxed);
        counts
    }
}
