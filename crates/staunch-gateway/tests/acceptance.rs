//! The gateway's acceptance scenarios, end to end on the engine: real
//! clients (reqwest, and curl when installed) through the gateway to local
//! backends and upstream proxies that inject faults. Backoff delays are
//! kept to a millisecond by configuration.

mod common;

use std::time::{Duration, Instant};

use common::*;
use staunch::breaker::BreakerConfig;
use staunch::retry::RetryConfig;
use staunch_gateway::config::{gateway_retry_defaults, GatewayConfig, ProxyConfig, RouteConfig};
use tokio::io::AsyncWriteExt;

/// 3 attempts, 1 ms then 2 ms between them.
fn fast() -> GatewayConfig {
    GatewayConfig::default().with_retry(RetryConfig {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
        ..gateway_retry_defaults()
    })
}

fn proxy_arg(gateway: &staunch_gateway::Gateway) -> String {
    format!("http://{}", gateway.proxy_addr())
}

#[tokio::test]
async fn forward_get_is_retried_past_two_503s_on_the_same_backend() {
    let target = Upstream::sequence(&[503, 503]).await;
    let gateway = start_gateway(fast()).await;
    let response = within(
        forward_client(&gateway)
            .get(format!("{}/items?page=1", target.url()))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-staunch-attempts").as_deref(),
        Some("3")
    );
    assert_eq!(
        header(&response, "x-staunch-endpoint").as_deref(),
        Some("direct")
    );
    assert_eq!(response.text().await.unwrap(), "ok");
    let seen = target.seen();
    assert_eq!(seen.len(), 3, "two 503s, then the answer");
    assert!(seen.iter().all(|r| r.uri == "/items?page=1"));

    let again = Upstream::sequence(&[503, 503]).await;
    let url = format!("{}/items", again.url());
    if let Some(answer) = curl(&["-x", &proxy_arg(&gateway), &url]).await {
        assert_eq!(answer.status, 200);
        assert_eq!(answer.headers["x-staunch-attempts"], "3");
        assert_eq!(answer.body, "ok");
        assert_eq!(again.seen().len(), 3);
    }
}

#[tokio::test]
async fn an_upstream_retry_after_is_waited_up_to_its_cap() {
    let target = Upstream::start(|_| async {
        let mut answer = reply(503, "busy");
        answer
            .headers_mut()
            .insert("retry-after", "1".parse().unwrap());
        answer
    })
    .await;
    let config = GatewayConfig::default().with_retry(RetryConfig {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_retry_after: Duration::from_millis(50),
        ..gateway_retry_defaults()
    });
    let gateway = start_gateway(config).await;
    let started = Instant::now();
    let response = within(forward_client(&gateway).get(target.url()).send())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), 503, "the last answer, as it is");
    assert_eq!(
        header(&response, "retry-after").as_deref(),
        Some("1"),
        "passed through"
    );
    assert_eq!(response.text().await.unwrap(), "busy");
    assert_eq!(target.seen().len(), 2);
    assert!(
        took >= Duration::from_millis(50),
        "the hint (capped at 50 ms) raised the 1 ms backoff: {took:?}"
    );
}

#[tokio::test]
async fn forward_fails_over_from_a_dead_upstream_proxy_to_a_live_one() {
    let dead = closed_port().await;
    let live = FakeProxy::start("live", None).await;
    // The default strategy, performance score.
    let config = fast()
        .with_upstream_proxy(ProxyConfig::new("dead", format!("http://{dead}")))
        .with_upstream_proxy(ProxyConfig::new("live", live.url()));
    let gateway = start_gateway(config).await;
    let client = forward_client(&gateway);
    let mut attempts = Vec::new();
    for i in 0..5 {
        let response = within(client.get(format!("http://origin.test/{i}")).send())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "x-staunch-endpoint").as_deref(),
            Some("live")
        );
        attempts.push(header(&response, "x-staunch-attempts").unwrap());
        assert_eq!(response.text().await.unwrap(), "via live");
    }
    // Both start unknown; the dead one is tried once (first or second),
    // fails over to the live one, and scores too low to be chosen again.
    assert_eq!(
        attempts.iter().filter(|a| *a == "2").count(),
        1,
        "{attempts:?}"
    );
    assert_eq!(
        attempts.iter().filter(|a| *a == "1").count(),
        4,
        "{attempts:?}"
    );
    assert_eq!(live.seen().len(), 5);

    if let Some(answer) = curl(&["-x", &proxy_arg(&gateway), "http://origin.test/curl"]).await {
        assert_eq!(answer.status, 200);
        assert_eq!(answer.headers["x-staunch-endpoint"], "live");
        assert_eq!(answer.body, "via live");
    }
}

#[tokio::test]
async fn connect_through_a_flaky_upstream_proxy_is_retried_until_the_tunnel_opens() {
    let (echo, _task) = echo_server().await;
    let flaky = FakeProxy::flaky("flaky", None, 1).await;
    let config = fast().with_upstream_proxy(ProxyConfig::new("flaky", flaky.url()));
    let gateway = start_gateway(config).await;
    let mut stream = tokio::net::TcpStream::connect(gateway.proxy_addr())
        .await
        .unwrap();
    stream
        .write_all(format!("CONNECT {echo} HTTP/1.1\r\nHost: {echo}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let head = within(read_head(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-staunch-attempts: 2\r\n"), "{head}");
    assert!(head.contains("x-staunch-endpoint: flaky\r\n"), "{head}");
    stream.write_all(b"ping through the tunnel").await.unwrap();
    let mut echoed = [0u8; 23];
    within(tokio::io::AsyncReadExt::read_exact(
        &mut stream,
        &mut echoed,
    ))
    .await
    .unwrap();
    assert_eq!(&echoed, b"ping through the tunnel");
    let seen = flaky.seen();
    assert_eq!(seen.len(), 2, "refused once with 503, then tunnelled");
    assert!(seen.iter().all(|r| r.method == "CONNECT"));

    // curl opens the tunnel itself (-p) and speaks HTTP inside it.
    let backend = Upstream::ok("tunnelled").await;
    let flaky = FakeProxy::flaky("flaky", None, 1).await;
    let config = fast().with_upstream_proxy(ProxyConfig::new("flaky", flaky.url()));
    let gateway = start_gateway(config).await;
    if let Some(answer) = curl(&["-p", "-x", &proxy_arg(&gateway), &backend.url()]).await {
        assert_eq!(answer.status, 200, "the CONNECT answer");
        assert_eq!(answer.headers["x-staunch-attempts"], "2");
        assert!(answer.body.ends_with("tunnelled"), "{}", answer.body);
        assert_eq!(flaky.seen().len(), 2);
    }
}

#[tokio::test]
async fn reverse_route_fails_over_across_three_backends_with_one_killed() {
    let (a, b, c) = (
        Upstream::ok("a").await,
        Upstream::ok("b").await,
        Upstream::ok("c").await,
    );
    let route = RouteConfig::new("/api")
        .with_backend("a", a.url())
        .with_backend("b", b.url())
        .with_backend("c", c.url());
    let gateway = start_gateway(fast().with_route(route)).await;
    let client = direct_client();
    let url = gateway_url(&gateway, "/api/items");
    for _ in 0..6 {
        let response = within(client.get(&url).send()).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "x-staunch-attempts").as_deref(),
            Some("1")
        );
    }
    assert_eq!(
        (a.seen().len(), b.seen().len(), c.seen().len()),
        (2, 2, 2),
        "round robin"
    );

    b.kill();
    let mut failovers = 0;
    for _ in 0..9 {
        let response = within(client.get(&url).send()).await.unwrap();
        assert_eq!(response.status(), 200, "every request still answered");
        let endpoint = header(&response, "x-staunch-endpoint").unwrap();
        assert_ne!(endpoint, "b");
        if header(&response, "x-staunch-attempts").as_deref() == Some("2") {
            failovers += 1;
        }
        assert_eq!(response.text().await.unwrap(), endpoint);
    }
    assert_eq!(b.seen().len(), 2, "nothing reached the killed backend");
    assert!(failovers >= 1, "some requests were sent to b first");
    assert_eq!(a.seen().len() + c.seen().len(), 4 + 9);

    if let Some(answer) = curl(&[&url]).await {
        assert_eq!(answer.status, 200);
        assert_ne!(answer.headers["x-staunch-endpoint"], "b");
    }
}

#[tokio::test]
async fn post_is_retried_only_with_the_opt_in_header_or_an_idempotency_key() {
    let backend = Upstream::status(503).await;
    let route = RouteConfig::new("/").with_backend("only", backend.url());
    // A breaker that stays closed through the test's 8 failures (the
    // default opens at 5, and then the retries would stop on it).
    let breaker = BreakerConfig::default().with_failure_threshold(100);
    let config = fast().with_circuit_breaker(breaker).with_route(route);
    let gateway = start_gateway(config).await;
    let client = direct_client();
    let url = gateway_url(&gateway, "/orders");

    let plain = within(client.post(&url).body("payload").send())
        .await
        .unwrap();
    assert_eq!(plain.status(), 503, "the upstream answer, as it is");
    assert_eq!(header(&plain, "x-staunch-attempts").as_deref(), Some("1"));
    assert_eq!(plain.text().await.unwrap(), "fault");
    assert_eq!(backend.seen().len(), 1, "sent once");

    let opted_in = within(
        client
            .post(&url)
            .header("x-staunch-idempotent", "true")
            .body("payload")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(opted_in.status(), 503, "the last upstream answer");
    assert_eq!(
        header(&opted_in, "x-staunch-attempts").as_deref(),
        Some("3")
    );
    assert_eq!(backend.seen().len(), 1 + 3);

    let keyed = within(
        client
            .post(&url)
            .header("idempotency-key", "order-42")
            .body("payload")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(header(&keyed, "x-staunch-attempts").as_deref(), Some("3"));
    let seen = backend.seen();
    assert_eq!(seen.len(), 1 + 3 + 3);
    assert!(
        seen.iter()
            .all(|r| r.method == "POST" && r.body == "payload"),
        "the buffered body is replayed whole"
    );
    assert!(
        seen.iter()
            .all(|r| r.headers.get("x-staunch-idempotent").is_none()),
        "control headers are not forwarded"
    );

    if let Some(answer) = curl(&["-X", "POST", "-d", "payload", &url]).await {
        assert_eq!(answer.status, 503);
        assert_eq!(answer.headers["x-staunch-attempts"], "1");
        assert_eq!(backend.seen().len(), 8);
    }
}

#[tokio::test]
async fn every_backend_down_is_a_503_with_retry_after_and_json_at_once() {
    let (a, b) = (closed_port().await, closed_port().await);
    // A backoff far longer than the test: an answer "at once" cannot have
    // waited it. Each breaker opens on its first failure, for 30 s.
    let config = GatewayConfig::default()
        .with_retry(RetryConfig {
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(5),
            ..gateway_retry_defaults()
        })
        .with_circuit_breaker(
            BreakerConfig::default()
                .without_failure_threshold()
                .with_consecutive_failures(1)
                .with_open_duration(Duration::from_secs(30)),
        )
        .with_route(
            RouteConfig::new("/")
                .with_backend("a", format!("http://{a}"))
                .with_backend("b", format!("http://{b}")),
        );
    let gateway = start_gateway(config).await;
    let client = direct_client();
    let url = gateway_url(&gateway, "/");

    // Both refuse and open; the third attempt finds no endpoint and the
    // call ends without sleeping the backoff.
    let started = Instant::now();
    let first = within(client.get(&url).send()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no backoff slept"
    );
    assert_eq!(first.status(), 503);
    assert_eq!(header(&first, "x-staunch-attempts").as_deref(), Some("2"));

    // Now every breaker is open: 503 at once, nothing sent.
    let started = Instant::now();
    let second = within(client.get(&url).send()).await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "answered at once: {took:?}");
    assert_eq!(second.status(), 503);
    assert_eq!(header(&second, "x-staunch-attempts").as_deref(), Some("0"));
    let retry_after: u64 = header(&second, "retry-after").unwrap().parse().unwrap();
    assert!(
        (29..=30).contains(&retry_after),
        "the next probe, rounded up: {retry_after}"
    );
    assert_eq!(
        header(&second, "content-type").as_deref(),
        Some("application/json")
    );
    let body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("circuit breaker"));
    assert_eq!(body["details"]["attempts"], 0);
    assert_eq!(body["details"]["retry_after_secs"], retry_after);
    let errors = body["details"]["errors"].as_array().unwrap();
    let open: Vec<_> = errors
        .iter()
        .map(|e| (e["endpoint"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(open, [("a", "circuit_open"), ("b", "circuit_open")]);

    if let Some(answer) = curl(&[&url]).await {
        assert_eq!(answer.status, 503);
        assert!(answer.headers.contains_key("retry-after"));
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["error"], "unavailable");
    }
}
