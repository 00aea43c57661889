//! The upstream client against real local servers: connections are kept
//! alive and reused, closed ones are not, and the request target takes the
//! form the destination expects.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::uri::Authority;
use http::{header, Request};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{direct_client, proxied_client, ProxyBody};
use crate::reply::full;

/// A server answering every request with its request line as the body.
/// Counts accepted connections; closes each after `per_connection`
/// requests (with `Connection: close` on the last one).
async fn server(per_connection: usize) -> (Authority, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(stream, per_connection));
        }
    });
    (authority, accepted)
}

async fn answer(mut stream: TcpStream, per_connection: usize) {
    let mut buf = Vec::new();
    for served in 1..=per_connection {
        let head = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                buf.drain(..end + 4);
                break head;
            }
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let line = head.lines().next().unwrap_or_default().to_string();
        let close = if served == per_connection {
            "connection: close\r\n"
        } else {
            ""
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n{close}\r\n{line}",
            line.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn get(uri: &str, host: &Authority) -> Request<ProxyBody> {
    Request::builder()
        .uri(uri)
        .header(header::HOST, host.as_str())
        .body(full(Default::default()))
        .unwrap()
}

async fn body_text(response: http::Response<hyper::body::Incoming>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn keep_alive_connection_is_reused_for_the_next_request() {
    let (backend, accepted) = server(100).await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    for _ in 0..5 {
        let response = client.send(get("/x", &backend)).await.unwrap();
        assert_eq!(body_text(response).await, "GET /x HTTP/1.1");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(client.pooled(None), 1);
}

#[tokio::test]
async fn direct_client_pools_connections_per_host() {
    let (a, accepted_a) = server(100).await;
    let (b, accepted_b) = server(100).await;
    let client = direct_client(Duration::from_secs(5));
    for _ in 0..3 {
        for host in [&a, &b] {
            let uri = format!("http://{host}/z");
            let response = client.send(get(&uri, host)).await.unwrap();
            assert_eq!(body_text(response).await, "GET /z HTTP/1.1");
        }
    }
    assert_eq!(accepted_a.load(Ordering::SeqCst), 1);
    assert_eq!(accepted_b.load(Ordering::SeqCst), 1);
    assert_eq!(client.pooled(Some(&a)), 1);
    assert_eq!(client.pooled(Some(&b)), 1);
}

#[tokio::test]
async fn connection_closed_by_the_upstream_is_not_reused() {
    let (backend, accepted) = server(1).await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    for _ in 0..3 {
        let response = client.send(get("/y", &backend)).await.unwrap();
        assert_eq!(body_text(response).await, "GET /y HTTP/1.1");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn direct_client_sends_origin_form_to_the_target_host() {
    let (target, _) = server(100).await;
    let client = direct_client(Duration::from_secs(5));
    let uri = format!("http://{target}/path?q=1");
    let response = client.send(get(&uri, &target)).await.unwrap();
    assert_eq!(body_text(response).await, "GET /path?q=1 HTTP/1.1");
}

#[tokio::test]
async fn proxy_client_sends_absolute_form_to_the_proxy() {
    let (proxy, accepted) = server(100).await;
    let client = proxied_client(proxy.clone(), Duration::from_secs(5));
    let target: Authority = "example.invalid:8080".parse().unwrap();
    let uri = "http://example.invalid:8080/path?q=1";
    let response = client.send(get(uri, &target)).await.unwrap();
    assert_eq!(
        body_text(response).await,
        "GET http://example.invalid:8080/path?q=1 HTTP/1.1"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
    drop(listener);
    let client = direct_client(Duration::from_secs(5)).for_backend(closed.clone());
    let err = client.send(get("/", &closed)).await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}
