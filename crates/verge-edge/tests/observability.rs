//! What an operator sees: the Prometheus metrics on the admin address, and the access log in
//! CloudFront's standard format (W3C header, 33 tab-separated fields) or as JSON lines.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use support::config::{ALL_METHODS, origin_table};
use support::fixtures::closed_port;
use support::origin::{channel_body, respond_streamed};
use support::session::{H1Session, admin};
use support::{Reply, TestEdge, TestOrigin, h1, h2c, request};

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

/// A distribution `site` with a working origin for every path but `/down/*`, which goes to
/// an origin that refuses connections; `logging` is appended.
async fn edge(origin: &TestOrigin, logging: &str) -> TestEdge {
    let dead = std::net::SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let config = format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "o1"{ALL_METHODS} }}
cache_behaviors = [{{ path_pattern = "/down/*", target_origin = "dead" }}]
{}{}{logging}"#,
        origin_table("o1", origin.addr, ""),
        origin_table("dead", dead, "connection_attempts = 1")
    );
    TestEdge::start(&config).await
}

/// The access log's lines once `expected` request lines are there (records are written
/// asynchronously, after each response body ends).
async fn log_lines(edge: &TestEdge, path: &Path, expected: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        edge.edge.state().access_log.flush().await;
        let lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        if lines.iter().filter(|l| !l.starts_with('#')).count() >= expected {
            return lines;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "access log records missing: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The metrics text once `ready` accepts it.
async fn metrics_when(edge: &TestEdge, ready: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = admin(edge.edge.admin_address(), "GET", "/metrics")
            .await
            .text();
        if ready(&text) {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "metrics never got there: {text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The value of a metric line starting with `prefix`.
fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_cover_requests_latency_connections_and_reloads() {
    let origin = TestOrigin::hello().await;
    let edge = edge(&origin, "").await;
    let admin_addr = edge.edge.admin_address();

    for _ in 0..3 {
        assert_eq!(h1(edge.http(), get("site.test", "/")).await.status, 200);
    }
    assert_eq!(
        h2c(edge.http(), get("site.test", "/down/x")).await.status,
        502
    );
    assert_eq!(h1(edge.http(), get("nobody.test", "/")).await.status, 421);
    edge.edge.reload().expect("reload");

    let text = metrics_when(&edge, |text| {
        metric(
            text,
            r#"verge_requests_total{distribution="site",status_class="2xx",cache_result="Miss"}"#,
        ) == Some(3.0)
    })
    .await;
    assert_eq!(
        metric(
            &text,
            r#"verge_requests_total{distribution="site",status_class="5xx",cache_result="Error"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"verge_requests_total{distribution="-",status_class="4xx",cache_result="Error"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"verge_origin_latency_seconds_count{distribution="site",origin="o1"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert!(
        metric(
            &text,
            r#"verge_time_to_first_byte_seconds_count{distribution="site"}"#
        )
        .is_some_and(|n| n >= 4.0),
        "{text}"
    );
    assert!(
        text.contains("verge_time_to_first_byte_seconds_bucket{"),
        "{text}"
    );
    assert!(
        metric(
            &text,
            r#"verge_viewer_sent_bytes_total{distribution="site"}"#
        )
        .is_some_and(|n| n > 3.0 * 17.0),
        "{text}"
    );
    assert!(
        metric(&text, r#"verge_open_connections{listener="http"}"#).is_some(),
        "{text}"
    );
    assert!(
        metric(&text, r#"verge_connections_total{listener="http"}"#).is_some_and(|n| n >= 5.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, r#"verge_config_reloads_total{result="ok"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "verge_unknown_host_requests_total"),
        Some(1.0),
        "{text}"
    );
    let refused =
        r#"verge_origin_requests_total{distribution="site",origin="dead",outcome="connect_error"}"#;
    assert!(text.contains(refused), "{text}");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.contains("nobody.test") && !line.contains("127.0.0.1"),
            "unbounded label: {line}"
        );
    }

    let reply = admin(admin_addr, "GET", "/metrics").await;
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn open_connections_go_back_down() {
    let origin = TestOrigin::hello().await;
    let edge = edge(&origin, "").await;
    let admin_addr = edge.edge.admin_address();

    let mut viewers = Vec::new();
    for _ in 0..3 {
        let mut viewer = support::session::H1Session::connect(edge.http()).await;
        assert_eq!(
            viewer
                .send(get("site.test", "/"))
                .await
                .expect("response")
                .status,
            200
        );
        viewers.push(viewer);
    }
    let open = |text: &str| metric(text, r#"verge_open_connections{listener="http"}"#);
    assert_eq!(
        open(&admin(admin_addr, "GET", "/metrics").await.text()),
        Some(3.0)
    );
    drop(viewers);
    metrics_when(&edge, |text| open(text) == Some(0.0)).await;
}

#[tokio::test]
async fn access_log_in_cloudfront_format() {
    let logs = tempfile::tempdir().expect("temp dir");
    let path = logs.path().join("access.log");
    let origin = TestOrigin::hello().await;
    let edge = edge(
        &origin,
        &format!("\n[logging]\naccess_log = \"{}\"\n", path.display()),
    )
    .await;

    let ok = h1(
        edge.http(),
        request("GET", "site.test", "/a/b.txt?x=1&y=2")
            .header("user-agent", "test agent/1.0")
            .body(Full::default())
            .expect("request"),
    )
    .await;
    let posted = h2c(
        edge.http(),
        request("POST", "site.test", "/form")
            .body(Full::new(Bytes::from("a=1")))
            .expect("request"),
    )
    .await;
    let failed = h1(edge.http(), get("site.test", "/down/page")).await;
    let head = h1(
        edge.http(),
        request("HEAD", "site.test", "/")
            .body(Full::default())
            .expect("request"),
    )
    .await;
    assert_eq!(
        (
            ok.status.as_u16(),
            posted.status.as_u16(),
            failed.status.as_u16(),
            head.status.as_u16()
        ),
        (200, 200, 502, 200)
    );

    let lines = log_lines(&edge, &path, 4).await;
    assert_eq!(lines[0], "#Version: 1.0");
    let fields =
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status";
    assert!(lines[1].starts_with(fields), "{}", lines[1]);
    let names: Vec<&str> = lines[1]
        .trim_start_matches("#Fields: ")
        .split(' ')
        .collect();
    assert_eq!(names.len(), 33);
    let records: Vec<Vec<&str>> = lines[2..].iter().map(|l| l.split('\t').collect()).collect();
    assert_eq!(records.len(), 4, "{lines:?}");
    for record in &records {
        assert_eq!(record.len(), 33, "{record:?}");
    }
    let field = |record: &Vec<&str>, name: &str| -> String {
        let index = names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("field {name}"));
        record[index].to_owned()
    };
    let find = |reply: &Reply| {
        let id = reply.header("x-verge-request-id").expect("request id");
        records
            .iter()
            .find(|r| field(r, "x-edge-request-id") == id)
            .unwrap_or_else(|| panic!("no record for {id}"))
            .clone()
    };

    let record = find(&ok);
    assert_eq!(field(&record, "cs-method"), "GET");
    assert_eq!(field(&record, "sc-status"), "200");
    assert_eq!(field(&record, "x-edge-result-type"), "Miss");
    assert_eq!(field(&record, "x-edge-location"), "test1");
    assert_eq!(field(&record, "cs-uri-stem"), "/a/b.txt");
    assert_eq!(field(&record, "cs-uri-query"), "x=1&y=2");
    assert_eq!(field(&record, "cs-protocol"), "http");
    assert_eq!(field(&record, "cs-protocol-version"), "HTTP/1.1");
    assert_eq!(field(&record, "x-host-header"), "site.test");
    assert_eq!(field(&record, "c-ip"), "127.0.0.1");
    assert!(
        field(&record, "cs(User-Agent)").starts_with("test"),
        "{record:?}"
    );
    assert!(
        field(&record, "sc-bytes")
            .parse::<u64>()
            .is_ok_and(|n| n > "hello from origin".len() as u64)
    );
    assert!(field(&record, "time-taken").parse::<f64>().is_ok());

    let record = find(&posted);
    assert_eq!(field(&record, "cs-method"), "POST");
    assert_eq!(field(&record, "cs-protocol-version"), "HTTP/2.0");
    assert!(
        field(&record, "cs-bytes")
            .parse::<u64>()
            .is_ok_and(|n| n >= 3)
    );

    let record = find(&head);
    assert_eq!(field(&record, "cs-method"), "HEAD");
    assert_eq!(
        field(&record, "x-edge-detailed-result-type"),
        "Miss",
        "a HEAD response is complete without a body"
    );

    let record = find(&failed);
    assert_eq!(field(&record, "sc-status"), "502");
    assert_eq!(field(&record, "x-edge-result-type"), "Error");
    assert_eq!(
        field(&record, "x-edge-detailed-result-type"),
        "OriginConnectError"
    );
}

#[tokio::test]
async fn viewer_leaving_mid_body_is_logged_as_client_comm_error() {
    let logs = tempfile::tempdir().expect("temp dir");
    let path = logs.path().join("access.log");
    let origin = TestOrigin::start_async(|_| async {
        let (mut sender, body) = channel_body();
        tokio::spawn(async move {
            let _ = sender.send_data(Bytes::from_static(b"first part")).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        respond_streamed(200, body)
    })
    .await;
    let edge = edge(
        &origin,
        &format!("\n[logging]\naccess_log = \"{}\"\n", path.display()),
    )
    .await;

    let mut viewer = H1Session::connect(edge.http()).await;
    let response = viewer
        .send_head(get("site.test", "/stream"))
        .await
        .expect("head");
    let id = response.headers()["x-verge-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    let mut body = response.into_body();
    let first = body.frame().await.expect("a frame").expect("data");
    assert_eq!(first.into_data().expect("data"), "first part");
    viewer.connection.abort();
    drop(body);

    let lines = log_lines(&edge, &path, 1).await;
    let record: Vec<&str> = lines[2].split('\t').collect();
    assert_eq!(record[14], id);
    assert_eq!(record[8], "200");
    assert_eq!(record[28], "ClientCommError");
}

#[tokio::test]
async fn access_log_as_json_lines() {
    let logs = tempfile::tempdir().expect("temp dir");
    let path = logs.path().join("access.json");
    let origin = TestOrigin::hello().await;
    let logging = format!(
        "\n[logging]\naccess_log = \"{}\"\naccess_log_format = \"json\"\n",
        path.display()
    );
    let edge = edge(&origin, &logging).await;

    let ok = h1(edge.http(), get("site.test", "/json?q=1")).await;
    let failed = h1(edge.http(), get("site.test", "/down/x")).await;
    let lines = log_lines(&edge, &path, 2).await;
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records.len(), 2);
    for record in &records {
        for key in [
            "date",
            "time",
            "x-edge-location",
            "sc-bytes",
            "c-ip",
            "cs-method",
            "sc-status",
            "x-edge-result-type",
            "x-edge-request-id",
            "time-taken",
            "x-edge-detailed-result-type",
        ] {
            assert!(record.get(key).is_some(), "{key} missing: {record}");
        }
    }
    let find = |reply: &Reply| {
        let id = reply.header("x-verge-request-id").expect("request id");
        records
            .iter()
            .find(|r| r["x-edge-request-id"] == id)
            .unwrap_or_else(|| panic!("no record for {id}"))
    };
    let record = find(&ok);
    assert_eq!(record["sc-status"], 200);
    assert_eq!(record["cs-method"], "GET");
    assert_eq!(record["x-edge-result-type"], "Miss");
    assert_eq!(record["cs-uri-query"], "q=1");
    let record = find(&failed);
    assert_eq!(record["sc-status"], 502);
    assert_eq!(record["x-edge-result-type"], "Error");
}
