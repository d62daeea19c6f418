//! `[[distributions]]`: CloudFront's unit of delivery: domain names, origins, origin groups,
//! cache behaviors, custom error responses and geo restriction.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::duration;

/// One distribution: what a set of domain names serves, and from where.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// Unique id, used in logs, metrics and the admin API.
    pub id: String,
    /// Domain names (CloudFront's alternate domain names): exact, `*.example.com` wildcards,
    /// or `"*"` to answer every host no other distribution claims.
    pub domains: Vec<String>,
    /// A disabled distribution answers 403 to every request.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
    /// Object returned for a request to `/`, e.g. `index.html`.
    #[serde(default)]
    pub default_root_object: Option<String>,
    /// Where content comes from.
    pub origins: Vec<Origin>,
    /// Pairs of origins with failover.
    #[serde(default)]
    pub origin_groups: Vec<OriginGroup>,
    /// The behavior for paths no `cache_behaviors` entry matches.
    pub default_cache_behavior: CacheBehavior,
    /// Behaviors chosen by path pattern, first match in listed order.
    #[serde(default)]
    pub cache_behaviors: Vec<CacheBehavior>,
    /// Replacement responses for origin or edge errors.
    #[serde(default)]
    pub custom_error_responses: Vec<CustomErrorResponse>,
    /// Countries allowed or denied.
    #[serde(default)]
    pub geo_restriction: GeoRestriction,
    /// An AWS WAF web ACL file (`aws wafv2 get-web-acl` JSON) protecting this distribution.
    #[serde(default)]
    pub web_acl: Option<std::path::PathBuf>,
}

fn yes() -> bool {
    true
}

/// A custom HTTP or HTTPS origin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// Unique id within the distribution, named by cache behaviors and origin groups.
    pub id: String,
    /// Host name or IP address of the origin.
    pub domain_name: String,
    /// Prefix added to every request path, e.g. `/production` (no trailing slash).
    #[serde(default)]
    pub origin_path: String,
    /// Headers added to every request sent to this origin.
    #[serde(default)]
    pub custom_headers: BTreeMap<String, String>,
    /// `http-only`, `https-only` or `match-viewer`.
    pub protocol_policy: OriginProtocolPolicy,
    /// Port for HTTP (default 80).
    #[serde(default = "default_http_port")]
    pub http_port: u16,
    /// Port for HTTPS (default 443).
    #[serde(default = "default_https_port")]
    pub https_port: u16,
    /// Time to establish a connection, 1 to 10 seconds (default 10).
    #[serde(default = "d10s", deserialize_with = "duration::deserialize")]
    pub connection_timeout: Duration,
    /// Connection attempts before giving up or failing over, 1 to 3 (default 3).
    #[serde(default = "default_attempts")]
    pub connection_attempts: u32,
    /// Time to wait for a response and between packets of it, 1 to 180 seconds (default 30).
    #[serde(default = "d30s", deserialize_with = "duration::deserialize")]
    pub read_timeout: Duration,
    /// Time an idle pooled connection to the origin is kept, 1 to 180 seconds (default 5).
    #[serde(default = "d5s", deserialize_with = "duration::deserialize")]
    pub keepalive_timeout: Duration,
    /// HTTP version spoken to the origin: `http1.1` (default) or `http2`.
    #[serde(default)]
    pub http_version: OriginHttpVersion,
    /// Verify the origin's certificate (default true).
    #[serde(default = "yes")]
    pub tls_verify: bool,
    /// Extra PEM CA certificates trusted for this origin, besides the web PKI roots.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// CloudFront's Origin Shield: a Verge node every tier sends this origin's misses through,
    /// so the origin sees one request per object whatever the number of POPs.
    #[serde(default)]
    pub origin_shield: Option<super::TierNode>,
}

fn default_http_port() -> u16 {
    80
}

fn default_https_port() -> u16 {
    443
}

fn default_attempts() -> u32 {
    3
}

fn d5s() -> Duration {
    Duration::from_secs(5)
}

fn d10s() -> Duration {
    Duration::from_secs(10)
}

fn d30s() -> Duration {
    Duration::from_secs(30)
}

/// How the edge connects to an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OriginProtocolPolicy {
    /// Always plain HTTP.
    #[serde(rename = "http-only")]
    HttpOnly,
    /// Always HTTPS.
    #[serde(rename = "https-only")]
    HttpsOnly,
    /// The viewer's protocol.
    #[serde(rename = "match-viewer")]
    MatchViewer,
}

/// The HTTP version used on origin connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum OriginHttpVersion {
    /// HTTP/1.1 with keep-alive.
    #[default]
    #[serde(rename = "http1.1")]
    Http11,
    /// HTTP/2 (ALPN over TLS, prior knowledge over plain TCP).
    #[serde(rename = "http2")]
    Http2,
}

/// Two origins; the second is tried when the first fails.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginGroup {
    /// Unique id among the distribution's origins and groups.
    pub id: String,
    /// Primary then secondary origin id.
    pub members: Vec<String>,
    /// Origin statuses that trigger failover (connection errors always do).
    #[serde(default = "default_failover_codes")]
    pub failover_status_codes: Vec<u16>,
}

fn default_failover_codes() -> Vec<u16> {
    vec![500, 502, 503, 504]
}

/// A cache behavior: which origin serves a path pattern, and under which policies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheBehavior {
    /// CloudFront path pattern (`*` and `?` wildcards, case-sensitive); absent on the default.
    #[serde(default)]
    pub path_pattern: Option<String>,
    /// Origin or origin group id.
    pub target_origin: String,
    /// `allow-all` (default), `redirect-to-https` or `https-only`.
    #[serde(default)]
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// Methods forwarded; others get 405 (default GET and HEAD).
    #[serde(default = "default_methods")]
    pub allowed_methods: Vec<String>,
    /// Compress compressible responses with gzip, brotli or zstd.
    #[serde(default)]
    pub compress: bool,
    /// Name of a cache policy (custom or managed). Without one, only what the origin's
    /// headers allow is stored (TTLs 0/0/1y), keyed on the host and on every cookie and query
    /// string the origin receives.
    #[serde(default)]
    pub cache_policy: Option<String>,
    /// Name of an origin request policy (custom or managed).
    #[serde(default)]
    pub origin_request_policy: Option<String>,
    /// Name of a response headers policy (custom or managed).
    #[serde(default)]
    pub response_headers_policy: Option<String>,
    /// The function run on viewer requests: a `[functions]` name or a `.js` file.
    #[serde(default)]
    pub viewer_request: Option<String>,
    /// The function run on responses to viewers: a `[functions]` name or a `.js` file.
    #[serde(default)]
    pub viewer_response: Option<String>,
}

fn default_methods() -> Vec<String> {
    vec!["GET".to_owned(), "HEAD".to_owned()]
}

/// What happens to a viewer request by protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ViewerProtocolPolicy {
    /// HTTP and HTTPS.
    #[default]
    #[serde(rename = "allow-all")]
    AllowAll,
    /// HTTP requests get a 301 to the HTTPS URL.
    #[serde(rename = "redirect-to-https")]
    RedirectToHttps,
    /// HTTP requests get 403.
    #[serde(rename = "https-only")]
    HttpsOnly,
}

/// A replacement for an error response.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomErrorResponse {
    /// The status from the origin or the edge, e.g. 404 or 503.
    pub error_code: u16,
    /// Path of the page to return instead, fetched through this distribution.
    #[serde(default)]
    pub response_page_path: Option<String>,
    /// Status returned to the viewer (default: the error code).
    #[serde(default)]
    pub response_code: Option<u16>,
    /// How long the error may be cached (default 10 seconds).
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    pub error_caching_min_ttl: Option<Duration>,
}

/// Countries a distribution is served to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoRestriction {
    /// `none` (default), `whitelist` (only the listed countries) or `blacklist`.
    #[serde(default)]
    pub restriction_type: GeoRestrictionType,
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    pub locations: Vec<String>,
}

/// The kind of geo restriction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeoRestrictionType {
    /// Everyone is served.
    #[default]
    None,
    /// Only viewers in the listed countries are served.
    #[serde(alias = "allow")]
    Whitelist,
    /// Viewers in the listed countries get 403.
    #[serde(alias = "deny")]
    Blacklist,
}
