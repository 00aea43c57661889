//! Local servers for the gateway's end-to-end tests: backends that record
//! what they receive and inject faults, fake upstream proxies, an echo
//! server, a server that answers garbage, and closed ports.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

mod admin;
mod faults;
mod upstream;

use std::future::Future;
use std::time::Duration;

use staunch_gateway::config::{ConfigSource, GatewayConfig};
use staunch_gateway::Gateway;

pub(crate) use admin::*;
pub(crate) use faults::*;
pub(crate) use upstream::*;

/// Upper bound on any single wait in a test, so a bug fails instead of
/// hanging.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`].
pub(crate) async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("timed out waiting")
}

/// Starts a gateway with `config` on ephemeral ports.
pub(crate) async fn start_gateway(config: GatewayConfig) -> Gateway {
    let config = config
        .with_listen("127.0.0.1:0")
        .with_admin_listen("127.0.0.1:0");
    Gateway::start(ConfigSource::fixed(config)).await.unwrap()
}

/// A client that sends everything through the gateway as a forward proxy.
pub(crate) fn forward_client(gateway: &Gateway) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(format!("http://{}", gateway.proxy_addr())).unwrap())
        .build()
        .unwrap()
}

/// A client that talks to the gateway as a server (reverse routes).
pub(crate) fn direct_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `http://proxy_addr{path}` for reverse-route requests.
pub(crate) fn gateway_url(gateway: &Gateway, path: &str) -> String {
    format!("http://{}{path}", gateway.proxy_addr())
}

/// The value of a response header as text.
pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// What `curl` received: status, headers (names lower-cased) and body.
#[derive(Debug)]
pub(crate) struct CurlAnswer {
    pub(crate) status: u16,
    pub(crate) headers: std::collections::HashMap<String, String>,
    pub(crate) body: String,
}

/// Runs `curl -sS -i ARGS`, or returns `None` when curl is not installed
/// (the test then covers the reqwest client only). Proxy variables of the
/// environment are ignored: only `-x` in `args` sets one.
pub(crate) async fn curl(args: &[&str]) -> Option<CurlAnswer> {
    let mut command = tokio::process::Command::new("curl");
    command.args(["-sS", "-i", "--max-time", "10"]).args(args);
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        command.env_remove(var);
    }
    let out = match within(command.output()).await {
        Ok(out) => out,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("curl is not installed: its part of the test is skipped");
            return None;
        }
        Err(err) => panic!("curl could not run: {err}"),
    };
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(CurlAnswer {
        status,
        headers,
        body: body.to_string(),
    })
}
