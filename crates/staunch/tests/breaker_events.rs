//! Transition events: observers get every one with its details. (Their
//! log lines are checked in `breaker_logging.rs`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use staunch::breaker::{Breaker, BreakerConfig, BreakerObserver, CircuitState, Transition};
use staunch::clock::{Clock, ManualClock};

#[derive(Default)]
struct Collect(Mutex<Vec<Transition>>);

impl BreakerObserver for Collect {
    fn on_transition(&self, transition: &Transition) {
        self.0.lock().unwrap().push(transition.clone());
    }
}

#[test]
fn every_transition_reaches_observers_with_key_time_count_and_reason() {
    let clock = ManualClock::new();
    let config = BreakerConfig::default().with_open_duration(Duration::from_secs(10));
    let breaker = Breaker::with_clock("provider-b", config, Arc::new(clock.clone())).unwrap();
    let seen = Arc::new(Collect::default());
    breaker.add_observer(seen.clone());
    let opened_at = clock.system_now();
    for _ in 0..5 {
        let _ = breaker.call(|| Err::<(), _>("503"));
    }
    clock.advance(Duration::from_secs(10));
    assert_eq!(breaker.call(|| Ok::<_, ()>(())), Ok(()));
    breaker.isolate();
    breaker.reset();

    let seen = seen.0.lock().unwrap();
    let path: Vec<_> = seen.iter().map(|t| (t.from, t.to)).collect();
    use CircuitState::*;
    assert_eq!(
        path,
        [
            (Closed, Open),
            (Open, HalfOpen),
            (HalfOpen, Closed),
            (Closed, Isolated),
            (Isolated, Closed)
        ]
    );
    let open = &seen[0];
    assert_eq!(open.key, "provider-b");
    assert_eq!(open.at, opened_at);
    assert_eq!(open.failure_count, 5);
    assert_eq!(open.reason, "failure_threshold: 5 failures within 60s");
    assert_eq!(seen[1].at, opened_at + Duration::from_secs(10));
    assert_eq!(seen[1].reason, "open duration elapsed");
    assert_eq!(seen[2].reason, "probe succeeded");
    assert_eq!(seen[3].reason, "isolated by hand");
    assert_eq!(seen[4].reason, "reset by hand");
}

#[test]
fn resetting_a_closed_breaker_sends_no_event() {
    let breaker = Breaker::new("quiet", BreakerConfig::default()).unwrap();
    let seen = Arc::new(Collect::default());
    breaker.add_observer(seen.clone());
    breaker.reset();
    breaker.isolate();
    breaker.isolate();
    assert_eq!(
        seen.0.lock().unwrap().len(),
        1,
        "one isolate event, nothing else"
    );
}
