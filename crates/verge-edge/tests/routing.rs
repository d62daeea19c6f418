//! Host and path routing: distributions by domain (exact, wildcard, catch-all), cache
//! behaviors by CloudFront path pattern, viewer protocol policy and allowed methods.

mod support;

use bytes::Bytes;
use http_body_util::Full;
use support::{TestEdge, TestOrigin, distribution, h1, h2_tls, h2c, request};

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn host_picks_the_distribution() {
    let shop = TestOrigin::start(|_| support::respond(200, &[], "shop")).await;
    let blog = TestOrigin::start(|_| support::respond(200, &[], "blog")).await;
    let config = format!(
        "{}{}",
        distribution("shop", r#""shop.example.com""#, shop.addr, ""),
        distribution("blog", r#""*.blog.example.com""#, blog.addr, "")
    );
    let edge = TestEdge::start(&config).await;

    assert_eq!(
        h1(edge.http(), get("shop.example.com", "/")).await.text(),
        "shop"
    );
    assert_eq!(
        h1(edge.http(), get("SHOP.example.com:8080", "/"))
            .await
            .text(),
        "shop"
    );
    assert_eq!(
        h1(edge.http(), get("en.blog.example.com", "/"))
            .await
            .text(),
        "blog"
    );
    assert_eq!(
        h2c(edge.http(), get("en.blog.example.com", "/"))
            .await
            .text(),
        "blog"
    );

    let unknown = h1(edge.http(), get("nobody.example.org", "/")).await;
    assert_eq!(unknown.status, 421);
    assert_eq!(unknown.header("x-cache"), Some("Error from verge"));
    assert!(unknown.text().contains("nobody.example.org"));
    let deep = h1(edge.http(), get("a.en.blog.example.com", "/")).await;
    assert_eq!(deep.status, 421, "a wildcard covers one label only");
    assert_eq!(shop.count() + blog.count(), 4);
}

#[tokio::test]
async fn path_patterns_pick_behaviors_in_order() {
    let origin =
        TestOrigin::start(|seen| support::respond(200, &[], format!("origin {}", seen.uri.path())))
            .await;
    let other = TestOrigin::start(|_| support::respond(200, &[], "images")).await;
    let config = format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "main" }}
cache_behaviors = [
  {{ path_pattern = "/images/*.jpg", target_origin = "img" }},
  {{ path_pattern = "/images/*", target_origin = "main" }},
  {{ path_pattern = "/v?/api", target_origin = "img" }},
]

[[distributions.origins]]
id = "main"
domain_name = "127.0.0.1"
http_port = {}
protocol_policy = "http-only"

[[distributions.origins]]
id = "img"
domain_name = "127.0.0.1"
http_port = {}
protocol_policy = "http-only"
"#,
        origin.addr.port(),
        other.addr.port()
    );
    let edge = TestEdge::start(&config).await;
    assert_eq!(
        h1(edge.http(), get("site.test", "/images/a/b.jpg"))
            .await
            .text(),
        "images"
    );
    assert_eq!(
        h1(edge.http(), get("site.test", "/images/a/b.JPG"))
            .await
            .text(),
        "origin /images/a/b.JPG",
        "case-sensitive"
    );
    assert_eq!(
        h1(edge.http(), get("site.test", "/images/x.png"))
            .await
            .text(),
        "origin /images/x.png"
    );
    assert_eq!(
        h1(edge.http(), get("site.test", "/v2/api")).await.text(),
        "images"
    );
    assert_eq!(
        h1(edge.http(), get("site.test", "/v22/api")).await.text(),
        "origin /v22/api"
    );
}

#[tokio::test]
async fn viewer_protocol_policy_and_methods() {
    let origin = TestOrigin::hello().await;
    let config = format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "o1", viewer_protocol_policy = "redirect-to-https" }}
cache_behaviors = [
  {{ path_pattern = "/secure/*", target_origin = "o1", viewer_protocol_policy = "https-only" }},
  {{ path_pattern = "/api/*", target_origin = "o1", allowed_methods = ["GET","HEAD","OPTIONS","PUT","POST","PATCH","DELETE"] }},
]

[[distributions.origins]]
id = "o1"
domain_name = "127.0.0.1"
http_port = {}
protocol_policy = "http-only"
"#,
        origin.addr.port()
    );
    let edge = TestEdge::start(&config).await;

    let redirect = h1(edge.http(), get("site.test", "/page?x=1")).await;
    assert_eq!(redirect.status, 301);
    let expected = format!("https://site.test:{}/page?x=1", edge.https().port());
    assert_eq!(redirect.header("location"), Some(expected.as_str()));

    let forbidden = h1(edge.http(), get("site.test", "/secure/x")).await;
    assert_eq!(forbidden.status, 403);
    let secure = h2_tls(edge.https(), "site.test", get("site.test", "/secure/x")).await;
    assert_eq!(secure.status, 200);
    assert_eq!(secure.version, http::Version::HTTP_2);

    let post = request("POST", "site.test", "/page")
        .body(Full::new(Bytes::from("x")))
        .expect("request");
    let refused = h2_tls(edge.https(), "site.test", post).await;
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));

    let delete = request("DELETE", "site.test", "/api/item")
        .body(Full::default())
        .expect("request");
    assert_eq!(h1(edge.http(), delete).await.status, 200);
    assert_eq!(origin.last().method, "DELETE");
}
