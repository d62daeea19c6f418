//! Custom error responses end to end: an origin 404 answered with a page and status 200 (the
//! single-page-app pattern), an origin 503 with its own page and status, and an unreachable
//! origin giving 502 with the edge's page or with a page served by a healthy origin.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use support::fixtures::closed_port;
use support::{TestEdge, TestOrigin, h1, h2c, request, respond};

/// An application origin: pages under `/errors/`, 404 for `/missing/*`, 503 for `/busy/*`.
async fn app() -> TestOrigin {
    TestOrigin::start(|seen| {
        let html = [("content-type", "text/html")];
        match seen.uri.path() {
            "/errors/404.html" => respond(200, &html, "<html>app shell</html>"),
            "/errors/503.html" => respond(200, &html, "<html>back soon</html>"),
            "/errors/502.html" => respond(200, &html, "<html>origin down page</html>"),
            path if path.starts_with("/missing/") || path.starts_with("/api/missing") => {
                respond(404, &html, "origin 404")
            }
            path if path.starts_with("/busy/") => respond(503, &html, "origin 503"),
            "/teapot" => respond(418, &html, "origin 418"),
            _ => respond(200, &html, "page"),
        }
    })
    .await
}

/// `site.test` maps 404, 503 and 502 to pages; `bare.test` has no custom error responses.
/// Both send `/dead/*` to a port nobody listens on.
fn config(app: SocketAddr, dead_port: u16) -> String {
    let origins = format!(
        r#"
[[distributions.origins]]
id = "app"
domain_name = "127.0.0.1"
http_port = {app_port}
protocol_policy = "http-only"

[[distributions.origins]]
id = "dead"
domain_name = "127.0.0.1"
http_port = {dead_port}
protocol_policy = "http-only"
connection_attempts = 1
"#,
        app_port = app.port()
    );
    let behaviors = r#"
default_cache_behavior = { target_origin = "app" }
cache_behaviors = [
  { path_pattern = "/dead/*", target_origin = "dead" },
  { path_pattern = "/errors/*", target_origin = "app" },
  { path_pattern = "/api/*", target_origin = "app", allowed_methods = ["GET","HEAD","OPTIONS","PUT","POST","PATCH","DELETE"] },
]"#;
    format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
{behaviors}
custom_error_responses = [
  {{ error_code = 404, response_page_path = "/errors/404.html", response_code = 200 }},
  {{ error_code = 503, response_page_path = "/errors/503.html", response_code = 503 }},
  {{ error_code = 502, response_page_path = "/errors/502.html", response_code = 502 }},
]
{origins}
[[distributions]]
id = "bare"
domains = ["bare.test"]
{behaviors}
{origins}"#
    )
}

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn origin_404_becomes_the_app_shell_with_200() {
    let app = app().await;
    let edge = TestEdge::start(&config(app.addr, closed_port())).await;

    for reply in [
        h1(edge.http(), get("site.test", "/missing/deep/link")).await,
        h2c(edge.http(), get("site.test", "/missing/other")).await,
    ] {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "<html>app shell</html>");
        assert_eq!(reply.header("content-type"), Some("text/html"));
        assert_eq!(reply.header("x-verge-pop"), Some("test1"));
    }
    let paths: Vec<String> = app.seen().iter().map(|s| s.uri.path().to_owned()).collect();
    assert_eq!(
        paths,
        [
            "/missing/deep/link",
            "/errors/404.html",
            "/missing/other",
            "/errors/404.html"
        ],
        "the page is fetched from the origin after its 404"
    );
    assert_eq!(app.last().method, "GET");

    let bare = h1(edge.http(), get("bare.test", "/missing/x")).await;
    assert_eq!(bare.status, 404);
    assert_eq!(bare.text(), "origin 404");
    assert_eq!(bare.header("x-cache"), Some("Error from verge"));
}

#[tokio::test]
async fn origin_503_keeps_its_status_with_the_page() {
    let app = app().await;
    let edge = TestEdge::start(&config(app.addr, closed_port())).await;

    let reply = h1(edge.http(), get("site.test", "/busy/checkout")).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.text(), "<html>back soon</html>");
    assert_eq!(reply.header("x-cache"), Some("Error from verge"));

    // A status without a rule is passed through as the origin sent it.
    let teapot = h1(edge.http(), get("site.test", "/teapot")).await;
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.text(), "origin 418");
}

#[tokio::test]
async fn unreachable_origin_gives_502() {
    let app = app().await;
    let edge = TestEdge::start(&config(app.addr, closed_port())).await;

    let bare = h1(edge.http(), get("bare.test", "/dead/x")).await;
    assert_eq!(bare.status, 502);
    assert_eq!(bare.header("x-cache"), Some("Error from verge"));
    assert_eq!(
        bare.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = bare.text();
    assert!(page.contains("502 Bad Gateway"), "{page}");
    let id = bare.header("x-verge-request-id").expect("request id");
    assert!(
        page.contains(id),
        "the edge's page names the request id: {page}"
    );

    let before = app.count();
    let custom = h1(edge.http(), get("site.test", "/dead/x")).await;
    assert_eq!(custom.status, 502);
    assert_eq!(custom.text(), "<html>origin down page</html>");
    assert_eq!(custom.header("x-cache"), Some("Error from verge"));
    assert_eq!(app.count(), before + 1);
    assert_eq!(app.last().uri.path(), "/errors/502.html");
}

// The page fetch is a GET with no body: the POST's Content-Length must not go with it, or
// the origin would wait for a body that never comes.
#[tokio::test]
async fn error_page_after_a_post_is_fetched_without_the_viewers_body_headers() {
    let app = app().await;
    let edge = TestEdge::start(&config(app.addr, closed_port())).await;

    let post = request("POST", "site.test", "/api/missing")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{\"order\":42}")))
        .expect("request");
    let reply = tokio::time::timeout(std::time::Duration::from_secs(5), h1(edge.http(), post))
        .await
        .expect("the edge answers without waiting for a body that never comes");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "<html>app shell</html>");

    let seen = app.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(&seen[0].body[..], b"{\"order\":42}");
    assert_eq!(seen[1].method, "GET");
    assert_eq!(seen[1].uri.path(), "/errors/404.html");
    assert_eq!(
        seen[1].header("content-length"),
        None,
        "{:?}",
        seen[1].headers
    );
    assert_eq!(seen[1].header("content-type"), None);
    assert!(seen[1].body.is_empty());
}
