//! Viewer connections that stay open across requests (HTTP/1.1 keep-alive and h2c), raw
//! sockets read until the edge closes them, the admin API, and waiting for an outcome
//! with a deadline instead of sleeping.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::Reply;

/// Reads a whole response into a [`Reply`].
pub async fn collect(response: Response<Incoming>) -> Result<Reply, hyper::Error> {
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Reply {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
        peer_certificate: None,
        tls: None,
    })
}

/// One HTTP/1.1 keep-alive connection.
pub struct H1Session {
    sender: http1::SendRequest<Full<Bytes>>,
    /// The connection task; it ends when the connection closes.
    pub connection: JoinHandle<Result<(), hyper::Error>>,
}

impl H1Session {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> H1Session {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        H1Session {
            sender,
            connection: tokio::spawn(connection),
        }
    }

    /// Sends a request and returns the response head; the body streams.
    pub async fn send_head(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper::Error> {
        self.sender.ready().await?;
        self.sender.send_request(request).await
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, hyper::Error> {
        collect(self.send_head(request).await?).await
    }
}

/// One h2c (prior knowledge) connection.
pub struct H2Session {
    sender: http2::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    /// The connection task; it ends when the connection closes (after a GOAWAY, once the
    /// streams it allowed are done).
    pub connection: JoinHandle<Result<(), hyper::Error>>,
}

impl H2Session {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> H2Session {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
        H2Session {
            sender,
            addr,
            connection: tokio::spawn(connection),
        }
    }

    /// Sends a request (the Host header becomes the authority) and returns the response
    /// head; the body streams.
    pub async fn send_head(
        &mut self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper::Error> {
        let host = request
            .headers_mut()
            .remove("host")
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_else(|| self.addr.to_string());
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *request.uri_mut() = format!("http://{host}{path}").parse().expect("uri");
        self.sender.ready().await?;
        self.sender.send_request(request).await
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, hyper::Error> {
        collect(self.send_head(request).await?).await
    }

    /// Whether the connection can no longer open streams.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Reads from `stream` until the peer closes it or `limit` passes; returns the bytes and
/// whether it was closed.
pub async fn read_until_closed<R>(stream: &mut R, limit: Duration) -> (Vec<u8>, bool)
where
    R: AsyncRead + Unpin,
{
    let deadline = tokio::time::Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
}

/// One request to the admin API.
pub async fn admin(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "admin")
        .body(Full::default())
        .expect("request");
    super::h1(addr, request).await
}

/// Polls `check` every 20 ms until it returns true; panics with `what` after `limit`.
pub async fn eventually<F, A>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> A,
    A: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
