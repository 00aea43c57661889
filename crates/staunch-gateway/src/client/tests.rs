//! The upstream client against real local servers: connections are kept
//! alive and reused, closed ones are not, the request target takes the
//! form the destination expects, and bodies in every framing arrive whole.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::uri::Authority;
use http::{Method, Uri};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{
    direct_client, proxied_client, ClientError, OutBody, OutRequest, RawFields, UpstreamClient,
    UpstreamResponse,
};

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

/// Sends `method uri` with `body` through `client`, with `host` as `Host`.
async fn send(
    client: &UpstreamClient,
    method: Method,
    uri: &str,
    host: &Authority,
    body: &'static [u8],
) -> Result<UpstreamResponse, ClientError> {
    let uri: Uri = uri.parse().unwrap();
    let fields = RawFields::default();
    let request = OutRequest {
        method: &method,
        uri: &uri,
        base_path: "",
        host: host.as_str().as_bytes(),
        fields: &fields,
        content_length: None,
        proxy_authorization: None,
        forwarded: None,
    };
    client
        .send(&request, OutBody::Full(Bytes::from_static(body)))
        .await
}

async fn get(client: &UpstreamClient, uri: &str, host: &Authority) -> UpstreamResponse {
    send(client, Method::GET, uri, host, b"").await.unwrap()
}

async fn body_text(response: UpstreamResponse) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn keep_alive_connection_is_reused_for_the_next_request() {
    let (backend, accepted) = server(100).await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    for _ in 0..5 {
        let response = get(&client, "/x", &backend).await;
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
            let response = get(&client, &uri, host).await;
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
        let response = get(&client, "/y", &backend).await;
        assert_eq!(body_text(response).await, "GET /y HTTP/1.1");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn direct_client_sends_origin_form_to_the_target_host() {
    let (target, _) = server(100).await;
    let client = direct_client(Duration::from_secs(5));
    let uri = format!("http://{target}/path?q=1");
    let response = get(&client, &uri, &target).await;
    assert_eq!(body_text(response).await, "GET /path?q=1 HTTP/1.1");
}

#[tokio::test]
async fn proxy_client_sends_absolute_form_to_the_proxy() {
    let (proxy, accepted) = server(100).await;
    let client = proxied_client(proxy.clone(), Duration::from_secs(5));
    let target: Authority = "example.invalid:8080".parse().unwrap();
    let uri = "http://example.invalid:8080/path?q=1";
    let response = get(&client, uri, &target).await;
    assert_eq!(
        body_text(response).await,
        "GET http://example.invalid:8080/path?q=1 HTTP/1.1"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    // Bound, never listening: refused, and no other test can take the port.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let closed: Authority = socket.local_addr().unwrap().to_string().parse().unwrap();
    let client = direct_client(Duration::from_secs(5)).for_backend(closed.clone());
    let err = send(&client, Method::GET, "/", &closed, b"")
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

/// What a scripted upstream does with one request.
enum Reply {
    /// Writes these bytes and keeps the connection.
    Send(Vec<u8>),
    /// Writes these bytes and closes the connection.
    SendAndClose(Vec<u8>),
    /// Closes the connection without answering.
    Close,
    /// Resets the connection (RST) without answering.
    Reset,
}

/// A server that reads each request (head and `Content-Length` body) and
/// does what `script` says for (connection number, request number on it,
/// request as text). Counts accepted connections.
async fn scripted<F>(script: F) -> (Authority, Arc<AtomicUsize>)
where
    F: Fn(usize, usize, &str) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let script = Arc::new(script);
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let connection = counter.fetch_add(1, Ordering::SeqCst);
            let script = Arc::clone(&script);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                for number in 0.. {
                    let Some(request) = read_request(&mut stream, &mut buf).await else {
                        return;
                    };
                    match script(connection, number, &request) {
                        Reply::Send(bytes) => stream.write_all(&bytes).await.unwrap(),
                        Reply::SendAndClose(bytes) => {
                            stream.write_all(&bytes).await.unwrap();
                            return;
                        }
                        Reply::Close => return,
                        Reply::Reset => {
                            let _ = stream.set_zero_linger();
                            return;
                        }
                    }
                }
            });
        }
    });
    (authority, accepted)
}

/// Reads one request with its `Content-Length` body, as text.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .map_or(0, |v| v.parse().unwrap());
            if buf.len() >= end + 4 + length {
                let request = String::from_utf8_lossy(&buf[..end + 4 + length]).into_owned();
                buf.drain(..end + 4 + length);
                return Some(request);
            }
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test]
async fn chunked_body_is_decoded_and_the_connection_reused() {
    let (backend, accepted) = scripted(|_, _, _| {
        Reply::Send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".to_vec())
    })
    .await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    for _ in 0..3 {
        assert_eq!(body_text(get(&client, "/", &backend).await).await, "abcde");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn body_until_close_is_read_to_the_end_and_not_reused() {
    let (backend, accepted) =
        scripted(|_, _, _| Reply::SendAndClose(b"HTTP/1.1 200 OK\r\n\r\nall of it".to_vec())).await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    for _ in 0..2 {
        assert_eq!(
            body_text(get(&client, "/", &backend).await).await,
            "all of it"
        );
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    assert_eq!(client.pooled(None), 0);
}

#[tokio::test]
async fn large_body_streams_intact() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let expected = body.clone();
    let (backend, _) = scripted(move |_, _, _| {
        let mut reply =
            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
        reply.extend_from_slice(&body);
        Reply::Send(reply)
    })
    .await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    let response = get(&client, "/", &backend).await;
    let got = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    assert_eq!(
        client.pooled(None),
        1,
        "read to its end, the connection is kept"
    );
}

#[tokio::test]
async fn body_cut_short_is_an_error_and_the_connection_is_not_kept() {
    let (backend, _) = scripted(|_, _, _| {
        Reply::SendAndClose(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".to_vec())
    })
    .await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    let response = get(&client, "/", &backend).await;
    assert!(response.into_body().collect().await.is_err());
    assert_eq!(client.pooled(None), 0);
}

#[tokio::test]
async fn request_body_goes_out_with_its_length() {
    let (backend, _) = scripted(|_, _, request| {
        let echo = request.as_bytes();
        let mut reply =
            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", echo.len()).into_bytes();
        reply.extend_from_slice(echo);
        Reply::Send(reply)
    })
    .await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    let response = send(&client, Method::POST, "/up", &backend, b"payload")
        .await
        .unwrap();
    let text = body_text(response).await;
    assert!(text.starts_with("POST /up HTTP/1.1\r\n"), "{text}");
    assert!(text.contains("\r\ncontent-length: 7\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\npayload"), "{text}");
}

/// A backend whose first connection meets its second request with
/// `failure` (the upstream's idle timeout racing the request), answering
/// `ok` otherwise; with its connection counter and a client for it.
async fn failing_second_request(failure: Reply) -> (Authority, Arc<AtomicUsize>, UpstreamClient) {
    let failure = std::sync::Mutex::new(Some(failure));
    let (backend, accepted) = scripted(move |connection, number, _| {
        let first_failure = (connection, number) == (0, 1);
        match first_failure
            .then(|| failure.lock().unwrap().take())
            .flatten()
        {
            Some(reply) => reply,
            None => Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec()),
        }
    })
    .await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    (backend, accepted, client)
}

#[tokio::test]
async fn idempotent_request_on_a_connection_closed_without_answer_goes_on_a_new_one() {
    // The second request on the first connection meets a close without an
    // answer (the upstream's idle timeout racing the request).
    let (backend, accepted, client) = failing_second_request(Reply::Close).await;
    assert_eq!(body_text(get(&client, "/", &backend).await).await, "ok");
    assert_eq!(body_text(get(&client, "/", &backend).await).await, "ok");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    // A POST is not sent again: the upstream may have acted on it.
    let (backend, accepted, client) = failing_second_request(Reply::Close).await;
    assert_eq!(body_text(get(&client, "/", &backend).await).await, "ok");
    let err = send(&client, Method::POST, "/", &backend, b"x")
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Closed), "{err:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn idempotent_request_on_a_connection_reset_without_answer_goes_on_a_new_one() {
    let (backend, accepted, client) = failing_second_request(Reply::Reset).await;
    assert_eq!(body_text(get(&client, "/", &backend).await).await, "ok");
    assert_eq!(body_text(get(&client, "/", &backend).await).await, "ok");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn garbage_answer_is_a_bad_response() {
    let (backend, _) =
        scripted(|_, _, _| Reply::SendAndClose(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec())).await;
    let client = direct_client(Duration::from_secs(5)).for_backend(backend.clone());
    let err = send(&client, Method::GET, "/", &backend, b"")
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::BadResponse(_)), "{err:?}");
}
