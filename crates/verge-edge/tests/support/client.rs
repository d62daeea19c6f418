//! Viewer clients for tests: HTTP/1.1, h2c prior knowledge, HTTP/2 over TLS with a chosen
//! SNI, and raw bytes for malformed requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response as the viewer got it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The certificate the server presented (TLS only).
    pub peer_certificate: Option<CertificateDer<'static>>,
    /// TLS version and key exchange group, when TLS was used.
    pub tls: Option<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request builder with a Host header.
pub fn request(method: &str, host: &str, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
}

async fn collect(response: http::Response<hyper::body::Incoming>) -> Reply {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("response body").to_bytes();
    Reply {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
        peer_certificate: None,
        tls: None,
    }
}

/// One request over a fresh HTTP/1.1 connection.
pub async fn h1(addr: SocketAddr, request: Request<Full<Bytes>>) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    collect(sender.send_request(request).await.expect("response")).await
}

/// One request over a fresh h2c (prior knowledge) connection.
pub async fn h2c(addr: SocketAddr, mut request: Request<Full<Bytes>>) -> Reply {
    absolute(&mut request, "http", addr);
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    collect(sender.send_request(request).await.expect("response")).await
}

/// One request over a fresh TLS connection with `sni`; HTTP/2 when the server picks it by
/// ALPN, HTTP/1.1 otherwise.
pub async fn h2_tls(addr: SocketAddr, sni: &str, mut request: Request<Full<Bytes>>) -> Reply {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from(sni.to_owned()).expect("server name");
    let tls = connector
        .connect(name, stream)
        .await
        .expect("TLS handshake");
    let (_, session) = tls.get_ref();
    let certificate = session.peer_certificates().and_then(|c| c.first()).cloned();
    let negotiated = (
        format!("{:?}", session.protocol_version().expect("version")),
        format!(
            "{:?}",
            session.negotiated_key_exchange_group().map(|g| g.name())
        ),
    );
    let h2 = session.alpn_protocol() == Some(b"h2");
    let mut reply = if h2 {
        absolute(&mut request, "https", addr);
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .expect("h2 handshake");
        tokio::spawn(conn);
        collect(sender.send_request(request).await.expect("response")).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        collect(sender.send_request(request).await.expect("response")).await
    };
    reply.peer_certificate = certificate;
    reply.tls = Some(negotiated);
    reply
}

/// HTTP/2 requests carry the authority in the URI; take it from the Host header.
fn absolute(request: &mut Request<Full<Bytes>>, scheme: &str, addr: SocketAddr) {
    let host = request
        .headers_mut()
        .remove("host")
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .unwrap_or_else(|| addr.to_string());
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *request.uri_mut() = format!("{scheme}://{host}{path}").parse().expect("uri");
}

/// Sends raw bytes and reads until the server closes (or 5 s pass); returns what came back
/// and whether the server closed the connection.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> (String, bool) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What a test TLS client offers in its ClientHello.
pub struct Offer {
    /// ALPN protocols, in preference order (empty: no ALPN extension).
    pub alpn: Vec<Vec<u8>>,
    /// TLS versions.
    pub versions: Vec<&'static rustls::SupportedProtocolVersion>,
    /// Key exchange groups; `None` keeps aws-lc-rs's defaults (X25519MLKEM768 first).
    pub groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
}

impl Default for Offer {
    fn default() -> Self {
        Offer {
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            groups: None,
        }
    }
}

/// One request over a fresh TLS connection offering `offer`, with `sni` (an IP address sends
/// no SNI). `Err` carries the handshake failure; HTTP errors after it panic.
pub async fn tls_with(
    addr: SocketAddr,
    sni: &str,
    offer: &Offer,
    mut request: Request<Full<Bytes>>,
) -> Result<Reply, String> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(groups) = &offer.groups {
        provider.kx_groups = groups.clone();
    }
    let provider = Arc::new(provider);
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&offer.versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    config.alpn_protocols = offer.alpn.clone();

    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from(sni.to_owned()).expect("server name");
    let tls = connector
        .connect(name, stream)
        .await
        .map_err(|e| e.to_string())?;
    let (_, session) = tls.get_ref();
    let certificate = session.peer_certificates().and_then(|c| c.first()).cloned();
    let negotiated = (
        format!("{:?}", session.protocol_version().expect("version")),
        format!(
            "{:?}",
            session.negotiated_key_exchange_group().map(|g| g.name())
        ),
    );

    let mut reply = if session.alpn_protocol() == Some(b"h2") {
        absolute(&mut request, "https", addr);
        let io = TokioIo::new(tls);
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .expect("h2 handshake");
        tokio::spawn(conn);
        collect(sender.send_request(request).await.expect("response")).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        collect(sender.send_request(request).await.expect("response")).await
    };
    reply.peer_certificate = certificate;
    reply.tls = Some(negotiated);
    Ok(reply)
}
