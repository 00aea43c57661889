//! Concurrent withdrawals on a shared budget never exceed the allowance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::ManualClock;

#[test]
fn concurrent_withdrawals_never_exceed_allowance() {
    for _round in 0..20 {
        let clock = ManualClock::new();
        let config = BudgetConfig::default().with_ratio(0.2).with_min_per_sec(7);
        let budget = Arc::new(RetryBudget::with_clock(config, clock).unwrap());
        for _ in 0..500 {
            budget.deposit();
        }
        let allowance = 7 + 100;
        let threads = 4;
        let barrier = Arc::new(Barrier::new(threads));
        let allowed = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (budget, barrier, allowed) = (budget.clone(), barrier.clone(), allowed.clone());
                thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..100 {
                        if budget.try_withdraw() {
                            allowed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let allowed = allowed.load(Ordering::Relaxed);
        assert!(allowed <= allowance, "{allowed} > {allowance}");
        assert!(allowed > 0);
        assert_eq!(budget.withdrawn(), allowed);
        assert_eq!(budget.withdrawn() + budget.denied(), 400);
        // Whatever contention refused, the headroom is still there afterwards.
        assert_eq!(budget.available(), allowance - allowed);
    }
}

#[test]
fn concurrent_deposits_are_all_counted() {
    let clock = ManualClock::new();
    let config = BudgetConfig::default().with_ratio(1.0).with_min_per_sec(0);
    let budget = Arc::new(RetryBudget::with_clock(config, clock).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let budget = budget.clone();
            thread::spawn(move || {
                for _ in 0..1000 {
                    budget.deposit();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(budget.deposited(), 4000);
    assert_eq!(budget.available(), 4000);
}

#[test]
fn deposits_racing_with_the_clock_are_never_lost() {
    let clock = ManualClock::new();
    let config = BudgetConfig::default().with_ratio(1.0).with_min_per_sec(0);
    let budget = Arc::new(RetryBudget::with_clock(config, clock.clone()).unwrap());
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let budget = budget.clone();
            thread::spawn(move || {
                for _ in 0..20_000 {
                    budget.deposit();
                }
            })
        })
        .collect();
    for _ in 0..200 {
        clock.advance(std::time::Duration::from_millis(137));
        thread::yield_now();
    }
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(budget.deposited(), 60_000);
    // Whatever moved where, the window never holds more than was deposited.
    assert!(budget.available() <= 60_000);
}
