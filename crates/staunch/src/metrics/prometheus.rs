//! Prometheus text exposition of the store's figures, through the
//! `prometheus-client` crate's encoder.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::endpoint::STATES;
use super::layout::{Counts, LATENCY_BUCKETS_SECONDS};
use super::{AttemptOutcome, CallOutcome, MetricsStore};
use crate::breaker::CircuitState;
use crate::budget::{BudgetStats, RetryBudget};

/// The `Content-Type` of [`encode_prometheus`]'s output (OpenMetrics text,
/// which Prometheus scrapes natively).
pub const PROMETHEUS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Renders the store (and optionally a retry budget and the breakers' current
/// states) as Prometheus text.
///
/// Counters count since the store was made, so within the retention they
/// equal [`MetricsStore::summary`]; afterwards they keep growing while the
/// summary forgets. Series (the `_total` suffix is added to counters):
///
/// | metric                                    | labels              |
/// |-------------------------------------------|---------------------|
/// | `staunch_calls_total`                     | `endpoint`, `outcome` ([`CallOutcome`]) |
/// | `staunch_attempts_total`                  | `endpoint`, `outcome` ([`AttemptOutcome`], unsent ones included) |
/// | `staunch_retries_total`                   | `endpoint`          |
/// | `staunch_successes_by_attempt_total`      | `endpoint`, `attempt` (`1`..`10`, `more`) |
/// | `staunch_attempt_duration_seconds`        | `endpoint` (histogram of sent attempts) |
/// | `staunch_breaker_transitions_total`       | `endpoint`, `to`    |
/// | `staunch_breaker_state`                   | `endpoint`, `state` (1 for the current state, else 0) |
/// | `staunch_budget_{deposits,withdrawals,denied}_total`, `staunch_budget_available` | none |
/// | `staunch_metrics_store_bytes`             | none                |
///
/// Label cardinality is bounded: endpoints by
/// [`MetricsConfig::max_endpoints`](super::MetricsConfig::max_endpoints),
/// outcomes and states by their enums; `breakers` is the caller's (pass the
/// registry's snapshot).
///
/// ```
/// use staunch::breaker::CircuitState;
/// use staunch::metrics::{encode_prometheus, MetricsStore};
///
/// let store = MetricsStore::default();
/// let text = encode_prometheus(&store, None, [("proxy-1", CircuitState::Open)]);
/// assert!(text.contains(r#"staunch_breaker_state{endpoint="proxy-1",state="open"} 1"#));
/// ```
pub fn encode_prometheus<K: AsRef<str>>(
    store: &MetricsStore,
    budget: Option<&RetryBudget>,
    breakers: impl IntoIterator<Item = (K, CircuitState)>,
) -> String {
    let endpoints = store
        .index
        .slots()
        .map(|slot| EndpointFigures {
            label: escape(slot.name()),
            counts: slot.view().lifetime(),
            transitions: slot.transitions(),
        })
        .collect();
    let exposition = Exposition {
        endpoints,
        breakers: breakers
            .into_iter()
            .map(|(key, state)| (escape(key.as_ref()), state))
            .collect(),
        budget: budget.map(RetryBudget::stats),
        store_bytes: store.memory_bytes(),
    };
    let mut registry = Registry::default();
    registry.register_collector(Box::new(exposition));
    let mut text = String::new();
    // Writing to a String cannot fail, and the collector never errs.
    let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
    text
}

/// Escapes a label value as the text format wants it.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug)]
struct EndpointFigures {
    label: String,
    counts: Counts,
    transitions: [u64; 4],
}

/// A snapshot, owned, as the registry wants collectors to be.
#[derive(Debug)]
struct Exposition {
    endpoints: Vec<EndpointFigures>,
    breakers: Vec<(String, CircuitState)>,
    budget: Option<BudgetStats>,
    store_bytes: usize,
}

type Labels<'a> = [(&'a str, &'a str); 2];

impl Exposition {
    fn counters<'a>(
        encoder: &mut DescriptorEncoder<'_>,
        name: &str,
        help: &str,
        series: impl Iterator<Item = (Labels<'a>, u64)>,
    ) -> fmt::Result {
        let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for (labels, value) in series {
            metric
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, u64>(&value, None)?;
        }
        Ok(())
    }

    fn endpoint_counters(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        Self::counters(
            encoder,
            "staunch_calls",
            "Finished calls by endpoint of the last attempt and outcome.",
            self.endpoints.iter().flat_map(|e| {
                CallOutcome::ALL.iter().map(move |&o| {
                    let value = e.counts.fields[super::layout::CALLS + o.index()];
                    (
                        [("endpoint", e.label.as_str()), ("outcome", o.as_str())],
                        value,
                    )
                })
            }),
        )?;
        Self::counters(
            encoder,
            "staunch_attempts",
            "Attempts by endpoint and outcome; rejected and budget_denied were not sent.",
            self.endpoints.iter().flat_map(|e| {
                AttemptOutcome::ALL.iter().map(move |&o| {
                    let labels = [("endpoint", e.label.as_str()), ("outcome", o.as_str())];
                    (labels, e.counts.of_outcome(o))
                })
            }),
        )?;
        let mut metric = encoder.encode_descriptor(
            "staunch_retries",
            "Sent attempts after the first, by endpoint.",
            None,
            MetricType::Counter,
        )?;
        for e in &self.endpoints {
            metric
                .encode_family(&[("endpoint", e.label.as_str())])?
                .encode_counter::<NoLabelSet, _, u64>(
                    &e.counts.fields[super::layout::RETRIES],
                    None,
                )?;
        }
        const ATTEMPTS: [&str; 11] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "more"];
        Self::counters(
            encoder,
            "staunch_successes_by_attempt",
            "Successful attempts by endpoint and attempt number.",
            self.endpoints.iter().flat_map(|e| {
                ATTEMPTS.iter().enumerate().map(move |(i, &attempt)| {
                    let value = e.counts.fields[super::layout::SUCCESS + i];
                    (
                        [("endpoint", e.label.as_str()), ("attempt", attempt)],
                        value,
                    )
                })
            }),
        )
    }

    fn histograms(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let mut metric = encoder.encode_descriptor(
            "staunch_attempt_duration_seconds",
            "Latency of sent attempts by endpoint.",
            None,
            MetricType::Histogram,
        )?;
        for e in &self.endpoints {
            let histogram = e.counts.histogram();
            let buckets: Vec<(f64, u64)> = LATENCY_BUCKETS_SECONDS
                .iter()
                .copied()
                .chain([f64::MAX])
                .zip(histogram.iter().copied())
                .collect();
            metric
                .encode_family(&[("endpoint", e.label.as_str())])?
                .encode_histogram::<NoLabelSet>(
                    e.counts.latency_nanos as f64 / 1e9,
                    e.counts.sent(),
                    &buckets,
                    None,
                )?;
        }
        Ok(())
    }

    fn breakers(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        Self::counters(
            encoder,
            "staunch_breaker_transitions",
            "Circuit breaker transitions by key and state entered.",
            self.endpoints
                .iter()
                .filter(|e| e.transitions.iter().any(|&n| n > 0))
                .flat_map(|e| {
                    STATES.iter().zip(e.transitions).map(move |(state, n)| {
                        ([("endpoint", e.label.as_str()), ("to", state.as_str())], n)
                    })
                }),
        )?;
        let mut metric = encoder.encode_descriptor(
            "staunch_breaker_state",
            "Current circuit breaker state by key: 1 for the state it is in.",
            None,
            MetricType::Gauge,
        )?;
        for (key, current) in &self.breakers {
            for state in STATES {
                metric
                    .encode_family(&[("endpoint", key.as_str()), ("state", state.as_str())])?
                    .encode_gauge(&u64::from(state == *current))?;
            }
        }
        Ok(())
    }

    fn budget(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let Some(stats) = self.budget else {
            return Ok(());
        };
        for (name, help, value) in [
            (
                "staunch_budget_deposits",
                "Requests deposited in the retry budget.",
                stats.deposited,
            ),
            (
                "staunch_budget_withdrawals",
                "Retries the budget allowed.",
                stats.withdrawn,
            ),
            (
                "staunch_budget_denied",
                "Retries the budget refused.",
                stats.denied,
            ),
        ] {
            encoder
                .encode_descriptor(name, help, None, MetricType::Counter)?
                .encode_counter::<NoLabelSet, _, u64>(&value, None)?;
        }
        encoder
            .encode_descriptor(
                "staunch_budget_available",
                "Retries the budget would allow right now.",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&stats.available)
    }
}

impl Collector for Exposition {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        self.endpoint_counters(&mut encoder)?;
        self.histograms(&mut encoder)?;
        self.breakers(&mut encoder)?;
        self.budget(&mut encoder)?;
        encoder
            .encode_descriptor(
                "staunch_metrics_store_bytes",
                "Memory held by the metrics store.",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&(self.store_bytes as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("line\nbreak"), "line\\nbreak");
    }
}
