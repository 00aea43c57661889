//! Lifecycle and robustness: malformed input, reload, graceful drain, the
//! admin listener, refusals at start.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use staunch_gateway::config::{ConfigSource, GatewayConfig, RouteConfig};
use staunch_gateway::{Gateway, GatewayError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

fn route_file(listen_extra: &str, backends: &[(&str, String)]) -> String {
    let list: Vec<String> = backends
        .iter()
        .map(|(id, url)| format!("{{ id = \"{id}\", url = \"{url}\" }}"))
        .collect();
    format!(
        "[gateway]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n{listen_extra}\n\
         [[routes]]\nprefix = \"/\"\nbackends = [{}]\n",
        list.join(", ")
    )
}

#[tokio::test]
async fn malformed_request_gets_400_and_the_server_keeps_serving() {
    let backend = Upstream::ok("alive").await;
    let config =
        GatewayConfig::default().with_route(RouteConfig::new("/").with_backend("b", backend.url()));
    let gateway = start_gateway(config).await;
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
        b"NOT A REQUEST LINE AT ALL\r\n\r\n",
    ] {
        let mut raw = TcpStream::connect(gateway.proxy_addr()).await.unwrap();
        raw.write_all(garbage).await.unwrap();
        let mut answer = Vec::new();
        within(raw.read_to_end(&mut answer)).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    let mut raw = TcpStream::connect(gateway.proxy_addr()).await.unwrap();
    raw.write_all(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let head = within(read_head(&mut raw)).await;
    assert!(head.starts_with("HTTP/1.1 400"), "asterisk form: {head}");

    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "still serving after bad input");
}

#[tokio::test]
async fn reload_adds_a_backend() {
    let dead = closed_port().await;
    let added = Upstream::ok("added").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(&path, route_file("", &[("dead", format!("http://{dead}"))])).unwrap();
    let gateway = Gateway::start(ConfigSource::file(&path)).await.unwrap();
    let client = direct_client();

    let before = within(client.get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(before.status(), 503);

    std::fs::write(
        &path,
        route_file(
            "",
            &[("dead", format!("http://{dead}")), ("added", added.url())],
        ),
    )
    .unwrap();
    gateway.handle().reload().unwrap();

    let after = within(client.get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_eq!(
        header(&after, "x-staunch-endpoint").as_deref(),
        Some("added")
    );
}

#[tokio::test]
async fn invalid_reload_is_refused_and_the_old_config_stays() {
    let backend = Upstream::ok("kept").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(&path, route_file("", &[("kept", backend.url())])).unwrap();
    let gateway = Gateway::start(ConfigSource::file(&path)).await.unwrap();

    std::fs::write(
        &path,
        route_file("", &[("bad", "ftp://nowhere".to_string())]),
    )
    .unwrap();
    let err = gateway.handle().reload().unwrap_err();
    assert_eq!(err.field(), Some("routes[0].backends[0].url"));

    std::fs::write(&path, "[gateway]\nlisten = ").unwrap();
    assert!(
        gateway.handle().reload().is_err(),
        "a file that does not parse is refused too"
    );

    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "kept");
}

#[tokio::test]
async fn shutdown_drains_an_in_flight_slow_request() {
    let (arrived, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = Upstream::slow("finished", Arc::clone(&arrived), Arc::clone(&release)).await;
    let config = GatewayConfig::default()
        .with_drain_timeout(Duration::from_secs(10))
        .with_route(RouteConfig::new("/").with_backend("slow", slow.url()));
    let gateway = start_gateway(config).await;
    let url = gateway_url(&gateway, "/slow");
    let in_flight = tokio::spawn(async move { direct_client().get(url).send().await });
    within(arrived.notified()).await;

    let handle = gateway.handle();
    handle.shutdown();
    within(handle.listeners_closed()).await;
    assert!(
        TcpStream::connect(gateway.proxy_addr()).await.is_err(),
        "no new connections once draining"
    );

    release.notify_one();
    let response = within(in_flight).await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    let report = within(gateway.wait()).await;
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn drain_timeout_cuts_a_request_that_does_not_finish() {
    let (arrived, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let stuck = Upstream::slow("never", Arc::clone(&arrived), release).await;
    let config = GatewayConfig::default()
        .with_drain_timeout(Duration::from_millis(50))
        .with_route(RouteConfig::new("/").with_backend("stuck", stuck.url()));
    let gateway = start_gateway(config).await;
    let url = gateway_url(&gateway, "/");
    let in_flight = tokio::spawn(async move { direct_client().get(url).send().await });
    within(arrived.notified()).await;

    gateway.handle().shutdown();
    let report = within(gateway.wait()).await;
    assert!(report.forced >= 1, "{report:?}");
    assert!(
        within(in_flight).await.unwrap().is_err(),
        "the cut request fails"
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_hold_up_the_drain() {
    let backend = Upstream::ok("b").await;
    let config = GatewayConfig::default()
        .with_drain_timeout(Duration::from_secs(30))
        .with_route(RouteConfig::new("/").with_backend("b", backend.url()));
    let gateway = start_gateway(config).await;
    let client = direct_client();
    let response = within(client.get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "b");
    // `client` keeps its connection open and idle.
    gateway.handle().shutdown();
    let report = within(gateway.wait()).await;
    assert!(report.is_clean(), "{report:?}");
    drop(client);
}

#[tokio::test]
async fn admin_listener_answers_healthz() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let client = direct_client();
    let url = format!("http://{}/healthz", gateway.admin_addr());
    let response = within(client.get(&url).send()).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let post = within(client.post(&url).send()).await.unwrap();
    assert_eq!(post.status(), 405);
    let missing = within(
        client
            .get(format!("http://{}/nope", gateway.admin_addr()))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn invalid_config_at_start_names_the_field() {
    let config = GatewayConfig::default()
        .with_listen("127.0.0.1:0")
        .with_admin_listen("127.0.0.1:0")
        .with_route(RouteConfig::new("/").with_backend("b", "https://secure.test"));
    let err = Gateway::start(ConfigSource::fixed(config))
        .await
        .unwrap_err();
    let GatewayError::Config(err) = err else {
        panic!("not a config error: {err}");
    };
    assert_eq!(err.field(), Some("routes[0].backends[0].url"));
    assert!(err.to_string().contains("https://secure.test"), "{err}");
}

#[tokio::test]
async fn busy_port_at_start_is_a_bind_error() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = GatewayConfig::default()
        .with_listen(taken.local_addr().unwrap())
        .with_admin_listen("127.0.0.1:0");
    let err = Gateway::start(ConfigSource::fixed(config))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Bind { role: "proxy", .. }),
        "{err}"
    );
}
