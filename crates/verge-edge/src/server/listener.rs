//! Viewer listeners: binding (SO_REUSEADDR, a deep backlog), the accept loop, the TLS
//! handshake under the header-read timeout, and handing each connection to `conn::serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use verge_config::model::TlsVersion;

use super::conn;
use super::drain::Drain;
use crate::context::{ConnInfo, TlsInfo};
use crate::error::EdgeError;
use crate::state::EdgeState;
use crate::tls;

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
    TcpListener::from_std(socket.into()).map_err(fail)
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
        let handshake = TlsAcceptor::from(config).accept(stream);
        let stream = match tokio::time::timeout(self.limits.header_timeout, handshake).await {
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
