//! Call numbers: unique within one failover executor, and handed to each
//! thread in blocks, so that numbering a call writes to no count that
//! other threads write to (one shared write per block instead of one per
//! call). Calls of one thread are numbered in order: 1, 2, 3, ... while
//! it is the only one calling and uses at most [`KEPT`] executors.
//!
//! A seeded executor derives each call's random draws from its number, and
//! promises that call *n* always draws the same: it numbers its calls with
//! one shared counter, 1, 2, 3, ... in the order they start.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers handed to a thread at a time.
const BLOCK: u64 = 64;

/// Blocks a thread keeps, for that many executors at once.
const KEPT: usize = 4;

/// Executors numbered so far (0 is no executor).
static EXECUTORS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static BLOCKS: Cell<[Block; KEPT]> = const { Cell::new([Block::NONE; KEPT]) };
    /// The block to give up next when an executor needs one.
    static VICTIM: Cell<usize> = const { Cell::new(0) };
}

/// The numbers `next..end` of executor `executor`, held by one thread.
#[derive(Debug, Clone, Copy)]
struct Block {
    executor: u64,
    next: u64,
    end: u64,
}

impl Block {
    const NONE: Block = Block {
        executor: 0,
        next: 0,
        end: 0,
    };
}

/// The call numbers of one executor.
#[derive(Debug)]
pub(crate) struct CallIds {
    executor: u64,
    handed_out: AtomicU64,
    /// Numbered by the shared counter, one by one.
    seeded: bool,
}

impl CallIds {
    /// The numbers of a new executor; `seeded` for one with a seed.
    pub(crate) fn new(seeded: bool) -> Self {
        Self {
            executor: EXECUTORS.fetch_add(1, Ordering::Relaxed) + 1,
            handed_out: AtomicU64::new(0),
            seeded,
        }
    }

    /// The next call's number (from 1).
    pub(crate) fn next(&self) -> u64 {
        if self.seeded {
            return self.handed_out.fetch_add(1, Ordering::Relaxed) + 1;
        }
        BLOCKS.with(|blocks| {
            let mut all = blocks.get();
            let at = match all.iter().position(|b| b.executor == self.executor) {
                Some(at) => at,
                None => VICTIM.with(|victim| {
                    let at = victim.get();
                    victim.set((at + 1) % KEPT);
                    at
                }),
            };
            let block = &mut all[at];
            if block.executor != self.executor || block.next == block.end {
                let start = self.handed_out.fetch_add(BLOCK, Ordering::Relaxed) + 1;
                *block = Block {
                    executor: self.executor,
                    next: start,
                    end: start + BLOCK,
                };
            }
            let id = block.next;
            block.next += 1;
            blocks.set(all);
            id
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    #[test]
    fn one_thread_numbers_its_calls_in_order() {
        let ids = CallIds::new(false);
        let got: Vec<u64> = (0..200).map(|_| ids.next()).collect();
        let want: Vec<u64> = (1..=200).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn executors_number_their_calls_apart() {
        // Two executors in turn on one thread whose numbers are KEPT apart
        // (a cache indexed by number would have them evict each other):
        // each still counts 1, 2, 3, ...
        let all: Vec<CallIds> = (0..=KEPT).map(|_| CallIds::new(false)).collect();
        let (a, b) = (&all[0], &all[KEPT]);
        for round in 1..=3 {
            assert_eq!((a.next(), b.next()), (round, round));
        }
    }

    #[test]
    fn a_seeded_executor_counts_one_by_one_whatever_the_thread() {
        let ids = Arc::new(CallIds::new(true));
        assert_eq!(ids.next(), 1);
        let other = Arc::clone(&ids);
        assert_eq!(std::thread::spawn(move || other.next()).join().unwrap(), 2);
        assert_eq!(ids.next(), 3);
    }

    #[test]
    fn numbers_are_unique_across_threads_and_many_executors() {
        let shared = Arc::new(CallIds::new(false));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    for round in 0..500 {
                        got.push(shared.next());
                        // Other executors on the same thread evict the block.
                        if round % 50 == 0 {
                            for _ in 0..=KEPT {
                                CallIds::new(false).next();
                            }
                        }
                    }
                    got
                })
            })
            .collect();
        let all: Vec<u64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let unique: HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        assert!(all.iter().all(|&id| id >= 1));
    }
}
