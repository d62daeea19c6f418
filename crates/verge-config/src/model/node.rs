//! The node's own settings: its POP name, data directory, admin listener, viewer listeners,
//! certificates, limits, geo databases and logging.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::duration;

/// `[node]`: who this edge node is and where it keeps its state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// The POP name shown in `via`, `x-verge-pop` and the access log's `x-edge-location`.
    #[serde(default = "default_pop")]
    pub pop: String,
    /// Where the node keeps its self-signed certificate and, later, its disk cache.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Address of the admin API and `/metrics`.
    #[serde(default = "default_admin")]
    pub admin: SocketAddr,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            pop: default_pop(),
            data_dir: None,
            admin: default_admin(),
        }
    }
}

fn default_pop() -> String {
    "dev1".to_owned()
}

fn default_admin() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9901))
}

/// `[[listeners]]`: one address viewers connect to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// Socket address to bind, e.g. `0.0.0.0:443`.
    pub address: SocketAddr,
    /// Serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN) instead of plain HTTP (HTTP/1.1 and h2c).
    #[serde(default)]
    pub tls: bool,
    /// Lowest TLS version accepted: `"1.2"` (default) or `"1.3"`.
    #[serde(default)]
    pub min_tls_version: TlsVersion,
}

/// A TLS protocol version floor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3.
    #[default]
    #[serde(rename = "1.2", alias = "TLSv1.2")]
    Tls12,
    /// TLS 1.3 only.
    #[serde(rename = "1.3", alias = "TLSv1.3")]
    Tls13,
}

/// `[[certificates]]`: a certificate chain and key served for some domain names, chosen by SNI.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Names this certificate is served for: exact (`shop.example.com`) or wildcard
    /// (`*.example.com`, one label).
    pub domains: Vec<String>,
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// `[limits]`: protocol limits and timeouts for viewer connections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Request line plus headers, in bytes; larger requests get 431 (CloudFront: 20 KB).
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// Time a viewer has to send a complete request head.
    #[serde(default = "d10s", deserialize_with = "duration::deserialize")]
    pub header_read_timeout: Duration,
    /// Time an idle keep-alive viewer connection is kept open.
    #[serde(default = "d60s", deserialize_with = "duration::deserialize")]
    pub idle_timeout: Duration,
    /// Longest pause between two pieces of a request body.
    #[serde(default = "d30s", deserialize_with = "duration::deserialize")]
    pub body_timeout: Duration,
    /// On SIGTERM, how long in-flight requests may take before the node exits anyway.
    #[serde(default = "d30s", deserialize_with = "duration::deserialize")]
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: default_max_header_bytes(),
            header_read_timeout: d10s(),
            idle_timeout: d60s(),
            body_timeout: d30s(),
            drain_timeout: d30s(),
        }
    }
}

fn default_max_header_bytes() -> usize {
    20 * 1024
}

fn d10s() -> Duration {
    Duration::from_secs(10)
}

fn d30s() -> Duration {
    Duration::from_secs(30)
}

fn d60s() -> Duration {
    Duration::from_secs(60)
}

/// `[geo]`: MaxMind-format databases for country and ASN lookups.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geo {
    /// Country database (GeoLite2-Country layout or ip-location-db's `country_code`).
    #[serde(default)]
    pub country_db: Option<PathBuf>,
    /// ASN database (GeoLite2-ASN layout or ip-location-db's).
    #[serde(default)]
    pub asn_db: Option<PathBuf>,
}

/// `[logging]`: where access logs go and in which format.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// `"stdout"`, a file path, or absent for no access log.
    #[serde(default)]
    pub access_log: Option<String>,
    /// `"cloudfront"` (tab-separated standard log fields, default) or `"json"`.
    #[serde(default)]
    pub access_log_format: AccessLogFormat,
}

/// The access log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLogFormat {
    /// CloudFront's standard log fields, tab-separated, with a W3C `#Fields` header.
    #[default]
    Cloudfront,
    /// One JSON object per line.
    Json,
}
