//! Breaker transitions in the logs: `[CIRCUIT]`, opening at WARN and
//! closing at INFO.
//!
//! Alone in its test binary: `tracing` caches per call site whether any
//! subscriber wants its events, process-wide, and a test running beside
//! this one without a subscriber could have that cache say "nobody" while
//! this test's thread-local subscriber is being installed.

#[path = "support/captured_log.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{Breaker, BreakerConfig};
use staunch::clock::ManualClock;
use support::CapturedLog;

#[test]
fn transitions_are_logged_with_circuit_tag_opening_at_warn_and_closing_at_info() {
    let buffer = CapturedLog::default();
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
    let text = buffer.text();
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
