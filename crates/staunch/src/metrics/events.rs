//! The breaker event log: the latest transitions, capped, oldest dropped.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::breaker::{CircuitState, Transition};

/// Keys and reasons longer than this are cut (at a character boundary), so
/// the log's size is fixed by its capacity.
pub(crate) const MAX_TEXT: usize = 128;

fn cut(text: &str) -> Box<str> {
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].into()
}

/// One kept transition.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub(crate) key: Box<str>,
    pub(crate) from: CircuitState,
    pub(crate) to: CircuitState,
    pub(crate) at: SystemTime,
    pub(crate) failure_count: u64,
    pub(crate) reason: Box<str>,
}

#[derive(Debug, Default)]
pub(crate) struct Ring {
    events: VecDeque<StoredEvent>,
    text_bytes: usize,
    dropped: u64,
}

impl Ring {
    /// Events oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &StoredEvent> {
        self.events.iter()
    }

    /// Events dropped because the log was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    fn pop_oldest(&mut self) {
        if let Some(old) = self.events.pop_front() {
            self.text_bytes -= old.key.len() + old.reason.len();
        }
    }
}

#[derive(Debug)]
pub(crate) struct EventLog {
    ring: Mutex<Ring>,
    capacity: usize,
}

impl EventLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            ring: Mutex::new(Ring::default()),
            capacity,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `transition`, dropping the oldest events when full and those
    /// older than `expire_before`.
    pub(crate) fn push(&self, transition: &Transition, expire_before: SystemTime) {
        let event = StoredEvent {
            key: cut(&transition.key),
            from: transition.from,
            to: transition.to,
            at: transition.at,
            failure_count: transition.failure_count,
            reason: cut(&transition.reason),
        };
        let mut ring = self.lock();
        while ring.events.front().is_some_and(|e| e.at < expire_before) {
            ring.pop_oldest();
        }
        if ring.events.len() == self.capacity {
            ring.pop_oldest();
            ring.dropped += 1;
        }
        ring.text_bytes += event.key.len() + event.reason.len();
        ring.events.push_back(event);
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        let ring = self.lock();
        ring.events.capacity() * std::mem::size_of::<StoredEvent>() + ring.text_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn transition(key: &str, secs: u64) -> Transition {
        Transition {
            key: key.into(),
            from: CircuitState::Closed,
            to: CircuitState::Open,
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            failure_count: 5,
            reason: "failure threshold".into(),
        }
    }

    #[test]
    fn full_log_drops_oldest() {
        let log = EventLog::new(3);
        for i in 0..5 {
            log.push(
                &transition(&format!("k{i}"), 100 + i),
                SystemTime::UNIX_EPOCH,
            );
        }
        let ring = log.lock();
        let keys: Vec<_> = ring.iter().map(|e| e.key.to_string()).collect();
        assert_eq!(keys, ["k2", "k3", "k4"]);
        assert_eq!(ring.dropped(), 2);
    }

    #[test]
    fn expired_events_leave_on_push() {
        let log = EventLog::new(10);
        log.push(&transition("old", 10), SystemTime::UNIX_EPOCH);
        log.push(
            &transition("new", 500),
            SystemTime::UNIX_EPOCH + Duration::from_secs(100),
        );
        let ring = log.lock();
        assert_eq!(ring.iter().count(), 1);
        assert_eq!(ring.dropped(), 0, "expiry is not a drop");
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let key = "é".repeat(100);
        let cut = cut(&key);
        assert!(cut.len() <= MAX_TEXT);
        assert!(key.starts_with(&*cut));
    }

    #[test]
    fn memory_is_bounded_by_capacity() {
        let log = EventLog::new(4);
        let long = "x".repeat(1000);
        for i in 0..100 {
            log.push(&transition(&long, i), SystemTime::UNIX_EPOCH);
        }
        let per_event = std::mem::size_of::<StoredEvent>() + 2 * MAX_TEXT;
        assert!(
            log.memory_bytes() <= 8 * per_event,
            "{}",
            log.memory_bytes()
        );
    }
}
