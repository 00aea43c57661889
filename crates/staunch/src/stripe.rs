//! Per-thread stripes for counters many threads add to: each thread adds
//! to its own stripe (on a cache line of its own), so two threads counting
//! the same thing do not pass one cache line back and forth; readers sum
//! the stripes.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Stripes per striped counter.
pub(crate) const STRIPES: usize = 4;

/// Threads given a stripe so far.
static THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The stripe the current thread adds to: threads take the stripes in
/// turn, in the order they first count something.
#[inline]
pub(crate) fn index() -> usize {
    STRIPE.with(|stripe| {
        let mut index = stripe.get();
        if index == usize::MAX {
            index = THREADS.fetch_add(1, Ordering::Relaxed) % STRIPES;
            stripe.set(index);
        }
        index
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_stripe_and_threads_take_turns() {
        let mine = index();
        assert_eq!(index(), mine);
        let others: Vec<usize> = (0..STRIPES)
            .map(|_| std::thread::spawn(index).join().unwrap())
            .collect();
        assert!(others.iter().all(|&i| i < STRIPES));
        let mut seen = others.clone();
        seen.sort_unstable();
        seen.dedup();
        assert!(seen.len() > 1, "{others:?}");
    }
}
