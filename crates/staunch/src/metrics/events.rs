//! The breaker event log: the latest transitions, capped, oldest dropped.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::breaker::{CircuitState, Transition};

/// Text kept inline, cut to `N` bytes at a character boundary, so that every
/// event has the same size and the log's memory is fixed by its capacity.
#[derive(Clone, Copy)]
pub(crate) struct InlineText<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineText<N> {
    fn new(text: &str) -> Self {
        let mut end = text.len().min(N).min(usize::from(u8::MAX));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0; N];
        bytes[..end].copy_from_slice(&text.as_bytes()[..end]);
        Self {
            len: end as u8,
            bytes,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Always valid: cut at a character boundary of a `str`.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Debug for InlineText<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Longest key kept, in bytes.
pub(crate) const MAX_KEY: usize = 64;
/// Longest reason kept, in bytes.
pub(crate) const MAX_REASON: usize = 96;

/// One kept transition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredEvent {
    pub(crate) key: InlineText<MAX_KEY>,
    pub(crate) reason: InlineText<MAX_REASON>,
    pub(crate) from: CircuitState,
    pub(crate) to: CircuitState,
    pub(crate) at: SystemTime,
    pub(crate) failure_count: u64,
}

#[derive(Debug)]
pub(crate) struct Ring {
    events: VecDeque<StoredEvent>,
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
}

#[derive(Debug)]
pub(crate) struct EventLog {
    ring: Mutex<Ring>,
    capacity: usize,
}

impl EventLog {
    /// A log holding up to `capacity` events, allocated up front.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            ring: Mutex::new(Ring {
                events: VecDeque::with_capacity(capacity),
                dropped: 0,
            }),
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
            key: InlineText::new(&transition.key),
            reason: InlineText::new(&transition.reason),
            from: transition.from,
            to: transition.to,
            at: transition.at,
            failure_count: transition.failure_count,
        };
        let mut ring = self.lock();
        while ring.events.front().is_some_and(|e| e.at < expire_before) {
            ring.events.pop_front();
        }
        if ring.events.len() >= self.capacity {
            ring.events.pop_front();
            ring.dropped += 1;
        }
        ring.events.push_back(event);
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.lock().events.capacity() * std::mem::size_of::<StoredEvent>()
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
        let keys: Vec<_> = ring.iter().map(|e| e.key.as_str()).collect();
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
        let cut = InlineText::<MAX_KEY>::new(&key);
        assert_eq!(cut.as_str().len(), MAX_KEY);
        assert!(key.starts_with(cut.as_str()));
        let odd = InlineText::<5>::new("ééé");
        assert_eq!(odd.as_str(), "éé");
    }

    #[test]
    fn memory_is_fixed_by_capacity() {
        let log = EventLog::new(4);
        let before = log.memory_bytes();
        let long = "x".repeat(1000);
        for i in 0..100 {
            log.push(&transition(&long, i), SystemTime::UNIX_EPOCH);
        }
        assert_eq!(log.memory_bytes(), before);
        assert!(before >= 4 * std::mem::size_of::<StoredEvent>());
    }
}
