//! What the binary's end-to-end tests share: a `verge` process started with flags (its
//! listeners read from its JSON logs), a small origin, and plain HTTP/1.1 requests.

#![allow(dead_code)] // each test file uses its own share of these

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};

/// The binary under test.
pub const VERGE: &str = env!("CARGO_BIN_EXE_verge");

/// A running `verge` process and the addresses it announced.
pub struct Verge {
    pub child: Child,
    pub http: SocketAddr,
    pub https: Option<SocketAddr>,
    pub admin: SocketAddr,
    _lines: mpsc::Receiver<String>,
}

impl Verge {
    pub fn start(args: &[&str]) -> Verge {
        let mut child = Command::new(VERGE)
            .args(["--log-format", "json"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("verge starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut http, mut https, mut admin) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(30);
        while admin.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .expect("verge announces its listeners");
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let fields = &event["fields"];
            let address = fields["address"]
                .as_str()
                .and_then(|a| a.parse::<SocketAddr>().ok());
            match (fields["message"].as_str(), fields["scheme"].as_str()) {
                (Some("Listening for viewers"), Some("\"http\"" | "http")) => http = address,
                (Some("Listening for viewers"), Some("\"https\"" | "https")) => https = address,
                (Some("Edge started"), _) => admin = address,
                _ => {}
            }
        }
        Verge {
            child,
            http: http.expect("http listener"),
            https,
            admin: admin.expect("admin"),
            _lines: rx,
        }
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    pub fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "verge did not exit in time");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Verge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An origin that answers `origin saw <path>` after an optional delay for `/slow`.
pub async fn origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = service_fn(|request: Request<Incoming>| async move {
                    if request.uri().path() == "/slow" {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                    }
                    let body = format!("origin saw {}", request.uri().path());
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Sends `GET path` with a host.
pub async fn get(addr: SocketAddr, host: &str, path: &str) -> (u16, http::HeaderMap, String) {
    send(addr, "GET", host, path, &[], "").await
}

/// Sends `method path` to `addr` with a host, headers and a body; the status, headers and
/// body text come back.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, http::HeaderMap, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Sends `method path` with a JSON body to the admin API.
pub async fn admin_send(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let (status, _, text) = send(addr, method, "admin", path, &[], body).await;
    (status, text)
}
