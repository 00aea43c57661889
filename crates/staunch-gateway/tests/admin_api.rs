//! The admin API's routing on a running gateway: health and readiness,
//! unknown paths and methods, no CORS, the embedded dashboard and OpenAPI
//! document, HEAD.

mod common;

use common::*;
use reqwest::Method;
use staunch_gateway::config::{GatewayConfig, ProxyConfig, RouteConfig};

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
