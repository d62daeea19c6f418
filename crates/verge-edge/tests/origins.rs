//! Talking to origins: origin path, custom headers and Host; connection failures, origin
//! group failover and the read timeout; keep-alive pooling; streaming request and response
//! bodies both ways without buffering.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use support::config::{ALL_METHODS, distribution_head, origin_group, origin_table};
use support::fixtures::closed_port;
use support::origin::{channel_body, respond_streamed};
use support::session::{H1Session, H2Session};
use support::{TestEdge, TestOrigin, h1, h2c, request, respond};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

fn post(host: &str, path: &str, body: impl Into<Bytes>) -> http::Request<Full<Bytes>> {
    request("POST", host, path)
        .body(Full::new(body.into()))
        .expect("request")
}

fn closed_address() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], closed_port()))
}

#[tokio::test]
async fn origin_path_and_host_are_the_origins() {
    let origin = TestOrigin::hello().await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ""),
        origin_table("o1", origin.addr, r#"origin_path = "/production""#)
    );
    let edge = TestEdge::start(&config).await;
    let host = format!("127.0.0.1:{}", origin.addr.port());

    let reply = h1(edge.http(), get("site.test", "/img/a.png")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-origin-path"), Some("/production/img/a.png"));
    let seen = origin.last();
    assert_eq!(seen.uri.path(), "/production/img/a.png");
    assert_eq!(seen.header("host"), Some(host.as_str()));

    let reply = h2c(edge.http(), get("site.test", "/")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    assert_eq!(seen.uri.path(), "/production/");
    assert_eq!(
        seen.header("host"),
        Some(host.as_str()),
        "an h2 viewer's :authority is not the origin's Host"
    );
}

#[tokio::test]
async fn custom_headers_are_sent_and_override_the_viewers() {
    let origin = TestOrigin::hello().await;
    let behavior = r#", origin_request_policy = "AllViewerExceptHostHeader""#;
    let extra = r#"custom_headers = { "x-origin-secret" = "s3cret", "x-env" = "test" }"#;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", behavior),
        origin_table("o1", origin.addr, extra)
    );
    let edge = TestEdge::start(&config).await;

    let forged = request("GET", "site.test", "/")
        .header("x-origin-secret", "forged")
        .header("x-viewer", "1");
    let reply = h1(edge.http(), forged.body(Full::default()).expect("request")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    let secrets: Vec<_> = seen.headers.get_all("x-origin-secret").iter().collect();
    assert_eq!(
        secrets,
        ["s3cret"],
        "the origin's value replaces the viewer's"
    );
    assert_eq!(seen.header("x-env"), Some("test"));
    assert_eq!(seen.header("x-viewer"), Some("1"));
    assert_eq!(
        seen.header("host"),
        Some(format!("127.0.0.1:{}", origin.addr.port()).as_str())
    );
}

#[tokio::test]
async fn refused_connection_is_502_after_the_attempts() {
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "dead", ""),
        origin_table(
            "dead",
            closed_address(),
            "connection_attempts = 3\nconnection_timeout = \"1s\""
        )
    );
    let edge = TestEdge::start(&config).await;

    let reply = h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("x-cache"), Some("Error from verge"));

    let reply = h1(edge.http(), post("site.test", "/", "payload")).await;
    assert_eq!(
        reply.status, 405,
        "the default behavior allows GET and HEAD only"
    );
}

#[tokio::test]
async fn group_fails_over_when_the_primary_refuses_connections() {
    let secondary = TestOrigin::start(|_| respond(200, &[], "secondary")).await;
    let config = format!(
        "{}{}{}{}",
        distribution_head("site", r#""site.test""#, "group", ALL_METHODS),
        origin_table("primary", closed_address(), "connection_attempts = 2"),
        origin_table("secondary", secondary.addr, ""),
        origin_group("group", "primary", "secondary", "")
    );
    let edge = TestEdge::start(&config).await;

    let reply = h1(edge.http(), get("site.test", "/page")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "secondary");
    assert_eq!(secondary.last().uri.path(), "/page");

    // CloudFront fails over for GET, HEAD and OPTIONS only.
    let reply = h1(edge.http(), post("site.test", "/form", "a=1")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(secondary.count(), 1);
}

#[tokio::test]
async fn group_fails_over_on_listed_statuses_for_get_only() {
    let primary = TestOrigin::start(|seen| match seen.uri.path() {
        "/missing" => respond(404, &[], "primary 404"),
        _ => respond(503, &[("retry-after", "1")], "primary 503"),
    })
    .await;
    let secondary =
        TestOrigin::start(|seen| respond(200, &[], format!("secondary {}", seen.body.len()))).await;
    let config = format!(
        "{}{}{}{}",
        distribution_head("site", r#""site.test""#, "group", ALL_METHODS),
        origin_table("primary", primary.addr, ""),
        origin_table("secondary", secondary.addr, ""),
        origin_group("group", "primary", "secondary", "[500, 502, 503, 504]")
    );
    let edge = TestEdge::start(&config).await;

    let reply = h1(edge.http(), get("site.test", "/a")).await;
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (200, "secondary 0")
    );
    assert_eq!((primary.count(), secondary.count()), (1, 1));

    let reply = h2c(
        edge.http(),
        request("HEAD", "site.test", "/a")
            .body(Full::default())
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(secondary.count(), 2);

    let reply = h1(edge.http(), post("site.test", "/a", "form=1")).await;
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (503, "primary 503"),
        "POST never fails over"
    );
    assert_eq!(primary.last().body, "form=1");
    assert_eq!(secondary.count(), 2);

    let reply = h1(edge.http(), get("site.test", "/missing")).await;
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (404, "primary 404"),
        "404 is not listed"
    );
    assert_eq!(secondary.count(), 2);
}

#[tokio::test]
async fn consumed_body_is_not_replayed_to_the_secondary() {
    let primary = TestOrigin::start(|_| respond(503, &[], "primary 503")).await;
    let secondary = TestOrigin::start(|_| respond(200, &[], "secondary")).await;
    let config = format!(
        "{}{}{}{}",
        distribution_head("site", r#""site.test""#, "group", ""),
        origin_table("primary", primary.addr, ""),
        origin_table("secondary", secondary.addr, ""),
        origin_group("group", "primary", "secondary", "[503]")
    );
    let edge = TestEdge::start(&config).await;

    // A GET with a body: the primary read it, so it cannot be sent again.
    let with_body = request("GET", "site.test", "/search")
        .body(Full::new(Bytes::from("query")))
        .expect("request");
    let reply = h1(edge.http(), with_body).await;
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (503, "primary 503")
    );
    assert_eq!(primary.last().body, "query");
    assert_eq!(secondary.count(), 0);
}

#[tokio::test]
async fn group_fails_over_when_the_primary_times_out() {
    let primary = TestOrigin::start_async(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        respond_streamed(200, channel_body().1)
    })
    .await;
    let secondary = TestOrigin::start(|_| respond(200, &[], "secondary")).await;
    let config = format!(
        "{}{}{}{}",
        distribution_head("site", r#""site.test""#, "group", ""),
        origin_table(
            "primary",
            primary.addr,
            "read_timeout = \"1s\"\nconnection_timeout = \"1s\""
        ),
        origin_table("secondary", secondary.addr, ""),
        origin_group("group", "primary", "secondary", "")
    );
    let edge = TestEdge::start(&config).await;
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        h1(edge.http(), get("site.test", "/")),
    )
    .await
    .expect("answered");
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (200, "secondary")
    );
}

#[tokio::test]
async fn slow_origin_is_504() {
    let origin = TestOrigin::start_async(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        respond_streamed(
            200,
            Full::new(Bytes::from("too late"))
                .map_err(|never| match never {})
                .boxed(),
        )
    })
    .await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ""),
        origin_table(
            "o1",
            origin.addr,
            "read_timeout = \"1s\"\nconnection_timeout = \"1s\""
        )
    );
    let edge = TestEdge::start(&config).await;

    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        h1(edge.http(), get("site.test", "/slow")),
    )
    .await
    .expect("the edge gives up on its own");
    assert_eq!(reply.status, 504);
    assert_eq!(reply.header("x-cache"), Some("Error from verge"));
}

#[tokio::test]
async fn stalled_origin_body_ends_the_response() {
    let origin = TestOrigin::start_async(|_| async {
        let (mut sender, body) = channel_body();
        tokio::spawn(async move {
            sender
                .send_data(Bytes::from_static(b"first part"))
                .await
                .expect("send");
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(sender);
        });
        let mut response = respond_streamed(200, body);
        response
            .headers_mut()
            .insert("content-length", http::HeaderValue::from_static("100"));
        response
    })
    .await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ""),
        origin_table("o1", origin.addr, "read_timeout = \"1s\"")
    );
    let edge = TestEdge::start(&config).await;

    let mut viewer = H1Session::connect(edge.http()).await;
    let head = viewer
        .send_head(get("site.test", "/"))
        .await
        .expect("response head");
    assert_eq!(head.status(), 200);
    let body = tokio::time::timeout(Duration::from_secs(10), head.into_body().collect())
        .await
        .expect("not stuck");
    assert!(body.is_err(), "a truncated body must not look complete");
}

#[tokio::test]
async fn keep_alive_reuses_origin_connections() {
    let origin = TestOrigin::hello().await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ""),
        origin_table("o1", origin.addr, "")
    );
    let edge = TestEdge::start(&config).await;

    for _ in 0..20 {
        assert_eq!(h1(edge.http(), get("site.test", "/")).await.status, 200);
    }
    let mut viewer = H2Session::connect(edge.http()).await;
    for _ in 0..20 {
        assert_eq!(
            viewer
                .send(get("site.test", "/"))
                .await
                .expect("response")
                .status,
            200
        );
    }
    assert_eq!(origin.count(), 40);
    assert!(
        origin.connections() <= 3,
        "40 sequential requests opened {} origin connections",
        origin.connections()
    );
}

#[tokio::test]
async fn large_bodies_stream_both_ways() {
    const SIZE: usize = 8 * 1024 * 1024;
    let pattern: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let pattern = Bytes::from(pattern);
    let served = pattern.clone();
    let origin = TestOrigin::start_async(move |seen| {
        let served = served.clone();
        async move {
            if seen.method == http::Method::POST {
                return respond_streamed(
                    200,
                    Full::new(Bytes::from(format!("got {}", seen.body.len())))
                        .map_err(|never| match never {})
                        .boxed(),
                );
            }
            let (mut sender, body) = channel_body();
            tokio::spawn(async move {
                for chunk in served.chunks(64 * 1024) {
                    if sender
                        .send_data(Bytes::copy_from_slice(chunk))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
            respond_streamed(200, body)
        }
    })
    .await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ALL_METHODS),
        origin_table("o1", origin.addr, "")
    );
    let edge = TestEdge::start(&config).await;

    let reply = h1(edge.http(), post("site.test", "/upload", pattern.clone())).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), format!("got {SIZE}"));
    assert!(
        origin.last().body == pattern,
        "the request body reached the origin intact"
    );

    let reply = h1(edge.http(), get("site.test", "/download")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), SIZE);
    assert!(
        reply.body == pattern,
        "the response body reached the viewer intact"
    );

    let reply = h2c(edge.http(), post("site.test", "/upload", pattern.clone())).await;
    assert_eq!(reply.text(), format!("got {SIZE}"));
    let reply = h2c(edge.http(), get("site.test", "/download")).await;
    assert!(
        reply.body == pattern,
        "the response body reached the h2 viewer intact"
    );
}

#[tokio::test]
async fn expect_100_continue_uploads_go_through() {
    let origin = TestOrigin::start(|seen| {
        respond(
            200,
            &[("connection", "close")],
            format!("got {}", seen.body.len()),
        )
    })
    .await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ALL_METHODS),
        origin_table("o1", origin.addr, "")
    );
    let edge = TestEdge::start(&config).await;

    let mut stream = tokio::net::TcpStream::connect(edge.http())
        .await
        .expect("connect");
    let head = b"PUT /file HTTP/1.1\r\nHost: site.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
    stream.write_all(head).await.expect("head");
    let mut interim = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut interim))
        .await
        .expect("100 Continue")
        .expect("read");
    assert!(
        interim.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    stream.write_all(b"hello").await.expect("body");
    let (answer, _) =
        support::session::read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.contains("200 OK") && answer.ends_with("got 5"),
        "{answer}"
    );
    assert_eq!(origin.last().body, "hello");
}

#[tokio::test]
async fn slow_response_reaches_the_viewer_before_the_origin_finishes() {
    let release = Arc::new(Notify::new());
    let held = release.clone();
    let origin = TestOrigin::start_async(move |_| {
        let held = held.clone();
        async move {
            let (mut sender, body) = channel_body();
            tokio::spawn(async move {
                sender
                    .send_data(Bytes::from_static(b"first chunk;"))
                    .await
                    .expect("send");
                held.notified().await;
                sender
                    .send_data(Bytes::from_static(b"second chunk"))
                    .await
                    .expect("send");
            });
            respond_streamed(200, body)
        }
    })
    .await;
    let config = format!(
        "{}{}",
        distribution_head("site", r#""site.test""#, "o1", ""),
        origin_table("o1", origin.addr, "")
    );
    let edge = TestEdge::start(&config).await;

    let mut h1_viewer = H1Session::connect(edge.http()).await;
    let mut h2_viewer = H2Session::connect(edge.http()).await;
    for http2 in [false, true] {
        let head = if http2 {
            h2_viewer.send_head(get("site.test", "/")).await
        } else {
            h1_viewer.send_head(get("site.test", "/")).await
        };
        let mut body = head.expect("response head").into_body();
        let first = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("the first chunk arrives while the origin holds the rest")
            .expect("a frame")
            .expect("no error")
            .into_data()
            .expect("data");
        assert_eq!(first, "first chunk;");
        release.notify_one();
        let rest = body.collect().await.expect("rest of the body").to_bytes();
        assert_eq!(rest, "second chunk", "http2 = {http2}");
    }
}
