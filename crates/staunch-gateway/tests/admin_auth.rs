//! Admin access: the bearer token, loopback and non-loopback listeners,
//! and credentials of upstream proxies that never show.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::json;
use staunch_gateway::config::{ConfigSource, GatewayConfig, ProxyConfig, RouteConfig, Strategy};
use staunch_gateway::Gateway;

const TOKEN: &str = "s3cret-admin-token";

/// A gateway whose admin listener is on every address (not loopback), with
/// a token; the test reaches it through 127.0.0.1.
async fn exposed_gateway(config: GatewayConfig) -> (Gateway, Admin) {
    let config = config
        .with_admin_token(TOKEN)
        .with_listen("127.0.0.1:0")
        .with_admin_listen("0.0.0.0:0");
    let gateway = Gateway::start(ConfigSource::fixed(config)).await.unwrap();
    let mut admin = Admin::new(&gateway);
    admin.base = format!("http://127.0.0.1:{}", gateway.admin_addr().port());
    (gateway, admin)
}

#[tokio::test]
async fn on_loopback_with_a_token_mutating_calls_need_it_and_reads_do_not() {
    let gateway = start_gateway(GatewayConfig::default().with_admin_token(TOKEN)).await;
    let anonymous = Admin::new(&gateway);
    assert_eq!(anonymous.get("/api/v1/retry/policy").await.status, 200);
    assert_eq!(anonymous.get("/metrics").await.status, 200);

    let refused = anonymous
        .put_json("/api/v1/retry/policy", &json!({ "max_attempts": 4 }))
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.error_code(), "unauthorized");
    assert_eq!(refused.json["details"]["reason"], "missing");
    assert!(refused.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(
        anonymous.get("/api/v1/retry/policy").await.json["max_attempts"],
        3
    );

    let wrong = Admin::new(&gateway).with_token("s3cret-admin-tokeN");
    let refused = wrong
        .put_json("/api/v1/retry/policy", &json!({ "max_attempts": 4 }))
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json["details"]["reason"], "mismatch");
    let refused = wrong.post("/api/v1/circuit-breakers/x/reset").await;
    assert_eq!(refused.status, 401, "checked before the id is looked up");

    let right = Admin::new(&gateway).with_token(TOKEN);
    let accepted = right
        .put_json("/api/v1/retry/policy", &json!({ "max_attempts": 4 }))
        .await;
    assert_eq!(accepted.status, 200);
    assert_eq!(
        anonymous.get("/api/v1/retry/policy").await.json["max_attempts"],
        4
    );
}

#[tokio::test]
async fn the_scheme_is_case_insensitive_and_other_schemes_are_refused() {
    let gateway = start_gateway(GatewayConfig::default().with_admin_token(TOKEN)).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!(
        "http://{}/api/v1/circuit-breakers/x/reset",
        gateway.admin_addr()
    );
    for (value, status) in [
        (format!("bearer {TOKEN}"), 404),
        (format!("Bearer   {TOKEN}  "), 404),
        (format!("Basic {TOKEN}"), 401),
        (TOKEN.to_string(), 401),
        ("Bearer".to_string(), 401),
    ] {
        let response = within(client.post(&url).header("authorization", &value).send())
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{value:?}");
    }
}

#[tokio::test]
async fn without_a_token_on_loopback_everything_is_open() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let put = admin
        .put_json("/api/v1/retry/policy", &json!({ "max_attempts": 2 }))
        .await;
    assert_eq!(put.status, 200);
}

#[tokio::test]
async fn off_loopback_every_call_needs_the_token_except_the_page() {
    let (_gateway, anonymous) = exposed_gateway(GatewayConfig::default()).await;
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.yaml",
        "/api/v1/retry/policy",
        "/api/v1/circuit-breakers",
        "/api/v1/metrics/retries",
        "/api/v1/nothing",
    ] {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.error_code(), "unauthorized");
    }
    assert_eq!(
        anonymous.get("/").await.status,
        200,
        "the static page holds no data"
    );
    let mut admin = anonymous;
    admin = admin.with_token(TOKEN);
    for path in [
        "/healthz",
        "/metrics",
        "/api/v1/circuit-breakers",
        "/openapi.yaml",
    ] {
        assert_eq!(admin.get(path).await.status, 200, "{path}");
    }
    assert_eq!(admin.get("/api/v1/nothing").await.status, 404);
}

#[tokio::test]
async fn a_reload_without_a_token_is_refused_while_bound_off_loopback() {
    let (gateway, admin) = exposed_gateway(GatewayConfig::default()).await;
    // The file now says loopback and no token: the listener is still public.
    let reloaded = GatewayConfig::default()
        .with_listen("127.0.0.1:0")
        .with_admin_listen("127.0.0.1:0");
    let err = gateway.handle().apply(reloaded).unwrap_err();
    assert_eq!(err.field(), Some("admin.token"));
    assert_eq!(
        admin.get("/healthz").await.status,
        401,
        "the token still applies"
    );
}

#[tokio::test]
async fn starting_off_loopback_without_a_token_is_refused() {
    let config = GatewayConfig::default()
        .with_listen("127.0.0.1:0")
        .with_admin_listen("0.0.0.0:0");
    let err = Gateway::start(ConfigSource::fixed(config))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("admin.token"), "{err}");
}

/// Collects every log line of this test binary.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn proxy_credentials_never_appear_in_responses_logs_or_metric_labels() {
    let logs = Logs::default();
    let writer = logs.clone();
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init();

    const PASSWORD: &str = "pr0xy-pa55word";
    const USER: &str = "proxy-user";
    let dead = closed_port().await;
    let live = FakeProxy::start("live", None).await;
    let backend = Upstream::status(503).await;
    // Round robin, so every request tries `dead` first and opens it.
    let config = GatewayConfig::default()
        .with_proxy_strategy(Strategy::RoundRobin)
        .with_upstream_proxy(ProxyConfig::new(
            "dead",
            format!("http://{USER}:{PASSWORD}@{dead}"),
        ))
        .with_upstream_proxy(ProxyConfig::new(
            "live",
            format!("http://{USER}:{PASSWORD}@{}", live.addr),
        ))
        .with_route(RouteConfig::new("/b").with_backend("b", backend.url()));
    let gateway = start_gateway(config).await;
    let client = forward_client(&gateway);
    for _ in 0..6 {
        let _ = within(client.get("http://origin.test/x").send())
            .await
            .unwrap();
        let _ = within(direct_client().get(gateway_url(&gateway, "/b")).send())
            .await
            .unwrap();
    }
    let admin = Admin::new(&gateway);
    admin.post("/api/v1/circuit-breakers/live/isolate").await;
    let failed = within(client.get("http://origin.test/x").send())
        .await
        .unwrap();
    let failed_text = failed.text().await.unwrap();
    let mut shown = vec![failed_text];
    for path in [
        "/api/v1/circuit-breakers",
        "/api/v1/circuit-breakers/dead",
        "/api/v1/circuit-breakers/live",
        "/api/v1/circuit-breakers/metrics",
        "/api/v1/metrics/retries",
        "/api/v1/metrics/retries/by-proxy",
        "/api/v1/metrics/retries/timeseries",
        "/api/v1/retry/policy",
        "/readyz",
        "/metrics",
    ] {
        let answer = admin.get(path).await;
        // Everything is open or isolated by now: readyz says 503.
        let want = if path == "/readyz" { 503 } else { 200 };
        assert_eq!(answer.status, want, "{path}");
        shown.push(answer.text);
    }
    let listed = admin.get("/api/v1/circuit-breakers/dead").await;
    assert_eq!(listed.json["address"], dead.to_string(), "host:port only");
    let metrics = admin.get("/metrics").await.text;
    assert!(metrics.contains("endpoint=\"dead\""), "{metrics}");
    shown.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    for text in &shown {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(
            !text.contains(&format!("{USER}:")),
            "user-info leaked: {text}"
        );
    }
    assert!(!shown.last().unwrap().is_empty(), "the logs were captured");
}
