//! Where records go: the [`MetricsSink`] seam.

use std::sync::Arc;

use super::{AttemptRecord, CallRecord};
use crate::breaker::Transition;

/// Receives every attempt, every finished call and every breaker transition.
///
/// The built-in [`MetricsStore`](super::MetricsStore) is one sink; implement
/// this trait to forward records elsewhere (logs, a message queue, another
/// metrics system). Calls come from the request path: keep them short and
/// never block. Only [`record_attempt`](Self::record_attempt) is required.
///
/// ```
/// use staunch::metrics::{AttemptRecord, MetricsSink};
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// #[derive(Default)]
/// struct CountFailures(AtomicU64);
///
/// impl MetricsSink for CountFailures {
///     fn record_attempt(&self, record: &AttemptRecord) {
///         if record.outcome.as_str() != "success" {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
/// ```
pub trait MetricsSink: Send + Sync {
    /// One attempt finished (or was refused before being sent).
    fn record_attempt(&self, record: &AttemptRecord);

    /// One call finished. Does nothing unless overridden.
    fn record_call(&self, record: &CallRecord) {
        let _ = record;
    }

    /// A circuit breaker changed state. Does nothing unless overridden.
    fn record_transition(&self, transition: &Transition) {
        let _ = transition;
    }
}

impl<S: MetricsSink + ?Sized> MetricsSink for Arc<S> {
    fn record_attempt(&self, record: &AttemptRecord) {
        (**self).record_attempt(record);
    }

    fn record_call(&self, record: &CallRecord) {
        (**self).record_call(record);
    }

    fn record_transition(&self, transition: &Transition) {
        (**self).record_transition(transition);
    }
}

impl<S: MetricsSink + ?Sized> MetricsSink for &S {
    fn record_attempt(&self, record: &AttemptRecord) {
        (**self).record_attempt(record);
    }

    fn record_call(&self, record: &CallRecord) {
        (**self).record_call(record);
    }

    fn record_transition(&self, transition: &Transition) {
        (**self).record_transition(transition);
    }
}

/// A sink that drops everything: the default when metrics are off.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopSink;

impl MetricsSink for NoopSink {
    fn record_attempt(&self, _record: &AttemptRecord) {}
}

/// Hands every record to several sinks, in the order they were added.
///
/// ```
/// use staunch::metrics::{FanOut, MetricsStore, NoopSink};
/// use std::sync::Arc;
///
/// let store = Arc::new(MetricsStore::default());
/// let sink = FanOut::new().with(store.clone()).with(NoopSink);
/// assert_eq!(sink.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct FanOut {
    sinks: Vec<Arc<dyn MetricsSink>>,
}

impl FanOut {
    /// A fan-out with no sinks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sink.
    #[must_use]
    pub fn with(mut self, sink: impl MetricsSink + 'static) -> Self {
        self.push(sink);
        self
    }

    /// Adds a sink.
    pub fn push(&mut self, sink: impl MetricsSink + 'static) {
        self.sinks.push(Arc::new(sink));
    }

    /// How many sinks records go to.
    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    /// Whether records go nowhere.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl std::fmt::Debug for FanOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FanOut")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl MetricsSink for FanOut {
    fn record_attempt(&self, record: &AttemptRecord) {
        for sink in &self.sinks {
            sink.record_attempt(record);
        }
    }

    fn record_call(&self, record: &CallRecord) {
        for sink in &self.sinks {
            sink.record_call(record);
        }
    }

    fn record_transition(&self, transition: &Transition) {
        for sink in &self.sinks {
            sink.record_transition(transition);
        }
    }
}
