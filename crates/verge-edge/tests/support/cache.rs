//! Helpers for the cache tests: an origin whose answer a test changes between requests, an
//! origin that can be taken down (connections refused mid-test), a distribution with extra
//! top-level tables, and short ways to send a GET and read what the cache did.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{Reply, TestEdge, TestOrigin, distribution, h1, request, respond};

/// The host every cache test distribution answers.
pub const HOST: &str = "site.test";

/// One scripted origin answer.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
}

/// An origin answering every request with the answer last set by the test.
pub struct Scripted {
    /// The recording origin.
    pub origin: TestOrigin,
    answer: Arc<Mutex<Answer>>,
}

impl Scripted {
    /// Starts an origin answering `status`, `headers` and `body` until told otherwise.
    pub async fn start(status: u16, headers: &[(&str, &str)], body: &str) -> Scripted {
        let answer = Arc::new(Mutex::new(answer(status, headers, body)));
        let current = answer.clone();
        let origin = TestOrigin::start(move |_| {
            let answer = current.lock().expect("lock").clone();
            let headers: Vec<(&str, &str)> = answer
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            respond(answer.status, &headers, answer.body.clone())
        })
        .await;
        Scripted { origin, answer }
    }

    /// Changes what the origin answers from now on.
    pub fn set(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        *self.answer.lock().expect("lock") = answer(status, headers, body);
    }

    /// The origin's address.
    pub fn addr(&self) -> SocketAddr {
        self.origin.addr
    }

    /// How many requests the origin has seen.
    pub fn count(&self) -> usize {
        self.origin.count()
    }
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    Answer {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: Bytes::copy_from_slice(body.as_bytes()),
    }
}

/// A TCP front for an origin that can be switched off: while down, it drops new connections
/// as soon as they arrive and cuts the ones it was relaying, so the edge cannot reach the
/// origin at all.
pub struct Switch {
    /// The address the edge should use.
    pub addr: SocketAddr,
    down: watch::Sender<bool>,
}

impl Switch {
    /// A front relaying to `target`.
    pub async fn start(target: SocketAddr) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind switch");
        let addr = listener.local_addr().expect("addr");
        let (down, watching) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut viewer, _)) = listener.accept().await else {
                    continue;
                };
                if *watching.borrow() {
                    drop(viewer);
                    continue;
                }
                let mut cut = watching.clone();
                tokio::spawn(async move {
                    let Ok(mut origin) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut viewer, &mut origin) => {}
                        _ = cut.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Switch { addr, down }
    }

    /// Takes the origin down.
    pub fn down(&self) {
        self.down.send_replace(true);
    }
}

/// A distribution `site` for [`HOST`] with one origin at `origin`, `behavior` appended to its
/// default cache behavior, and `tables` (cache policies, say) after it.
pub fn site(origin: SocketAddr, behavior: &str, tables: &str) -> String {
    format!(
        "{}\n{tables}",
        distribution("site", &format!("\"{HOST}\""), origin, behavior)
    )
}

/// A GET for `path` on [`HOST`] with extra request headers.
pub fn get(path: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    with_method("GET", path, headers)
}

/// A request with `method` for `path` on [`HOST`] with extra request headers.
pub fn with_method(method: &str, path: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut builder = request(method, HOST, path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::default()).expect("request")
}

/// Sends a GET for `path` with `headers` through the edge over HTTP/1.1.
pub async fn fetch(edge: &TestEdge, path: &str, headers: &[(&str, &str)]) -> Reply {
    h1(edge.http(), get(path, headers)).await
}

/// The `x-cache` value, or an empty string.
pub fn x_cache(reply: &Reply) -> &str {
    reply.header("x-cache").unwrap_or("")
}

/// The `Age` the edge sent, which must be present and a number.
pub fn age(reply: &Reply) -> u64 {
    let value = reply.header("age").expect("an Age header");
    value.parse().expect("Age is delta-seconds")
}

/// How many requests for `path` the origin saw.
pub fn seen_for(origin: &TestOrigin, path: &str) -> usize {
    origin
        .seen()
        .iter()
        .filter(|seen| seen.uri.path() == path)
        .count()
}

/// Waits, at most five seconds, until `done` holds; polls every 20 ms. Used for work the edge
/// does after answering (a background refresh), which a test cannot otherwise observe.
pub async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
