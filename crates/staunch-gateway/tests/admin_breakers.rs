//! The circuit-breaker routes on a running gateway: the list, failures
//! seen through the proxy, isolate and reset by hand, unknown ids.

mod common;

use common::*;
use reqwest::Method;
use staunch_gateway::config::GatewayConfig;

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
