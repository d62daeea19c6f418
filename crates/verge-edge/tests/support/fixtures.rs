//! Fixtures for the header, policy, geo, compression and error-page tests: a tiny geo
//! database, a capture of the edge's log lines, content decoders, a port nobody listens on,
//! and an HTTP/1.1 request that reports the viewer's own address.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use verge_edge::geo::{MmdbRecord, MmdbWriter};

use super::Reply;

/// A MaxMind DB on disk placing 127.0.0.0/8 in Germany, AS 64500; removed on drop.
pub struct GeoFixture {
    /// Holds the file.
    pub dir: tempfile::TempDir,
    /// The database file, serving as both country and ASN database.
    pub path: PathBuf,
}

impl GeoFixture {
    /// Writes the database.
    pub fn write() -> GeoFixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("loopback.mmdb");
        let mut writer = MmdbWriter::new("Verge-Test-Country-ASN");
        let record = MmdbRecord {
            country_code: Some("DE".to_owned()),
            autonomous_system_number: Some(64500),
            autonomous_system_organization: Some("Verge Test Network".to_owned()),
        };
        writer
            .insert(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8, &record)
            .expect("insert network");
        writer.write(&path).expect("write geo database");
        GeoFixture { dir, path }
    }

    /// The `[geo]` section naming this file for both lookups.
    pub fn section(&self) -> String {
        format!(
            "\n[geo]\ncountry_db = {path:?}\nasn_db = {path:?}\n",
            path = self.path.display().to_string()
        )
    }
}

/// The edge's log events, as `message field=value ...` lines.
#[derive(Clone, Default)]
pub struct LogCapture {
    lines: Arc<Mutex<Vec<String>>>,
}

impl LogCapture {
    /// Captures events emitted on this thread until the guard drops. Under
    /// `#[tokio::test]` (one thread) that is everything the edge logs.
    pub fn install() -> (LogCapture, tracing::subscriber::DefaultGuard) {
        let capture = LogCapture::default();
        let guard = tracing::subscriber::set_default(capture.clone());
        (capture, guard)
    }

    /// Every line captured so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("lock").clone()
    }

    /// Whether a captured line contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.lines().iter().any(|line| line.contains(text))
    }
}

struct LineVisitor(String);

impl Visit for LineVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for LogCapture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut visitor = LineVisitor(String::new());
        event.record(&mut visitor);
        self.lines.lock().expect("lock").push(visitor.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Decodes a body in a content coding the edge produces (`br`, `gzip`, `zstd`).
pub async fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};

    let mut out = Vec::new();
    let read = match coding {
        "br" => BrotliDecoder::new(body).read_to_end(&mut out).await,
        "gzip" => GzipDecoder::new(body).read_to_end(&mut out).await,
        "zstd" => ZstdDecoder::new(body).read_to_end(&mut out).await,
        other => panic!("no decoder for `{other}`"),
    };
    read.unwrap_or_else(|error| panic!("body is not valid {coding}: {error}"));
    out
}

/// Gzips `data`, for an origin that sends an already-encoded body.
pub async fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    async_compression::tokio::bufread::GzipEncoder::new(data)
        .read_to_end(&mut out)
        .await
        .expect("gzip in memory");
    out
}

/// A loopback port where connections are refused.
pub fn closed_port() -> u16 {
    // Bound but never listening, and kept for the life of the test process: connections are
    // refused, and no other test can be given the port while tests run in parallel.
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind");
    let port = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("local address")
        .port();
    std::mem::forget(socket);
    port
}

/// One HTTP/1.1 request over a fresh connection; also returns the viewer's local address,
/// which the edge sees as the peer.
pub async fn h1_from(addr: SocketAddr, request: Request<Full<Bytes>>) -> (Reply, SocketAddr) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let local = stream.local_addr().expect("local address");
    let io = TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let response = sender.send_request(request).await.expect("response");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("response body").to_bytes();
    let reply = Reply {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
        peer_certificate: None,
        tls: None,
    };
    (reply, local)
}
