//! End to end: the `verge` binary driven as a user would. `verge serve --origin`, a request
//! over HTTP/1.1 and one over HTTP/2 with TLS, a reload (SIGHUP and the admin API), a drain
//! on SIGTERM, and `verge validate` on good and broken files.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

mod support;

use support::{VERGE, Verge, admin_send, get, origin};

async fn get_h2_tls(addr: SocketAddr, path: &str) -> (u16, http::Version, String) {
    // The edge's own client configuration for `tls_verify = false` origins accepts its
    // self-signed certificate.
    let config = verge_edge::tls::origin_client_config(
        verge_edge::tls::provider(),
        false,
        None,
        vec![b"h2".to_vec()],
    )
    .expect("client config");
    let stream = TcpStream::connect(addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .expect("TLS");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("h2");
    tokio::spawn(conn);
    let request = Request::get(format!("https://localhost{path}"))
        .body(Full::<Bytes>::default())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status().as_u16();
    let version = response.version();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, version, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn serve_origin_http1_http2_tls_and_drain() {
    let origin = origin().await;
    let data = tempfile::tempdir().expect("temp dir");
    let origin_url = format!("http://{origin}");
    let data_dir = data.path().to_str().expect("utf-8 path");
    let mut verge = Verge::start(&[
        "serve",
        "--origin",
        &origin_url,
        "--listen",
        "127.0.0.1:0",
        "--tls-listen",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
    ]);

    let (status, headers, body) = get(verge.http, "anything.test", "/hello").await;
    assert_eq!(status, 200);
    assert_eq!(body, "origin saw /hello");
    assert_eq!(headers["x-cache"], "Miss from verge");
    assert_eq!(headers["via"], "1.1 dev1 (verge)");

    let https = verge.https.expect("https listener");
    let (status, version, body) = get_h2_tls(https, "/over-h2").await;
    assert_eq!((status, version), (200, http::Version::HTTP_2));
    assert_eq!(body, "origin saw /over-h2");
    assert!(
        data.path().join("tls/self-signed.crt").exists(),
        "the self-signed certificate is kept"
    );

    let (status, text) = admin_send(verge.admin, "POST", "/reload", "").await;
    assert_eq!(status, 200, "{text}");
    let (status, _, metrics) = get(verge.admin, "admin", "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("verge_requests_total"), "{metrics}");

    // A slow request is in flight when SIGTERM arrives: it completes, then verge exits.
    let slow = tokio::spawn(get(verge.http, "anything.test", "/slow"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    verge.signal("TERM");
    let (status, headers, body) = slow.await.expect("slow request");
    assert_eq!((status, body.as_str()), (200, "origin saw /slow"));
    assert_eq!(
        headers.get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    let exit = tokio::task::spawn_blocking(move || verge.wait(Duration::from_secs(20)))
        .await
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
}

fn config_text(origin: SocketAddr, extra_domain: Option<&str>) -> String {
    let domains = match extra_domain {
        Some(domain) => format!(r#""shop.test", "{domain}""#),
        None => r#""shop.test""#.to_owned(),
    };
    format!(
        r#"
[node]
pop = "e2e1"
admin = "127.0.0.1:0"

[[listeners]]
address = "127.0.0.1:0"

[[distributions]]
id = "shop"
domains = [{domains}]
default_cache_behavior = {{ target_origin = "app" }}

[[distributions.origins]]
id = "app"
domain_name = "127.0.0.1"
http_port = {port}
protocol_policy = "http-only"
"#,
        port = origin.port()
    )
}

#[tokio::test]
async fn config_file_reload_on_sighup_keeps_serving_through_a_bad_config() {
    let origin = origin().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("verge.toml");
    std::fs::write(&path, config_text(origin, None)).expect("write");
    let path_text = path.to_str().expect("utf-8");
    let data_dir = dir.path().join("data");
    let verge = Verge::start(&[
        "serve",
        "--config",
        path_text,
        "--data-dir",
        data_dir.to_str().expect("utf-8"),
    ]);

    assert_eq!(get(verge.http, "shop.test", "/").await.0, 200);
    assert_eq!(get(verge.http, "new.test", "/").await.0, 421);

    std::fs::write(&path, config_text(origin, Some("new.test"))).expect("write");
    verge.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if get(verge.http, "new.test", "/").await.0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the reload took effect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    std::fs::write(&path, "[[distributions]]\nid = 5\n").expect("write");
    let (status, text) = admin_send(verge.admin, "POST", "/reload", "").await;
    assert_eq!(status, 400);
    assert!(
        text.contains("rejected") && text.contains("verge.toml:2"),
        "{text}"
    );
    assert_eq!(
        get(verge.http, "new.test", "/").await.0,
        200,
        "the old config keeps serving"
    );
}

#[test]
fn validate_reports_every_error_with_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        r#"
[[distributions]]
id = "shop"
domains = ["shop.test"]
default_cache_behavior = { target_origin = "nope" }

[[distributions.origins]]
id = "app"
domain_name = "127.0.0.1"
protocol_policy = "http-only"
connection_timeout = "30s"
"#,
    )
    .expect("write");
    let output = Command::new(VERGE)
        .arg("validate")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 errors"), "{stderr}");
    assert!(stderr.contains("broken.toml:5:"), "{stderr}");
    assert!(
        stderr.contains("distributions[0].default_cache_behavior.target_origin"),
        "{stderr}"
    );
    assert!(
        stderr.contains("distributions[0].origins[0].connection_timeout"),
        "{stderr}"
    );

    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(examples).expect("examples directory") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let output = Command::new(VERGE)
                .arg("validate")
                .arg(&path)
                .output()
                .expect("runs");
            assert!(
                output.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the example configs are validated");
}

const PREFIX_FUNCTION: &str = "import cf from 'cloudfront';
async function handler(event) {
  const prefix = await cf.kvs().get('prefix');
  event.request.uri = prefix + event.request.uri;
  return event.request;
}
";

#[tokio::test]
async fn serve_runs_a_viewer_request_function_with_a_key_value_store() {
    let origin = origin().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let function = dir.path().join("prefix.js");
    std::fs::write(&function, PREFIX_FUNCTION).expect("write function");
    let store = dir.path().join("flags.json");
    std::fs::write(&store, r#"{"data":[{"key":"prefix","value":"/v1"}]}"#).expect("write store");
    let origin_url = format!("http://{origin}");
    let kvs = format!("flags={}", store.display());
    let data_dir = dir.path().join("data");
    let verge = Verge::start(&[
        "serve",
        "--origin",
        &origin_url,
        "--listen",
        "127.0.0.1:0",
        "--no-tls",
        "--admin",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().expect("utf-8 path"),
        "--viewer-request",
        function.to_str().expect("utf-8 path"),
        "--kvs",
        &kvs,
    ]);

    let (status, _, body) = get(verge.http, "anything.test", "/page").await;
    assert_eq!((status, body.as_str()), (200, "origin saw /v1/page"));

    let (status, text) = admin_send(
        verge.admin,
        "PUT",
        "/kvs/flags/keys/prefix",
        r#"{"Value": "/v2"}"#,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let (_, _, body) = get(verge.http, "anything.test", "/page").await;
    assert_eq!(body, "origin saw /v2/page");
    assert!(
        data_dir.join("kvs/flags.json").exists(),
        "the store is saved in the data directory"
    );
}

#[test]
fn function_test_prints_testfunctions_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("utf-8 path").to_owned()
    };
    let function = write("prefix.js", PREFIX_FUNCTION);
    let store = write("flags.json", r#"{"data":[{"key":"prefix","value":"/v1"}]}"#);
    let event = write(
        "event.json",
        r#"{"request": {"method": "GET", "uri": "/page", "headers": {"host": {"value": "a.test"}}}}"#,
    );
    let output = Command::new(VERGE)
        .args(["function", "test", &function, "--event", &event, "--kvs"])
        .arg(format!("flags={store}"))
        .args(["--now", "2024-05-20T00:00:00Z", "--json"])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let returned: serde_json::Value =
        serde_json::from_str(result["FunctionOutput"].as_str().expect("a string")).expect("JSON");
    assert_eq!(returned["request"]["uri"], "/v1/page");
    assert_eq!(result["FunctionErrorMessage"], "");

    // Without the store the function throws: non-zero exit, the error in the text output.
    let output = Command::new(VERGE)
        .args(["function", "test", &function, "--event", &event])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Error: function threw") && text.contains("key value store"),
        "{text}"
    );
}

#[test]
fn the_example_configurations_are_valid() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    for file in ["verge.toml", "quick.toml"] {
        let output = Command::new(VERGE)
            .args(["validate", &format!("{examples}/{file}")])
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
