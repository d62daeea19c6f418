//! Header rules in both directions: hop-by-hop headers stay on their connection
//! (RFC 9110 §7.6.1), `X-Forwarded-For` and `Via` are appended (§7.6.3), Verge's own response
//! headers are set, and viewers cannot forge the headers the edge owns.

mod support;

use bytes::Bytes;
use http_body_util::Full;
use support::{TestEdge, TestOrigin, distribution, h1, h2c, request, respond};

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn viewer_hop_by_hop_headers_do_not_reach_the_origin() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;

    let viewer = request("GET", "site.test", "/")
        .header("connection", "keep-alive, x-viewer-hop")
        .header("x-viewer-hop", "named in Connection")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("upgrade", "websocket")
        .header("proxy-authorization", "Basic dXNlcjpwYXNz")
        .header("proxy-connection", "keep-alive")
        .header("trailer", "x-checksum")
        .header("x-viewer-kept", "end to end")
        .body(Full::default())
        .expect("request");
    let reply = h1(edge.http(), viewer).await;
    assert_eq!(reply.status, 200);

    let seen = origin.last();
    for name in [
        "x-viewer-hop",
        "keep-alive",
        "te",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
    ] {
        assert_eq!(seen.header(name), None, "`{name}` reached the origin");
    }
    // The edge's own connection to the origin may carry its own Connection header, never
    // the viewer's list.
    assert!(
        !seen
            .header("connection")
            .unwrap_or("")
            .contains("x-viewer-hop")
    );
    assert_eq!(seen.header("x-viewer-kept"), Some("end to end"));
}

#[tokio::test]
async fn origin_hop_by_hop_headers_do_not_reach_the_viewer() {
    let origin = TestOrigin::start(|_| {
        let headers = [
            ("content-type", "text/plain"),
            ("connection", "x-origin-hop"),
            ("x-origin-hop", "named in Connection"),
            ("keep-alive", "timeout=30, max=100"),
            ("proxy-authenticate", "Basic realm=\"origin\""),
            ("trailer", "x-checksum"),
            ("x-origin-kept", "end to end"),
        ];
        respond(200, &headers, "ok")
    })
    .await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;

    for reply in [
        h1(edge.http(), get("site.test", "/")).await,
        h2c(edge.http(), get("site.test", "/")).await,
    ] {
        assert_eq!(reply.status, 200);
        for name in [
            "x-origin-hop",
            "keep-alive",
            "proxy-authenticate",
            "trailer",
        ] {
            assert_eq!(
                reply.header(name),
                None,
                "`{name}` reached the viewer over {:?}",
                reply.version
            );
        }
        assert!(
            !reply
                .header("connection")
                .unwrap_or("")
                .contains("x-origin-hop")
        );
        assert_eq!(reply.header("x-origin-kept"), Some("end to end"));
        assert_eq!(reply.text(), "ok");
    }
}

#[tokio::test]
async fn forwarded_for_and_via_are_appended() {
    let origin = TestOrigin::start(|seen| {
        // Echo the viewer's Via back as the origin's own upstream hop, when it had one.
        let via = if seen.header("x-origin-via").is_some() {
            "1.1 origin-cache"
        } else {
            ""
        };
        let mut headers = vec![("content-type", "text/plain")];
        if !via.is_empty() {
            headers.push(("via", via));
        }
        respond(200, &headers, "ok")
    })
    .await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;

    let plain = h1(edge.http(), get("site.test", "/")).await;
    let seen = origin.last();
    assert_eq!(seen.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(seen.header("via"), Some("1.1 test1 (verge)"));
    assert_eq!(plain.header("via"), Some("1.1 test1 (verge)"));

    let chained = request("GET", "site.test", "/")
        .header("x-forwarded-for", "203.0.113.7, 198.51.100.2")
        .header("via", "1.1 corp-proxy")
        .header("x-origin-via", "1")
        .body(Full::default())
        .expect("request");
    let reply = h1(edge.http(), chained).await;
    let seen = origin.last();
    assert_eq!(
        seen.header("x-forwarded-for"),
        Some("203.0.113.7, 198.51.100.2, 127.0.0.1")
    );
    assert_eq!(
        seen.header("via"),
        Some("1.1 corp-proxy, 1.1 test1 (verge)")
    );
    assert_eq!(
        reply.header("via"),
        Some("1.1 origin-cache, 1.1 test1 (verge)")
    );

    let over_h2 = request("GET", "site.test", "/")
        .header("x-forwarded-for", "203.0.113.7")
        .body(Full::default())
        .expect("request");
    let reply = h2c(edge.http(), over_h2).await;
    assert_eq!(reply.version, http::Version::HTTP_2);
    assert_eq!(
        origin.last().header("x-forwarded-for"),
        Some("203.0.113.7, 127.0.0.1")
    );
    assert_eq!(reply.header("via"), Some("1.1 test1 (verge)"));
}

#[tokio::test]
async fn verge_headers_reach_the_viewer_and_the_origin() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;

    let mut ids = Vec::new();
    for reply in [
        h1(edge.http(), get("site.test", "/a")).await,
        h2c(edge.http(), get("site.test", "/b")).await,
    ] {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-cache"), Some("Miss from verge"));
        assert_eq!(reply.header("x-verge-pop"), Some("test1"));
        let id = reply
            .header("x-verge-request-id")
            .expect("request id")
            .to_owned();
        assert_eq!(id.len(), 32, "{id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{id}"
        );
        ids.push(id);
    }
    let seen: Vec<String> = origin
        .seen()
        .iter()
        .map(|s| {
            s.header("x-verge-request-id")
                .expect("origin got the id")
                .to_owned()
        })
        .collect();
    assert_eq!(seen, ids, "the origin got the same id the viewer did");
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn viewers_cannot_forge_edge_owned_headers() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&distribution(
        "site",
        r#""site.test""#,
        origin.addr,
        r#", origin_request_policy = "AllViewer""#,
    ))
    .await;

    let forged = request("GET", "site.test", "/")
        .header("cloudfront-viewer-country", "US")
        .header("CloudFront-Viewer-Address", "192.0.2.1:443")
        .header("cloudfront-forwarded-proto", "https")
        .header("cloudfront-is-mobile-viewer", "true")
        .header("x-verge-request-id", "forged-by-the-viewer")
        .body(Full::default())
        .expect("request");
    let reply = h1(edge.http(), forged).await;
    assert_eq!(reply.status, 200);

    let seen = origin.last();
    for name in [
        "cloudfront-viewer-country",
        "cloudfront-viewer-address",
        "cloudfront-forwarded-proto",
        "cloudfront-is-mobile-viewer",
    ] {
        assert_eq!(
            seen.header(name),
            None,
            "a viewer-supplied `{name}` passed through"
        );
    }
    let id = seen.header("x-verge-request-id").expect("edge request id");
    assert_ne!(id, "forged-by-the-viewer");
    assert_eq!(Some(id), reply.header("x-verge-request-id"));
    assert_eq!(seen.headers.get_all("x-verge-request-id").iter().count(), 1);
}

#[tokio::test]
async fn headers_named_in_connection_stay_hop_by_hop_under_a_whitelist() {
    let origin = TestOrigin::hello().await;
    let policy = r#"
[origin_request_policies.listed]
headers = { behavior = "whitelist", items = ["x-viewer-hop", "keep-alive", "x-viewer-kept"] }
"#;
    let behavior = r#", origin_request_policy = "listed""#;
    let config = distribution("site", r#""site.test""#, origin.addr, behavior) + policy;
    let edge = TestEdge::start(&config).await;

    let viewer = request("GET", "site.test", "/")
        .header("connection", "x-viewer-hop")
        .header("x-viewer-hop", "named in Connection")
        .header("keep-alive", "timeout=5")
        .header("x-viewer-kept", "end to end")
        .body(Full::default())
        .expect("request");
    assert_eq!(h1(edge.http(), viewer).await.status, 200);

    let seen = origin.last();
    assert_eq!(
        seen.header("x-viewer-hop"),
        None,
        "a policy cannot forward a hop-by-hop header"
    );
    assert_eq!(seen.header("keep-alive"), None);
    assert_eq!(seen.header("x-viewer-kept"), Some("end to end"));
}

#[tokio::test]
async fn forwarded_chains_survive_a_policy_that_forwards_no_headers() {
    let origin = TestOrigin::hello().await;
    let config = format!(
        "{}\n[origin_request_policies.nothing]\nheaders = {{ behavior = \"none\" }}\n",
        distribution(
            "site",
            r#""site.test""#,
            origin.addr,
            r#", origin_request_policy = "nothing""#
        )
    );
    let edge = TestEdge::start(&config).await;

    let viewer = request("GET", "site.test", "/")
        .header("x-forwarded-for", "203.0.113.7")
        .header("via", "1.1 other-pop (verge)")
        .header("x-other", "dropped by the policy")
        .body(Full::default())
        .expect("request");
    assert_eq!(h1(edge.http(), viewer).await.status, 200);

    let seen = origin.last();
    assert_eq!(seen.header("x-other"), None);
    assert_eq!(
        seen.header("x-forwarded-for"),
        Some("203.0.113.7, 127.0.0.1")
    );
    assert_eq!(
        seen.header("via"),
        Some("1.1 other-pop (verge), 1.1 test1 (verge)")
    );
}
