//! Running an edge: reloading through the admin API and directly (a broken config is
//! refused and the old one keeps serving; no request is dropped while reloading), and
//! draining (in-flight requests finish, HTTP/1.1 says `Connection: close`, HTTP/2 gets
//! GOAWAY, the listeners stop accepting, `/healthz` says draining).

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use support::frames::{HEADERS, RawH2};
use support::origin::{channel_body, respond_streamed};
use support::session::{H1Session, H2Session, admin, eventually};
use support::{TestEdge, TestOrigin, distribution, h1, request, respond};
use tokio::net::TcpStream;
use tokio::sync::watch;

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn reload_through_the_admin_api() {
    let shop = TestOrigin::start(|_| respond(200, &[], "shop")).await;
    let blog = TestOrigin::start(|_| respond(200, &[], "blog")).await;
    let edge = TestEdge::start(&distribution("shop", r#""shop.test""#, shop.addr, "")).await;
    let admin_addr = edge.edge.admin_address();
    assert_eq!(h1(edge.http(), get("blog.test", "/")).await.status, 421);

    edge.rewrite(&format!(
        "{}{}",
        distribution("shop", r#""shop.test""#, shop.addr, ""),
        distribution("blog", r#""blog.test""#, blog.addr, "")
    ));
    let reply = admin(admin_addr, "POST", "/reload").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], 2);
    assert_eq!(h1(edge.http(), get("blog.test", "/")).await.text(), "blog");
    assert_eq!(h1(edge.http(), get("shop.test", "/")).await.text(), "shop");

    let config = admin(admin_addr, "GET", "/config").await;
    let config: serde_json::Value = serde_json::from_slice(&config.body).expect("JSON");
    assert_eq!(config["version"], 2);
    assert_eq!(config["distributions"].as_array().map(Vec::len), Some(2));
    assert_eq!(admin(admin_addr, "GET", "/reload").await.status, 405);
}

#[tokio::test]
async fn broken_config_is_refused_and_the_old_one_keeps_serving() {
    let shop = TestOrigin::start(|_| respond(200, &[], "shop")).await;
    let edge = TestEdge::start(&distribution("shop", r#""shop.test""#, shop.addr, "")).await;
    let admin_addr = edge.edge.admin_address();

    // Valid TOML, invalid values: every problem is reported with its place and field.
    let broken = distribution("shop", r#""shop.test""#, shop.addr, "").replace(
        "protocol_policy = \"http-only\"",
        "protocol_policy = \"http-only\"\nconnection_attempts = 7\nread_timeout = \"500s\"",
    );
    edge.rewrite(&broken);
    let reply = admin(admin_addr, "POST", "/reload").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(body["status"], "rejected");
    let errors: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let file = edge.config_path.display().to_string();
    for field in ["connection_attempts", "read_timeout"] {
        let path = format!("distributions[0].origins[0].{field}");
        let error = errors
            .iter()
            .find(|e| e.contains(&path))
            .unwrap_or_else(|| panic!("names {path}: {errors:?}"));
        assert!(
            error.starts_with(&format!("{file}:")),
            "names the file: {error}"
        );
        let line = error[file.len() + 1..].split(':').next().expect("line");
        assert!(
            line.parse::<u32>().is_ok_and(|n| n > 1),
            "names the line: {error}"
        );
    }
    assert_eq!(h1(edge.http(), get("shop.test", "/")).await.text(), "shop");

    // Not TOML at all.
    edge.rewrite("[[distributions]\nid = ");
    let reply = admin(admin_addr, "POST", "/reload").await;
    assert_eq!(reply.status, 400);
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    let error = body["errors"][0].as_str().expect("an error");
    assert!(error.starts_with(&format!("{file}:")), "{error}");
    assert_eq!(h1(edge.http(), get("shop.test", "/")).await.text(), "shop");

    let metrics = admin(admin_addr, "GET", "/metrics").await.text();
    assert!(
        metrics.contains(r#"verge_config_reloads_total{result="error"} 2"#),
        "{metrics}"
    );
    let config: serde_json::Value =
        serde_json::from_slice(&admin(admin_addr, "GET", "/config").await.body).expect("JSON");
    assert_eq!(config["version"], 1);
}

#[tokio::test]
async fn direct_reload_swaps_the_config() {
    let first = TestOrigin::start(|_| respond(200, &[], "first")).await;
    let second = TestOrigin::start(|_| respond(200, &[], "second")).await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, first.addr, "")).await;
    assert_eq!(h1(edge.http(), get("site.test", "/")).await.text(), "first");

    edge.rewrite(&distribution("site", r#""site.test""#, second.addr, ""));
    assert_eq!(edge.edge.reload().expect("reload"), 2);
    assert_eq!(
        h1(edge.http(), get("site.test", "/")).await.text(),
        "second"
    );

    edge.rewrite("not = [toml");
    assert!(edge.edge.reload().is_err());
    assert_eq!(
        h1(edge.http(), get("site.test", "/")).await.text(),
        "second"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_is_dropped_while_reloading() {
    let origin = TestOrigin::start(|seen| respond(200, &[], seen.uri.path().to_owned())).await;
    let other = TestOrigin::hello().await;
    let edge =
        Arc::new(TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await);
    let configs = [
        distribution("site", r#""site.test""#, origin.addr, ""),
        format!(
            "{}{}",
            distribution("site", r#""site.test""#, origin.addr, ""),
            distribution("other", r#""other.test""#, other.addr, "")
        ),
    ];

    let mut viewers = Vec::new();
    for viewer in 0..4 {
        let addr = edge.http();
        viewers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            if viewer % 2 == 0 {
                let mut session = H1Session::connect(addr).await;
                for i in 0..75 {
                    let path = format!("/{viewer}/{i}");
                    match session.send(get("site.test", &path)).await {
                        Ok(reply) if reply.status == 200 && reply.text() == path => {}
                        other => failures.push(format!("{path}: {other:?}")),
                    }
                }
            } else {
                let mut session = H2Session::connect(addr).await;
                for i in 0..75 {
                    let path = format!("/{viewer}/{i}");
                    match session.send(get("site.test", &path)).await {
                        Ok(reply) if reply.status == 200 && reply.text() == path => {}
                        other => failures.push(format!("{path}: {other:?}")),
                    }
                }
            }
            failures
        }));
    }
    let reloader = edge.clone();
    let reloads = tokio::spawn(async move {
        let admin_addr = reloader.edge.admin_address();
        for round in 0..10 {
            reloader.rewrite(&configs[round % 2]);
            let reply = admin(admin_addr, "POST", "/reload").await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            tokio::task::yield_now().await;
        }
    });

    reloads.await.expect("reloads");
    for viewer in viewers {
        let failures = viewer.await.expect("viewer");
        assert!(failures.is_empty(), "{failures:?}");
    }
    assert_eq!(origin.count(), 300);
    let config: serde_json::Value = serde_json::from_slice(
        &admin(edge.edge.admin_address(), "GET", "/config")
            .await
            .body,
    )
    .expect("JSON");
    assert_eq!(config["version"], 11);
}

/// Something tasks wait on until the test opens it.
#[derive(Clone)]
struct Gate(Arc<watch::Sender<bool>>);

impl Gate {
    fn new() -> Gate {
        Gate(Arc::new(watch::channel(false).0))
    }

    fn open(&self) {
        self.0.send_replace(true);
    }

    async fn wait(&self) {
        let _ = self.0.subscribe().wait_for(|open| *open).await;
    }
}

/// An origin that sends every response head at once and holds the body until `release`.
async fn held_origin(release: Gate) -> TestOrigin {
    TestOrigin::start_async(move |seen| {
        let release = release.clone();
        async move {
            let (mut sender, body) = channel_body();
            let path = seen.uri.path().to_owned();
            tokio::spawn(async move {
                release.wait().await;
                let _ = sender.send_data(Bytes::from(format!("done {path}"))).await;
            });
            respond_streamed(200, body)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_finishes_in_flight_requests_and_stops_accepting() {
    let release = Gate::new();
    let origin = held_origin(release.clone()).await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;
    let admin_addr = edge.edge.admin_address();
    assert_eq!(admin(admin_addr, "GET", "/healthz").await.status, 200);

    // Requests in flight on HTTP/1.1, on HTTP/2, and on HTTP/2 watched frame by frame; the
    // heads come back at once, the bodies wait for `release`.
    let mut h1_viewer = H1Session::connect(edge.http()).await;
    let mut h2_viewer = H2Session::connect(edge.http()).await;
    let mut frames = RawH2::connect(edge.http()).await;
    let idle = TcpStream::connect(edge.http())
        .await
        .expect("an idle connection");
    let h1_head = h1_viewer
        .send_head(get("site.test", "/h1"))
        .await
        .expect("h1 head");
    let h2_head = h2_viewer
        .send_head(get("site.test", "/h2"))
        .await
        .expect("h2 head");
    frames.get(1, "site.test", "/raw").await;
    let head = frames
        .until(Duration::from_secs(10), |f| {
            f.kind == HEADERS && f.stream == 1
        })
        .await;
    assert!(
        head.is_some_and(|f| !f.ends_stream()),
        "the raw stream's head arrives, its body is held"
    );
    assert_eq!(
        h1_head.headers().get("connection"),
        None,
        "not draining yet"
    );

    let edge = Arc::new(edge);
    let draining = edge.clone();
    let drain = tokio::spawn(async move { draining.edge.drain(Duration::from_secs(20)).await });

    eventually(Duration::from_secs(10), "healthz says draining", || async {
        admin(admin_addr, "GET", "/healthz").await.status == 503
    })
    .await;
    eventually(
        Duration::from_secs(10),
        "new connections are refused",
        || async { TcpStream::connect(edge.http()).await.is_err() },
    )
    .await;
    // RFC 9113 §6.8: a first GOAWAY, then (after a PING round trip) one naming stream 1 as
    // the last the edge will process; a stream opened after it is not served.
    let last = frames
        .until(Duration::from_secs(10), |f| {
            f.goaway_last_stream() == Some(1)
        })
        .await;
    assert!(
        last.is_some(),
        "the watched h2 connection got GOAWAY(last stream 1)"
    );
    frames.get(3, "site.test", "/after-goaway").await;
    drop(idle);

    release.open();
    let mut ended = Vec::new();
    while let Some(frame) = frames.next(Duration::from_secs(10)).await {
        assert!(
            !(frame.kind == HEADERS && frame.stream == 3),
            "stream 3 was served after GOAWAY"
        );
        if frame.ends_stream() {
            ended.push(frame.stream);
        }
    }
    assert_eq!(
        ended,
        [1],
        "the in-flight stream finished, then the connection closed"
    );
    let h1_reply = support::session::collect(h1_head)
        .await
        .expect("in-flight h1 body completes");
    assert_eq!(h1_reply.text(), "done /h1");
    let h2_reply = support::session::collect(h2_head)
        .await
        .expect("in-flight h2 stream completes");
    assert_eq!(h2_reply.text(), "done /h2");

    let left = tokio::time::timeout(Duration::from_secs(20), drain)
        .await
        .expect("drain ends")
        .expect("drain task");
    assert_eq!(left, 0, "every connection closed before the deadline");
    tokio::time::timeout(Duration::from_secs(5), h1_viewer.connection)
        .await
        .expect("h1 connection closed")
        .ok();
    tokio::time::timeout(Duration::from_secs(5), h2_viewer.connection)
        .await
        .expect("h2 connection closed")
        .ok();
    assert_eq!(
        origin.count(),
        3,
        "nothing after the drain reached the origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_started_during_drain_say_connection_close() {
    let release = Gate::new();
    let origin = TestOrigin::start_async({
        let release = release.clone();
        move |_| {
            let release = release.clone();
            async move {
                release.wait().await;
                respond_streamed(200, channel_body().1)
            }
        }
    })
    .await;
    let edge =
        Arc::new(TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await);

    // The origin holds the response head until the drain has started.
    let mut viewer = H1Session::connect(edge.http()).await;
    let pending = tokio::spawn(async move { viewer.send(get("site.test", "/")).await });
    eventually(
        Duration::from_secs(10),
        "the origin has the request",
        || async { origin.count() == 1 },
    )
    .await;
    let draining = edge.clone();
    let drain = tokio::spawn(async move { draining.edge.drain(Duration::from_secs(20)).await });
    eventually(Duration::from_secs(10), "draining", || async {
        edge.edge.state().draining()
    })
    .await;
    release.open();

    let reply = pending
        .await
        .expect("viewer task")
        .expect("the in-flight request completes");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(20), drain)
            .await
            .expect("drain ends")
            .expect("task"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_deadline_cuts_stuck_connections() {
    let release = Gate::new();
    let origin = held_origin(release.clone()).await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;
    let mut viewer = H1Session::connect(edge.http()).await;
    let _head = viewer
        .send_head(get("site.test", "/stuck"))
        .await
        .expect("head");

    let left = edge.edge.drain(Duration::from_millis(500)).await;
    assert_eq!(left, 1, "the stuck connection is reported");
    release.open();
}

#[tokio::test]
async fn drain_right_after_start_stops_the_listeners() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;
    // No await between start and drain: the accept loops have not run yet.
    let left = edge.edge.drain(Duration::from_secs(5)).await;
    assert_eq!(left, 0);
    eventually(
        Duration::from_secs(10),
        "new connections are refused",
        || async {
            TcpStream::connect(edge.http()).await.is_err()
                && TcpStream::connect(edge.https()).await.is_err()
        },
    )
    .await;
}
