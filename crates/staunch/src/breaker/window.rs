//! The rolling window: a fixed ring of buckets counting calls, failures and
//! slow calls, so memory never depends on the call rate.
//!
//! Every counter is one `AtomicU64` holding the bucket's index (high 32 bits)
//! and its count (low 32 bits). Recording compares the stored index with the
//! current one and either adds one or starts the bucket over, in a single
//! compare-and-swap, so a bucket rolling over never loses or mixes counts.
//! (The stored index is the low 32 bits of the bucket number: a bucket left
//! untouched for 2^32 bucket widths, at least 49 days, could be read again.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::stripe::{self, STRIPES};

const COUNT_MASK: u64 = 0xFFFF_FFFF;

/// Counts in the window at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Calls counted (only when call counting is on).
    pub(crate) calls: u64,
    /// Failures.
    pub(crate) failures: u64,
    /// Slow calls.
    pub(crate) slow: u64,
}

/// One bucket's counters, in per-thread stripes ([`crate::stripe`]): the
/// callers of one breaker count on different cache lines.
#[derive(Debug, Default)]
struct Bucket {
    stripes: [Counters; STRIPES],
}

#[derive(Debug, Default)]
#[repr(align(64))]
struct Counters {
    calls: AtomicU64,
    failures: AtomicU64,
    slow: AtomicU64,
}

/// A ring of `n` buckets of `window / n` each.
#[derive(Debug)]
pub(crate) struct Window {
    width_nanos: u64,
    buckets: Box<[Bucket]>,
}

/// Adds one to `counter` for bucket `index`, starting it over if it still
/// holds an older bucket.
fn bump(counter: &AtomicU64, index: u64) {
    let tag = index & COUNT_MASK;
    let _ = counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |word| {
        if word >> 32 == tag {
            let count = (word & COUNT_MASK).saturating_add(1).min(COUNT_MASK);
            Some((tag << 32) | count)
        } else {
            Some((tag << 32) | 1)
        }
    });
}

/// The count `counter` holds for bucket `index`, 0 if it holds another one.
fn read(counter: &AtomicU64, index: u64) -> u64 {
    let word = counter.load(Ordering::SeqCst);
    if word >> 32 == index & COUNT_MASK {
        word & COUNT_MASK
    } else {
        0
    }
}

impl Window {
    /// A window of `length` split into `buckets` buckets (at least one, each
    /// at least a nanosecond wide).
    pub(crate) fn new(length: Duration, buckets: u32) -> Self {
        let n = u64::from(buckets.max(1));
        let length = u64::try_from(length.as_nanos()).unwrap_or(u64::MAX);
        Self {
            width_nanos: (length / n).max(1),
            buckets: (0..n).map(|_| Bucket::default()).collect(),
        }
    }

    fn slot(&self, index: u64) -> &Bucket {
        // The modulo is below the bucket count, itself a u32.
        &self.buckets[(index % self.buckets.len() as u64) as usize]
    }

    /// Records one outcome at `now` (nanoseconds since the breaker started).
    pub(crate) fn record(&self, now: u64, call: bool, failure: bool, slow: bool) {
        let index = now / self.width_nanos;
        let bucket = &self.slot(index).stripes[stripe::index()];
        if call {
            bump(&bucket.calls, index);
        }
        if failure {
            bump(&bucket.failures, index);
        }
        if slow {
            bump(&bucket.slow, index);
        }
    }

    /// The counts of the buckets that cover `now` and the window before it.
    pub(crate) fn counts(&self, now: u64) -> Counts {
        let current = now / self.width_nanos;
        let span = (self.buckets.len() as u64).min(current + 1);
        let mut counts = Counts::default();
        for back in 0..span {
            let index = current - back;
            for stripe in &self.slot(index).stripes {
                counts.calls += read(&stripe.calls, index);
                counts.failures += read(&stripe.failures, index);
                counts.slow += read(&stripe.slow, index);
            }
        }
        counts
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        // A count of 0 reads as empty whichever bucket index it is tagged with.
        for stripe in self.buckets.iter().flat_map(|bucket| &bucket.stripes) {
            stripe.calls.store(0, Ordering::SeqCst);
            stripe.failures.store(0, Ordering::SeqCst);
            stripe.slow.store(0, Ordering::SeqCst);
        }
    }

    /// The width of one bucket in nanoseconds.
    #[cfg(test)]
    pub(crate) fn width_nanos(&self) -> u64 {
        self.width_nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn failures_leave_the_window_bucket_by_bucket() {
        let w = Window::new(Duration::from_secs(60), 6);
        w.record(0, true, true, false);
        w.record(15 * SEC, true, true, false);
        assert_eq!(w.counts(15 * SEC).failures, 2);
        assert_eq!(w.counts(59 * SEC).failures, 2);
        // At 60 s the bucket [0, 10) has rolled out.
        assert_eq!(w.counts(60 * SEC).failures, 1);
        assert_eq!(w.counts(69 * SEC).failures, 1);
        assert_eq!(w.counts(70 * SEC).failures, 0);
    }

    #[test]
    fn a_reused_slot_starts_over() {
        let w = Window::new(Duration::from_secs(10), 10);
        w.record(SEC, true, true, true);
        w.record(11 * SEC, true, false, false);
        let c = w.counts(11 * SEC);
        assert_eq!((c.calls, c.failures, c.slow), (1, 0, 0));
    }

    #[test]
    fn clear_forgets_everything() {
        let w = Window::new(Duration::from_secs(10), 10);
        w.record(0, true, true, true);
        w.clear();
        assert_eq!(w.counts(0), Counts::default());
        w.record(0, true, false, false);
        assert_eq!(w.counts(0).calls, 1);
    }

    #[test]
    fn counts_from_every_thread_add_up_and_roll_out_together() {
        let w = std::sync::Arc::new(Window::new(Duration::from_secs(10), 10));
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let w = std::sync::Arc::clone(&w);
                std::thread::spawn(move || {
                    for i in 0..1000u64 {
                        w.record(SEC / 2, true, (i + t) % 2 == 0, false);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let c = w.counts(SEC);
        assert_eq!((c.calls, c.failures), (6000, 3000));
        // The same slot a window later, from another thread: only the new
        // bucket counts.
        std::thread::spawn({
            let w = std::sync::Arc::clone(&w);
            move || w.record(10 * SEC + SEC / 2, true, false, false)
        })
        .join()
        .unwrap();
        assert_eq!(w.counts(10 * SEC + SEC / 2).calls, 1);
    }

    proptest! {
        #[test]
        fn counts_match_a_list_of_events(
            buckets in 1u32..8,
            mut times in proptest::collection::vec(0u64..100, 0..60),
            probe in 0u64..120,
        ) {
            let w = Window::new(Duration::from_secs(16), buckets);
            let width = w.width_nanos();
            times.sort_unstable();
            for t in &times {
                w.record(t * SEC / 2, true, t % 2 == 0, false);
            }
            let now = (times.last().copied().unwrap_or(0) * SEC / 2).max(probe * SEC / 2);
            let current = now / width;
            let live = |t: &&u64| (**t * SEC / 2) / width + u64::from(buckets) > current;
            let want_calls = times.iter().filter(live).count() as u64;
            let want_failures = times.iter().filter(live).filter(|t| *t % 2 == 0).count() as u64;
            let c = w.counts(now);
            prop_assert_eq!(c.calls, want_calls);
            prop_assert_eq!(c.failures, want_failures);
        }
    }
}
