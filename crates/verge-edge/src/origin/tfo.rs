//! Connections between cache tiers: an edge POP sends its misses to a regional Verge node over
//! plain HTTP/1.1 keep-alive. `TierConnector` opens those TCP connections for hyper-util's
//! pooled client, with TCP_NODELAY and, on Linux, TCP Fast Open (RFC 7413) so that a
//! reconnect to a tier it has talked to before carries the request in its SYN.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::rt::TokioIo;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpSocket, TcpStream};

/// Fast open support not probed yet.
const UNKNOWN: u8 = 0;
/// The kernel accepted `TCP_FASTOPEN_CONNECT`.
const AVAILABLE: u8 = 1;
/// The kernel refused it (older than Linux 4.11, or not Linux).
const REFUSED: u8 = 2;

/// What this process learnt about client-side fast open; probed once, then remembered.
static FAST_OPEN: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Opens TCP connections to another Verge tier, as a hyper-util connector.
///
/// Hand it to `hyper_util::client::legacy::Client::builder(..).build(..)`: the client keeps
/// the connections alive and reuses them; this type only opens them. Tier nodes are
/// `http://IP:port` (or a hostname, resolved with the system resolver); `https` is refused,
/// because this connector does no TLS.
///
/// With fast open on, the socket gets `TCP_FASTOPEN_CONNECT`: the first connection to a tier
/// does a normal handshake and asks for a cookie; later ones send the request in the SYN.
/// The kernel falls back to a plain handshake by itself when the tier or the path drops it.
///
/// Limitation: once the kernel holds a cookie for a tier, `connect` returns before any packet
/// is sent and the handshake happens with the request. A tier that then refuses the connection
/// fails the request with an I/O error rather than a connect error (`is_connect()` is false;
/// [`tier_refused`] recognises both), and `connect_timeout` does not bound that handshake: a
/// tier that drops packets shows up as the client's response timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierConnector {
    connect_timeout: Duration,
    fast_open: bool,
}

impl TierConnector {
    /// A connector that gives up on a tier after `connect_timeout` (name resolution and
    /// every address tried, together), with fast open on where the platform has it (Linux).
    pub fn new(connect_timeout: Duration) -> TierConnector {
        TierConnector {
            connect_timeout,
            fast_open: cfg!(any(target_os = "linux", target_os = "android")),
        }
    }

    /// Turns fast open on or off, for a tier behind a middlebox that drops SYNs with data.
    pub fn with_fast_open(self, fast_open: bool) -> TierConnector {
        TierConnector { fast_open, ..self }
    }

    /// Whether this connector asks for fast open (the kernel may still refuse it; see
    /// [`fast_open_available`]).
    pub fn fast_open(&self) -> bool {
        self.fast_open
    }

    /// How long one connection attempt may take.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Resolves the tier's address and connects, all within the connect timeout.
    async fn connect(self, uri: Uri) -> io::Result<TcpStream> {
        let (host, port) = tier_address(&uri)?;
        let attempt = self.connect_host(host, port);
        match tokio::time::timeout(self.connect_timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "connecting to tier {host}:{port} timed out after {}ms",
                    self.connect_timeout.as_millis()
                ),
            )),
        }
    }

    /// Tries each address of `host` in the resolver's order until one accepts.
    async fn connect_host(self, host: &str, port: u16) -> io::Result<TcpStream> {
        let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!("cannot resolve tier host {host}: {error}"),
                    )
                })?
                .collect(),
        };

        let mut last_error = None;
        for address in addresses {
            match self.connect_address(address).await {
                Ok(stream) => return Ok(stream),
                Err(error) => {
                    tracing::debug!(%address, %error, "Tier connect attempt failed");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("tier host {host} resolved to no address"),
            )
        }))
    }

    /// One non-blocking connect to one address.
    async fn connect_address(self, address: SocketAddr) -> io::Result<TcpStream> {
        let with_address =
            |error: io::Error| io::Error::new(error.kind(), format!("tier {address}: {error}"));
        let socket = self.open_socket(address).map_err(with_address)?;
        socket.connect(address).await.map_err(with_address)
    }

    /// A TCP socket for `address` with this connector's options, not yet connected.
    fn open_socket(self, address: SocketAddr) -> io::Result<TcpSocket> {
        let socket = Socket::new(
            Domain::for_address(address),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        socket.set_nonblocking(true)?;
        // Tier traffic is request/response; Nagle would hold back the last segment of each.
        socket.set_tcp_nodelay(true)?;
        if self.fast_open
            && fast_open_available()
            && let Err(error) = set_fast_open_connect(&socket)
        {
            remember_refusal(&error);
        }
        Ok(TcpSocket::from_std_stream(socket.into()))
    }
}

impl tower_service::Service<Uri> for TierConnector {
    type Response = TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<TcpStream>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = *self;
        Box::pin(async move { connector.connect(uri).await.map(TokioIo::new) })
    }
}

/// Whether a tier client's error says the tier refused the TCP connection, so the request
/// never reached it and may go to another tier.
///
/// True for hyper-util's connect errors caused by a refusal and also for the request errors
/// that a refusal becomes when fast open deferred the handshake to the first write.
pub fn tier_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        cause = match error.downcast_ref::<io::Error>() {
            Some(io) if io.kind() == io::ErrorKind::ConnectionRefused => return true,
            // An `io::Error`'s `source` skips the error it wraps; look at that one too.
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => error.source(),
            },
            None => error.source(),
        };
    }
    false
}

/// Whether the kernel accepts client-side fast open (`TCP_FASTOPEN_CONNECT`, Linux 4.11+).
///
/// Probed on a scratch socket the first time it is asked, then remembered; a refusal is
/// logged once, at debug. Whether packets then carry data in the SYN also depends on the
/// `net.ipv4.tcp_fastopen` sysctl (bit 0x1, on by default) and on the tier accepting it.
pub fn fast_open_available() -> bool {
    match FAST_OPEN.load(Ordering::Relaxed) {
        AVAILABLE => true,
        REFUSED => false,
        _ => {
            // Out of descriptors and the like say nothing about the kernel: ask again later.
            let Ok(probe) = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)) else {
                return false;
            };
            match set_fast_open_connect(&probe) {
                Ok(()) => {
                    FAST_OPEN.store(AVAILABLE, Ordering::Relaxed);
                    true
                }
                Err(error) => {
                    remember_refusal(&error);
                    false
                }
            }
        }
    }
}

/// Stops asking for fast open, logging the first refusal only.
fn remember_refusal(error: &io::Error) {
    if FAST_OPEN.swap(REFUSED, Ordering::Relaxed) != REFUSED {
        tracing::debug!(%error, "TCP Fast Open refused; tier connections use a plain handshake");
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_fast_open_connect(socket: &Socket) -> io::Result<()> {
    use nix::sys::socket::{setsockopt, sockopt};

    setsockopt(socket, sockopt::TcpFastOpenConnect, &true).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_fast_open_connect(_: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "TCP_FASTOPEN_CONNECT is Linux-only",
    ))
}

/// The host and port a tier URI names; the host without the brackets of an IPv6 literal.
fn tier_address(uri: &Uri) -> io::Result<(&str, u16)> {
    let invalid = |reason: String| io::Error::new(io::ErrorKind::InvalidInput, reason);
    match uri.scheme_str() {
        None | Some("http") => {}
        Some(scheme) => {
            return Err(invalid(format!(
                "tier address {uri}: scheme {scheme} is not supported, tier links are plain http"
            )));
        }
    }
    let host = uri
        .host()
        .ok_or_else(|| invalid(format!("tier address {uri} has no host")))?;
    let host = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host, uri.port_u16().unwrap_or(80)))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use bytes::Bytes;
    use http::{Response, StatusCode};
    use http_body_util::{BodyExt, Empty, Full};
    use hyper::service::service_fn;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use tokio::net::TcpListener;
    use tower_service::Service;

    use super::*;

    /// A tiny HTTP/1.1 server on 127.0.0.1:0 answering "ok"; counts the connections it accepts.
    async fn tier() -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind tier");
        let address = listener.local_addr().expect("tier address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let service = service_fn(|_| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        (address, accepted)
    }

    fn client(connector: TierConnector) -> Client<TierConnector, Empty<Bytes>> {
        Client::builder(TokioExecutor::new()).build(connector)
    }

    fn uri(address: SocketAddr) -> Uri {
        format!("http://{address}/object")
            .parse()
            .expect("valid uri")
    }

    #[tokio::test]
    async fn requests_to_a_tier_share_one_connection() {
        let (address, accepted) = tier().await;
        let client = client(TierConnector::new(Duration::from_secs(5)));

        for _ in 0..2 {
            let response = client.get(uri(address)).await.expect("tier answers");
            assert_eq!(response.status(), StatusCode::OK);
            let body = response.into_body().collect().await.expect("body");
            assert_eq!(body.to_bytes(), Bytes::from_static(b"ok"));
        }

        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);

        // Without fast open the refusal always comes from `connect`.
        let plain = TierConnector::new(Duration::from_secs(5)).with_fast_open(false);
        let error = client(plain)
            .get(uri(address))
            .await
            .expect_err("nothing listens");
        assert!(error.is_connect(), "{error:?}");
        assert!(tier_refused(&error), "{error:?}");

        let error = { plain }
            .call(uri(address))
            .await
            .expect_err("nothing listens");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        assert!(error.to_string().contains(&address.to_string()), "{error}");

        // With fast open, from `connect` or, if a cookie is cached, from the first write.
        let error = client(TierConnector::new(Duration::from_secs(5)))
            .get(uri(address))
            .await
            .expect_err("nothing listens");
        assert!(tier_refused(&error), "{error:?}");
    }

    #[test]
    fn only_refusals_count_as_refused() {
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(!tier_refused(&reset));
        let wrapped = io::Error::other(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert!(tier_refused(&wrapped));
    }

    #[tokio::test]
    async fn a_tier_that_never_accepts_times_out() {
        // A listener with a full accept queue drops further SYNs, so the connect hangs. Fast
        // open is off: with a cached cookie `connect` would not wait for the handshake.
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .expect("bind");
        socket.listen(0).expect("listen");
        let address = socket
            .local_addr()
            .expect("address")
            .as_socket()
            .expect("inet address");
        let mut queued = Vec::new();
        loop {
            let attempt = TcpStream::connect(address);
            match tokio::time::timeout(Duration::from_millis(200), attempt).await {
                Ok(stream) => queued.push(stream.expect("queued connection")),
                Err(_) => break,
            }
        }

        let connector = TierConnector::new(Duration::from_millis(200)).with_fast_open(false);
        let error = { connector }
            .call(uri(address))
            .await
            .expect_err("the queue is full");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");

        let error = client(connector)
            .get(uri(address))
            .await
            .expect_err("the queue is full");
        assert!(error.is_connect(), "{error:?}");
    }

    #[tokio::test]
    async fn hostnames_are_resolved() {
        let (address, _) = tier().await;
        let uri: Uri = format!("http://localhost:{}/", address.port())
            .parse()
            .expect("valid uri");

        let response = client(TierConnector::new(Duration::from_secs(5)))
            .get(uri)
            .await
            .expect("localhost resolves to the tier");
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn tier_sockets_ask_for_fast_open() {
        use nix::sys::socket::{getsockopt, sockopt};

        let (address, _) = tier().await;
        let connector = TierConnector::new(Duration::from_secs(5));
        assert!(connector.fast_open());

        let socket = connector.open_socket(address).expect("socket");
        let asked = getsockopt(&socket, sockopt::TcpFastOpenConnect).expect("getsockopt");
        assert_eq!(asked, fast_open_available());
        assert!(getsockopt(&socket, sockopt::TcpNoDelay).expect("getsockopt"));

        let stream = { connector }.call(uri(address)).await.expect("connects");
        let asked = getsockopt(stream.inner(), sockopt::TcpFastOpenConnect).expect("getsockopt");
        assert_eq!(asked, fast_open_available());

        let plain = connector.with_fast_open(false);
        let socket = plain.open_socket(address).expect("socket");
        assert!(!getsockopt(&socket, sockopt::TcpFastOpenConnect).expect("getsockopt"));
    }

    #[test]
    fn tier_addresses() {
        let parse = |uri: &str| uri.parse::<Uri>().expect("valid uri");

        let uri = parse("http://10.0.0.2:8080/a");
        assert_eq!(tier_address(&uri).expect("valid"), ("10.0.0.2", 8080));
        let uri = parse("http://[::1]:8080/a");
        assert_eq!(tier_address(&uri).expect("valid"), ("::1", 8080));
        let uri = parse("http://regional.example/a");
        assert_eq!(tier_address(&uri).expect("valid"), ("regional.example", 80));

        let uri = parse("https://10.0.0.2/a");
        let error = tier_address(&uri).expect_err("no TLS here");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        let uri = parse("/a");
        assert!(tier_address(&uri).is_err());
    }
}
