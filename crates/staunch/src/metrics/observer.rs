//! Breaker transitions into a metrics sink: [`SinkObserver`].

use std::sync::Arc;

use super::MetricsSink;
use crate::breaker::{BreakerObserver, Transition};

/// Sends every transition of the breakers it is attached to into a
/// [`MetricsSink`] (a [`MetricsStore`](super::MetricsStore) keeps them as
/// breaker events and counts them per endpoint, the breaker's key being the
/// endpoint).
///
/// ```
/// use staunch::breaker::{BreakerConfig, BreakerRegistry};
/// use staunch::metrics::{MetricsStore, SinkObserver};
/// use std::sync::Arc;
///
/// let store = Arc::new(MetricsStore::default());
/// let registry = BreakerRegistry::<String>::new(BreakerConfig::default()).unwrap();
/// registry.add_observer(SinkObserver::shared(store.clone()));
/// registry.isolate("proxy-7");
/// assert_eq!(store.breaker_events(1).unwrap().events.len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct SinkObserver<S>(pub S);

impl<S: MetricsSink + 'static> SinkObserver<S> {
    /// The observer, ready for
    /// [`Breaker::add_observer`](crate::breaker::Breaker::add_observer) or
    /// [`BreakerRegistry::add_observer`](crate::breaker::BreakerRegistry::add_observer).
    pub fn shared(sink: S) -> Arc<dyn BreakerObserver> {
        Arc::new(Self(sink))
    }
}

impl<S: MetricsSink> BreakerObserver for SinkObserver<S> {
    fn on_transition(&self, transition: &Transition) {
        self.0.record_transition(transition);
    }
}
