//! Per-connection and per-request state: who the viewer is and how they connected, and what
//! the pipeline decided about one request (distribution, behavior, result, timings).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use verge_config::CompiledDistribution;

use crate::geo::GeoInfo;
use crate::tls::fingerprint::{Fingerprints, ViewerHello};

/// TLS facts of a viewer connection, named as CloudFront logs them.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: &'static str,
    /// OpenSSL cipher name.
    pub cipher: &'static str,
    /// `fullHandshake` or `sessionResumed`.
    pub handshake: &'static str,
    /// The SNI the viewer sent.
    pub server_name: Option<String>,
    /// The protocol chosen by ALPN (`h2` or `http/1.1`), if the viewer offered one.
    pub alpn: Option<&'static str>,
    /// The viewer's ClientHello, for its JA3 and JA4 fingerprints (computed on first use).
    pub client_hello: Option<ViewerHello>,
}

/// One viewer connection.
#[derive(Debug)]
pub struct ConnInfo {
    /// The viewer's address.
    pub peer: SocketAddr,
    /// The local address it connected to.
    pub local: SocketAddr,
    /// The listener's name in metrics (`http` or `https`).
    pub listener: &'static str,
    /// TLS facts, for HTTPS connections.
    pub tls: Option<TlsInfo>,
    /// Set when an HTTP/1 request head on this connection carried both Content-Length and
    /// Transfer-Encoding (hyper keeps only the latter, so the pipeline cannot see it).
    pub ambiguous_framing: AtomicBool,
}

impl ConnInfo {
    /// A connection from `peer` to `local` on the listener named `listener`.
    pub fn new(
        peer: SocketAddr,
        local: SocketAddr,
        listener: &'static str,
        tls: Option<TlsInfo>,
    ) -> Self {
        let ambiguous_framing = AtomicBool::new(false);
        ConnInfo {
            peer,
            local,
            listener,
            tls,
            ambiguous_framing,
        }
    }

    /// Whether a request head on this connection had ambiguous framing; every request
    /// admitted after that is refused and the connection closed.
    pub fn framing_ambiguous(&self) -> bool {
        self.ambiguous_framing.load(Ordering::Acquire)
    }

    /// Whether the viewer connected over TLS.
    pub fn https(&self) -> bool {
        self.tls.is_some()
    }

    /// The JA3 and JA4 fingerprints of the viewer's ClientHello, for HTTPS connections
    /// whose hello could be read; computed the first time a request asks.
    pub fn fingerprints(&self) -> Option<&Fingerprints> {
        self.tls.as_ref()?.client_hello.as_ref()?.fingerprints()
    }
}

/// CloudFront's `x-edge-result-type` values that Verge produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultType {
    /// Served from the cache.
    Hit,
    /// Served from the cache after the origin confirmed it (a 304 to a validation).
    RefreshHit,
    /// Missed here, served from an upstream tier's cache (a regional parent or the shield).
    OriginShieldHit,
    /// Served from the origin.
    Miss,
    /// An error (edge- or origin-made status ≥ 400).
    Error,
    /// A redirect made by the edge (HTTP to HTTPS).
    Redirect,
    /// A response a viewer-request function generated.
    FunctionGeneratedResponse,
}

impl ResultType {
    /// The `x-cache` header value.
    pub fn x_cache(self) -> http::HeaderValue {
        http::HeaderValue::from_static(match self {
            ResultType::Hit => "Hit from verge",
            ResultType::RefreshHit => "RefreshHit from verge",
            ResultType::OriginShieldHit => "OriginShieldHit from verge",
            ResultType::Miss => "Miss from verge",
            ResultType::Error => "Error from verge",
            ResultType::Redirect => "Redirect from verge",
            ResultType::FunctionGeneratedResponse => "FunctionGeneratedResponse from verge",
        })
    }

    /// The `result` label of `verge_cache_lookups_total` for a response served this way.
    pub fn lookup_label(self) -> &'static str {
        match self {
            ResultType::Hit => "hit",
            ResultType::RefreshHit => "refresh_hit",
            ResultType::OriginShieldHit
            | ResultType::Miss
            | ResultType::Error
            | ResultType::Redirect
            | ResultType::FunctionGeneratedResponse => "miss",
        }
    }

    /// The log and `x-cache` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::Hit => "Hit",
            ResultType::RefreshHit => "RefreshHit",
            ResultType::OriginShieldHit => "OriginShieldHit",
            ResultType::Miss => "Miss",
            ResultType::Error => "Error",
            ResultType::Redirect => "Redirect",
            ResultType::FunctionGeneratedResponse => "FunctionGeneratedResponse",
        }
    }
}

/// What the pipeline knows about one request.
pub struct RequestContext {
    /// The request id sent as `x-verge-request-id` and logged.
    pub request_id: String,
    /// When the request head arrived.
    pub started: Instant,
    /// Wall-clock start, for logs.
    pub started_at: SystemTime,
    /// The connection.
    pub conn: Arc<ConnInfo>,
    /// The matched distribution.
    pub distribution: Option<Arc<CompiledDistribution>>,
    /// Index of the matched cache behavior in the distribution.
    pub behavior: Option<usize>,
    /// Geo facts of the viewer.
    pub geo: GeoInfo,
    /// Result type for `x-cache` and the log.
    pub result: ResultType,
    /// Detailed result for the log (`x-edge-detailed-result-type`), e.g. `OriginConnectError`.
    pub detail: Option<&'static str>,
    /// Origin id that served the response.
    pub origin: Option<String>,
    /// Time from sending to the origin until its response head.
    pub origin_latency: Option<std::time::Duration>,
    /// Request body bytes received from the viewer.
    pub bytes_in: Arc<AtomicU64>,
    /// Tier hops this request has taken (0 from a viewer; trusted only with the secret).
    pub tier_hops: u8,
    /// Where a viewer-request function sent the request instead of the behavior's target.
    pub origin_override: Option<OriginOverride>,
}

/// An origin chosen by an edge function (`updateRequestOrigin`, `selectRequestOriginById`,
/// `createRequestOriginGroup`).
#[derive(Clone)]
pub struct OriginOverride {
    /// The origin or group among `client` (when set) or the distribution's origins.
    pub target: verge_config::Target,
    /// An origin built from the function's settings, instead of the distribution's.
    pub client: Option<Arc<crate::origin::OriginClient>>,
    /// The `Host` header the function asked for.
    pub host: Option<String>,
}

impl RequestContext {
    /// A context for a request that just arrived.
    pub fn new(conn: Arc<ConnInfo>) -> Self {
        RequestContext {
            request_id: request_id(),
            started: Instant::now(),
            started_at: SystemTime::now(),
            conn,
            distribution: None,
            behavior: None,
            geo: GeoInfo::default(),
            result: ResultType::Miss,
            origin_override: None,
            detail: None,
            origin: None,
            origin_latency: None,
            bytes_in: Arc::new(AtomicU64::new(0)),
            tier_hops: 0,
        }
    }

    /// The distribution id, or `-` before routing.
    pub fn distribution_id(&self) -> &str {
        self.distribution.as_deref().map_or("-", |d| d.id.as_str())
    }
}

/// A 32-character URL-safe random id, like CloudFront's request ids.
pub fn request_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = String::with_capacity(32);
    for _ in 0..32 {
        id.push(ALPHABET[fastrand::usize(..64)] as char);
    }
    id
}
