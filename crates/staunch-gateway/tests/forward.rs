//! Forward proxying of absolute-form requests (`curl -x`), directly and
//! through a pool of upstream proxies.

mod common;

use common::*;
use staunch_gateway::config::{GatewayConfig, ProxyConfig, Strategy};

/// Upstream proxies tried in configured order: round robin, whose first
/// pick on a fresh gateway is the first proxy.
fn in_order() -> GatewayConfig {
    GatewayConfig::default().with_proxy_strategy(Strategy::RoundRobin)
}

#[tokio::test]
async fn forward_get_reaches_its_target_directly() {
    let target = Upstream::ok("target").await;
    let gateway = start_gateway(GatewayConfig::default()).await;
    let response = within(
        forward_client(&gateway)
            .get(format!("{}/x?q=1", target.url()))
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
        Some("direct")
    );
    assert_eq!(response.text().await.unwrap(), "target");
    let seen = target.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].uri, "/x?q=1", "a direct hop uses origin form");
    assert_eq!(seen[0].headers["host"], target.addr.to_string());
}

#[tokio::test]
async fn forward_fails_over_from_dead_upstream_proxy_to_live_one() {
    let dead = closed_port().await;
    let live = FakeProxy::start("live", Some("Basic dTpw")).await; // u:p
    let config = in_order()
        .with_upstream_proxy(ProxyConfig::new("dead", format!("http://{dead}")))
        .with_upstream_proxy(ProxyConfig::new(
            "live",
            format!("http://u:p@{}", live.addr),
        ));
    let gateway = start_gateway(config).await;
    // The client authenticates to the gateway; that credential must not travel on.
    let client = reqwest::Client::builder()
        .proxy(
            reqwest::Proxy::http(format!("http://client:secret@{}", gateway.proxy_addr())).unwrap(),
        )
        .build()
        .unwrap();
    let response = within(client.get("http://origin.test:8081/page").send())
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
    assert_eq!(
        header(&response, "x-seen-uri").as_deref(),
        Some("http://origin.test:8081/page"),
        "the upstream proxy gets the absolute form"
    );
    assert_eq!(response.text().await.unwrap(), "via live");
    let seen = live.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].headers["proxy-authorization"], "Basic dTpw");
    assert_eq!(seen[0].headers["host"], "origin.test:8081");
}

#[tokio::test]
async fn post_is_not_repeated_after_a_5xx_without_opt_in() {
    let failing = Upstream::status(503).await;
    let healthy = Upstream::ok("healthy").await;
    let config = in_order()
        .with_upstream_proxy(ProxyConfig::new("failing", failing.url()))
        .with_upstream_proxy(ProxyConfig::new("healthy", healthy.url()));
    let gateway = start_gateway(config.clone()).await;
    let client = forward_client(&gateway);

    let plain = within(client.post("http://origin.test/upload").body("data").send())
        .await
        .unwrap();
    assert_eq!(plain.status(), 503, "the first answer is passed through");
    assert_eq!(header(&plain, "x-staunch-attempts").as_deref(), Some("1"));
    assert!(healthy.seen().is_empty());

    // A fresh gateway, so the round robin starts at `failing` again.
    let gateway = start_gateway(config).await;
    let client = forward_client(&gateway);
    let opted_in = within(
        client
            .post("http://origin.test/upload")
            .header("x-staunch-idempotent", "true")
            .body("data")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(opted_in.status(), 200);
    assert_eq!(
        header(&opted_in, "x-staunch-attempts").as_deref(),
        Some("2")
    );
    assert_eq!(
        healthy.seen()[0].body,
        "data",
        "the buffered body is replayed"
    );
}

#[tokio::test]
async fn post_with_idempotency_key_is_repeated() {
    let failing = Upstream::status(502).await;
    let healthy = Upstream::ok("healthy").await;
    let config = in_order()
        .with_upstream_proxy(ProxyConfig::new("failing", failing.url()))
        .with_upstream_proxy(ProxyConfig::new("healthy", healthy.url()));
    let gateway = start_gateway(config).await;
    let response = within(
        forward_client(&gateway)
            .post("http://origin.test/pay")
            .header("idempotency-key", "k-1")
            .body("x")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("2")
    );
    assert_eq!(failing.seen().len(), 1);
    assert_eq!(healthy.seen()[0].headers["idempotency-key"], "k-1");
}

#[tokio::test]
async fn post_moves_on_when_nothing_was_sent() {
    let dead = closed_port().await;
    let healthy = Upstream::ok("healthy").await;
    let config = in_order()
        .with_upstream_proxy(ProxyConfig::new("dead", format!("http://{dead}")))
        .with_upstream_proxy(ProxyConfig::new("healthy", healthy.url()));
    let gateway = start_gateway(config).await;
    let response = within(
        forward_client(&gateway)
            .post("http://origin.test/")
            .body("b")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        200,
        "a refused connect proves nothing was sent"
    );
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("2")
    );
}

#[tokio::test]
async fn upstream_garbage_is_a_502() {
    let (garbage, _task) = garbage_server().await;
    let gateway = start_gateway(GatewayConfig::default()).await;
    let response = within(
        forward_client(&gateway)
            .get(format!("http://{garbage}/"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "bad_gateway");
    assert_eq!(body["details"]["errors"][0]["kind"], "bad_upstream");
}

#[tokio::test]
async fn every_upstream_proxy_down_is_a_503_with_retry_after() {
    let (a, b) = (closed_port().await, closed_port().await);
    let config = in_order()
        .with_upstream_proxy(ProxyConfig::new("a", format!("http://user:topsecret@{a}")))
        .with_upstream_proxy(ProxyConfig::new("b", format!("http://{b}")));
    let gateway = start_gateway(config).await;
    let response = within(forward_client(&gateway).get("http://origin.test/").send())
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("3"),
        "a, b, then one of them again after the backoff"
    );
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("topsecret"),
        "credentials never appear: {text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(body["message"].is_string());
    let errors = body["details"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0]["endpoint"], "a");
    assert_eq!(errors[1]["endpoint"], "b");
    assert_eq!(errors[0]["kind"], "connect_refused");
}

#[tokio::test]
async fn https_absolute_form_is_refused_with_400() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let mut stream = tokio::net::TcpStream::connect(gateway.proxy_addr())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut stream,
        b"GET https://origin.test/ HTTP/1.1\r\nHost: origin.test\r\n\r\n",
    )
    .await
    .unwrap();
    let head = within(read_head(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
}

#[tokio::test]
async fn upstream_proxy_rejecting_credentials_is_skipped() {
    let picky = FakeProxy::start("picky", Some("Basic c29tZW9uZTplbHNl")).await;
    let open = FakeProxy::start("open", None).await;
    let config = in_order()
        .with_upstream_proxy(ProxyConfig::new(
            "picky",
            format!("http://u:p@{}", picky.addr),
        ))
        .with_upstream_proxy(ProxyConfig::new("open", open.url()));
    let gateway = start_gateway(config).await;
    let response = within(
        forward_client(&gateway)
            .post("http://origin.test/")
            .body("b")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        200,
        "a 407 proves the target was not reached"
    );
    assert_eq!(
        header(&response, "x-staunch-endpoint").as_deref(),
        Some("open")
    );
    assert_eq!(picky.seen().len(), 1);
}
