use std::fmt;
use std::sync::Arc;

use super::events::EventLog;
use super::index::EndpointIndex;
use super::layout::Delta;
use super::time::minute_of;
use super::{AttemptRecord, CallRecord, MetricsConfig, MetricsSink};
use crate::breaker::Transition;
use crate::clock::{Clock, SystemClock};
use crate::config::ConfigError;

/// The built-in metrics store: per-minute figures per endpoint for the
/// retention period (default 24 h), and the latest breaker transitions.
///
/// Every endpoint gets a ring of one bucket per minute of retention plus a
/// ring of hourly sums, allocated when the endpoint is first seen; so memory
/// is fixed by retention × endpoints (see [`memory_bytes`](Self::memory_bytes))
/// and never grows with the request rate. Endpoints beyond
/// [`MetricsConfig::max_endpoints`] share the [`OTHER_ENDPOINT`] row;
/// records without an endpoint go to [`NO_ENDPOINT`].
///
/// Recording takes no lock: the endpoint is found in a lock-free table and
/// the current minute's counters are atomics. The first record of a new
/// minute takes the endpoint's lock once to move the finished minute into
/// the rings. A record is filed under the minute of its own `at`.
///
/// Queries read the store's clock for "now" and look at the last N hours as
/// the last N × 60 minutes, the current one included; see
/// [`summary`](Self::summary), [`timeseries`](Self::timeseries),
/// [`by_endpoint`](Self::by_endpoint), [`breaker_events`](Self::breaker_events)
/// and [`encode_prometheus`](super::encode_prometheus).
///
/// ```
/// use staunch::metrics::{AttemptOutcome, AttemptRecord, MetricsStore};
/// use std::time::SystemTime;
///
/// let store = MetricsStore::default();
/// let now = SystemTime::now();
/// store.record_attempt(&AttemptRecord::new(1, 1, AttemptOutcome::RetryableFailure, now));
/// store.record_attempt(&AttemptRecord::new(1, 2, AttemptOutcome::Success, now));
///
/// let summary = store.summary();
/// assert_eq!(summary.totals.retries, 1);
/// assert_eq!(summary.totals.successes_by_attempt.at(2), 1);
/// ```
///
/// [`OTHER_ENDPOINT`]: super::OTHER_ENDPOINT
/// [`NO_ENDPOINT`]: super::NO_ENDPOINT
pub struct MetricsStore {
    pub(super) config: MetricsConfig,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) index: EndpointIndex,
    pub(super) events: EventLog,
}

impl MetricsStore {
    /// A store on the real clock. Fails when `config` is out of range.
    pub fn new(config: MetricsConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, SystemClock)
    }

    /// A store whose queries read "now" from `clock` (a
    /// [`ManualClock`](crate::clock::ManualClock) in tests).
    pub fn with_clock(
        config: MetricsConfig,
        clock: impl Clock + 'static,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::build(config, Arc::new(clock)))
    }

    fn build(config: MetricsConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            index: EndpointIndex::new(config.max_endpoints, config.retention_hours()),
            events: EventLog::new(config.max_breaker_events),
            config,
            clock,
        }
    }

    /// The settings this store runs with.
    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    /// Counts one attempt.
    #[inline]
    pub fn record_attempt(&self, record: &AttemptRecord) {
        let delta = Delta::attempt(record);
        self.index
            .get(record.endpoint.as_ref())
            .record(minute_of(record.at), &delta);
    }

    /// Counts one finished call, under the endpoint of its last attempt.
    pub fn record_call(&self, record: &CallRecord) {
        let delta = Delta::call(record);
        self.index
            .get(record.endpoint.as_ref())
            .record(minute_of(record.at), &delta);
    }

    /// Keeps one breaker transition in the event log and counts it for the
    /// endpoint named by its key.
    pub fn record_transition(&self, transition: &Transition) {
        self.index
            .get_by_name(&transition.key)
            .record_transition(transition.to);
        let expire_before = self
            .clock
            .system_now()
            .checked_sub(self.config.retention)
            .unwrap_or(std::time::UNIX_EPOCH);
        self.events.push(transition, expire_before);
    }

    /// Endpoints with figures, the no-endpoint and overflow rows included.
    pub fn endpoint_count(&self) -> usize {
        self.index.slots().count()
    }

    /// Bytes this store holds: its rings, tables and event log. Grows only
    /// when a new endpoint is seen (up to the limit) and while the event log
    /// fills up to its capacity; never with the request rate.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.index.memory_bytes() + self.events.memory_bytes()
    }
}

impl Default for MetricsStore {
    /// A store with [`MetricsConfig::DEFAULT`] on the real clock.
    fn default() -> Self {
        Self::build(MetricsConfig::DEFAULT, Arc::new(SystemClock))
    }
}

impl fmt::Debug for MetricsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsStore")
            .field("config", &self.config)
            .field("endpoints", &self.endpoint_count())
            .finish_non_exhaustive()
    }
}

impl MetricsSink for MetricsStore {
    #[inline]
    fn record_attempt(&self, record: &AttemptRecord) {
        MetricsStore::record_attempt(self, record);
    }

    fn record_call(&self, record: &CallRecord) {
        MetricsStore::record_call(self, record);
    }

    fn record_transition(&self, transition: &Transition) {
        MetricsStore::record_transition(self, transition);
    }
}
