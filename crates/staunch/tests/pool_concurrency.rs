//! Adding and removing endpoints while other threads select.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, NoEndpoint, Pool, SelectContext, StrategyKind};

#[test]
fn add_and_remove_while_other_threads_select() {
    let pool: Pool<u32> = Pool::builder()
        .with_endpoints((0..8).map(|i| Endpoint::new(format!("ep-{i}"), i)))
        .with_endpoint(Endpoint::new("victim", 999))
        .with_clock(ManualClock::new())
        .build()
        .unwrap();
    let removed = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let selections = AtomicUsize::new(0);
    let kinds = [
        StrategyKind::RoundRobin,
        StrategyKind::Weighted,
        StrategyKind::P2c,
        StrategyKind::Performance,
        StrategyKind::LeastInFlight,
    ];
    std::thread::scope(|scope| {
        for (t, kind) in kinds.iter().enumerate() {
            let (pool, removed, stop, selections) = (&pool, &removed, &stop, &selections);
            scope.spawn(move || {
                let strategy = kind.build::<u32>();
                let mut ctx = SelectContext::seeded(t as u64);
                let mut local = 0;
                while !stop.load(Ordering::Acquire) || local < 1_000 {
                    let victim_gone = removed.load(Ordering::Acquire);
                    match pool.select(&strategy, &mut ctx) {
                        Ok(chosen) => {
                            if victim_gone {
                                assert_ne!(chosen.id(), "victim", "{kind:?}");
                            }
                            chosen.begin().success();
                        }
                        Err(NoEndpoint::Empty) => {}
                        Err(other) => panic!("{kind:?}: {other}"),
                    }
                    local += 1;
                }
                selections.fetch_add(local, Ordering::Relaxed);
            });
        }
        // Churn while the selectors run, then remove the victim for good.
        for round in 0..300 {
            let id = format!("tmp-{round}");
            pool.add(Endpoint::new(id.as_str(), 1000 + round)).unwrap();
            if round % 3 == 0 {
                pool.remove(&format!("ep-{}", round % 8));
                pool.add(Endpoint::new(format!("ep-{}", round % 8), round % 8))
                    .unwrap();
            }
            assert!(pool.remove(&id).is_some());
            if round == 150 {
                assert!(pool.remove("victim").is_some());
                removed.store(true, Ordering::Release);
            }
        }
        stop.store(true, Ordering::Release);
    });
    assert!(selections.load(Ordering::Relaxed) >= 5_000);
    assert!(!pool.contains("victim"));
    assert_eq!(pool.len(), 8);
    assert!(pool.entries().iter().all(|e| e.stats().in_flight() == 0));
}

#[test]
fn concurrent_adds_of_the_same_id_admit_exactly_one() {
    let pool: Pool<u32> = Pool::builder().allow_empty().build().unwrap();
    let admitted = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (pool, admitted) = (&pool, &admitted);
            scope.spawn(move || {
                for i in 0..200 {
                    if pool.add(Endpoint::new(format!("ep-{i}"), t)).is_ok() {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.load(Ordering::Relaxed), 200);
    assert_eq!(pool.len(), 200);
}

#[test]
fn pool_types_can_cross_threads_and_await_points() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Pool<String>>();
    send_sync::<staunch::pool::Selected<String>>();
    send_sync::<staunch::pool::InFlight<String>>();
    send_sync::<Box<dyn staunch::pool::Strategy<String>>>();
    send::<SelectContext<'static, String>>();
    let pool = Pool::new([Endpoint::new("a", 1u32)]).unwrap();
    let ids = pool.with_entries(|entries| {
        entries
            .iter()
            .map(|e| e.id().to_owned())
            .collect::<Vec<_>>()
    });
    assert_eq!(ids, ["a"]);
}
