//! TLS test helpers: self-signed certificates written as PEM files, and an in-process HTTPS
//! origin (HTTP/2 or HTTP/1.1 by ALPN) that records requests, handshakes and connections.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, Uri, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A self-signed certificate and its key, as PEM files.
pub struct TestCert {
    /// The certificate PEM file.
    pub cert: PathBuf,
    /// The private key PEM file.
    pub key: PathBuf,
    /// The certificate, to compare with what a server presented.
    pub der: CertificateDer<'static>,
}

/// Makes a self-signed certificate for `names` and writes `<stem>.crt` and `<stem>.key` to
/// `dir`.
pub fn self_signed(dir: &Path, stem: &str, names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let made = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
    let cert = dir.join(format!("{stem}.crt"));
    let key = dir.join(format!("{stem}.key"));
    std::fs::write(&cert, made.cert.pem()).expect("write certificate");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write key");
    TestCert {
        cert,
        key,
        der: made.cert.der().clone(),
    }
}

/// Reads the first certificate of a PEM file.
pub fn pem_certificate(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).expect("a PEM certificate")
}

/// One TLS connection the origin accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// `TLSv1_3` or `TLSv1_2`.
    pub version: String,
    /// The protocol chosen by ALPN, if the edge offered any.
    pub alpn: Option<String>,
    /// The server name the edge sent.
    pub sni: Option<String>,
}

/// A request as the TLS origin saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path and query.
    pub uri: Uri,
    /// HTTP version on the origin connection.
    pub version: Version,
}

/// An HTTPS origin answering 200 `hello over tls`.
pub struct TlsOrigin {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    /// Its certificate, for the edge's `ca_file`.
    pub cert: TestCert,
    seen: Arc<Mutex<Vec<Received>>>,
    handshakes: Arc<Mutex<Vec<Handshake>>>,
    accepted: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl TlsOrigin {
    /// Starts an origin whose certificate names `localhost`, writing its PEMs to `dir`.
    pub async fn start(dir: &Path) -> TlsOrigin {
        let cert = self_signed(dir, "origin", &["localhost"]);
        let chain = vec![cert.der.clone()];
        let key = PrivateKeyDer::from_pem_file(&cert.key).expect("origin key");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("origin certificate");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let origin = TlsOrigin {
            addr: listener.local_addr().expect("addr"),
            cert,
            seen: Arc::default(),
            handshakes: Arc::default(),
            accepted: Arc::default(),
            failed: Arc::default(),
        };
        let (seen, handshakes) = (origin.seen.clone(), origin.handshakes.clone());
        let (accepted, failed) = (origin.accepted.clone(), origin.failed.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let (acceptor, seen) = (acceptor.clone(), seen.clone());
                let (handshakes, failed) = (handshakes.clone(), failed.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        failed.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    let session = tls.get_ref().1;
                    handshakes.lock().expect("lock").push(Handshake {
                        version: format!("{:?}", session.protocol_version().expect("version")),
                        alpn: session
                            .alpn_protocol()
                            .map(|p| String::from_utf8_lossy(p).into()),
                        sni: session.server_name().map(str::to_owned),
                    });
                    serve(tls, seen).await;
                });
            }
        });
        origin
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }

    /// Every completed TLS handshake, in order.
    pub fn handshakes(&self) -> Vec<Handshake> {
        self.handshakes.lock().expect("lock").clone()
    }

    /// TCP connections accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Connections whose TLS handshake failed.
    pub fn failed_handshakes(&self) -> usize {
        self.failed.load(Ordering::SeqCst)
    }
}

/// Serves one TLS connection (HTTP/1.1, or HTTP/2 when the edge sends the preface).
async fn serve(tls: TlsStream<TcpStream>, seen: Arc<Mutex<Vec<Received>>>) {
    let service = service_fn(move |request: Request<Incoming>| {
        let seen = seen.clone();
        async move {
            let received = Received {
                uri: request.uri().clone(),
                version: request.version(),
            };
            seen.lock().expect("lock").push(received);
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                b"hello over tls",
            ))))
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
}
