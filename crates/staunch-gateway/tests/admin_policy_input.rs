//! `/api/v1/retry/policy` on a running gateway: GET shows the live policy,
//! PUT changes only the fields sent, and bad input is a 4xx with the error
//! shape (every range limit, malformed bodies, bodies over the cap).

mod common;

use common::*;
use serde_json::json;
use staunch_gateway::config::GatewayConfig;

#[tokio::test]
async fn policy_get_shows_the_live_policy() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let answer = Admin::new(&gateway).get("/api/v1/retry/policy").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json,
        json!({
            "max_attempts": 3, "backoff_strategy": "exponential", "base_delay": 0.1,
            "multiplier": 2.0, "max_backoff_delay": 2.0, "jitter": "none",
            "retry_status_codes": [429, 500, 502, 503, 504], "timeout": null, "enabled": true
        })
    );
    assert_eq!(answer.headers["content-type"], "application/json");
}

#[tokio::test]
async fn policy_put_changes_only_the_fields_sent_and_get_shows_it() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let body =
        json!({ "max_attempts": 5, "jitter": "full", "timeout": 2.5, "retry_status_codes": [503] });
    let put = admin.put_json("/api/v1/retry/policy", &body).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json["max_attempts"], 5);
    assert_eq!(put.json["jitter"], "full");
    assert_eq!(put.json["timeout"], 2.5);
    assert_eq!(put.json["retry_status_codes"], json!([503]));
    assert_eq!(put.json["base_delay"], 0.1, "left out, kept");
    let get = admin.get("/api/v1/retry/policy").await;
    assert_eq!(get.json, put.json);
}

/// Equal JSON, numbers compared as numbers (`60` is `60.0`).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[tokio::test]
async fn each_policy_range_limit_is_accepted_just_inside_and_refused_just_outside() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let cases = [
        ("max_attempts", json!(1), json!(0)),
        ("max_attempts", json!(10), json!(11)),
        ("base_delay", json!(0.1), json!(0.09)),
        ("base_delay", json!(60), json!(60.01)),
        ("multiplier", json!(1.1), json!(1.09)),
        ("multiplier", json!(10), json!(10.01)),
        ("max_backoff_delay", json!(1), json!(0.99)),
        ("max_backoff_delay", json!(300), json!(300.01)),
        ("retry_status_codes", json!([400]), json!([399])),
        ("retry_status_codes", json!([599]), json!([600])),
        ("timeout", json!(0.001), json!(0.0)),
        ("timeout", json!(300), json!(300.01)),
    ];
    for (field, inside, outside) in cases {
        let ok = admin
            .put_json("/api/v1/retry/policy", &json!({ field: inside }))
            .await;
        assert_eq!(ok.status, 200, "{field} = {inside}: {}", ok.text);
        assert!(same(&ok.json[field], &inside), "{field}: {}", ok.text);
        let refused = admin
            .put_json("/api/v1/retry/policy", &json!({ field: outside }))
            .await;
        assert_eq!(refused.status, 400, "{field} = {outside}");
        assert_eq!(refused.error_code(), "invalid_field");
        assert_eq!(refused.json["details"]["field"], field);
        // A list is refused naming its first bad entry.
        let bad = if outside.is_array() {
            &outside[0]
        } else {
            &outside
        };
        assert_eq!(&refused.json["details"]["value"], bad);
        assert!(refused.json["details"]["allowed"].is_string());
        // The refused value did not land.
        let now = admin.get("/api/v1/retry/policy").await;
        assert!(same(&now.json[field], &inside), "{field}");
    }
}

#[tokio::test]
async fn bad_policy_bodies_are_400_with_the_error_shape_never_500() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let cases: [(&str, &str); 9] = [
        ("{\"max_attempts\": 3", "malformed_json"),
        ("", "malformed_json"),
        ("not json", "malformed_json"),
        ("{\"max_attempts\": \"3\"}", "invalid_field"),
        ("{\"jitter\": 0.5}", "invalid_field"),
        ("{\"retry_status_codes\": \"503\"}", "invalid_field"),
        ("{\"max_attempts\": null}", "invalid_field"),
        ("{\"maxAttempts\": 3}", "unknown_field"),
        ("[1, 2, 3]", "invalid_body"),
    ];
    for (body, code) in cases {
        let answer = admin.put("/api/v1/retry/policy", body).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert_eq!(answer.error_code(), code, "{body}");
    }
    let unknown = admin.put("/api/v1/retry/policy", "{\"retries\": 3}").await;
    assert_eq!(unknown.json["details"]["field"], "retries");
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let gateway = start_gateway(GatewayConfig::default()).await;
    let admin = Admin::new(&gateway);
    let huge = format!(
        "{{\"max_attempts\": 3, \"pad\": \"{}\"}}",
        "x".repeat(70 * 1024)
    );
    let answer = admin.put("/api/v1/retry/policy", huge).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.error_code(), "body_too_large");
    // Just under the cap it is read (and refused for its content).
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(60 * 1024));
    let answer = admin.put("/api/v1/retry/policy", big).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "unknown_field");
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_413_too() {
    use tokio::io::AsyncWriteExt;
    let gateway = start_gateway(GatewayConfig::default()).await;
    let mut stream = tokio::net::TcpStream::connect(gateway.admin_addr())
        .await
        .unwrap();
    let mut request = b"PUT /api/v1/retry/policy HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..80 {
        request.extend_from_slice(format!("400\r\n{}\r\n", "y".repeat(1024)).as_bytes());
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(&request).await;
    let head = within(read_head(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}
