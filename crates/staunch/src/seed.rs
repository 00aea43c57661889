//! Seeds for the generators a call draws from.
//!
//! A call that picks endpoints at random gets a generator of its own. Seeding
//! each one from the thread's cryptographic generator costs more than the
//! rest of the choice, so each thread draws once from it and then hands out
//! a counter passed through SplitMix64's finaliser: well spread, distinct
//! seeds, which is all load balancing needs.

use std::cell::Cell;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// SplitMix64's increment (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

thread_local! {
    /// The thread's counter; 0 until its first draw.
    static COUNTER: Cell<u64> = const { Cell::new(0) };
}

/// SplitMix64's finaliser of `a + b·γ`: well-spread seeds from a base and a
/// counter.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_add(b.wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed no other call on any thread is likely to share.
pub(crate) fn fresh_seed() -> u64 {
    COUNTER.with(|counter| {
        let mut base = counter.get();
        if base == 0 {
            // Odd, and it stays odd as it steps by 2: never 0 again.
            base = rand::rng().random::<u64>() | 1;
        }
        let next = base.wrapping_add(2);
        counter.set(next);
        mix(base, 1)
    })
}

/// A generator seeded with [`fresh_seed`].
pub(crate) fn fresh_rng() -> SmallRng {
    SmallRng::seed_from_u64(fresh_seed())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::RngCore;

    use super::*;

    #[test]
    fn seeds_on_one_thread_differ() {
        let seeds: HashSet<u64> = (0..10_000).map(|_| fresh_seed()).collect();
        assert_eq!(seeds.len(), 10_000);
    }

    #[test]
    fn threads_start_from_different_bases() {
        let a = std::thread::spawn(fresh_seed).join().unwrap();
        let b = std::thread::spawn(fresh_seed).join().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn consecutive_generators_do_not_share_a_stream() {
        let mut first = fresh_rng();
        let mut second = fresh_rng();
        let a: Vec<u64> = (0..8).map(|_| first.next_u64()).collect();
        let b: Vec<u64> = (0..8).map(|_| second.next_u64()).collect();
        for x in &a {
            assert!(!b.contains(x), "streams overlap: {a:?} / {b:?}");
        }
    }

    #[test]
    fn mix_spreads_neighbouring_counters() {
        // Neighbouring inputs differ in about half their output bits.
        for i in 0..1000u64 {
            let bits = (mix(7, i) ^ mix(7, i + 1)).count_ones();
            assert!((12..=52).contains(&bits), "{i}: {bits} bits");
        }
    }
}
