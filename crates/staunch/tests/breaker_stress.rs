//! Many threads on one breaker with random outcomes and a shared fake clock:
//! probes in flight never exceed the limit, every open is one event, the
//! event chain is unbroken and the counts add up.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staunch::breaker::{Breaker, BreakerConfig, CircuitState, Transition};
use staunch::clock::ManualClock;

const THREADS: usize = 8;
const CALLS: usize = 50_000;
const MAX_PROBES: u32 = 2;

#[derive(Default)]
struct Tally {
    attempts: AtomicU64,
    admitted: AtomicU64,
    rejected: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    dropped: AtomicU64,
    opened_by_outcome: AtomicU64,
    closed_by_outcome: AtomicU64,
    probes_admitted: AtomicU64,
}

fn recorder(breaker: &Breaker) -> Arc<Mutex<Vec<Transition>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    breaker.add_observer(Arc::new(move |t: &Transition| {
        sink.lock().unwrap().push(t.clone());
    }));
    events
}

#[test]
fn concurrent_random_outcomes_keep_every_invariant() {
    let clock = ManualClock::new();
    let config = BreakerConfig::default()
        .with_window(Duration::from_secs(10))
        .with_consecutive_failures(3)
        .with_open_duration(Duration::from_millis(50))
        .with_half_open_max_calls(MAX_PROBES)
        .with_success_threshold(2);
    let breaker = Breaker::with_clock("stress", config, Arc::new(clock.clone())).unwrap();
    let events = recorder(&breaker);
    let tally = Tally::default();
    let probes_now = AtomicUsize::new(0);
    let probes_peak = AtomicUsize::new(0);
    let start = Barrier::new(THREADS);

    std::thread::scope(|s| {
        for seed in 0..THREADS as u64 {
            let (breaker, clock, tally) = (&breaker, &clock, &tally);
            let (probes_now, probes_peak, start) = (&probes_now, &probes_peak, &start);
            s.spawn(move || {
                let mut rng = SmallRng::seed_from_u64(seed);
                start.wait();
                for _ in 0..CALLS {
                    if rng.random_ratio(1, 40) {
                        clock.advance(Duration::from_millis(10));
                    }
                    tally.attempts.fetch_add(1, Ordering::Relaxed);
                    let permit = match breaker.try_acquire() {
                        Ok(permit) => permit,
                        Err(_) => {
                            tally.rejected.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    };
                    tally.admitted.fetch_add(1, Ordering::Relaxed);
                    let probe = permit.is_probe();
                    if probe {
                        tally.probes_admitted.fetch_add(1, Ordering::Relaxed);
                        let now = probes_now.fetch_add(1, Ordering::SeqCst) + 1;
                        probes_peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        probes_now.fetch_sub(1, Ordering::SeqCst);
                    }
                    let roll = rng.random_range(0..100);
                    let moved = if roll < 5 {
                        tally.dropped.fetch_add(1, Ordering::Relaxed);
                        drop(permit);
                        None
                    } else if roll < 40 {
                        tally.failures.fetch_add(1, Ordering::Relaxed);
                        permit.failure()
                    } else {
                        tally.successes.fetch_add(1, Ordering::Relaxed);
                        permit.success()
                    };
                    match moved {
                        Some(CircuitState::Open) => {
                            tally.opened_by_outcome.fetch_add(1, Ordering::Relaxed)
                        }
                        Some(CircuitState::Closed) => {
                            tally.closed_by_outcome.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => 0,
                    };
                }
            });
        }
    });

    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let events = events.lock().unwrap();

    // Probes in flight never exceed the limit.
    assert!(probes_peak.load(Ordering::SeqCst) <= MAX_PROBES as usize);
    assert!(get(&tally.probes_admitted) > 0, "the run reached half-open");

    // Counts add up.
    assert_eq!(get(&tally.attempts), (THREADS * CALLS) as u64);
    assert_eq!(
        get(&tally.admitted) + get(&tally.rejected),
        get(&tally.attempts)
    );
    assert_eq!(
        get(&tally.successes) + get(&tally.failures) + get(&tally.dropped),
        get(&tally.admitted)
    );

    // The event chain is unbroken: nothing lost, nothing doubled.
    let mut state = CircuitState::Closed;
    for t in events.iter() {
        assert_eq!(t.from, state, "event chain broken at {t:?}");
        assert_ne!(t.from, t.to);
        assert_eq!(t.key, "stress");
        state = t.to;
    }
    assert_eq!(breaker.state(), state);
    assert_eq!(
        breaker.snapshot().probes_in_flight,
        0,
        "every probe freed its slot"
    );

    // Every open and every close is exactly one event, caused by one outcome.
    let count = |to: CircuitState| events.iter().filter(|t| t.to == to).count() as u64;
    assert!(
        count(CircuitState::Open) > 10,
        "the run tripped the breaker repeatedly"
    );
    assert!(count(CircuitState::Closed) > 0, "and closed it again");
    assert_eq!(count(CircuitState::Open), get(&tally.opened_by_outcome));
    assert_eq!(count(CircuitState::Closed), get(&tally.closed_by_outcome));
    let half_opens = count(CircuitState::HalfOpen);
    let leaves_half_open = events
        .iter()
        .filter(|t| t.from == CircuitState::HalfOpen)
        .count() as u64;
    assert!(
        half_opens == leaves_half_open
            || (half_opens == leaves_half_open + 1 && state == CircuitState::HalfOpen)
    );
}

#[test]
fn concurrent_failures_open_the_breaker_exactly_once() {
    let clock = ManualClock::new();
    let breaker = Breaker::with_clock("race", BreakerConfig::default(), Arc::new(clock)).unwrap();
    let events = recorder(&breaker);
    for round in 0..50 {
        let opened = AtomicU64::new(0);
        let start = Barrier::new(THREADS);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    let permit = breaker.try_acquire().expect("closed");
                    start.wait();
                    if permit.failure() == Some(CircuitState::Open) {
                        opened.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(opened.load(Ordering::SeqCst), 1, "round {round}");
        assert_eq!(breaker.state(), CircuitState::Open);
        breaker.reset();
    }
    let events = events.lock().unwrap();
    let opens = events.iter().filter(|t| t.to == CircuitState::Open).count();
    assert_eq!(opens, 50);
    assert!(events
        .iter()
        .filter(|t| t.to == CircuitState::Open)
        .all(|t| t.failure_count >= 5));
}
