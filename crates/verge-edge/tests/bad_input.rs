//! Malformed and hostile requests sent as raw bytes: what the viewer gets back, whether the
//! connection is closed, that nothing reaches the origin, and that the edge keeps serving.
//! Some of these hyper refuses itself before the pipeline sees them; the tests check the
//! outcome a viewer sees, whichever layer produces it.

mod support;

use bytes::Bytes;
use http_body_util::Full;
use support::config::{ALL_METHODS, limits};
use support::session::H2Session;
use support::{TestEdge, TestOrigin, distribution, h1, raw, request};

/// An edge with one distribution for `site.test` that allows every method.
async fn edge_with(origin: &TestOrigin, extra: &str) -> TestEdge {
    TestEdge::start(&format!(
        "{}{extra}",
        distribution("site", r#""site.test""#, origin.addr, ALL_METHODS)
    ))
    .await
}

/// The status code of the first response in `text`.
fn status(text: &str) -> u16 {
    text.strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"))
}

/// How many responses `text` holds.
fn responses(text: &str) -> usize {
    text.matches("HTTP/1.1 ").count()
}

async fn still_serves(edge: &TestEdge) {
    let reply = h1(
        edge.http(),
        request("GET", "site.test", "/after")
            .body(Full::<Bytes>::default())
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, 200, "the edge still answers");
}

#[tokio::test]
async fn malformed_request_lines_are_400() {
    let origin = TestOrigin::hello().await;
    let edge = edge_with(&origin, "").await;

    for line in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\nHost: site.test\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: site.test\r\n\r\n",
        b"GET\t/ HTTP/1.1\r\nHost: site.test\r\n\r\n",
        b"G\x00T / HTTP/1.1\r\nHost: site.test\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost site.test\r\n\r\n",
        b"GET / HTTP/1.1\r\nHo st: site.test\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: site.test\r\n folded: header\r\n\r\n",
    ] {
        let (text, closed) = raw(edge.http(), line).await;
        assert_eq!(
            status(&text),
            400,
            "{:?} got {text:?}",
            String::from_utf8_lossy(line)
        );
        assert!(closed, "{:?}", String::from_utf8_lossy(line));
    }
    assert_eq!(origin.count(), 0);
    still_serves(&edge).await;
}

#[tokio::test]
async fn oversized_heads_are_431() {
    let origin = TestOrigin::hello().await;
    let edge = edge_with(&origin, "").await;

    // Just over the 20 KB default: parsed by hyper, refused by `admit`.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(21 * 1024)
    );
    let (text, _) = raw(edge.http(), head.as_bytes()).await;
    assert_eq!(status(&text), 431, "{text}");
    // Far over it: hyper's read buffer limit answers.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: site.test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let (text, closed) = raw(edge.http(), head.as_bytes()).await;
    assert_eq!(status(&text), 431, "{text}");
    assert!(closed);
    // Many small headers adding up.
    let many: String = (0..90)
        .map(|i| format!("X-H{i}: {}\r\n", "b".repeat(250)))
        .collect();
    let head = format!("GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n{many}\r\n");
    let (text, _) = raw(edge.http(), head.as_bytes()).await;
    assert_eq!(status(&text), 431, "{text}");
    // Just under the limit passes.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(19 * 1024)
    );
    let (text, _) = raw(edge.http(), head.as_bytes()).await;
    assert_eq!(status(&text), 200, "{text}");
    assert_eq!(origin.count(), 1);

    let small = TestEdge::start(&format!(
        "{}{}",
        distribution("site", r#""site.test""#, origin.addr, ""),
        limits("max_header_bytes = 4096")
    ))
    .await;
    let head = format!(
        "GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(8 * 1024)
    );
    let (text, _) = raw(small.http(), head.as_bytes()).await;
    assert_eq!(status(&text), 431, "{text}");
    let head = format!(
        "GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(5 * 1024)
    );
    let (text, _) = raw(small.http(), head.as_bytes()).await;
    assert_eq!(
        status(&text),
        431,
        "over 4096 but within hyper's buffer: {text}"
    );
    assert_eq!(origin.count(), 1);
    still_serves(&edge).await;
}

#[tokio::test]
async fn oversized_h2_headers_are_refused() {
    let origin = TestOrigin::hello().await;
    let edge = edge_with(&origin, "").await;
    let mut viewer = H2Session::connect(edge.http()).await;

    let big = request("GET", "site.test", "/").header("x-big", "a".repeat(21 * 1024));
    let reply = viewer
        .send(big.body(Full::default()).expect("request"))
        .await
        .expect("answered");
    assert_eq!(reply.status, 431);
    // Past HTTP/2's header list limit the stream is refused before the pipeline.
    let huge = request("GET", "site.test", "/").header("x-big", "a".repeat(64 * 1024));
    if let Ok(reply) = viewer
        .send(huge.body(Full::default()).expect("request"))
        .await
    {
        assert_eq!(reply.status, 431);
    }
    assert_eq!(origin.count(), 0);
    still_serves(&edge).await;
}

#[tokio::test]
async fn ambiguous_lengths_never_desync() {
    let origin = TestOrigin::hello().await;
    let edge = edge_with(&origin, "").await;

    // Two differing Content-Length values: hyper refuses the head.
    for head in [
        &b"POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"[..],
        b"POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 3, 4\r\n\r\nabcd",
        b"POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: +3\r\n\r\nabc",
        b"POST / HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
        b"POST / HTTP/1.0\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ] {
        let (text, closed) = raw(edge.http(), head).await;
        assert_eq!(status(&text), 400, "{:?} got {text:?}", String::from_utf8_lossy(head));
        assert!(closed);
    }
    assert_eq!(origin.count(), 0, "no ambiguous request reached the origin");
    still_serves(&edge).await;
}

#[tokio::test]
async fn content_length_with_transfer_encoding_is_refused() {
    let origin = TestOrigin::start(|seen| {
        support::respond(200, &[], format!("{} {}", seen.uri.path(), seen.body.len()))
    })
    .await;
    let edge = edge_with(&origin, "").await;

    // CL.TE and TE.CL: a front end trusting one header and a back end trusting the other
    // would find a second request in the body. hyper drops Content-Length before the
    // pipeline sees the head, so the edge's framing tracker flags it: 400, connection closed,
    // and neither request reaches the origin (RFC 9112 §6.3 allows refusing it).
    let smuggled = "GET /smuggled HTTP/1.1\r\nHost: site.test\r\n\r\n";
    let cl_te = format!(
        "POST /first HTTP/1.1\r\nHost: site.test\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
        5 + smuggled.len()
    );
    let te_cl = format!(
        "POST /second HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n{:x}\r\n{smuggled}\r\n0\r\n\r\n{smuggled}",
        smuggled.len()
    );
    for attack in [cl_te, te_cl] {
        let (text, closed) = raw(edge.http(), attack.as_bytes()).await;
        assert_eq!(responses(&text), 1, "one request, one response: {text}");
        assert_eq!(status(&text), 400, "{text}");
        assert!(text.contains("Connection: close"), "{text}");
        assert!(closed, "the connection closes after the response");
    }

    // The same head later on a keep-alive connection: whatever the earlier request got, the
    // ambiguous one is refused and the connection closed.
    let pipelined = format!(
        "GET /before HTTP/1.1\r\nHost: site.test\r\n\r\n\
         POST /third HTTP/1.1\r\nHost: site.test\r\nContent-Length: 5\r\n\
         Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
    );
    let (text, closed) = raw(edge.http(), pipelined.as_bytes()).await;
    let last = text.rfind("HTTP/1.1 ").expect("a response");
    assert_eq!(status(&text[last..]), 400, "{text}");
    assert!(closed, "the connection closes after the refusal");

    let paths: Vec<String> = origin
        .seen()
        .iter()
        .map(|seen| seen.uri.path().to_owned())
        .collect();
    assert!(
        paths.iter().all(|path| path == "/before"),
        "nothing ambiguous or smuggled reached the origin: {paths:?}"
    );
    still_serves(&edge).await;
}

#[tokio::test]
async fn http11_without_host_is_400() {
    let origin = TestOrigin::hello().await;
    let edge = edge_with(&origin, "").await;

    let (text, closed) = raw(edge.http(), b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(status(&text), 400, "{text}");
    assert!(closed);
    let (text, _) = raw(
        edge.http(),
        b"GET / HTTP/1.1\r\nHost: site.test\r\nHost: other.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status(&text), 400, "{text}");
    // HTTP/1.0 has no Host requirement; with no host there is no distribution.
    let (text, _) = raw(edge.http(), b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status(&text), 421, "{text}");
    assert_eq!(origin.count(), 0);
    still_serves(&edge).await;
}

#[tokio::test]
async fn malformed_chunked_body_is_the_viewers_fault() {
    let origin = TestOrigin::hello().await;
    let edge = edge_with(&origin, "").await;

    for body in [
        &b"zz\r\nabc\r\n0\r\n\r\n"[..],
        b"3\r\nabcdef\r\n0\r\n\r\n",
        b"ffffffffffffffffff\r\n",
    ] {
        let mut head =
            b"POST /upload HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        head.extend_from_slice(body);
        let (text, closed) = raw(edge.http(), &head).await;
        assert_eq!(
            status(&text),
            400,
            "a broken request body is not a gateway error: {text}"
        );
        assert!(text.contains("X-Cache: Error from verge"), "{text}");
        assert!(closed);
    }
    assert!(
        origin.seen().iter().all(|seen| !seen.body_complete),
        "no broken body looked complete to the origin"
    );
    still_serves(&edge).await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let origin =
        TestOrigin::start(|seen| support::respond(200, &[], seen.uri.path().to_owned())).await;
    let edge = edge_with(&origin, "").await;
    let pipelined = b"GET /one HTTP/1.1\r\nHost: site.test\r\n\r\nGET /two HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n";
    let (text, closed) = raw(edge.http(), pipelined).await;
    assert_eq!(responses(&text), 2, "{text}");
    let one = text.find("/one").expect("first body");
    let two = text.find("/two").expect("second body");
    assert!(one < two);
    assert!(closed);
}

#[tokio::test]
async fn hostile_bytes_never_take_the_edge_down() {
    let origin = TestOrigin::hello().await;
    // Short timeouts close the connections left waiting for a head, or idle after a response.
    let edge = edge_with(
        &origin,
        &limits("header_read_timeout = \"1s\"\nidle_timeout = \"1s\""),
    )
    .await;
    let inputs: Vec<Vec<u8>> = vec![
        b"\r\n\r\n\r\n".to_vec(),
        vec![0u8; 4096],
        (0..=255u8).cycle().take(10_000).collect(),
        b"GET /%%%%%%%% HTTP/1.1\r\nHost: site.test\r\n\r\n".to_vec(),
        b"GET http://evil.test/ HTTP/1.1\r\nHost: site.test\r\n\r\n".to_vec(),
        b"CONNECT site.test:443 HTTP/1.1\r\nHost: site.test:443\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: site.test\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n".to_vec(),
        format!("GET /{} HTTP/1.1\r\nHost: site.test\r\n\r\n", "a".repeat(70_000)).into_bytes(),
    ];
    for input in &inputs {
        let (text, _) = raw(edge.http(), input).await;
        if !text.is_empty() {
            let code = status(&text);
            assert!(
                (400..600).contains(&code) || code == 200 || code == 421,
                "{code}: {text}"
            );
        }
    }
    // A valid HTTP/2 preface followed by garbage frames: the edge answers with its
    // SETTINGS and a GOAWAY, then closes.
    let (_, closed) = raw(
        edge.http(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00garbage",
    )
    .await;
    assert!(closed);
    still_serves(&edge).await;
}
