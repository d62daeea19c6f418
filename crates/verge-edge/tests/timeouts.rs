//! Viewer-side timeouts: a request head that never completes (first on a connection or
//! later on a kept-alive one), a connection that never sends anything, an idle keep-alive
//! connection, and a request body that stalls. Each uses the smallest value the
//! configuration allows and asserts the outcome with generous bounds, never the timing.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use support::config::{ALL_METHODS, distribution_head, limits, origin_table};
use support::origin::{channel_body, respond_streamed};
use support::session::{H1Session, H2Session, read_until_closed};
use support::{TestEdge, TestOrigin, request};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Generous bound for a 1 s timeout to show its effect on a loaded 2-core machine.
const WITHIN: Duration = Duration::from_secs(15);

async fn edge(origin: &TestOrigin, limit_lines: &str) -> TestEdge {
    let config = format!(
        "{}{}{}",
        distribution_head("site", r#""site.test""#, "o1", ALL_METHODS),
        origin_table("o1", origin.addr, ""),
        limits(limit_lines)
    );
    TestEdge::start(&config).await
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    request("GET", "site.test", path)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn half_a_request_head_is_cut_off() {
    let origin = TestOrigin::hello().await;
    let edge = edge(&origin, "header_read_timeout = \"1s\"").await;

    let mut stream = TcpStream::connect(edge.http()).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\nX-Slow: ")
        .await
        .expect("write");
    let (_, closed) = read_until_closed(&mut stream, WITHIN).await;
    assert!(closed, "a viewer that stalls mid-head is disconnected");
    assert_eq!(origin.count(), 0);
}

#[tokio::test]
async fn slow_heads_on_a_kept_alive_connection_are_cut_off() {
    let origin = TestOrigin::hello().await;
    let edge = edge(
        &origin,
        "header_read_timeout = \"1s\"\nidle_timeout = \"60s\"",
    )
    .await;

    // A first request is served; the next head trickles in a byte every 200 ms, so the
    // connection is never idle and the head never completes.
    let stream = TcpStream::connect(edge.http()).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET /first HTTP/1.1\r\nHost: site.test\r\n\r\nGET /second HTTP/1.1\r\n")
        .await
        .expect("write");
    let trickle = tokio::spawn(async move {
        for byte in b"X-Slow: ".iter().cycle().take(100) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
        }
    });
    let (answer, closed) = read_until_closed(&mut reader, WITHIN).await;
    trickle.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        closed,
        "a head trickling in is cut at the header read timeout"
    );
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    assert!(
        answer.starts_with("HTTP/1.1 200 "),
        "the first request was served: {answer}"
    );
    assert_eq!(origin.count(), 1);
}

#[tokio::test]
async fn idle_keep_alive_outlives_the_header_timeout() {
    let origin = TestOrigin::hello().await;
    let edge = edge(
        &origin,
        "header_read_timeout = \"1s\"\nidle_timeout = \"3s\"",
    )
    .await;

    let mut h1 = H1Session::connect(edge.http()).await;
    assert_eq!(h1.send(get("/")).await.expect("response").status, 200);
    let early = tokio::time::timeout(Duration::from_millis(1500), &mut h1.connection).await;
    assert!(
        early.is_err(),
        "open past the header read timeout while idle: {early:?}"
    );
    assert_eq!(
        h1.send(get("/again")).await.expect("still usable").status,
        200
    );
    tokio::time::timeout(Duration::from_secs(10), h1.connection)
        .await
        .expect("closed at the idle timeout")
        .ok();
    assert_eq!(origin.count(), 2);
}

#[tokio::test]
async fn silent_connections_are_cut_off() {
    let origin = TestOrigin::hello().await;
    let edge = edge(
        &origin,
        "header_read_timeout = \"1s\"\nidle_timeout = \"60s\"",
    )
    .await;

    // Nothing at all, a partial HTTP/2 preface, and a TLS connection without a ClientHello.
    let mut silent = TcpStream::connect(edge.http()).await.expect("connect");
    let mut preface = TcpStream::connect(edge.http()).await.expect("connect");
    preface
        .write_all(b"PRI * HTTP/2.0\r\n")
        .await
        .expect("write");
    let mut tls = TcpStream::connect(edge.https()).await.expect("connect");
    for (name, stream) in [
        ("silent", &mut silent),
        ("partial preface", &mut preface),
        ("no ClientHello", &mut tls),
    ] {
        let (_, closed) = read_until_closed(stream, WITHIN).await;
        assert!(
            closed,
            "{name}: a connection that sends no request head is disconnected"
        );
    }
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let origin = TestOrigin::hello().await;
    let edge = edge(&origin, "idle_timeout = \"1s\"").await;

    let mut h1 = H1Session::connect(edge.http()).await;
    assert_eq!(h1.send(get("/")).await.expect("response").status, 200);
    let mut h2 = H2Session::connect(edge.http()).await;
    assert_eq!(h2.send(get("/")).await.expect("response").status, 200);

    tokio::time::timeout(WITHIN, h1.connection)
        .await
        .expect("the idle HTTP/1.1 connection is closed")
        .ok();
    tokio::time::timeout(WITHIN, &mut h2.connection)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .ok();
    assert!(h2.is_closed());
}

#[tokio::test]
async fn busy_connections_outlive_the_idle_timeout() {
    // The origin answers after 1.5 s and then sends its body in two parts 1.5 s apart:
    // the connection is quiet longer than the idle timeout but a request is in flight.
    let origin = TestOrigin::start_async(|_| async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (mut sender, body) = channel_body();
        tokio::spawn(async move {
            sender
                .send_data(Bytes::from_static(b"slow "))
                .await
                .expect("send");
            tokio::time::sleep(Duration::from_millis(1500)).await;
            sender
                .send_data(Bytes::from_static(b"answer"))
                .await
                .expect("send");
        });
        respond_streamed(200, body)
    })
    .await;
    let edge = edge(&origin, "idle_timeout = \"1s\"").await;

    let mut h1 = H1Session::connect(edge.http()).await;
    let reply = h1
        .send(get("/"))
        .await
        .expect("the in-flight request is not cut");
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (200, "slow answer")
    );
    let mut h2 = H2Session::connect(edge.http()).await;
    let reply = h2
        .send(get("/"))
        .await
        .expect("the in-flight stream is not cut");
    assert_eq!(reply.text(), "slow answer");
}

#[tokio::test]
async fn cancelled_streams_do_not_keep_a_connection_busy() {
    // The origin never answers; the viewer gives up on its stream (RST_STREAM) and then
    // leaves the connection idle.
    let origin = TestOrigin::start_async(|_| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        respond_streamed(200, channel_body().1)
    })
    .await;
    let edge = edge(&origin, "idle_timeout = \"1s\"").await;

    let mut h2 = H2Session::connect(edge.http()).await;
    let abandoned =
        tokio::time::timeout(Duration::from_millis(300), h2.send_head(get("/never"))).await;
    assert!(abandoned.is_err(), "the origin holds the answer");
    tokio::time::timeout(WITHIN, &mut h2.connection)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .ok();
}

#[tokio::test]
async fn stalled_request_body_fails_the_request() {
    let origin = TestOrigin::hello().await;
    let edge = edge(&origin, "body_timeout = \"1s\"").await;

    let mut stream = TcpStream::connect(edge.http()).await.expect("connect");
    stream
        .write_all(
            b"POST /upload HTTP/1.1\r\nHost: site.test\r\nContent-Length: 100\r\n\r\nonly ten b",
        )
        .await
        .expect("write");
    let (answer, closed) = read_until_closed(&mut stream, WITHIN).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400 ") || answer.starts_with("HTTP/1.1 408 "),
        "the viewer is told: {answer}"
    );
    assert!(
        closed,
        "the connection cannot be reused after a broken body"
    );
    assert!(
        origin.seen().iter().all(|seen| !seen.body_complete),
        "the origin never got a complete body"
    );

    // HTTP/2: the stream fails, the connection stays usable.
    let stream = TcpStream::connect(edge.http()).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(connection);
    let (mut body_sender, body) = channel_body();
    let request = http::Request::post("http://site.test/upload")
        .header("content-length", "100")
        .body(body)
        .expect("request");
    body_sender
        .send_data(Bytes::from_static(b"only ten b"))
        .await
        .expect("send");
    let response = tokio::time::timeout(WITHIN, sender.send_request(request))
        .await
        .expect("the stream is answered");
    let status = response.expect("a response, not a reset").status();
    assert!(status == 400 || status == 408, "{status}");
    drop(body_sender);

    let next = http::Request::get("http://site.test/")
        .body(Full::default().map_err(|never| match never {}).boxed())
        .expect("request");
    let reply = sender
        .send_request(next)
        .await
        .expect("the connection still serves");
    assert_eq!(reply.status(), 200);
}
