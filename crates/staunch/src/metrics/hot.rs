//! The current minute of one endpoint: plain atomic counters, so recording
//! is a handful of `fetch_add`s with no lock.
//!
//! The counters come in per-thread stripes ([`crate::stripe`]): two
//! threads recording for the same endpoint write to different cache lines.
//! Reading sums the stripes.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::layout::{Counts, Delta, FIELDS};
use crate::stripe::{self, STRIPES};

/// One thread group's counters, on cache lines of their own.
#[derive(Debug)]
#[repr(align(64))]
struct Stripe {
    fields: [AtomicU64; FIELDS],
    latency_nanos: AtomicU64,
}

impl Stripe {
    fn new() -> Self {
        Self {
            fields: std::array::from_fn(|_| AtomicU64::new(0)),
            latency_nanos: AtomicU64::new(0),
        }
    }
}

#[derive(Debug)]
pub(crate) struct HotBucket {
    minute: AtomicU32,
    stripes: [Stripe; STRIPES],
}

impl HotBucket {
    pub(crate) fn new() -> Self {
        Self {
            minute: AtomicU32::new(0),
            stripes: std::array::from_fn(|_| Stripe::new()),
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
        let stripe = &self.stripes[stripe::index()];
        for &field in delta.fields() {
            stripe.fields[usize::from(field)].fetch_add(1, Ordering::Relaxed);
        }
        if delta.latency_nanos > 0 {
            stripe
                .latency_nanos
                .fetch_add(delta.latency_nanos, Ordering::Relaxed);
        }
    }

    /// Reads and zeroes every counter; only under the endpoint's lock. An
    /// increment racing with it lands on one side or the other, never lost.
    pub(crate) fn take(&self) -> Counts {
        self.sum(|counter| counter.swap(0, Ordering::Relaxed))
    }

    /// Reads every counter.
    pub(crate) fn snapshot(&self) -> Counts {
        self.sum(|counter| counter.load(Ordering::Relaxed))
    }

    fn sum(&self, read: impl Fn(&AtomicU64) -> u64) -> Counts {
        let mut counts = Counts::ZERO;
        for stripe in &self.stripes {
            for (out, field) in counts.fields.iter_mut().zip(&stripe.fields) {
                *out += read(field);
            }
            counts.latency_nanos += read(&stripe.latency_nanos);
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{AttemptOutcome, AttemptRecord};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    #[test]
    fn counts_from_every_thread_are_summed_and_taken_once() {
        let hot = Arc::new(HotBucket::new());
        let record = AttemptRecord::new(1, 1, AttemptOutcome::Success, SystemTime::now())
            .with_latency(Duration::from_millis(2));
        let delta = Delta::attempt(&record);
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let hot = Arc::clone(&hot);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        hot.apply(&delta);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let one = {
            let single = HotBucket::new();
            single.apply(&delta);
            single.snapshot()
        };
        let all = hot.snapshot();
        for (field, (&sum, &each)) in all.fields.iter().zip(&one.fields).enumerate() {
            assert_eq!(sum, each * 6000, "field {field}");
        }
        assert_eq!(all.latency_nanos, one.latency_nanos * 6000);
        assert_eq!(hot.take(), all);
        assert_eq!(hot.snapshot(), Counts::ZERO);
    }
}
