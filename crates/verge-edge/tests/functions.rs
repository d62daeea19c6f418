//! Edge functions through real requests: a region-steering function reading a key-value
//! store sends each tenant to its home origin, before and after a key changes through the
//! admin API; viewer-request rewrites and generated responses; viewer-response headers;
//! failures that fail only their own request; stores that survive reloads and restarts.

mod support;

use http_body_util::Full;
use support::cache_ops::{get, json, metric, x_cache};
use support::config::{distribution_head, origin_table};
use support::session::admin;
use support::{TestEdge, TestOrigin, h1, request};
use verge_edge::{ConfigSource, Edge};

const STEER: &str = r#"import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const tenant = event.request.headers['x-tenant'] ? event.request.headers['x-tenant'].value : '';
  let home;
  try {
    home = await kvs.get(tenant, { format: 'json' });
  } catch (e) {
    return { statusCode: 404, statusDescription: 'Not Found', body: 'unknown tenant' };
  }
  cf.updateRequestOrigin({
    domainName: home.domain,
    customOriginConfig: { port: home.port, protocol: 'http' },
    customHeaders: { 'x-home-region': home.region },
  });
  return event.request;
}
"#;

/// Writes `files` next to the config and starts an edge with `tables` after the node section.
async fn edge_with(files: &[(&str, &str)], tables: &str) -> TestEdge {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write file");
    }
    let edge = TestEdge::start(&tables.replace("{dir}", &dir.path().display().to_string())).await;
    // Keep the files as long as the edge.
    std::mem::forget(dir);
    edge
}

fn home(region: &str, origin: &TestOrigin) -> String {
    format!(
        r#"{{"region":"{region}","domain":"{}","port":{}}}"#,
        origin.addr.ip(),
        origin.addr.port()
    )
}

fn import(entries: &[(&str, String)]) -> String {
    let data: Vec<_> = entries
        .iter()
        .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
        .collect();
    serde_json::json!({ "data": data }).to_string()
}

async fn as_tenant(edge: &TestEdge, tenant: &str) -> support::Reply {
    let request = request("GET", "app.test", "/api/orders")
        .header("x-tenant", tenant)
        .body(Full::default())
        .expect("request");
    h1(edge.http(), request).await
}

fn tenants_seen(origin: &TestOrigin) -> Vec<String> {
    origin
        .seen()
        .iter()
        .map(|s| s.header("x-tenant").unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn region_steering_keeps_each_tenant_in_its_region_across_a_kvs_change() {
    let us = TestOrigin::hello().await;
    let eu = TestOrigin::hello().await;
    let routes = import(&[
        ("acme", home("us", &us)),
        ("globex", home("eu", &eu)),
        ("initech", home("eu", &eu)),
    ]);
    let tables = format!(
        r#"
[key_value_stores.routes]
import = "{{dir}}/routes.json"

[functions.steer]
file = "{{dir}}/steer.js"
key_value_stores = ["routes"]
{}{}"#,
        distribution_head(
            "app",
            r#""app.test""#,
            "us",
            r#", viewer_request = "steer""#
        ),
        origin_table("us", us.addr, ""),
    );
    let edge = edge_with(&[("routes.json", &routes), ("steer.js", STEER)], &tables).await;

    for tenant in ["acme", "globex", "initech", "acme", "globex"] {
        let reply = as_tenant(&edge, tenant).await;
        assert_eq!(reply.status, 200, "{tenant}: {}", reply.text());
    }
    assert_eq!(tenants_seen(&us), ["acme", "acme"]);
    assert_eq!(tenants_seen(&eu), ["globex", "initech", "globex"]);
    assert_eq!(eu.last().header("x-home-region"), Some("eu"));
    assert_eq!(as_tenant(&edge, "nobody").await.status, 404);

    // acme moves to the EU: the next request goes there.
    let body = format!(
        r#"{{"Value": {}}}"#,
        serde_json::to_string(&home("eu", &eu)).expect("json")
    );
    let reply =
        support::cache_ops::admin_put(edge.edge.admin_address(), "/kvs/routes/keys/acme", &body)
            .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["ETag"], "2");
    assert_eq!(as_tenant(&edge, "acme").await.status, 200);
    assert_eq!(
        tenants_seen(&us),
        ["acme", "acme"],
        "the US origin sees no more of acme"
    );
    assert_eq!(tenants_seen(&eu).last().map(String::as_str), Some("acme"));

    let listed = admin(edge.edge.admin_address(), "GET", "/kvs/routes").await;
    assert_eq!(json(&listed)["ItemCount"], 3, "{}", listed.text());
}

#[tokio::test]
async fn requests_are_rewritten_or_answered_by_the_function() {
    let origin = TestOrigin::hello().await;
    let rewrite = r#"function handler(event) {
  var request = event.request;
  if (request.uri === '/old') {
    return { statusCode: 301, statusDescription: 'Moved', headers: { location: { value: '/new' } },
             cookies: { moved: { value: '1', attributes: 'Path=/' } } };
  }
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  request.headers['x-rewritten'] = { value: 'yes' };
  request.querystring = 'b=2&a=1';
  return request;
}"#;
    let tables = format!(
        "{}{}",
        distribution_head(
            "site",
            r#""site.test""#,
            "o1",
            r#", viewer_request = "{dir}/rewrite.js""#
        ),
        origin_table("o1", origin.addr, "")
    );
    let edge = edge_with(&[("rewrite.js", rewrite)], &tables).await;

    let reply = h1(edge.http(), get("site.test", "/docs/?x=1")).await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    assert_eq!(seen.uri.path(), "/docs/index.html");
    // The function's query replaces the viewer's, in the function's order.
    assert_eq!(seen.uri.query(), Some("b=2&a=1"));
    assert_eq!(seen.header("x-rewritten"), Some("yes"));

    let reply = h1(edge.http(), get("site.test", "/old")).await;
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/new"));
    assert_eq!(reply.header("set-cookie"), Some("moved=1; Path=/"));
    assert_eq!(x_cache(&reply), "FunctionGeneratedResponse from verge");
    assert_eq!(
        origin.count(),
        1,
        "a generated response never reaches the origin"
    );
}

#[tokio::test]
async fn viewer_response_functions_change_headers_of_successful_responses() {
    let origin = TestOrigin::start(|seen| {
        let status = if seen.uri.path() == "/missing" {
            404
        } else {
            200
        };
        support::respond(
            status,
            &[("content-type", "text/plain"), ("x-remove-me", "1")],
            "body",
        )
    })
    .await;
    let headers = r#"function handler(event) {
  var response = event.response;
  response.headers['strict-transport-security'] = { value: 'max-age=63072000; includeSubdomains; preload' };
  delete response.headers['x-remove-me'];
  response.statusCode = 203;
  return response;
}"#;
    let tables = format!(
        "{}{}",
        distribution_head(
            "site",
            r#""site.test""#,
            "o1",
            r#", viewer_response = "{dir}/headers.js""#
        ),
        origin_table("o1", origin.addr, "")
    );
    let edge = edge_with(&[("headers.js", headers)], &tables).await;

    let reply = h1(edge.http(), get("site.test", "/page")).await;
    assert_eq!(reply.status, 203);
    assert!(reply.header("strict-transport-security").is_some());
    assert_eq!(reply.header("x-remove-me"), None);
    assert_eq!(reply.text(), "body", "the body is the origin's");

    let missing = h1(edge.http(), get("site.test", "/missing")).await;
    assert_eq!(missing.status, 404, "not run on origin errors");
    assert_eq!(missing.header("x-remove-me"), Some("1"));
}

#[tokio::test]
async fn a_failing_function_fails_only_its_own_request() {
    let origin = TestOrigin::hello().await;
    let flaky = r#"function handler(event) {
  var uri = event.request.uri;
  if (uri === '/throw') throw new Error('deliberate');
  if (uri === '/spin') { for (;;) {} }
  if (uri === '/invalid') return { statusCode: 200, headers: { connection: { value: 'close' } } };
  return event.request;
}"#;
    let tables = format!(
        "[functions.flaky]\nfile = \"{{dir}}/flaky.js\"\nmax_compute = \"20ms\"\n{}{}",
        distribution_head(
            "site",
            r#""site.test""#,
            "o1",
            r#", viewer_request = "flaky""#
        ),
        origin_table("o1", origin.addr, "")
    );
    let edge = edge_with(&[("flaky.js", flaky)], &tables).await;

    for (path, status) in [
        ("/throw", 503),
        ("/spin", 503),
        ("/invalid", 502),
        ("/ok", 200),
    ] {
        let reply = h1(edge.http(), get("site.test", path)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }
    assert_eq!(origin.count(), 1);

    let metrics = admin(edge.edge.admin_address(), "GET", "/metrics")
        .await
        .text();
    let count = |outcome: &str| {
        metric(
            &metrics,
            &format!(
                "verge_function_invocations_total{{function=\"flaky\",event_type=\"viewer-request\",outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(count("thrown"), Some(1.0), "{metrics}");
    assert_eq!(count("compute_exceeded"), Some(1.0));
    assert_eq!(count("invalid_result"), Some(1.0));
    assert_eq!(count("ok"), Some(1.0));
}

#[tokio::test]
async fn stores_survive_reloads_and_restarts_and_bad_functions_are_refused() {
    let origin = TestOrigin::hello().await;
    let echo = r#"import cf from 'cloudfront';
async function handler(event) {
  event.request.headers['x-flag'] = { value: await cf.kvs().get('flag') };
  return event.request;
}"#;
    let tables = format!(
        "[key_value_stores.flags]\nimport = \"{{dir}}/flags.json\"\n[functions.echo]\nfile = \"{{dir}}/echo.js\"\nkey_value_stores = [\"flags\"]\n{}{}",
        distribution_head(
            "site",
            r#""site.test""#,
            "o1",
            r#", viewer_request = "echo""#
        ),
        origin_table("o1", origin.addr, "")
    );
    let flags = r#"{"data":[{"key":"flag","value":"off"}]}"#;
    let edge = edge_with(&[("flags.json", flags), ("echo.js", echo)], &tables).await;
    let flag = |origin: &TestOrigin| origin.last().header("x-flag").map(str::to_owned);

    h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(flag(&origin).as_deref(), Some("off"));
    let batch = r#"{"Puts": [{"Key": "flag", "Value": "on"}], "Deletes": []}"#;
    let reply =
        support::cache_ops::admin_post(edge.edge.admin_address(), "/kvs/flags", batch).await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    // A reload keeps the store's contents.
    assert!(edge.edge.reload().is_ok());
    h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(flag(&origin).as_deref(), Some("on"));

    // A function that does not compile is refused; the old one keeps serving.
    let echo_path = std::fs::read_to_string(&edge.config_path)
        .expect("config")
        .lines()
        .find(|l| l.starts_with("file = "))
        .map(|l| l.trim_start_matches("file = ").trim_matches('"').to_owned())
        .expect("function file");
    std::fs::write(&echo_path, "function handler(event) {").expect("write");
    let error = edge.edge.reload().expect_err("syntax error refused");
    assert!(error.to_string().contains("echo"), "{error}");
    assert_eq!(h1(edge.http(), get("site.test", "/")).await.status, 200);
    std::fs::write(&echo_path, echo).expect("restore");

    // A restart reads the saved copy, not the import file.
    edge.edge.drain(std::time::Duration::from_millis(100)).await;
    let restarted = Edge::start(
        ConfigSource::File(edge.config_path.clone()),
        Some(edge.dir.path().join("data")),
    )
    .await
    .expect("restarts");
    let address = restarted.http_address().expect("http");
    h1(address, get("site.test", "/")).await;
    assert_eq!(flag(&origin).as_deref(), Some("on"));

    let missing = admin(restarted.admin_address(), "GET", "/kvs/nothing").await;
    assert_eq!(missing.status, 404);
    let bad = support::cache_ops::admin_post(
        restarted.admin_address(),
        "/kvs/flags",
        &format!(
            r#"{{"Puts": [{{"Key": "big", "Value": "{}"}}]}}"#,
            "x".repeat(2000)
        ),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
}
