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
async fn hop_by_hop_headers_are_stripped_and_forwarded_headers_set() {
    let backend = Upstream::start(|_| async {
        let mut r = reply(200, "ok");
        let h = r.headers_mut();
        h.insert("connection", "x-backend-hop".parse().unwrap());
        h.insert("x-backend-hop", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert("proxy-authenticate", "Basic".parse().unwrap());
        h.insert("x-end-to-end", "kept".parse().unwrap());
        r
    })
    .await;
    let config = GatewayConfig::default().with_route(route("/", &[("b", backend.url())]));
    let gateway = start_gateway(config).await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/path"))
            .header("host", "public.test:8443")
            .header("connection", "keep-alive, x-client-hop")
            .header("x-client-hop", "secret-hop")
            .header("keep-alive", "timeout=5")
            .header("proxy-authorization", "Basic Y2xpZW50OnB3")
            .header("proxy-connection", "keep-alive")
            .header("te", "trailers")
            .header("trailer", "x-sum")
            .header("x-forwarded-for", "203.0.113.9")
            .header("x-forwarded-proto", "https")
            .header("x-end-to-end", "kept")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    for hop in ["x-backend-hop", "keep-alive", "proxy-authenticate"] {
        assert!(
            response.headers().get(hop).is_none(),
            "{hop} reached the client"
        );
    }
    assert_eq!(header(&response, "x-end-to-end").as_deref(), Some("kept"));

    let seen = &backend.seen()[0];
    for hop in [
        "x-client-hop",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "transfer-encoding",
    ] {
        assert!(seen.headers.get(hop).is_none(), "{hop} reached the backend");
    }
    assert_ne!(
        seen.headers.get("connection").map(|v| v.to_str().unwrap()),
        Some("keep-alive, x-client-hop")
    );
    assert_eq!(seen.headers["x-end-to-end"], "kept");
    assert_eq!(seen.headers["host"], backend.addr.to_string());
    assert_eq!(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-host"], "public.test:8443");
    assert_eq!(seen.headers["x-forwarded-proto"], "http");
}

#[tokio::test]
async fn control_headers_are_stripped_and_answers_say_attempts_and_endpoint() {
    let backend = Upstream::ok("b1").await;
    let config = GatewayConfig::default().with_route(route("/", &[("b1", backend.url())]));
    let gateway = start_gateway(config).await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/"))
            .header("x-staunch-max-attempts", "3")
            .header("x-staunch-timeout", "2s")
            .header("x-staunch-idempotent", "true")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("1")
    );
    assert_eq!(
        header(&response, "x-staunch-endpoint").as_deref(),
        Some("b1")
    );
    let seen = &backend.seen()[0];
    let leaked: Vec<_> = seen
        .headers
        .keys()
        .filter(|k| k.as_str().starts_with("x-staunch-"))
        .collect();
    assert!(
        leaked.is_empty(),
        "control headers reached the backend: {leaked:?}"
    );
}

#[tokio::test]
async fn bad_control_header_is_a_400_with_json_error() {
    let backend = Upstream::ok("b1").await;
    let config = GatewayConfig::default().with_route(route("/", &[("b1", backend.url())]));
    let gateway = start_gateway(config).await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/"))
            .header("x-staunch-timeout", "forever")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "bad_control_header");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("X-Staunch-Timeout"));
    assert_eq!(body["details"]["header"], "X-Staunch-Timeout");
    assert_eq!(body["details"]["value"], "forever");
    assert!(body["details"]["allowed"]
        .as_str()
        .unwrap()
        .contains("1ms to 5m"));
    assert!(
        backend.seen().is_empty(),
        "a refused request is not forwarded"
    );
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
    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
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
