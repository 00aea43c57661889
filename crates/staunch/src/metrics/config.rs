use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{serde_duration, ConfigError};

/// The longest retention, and the longest window a query may ask for: one
/// week, in hours.
pub const MAX_HOURS: u32 = 168;

/// The most endpoints a store keeps apart; beyond, records go to
/// [`OTHER_ENDPOINT`](super::OTHER_ENDPOINT).
pub const MAX_ENDPOINTS: usize = 10_000;

/// The largest breaker event log.
pub const MAX_BREAKER_EVENTS: usize = 1_000_000;

/// Settings of a [`MetricsStore`](super::MetricsStore); section `metrics` of
/// the configuration file.
///
/// | field                | default | allowed                         |
/// |----------------------|---------|---------------------------------|
/// | `retention`          | `"24h"` | whole hours from 1 h to 168 h   |
/// | `max_endpoints`      | `64`    | 1 to 10 000                     |
/// | `max_breaker_events` | `4096`  | 1 to 1 000 000                  |
///
/// Memory is fixed by `retention` × endpoints seen (at most
/// `max_endpoints` + 2: records without an endpoint and the overflow have
/// their own rows), never by the request rate.
///
/// ```
/// use staunch::metrics::MetricsConfig;
/// use std::time::Duration;
///
/// let config: MetricsConfig = toml::from_str("retention = \"48h\"").unwrap();
/// assert_eq!(config.retention, Duration::from_secs(48 * 3600));
/// assert!(config.validate().is_ok());
///
/// let err = MetricsConfig::default().with_retention_hours(169).validate().unwrap_err();
/// assert_eq!(err.field(), Some("metrics.retention"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// How long per-minute figures are kept. Default 24 h.
    #[serde(with = "serde_duration")]
    pub retention: Duration,
    /// How many endpoints get their own figures. Default 64.
    pub max_endpoints: usize,
    /// How many breaker transitions are kept; the oldest go first. The log
    /// is allocated up front (about 200 bytes an event; keys are cut to 64
    /// bytes, reasons to 96). Default 4096.
    pub max_breaker_events: usize,
}

impl MetricsConfig {
    /// The defaults: 24 h retention, 64 endpoints, 4096 breaker events.
    pub const DEFAULT: Self = Self {
        retention: Duration::from_secs(24 * 3600),
        max_endpoints: 64,
        max_breaker_events: 4096,
    };

    /// Sets [`retention`](Self::retention).
    #[must_use]
    pub const fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Sets [`retention`](Self::retention) in hours.
    #[must_use]
    pub const fn with_retention_hours(mut self, hours: u32) -> Self {
        self.retention = Duration::from_secs(hours as u64 * 3600);
        self
    }

    /// Sets [`max_endpoints`](Self::max_endpoints).
    #[must_use]
    pub const fn with_max_endpoints(mut self, max: usize) -> Self {
        self.max_endpoints = max;
        self
    }

    /// Sets [`max_breaker_events`](Self::max_breaker_events).
    #[must_use]
    pub const fn with_max_breaker_events(mut self, max: usize) -> Self {
        self.max_breaker_events = max;
        self
    }

    /// Checks every field, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let secs = self.retention.as_secs();
        let whole_hours = self.retention.subsec_nanos() == 0 && secs % 3600 == 0;
        if !whole_hours || !(1..=u64::from(MAX_HOURS)).contains(&(secs / 3600)) {
            let shown = if whole_hours {
                format!("{}h", secs / 3600)
            } else {
                crate::config::format_duration(self.retention)
            };
            return Err(ConfigError::invalid(
                "metrics.retention",
                shown,
                "a whole number of hours from 1h to 168h",
            ));
        }
        if !(1..=MAX_ENDPOINTS).contains(&self.max_endpoints) {
            return Err(ConfigError::invalid(
                "metrics.max_endpoints",
                self.max_endpoints,
                "an integer from 1 to 10000",
            ));
        }
        if !(1..=MAX_BREAKER_EVENTS).contains(&self.max_breaker_events) {
            return Err(ConfigError::invalid(
                "metrics.max_breaker_events",
                self.max_breaker_events,
                "an integer from 1 to 1000000",
            ));
        }
        Ok(())
    }

    /// Retention in whole hours (valid once [`validate`](Self::validate)
    /// passed).
    pub fn retention_hours(&self) -> u32 {
        u32::try_from(self.retention.as_secs() / 3600).unwrap_or(MAX_HOURS)
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Checks the `hours` of a query: 1 to 168.
pub(crate) fn check_hours(hours: u32) -> Result<u32, ConfigError> {
    if (1..=MAX_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(ConfigError::invalid(
            "hours",
            hours,
            "an integer from 1 to 168",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_must_be_whole_hours_within_a_week() {
        for bad in [
            Duration::ZERO,
            Duration::from_secs(1800),
            Duration::from_secs(3601),
            Duration::from_secs(169 * 3600),
        ] {
            let err = MetricsConfig::default()
                .with_retention(bad)
                .validate()
                .unwrap_err();
            assert_eq!(err.field(), Some("metrics.retention"), "{bad:?}");
            assert!(err.to_string().contains("1h to 168h"), "{err}");
        }
        for good in [1, 24, 168] {
            assert!(MetricsConfig::default()
                .with_retention_hours(good)
                .validate()
                .is_ok());
        }
    }

    #[test]
    fn endpoint_and_event_limits_are_checked() {
        let err = MetricsConfig::default()
            .with_max_endpoints(0)
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("metrics.max_endpoints"));
        let err = MetricsConfig::default()
            .with_max_breaker_events(MAX_BREAKER_EVENTS + 1)
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("metrics.max_breaker_events"));
    }

    #[test]
    fn hours_outside_one_to_168_are_refused() {
        for bad in [0, 169, u32::MAX] {
            let err = check_hours(bad).unwrap_err();
            assert_eq!(err.field(), Some("hours"));
            assert!(err.to_string().contains(&bad.to_string()), "{err}");
            assert!(err.to_string().contains("1 to 168"), "{err}");
        }
        assert_eq!(check_hours(1).unwrap(), 1);
        assert_eq!(check_hours(168).unwrap(), 168);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<MetricsConfig>("retension = \"24h\"").unwrap_err();
        assert!(err.to_string().contains("retension"), "{err}");
    }
}
