//! CONNECT tunnels: the connect step fails over; bytes flow both ways once
//! the tunnel is up.

mod common;

use std::net::SocketAddr;

use common::*;
use staunch_gateway::config::{GatewayConfig, ProxyConfig, Strategy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `CONNECT target` to the gateway; returns the open stream and the
/// response head.
async fn connect(gateway: SocketAddr, target: &str, extra: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(gateway).await.unwrap();
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = within(read_head(&mut stream)).await;
    (stream, head)
}

async fn assert_echoes(stream: &mut TcpStream) {
    stream.write_all(b"ping through the tunnel").await.unwrap();
    let mut buf = [0u8; 23];
    within(stream.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"ping through the tunnel");
}

fn head_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn connect_tunnel_reaches_echo_server_directly() {
    let (echo, _task) = echo_server().await;
    let gateway = start_gateway(GatewayConfig::default()).await;
    let (mut stream, head) = connect(gateway.proxy_addr(), &echo.to_string(), "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(head_header(&head, "x-staunch-endpoint"), Some("direct"));
    assert_eq!(head_header(&head, "x-staunch-attempts"), Some("1"));
    assert_echoes(&mut stream).await;
}

#[tokio::test]
async fn connect_tunnel_fails_over_to_an_upstream_proxy_that_works() {
    let (echo, _task) = echo_server().await;
    let dead = closed_port().await;
    let wrong_creds = FakeProxy::start("wrong", Some("Basic bm9wZTpub3Bl")).await;
    let live = FakeProxy::start("live", Some("Basic dTpw")).await; // u:p
    let config = GatewayConfig::default()
        .with_proxy_strategy(Strategy::RoundRobin)
        .with_upstream_proxy(ProxyConfig::new("dead", format!("http://{dead}")))
        .with_upstream_proxy(ProxyConfig::new(
            "wrong",
            format!("http://u:p@{}", wrong_creds.addr),
        ))
        .with_upstream_proxy(ProxyConfig::new(
            "live",
            format!("http://u:p@{}", live.addr),
        ));
    let gateway = start_gateway(config).await;
    let (mut stream, head) = connect(gateway.proxy_addr(), &echo.to_string(), "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(head_header(&head, "x-staunch-endpoint"), Some("live"));
    assert_eq!(head_header(&head, "x-staunch-attempts"), Some("3"));
    assert_echoes(&mut stream).await;
    assert_eq!(
        wrong_creds.seen().len(),
        1,
        "407 moved on to the next proxy"
    );
    let seen = live.seen();
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].uri, echo.to_string());
    assert_eq!(seen[0].headers["proxy-authorization"], "Basic dTpw");
}

#[tokio::test]
async fn unreachable_tunnel_target_is_a_503_with_retry_after() {
    let dead = closed_port().await;
    let gateway = start_gateway(GatewayConfig::default()).await;
    let (mut stream, head) = connect(gateway.proxy_addr(), &dead.to_string(), "").await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert_eq!(head_header(&head, "retry-after"), Some("1"));
    let len: usize = head_header(&head, "content-length")
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    within(stream.read_exact(&mut body)).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "unavailable");
}

#[tokio::test]
async fn connect_max_attempts_header_limits_the_failover() {
    let (echo, _task) = echo_server().await;
    let dead = closed_port().await;
    let live = FakeProxy::start("live", None).await;
    let config = GatewayConfig::default()
        .with_proxy_strategy(Strategy::RoundRobin)
        .with_upstream_proxy(ProxyConfig::new("dead", format!("http://{dead}")))
        .with_upstream_proxy(ProxyConfig::new("live", live.url()));
    let gateway = start_gateway(config).await;
    let (_stream, head) = connect(
        gateway.proxy_addr(),
        &echo.to_string(),
        "X-Staunch-Max-Attempts: 1\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(live.seen().is_empty());
}

#[tokio::test]
async fn connect_without_port_is_a_400() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let (_stream, head) = connect(gateway.proxy_addr(), "example.test", "").await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
}

#[tokio::test]
async fn open_tunnel_is_cut_when_the_drain_time_is_up() {
    let (echo, _task) = echo_server().await;
    let config = GatewayConfig::default().with_drain_timeout(std::time::Duration::from_millis(50));
    let gateway = start_gateway(config).await;
    let (mut stream, head) = connect(gateway.proxy_addr(), &echo.to_string(), "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_echoes(&mut stream).await;

    gateway.handle().shutdown();
    let report = within(gateway.wait()).await;
    assert!(
        report.forced >= 1,
        "the idle tunnel was still open: {report:?}"
    );
    let mut rest = Vec::new();
    let closed = within(stream.read_to_end(&mut rest)).await;
    assert!(closed.is_err() || rest.is_empty(), "the tunnel is closed");
}
