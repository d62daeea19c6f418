//! Helpers for the cache operations tests: a `[cache]` section, an origin whose answers may
//! be stored, a gate that holds origin answers, JSON requests to the admin API, reading
//! metrics, and restarting an edge on the same data directory.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use tokio::sync::watch;
use verge_edge::{ConfigSource, Edge};

use super::session::admin;
use super::{Reply, TestEdge, TestOrigin, h1, request, respond};

/// A `GET` for `path` on `host`.
pub fn get(host: &str, path: &str) -> Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

/// A `[cache]` table with the given lines.
pub fn cache_section(lines: &str) -> String {
    format!("\n[cache]\n{lines}\n")
}

/// An origin answering every path with `stored <path>`, fresh for a minute.
pub async fn storable_origin() -> TestOrigin {
    TestOrigin::start(|seen| {
        respond(
            200,
            &[("cache-control", "max-age=60")],
            format!("stored {}", seen.uri.path()),
        )
    })
    .await
}

/// The `x-cache` header, or an empty string.
pub fn x_cache(reply: &Reply) -> &str {
    reply.header("x-cache").unwrap_or_default()
}

/// Something origin handlers wait on until the test opens it.
#[derive(Clone)]
pub struct Gate(Arc<watch::Sender<bool>>);

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate(Arc::new(watch::channel(false).0))
    }

    /// Opens the gate: every waiter goes on, and later waiters do not wait.
    pub fn open(&self) {
        self.0.send_replace(true);
    }

    /// Whether the gate is open.
    pub fn is_open(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the gate is open.
    pub async fn wait(&self) {
        let _ = self.0.subscribe().wait_for(|open| *open).await;
    }
}

/// One admin request with a JSON body.
pub async fn admin_post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", "admin")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    h1(addr, request).await
}

/// A reply's body as JSON.
pub fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", reply.text()))
}

/// `GET /cache` from the admin API, as JSON.
pub async fn cache_state(edge: &TestEdge) -> serde_json::Value {
    let reply = admin(edge.edge.admin_address(), "GET", "/cache").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    json(&reply)
}

/// The value of the metric line starting with `prefix`.
pub fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The metrics text once `ready` accepts it; panics after 10 s.
pub async fn metrics_when(edge: &TestEdge, ready: impl Fn(&str) -> bool) -> String {
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
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until no response is being stored (the collapsing leaders are all released).
pub async fn settled(edge: &TestEdge) {
    super::session::eventually(Duration::from_secs(5), "the fills ended", || async {
        cache_state(edge).await["in_flight"] == 0
    })
    .await;
}

/// Stops `edge` once its fills ended (drains it and drops it) and starts a new edge from the
/// same config file on the same data directory, as a restarted node would.
pub async fn restart(edge: TestEdge) -> TestEdge {
    settled(&edge).await;
    let left = edge.edge.drain(Duration::from_secs(5)).await;
    assert_eq!(left, 0, "every connection closed");
    let TestEdge {
        edge,
        dir,
        config_path,
    } = edge;
    drop(edge);
    let source = ConfigSource::File(config_path.clone());
    let edge = Edge::start(source, Some(dir.path().join("data")))
        .await
        .expect("edge restarts");
    TestEdge {
        edge,
        dir,
        config_path,
    }
}

/// A `PUT` to the admin API with a JSON body.
pub async fn admin_put(addr: SocketAddr, path: &str, body: &str) -> Reply {
    let request = Request::builder()
        .method("PUT")
        .uri(path)
        .header("host", "admin")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    h1(addr, request).await
}
