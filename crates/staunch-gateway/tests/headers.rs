//! Header handling on reverse routes: hop-by-hop headers, `X-Forwarded-*`,
//! control headers in and attempt headers out.

mod common;

use common::*;
use staunch_gateway::config::{GatewayConfig, RouteConfig};

fn route(backend: &Upstream) -> RouteConfig {
    RouteConfig::new("/").with_backend("b1", backend.url())
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
    let config = GatewayConfig::default().with_route(route(&backend));
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
    let config = GatewayConfig::default().with_route(route(&backend));
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
    let config = GatewayConfig::default().with_route(route(&backend));
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
