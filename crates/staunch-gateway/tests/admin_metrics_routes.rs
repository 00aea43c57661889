//! The retry-metrics and breaker-event routes on a running gateway: their
//! `hours` parameter and the figures they answer with.

mod common;

use common::*;
use staunch_gateway::config::GatewayConfig;

#[tokio::test]
async fn hours_outside_1_to_168_and_unknown_parameters_are_400() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    for path in [
        "/api/v1/circuit-breakers/metrics",
        "/api/v1/metrics/retries/timeseries",
        "/api/v1/metrics/retries/by-proxy",
    ] {
        for (query, status) in [
            ("?hours=1", 200),
            ("?hours=168", 200),
            ("", 200),
            ("?hours=0", 400),
            ("?hours=169", 400),
            ("?hours=abc", 400),
            ("?hours=1.5", 400),
            ("?hour=2", 400),
        ] {
            let answer = admin.get(&format!("{path}{query}")).await;
            assert_eq!(answer.status, status, "{path}{query}: {}", answer.text);
            if status == 400 {
                assert_eq!(answer.error_code(), "invalid_query");
            }
        }
    }
    let answer = admin.get("/api/v1/metrics/retries?hours=2").await;
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn retry_metrics_routes_answer_with_the_store_figures() {
    let live = Upstream::ok("live").await;
    let dead = closed_port().await;
    let gateway = start_gateway(two_route_config(dead, &live)).await;
    let client = direct_client();
    for _ in 0..3 {
        within(client.get(gateway_url(&gateway, "/api/x")).send())
            .await
            .unwrap();
    }
    let admin = Admin::new(&gateway);
    let summary = admin.get("/api/v1/metrics/retries").await;
    assert_eq!(summary.status, 200);
    assert_eq!(summary.json["calls"], 3);
    assert_eq!(summary.json["attempts"], 6);
    assert_eq!(summary.json["retries"], 3);
    assert_eq!(summary.json["successes_by_attempt"]["2"], 3);
    assert_eq!(summary.json["retention_hours"], 24);
    assert_eq!(summary.json["budget"]["deposited"], 3);
    assert_eq!(summary.json["budget"]["withdrawn"], 3);
    let series = admin
        .get("/api/v1/metrics/retries/timeseries?hours=2")
        .await;
    assert_eq!(series.status, 200);
    let points = series.json["points"].as_array().unwrap();
    let retries: u64 = points.iter().map(|p| p["retries"].as_u64().unwrap()).sum();
    assert_eq!(retries, 3);
    let by = admin.get("/api/v1/metrics/retries/by-proxy?hours=1").await;
    let endpoints = by.json["endpoints"].as_array().unwrap();
    let dead_row = endpoints
        .iter()
        .find(|e| e["endpoint"] == "api-dead")
        .unwrap();
    assert_eq!(dead_row["failures_by_reason"]["retryable_failure"], 3);
    let live_row = endpoints
        .iter()
        .find(|e| e["endpoint"] == "api-live")
        .unwrap();
    assert_eq!(live_row["successes"], 3);
    assert!(live_row["latency"]["avg_ms"].as_f64().unwrap() >= 0.0);
}
