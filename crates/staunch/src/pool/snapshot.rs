//! Serializable copies of endpoint statistics.

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use super::endpoint::Endpoint;
use super::stats::{EndpointStats, LastError};

/// The statistics of one endpoint at one instant, for APIs and dashboards.
///
/// The address is deliberately absent: proxy addresses may carry credentials.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct EndpointSnapshot {
    /// The endpoint's id.
    pub id: String,
    /// Its weight.
    pub weight: f64,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Attempts in flight.
    pub in_flight: u64,
    /// Smoothed latency in milliseconds, absent before the first outcome.
    pub ewma_latency_ms: Option<f64>,
    /// Success ratio over the last outcomes (0 to 1), absent before the first.
    pub success_ratio: Option<f64>,
    /// How many outcomes `success_ratio` covers (at most 100).
    pub window_len: u32,
    /// Successes since the endpoint joined the pool.
    pub total_successes: u64,
    /// Failures since the endpoint joined the pool.
    pub total_failures: u64,
    /// The most recent failure with a message.
    pub last_error: Option<LastErrorSnapshot>,
}

/// The most recent failure, in serializable form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct LastErrorSnapshot {
    /// The error's message.
    pub message: String,
    /// When it happened, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
}

impl EndpointSnapshot {
    pub(crate) fn of<A>(endpoint: &Endpoint<A>, stats: &EndpointStats) -> Self {
        Self {
            id: endpoint.id().to_owned(),
            weight: endpoint.weight(),
            tags: endpoint
                .tags()
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            in_flight: stats.in_flight(),
            ewma_latency_ms: stats.ewma_latency_secs().map(|s| s * 1000.0),
            success_ratio: stats.success_ratio(),
            window_len: stats.window_len(),
            total_successes: stats.total_successes(),
            total_failures: stats.total_failures(),
            last_error: stats.last_error().map(LastErrorSnapshot::from),
        }
    }
}

impl From<LastError> for LastErrorSnapshot {
    fn from(err: LastError) -> Self {
        let ms = err
            .at
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self {
            message: err.message,
            at_unix_ms: ms,
        }
    }
}
