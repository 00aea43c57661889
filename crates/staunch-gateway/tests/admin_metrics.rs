//! `/metrics` after a scripted run: it parses as Prometheus text and its
//! figures are those of `/api/v1/metrics/retries` and the breakers.

mod common;

use std::collections::HashMap;

use common::*;
use prometheus_parse::{Sample, Scrape, Value as PromValue};
use serde_json::Value;
use staunch_gateway::config::{GatewayConfig, RouteConfig};

fn parse(text: &str) -> Vec<Sample> {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    Scrape::parse(lines).expect("exposition parses").samples
}

/// Sums the samples of `metric` whose labels include `filter`.
fn total(samples: &[Sample], metric: &str, filter: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| filter.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            PromValue::Counter(v) | PromValue::Gauge(v) | PromValue::Untyped(v) => *v,
            other => panic!("{metric}: not a number: {other:?}"),
        })
        .sum()
}

fn n(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

#[tokio::test]
async fn prometheus_text_parses_and_matches_the_json_summary() {
    let flaky = Upstream::status(503).await;
    let ok = Upstream::ok("ok").await;
    let missing = Upstream::status(404).await;
    let dead = closed_port().await;
    let config = GatewayConfig::default()
        .with_route(
            RouteConfig::new("/api")
                .with_backend("dead", format!("http://{dead}"))
                .with_backend("flaky", flaky.url())
                .with_backend("ok", ok.url()),
        )
        .with_route(RouteConfig::new("/missing").with_backend("missing", missing.url()));
    let gateway = start_gateway(config).await;
    let client = direct_client();
    // The script, round robin over dead, flaky, ok: 7 calls, of which the
    // first five fail over twice (dead and flaky open after 5 failures each)
    // and the last two go straight to ok; 2 that end on a 404; 1 limited to
    // a single attempt, which goes to ok: endpoints whose breaker is open
    // are not chosen, so nothing is rejected.
    for _ in 0..7 {
        let r = within(client.get(gateway_url(&gateway, "/api/a")).send())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    for _ in 0..2 {
        let r = within(client.get(gateway_url(&gateway, "/missing")).send())
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let r = within(
        client
            .get(gateway_url(&gateway, "/api/a"))
            .header("x-staunch-max-attempts", "1")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-staunch-endpoint").as_deref(), Some("ok"));

    let admin = Admin::new(&gateway);
    let text = admin.get("/metrics").await;
    assert_eq!(text.status, 200);
    assert!(text.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let samples = parse(&text.text);
    let summary = admin.get("/api/v1/metrics/retries").await.json;

    // The script's own figures, so a wrong summary cannot pass either.
    assert_eq!(summary["calls"], 10);
    assert_eq!(summary["successes"], 8);
    assert_eq!(summary["retries"], 10, "two for each of the first five");
    assert_eq!(
        summary["failures_by_reason"]["rejected"], 0,
        "open endpoints are skipped by the selection, not tried and refused"
    );
    assert_eq!(summary["failures_by_reason"]["retryable_failure"], 10);
    assert_eq!(summary["failures_by_reason"]["fatal"], 2);

    assert_eq!(
        total(&samples, "staunch_calls_total", &[]),
        n(&summary["calls"])
    );
    for (outcome, value) in summary["calls_by_outcome"].as_object().unwrap() {
        assert_eq!(
            total(&samples, "staunch_calls_total", &[("outcome", outcome)]),
            n(value),
            "calls {outcome}"
        );
    }
    assert_eq!(
        total(&samples, "staunch_retries_total", &[]),
        n(&summary["retries"])
    );
    assert_eq!(
        total(
            &samples,
            "staunch_attempts_total",
            &[("outcome", "success")]
        ),
        n(&summary["successes"])
    );
    for (reason, value) in summary["failures_by_reason"].as_object().unwrap() {
        assert_eq!(
            total(&samples, "staunch_attempts_total", &[("outcome", reason)]),
            n(value),
            "attempts {reason}"
        );
    }
    for (attempt, value) in summary["successes_by_attempt"].as_object().unwrap() {
        assert_eq!(
            total(
                &samples,
                "staunch_successes_by_attempt_total",
                &[("attempt", attempt)]
            ),
            n(value),
            "successes at attempt {attempt}"
        );
    }
    assert_eq!(
        total(&samples, "staunch_attempt_duration_seconds_count", &[]),
        n(&summary["attempts"])
    );
    let budget = &summary["budget"];
    assert_eq!(
        total(&samples, "staunch_budget_deposits_total", &[]),
        n(&budget["deposited"])
    );
    assert_eq!(
        total(&samples, "staunch_budget_withdrawals_total", &[]),
        n(&budget["withdrawn"])
    );
    assert_eq!(
        total(&samples, "staunch_budget_denied_total", &[]),
        n(&budget["denied"])
    );
    assert_eq!(
        total(
            &samples,
            "staunch_breaker_transitions_total",
            &[("to", "open")]
        ),
        n(&summary["breaker_events"])
    );

    // One state gauge at 1 per configured endpoint, the state the API shows.
    let breakers = admin.get("/api/v1/circuit-breakers").await.json;
    let states: HashMap<&str, &str> = breakers["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap(), b["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states["dead"], "open");
    assert_eq!(states["ok"], "closed");
    for (id, state) in &states {
        assert_eq!(
            total(
                &samples,
                "staunch_breaker_state",
                &[("endpoint", id), ("state", state)]
            ),
            1.0,
            "{id} {state}"
        );
        assert_eq!(
            total(&samples, "staunch_breaker_state", &[("endpoint", id)]),
            1.0
        );
    }
}
