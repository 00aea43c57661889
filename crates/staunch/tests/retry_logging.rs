//! Retries and giving up in the logs: INFO per retry, WARN when retries
//! run out, each with its fields.
//!
//! Alone in its test binary: `tracing` caches per call site whether any
//! subscriber wants its events, process-wide, and a test running beside
//! this one without a subscriber could have that cache say "nobody" while
//! this test's thread-local subscriber is being installed.

#[path = "support/captured_log.rs"]
mod support;

use std::time::Duration;

use staunch::retry::RetryPolicy;
use support::CapturedLog;

#[test]
fn retries_and_give_up_are_logged_with_their_fields() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let _ = RetryPolicy::default()
            .call(|| Err::<(), _>("connection reset"))
            .sleeper(|_: Duration| {})
            .run();
    });
    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (line, (attempt, delay_ms)) in lines.iter().zip([(1, 1000), (2, 2000)]) {
        assert!(line.contains(" INFO "), "{line}");
        assert!(line.contains(&format!("attempt={attempt}")), "{line}");
        assert!(line.contains("max_attempts=3"), "{line}");
        assert!(line.contains(&format!("delay_ms={delay_ms}")), "{line}");
        assert!(line.contains("error=connection reset"), "{line}");
    }
    assert!(lines[2].contains(" WARN "), "{}", lines[2]);
    assert!(lines[2].contains("attempts=3"), "{}", lines[2]);
    assert!(lines[2].contains("retries exhausted"), "{}", lines[2]);
}
