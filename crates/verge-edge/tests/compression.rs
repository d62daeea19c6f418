//! Edge compression end to end: a behavior with `compress = true` and an origin sending
//! 20 KB of HTML; the viewer's `Accept-Encoding` (with q-values) picks br, zstd or gzip, and
//! the body decodes to what the origin sent. Images, small bodies, encoded responses, HEAD
//! and `compress = false` behaviors are left alone.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use support::fixtures::{decode, gzip};
use support::{Reply, TestEdge, TestOrigin, h1, h2_tls, h2c, request, respond};

/// 20 KB of HTML, repetitive enough to compress well.
fn page() -> Vec<u8> {
    let mut html = b"<!DOCTYPE html><html><body>\n".to_vec();
    let mut row = 0;
    while html.len() < 20 * 1024 {
        html.extend_from_slice(
            format!("<p>Row {row}: the edge compresses this text.</p>\n").as_bytes(),
        );
        row += 1;
    }
    html.extend_from_slice(b"</body></html>\n");
    html
}

async fn origin() -> TestOrigin {
    let html = Bytes::from(page());
    let encoded = Bytes::from(gzip(&html).await);
    TestOrigin::start(move |seen| {
        let path = seen.uri.path();
        let html_headers = [
            ("content-type", "text/html; charset=utf-8"),
            ("etag", "\"v1\""),
            ("vary", "Accept-Language"),
            ("accept-ranges", "bytes"),
        ];
        match path {
            "/image.png" => respond(200, &[("content-type", "image/png")], html.clone()),
            "/small.html" => respond(200, &[("content-type", "text/html")], html.slice(..500)),
            "/encoded.html" => respond(
                200,
                &[("content-type", "text/html"), ("content-encoding", "gzip")],
                encoded.clone(),
            ),
            "/missing.html" => respond(404, &[("content-type", "text/html")], html.clone()),
            _ => respond(200, &html_headers, html.clone()),
        }
    })
    .await
}

fn config(origin: SocketAddr) -> String {
    format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "o1", compress = true }}
cache_behaviors = [
  {{ path_pattern = "/raw/*", target_origin = "o1", compress = false }},
]

[[distributions.origins]]
id = "o1"
domain_name = "127.0.0.1"
http_port = {port}
protocol_policy = "http-only"
"#,
        port = origin.port()
    )
}

fn get(path: &str, accept_encoding: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut builder = request("GET", "site.test", path);
    if let Some(value) = accept_encoding {
        builder = builder.header("accept-encoding", value);
    }
    builder.body(Full::default()).expect("request")
}

fn vary_has(reply: &Reply, field: &str) -> bool {
    reply
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case(field))
}

/// Checks a reply compressed in `coding` and decodes it to the original page.
async fn assert_compressed(reply: &Reply, coding: &str) {
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-encoding"),
        Some(coding),
        "{:?}",
        reply.headers
    );
    assert!(
        reply.body.len() < page().len() / 4,
        "{coding}: {} bytes",
        reply.body.len()
    );
    assert_eq!(
        decode(coding, &reply.body).await,
        page(),
        "{coding} decodes to the origin's body"
    );
    assert!(vary_has(reply, "Accept-Encoding"), "{:?}", reply.headers);
    assert!(
        vary_has(reply, "Accept-Language"),
        "the origin's Vary is kept"
    );
    assert_eq!(
        reply.header("etag"),
        Some("W/\"v1\""),
        "a strong ETag is weakened"
    );
    if let Some(length) = reply.header("content-length") {
        assert_eq!(length, reply.body.len().to_string());
    }
}

fn assert_identity(reply: &Reply, expected: &[u8]) {
    assert_eq!(
        reply.header("content-encoding"),
        None,
        "{:?}",
        reply.headers
    );
    assert_eq!(&reply.body[..], expected);
}

#[tokio::test]
async fn each_encoding_round_trips() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    for coding in ["br", "gzip", "zstd"] {
        let reply = h1(edge.http(), get("/page.html", Some(coding))).await;
        assert_compressed(&reply, coding).await;
        assert_eq!(origin.last().header("accept-encoding"), Some(coding));
    }
    let over_h2 = h2c(
        edge.http(),
        get("/page.html", Some("gzip, deflate, br, zstd")),
    )
    .await;
    assert_compressed(&over_h2, "br").await;
    let over_tls = h2_tls(
        edge.https(),
        "site.test",
        get("/page.html", Some("zstd, gzip")),
    )
    .await;
    assert_compressed(&over_tls, "zstd").await;
}

#[tokio::test]
async fn q_values_choose_the_encoding() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    for (accept, coding) in [
        ("br;q=0.5, gzip;q=0.9", Some("gzip")),
        ("gzip;q=0.2, zstd;q=0.3, br;q=0.1", Some("zstd")),
        ("br;q=0, gzip", Some("gzip")),
        ("*;q=0.5, br;q=0", Some("zstd")),
        ("identity", None),
        ("gzip;q=0, br;q=0, zstd;q=0", None),
        ("*;q=0", None),
    ] {
        let reply = h1(edge.http(), get("/page.html", Some(accept))).await;
        match coding {
            Some(coding) => assert_compressed(&reply, coding).await,
            None => {
                assert_identity(&reply, &page());
                assert_eq!(reply.header("etag"), Some("\"v1\""), "{accept}");
            }
        }
    }
}

#[tokio::test]
async fn viewers_without_accept_encoding_get_identity() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let reply = h1(edge.http(), get("/page.html", None)).await;
    assert_eq!(reply.status, 200);
    assert_identity(&reply, &page());
    assert_eq!(
        reply.header("content-length"),
        Some(page().len().to_string().as_str())
    );
    // A compressible response varies by Accept-Encoding even when sent as is, so a shared
    // cache downstream does not hand this copy to viewers that could take a smaller one.
    assert!(vary_has(&reply, "Accept-Encoding"), "{:?}", reply.headers);
}

#[tokio::test]
async fn ineligible_responses_are_sent_as_is() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;
    let everything = Some("br, gzip, zstd");

    let image = h1(edge.http(), get("/image.png", everything)).await;
    assert_eq!(image.status, 200);
    assert_identity(&image, &page());

    let small = h1(edge.http(), get("/small.html", everything)).await;
    assert_identity(&small, &page()[..500]);

    let encoded = h1(edge.http(), get("/encoded.html", everything)).await;
    assert_eq!(encoded.header("content-encoding"), Some("gzip"));
    assert_eq!(
        decode("gzip", &encoded.body).await,
        page(),
        "the origin's gzip is passed untouched"
    );

    let missing = h1(edge.http(), get("/missing.html", everything)).await;
    assert_eq!(missing.status, 404);
    assert_identity(&missing, &page());

    let raw = h1(edge.http(), get("/raw/page.html", everything)).await;
    assert_eq!(raw.status, 200);
    assert_identity(&raw, &page());
    assert_eq!(raw.header("etag"), Some("\"v1\""));

    let head = request("HEAD", "site.test", "/page.html")
        .header("accept-encoding", "br, gzip")
        .body(Full::default())
        .expect("request");
    let head = h1(edge.http(), head).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-encoding"), None);
    assert!(head.body.is_empty());
    assert_eq!(origin.last().method, "HEAD");
}

#[tokio::test]
async fn compressed_responses_do_not_advertise_byte_ranges() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    // Ranges would address the origin's bytes, not the compressed ones the viewer holds.
    let compressed = h1(edge.http(), get("/page.html", Some("gzip"))).await;
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    assert_eq!(compressed.header("accept-ranges"), None);

    let identity = h1(edge.http(), get("/page.html", None)).await;
    assert_eq!(identity.header("accept-ranges"), Some("bytes"));
}
