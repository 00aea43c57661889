//! The admin API on a running gateway: every route's status codes and
//! bodies, input checks, breakers by hand, health.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use staunch_gateway::config::{GatewayConfig, ProxyConfig, RouteConfig};

fn two_route_config(dead: std::net::SocketAddr, live: &Upstream) -> GatewayConfig {
    GatewayConfig::default()
        .with_route(
            RouteConfig::new("/api")
                .with_backend("api-dead", format!("http://{dead}"))
                .with_backend("api-live", live.url()),
        )
        .with_upstream_proxy(ProxyConfig::new("proxy-1", "http://127.0.0.1:9"))
}

#[tokio::test]
async fn policy_get_shows_the_live_policy() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let answer = Admin::new(&gateway).get("/api/v1/retry/policy").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json,
        json!({
            "max_attempts": 3, "backoff_strategy": "exponential", "base_delay": 0.1,
            "multiplier": 2.0, "max_backoff_delay": 2.0, "jitter": "none",
            "retry_status_codes": [429, 500, 502, 503, 504], "timeout": null, "enabled": true
        })
    );
    assert_eq!(answer.headers["content-type"], "application/json");
}

#[tokio::test]
async fn policy_put_changes_only_the_fields_sent_and_get_shows_it() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let body =
        json!({ "max_attempts": 5, "jitter": "full", "timeout": 2.5, "retry_status_codes": [503] });
    let put = admin.put_json("/api/v1/retry/policy", &body).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json["max_attempts"], 5);
    assert_eq!(put.json["jitter"], "full");
    assert_eq!(put.json["timeout"], 2.5);
    assert_eq!(put.json["retry_status_codes"], json!([503]));
    assert_eq!(put.json["base_delay"], 0.1, "left out, kept");
    let get = admin.get("/api/v1/retry/policy").await;
    assert_eq!(get.json, put.json);
}

/// Equal JSON, numbers compared as numbers (`60` is `60.0`).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[tokio::test]
async fn each_policy_range_limit_is_accepted_just_inside_and_refused_just_outside() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let cases = [
        ("max_attempts", json!(1), json!(0)),
        ("max_attempts", json!(10), json!(11)),
        ("base_delay", json!(0.1), json!(0.09)),
        ("base_delay", json!(60), json!(60.01)),
        ("multiplier", json!(1.1), json!(1.09)),
        ("multiplier", json!(10), json!(10.01)),
        ("max_backoff_delay", json!(1), json!(0.99)),
        ("max_backoff_delay", json!(300), json!(300.01)),
        ("retry_status_codes", json!([400]), json!([399])),
        ("retry_status_codes", json!([599]), json!([600])),
        ("timeout", json!(0.001), json!(0.0)),
        ("timeout", json!(300), json!(300.01)),
    ];
    for (field, inside, outside) in cases {
        let ok = admin
            .put_json("/api/v1/retry/policy", &json!({ field: inside }))
            .await;
        assert_eq!(ok.status, 200, "{field} = {inside}: {}", ok.text);
        assert!(same(&ok.json[field], &inside), "{field}: {}", ok.text);
        let refused = admin
            .put_json("/api/v1/retry/policy", &json!({ field: outside }))
            .await;
        assert_eq!(refused.status, 400, "{field} = {outside}");
        assert_eq!(refused.error_code(), "invalid_field");
        assert_eq!(refused.json["details"]["field"], field);
        // A list is refused naming its first bad entry.
        let bad = if outside.is_array() {
            &outside[0]
        } else {
            &outside
        };
        assert_eq!(&refused.json["details"]["value"], bad);
        assert!(refused.json["details"]["allowed"].is_string());
        // The refused value did not land.
        let now = admin.get("/api/v1/retry/policy").await;
        assert!(same(&now.json[field], &inside), "{field}");
    }
}

#[tokio::test]
async fn bad_policy_bodies_are_400_with_the_error_shape_never_500() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let cases: [(&str, &str); 9] = [
        ("{\"max_attempts\": 3", "malformed_json"),
        ("", "malformed_json"),
        ("not json", "malformed_json"),
        ("{\"max_attempts\": \"3\"}", "invalid_field"),
        ("{\"jitter\": 0.5}", "invalid_field"),
        ("{\"retry_status_codes\": \"503\"}", "invalid_field"),
        ("{\"max_attempts\": null}", "invalid_field"),
        ("{\"maxAttempts\": 3}", "unknown_field"),
        ("[1, 2, 3]", "invalid_body"),
    ];
    for (body, code) in cases {
        let answer = admin.put("/api/v1/retry/policy", body).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert_eq!(answer.error_code(), code, "{body}");
    }
    let unknown = admin.put("/api/v1/retry/policy", "{\"retries\": 3}").await;
    assert_eq!(unknown.json["details"]["field"], "retries");
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let huge = format!(
        "{{\"max_attempts\": 3, \"pad\": \"{}\"}}",
        "x".repeat(70 * 1024)
    );
    let answer = admin.put("/api/v1/retry/policy", huge).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.error_code(), "body_too_large");
    // Just under the cap it is read (and refused for its content).
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(60 * 1024));
    let answer = admin.put("/api/v1/retry/policy", big).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "unknown_field");
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_413_too() {
    use tokio::io::AsyncWriteExt;
    let gateway = start_gateway(GatewayConfig::default()).await;
    let mut stream = tokio::net::TcpStream::connect(gateway.admin_addr())
        .await
        .unwrap();
    let mut request = b"PUT /api/v1/retry/policy HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..80 {
        request.extend_from_slice(format!("400\r\n{}\r\n", "y".repeat(1024)).as_bytes());
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(&request).await;
    let head = within(read_head(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[tokio::test]
async fn breakers_list_every_endpoint_with_its_state() {
    let live = Upstream::ok("live").await;
    let dead = closed_port().await;
    let gateway = start_gateway(two_route_config(dead, &live)).await;
    let admin = Admin::new(&gateway);
    let answer = admin.get("/api/v1/circuit-breakers").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["total"], 3);
    assert_eq!(answer.json["by_state"]["closed"], 3);
    let breakers = answer.json["breakers"].as_array().unwrap();
    let ids: Vec<_> = breakers.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["api-dead", "api-live", "proxy-1"]);
    let first = &breakers[0];
    assert_eq!(first["kind"], "backend");
    assert_eq!(first["route"], "/api");
    assert_eq!(first["state"], "closed");
    assert_eq!(first["failure_count"], 0);
    assert_eq!(first["window"], 60.0);
    assert!(first["opened_at"].is_null() && first["next_probe_at"].is_null());
    assert_eq!(breakers[2]["kind"], "upstream_proxy");
    assert!(breakers[2]["route"].is_null());
}

#[tokio::test]
async fn failures_through_the_proxy_show_on_the_breaker_and_it_opens() {
    let live = Upstream::ok("live").await;
    let dead = closed_port().await;
    let gateway = start_gateway(two_route_config(dead, &live)).await;
    let admin = Admin::new(&gateway);
    let client = direct_client();
    for _ in 0..5 {
        let r = within(client.get(gateway_url(&gateway, "/api/x")).send())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let dead_breaker = admin.get("/api/v1/circuit-breakers/api-dead").await;
    assert_eq!(dead_breaker.status, 200);
    assert_eq!(dead_breaker.json["state"], "open", "{}", dead_breaker.text);
    assert_eq!(dead_breaker.json["failure_count"], 5);
    assert!(dead_breaker.json["opened_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert!(dead_breaker.json["next_probe_in"].as_f64().unwrap() > 0.0);
    // Now the open one is skipped: one attempt, straight to the live backend.
    let r = within(client.get(gateway_url(&gateway, "/api/x")).send())
        .await
        .unwrap();
    assert_eq!(header(&r, "x-staunch-attempts").as_deref(), Some("1"));
    let events = admin.get("/api/v1/circuit-breakers/metrics?hours=1").await;
    assert_eq!(events.status, 200);
    assert_eq!(events.json["hours"], 1);
    let event = &events.json["events"][0];
    assert_eq!(event["key"], "api-dead");
    assert_eq!(event["from"], "closed");
    assert_eq!(event["to"], "open");
}

#[tokio::test]
async fn isolate_and_reset_by_hand() {
    let live = Upstream::ok("live").await;
    let dead = closed_port().await;
    let gateway = start_gateway(two_route_config(dead, &live)).await;
    let admin = Admin::new(&gateway);
    let isolated = admin
        .post("/api/v1/circuit-breakers/api-live/isolate")
        .await;
    assert_eq!(isolated.status, 200);
    assert_eq!(isolated.json["state"], "isolated");
    assert_eq!(isolated.json["id"], "api-live");
    let r = within(direct_client().get(gateway_url(&gateway, "/api")).send())
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        503,
        "the dead one fails, the live one is isolated"
    );
    let reset = admin.post("/api/v1/circuit-breakers/api-live/reset").await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.json["state"], "closed");
    let r = within(direct_client().get(gateway_url(&gateway, "/api")).send())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let events = admin.get("/api/v1/circuit-breakers/metrics").await;
    assert_eq!(events.json["hours"], 24, "hours defaults to 24");
    let tos: Vec<_> = events.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tos, ["isolated", "closed"]);
}

#[tokio::test]
async fn unknown_breaker_is_404_for_every_by_id_route() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    for (method, path) in [
        (Method::GET, "/api/v1/circuit-breakers/nope"),
        (Method::POST, "/api/v1/circuit-breakers/nope/reset"),
        (Method::POST, "/api/v1/circuit-breakers/nope/isolate"),
    ] {
        let answer = admin.send(method, path, None).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.error_code(), "unknown_breaker");
        assert_eq!(answer.json["details"]["id"], "nope");
    }
    // Isolating an unknown id did not create a breaker.
    let list = admin.get("/api/v1/circuit-breakers").await;
    assert_eq!(list.json["total"], 0);
}

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

#[tokio::test]
async fn healthz_and_readyz_answer_and_readyz_is_503_when_everything_is_open() {
    let live = Upstream::ok("live").await;
    let config = GatewayConfig::default()
        .with_route(RouteConfig::new("/").with_backend("only", live.url()))
        .with_upstream_proxy(ProxyConfig::new("px", "http://127.0.0.1:9"));
    let gateway = start_gateway(config).await;
    let admin = Admin::new(&gateway);
    for path in ["/healthz", "/api/v1/healthz"] {
        let answer = admin.get(path).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json["status"].as_str()),
            (200, Some("ok"))
        );
    }
    let ready = admin.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json["status"], "ready");
    assert_eq!(ready.json["pools"][0]["pool"], "route /");
    admin.post("/api/v1/circuit-breakers/only/isolate").await;
    let still = admin.get("/api/v1/readyz").await;
    assert_eq!(still.status, 200, "the forward proxy pool is still closed");
    admin.post("/api/v1/circuit-breakers/px/isolate").await;
    for path in ["/readyz", "/api/v1/readyz"] {
        let down = admin.get(path).await;
        assert_eq!(down.status, 503);
        assert_eq!(down.error_code(), "not_ready");
        assert_eq!(down.json["details"]["pools"][0]["available"], 0);
    }
}

#[tokio::test]
async fn readyz_with_only_the_direct_endpoint_is_ready() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let ready = Admin::new(&gateway).get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json["pools"][0]["pool"], "forward");
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let missing = admin.get("/api/v1/nothing").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), "not_found");
    for (method, path, allow) in [
        (Method::POST, "/api/v1/retry/policy", "GET, HEAD, PUT"),
        (Method::DELETE, "/api/v1/circuit-breakers", "GET, HEAD"),
        (Method::GET, "/api/v1/circuit-breakers/x/reset", "POST"),
        (Method::PUT, "/metrics", "GET, HEAD"),
    ] {
        let answer = admin.send(method, path, None).await;
        assert_eq!(answer.status, 405, "{path}");
        assert_eq!(answer.error_code(), "method_not_allowed");
        assert_eq!(answer.headers["allow"], allow);
    }
}

#[tokio::test]
async fn no_cors_headers_are_sent_even_to_a_preflight() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://{}/api/v1/retry/policy", gateway.admin_addr());
    let preflight = within(
        client
            .request(Method::OPTIONS, &url)
            .header("origin", "http://evil.example")
            .header("access-control-request-method", "PUT")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(preflight.status(), 405);
    let get = within(
        client
            .get(&url)
            .header("origin", "http://evil.example")
            .send(),
    )
    .await
    .unwrap();
    for response in [&preflight, &get] {
        assert!(
            !response
                .headers()
                .keys()
                .any(|k| k.as_str().starts_with("access-control-")),
            "{:?}",
            response.headers()
        );
    }
}

#[tokio::test]
async fn dashboard_and_openapi_are_served_from_the_binary() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let page = admin.get("/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert!(page.text.contains("id=\"breakers\""));
    assert!(page.text.contains("/api/v1/circuit-breakers"));
    // The only absolute URL is the SVG namespace name, which is not fetched.
    let urls: Vec<_> = page
        .text
        .match_indices("http")
        .map(|(i, _)| &page.text[i..i + 26])
        .collect();
    assert!(
        urls.iter().all(|u| *u == "http://www.w3.org/2000/svg"),
        "{urls:?}"
    );
    assert!(
        !page.text.contains("<script src") && !page.text.contains("<link"),
        "no external assets"
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    let doc = admin.get("/openapi.yaml").await;
    assert_eq!(doc.status, 200);
    assert!(doc.text.starts_with("openapi: 3"));
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let head = admin.send(Method::HEAD, "/api/v1/retry/policy", None).await;
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
}
