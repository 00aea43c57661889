//! The store's queries: summary, hourly time series, per-endpoint figures,
//! breaker events.

use std::time::SystemTime;

use super::config::check_hours;
use super::layout::Counts;
use super::report::{
    BreakerEvent, BreakerEvents, EndpointBreakdown, EndpointStats, HourPoint, Summary, TimeSeries,
};
use super::time::{minute_of, minute_start, rfc3339, unix_millis, unix_secs};
use super::totals::Totals;
use super::MetricsStore;
use crate::config::ConfigError;

/// A query window: minutes `from..=to`.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: u32,
    to: u32,
    now: SystemTime,
}

impl Window {
    fn contains(&self, at: SystemTime) -> bool {
        (self.from..=self.to).contains(&minute_of(at))
    }

    fn start_text(&self) -> String {
        rfc3339(minute_start(self.from))
    }
}

impl MetricsStore {
    /// The last `hours` hours (at most the retention), as minutes.
    fn window(&self, hours: u32) -> Window {
        let now = self.clock.system_now();
        let to = minute_of(now);
        let span = hours.min(self.config.retention_hours()) * 60;
        Window {
            from: to.saturating_sub(span - 1),
            to,
            now,
        }
    }

    /// Sum over every endpoint of minutes `from..=to`.
    fn sum_all(&self, from: u32, to: u32) -> Counts {
        let mut total = Counts::ZERO;
        for slot in self.index.slots() {
            slot.view().sum(from, to, &mut total);
        }
        total
    }

    /// Totals over the whole retention, breaker event count included.
    pub fn summary(&self) -> Summary {
        let window = self.window(self.config.retention_hours());
        let mut total = Counts::ZERO;
        let mut endpoints = 0;
        let mut late = 0;
        for slot in self.index.slots() {
            let view = slot.view();
            view.sum(window.from, window.to, &mut total);
            late += view.late_dropped();
            endpoints += 1;
        }
        let breaker_events = self
            .events
            .lock()
            .iter()
            .filter(|e| window.contains(e.at))
            .count() as u64;
        Summary {
            retention_hours: self.config.retention_hours(),
            from: window.start_text(),
            to: rfc3339(window.now),
            totals: Totals::from_counts(&total),
            breaker_events,
            endpoints,
            late_records_dropped: late,
        }
    }

    /// Hourly figures for the last `hours` hours (1 to 168; beyond the
    /// retention there is nothing to show).
    ///
    /// Points are clock hours (UTC), oldest first. The window is exactly the
    /// last `hours` × 60 minutes, so its first hour is usually partial (only
    /// its minutes inside the window count) and its last is the hour in
    /// progress; the points add up to [`by_endpoint`](Self::by_endpoint)
    /// over the same hours.
    pub fn timeseries(&self, hours: u32) -> Result<TimeSeries, ConfigError> {
        let hours = check_hours(hours)?;
        let window = self.window(hours);
        let first_hour = window.from / 60;
        let mut points = vec![Counts::ZERO; (window.to / 60 - first_hour) as usize + 1];
        for slot in self.index.slots() {
            let view = slot.view();
            for (i, point) in points.iter_mut().enumerate() {
                let start = (first_hour + i as u32) * 60;
                view.sum(
                    window.from.max(start),
                    window.to.min(start.saturating_add(59)),
                    point,
                );
            }
        }
        let points = points
            .iter()
            .enumerate()
            .map(|(i, counts)| {
                let start = minute_start((first_hour + i as u32) * 60);
                HourPoint {
                    start: rfc3339(start),
                    start_unix: unix_secs(start),
                    totals: Totals::from_counts(counts),
                }
            })
            .collect();
        Ok(TimeSeries {
            hours,
            from: window.start_text(),
            to: rfc3339(window.now),
            points,
        })
    }

    /// Figures of every endpoint for the last `hours` hours (1 to 168),
    /// sorted by endpoint id.
    pub fn by_endpoint(&self, hours: u32) -> Result<EndpointBreakdown, ConfigError> {
        let hours = check_hours(hours)?;
        let window = self.window(hours);
        let mut endpoints: Vec<EndpointStats> = self
            .index
            .slots()
            .map(|slot| {
                let mut counts = Counts::ZERO;
                slot.view().sum(window.from, window.to, &mut counts);
                EndpointStats {
                    endpoint: slot.name().to_string(),
                    totals: Totals::from_counts(&counts),
                }
            })
            .collect();
        endpoints.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
        Ok(EndpointBreakdown {
            hours,
            from: window.start_text(),
            to: rfc3339(window.now),
            endpoints,
        })
    }

    /// Breaker transitions of the last `hours` hours (1 to 168), oldest
    /// first, as far as the capped event log still holds them.
    pub fn breaker_events(&self, hours: u32) -> Result<BreakerEvents, ConfigError> {
        let hours = check_hours(hours)?;
        let window = self.window(hours);
        let ring = self.events.lock();
        let events: Vec<BreakerEvent> = ring
            .iter()
            .filter(|e| window.contains(e.at))
            .map(|e| BreakerEvent {
                key: e.key.as_str().to_string(),
                from: e.from,
                to: e.to,
                at: rfc3339(e.at),
                at_unix_ms: unix_millis(e.at),
                failure_count: e.failure_count,
                reason: e.reason.as_str().to_string(),
            })
            .collect();
        Ok(BreakerEvents {
            hours,
            from: window.start_text(),
            to: rfc3339(window.now),
            total: events.len(),
            dropped: ring.dropped(),
            events,
        })
    }

    /// Totals of the last `hours` hours (1 to 168) over every endpoint.
    pub fn totals(&self, hours: u32) -> Result<Totals, ConfigError> {
        let window = self.window(check_hours(hours)?);
        Ok(Totals::from_counts(&self.sum_all(window.from, window.to)))
    }
}
