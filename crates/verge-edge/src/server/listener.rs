//! Viewer listeners: binding (SO_REUSEADDR, a deep backlog), the accept loop, the TLS
//! handshake under the header-read timeout (keeping the ClientHello for JA3/JA4), and handing
//! each connection to `conn::serve`.

use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use verge_config::model::TlsVersion;

use super::conn;
use super::drain::Drain;
use super::hello_capture::HelloCapture;
use crate::context::{ConnInfo, TlsInfo};
use crate::error::EdgeError;
use crate::state::EdgeState;
use crate::tls;
use crate::tls::fingerprint::ViewerHello;

/// A bound viewer listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundListener {
    /// The address it listens on (with the real port when 0 was asked for).
    pub address: SocketAddr,
    /// Whether it serves HTTPS.
    pub tls: bool,
}

/// Binds a TCP listener.
pub fn bind(address: SocketAddr) -> Result<TcpListener, EdgeError> {
    let fail = |source| EdgeError::Bind { address, source };
    let domain = socket2::Domain::for_address(address);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))
        .map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    if address.is_ipv6() {
        socket.set_only_v6(true).map_err(fail)?;
    }
    socket.set_nonblocking(true).map_err(fail)?;
    socket.bind(&address.into()).map_err(fail)?;
    socket.listen(4096).map_err(fail)?;
    // Limitation: nix, through which this crate sets socket options without `unsafe`, has no
    // `TCP_FASTOPEN` (server side) option, so listeners cannot ask for a fast open queue
    // themselves. Viewers and tier nodes get fast open into this node only when the kernel
    // turns it on at `listen` for every listener: `net.ipv4.tcp_fastopen` with bits 0x2 and
    // 0x400 (e.g. 0x403), set before the node starts.
    note_listener_fast_open();
    TcpListener::from_std(socket.into()).map_err(fail)
}

/// `net.ipv4.tcp_fastopen` bit: listeners may accept data in the SYN.
const FAST_OPEN_SERVER: u32 = 0x2;
/// `net.ipv4.tcp_fastopen` bit: every listener does, without the `TCP_FASTOPEN` option.
const FAST_OPEN_SERVER_WITHOUT_OPTION: u32 = 0x400;

/// Whether a `net.ipv4.tcp_fastopen` value makes every listener accept fast open.
fn listeners_accept_fast_open(sysctl: u32) -> bool {
    let wanted = FAST_OPEN_SERVER | FAST_OPEN_SERVER_WITHOUT_OPTION;
    sysctl & wanted == wanted
}

/// Says once, at debug, when the kernel leaves fast open off for these listeners.
fn note_listener_fast_open() {
    static NOTED: Once = Once::new();
    if !cfg!(any(target_os = "linux", target_os = "android")) {
        return;
    }
    NOTED.call_once(|| {
        let sysctl = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_fastopen")
            .ok()
            .and_then(|value| value.trim().parse::<u32>().ok());
        if let Some(sysctl) = sysctl.filter(|sysctl| !listeners_accept_fast_open(*sysctl)) {
            tracing::debug!(
                tcp_fastopen = sysctl,
                "Listeners do not accept TCP Fast Open; net.ipv4.tcp_fastopen=1027 (0x403) enables it"
            );
        }
    });
}

/// What an accept loop needs.
pub struct AcceptLoop {
    /// The bound socket.
    pub listener: TcpListener,
    /// TLS version floor, for HTTPS listeners.
    pub tls: Option<TlsVersion>,
    /// Shared state.
    pub state: Arc<EdgeState>,
    /// HTTP settings.
    pub builder: Arc<auto::Builder<TokioExecutor>>,
    /// Drain signal.
    pub drain: Arc<Drain>,
    /// Timeouts and head size; the header timeout also bounds the TLS handshake.
    pub limits: conn::ConnLimits,
}

impl AcceptLoop {
    /// Accepts connections until the node drains.
    pub async fn run(self) {
        let mut draining = self.drain.subscribe();
        let name: &'static str = if self.tls.is_some() { "https" } else { "http" };
        loop {
            // `wait_for` also sees a drain that started before this loop first ran.
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = draining.wait_for(|draining| *draining) => return,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(listener = name, %error, "Accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let local = stream
                .local_addr()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
            let connection = Connection {
                state: self.state.clone(),
                builder: self.builder.clone(),
                drain: self.drain.clone(),
                tls: self.tls,
                limits: self.limits,
            };
            tokio::spawn(connection.serve(stream, peer, local, name));
        }
    }
}

struct Connection {
    state: Arc<EdgeState>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    drain: Arc<Drain>,
    tls: Option<TlsVersion>,
    limits: conn::ConnLimits,
}

impl Connection {
    async fn serve(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        local: SocketAddr,
        listener: &'static str,
    ) {
        let metrics = self.state.metrics.clone();
        metrics.connection_opened(listener);
        let Some(min_version) = self.tls else {
            let info = Arc::new(ConnInfo::new(peer, local, listener, None));
            conn::serve(
                stream,
                self.state,
                info,
                self.builder,
                self.drain,
                self.limits,
            )
            .await;
            metrics.connection_closed(listener);
            return;
        };

        let config = self.state.snapshot.load().tls_config(min_version);
        let handshake = TlsAcceptor::from(config).accept(HelloCapture::new(stream));
        let mut stream = match tokio::time::timeout(self.limits.header_timeout, handshake).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                tracing::debug!(%peer, %error, "TLS handshake failed");
                metrics.connection_closed(listener);
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                metrics.connection_closed(listener);
                return;
            }
        };
        let client_hello = stream.get_mut().0.take_hello().map(ViewerHello::new);
        let session = stream.get_ref().1;
        let tls = TlsInfo {
            version: session
                .protocol_version()
                .map_or("unknown", tls::version_name),
            cipher: session
                .negotiated_cipher_suite()
                .map_or("unknown", |s| tls::cipher_name(s.suite())),
            handshake: tls::handshake_name(session.handshake_kind()),
            server_name: session.server_name().map(str::to_owned),
            alpn: match session.alpn_protocol() {
                Some(b"h2") => Some("h2"),
                Some(b"http/1.1") => Some("http/1.1"),
                _ => None,
            },
            client_hello,
        };
        let info = Arc::new(ConnInfo::new(peer, local, listener, Some(tls)));
        conn::serve(
            stream,
            self.state,
            info,
            self.builder,
            self.drain,
            self.limits,
        )
        .await;
        metrics.connection_closed(listener);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_open_needs_both_server_bits() {
        assert!(!listeners_accept_fast_open(0x1));
        assert!(!listeners_accept_fast_open(0x3));
        assert!(!listeners_accept_fast_open(0x401));
        assert!(listeners_accept_fast_open(0x403));
        assert!(listeners_accept_fast_open(0x402));
    }
}
