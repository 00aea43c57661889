//! A client for the admin API.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use staunch_gateway::config::{GatewayConfig, ProxyConfig, RouteConfig};
use staunch_gateway::Gateway;

use super::{within, Upstream};

/// Calls the admin API of one gateway, with or without a token.
pub(crate) struct Admin {
    pub(crate) base: String,
    client: reqwest::Client,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

/// A response's status, headers and body (JSON when it parses, else the
/// text as a JSON string).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Admin {
    pub(crate) fn new(gateway: &Gateway) -> Self {
        Self {
            base: format!("http://{}", gateway.admin_addr()),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            token: None,
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// Sends `name: value` with every call (e.g. a foreign `Origin`).
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = within(request.send()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = within(response.text()).await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str) -> Answer {
        self.send(Method::POST, path, None).await
    }

    pub(crate) async fn put(&self, path: &str, body: impl Into<Vec<u8>>) -> Answer {
        self.send(Method::PUT, path, Some(body.into())).await
    }

    pub(crate) async fn put_json(&self, path: &str, body: &Value) -> Answer {
        self.put(path, body.to_string()).await
    }
}

impl Answer {
    /// Asserts the error shape and returns the `error` code.
    pub(crate) fn error_code(&self) -> String {
        let obj = self
            .json
            .as_object()
            .unwrap_or_else(|| panic!("not JSON: {}", self.text));
        assert!(obj["error"].is_string(), "{}", self.text);
        assert!(obj["message"].is_string(), "{}", self.text);
        assert!(obj["details"].is_object(), "{}", self.text);
        assert_eq!(obj.len(), 3, "{}", self.text);
        obj["error"].as_str().unwrap().to_string()
    }
}

/// Route `/api` over a dead backend `api-dead` (at `dead`) and a live one
/// `api-live`, plus an unreachable upstream proxy `proxy-1`.
pub(crate) fn two_route_config(dead: std::net::SocketAddr, live: &Upstream) -> GatewayConfig {
    GatewayConfig::default()
        .with_route(
            RouteConfig::new("/api")
                .with_backend("api-dead", format!("http://{dead}"))
                .with_backend("api-live", live.url()),
        )
        .with_upstream_proxy(ProxyConfig::new("proxy-1", "http://127.0.0.1:9"))
}
