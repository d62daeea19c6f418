//! Origin request policies end to end: which viewer headers, cookies and query strings
//! reach the origin under each behavior, the `Host` the origin sees, CloudFront's managed
//! policies by name, and the CloudFront viewer headers a policy asks for.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use support::fixtures::h1_from;
use support::{Seen, TestEdge, TestOrigin, h1, h2_tls, h2c, request};

/// One behavior per policy, by path prefix, all to the same origin.
fn config(origin: SocketAddr) -> String {
    format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "o1" }}
cache_behaviors = [
  {{ path_pattern = "/none/*", target_origin = "o1", origin_request_policy = "nothing", allowed_methods = ["GET","HEAD","OPTIONS","PUT","POST","PATCH","DELETE"] }},
  {{ path_pattern = "/listed/*", target_origin = "o1", origin_request_policy = "listed" }},
  {{ path_pattern = "/all/*", target_origin = "o1", origin_request_policy = "everything" }},
  {{ path_pattern = "/except/*", target_origin = "o1", origin_request_policy = "except" }},
  {{ path_pattern = "/listed-host/*", target_origin = "o1", origin_request_policy = "listed_host" }},
  {{ path_pattern = "/managed-all/*", target_origin = "o1", origin_request_policy = "AllViewer" }},
  {{ path_pattern = "/managed-cors/*", target_origin = "o1", origin_request_policy = "CORS-S3Origin" }},
  {{ path_pattern = "/managed-ua/*", target_origin = "o1", origin_request_policy = "UserAgentRefererHeaders" }},
  {{ path_pattern = "/cf/*", target_origin = "o1", origin_request_policy = "cloudfront" }},
  {{ path_pattern = "/cf-managed/*", target_origin = "o1", origin_request_policy = "AllViewerAndCloudFrontHeaders-2022-06" }},
]

[[distributions.origins]]
id = "o1"
domain_name = "127.0.0.1"
http_port = {port}
protocol_policy = "http-only"

[origin_request_policies.nothing]
headers = {{ behavior = "none" }}
cookies = {{ behavior = "none" }}
query_strings = {{ behavior = "none" }}

[origin_request_policies.listed]
headers = {{ behavior = "whitelist", items = ["X-Wanted", "accept-language"] }}
cookies = {{ behavior = "whitelist", items = ["session"] }}
query_strings = {{ behavior = "whitelist", items = ["page"] }}

[origin_request_policies.listed_host]
headers = {{ behavior = "whitelist", items = ["Host"] }}

[origin_request_policies.everything]
headers = {{ behavior = "allViewer" }}
cookies = {{ behavior = "all" }}
query_strings = {{ behavior = "all" }}

[origin_request_policies.except]
headers = {{ behavior = "allExcept", items = ["X-Unwanted"] }}
cookies = {{ behavior = "allExcept", items = ["tracking"] }}
query_strings = {{ behavior = "allExcept", items = ["utm_source"] }}

[origin_request_policies.cloudfront]
headers = {{ behavior = "allViewerAndWhitelistCloudFront", items = ["CloudFront-Viewer-Address", "CloudFront-Forwarded-Proto", "CloudFront-Viewer-Http-Version", "CloudFront-Viewer-TLS"] }}
"#,
        port = origin.port()
    )
}

/// A viewer request carrying something of every kind a policy can filter.
fn loaded(path: &str) -> http::Request<Full<Bytes>> {
    request(
        "GET",
        "site.test",
        &format!("{path}?page=2&utm_source=mail&q=shoes"),
    )
    .header("x-wanted", "yes")
    .header("x-unwanted", "no")
    .header("accept-language", "de-DE")
    .header("user-agent", "policy-test/1.0")
    .header("referer", "https://ref.test/start")
    .header("origin", "https://app.test")
    .header("access-control-request-method", "PUT")
    .header("cookie", "session=abc; tracking=t1; theme=dark")
    .body(Full::default())
    .expect("request")
}

async fn seen_for(edge: &TestEdge, origin: &TestOrigin, path: &str) -> Seen {
    let reply = h1(edge.http(), loaded(path)).await;
    assert_eq!(reply.status, 200, "{path}");
    let seen = origin.last();
    assert_eq!(seen.uri.path(), path);
    seen
}

fn has(seen: &Seen, names: &[&str]) {
    for name in names {
        assert!(
            seen.header(name).is_some(),
            "`{name}` missing at the origin for {}",
            seen.uri
        );
    }
}

fn lacks(seen: &Seen, names: &[&str]) {
    for name in names {
        assert_eq!(
            seen.header(name),
            None,
            "`{name}` reached the origin for {}",
            seen.uri
        );
    }
}

#[tokio::test]
async fn headers_cookies_and_query_strings_by_policy() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;
    let origin_host = format!("127.0.0.1:{}", origin.addr.port());

    let none = seen_for(&edge, &origin, "/none/p").await;
    lacks(
        &none,
        &[
            "x-wanted",
            "x-unwanted",
            "accept-language",
            "user-agent",
            "referer",
            "cookie",
        ],
    );
    assert_eq!(none.uri.query(), None);
    assert_eq!(none.header("host"), Some(origin_host.as_str()));

    let listed = seen_for(&edge, &origin, "/listed/p").await;
    has(&listed, &["x-wanted", "accept-language"]);
    lacks(&listed, &["x-unwanted", "user-agent", "referer", "origin"]);
    assert_eq!(listed.header("cookie"), Some("session=abc"));
    assert_eq!(listed.uri.query(), Some("page=2"));
    assert_eq!(listed.header("host"), Some(origin_host.as_str()));

    let all = seen_for(&edge, &origin, "/all/p").await;
    has(
        &all,
        &[
            "x-wanted",
            "x-unwanted",
            "accept-language",
            "user-agent",
            "referer",
            "origin",
        ],
    );
    assert_eq!(
        all.header("cookie"),
        Some("session=abc; tracking=t1; theme=dark")
    );
    assert_eq!(all.uri.query(), Some("page=2&utm_source=mail&q=shoes"));
    assert_eq!(
        all.header("host"),
        Some("site.test"),
        "allViewer forwards the viewer's Host"
    );

    let except = seen_for(&edge, &origin, "/except/p").await;
    has(
        &except,
        &["x-wanted", "accept-language", "user-agent", "referer"],
    );
    lacks(&except, &["x-unwanted"]);
    assert_eq!(except.header("cookie"), Some("session=abc; theme=dark"));
    assert_eq!(except.uri.query(), Some("page=2&q=shoes"));
    assert_eq!(
        except.header("host"),
        Some("site.test"),
        "Host is not excepted"
    );

    let listed_host = seen_for(&edge, &origin, "/listed-host/p").await;
    assert_eq!(listed_host.header("host"), Some("site.test"));
    lacks(&listed_host, &["x-wanted", "cookie"]);
}

#[tokio::test]
async fn default_policy_forwards_everything_but_host() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let seen = seen_for(&edge, &origin, "/default").await;
    has(&seen, &["x-wanted", "x-unwanted", "user-agent", "referer"]);
    assert_eq!(
        seen.header("cookie"),
        Some("session=abc; tracking=t1; theme=dark")
    );
    assert_eq!(seen.uri.query(), Some("page=2&utm_source=mail&q=shoes"));
    let origin_host = format!("127.0.0.1:{}", origin.addr.port());
    assert_eq!(seen.header("host"), Some(origin_host.as_str()));
}

#[tokio::test]
async fn body_headers_pass_whatever_the_policy() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let post = request("POST", "site.test", "/none/form")
        .header("content-type", "application/json")
        .header("x-wanted", "yes")
        .body(Full::new(Bytes::from_static(b"{\"a\":1}")))
        .expect("request");
    assert_eq!(h1(edge.http(), post).await.status, 200);
    let seen = origin.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("content-length"), Some("7"));
    assert_eq!(&seen.body[..], b"{\"a\":1}");
    lacks(&seen, &["x-wanted"]);
}

#[tokio::test]
async fn managed_policies_by_name() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;
    let origin_host = format!("127.0.0.1:{}", origin.addr.port());

    let all = seen_for(&edge, &origin, "/managed-all/p").await;
    has(
        &all,
        &["x-wanted", "x-unwanted", "user-agent", "referer", "origin"],
    );
    assert_eq!(
        all.header("cookie"),
        Some("session=abc; tracking=t1; theme=dark")
    );
    assert_eq!(all.uri.query(), Some("page=2&utm_source=mail&q=shoes"));
    assert_eq!(all.header("host"), Some("site.test"));

    let cors = seen_for(&edge, &origin, "/managed-cors/p").await;
    has(&cors, &["origin", "access-control-request-method"]);
    lacks(&cors, &["x-wanted", "user-agent", "referer", "cookie"]);
    assert_eq!(cors.uri.query(), None);
    assert_eq!(cors.header("host"), Some(origin_host.as_str()));

    let ua = seen_for(&edge, &origin, "/managed-ua/p").await;
    assert_eq!(ua.header("user-agent"), Some("policy-test/1.0"));
    assert_eq!(ua.header("referer"), Some("https://ref.test/start"));
    lacks(&ua, &["x-wanted", "origin", "cookie"]);
    assert_eq!(ua.uri.query(), Some("page=2&utm_source=mail&q=shoes"));
    assert_eq!(ua.header("host"), Some(origin_host.as_str()));
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    request("GET", "site.test", path)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn cloudfront_viewer_headers_over_http() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let (reply, viewer) = h1_from(edge.http(), get("/cf/p")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    let address = format!("127.0.0.1:{}", viewer.port());
    assert_eq!(
        seen.header("cloudfront-viewer-address"),
        Some(address.as_str())
    );
    assert_eq!(seen.header("cloudfront-forwarded-proto"), Some("http"));
    assert_eq!(seen.header("cloudfront-viewer-http-version"), Some("1.1"));
    assert_eq!(
        seen.header("cloudfront-viewer-tls"),
        None,
        "no TLS, no header"
    );
    // Without a geo database the country and ASN are unknown, so never sent.
    lacks(
        &seen,
        &["cloudfront-viewer-country", "cloudfront-viewer-asn"],
    );

    let reply = h2c(edge.http(), get("/cf/p")).await;
    assert_eq!(reply.version, http::Version::HTTP_2);
    let seen = origin.last();
    assert_eq!(seen.header("cloudfront-viewer-http-version"), Some("2.0"));
    assert_eq!(seen.header("cloudfront-forwarded-proto"), Some("http"));

    // Listed only by the managed policy: a custom one that does not list them sends none.
    let reply = h1(edge.http(), get("/all/p")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    lacks(
        &seen,
        &[
            "cloudfront-viewer-address",
            "cloudfront-forwarded-proto",
            "cloudfront-viewer-http-version",
        ],
    );
}

#[tokio::test]
async fn cloudfront_viewer_headers_over_tls() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    for path in ["/cf/p", "/cf-managed/p"] {
        let reply = h2_tls(edge.https(), "site.test", get(path)).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.version, http::Version::HTTP_2);
        let seen = origin.last();
        assert_eq!(
            seen.header("cloudfront-forwarded-proto"),
            Some("https"),
            "{path}"
        );
        assert_eq!(
            seen.header("cloudfront-viewer-http-version"),
            Some("2.0"),
            "{path}"
        );
        let tls = seen.header("cloudfront-viewer-tls").expect("TLS header");
        let fields: Vec<&str> = tls.split(':').collect();
        assert_eq!(fields.len(), 3, "{tls}");
        assert_eq!(fields[0], "TLSv1.3", "{tls}");
        assert!(fields[1].starts_with("TLS_"), "{tls}");
        assert_eq!(fields[2], "fullHandshake", "{tls}");
        let address = seen
            .header("cloudfront-viewer-address")
            .expect("address header");
        let (ip, port) = address.rsplit_once(':').expect("ip:port");
        assert_eq!(ip, "127.0.0.1");
        assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{address}");
    }
}

#[tokio::test]
async fn http2_cookie_fields_reach_the_origin_as_one_header() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    // HTTP/2 viewers may split cookies over several fields (RFC 9113 §8.2.3); an HTTP/1.1
    // origin gets them joined with "; " (RFC 6265 §5.4).
    for path in ["/all/p", "/listed/p", "/except/p"] {
        let split = request("GET", "site.test", path)
            .header("cookie", "session=abc")
            .header("cookie", "tracking=t1")
            .header("cookie", "theme=dark")
            .body(Full::default())
            .expect("request");
        assert_eq!(h2c(edge.http(), split).await.status, 200);
        let seen = origin.last();
        assert_eq!(seen.headers.get_all("cookie").iter().count(), 1, "{path}");
        let expected = match path {
            "/all/p" => "session=abc; tracking=t1; theme=dark",
            "/listed/p" => "session=abc",
            _ => "session=abc; theme=dark",
        };
        assert_eq!(seen.header("cookie"), Some(expected), "{path}");
    }
}
