//! The OpenAPI document is true: every documented path, method and status
//! is produced by the running server, with the documented content type and
//! the required fields of the documented schema; and every route the server
//! answers is documented. Every write documents (and produces) the 403
//! that refuses a foreign `Origin`.

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use serde_json::Value;
use staunch_gateway::admin::OPENAPI_YAML;
use staunch_gateway::config::{ConfigSource, GatewayConfig, ProxyConfig, RouteConfig};
use staunch_gateway::Gateway;

const TOKEN: &str = "openapi-test-token";

/// Every route the server answers (what `src/admin/route.rs` lists).
const SERVED: [(&str, &str); 17] = [
    ("get", "/"),
    ("get", "/openapi.yaml"),
    ("get", "/metrics"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/healthz"),
    ("get", "/api/v1/readyz"),
    ("get", "/api/v1/retry/policy"),
    ("put", "/api/v1/retry/policy"),
    ("get", "/api/v1/circuit-breakers"),
    ("get", "/api/v1/circuit-breakers/metrics"),
    ("get", "/api/v1/circuit-breakers/{id}"),
    ("post", "/api/v1/circuit-breakers/{id}/reset"),
    ("post", "/api/v1/circuit-breakers/{id}/isolate"),
    ("get", "/api/v1/metrics/retries"),
    ("get", "/api/v1/metrics/retries/timeseries"),
    ("get", "/api/v1/metrics/retries/by-proxy"),
];

fn document() -> Value {
    serde_yaml::from_str(OPENAPI_YAML).expect("the document is YAML")
}

/// Follows a `$ref` inside the document.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                doc,
                doc.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {reference}")),
            )
        }
        None => value,
    }
}

/// The required fields of a schema, `allOf` parts merged.
fn required(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(doc, schema);
    let mut fields: BTreeSet<String> = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|f| f.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            fields.extend(required(doc, part));
        }
    }
    fields
}

struct Servers {
    /// Loopback admin with a token: reads are open, writes need it.
    local: Gateway,
    /// Admin on 0.0.0.0 with a token: every call needs it.
    exposed: Gateway,
    _backend: Upstream,
}

async fn servers() -> Servers {
    let backend = Upstream::ok("b").await;
    let config = GatewayConfig::default()
        .with_admin_token(TOKEN)
        .with_route(RouteConfig::new("/api").with_backend("b1", backend.url()))
        .with_upstream_proxy(ProxyConfig::new("px", "http://127.0.0.1:9"));
    let local = start_gateway(config.clone()).await;
    let exposed = Gateway::start(ConfigSource::fixed(
        config
            .with_listen("127.0.0.1:0")
            .with_admin_listen("0.0.0.0:0"),
    ))
    .await
    .unwrap();
    Servers {
        local,
        exposed,
        _backend: backend,
    }
}

/// Makes the server give `status` for `method path`, and returns the answer.
async fn exercise(servers: &Servers, method: &str, template: &str, status: u16) -> Answer {
    let id = if status == 404 { "nope" } else { "b1" };
    let path = template.replace("{id}", id);
    let local = Admin::new(&servers.local).with_token(TOKEN);
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    match status {
        200 | 404 => {
            let body = (method == Method::PUT).then(|| b"{\"max_attempts\": 3}".to_vec());
            local.send(method, &path, body).await
        }
        400 if method == Method::PUT => local.send(method, &path, Some(b"{".to_vec())).await,
        400 if path.ends_with("timeseries")
            || path.ends_with("by-proxy")
            || path.ends_with("/metrics") && path.starts_with("/api") =>
        {
            local.get(&format!("{path}?hours=0")).await
        }
        400 => local.get(&format!("{path}?unknown=1")).await,
        401 if method == Method::GET => {
            let mut exposed = Admin::new(&servers.exposed);
            exposed.base = format!("http://127.0.0.1:{}", servers.exposed.admin_addr().port());
            exposed.get(&path).await
        }
        401 => {
            Admin::new(&servers.local)
                .send(method, &path, Some(b"{}".to_vec()))
                .await
        }
        403 => {
            local
                .with_header("origin", "http://evil.example")
                .send(method, &path, Some(b"{}".to_vec()))
                .await
        }
        413 => {
            let huge = vec![b' '; 65 * 1024 + 1];
            local.send(method, &path, Some(huge)).await
        }
        503 => {
            for breaker in ["b1", "px"] {
                local
                    .post(&format!("/api/v1/circuit-breakers/{breaker}/isolate"))
                    .await;
            }
            let answer = local.get(&path).await;
            for breaker in ["b1", "px"] {
                local
                    .post(&format!("/api/v1/circuit-breakers/{breaker}/reset"))
                    .await;
            }
            answer
        }
        other => panic!("no way to produce {other} for {method} {template}: teach this test"),
    }
}

#[tokio::test]
async fn every_documented_response_is_what_the_server_answers() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let servers = servers().await;
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = BTreeSet::new();
    let mut checked = 0;
    for (template, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            documented.insert((method.clone(), template.clone()));
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("200"),
                "{method} {template} documents its success"
            );
            if method != "get" {
                assert!(
                    responses.contains_key("403"),
                    "{method} {template} documents the cross-origin refusal"
                );
            }
            for (status, response) in responses {
                let status: u16 = status.parse().unwrap();
                let answer = exercise(&servers, method, template, status).await;
                assert_eq!(
                    answer.status.as_u16(),
                    status,
                    "{method} {template}: {}",
                    answer.text
                );
                let response = resolve(&doc, response);
                let content = response["content"].as_object().unwrap();
                let (content_type, media) = content.iter().next().unwrap();
                let got = answer.headers["content-type"].to_str().unwrap();
                assert!(
                    got.starts_with(content_type.as_str()),
                    "{method} {template} {status}: {got}"
                );
                if content_type == "application/json" {
                    let fields = required(&doc, &media["schema"]);
                    let body = answer
                        .json
                        .as_object()
                        .unwrap_or_else(|| panic!("{}", answer.text));
                    for field in &fields {
                        assert!(
                            body.contains_key(field),
                            "{method} {template} {status}: no `{field}` in {}",
                            answer.text
                        );
                    }
                    if status >= 400 {
                        assert_eq!(body.len(), 3, "errors are {{error, message, details}}");
                    }
                }
                if let Some(headers) = response["headers"].as_object() {
                    for name in headers.keys() {
                        assert!(
                            answer.headers.contains_key(name.as_str()),
                            "{method} {template} {status}: no {name}"
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    let served: BTreeSet<(String, String)> = SERVED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served, "documented routes are the served ones");
    assert!(checked >= 48, "only {checked} responses checked");
}

#[tokio::test]
async fn the_served_document_is_the_embedded_one() {
    let servers = servers().await;
    let answer = Admin::new(&servers.local).get("/openapi.yaml").await;
    assert_eq!(answer.text, OPENAPI_YAML);
}

#[tokio::test]
async fn every_schema_reference_resolves() {
    let doc = document();
    fn walk(doc: &Value, value: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let pointer = reference.trim_start_matches('#');
                    assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
                }
                map.values().for_each(|v| walk(doc, v));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(doc, v)),
            _ => {}
        }
    }
    walk(&doc, &doc);
}
