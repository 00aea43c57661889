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
