//! Transition events: observers get every one with its details, and
//! `tracing` logs them with `[CIRCUIT]`, opening at WARN and closing at INFO.

use std::io::Write;
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

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn transitions_are_logged_with_circuit_tag_opening_at_warn_and_closing_at_info() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let clock = ManualClock::new();
    let config = BreakerConfig::default().with_consecutive_failures(1);
    let breaker = Breaker::with_clock("uploads", config, Arc::new(clock.clone())).unwrap();
    tracing::subscriber::with_default(subscriber, || {
        let _ = breaker.call(|| Err::<(), _>("boom"));
        clock.advance(Duration::from_secs(30));
        let _ = breaker.call(|| Ok::<_, ()>(()));
    });
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("[CIRCUIT]") && l.contains("uploads")),
        "{text}"
    );
    assert!(
        lines[0].contains("WARN") && lines[0].contains("closed -> open"),
        "{text}"
    );
    assert!(lines[0].contains("failure_count=1"), "{text}");
    assert!(
        lines[1].contains("INFO") && lines[1].contains("open -> half_open"),
        "{text}"
    );
    assert!(
        lines[2].contains("INFO") && lines[2].contains("half_open -> closed"),
        "{text}"
    );
}
