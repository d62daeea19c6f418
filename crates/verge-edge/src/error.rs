//! Errors of the edge node outside the request path: starting, binding, loading certificates
//! and databases, reloading. Request-path failures are `pipeline::ProxyError`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the edge could not start or reload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] verge_config::ConfigErrors),
    /// A listener could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// An edge function could not be read or compiled.
    #[error("function `{name}` ({path}): {reason}")]
    Function {
        /// The function's name.
        name: String,
        /// Its file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A web ACL, IP set, regex pattern set or rule group could not be read or compiled.
    #[error("web ACL {path}: {reason}")]
    WebAcl {
        /// The JSON file.
        path: PathBuf,
        /// What went wrong, with JSON paths.
        reason: String,
    },
    /// A key-value store could not be opened.
    #[error("key-value store `{name}`: {reason}")]
    KeyValueStore {
        /// The store's name.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// A certificate or key could not be loaded.
    #[error("certificate {path}: {reason}")]
    Certificate {
        /// The PEM file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The data directory could not be used.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A geo database could not be opened.
    #[error("geo database: {0}")]
    Geo(#[from] crate::geo::GeoError),
    /// The access log could not be opened.
    #[error("access log: {0}")]
    AccessLog(#[from] verge_telemetry::TelemetryError),
    /// The cache's disk tier could not be opened.
    #[error("cache: {0}")]
    Cache(#[from] verge_cache::CacheError),
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
}
