//! A gateway with some traffic behind it, for looking at the dashboard:
//! `scripts/dashboard-check.sh` loads its page in headless Chromium.
//!
//! It starts three local backends (one healthy, one answering 503, one
//! closed port) behind the route `/`, and an upstream proxy `proxy-eu`,
//! sends requests until the failing backends' breakers open, isolates
//! `proxy-eu` through the admin API, prints `ADMIN http://<addr>` and keeps
//! serving (with a little traffic every second) until Ctrl-C. The states
//! the page must show: `healthy` closed, `flaky` open, `gone` open,
//! `proxy-eu` isolated.
//!
//! ```text
//! cargo run -p staunch-gateway --example dashboard_demo -- [ADMIN_ADDR]
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use staunch::budget::BudgetConfig;
use staunch_gateway::config::{ConfigSource, GatewayConfig, ProxyConfig, RouteConfig};
use staunch_gateway::Gateway;
use tokio::net::TcpListener;

/// A backend answering `status` to everything.
async fn backend(status: u16) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(move |_request| async move {
                    let mut response = Response::new(Full::new(Bytes::from_static(b"demo\n")));
                    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// A port nothing listens on.
async fn closed_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    Ok(listener.local_addr()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let healthy = backend(200).await?;
    let flaky = backend(503).await?;
    let gone = closed_port().await?;
    let proxy = closed_port().await?;
    let config = GatewayConfig::default()
        .with_listen("127.0.0.1:0")
        .with_admin_listen(admin_listen)
        .with_budget(BudgetConfig::default().with_min_per_sec(1000))
        .with_route(
            RouteConfig::new("/")
                .with_backend("flaky", format!("http://{flaky}"))
                .with_backend("gone", format!("http://{gone}"))
                .with_backend("healthy", format!("http://{healthy}")),
        )
        .with_upstream_proxy(ProxyConfig::new(
            "proxy-eu",
            format!("http://demo:not-shown@{proxy}"),
        ));
    let gateway = Gateway::start(ConfigSource::fixed(config))
        .await
        .context("starting the gateway")?;
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let proxy_url = format!("http://{}/", gateway.proxy_addr());
    for _ in 0..12 {
        let response = client.get(proxy_url.parse()?).await?;
        response.into_body().collect().await?;
    }
    let isolate = http::Request::post(format!(
        "http://{}/api/v1/circuit-breakers/proxy-eu/isolate",
        gateway.admin_addr()
    ))
    .body(Empty::<Bytes>::new())?;
    let answer = client.request(isolate).await?;
    anyhow::ensure!(
        answer.status() == StatusCode::OK,
        "isolate: {}",
        answer.status()
    );
    println!("ADMIN http://{}", gateway.admin_addr());
    println!("PROXY http://{}", gateway.proxy_addr());
    let traffic = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(uri) = proxy_url.parse() {
                if let Ok(response) = client.get(uri).await {
                    let _ = response.into_body().collect().await;
                }
            }
        }
    };
    tokio::select! {
        () = traffic => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    gateway.handle().shutdown();
    gateway.wait().await;
    Ok(())
}
