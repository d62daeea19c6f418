//! Geo lookups end to end, with a tiny MaxMind DB written by the test (127.0.0.0/8 is in
//! Germany, AS 64500): the CloudFront-Viewer-Country and -ASN headers, and distribution geo
//! restriction, with and without a database.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use support::fixtures::{GeoFixture, LogCapture};
use support::{TestEdge, TestOrigin, h1, h2_tls, request};

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

/// A distribution for `host` with a geo restriction (`kind` and `countries`, or none).
fn restricted(
    id: &str,
    host: &str,
    origin: SocketAddr,
    restriction: Option<(&str, &str)>,
) -> String {
    let geo = match restriction {
        Some((kind, countries)) => {
            format!(
                "geo_restriction = {{ restriction_type = \"{kind}\", locations = [{countries}] }}"
            )
        }
        None => String::new(),
    };
    format!(
        r#"
[[distributions]]
id = "{id}"
domains = ["{host}"]
{geo}
default_cache_behavior = {{ target_origin = "o1" }}
cache_behaviors = [
  {{ path_pattern = "/cf/*", target_origin = "o1", origin_request_policy = "AllViewerAndCloudFrontHeaders-2022-06" }},
  {{ path_pattern = "/country/*", target_origin = "o1", origin_request_policy = "country_only" }},
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

const COUNTRY_ONLY: &str = r#"
[origin_request_policies.country_only]
headers = { behavior = "whitelist", items = ["CloudFront-Viewer-Country"] }
"#;

#[tokio::test]
async fn country_and_asn_headers_come_from_the_database() {
    let geo = GeoFixture::write();
    let origin = TestOrigin::hello().await;
    let config = format!(
        "{}{COUNTRY_ONLY}{}",
        restricted("site", "site.test", origin.addr, None),
        geo.section()
    );
    let edge = TestEdge::start(&config).await;

    let spoofed = request("GET", "site.test", "/cf/p")
        .header("cloudfront-viewer-country", "US")
        .header("cloudfront-viewer-asn", "15169")
        .body(Full::default())
        .expect("request");
    assert_eq!(h1(edge.http(), spoofed).await.status, 200);
    let seen = origin.last();
    let countries: Vec<_> = seen
        .headers
        .get_all("cloudfront-viewer-country")
        .iter()
        .collect();
    assert_eq!(
        countries,
        ["DE"],
        "the database's answer replaces the viewer's claim"
    );
    let asns: Vec<_> = seen
        .headers
        .get_all("cloudfront-viewer-asn")
        .iter()
        .collect();
    assert_eq!(asns, ["64500"]);

    let reply = h2_tls(edge.https(), "site.test", get("site.test", "/cf/p")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    assert_eq!(seen.header("cloudfront-viewer-country"), Some("DE"));
    assert_eq!(seen.header("cloudfront-viewer-asn"), Some("64500"));

    // A whitelist may name one CloudFront header; only that one is sent.
    assert_eq!(
        h1(edge.http(), get("site.test", "/country/p")).await.status,
        200
    );
    let seen = origin.last();
    assert_eq!(seen.header("cloudfront-viewer-country"), Some("DE"));
    assert_eq!(seen.header("cloudfront-viewer-asn"), None);
    assert_eq!(seen.header("cloudfront-viewer-address"), None);

    // A behavior whose policy lists no CloudFront headers sends none.
    assert_eq!(
        h1(edge.http(), get("site.test", "/plain")).await.status,
        200
    );
    let seen = origin.last();
    assert_eq!(seen.header("cloudfront-viewer-country"), None);
    assert_eq!(seen.header("cloudfront-viewer-asn"), None);
}

#[tokio::test]
async fn geo_restriction_allows_and_blocks_by_country() {
    let geo = GeoFixture::write();
    let origin = TestOrigin::hello().await;
    let config = [
        restricted(
            "allow-de",
            "allow-de.test",
            origin.addr,
            Some(("whitelist", r#""DE""#)),
        ),
        restricted(
            "allow-us",
            "allow-us.test",
            origin.addr,
            Some(("whitelist", r#""US", "FR""#)),
        ),
        restricted(
            "deny-de",
            "deny-de.test",
            origin.addr,
            Some(("blacklist", r#""DE""#)),
        ),
        restricted(
            "deny-us",
            "deny-us.test",
            origin.addr,
            Some(("blacklist", r#""US""#)),
        ),
        COUNTRY_ONLY.to_owned(),
        geo.section(),
    ]
    .concat();
    let edge = TestEdge::start(&config).await;

    let served = h1(edge.http(), get("allow-de.test", "/")).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.text(), "hello from origin");
    assert_eq!(served.header("x-cache"), Some("Miss from verge"));
    assert_eq!(h1(edge.http(), get("deny-us.test", "/")).await.status, 200);
    assert_eq!(origin.count(), 2);

    for host in ["allow-us.test", "deny-de.test"] {
        let blocked = h1(edge.http(), get(host, "/")).await;
        assert_eq!(blocked.status, 403, "{host}");
        assert_eq!(
            blocked.header("x-cache"),
            Some("Error from verge"),
            "{host}"
        );
        assert_eq!(blocked.header("x-verge-pop"), Some("test1"));
        assert!(blocked.text().contains("403"), "{}", blocked.text());

        let over_tls = h2_tls(edge.https(), host, get(host, "/")).await;
        assert_eq!(over_tls.status, 403, "{host} over TLS");
    }
    assert_eq!(
        origin.count(),
        2,
        "a blocked viewer never reaches the origin"
    );
}

#[tokio::test]
async fn without_a_database_geo_restriction_lets_everyone_in() {
    let origin = TestOrigin::hello().await;
    let config = restricted(
        "allow-us",
        "allow-us.test",
        origin.addr,
        Some(("whitelist", r#""US""#)),
    ) + COUNTRY_ONLY;

    let (logs, guard) = LogCapture::install();
    let edge = TestEdge::start(&config).await;
    drop(guard);
    assert!(
        logs.contains("Geo database missing"),
        "the edge says at start that geo restriction is off: {:?}",
        logs.lines()
    );

    let reply = h1(edge.http(), get("allow-us.test", "/cf/p")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    assert_eq!(seen.header("cloudfront-viewer-country"), None);
    assert_eq!(seen.header("cloudfront-viewer-asn"), None);
}
