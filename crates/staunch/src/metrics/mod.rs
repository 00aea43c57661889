//! Metrics: every attempt, call and breaker transition, kept for a day.
//!
//! The engine reports an [`AttemptRecord`] per attempt (call id, attempt
//! number, endpoint, outcome, status or error kind, delay before it,
//! latency), a [`CallRecord`] per finished call and every breaker
//! [`Transition`](crate::breaker::Transition) to a [`MetricsSink`]. The
//! built-in sink, [`MetricsStore`], keeps per-minute figures per endpoint
//! for its retention (default 24 h, at most 168 h) in memory fixed by
//! retention × endpoints, and answers the admin API's questions:
//! [`summary`](MetricsStore::summary),
//! [`timeseries`](MetricsStore::timeseries),
//! [`by_endpoint`](MetricsStore::by_endpoint),
//! [`breaker_events`](MetricsStore::breaker_events), and Prometheus text
//! through [`encode_prometheus`]. [`FanOut`] sends records to several sinks.
//!
//! Plain retry calls report through a [`MetricsRecorder`] interceptor;
//! breakers report their transitions through a [`SinkObserver`].
//!
//! ```
//! use staunch::clock::{Clock, ManualClock};
//! use staunch::metrics::{AttemptOutcome, AttemptRecord, MetricsConfig, MetricsStore};
//! use std::time::Duration;
//!
//! let clock = ManualClock::new();
//! let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
//! let record = AttemptRecord::new(7, 1, AttemptOutcome::Success, clock.system_now())
//!     .with_endpoint("proxy-1")
//!     .with_latency(Duration::from_millis(40));
//! store.record_attempt(&record);
//!
//! let per_endpoint = store.by_endpoint(24).unwrap();
//! assert_eq!(per_endpoint.endpoints[0].endpoint, "proxy-1");
//! assert_eq!(per_endpoint.endpoints[0].totals.successes, 1);
//! assert!(store.timeseries(0).is_err()); // hours must be 1 to 168
//! ```

mod cold;
mod config;
mod endpoint;
mod events;
mod hot;
mod index;
mod layout;
mod observer;
mod prometheus;
mod query;
mod record;
mod report;
mod retry;
mod sink;
mod store;
mod time;
mod totals;

pub use config::{MetricsConfig, MAX_BREAKER_EVENTS, MAX_ENDPOINTS, MAX_HOURS};
pub use index::{NO_ENDPOINT, OTHER_ENDPOINT};
pub use layout::LATENCY_BUCKETS_SECONDS;
pub use observer::SinkObserver;
pub use prometheus::{encode_prometheus, PROMETHEUS_CONTENT_TYPE};
pub use record::{AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, EndpointId};
pub use report::{
    BreakerEvent, BreakerEvents, EndpointBreakdown, EndpointStats, HourPoint, Summary, TimeSeries,
};
pub use retry::{attempt_outcome, call_outcome, next_call_id, MetricsRecorder};
pub use sink::{FanOut, MetricsSink, NoopSink};
pub use store::MetricsStore;
pub use totals::{CallsByOutcome, FailuresByReason, LatencyStats, SuccessesByAttempt, Totals};
