//! A bare hyper server, the ceiling of Verge's HTTP stack for `bench/run.sh`.
//! It answers every request with one fixed body held in memory, over HTTP/1.1 and h2c, and over
//! TLS (ALPN h2, http/1.1) when given a certificate; with no routing, cache, WAF or logging, the
//! distance between it and Verge is the cost of Verge's own work per request.
//! Run: `cargo run --release -p verge --example bare_hyper -- --listen 127.0.0.1:8080`.

use std::{
    convert::Infallible,
    net::SocketAddr,
    path::{Path, PathBuf},
    process,
    sync::Arc,
    time::Duration,
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, header, service::service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const USAGE: &str = "usage: bare_hyper --listen ADDR [--body FILE | --body-size BYTES] \
                     [--tls-listen ADDR --tls-cert PEM --tls-key PEM]";

/// The size of the bench's default origin file, used when neither `--body` nor `--body-size`
/// is given.
const DEFAULT_BODY_SIZE: usize = 1024;

#[tokio::main]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("bare_hyper: {message}\n{USAGE}");
        process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut tls_listen, mut cert, mut key) = (None, None, None, None);
    let mut body = Bytes::from(vec![b'x'; DEFAULT_BODY_SIZE]);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(parse_addr(&value()?)?),
            "--tls-listen" => tls_listen = Some(parse_addr(&value()?)?),
            "--tls-cert" => cert = Some(PathBuf::from(value()?)),
            "--tls-key" => key = Some(PathBuf::from(value()?)),
            "--body-size" => {
                let size = value()?.parse().map_err(|e| format!("--body-size: {e}"))?;
                body = Bytes::from(vec![b'x'; size]);
            }
            "--body" => {
                let path = value()?;
                body = std::fs::read(&path)
                    .map_err(|e| format!("--body {path}: {e}"))?
                    .into();
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }

    let listen = listen.ok_or("--listen is required")?;
    let plain = bind(listen).await?;
    let tls = match (tls_listen, cert, key) {
        (None, None, None) => None,
        (Some(addr), Some(cert), Some(key)) => {
            Some((bind(addr).await?, tls_acceptor(&cert, &key)?))
        }
        _ => return Err("--tls-listen, --tls-cert and --tls-key go together".into()),
    };

    eprintln!("bare_hyper: answering with a {} byte body", body.len());
    if let Some((listener, acceptor)) = tls {
        tokio::spawn(serve(listener, Some(acceptor), body.clone()));
    }
    serve(plain, None, body).await;
    Ok(())
}

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|e| format!("address {text}: {e}"))
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    let fail = |e: std::io::Error| format!("bind {addr}: {e}");
    let listener = TcpListener::bind(addr).await.map_err(fail)?;
    eprintln!(
        "bare_hyper: listening on {}",
        listener.local_addr().map_err(fail)?
    );
    Ok(listener)
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| format!("TLS configuration: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections forever; each one is served on its own task by the auto builder, which
/// tells HTTP/2 (by ALPN or the h2c preface) from HTTP/1.1.
async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, body: Bytes) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors or similar: back off instead of spinning.
                eprintln!("bare_hyper: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (tls, body) = (tls.clone(), body.clone());
        tokio::spawn(async move {
            let service = service_fn(move |_: Request<Incoming>| {
                let response = respond(body.clone());
                async move { Ok::<_, Infallible>(response) }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            // A viewer that hangs up mid-response is normal under load: nothing to report.
            let _ = match tls {
                Some(acceptor) => match acceptor.accept(tcp).await {
                    Ok(stream) => {
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                    Err(_) => return,
                },
                None => builder.serve_connection(TokioIo::new(tcp), service).await,
            };
        });
    }
}

fn respond(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    let plain_text = header::HeaderValue::from_static("text/plain");
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, plain_text);
    response
}
