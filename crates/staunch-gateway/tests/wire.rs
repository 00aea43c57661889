//! The proxy listener's HTTP/1.1 handling on the wire: raw requests over
//! TCP, checked byte for byte where the protocol leaves no choice
//! (pipelining, HTTP/1.0, HEAD, `100 Continue`, chunked bodies both ways,
//! malformed and oversized heads).

mod common;

use common::*;
use staunch_gateway::config::{GatewayConfig, RouteConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A gateway with one route `/` to `backend`.
async fn gateway_to(backend: String) -> staunch_gateway::Gateway {
    start_gateway(
        GatewayConfig::default().with_route(RouteConfig::new("/").with_backend("b", backend)),
    )
    .await
}

/// A backend that answers `got N bytes` with the size of each request body.
async fn byte_counting_backend() -> Upstream {
    Upstream::start(|r| async move { reply(200, &format!("got {} bytes", r.body.len())) }).await
}

/// Everything the gateway sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    within(stream.read_to_end(&mut all)).await.unwrap();
    String::from_utf8_lossy(&all).into_owned()
}

/// Reads until `text` contains `count` complete answers with
/// `content-length` bodies.
async fn read_answers(stream: &mut TcpStream, count: usize) -> Vec<String> {
    let mut buf = Vec::new();
    loop {
        let mut answers = Vec::new();
        let mut rest = &buf[..];
        while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&rest[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if rest.len() < end + 4 + len {
                break;
            }
            answers.push(String::from_utf8_lossy(&rest[..end + 4 + len]).into_owned());
            rest = &rest[end + 4 + len..];
        }
        if answers.len() >= count {
            return answers;
        }
        let mut chunk = [0u8; 4096];
        let n = within(stream.read(&mut chunk)).await.unwrap();
        assert!(
            n > 0,
            "closed after {} answers: {}",
            answers.len(),
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn connect(gateway: &staunch_gateway::Gateway) -> TcpStream {
    TcpStream::connect(gateway.proxy_addr()).await.unwrap()
}

/// Sends `bytes` on a new connection and returns everything the gateway
/// sends until it closes the connection. (The gateway may close before
/// reading all of `bytes`.)
async fn send_raw(gateway: &staunch_gateway::Gateway, bytes: &[u8]) -> String {
    let mut stream = connect(gateway).await;
    let _ = stream.write_all(bytes).await;
    read_to_close(&mut stream).await
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let backend =
        Upstream::start(|r| async move { reply(200, &format!("you asked {}", r.uri)) }).await;
    let gateway = gateway_to(backend.url()).await;
    let mut stream = connect(&gateway).await;
    stream
        .write_all(b"GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let answers = read_answers(&mut stream, 2).await;
    assert!(
        answers[0].starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        answers[0]
    );
    assert!(answers[0].ends_with("you asked /one"), "{}", answers[0]);
    assert!(answers[1].ends_with("you asked /two"), "{}", answers[1]);
    assert!(
        answers[0].to_lowercase().contains("\r\ndate: "),
        "{}",
        answers[0]
    );
    assert_eq!(backend.seen().len(), 2);
}

#[tokio::test]
async fn http_1_0_client_gets_its_answer_and_a_close() {
    let backend = Upstream::ok("plain").await;
    let gateway = gateway_to(backend.url()).await;
    let all = send_raw(&gateway, b"GET / HTTP/1.0\r\nHost: a\r\n\r\n").await;
    let lower = all.to_lowercase();
    assert!(all.starts_with("HTTP/1.1 200 OK\r\n"), "{all}");
    assert!(lower.contains("\r\nconnection: close\r\n"), "{all}");
    assert!(!lower.contains("transfer-encoding"), "{all}");
}

#[tokio::test]
async fn head_answer_has_no_body_and_keeps_the_length() {
    let backend = Upstream::start(|_| async { reply(200, "twelve bytes") }).await;
    let gateway = gateway_to(backend.url()).await;
    let all = send_raw(
        &gateway,
        b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    // The HEAD answer's head, then at once the GET answer: no body between.
    let second = all.find("HTTP/1.1 200").and_then(|first| {
        all[first + 1..]
            .find("HTTP/1.1 200")
            .map(|at| at + first + 1)
    });
    let second = second.unwrap_or_else(|| panic!("two answers expected: {all}"));
    let head_answer = &all[..second];
    assert!(
        head_answer
            .to_lowercase()
            .contains("content-length: 12\r\n"),
        "{head_answer}"
    );
    assert!(head_answer.ends_with("\r\n\r\n"), "{head_answer}");
    assert!(all.ends_with("twelve bytes"), "{all}");
}

#[tokio::test]
async fn expect_continue_gets_100_before_the_body_is_sent() {
    let backend = byte_counting_backend().await;
    let gateway = gateway_to(backend.url()).await;
    let mut stream = connect(&gateway).await;
    stream
        .write_all(
            b"PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        )
        .await
        .unwrap();
    let mut interim = [0u8; 25];
    within(stream.read_exact(&mut interim)).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"hello").await.unwrap();
    let answers = read_answers(&mut stream, 1).await;
    assert!(answers[0].ends_with("got 5 bytes"), "{}", answers[0]);
    assert_eq!(&backend.seen()[0].body[..], b"hello");
    assert!(
        backend.seen()[0].headers.get("expect").is_none(),
        "Expect is not forwarded"
    );
}

#[tokio::test]
async fn chunked_request_bodies_arrive_whole_small_and_large() {
    let backend = byte_counting_backend().await;
    let gateway = gateway_to(backend.url()).await;
    for size in [10usize, 200_000] {
        let body: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let mut request =
            b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for chunk in body.chunks(7_000) {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        let mut stream = connect(&gateway).await;
        stream.write_all(&request).await.unwrap();
        let answers = read_answers(&mut stream, 1).await;
        assert!(
            answers[0].ends_with(&format!("got {size} bytes")),
            "{}",
            answers[0]
        );
        let seen = backend.seen();
        assert!(
            seen.last().unwrap().body == body,
            "body of {size} bytes changed on the way"
        );
    }
}

#[tokio::test]
async fn large_body_with_a_length_streams_to_the_backend() {
    let backend = byte_counting_backend().await;
    let gateway = gateway_to(backend.url()).await;
    let body = vec![b'x'; 3 * 1024 * 1024];
    let mut stream = connect(&gateway).await;
    let head = format!(
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let answers = read_answers(&mut stream, 1).await;
    assert!(
        answers[0].ends_with(&format!("got {} bytes", body.len())),
        "{}",
        answers[0]
    );
    // The connection serves the next request.
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let next = read_answers(&mut stream, 1).await;
    assert!(next[0].ends_with("got 0 bytes"), "{}", next[0]);
}

/// A backend that answers every request with a chunked body in three
/// pieces, sent with pauses so the gateway forwards them as they come.
async fn chunked_backend() -> String {
    scripted_backend(|mut stream| async move {
        while !read_head(&mut stream).await.is_empty() {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                .await;
            for piece in ["5\r\nhello\r\n", "1\r\n \r\n", "5\r\nworld\r\n0\r\n\r\n"] {
                tokio::task::yield_now().await;
                let _ = stream.write_all(piece.as_bytes()).await;
            }
        }
    })
    .await
}

#[tokio::test]
async fn chunked_upstream_answer_is_chunked_to_the_client() {
    let gateway = gateway_to(chunked_backend().await).await;
    let all = send_raw(
        &gateway,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    let (head, body) = all.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_lowercase().contains("transfer-encoding: chunked"),
        "{head}"
    );
    let mut decoded = String::new();
    let mut rest = body;
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size, 16).unwrap();
        if size == 0 {
            break;
        }
        decoded.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    assert_eq!(decoded, "hello world");
}

#[tokio::test]
async fn malformed_and_ambiguous_heads_get_400_and_a_close() {
    let backend = Upstream::ok("never").await;
    let gateway = gateway_to(backend.url()).await;
    for request in [
        &b"GET / HTTP/1.1\r\nbad header line\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\x03\x03\r\n\r\n",
    ] {
        let all = send_raw(&gateway, request).await;
        assert!(all.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{all}");
        assert!(all.contains("\"error\""), "{all}");
    }
    assert!(backend.seen().is_empty());
}

#[tokio::test]
async fn oversized_head_gets_431() {
    let backend = Upstream::ok("never").await;
    let gateway = gateway_to(backend.url()).await;
    let head = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nx-big: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let all = send_raw(&gateway, head.as_bytes()).await;
    assert!(all.starts_with("HTTP/1.1 431 "), "{all}");
    assert!(backend.seen().is_empty());
}

#[tokio::test]
async fn client_closing_mid_body_does_not_reach_the_backend_or_hurt_the_gateway() {
    let backend = Upstream::ok("fine").await;
    let gateway = gateway_to(backend.url()).await;
    let mut stream = connect(&gateway).await;
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly this")
        .await
        .unwrap();
    drop(stream);
    tokio::task::yield_now().await;
    let response = within(direct_client().get(gateway_url(&gateway, "/")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        backend.seen().iter().all(|r| r.method == "GET"),
        "the cut POST was not forwarded"
    );
}

/// A backend that answers each request head at once with `answer`, reads
/// nothing of the body, and keeps the connection open.
async fn answering_backend(answer: &'static str) -> String {
    scripted_backend(move |mut stream| async move {
        let _ = read_head(&mut stream).await;
        let _ = stream.write_all(answer.as_bytes()).await;
        // Hold the connection without reading, until the test ends.
        std::future::pending::<()>().await;
        drop(stream);
    })
    .await
}

/// A backend on a local port that runs `serve` on each connection it
/// accepts; its base URL.
async fn scripted_backend<F, Fut>(serve: F) -> String
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(stream));
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn early_answer_to_a_streamed_upload_reaches_the_client() {
    let gateway = gateway_to(
        answering_backend("HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\n\r\ntoo big!")
            .await,
    )
    .await;
    let stream = connect(&gateway).await;
    let (mut read, mut write) = stream.into_split();
    let body_len = 64 * 1024 * 1024;
    let upload = tokio::spawn(async move {
        let head = format!("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: {body_len}\r\n\r\n");
        write.write_all(head.as_bytes()).await?;
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..body_len / chunk.len() {
            write.write_all(&chunk).await?;
        }
        Ok::<_, std::io::Error>(write)
    });
    let mut head = [0u8; 12];
    within(read.read_exact(&mut head)).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    upload.abort();
}

#[tokio::test]
async fn no_content_answer_loses_a_stray_length() {
    let gateway = gateway_to(
        fixed_answer_backend("HTTP/1.1 204 No Content\r\ncontent-length: 7\r\n\r\n").await,
    )
    .await;
    for request in [
        &b"DELETE /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"[..],
        // Not even to HEAD, whose other answers keep the upstream's length.
        b"HEAD /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    ] {
        let all = send_raw(&gateway, request).await;
        assert!(all.starts_with("HTTP/1.1 204 No Content\r\n"), "{all}");
        assert!(!all.to_lowercase().contains("content-length"), "{all}");
        assert!(all.ends_with("\r\n\r\n"), "{all}");
    }
}

#[tokio::test]
async fn stalled_small_body_is_cut_when_the_drain_time_is_up() {
    let backend = Upstream::ok("never").await;
    let gateway = gateway_to(backend.url()).await;
    let mut stream = connect(&gateway).await;
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        .await
        .unwrap();
    // The gateway is reading the body when the drain time is up.
    tokio::task::yield_now().await;
    gateway.handle().force_close();
    let all = read_to_close(&mut stream).await;
    assert!(all.is_empty(), "{all}");
    assert!(backend.seen().is_empty());
}

#[tokio::test]
async fn client_leaving_mid_upload_is_a_400_not_the_backends_fault() {
    let backend = byte_counting_backend().await;
    let gateway = gateway_to(backend.url()).await;
    let stream = connect(&gateway).await;
    let (mut read, mut write) = stream.into_split();
    // Over the replay limit, so the body streams to the backend; then the
    // client stops sending (half-close) before the announced length.
    let head = format!(
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        3 * 1024 * 1024
    );
    write.write_all(head.as_bytes()).await.unwrap();
    write.write_all(&vec![b'x'; 2 * 1024 * 1024]).await.unwrap();
    write.shutdown().await.unwrap();
    let mut all = Vec::new();
    within(read.read_to_end(&mut all)).await.unwrap();
    let all = String::from_utf8_lossy(&all);
    assert!(all.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{all}");
    assert!(all.contains("client_body"), "{all}");
    let breaker = Admin::new(&gateway).get("/api/v1/circuit-breakers/b").await;
    assert_eq!(breaker.status, 200, "{}", breaker.text);
    assert_eq!(breaker.json["failure_count"], 0, "{}", breaker.text);
}

mod hostile_bytes {
    use super::*;
    use proptest::prelude::*;

    /// Request-like byte strings: a valid start, then arbitrary bytes.
    fn hostile() -> impl Strategy<Value = Vec<u8>> {
        let starts = prop_oneof![
            Just(b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec()),
            Just(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()),
            Just(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n".to_vec()),
            Just(b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n".to_vec()),
            Just(Vec::new()),
        ];
        (starts, proptest::collection::vec(any::<u8>(), 0..300)).prop_map(|(mut start, tail)| {
            start.extend_from_slice(&tail);
            start
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever a client sends, the gateway answers or closes, and
        /// keeps serving other clients.
        #[test]
        fn arbitrary_client_bytes_never_take_the_gateway_down(bytes in hostile()) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let backend = Upstream::ok("fine").await;
                let gateway = gateway_to(backend.url()).await;
                let mut stream = connect(&gateway).await;
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                let answer = read_to_close(&mut stream).await;
                prop_assert!(
                    answer.is_empty() || answer.starts_with("HTTP/1.1 "),
                    "{answer:?}"
                );
                let response = within(direct_client().get(gateway_url(&gateway, "/")).send()).await.unwrap();
                prop_assert_eq!(response.status(), 200);
                Ok(())
            })?;
        }
    }
}

/// A backend that answers every request on a connection with `answer`.
async fn fixed_answer_backend(answer: &'static str) -> String {
    scripted_backend(move |mut stream| async move {
        while !read_head(&mut stream).await.is_empty() {
            if stream.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await
}

#[tokio::test]
async fn relayed_fields_keep_their_case_and_lose_hops_and_forged_attempt_fields() {
    let backend = fixed_answer_backend(
        "HTTP/1.1 200 OK\r\nX-Mixed-Case: Kept\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
         X-Staunch-Attempts: 9\r\nx-staunch-endpoint: forged\r\n\
         Connection: keep-alive, X-Hop\r\nX-Hop: gone\r\nKeep-Alive: timeout=5\r\n\
         Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok",
    )
    .await;
    let gateway = gateway_to(backend).await;
    let mut stream = connect(&gateway).await;
    for _ in 0..2 {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        let answer = read_answers(&mut stream, 1).await.remove(0);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let lines: Vec<&str> = head.lines().skip(1).collect();
        let count = |name: &str| {
            lines
                .iter()
                .filter(|l| l.to_lowercase().starts_with(&format!("{name}:")))
                .count()
        };
        assert_eq!(body, "ok");
        assert!(lines.contains(&"X-Mixed-Case: Kept"), "{head}");
        assert!(
            lines.contains(&"Date: Mon, 01 Jan 2024 00:00:00 GMT"),
            "{head}"
        );
        assert_eq!(count("date"), 1, "{head}");
        assert!(lines.contains(&"x-staunch-attempts: 1"), "{head}");
        assert!(lines.contains(&"x-staunch-endpoint: b"), "{head}");
        assert_eq!(count("x-staunch-attempts"), 1, "{head}");
        assert_eq!(count("x-staunch-endpoint"), 1, "{head}");
        assert_eq!(count("set-cookie"), 2, "{head}");
        assert_eq!(count("content-length"), 1, "{head}");
        for hop in ["x-hop", "keep-alive", "connection"] {
            assert_eq!(count(hop), 0, "{hop} reached the client: {head}");
        }
    }
}
