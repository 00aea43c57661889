//! Reverse-proxy routes: prefix matching, failover across backends, header
//! handling, control headers, body replay and the gateway's own errors.

mod common;

use std::sync::Arc;

use common::*;
use staunch_gateway::config::{GatewayConfig, RouteConfig};
use tokio::sync::Notify;

fn route(prefix: &str, backends: &[(&str, String)]) -> RouteConfig {
    backends
        .iter()
        .fold(RouteConfig::new(prefix), |r, (id, url)| {
            r.with_backend(*id, url.clone())
        })
}

#[tokio::test]
async fn reverse_route_fails_over_past_a_dead_backend() {
    let dead = closed_port().await;
    let live = Upstream::ok("live").await;
    let config = GatewayConfig::default().with_route(route(
        "/api",
        &[("dead", format!("http://{dead}")), ("live", live.url())],
    ));
    let gateway = start_gateway(config).await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/api/users?page=2"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("2")
    );
    assert_eq!(
        header(&response, "x-staunch-endpoint").as_deref(),
        Some("live")
    );
    assert_eq!(response.text().await.unwrap(), "live");
    assert_eq!(live.seen()[0].uri, "/api/users?page=2");
}

#[tokio::test]
async fn longest_prefix_route_wins_and_base_path_is_prepended() {
    let general = Upstream::ok("general").await;
    let v2 = Upstream::ok("v2").await;
    let config = GatewayConfig::default()
        .with_route(route("/", &[("general", general.url())]))
        .with_route(route("/api/v2", &[("v2", format!("{}/base/", v2.url()))]));
    let gateway = start_gateway(config).await;
    let client = direct_client();
    let r = within(client.get(gateway_url(&gateway, "/api/v2/items")).send())
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "v2");
    assert_eq!(v2.seen()[0].uri, "/base/api/v2/items");
    let r = within(client.get(gateway_url(&gateway, "/api/v20")).send())
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        "general",
        "prefixes match whole segments"
    );
}

#[tokio::test]
async fn host_route_only_matches_its_host() {
    let shop = Upstream::ok("shop").await;
    let config = GatewayConfig::default()
        .with_route(route("/", &[("shop", shop.url())]).with_host("shop.test"));
    let gateway = start_gateway(config).await;
    let client = direct_client();
    let hit = within(
        client
            .get(gateway_url(&gateway, "/"))
            .header("host", "SHOP.test:8080")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(hit.status(), 200);
    let miss = within(
        client
            .get(gateway_url(&gateway, "/"))
            .header("host", "blog.test")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(miss.status(), 404);
    let body: serde_json::Value = miss.json().await.unwrap();
    assert_eq!(body["error"], "no_route");
}

#[tokio::test]
async fn all_backends_down_is_a_503_with_retry_after_and_json() {
    let (a, b, c) = (
        closed_port().await,
        closed_port().await,
        closed_port().await,
    );
    let config = GatewayConfig::default().with_route(route(
        "/",
        &[
            ("a", format!("http://{a}")),
            ("b", format!("http://{b}")),
            ("c", format!("http://{c}")),
        ],
    ));
    let gateway = start_gateway(config).await;
    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("3")
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(body["message"].is_string());
    assert_eq!(body["details"]["attempts"], 3);
}

#[tokio::test]
async fn max_attempts_header_stops_the_failover_early() {
    let dead = closed_port().await;
    let live = Upstream::ok("live").await;
    let config = GatewayConfig::default().with_route(route(
        "/",
        &[("dead", format!("http://{dead}")), ("live", live.url())],
    ));
    let gateway = start_gateway(config).await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/"))
            .header("x-staunch-max-attempts", "1")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("1")
    );
    assert!(live.seen().is_empty());
}

#[tokio::test]
async fn when_every_backend_answers_5xx_the_last_answer_is_returned() {
    let first = Upstream::status(500).await;
    let second = Upstream::status(502).await;
    let config = GatewayConfig::default().with_route(route(
        "/",
        &[("first", first.url()), ("second", second.url())],
    ));
    let gateway = start_gateway(config).await;
    let client = direct_client();
    let response = within(
        client
            .get(gateway_url(&gateway, "/"))
            .header("x-staunch-max-attempts", "2")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("2")
    );
    assert_eq!(
        header(&response, "x-staunch-endpoint").as_deref(),
        Some("second")
    );
    // With the default 3 attempts, one backend is asked again after the
    // backoff; its answer is the one returned.
    let response = within(client.get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("3")
    );
    let status = match header(&response, "x-staunch-endpoint").as_deref() {
        Some("first") => 500,
        Some("second") => 502,
        other => panic!("answered by {other:?}"),
    };
    assert_eq!(response.status(), status);
    assert_eq!(first.seen().len() + second.seen().len(), 5);
}

#[tokio::test]
async fn timeout_header_bounds_the_wait_with_a_504() {
    let (arrived, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = Upstream::slow("slow", Arc::clone(&arrived), Arc::clone(&release)).await;
    let config = GatewayConfig::default().with_route(route("/", &[("slow", slow.url())]));
    let gateway = start_gateway(config).await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/"))
            .header("x-staunch-timeout", "50ms")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 504);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "timeout");
    release.notify_one();
}

#[tokio::test]
async fn small_bodies_are_replayed_and_large_bodies_are_sent_once() {
    let failing = Upstream::status(503).await;
    let healthy = Upstream::ok("healthy").await;
    let config = GatewayConfig::default()
        .with_max_replay_body(64)
        .with_route(route(
            "/",
            &[("failing", failing.url()), ("healthy", healthy.url())],
        ));
    let gateway = start_gateway(config).await;
    let client = direct_client();

    let small = "s".repeat(64);
    let r = within(
        client
            .put(gateway_url(&gateway, "/small"))
            .body(small.clone())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        200,
        "a buffered PUT moves on to the next backend"
    );
    assert_eq!(healthy.seen()[0].body, small.as_bytes());

    let large = "L".repeat(4096);
    let r = within(
        client
            .put(gateway_url(&gateway, "/large"))
            .body(large.clone())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 503, "a streamed body gets one attempt");
    assert_eq!(header(&r, "x-staunch-attempts").as_deref(), Some("1"));
    let seen = failing.seen();
    assert_eq!(
        seen.last().unwrap().body,
        large.as_bytes(),
        "streamed whole"
    );
    assert_eq!(healthy.seen().len(), 1);
}

#[tokio::test]
async fn chunked_body_over_the_limit_streams_whole() {
    let backend = Upstream::ok("b").await;
    let config = GatewayConfig::default()
        .with_max_replay_body(10)
        .with_route(route("/", &[("b", backend.url())]));
    let gateway = start_gateway(config).await;
    let mut stream = tokio::net::TcpStream::connect(gateway.proxy_addr())
        .await
        .unwrap();
    let request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                   a\r\n0123456789\r\na\r\nabcdefghij\r\n6\r\nklmnop\r\n0\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .unwrap();
    let head = within(read_head(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let seen = &backend.seen()[0];
    assert_eq!(seen.body, "0123456789abcdefghijklmnop");
    assert!(seen.headers.get("content-length").is_none() || seen.headers["content-length"] == "26");
}
