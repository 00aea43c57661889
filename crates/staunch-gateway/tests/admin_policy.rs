//! The live retry policy: a PUT is seen by the next proxied request, and a
//! reload of the file keeps what the PUT set unless the file changed it.

mod common;

use common::*;
use serde_json::json;
use staunch::budget::BudgetConfig;
use staunch_gateway::config::{ConfigSource, GatewayConfig, RouteConfig};
use staunch_gateway::Gateway;

/// A route of `n` entries that all reach the same counting backend.
fn route_to(backend: &Upstream, n: usize) -> RouteConfig {
    (0..n).fold(RouteConfig::new("/"), |route, i| {
        route.with_backend(format!("entry-{i}"), backend.url())
    })
}

#[tokio::test]
async fn a_put_policy_changes_the_attempts_of_the_next_request() {
    let backend = Upstream::status(503).await;
    // A budget wide enough for every retry of this test (the default floor
    // is 10 retries a second).
    let budget = BudgetConfig::default().with_min_per_sec(1000);
    let config = GatewayConfig::default()
        .with_budget(budget)
        .with_route(route_to(&backend, 8));
    let gateway = start_gateway(config).await;
    let admin = Admin::new(&gateway);
    let client = direct_client();
    let mut seen = 0;
    for (max_attempts, expected) in [(None, 3), (Some(5), 5), (Some(1), 1), (Some(7), 7)] {
        if let Some(n) = max_attempts {
            let put = admin
                .put_json("/api/v1/retry/policy", &json!({ "max_attempts": n }))
                .await;
            assert_eq!(put.status, 200);
        }
        let response = within(client.get(gateway_url(&gateway, "/")).send())
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(
            header(&response, "x-staunch-attempts"),
            Some(expected.to_string())
        );
        let now = backend.seen().len();
        assert_eq!(
            now - seen,
            expected,
            "backend requests with max_attempts {max_attempts:?}"
        );
        seen = now;
    }
}

#[tokio::test]
async fn the_max_attempts_header_still_overrides_the_live_policy() {
    let backend = Upstream::status(503).await;
    let gateway = start_gateway(GatewayConfig::default().with_route(route_to(&backend, 6))).await;
    Admin::new(&gateway)
        .put_json("/api/v1/retry/policy", &json!({ "max_attempts": 2 }))
        .await;
    let response = within(
        direct_client()
            .get(gateway_url(&gateway, "/"))
            .header("x-staunch-max-attempts", "4")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("4")
    );
    assert_eq!(backend.seen().len(), 4);
}

#[tokio::test]
async fn put_status_codes_decide_what_is_retried() {
    let backend = Upstream::status(500).await;
    let gateway = start_gateway(GatewayConfig::default().with_route(route_to(&backend, 3))).await;
    let admin = Admin::new(&gateway);
    let client = direct_client();
    let response = within(client.get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("3")
    );
    admin
        .put_json(
            "/api/v1/retry/policy",
            &json!({ "retry_status_codes": [502, 503] }),
        )
        .await;
    let response = within(client.get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("1"),
        "a 500 is no longer worth another attempt"
    );
}

fn file_text(backend: &Upstream, retry: &str) -> String {
    let mut text = String::from("[retry]\n");
    text.push_str(retry);
    text.push_str("\n\n[[routes]]\nprefix = \"/\"\nbackends = [\n");
    for i in 0..8 {
        text.push_str(&format!(
            "  {{ id = \"entry-{i}\", url = \"{}\" }},\n",
            backend.url()
        ));
    }
    text.push_str("]\n");
    text
}

#[tokio::test]
async fn sighup_keeps_a_put_field_unless_the_file_changed_that_field() {
    let backend = Upstream::status(503).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(
        &path,
        file_text(&backend, "max_attempts = 3\nbase_delay = 1"),
    )
    .unwrap();
    let source = ConfigSource::file(&path)
        .with_env(staunch::config::MapEnv::default())
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_admin_listen("127.0.0.1:0".parse().unwrap());
    let gateway = Gateway::start(source).await.unwrap();
    let admin = Admin::new(&gateway);
    admin
        .put_json("/api/v1/retry/policy", &json!({ "max_attempts": 6 }))
        .await;

    // The file changes base_delay only: the PUT's max_attempts stays.
    std::fs::write(
        &path,
        file_text(&backend, "max_attempts = 3\nbase_delay = 2"),
    )
    .unwrap();
    gateway.handle().reload().unwrap();
    let policy = admin.get("/api/v1/retry/policy").await.json;
    assert_eq!(
        (
            policy["max_attempts"].as_u64(),
            policy["base_delay"].as_f64()
        ),
        (Some(6), Some(2.0))
    );

    // The file changes max_attempts: the file wins.
    std::fs::write(
        &path,
        file_text(&backend, "max_attempts = 2\nbase_delay = 2"),
    )
    .unwrap();
    gateway.handle().reload().unwrap();
    assert_eq!(
        admin.get("/api/v1/retry/policy").await.json["max_attempts"],
        2
    );
    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("2")
    );
}

#[tokio::test]
async fn reload_keeps_breaker_state_for_endpoints_that_still_exist() {
    let backend = Upstream::ok("b").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(&path, file_text(&backend, "max_attempts = 3")).unwrap();
    let source = ConfigSource::file(&path)
        .with_env(staunch::config::MapEnv::default())
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_admin_listen("127.0.0.1:0".parse().unwrap());
    let gateway = Gateway::start(source).await.unwrap();
    let admin = Admin::new(&gateway);
    admin.post("/api/v1/circuit-breakers/entry-0/isolate").await;
    std::fs::write(&path, file_text(&backend, "max_attempts = 4")).unwrap();
    gateway.handle().reload().unwrap();
    let breaker = admin.get("/api/v1/circuit-breakers/entry-0").await;
    assert_eq!(breaker.json["state"], "isolated");
    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(
        header(&response, "x-staunch-endpoint").as_deref(),
        Some("entry-1")
    );
}
