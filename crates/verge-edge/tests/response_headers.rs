//! Response headers policies end to end: CORS (simple and preflight, allow lists, override
//! against an origin's own header), security headers (managed and custom), custom headers,
//! removal of origin headers, and Server-Timing with its sampling rate.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use support::{Reply, TestEdge, TestOrigin, h1, h2_tls, h2c, request, respond};

const ALL_METHODS: &str = "GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT";

/// An origin that brands its responses, and sets its own CORS and security headers on
/// paths ending in `/own`.
async fn origin() -> TestOrigin {
    TestOrigin::start(|seen| {
        let mut headers = vec![
            ("content-type", "text/plain"),
            ("server", "origin-server/1.0"),
            ("x-powered-by", "php/8"),
            ("x-origin-wins", "origin"),
            ("x-team", "origin"),
        ];
        if seen.uri.path().ends_with("/own") {
            headers.push((
                "access-control-allow-origin",
                "https://chosen-by-origin.test",
            ));
            headers.push(("x-frame-options", "ALLOW-FROM https://partner.test"));
            headers.push(("strict-transport-security", "max-age=60"));
        }
        respond(200, &headers, "body")
    })
    .await
}

fn config(origin: SocketAddr) -> String {
    let methods = r#"allowed_methods = ["GET","HEAD","OPTIONS"]"#;
    format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "o1" }}
cache_behaviors = [
  {{ path_pattern = "/cors-any/*", target_origin = "o1", response_headers_policy = "cors_any", {methods} }},
  {{ path_pattern = "/cors-listed/*", target_origin = "o1", response_headers_policy = "cors_listed", {methods} }},
  {{ path_pattern = "/cors-override/*", target_origin = "o1", response_headers_policy = "cors_override", {methods} }},
  {{ path_pattern = "/cors-managed/*", target_origin = "o1", response_headers_policy = "CORS-With-Preflight", {methods} }},
  {{ path_pattern = "/security/*", target_origin = "o1", response_headers_policy = "SecurityHeadersPolicy" }},
  {{ path_pattern = "/strict/*", target_origin = "o1", response_headers_policy = "strict" }},
  {{ path_pattern = "/custom/*", target_origin = "o1", response_headers_policy = "custom" }},
  {{ path_pattern = "/timing/*", target_origin = "o1", response_headers_policy = "timing" }},
  {{ path_pattern = "/timing-off/*", target_origin = "o1", response_headers_policy = "timing_off" }},
]

[[distributions.origins]]
id = "o1"
domain_name = "127.0.0.1"
http_port = {port}
protocol_policy = "http-only"

[response_headers_policies.cors_any]
cors = {{ allow_origins = ["*"], allow_methods = ["ALL"], allow_headers = ["content-type", "x-token"], expose_headers = ["x-request-cost"], max_age = "10m" }}

[response_headers_policies.cors_listed]
cors = {{ allow_origins = ["https://app.test"], allow_methods = ["GET", "POST"], allow_credentials = true }}

[response_headers_policies.cors_override]
cors = {{ allow_origins = ["https://app.test"], allow_methods = ["ALL"], override = true }}

[response_headers_policies.strict.security_headers]
strict_transport_security = {{ max_age = "2y", include_subdomains = true, preload = true, override = true }}
content_security_policy = {{ value = "default-src 'self'; img-src https:", override = true }}
frame_options = {{ value = "DENY" }}
content_type_options = {{}}

[response_headers_policies.custom]
custom_headers = [
  {{ header = "X-Team", value = "edge", override = true }},
  {{ header = "X-Origin-Wins", value = "edge" }},
  {{ header = "X-Added", value = "by the policy" }},
]
remove_headers = ["server", "X-Powered-By"]

[response_headers_policies.timing]
server_timing = {{ enabled = true, sampling_rate = 100 }}

[response_headers_policies.timing_off]
server_timing = {{ enabled = true, sampling_rate = 0 }}
"#,
        port = origin.port()
    )
}

fn get(path: &str, headers: &[(&str, &str)]) -> http::Request<Full<Bytes>> {
    let mut builder = request("GET", "site.test", path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::default()).expect("request")
}

fn preflight(path: &str, origin: &str) -> http::Request<Full<Bytes>> {
    request("OPTIONS", "site.test", path)
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "x-token")
        .body(Full::default())
        .expect("request")
}

/// A method list as a sorted set: the order of `Access-Control-Allow-Methods` carries nothing.
fn method_set(list: Option<&str>) -> Vec<String> {
    let mut methods: Vec<String> = list
        .unwrap_or("")
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    methods.sort();
    methods
}

fn lacks(reply: &Reply, names: &[&str]) {
    for name in names {
        assert_eq!(reply.header(name), None, "`{name}` was sent");
    }
}

#[tokio::test]
async fn cors_follows_the_origin_header() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let cross = h1(
        edge.http(),
        get("/cors-any/x", &[("origin", "https://anyone.test")]),
    )
    .await;
    assert_eq!(cross.status, 200);
    assert_eq!(cross.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        cross.header("access-control-expose-headers"),
        Some("x-request-cost")
    );
    lacks(
        &cross,
        &[
            "access-control-allow-methods",
            "access-control-max-age",
            "access-control-allow-credentials",
        ],
    );

    let same_origin = h1(edge.http(), get("/cors-any/x", &[])).await;
    assert_eq!(same_origin.status, 200);
    lacks(
        &same_origin,
        &[
            "access-control-allow-origin",
            "access-control-expose-headers",
        ],
    );

    let over_h2 = h2c(
        edge.http(),
        get("/cors-any/x", &[("origin", "https://anyone.test")]),
    )
    .await;
    assert_eq!(over_h2.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn cors_preflight_goes_to_the_origin_and_gets_the_policy() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let reply = h1(edge.http(), preflight("/cors-any/x", "https://anyone.test")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(origin.last().method, "OPTIONS");
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some(ALL_METHODS)
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("content-type, x-token")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("600"));

    let managed = h2_tls(
        edge.https(),
        "site.test",
        preflight("/cors-managed/x", "https://a.test"),
    )
    .await;
    assert_eq!(managed.status, 200);
    assert_eq!(managed.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        method_set(managed.header("access-control-allow-methods")),
        method_set(Some(ALL_METHODS))
    );
    assert_eq!(managed.header("access-control-max-age"), Some("600"));
}

#[tokio::test]
async fn cors_allow_list_with_an_exact_origin() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let listed = h1(
        edge.http(),
        get("/cors-listed/x", &[("origin", "https://app.test")]),
    )
    .await;
    assert_eq!(
        listed.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    assert_eq!(
        listed.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        listed.header("vary").is_some_and(|v| v.contains("Origin")),
        "{:?}",
        listed.header("vary")
    );

    let preflight = h1(edge.http(), preflight("/cors-listed/x", "https://app.test")).await;
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET, POST")
    );

    for stranger in [
        "https://evil.test",
        "https://app.test.evil.test",
        "http://app.test",
    ] {
        let reply = h1(edge.http(), get("/cors-listed/x", &[("origin", stranger)])).await;
        assert_eq!(reply.status, 200);
        lacks(
            &reply,
            &[
                "access-control-allow-origin",
                "access-control-allow-credentials",
            ],
        );
        assert!(
            reply.header("vary").is_some_and(|v| v.contains("Origin")),
            "{stranger}"
        );
    }
}

#[tokio::test]
async fn cors_override_decides_against_the_origins_own_header() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;
    let viewer = [("origin", "https://app.test")];

    let kept = h1(edge.http(), get("/cors-listed/own", &viewer)).await;
    assert_eq!(
        kept.header("access-control-allow-origin"),
        Some("https://chosen-by-origin.test")
    );
    assert_eq!(
        kept.headers
            .get_all("access-control-allow-origin")
            .iter()
            .count(),
        1
    );

    let replaced = h1(edge.http(), get("/cors-override/own", &viewer)).await;
    assert_eq!(
        replaced.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    assert_eq!(
        replaced
            .headers
            .get_all("access-control-allow-origin")
            .iter()
            .count(),
        1
    );
}

#[tokio::test]
async fn managed_security_headers() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let reply = h1(edge.http(), get("/security/x", &[])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("x-frame-options"), Some("SAMEORIGIN"));
    assert_eq!(
        reply.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    assert_eq!(reply.header("x-xss-protection"), Some("1; mode=block"));
    lacks(&reply, &["content-security-policy"]);

    // The managed policy does not override what the origin chose.
    let own = h1(edge.http(), get("/security/own", &[])).await;
    assert_eq!(
        own.header("x-frame-options"),
        Some("ALLOW-FROM https://partner.test")
    );
    assert_eq!(own.header("strict-transport-security"), Some("max-age=60"));
}

#[tokio::test]
async fn custom_security_headers_with_preload_and_csp() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    for path in ["/strict/x", "/strict/own"] {
        let reply = h2_tls(edge.https(), "site.test", get(path, &[])).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("strict-transport-security"),
            Some("max-age=63072000; includeSubDomains; preload"),
            "{path}: override replaces the origin's HSTS"
        );
        assert_eq!(
            reply.header("content-security-policy"),
            Some("default-src 'self'; img-src https:")
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        lacks(&reply, &["referrer-policy", "x-xss-protection"]);
    }
    let plain = h1(edge.http(), get("/strict/x", &[])).await;
    assert_eq!(plain.header("x-frame-options"), Some("DENY"));
    let own = h1(edge.http(), get("/strict/own", &[])).await;
    assert_eq!(
        own.header("x-frame-options"),
        Some("ALLOW-FROM https://partner.test")
    );
}

#[tokio::test]
async fn custom_headers_and_removed_headers() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    let reply = h1(edge.http(), get("/custom/x", &[])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-team"), Some("edge"));
    assert_eq!(reply.header("x-origin-wins"), Some("origin"));
    assert_eq!(reply.header("x-added"), Some("by the policy"));
    lacks(&reply, &["server", "x-powered-by"]);
    assert_eq!(reply.text(), "body");
    // The edge's own headers are not the policy's to remove.
    assert_eq!(reply.header("x-cache"), Some("Miss from verge"));
    assert_eq!(reply.header("via"), Some("1.1 test1 (verge)"));

    let without_policy = h1(edge.http(), get("/other", &[])).await;
    assert_eq!(without_policy.header("server"), Some("origin-server/1.0"));
    assert_eq!(without_policy.header("x-powered-by"), Some("php/8"));
    lacks(&without_policy, &["x-added"]);
}

#[tokio::test]
async fn server_timing_by_sampling_rate() {
    let origin = origin().await;
    let edge = TestEdge::start(&config(origin.addr)).await;

    for reply in [
        h1(edge.http(), get("/timing/x", &[])).await,
        h2c(edge.http(), get("/timing/x", &[])).await,
    ] {
        let timing = reply
            .header("server-timing")
            .expect("server-timing sampled at 100%");
        assert!(timing.contains("cdn-pop;desc=\"test1\""), "{timing}");
        let id = reply.header("x-verge-request-id").expect("request id");
        assert!(
            timing.contains(&format!("cdn-rid;desc=\"{id}\"")),
            "{timing}"
        );
        assert!(timing.contains("cdn-cache-miss"), "{timing}");
        assert!(timing.contains("cdn-upstream-fbl;dur="), "{timing}");
    }

    for _ in 0..20 {
        let reply = h1(edge.http(), get("/timing-off/x", &[])).await;
        assert_eq!(reply.status, 200);
        lacks(&reply, &["server-timing"]);
    }
    lacks(
        &h1(edge.http(), get("/other", &[])).await,
        &["server-timing"],
    );
}
