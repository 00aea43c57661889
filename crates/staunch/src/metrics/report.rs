//! What queries return: serde structs that become the admin API's JSON.

use super::Totals;
use crate::breaker::CircuitState;

/// Totals over the whole retention.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// The store's retention, in hours; the summary covers all of it.
    pub retention_hours: u32,
    /// Start of the window (RFC 3339, UTC).
    pub from: String,
    /// End of the window: now.
    pub to: String,
    /// The figures.
    #[serde(flatten)]
    pub totals: Totals,
    /// Breaker transitions in the window still in the event log.
    pub breaker_events: u64,
    /// Endpoints with figures, the no-endpoint and overflow rows included.
    pub endpoints: usize,
    /// Records that arrived after their minute had left the retention.
    pub late_records_dropped: u64,
}

/// One clock hour (UTC) of a [`TimeSeries`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct HourPoint {
    /// Start of the hour (RFC 3339).
    pub start: String,
    /// Start of the hour, seconds since the Unix epoch.
    pub start_unix: u64,
    /// The figures of the part of this hour inside the window.
    #[serde(flatten)]
    pub totals: Totals,
}

/// Hourly figures for the last N hours.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct TimeSeries {
    /// The hours asked for.
    pub hours: u32,
    /// Start of the window (RFC 3339).
    pub from: String,
    /// End of the window: now.
    pub to: String,
    /// Oldest first; the first and last hours may be partial.
    pub points: Vec<HourPoint>,
}

/// One endpoint's figures over a window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct EndpointStats {
    /// The endpoint id, or `(none)` / `(other)`.
    pub endpoint: String,
    /// The figures.
    #[serde(flatten)]
    pub totals: Totals,
}

/// Per-endpoint figures for the last N hours.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct EndpointBreakdown {
    /// The hours asked for.
    pub hours: u32,
    /// Start of the window (RFC 3339).
    pub from: String,
    /// End of the window: now.
    pub to: String,
    /// Every endpoint the store knows, by id.
    pub endpoints: Vec<EndpointStats>,
}

/// One breaker transition as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BreakerEvent {
    /// The breaker's key.
    pub key: String,
    /// State before.
    pub from: CircuitState,
    /// State after.
    pub to: CircuitState,
    /// When (RFC 3339).
    pub at: String,
    /// When, milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Failures counted when it happened.
    pub failure_count: u64,
    /// Why.
    pub reason: String,
}

/// Breaker transitions of the last N hours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BreakerEvents {
    /// The hours asked for.
    pub hours: u32,
    /// Start of the window (RFC 3339).
    pub from: String,
    /// End of the window: now.
    pub to: String,
    /// How many events the window holds.
    pub total: usize,
    /// Events dropped since the start because the log was full.
    pub dropped: u64,
    /// Oldest first.
    pub events: Vec<BreakerEvent>,
}
