//! Origin request policies (what reaches the origin) and response headers policies (what is
//! added to or removed from responses), with CloudFront's fields.

use std::time::Duration;

use serde::Deserialize;

use crate::duration;

/// Which viewer headers, cookies and query strings are sent to the origin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginRequestPolicy {
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
    /// Viewer headers forwarded.
    #[serde(default)]
    pub headers: HeadersConfig,
    /// Viewer cookies forwarded.
    #[serde(default)]
    pub cookies: ItemsConfig,
    /// Query string parameters forwarded.
    #[serde(default)]
    pub query_strings: ItemsConfig,
}

/// Headers part of an origin request policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersConfig {
    /// How `items` is read.
    #[serde(default)]
    pub behavior: HeaderBehavior,
    /// Header names (case-insensitive).
    #[serde(default)]
    pub items: Vec<String>,
}

/// CloudFront's `HeaderBehavior` values (camelCase as in the API, snake_case accepted too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum HeaderBehavior {
    /// No viewer headers.
    #[default]
    #[serde(rename = "none")]
    None,
    /// Only the listed headers.
    #[serde(rename = "whitelist")]
    Whitelist,
    /// Every viewer header.
    #[serde(rename = "allViewer", alias = "all_viewer")]
    AllViewer,
    /// Every viewer header plus the listed CloudFront-* headers.
    #[serde(
        rename = "allViewerAndWhitelistCloudFront",
        alias = "all_viewer_and_whitelist_cloudfront"
    )]
    AllViewerAndWhitelistCloudFront,
    /// Every viewer header except the listed ones.
    #[serde(rename = "allExcept", alias = "all_except")]
    AllExcept,
}

/// Cookies or query strings part of an origin request policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemsConfig {
    /// How `items` is read.
    #[serde(default)]
    pub behavior: ItemBehavior,
    /// Cookie or parameter names (case-sensitive).
    #[serde(default)]
    pub items: Vec<String>,
}

/// CloudFront's cookie and query string behaviors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ItemBehavior {
    /// Nothing is forwarded.
    #[default]
    #[serde(rename = "none")]
    None,
    /// Only the listed names.
    #[serde(rename = "whitelist")]
    Whitelist,
    /// Everything.
    #[serde(rename = "all")]
    All,
    /// Everything except the listed names.
    #[serde(rename = "allExcept", alias = "all_except")]
    AllExcept,
}

/// Headers the edge adds to or removes from responses to viewers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseHeadersPolicy {
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
    /// CORS response headers.
    #[serde(default)]
    pub cors: Option<Cors>,
    /// Security headers.
    #[serde(default)]
    pub security_headers: Option<SecurityHeaders>,
    /// Headers added with fixed values.
    #[serde(default)]
    pub custom_headers: Vec<CustomHeader>,
    /// Headers removed from the origin's response.
    #[serde(default)]
    pub remove_headers: Vec<String>,
    /// The `Server-Timing` header.
    #[serde(default)]
    pub server_timing: Option<ServerTiming>,
}

/// CloudFront's CORS config of a response headers policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// Allowed origins, `"*"` for any.
    pub allow_origins: Vec<String>,
    /// `Access-Control-Allow-Headers` values, `"*"` for any.
    #[serde(default)]
    pub allow_headers: Vec<String>,
    /// `Access-Control-Allow-Methods` values (`GET`, ..., or `ALL`).
    #[serde(default)]
    pub allow_methods: Vec<String>,
    /// `Access-Control-Allow-Credentials: true`.
    #[serde(default)]
    pub allow_credentials: bool,
    /// `Access-Control-Expose-Headers` values.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// `Access-Control-Max-Age`.
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    pub max_age: Option<Duration>,
    /// Replace CORS headers the origin sent.
    #[serde(default, rename = "override")]
    pub override_origin: bool,
}

/// CloudFront's security headers config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityHeaders {
    /// `Strict-Transport-Security`.
    #[serde(default)]
    pub strict_transport_security: Option<StrictTransportSecurity>,
    /// `X-Content-Type-Options: nosniff`.
    #[serde(default)]
    pub content_type_options: Option<Switch>,
    /// `X-Frame-Options`.
    #[serde(default)]
    pub frame_options: Option<ValueHeader>,
    /// `Referrer-Policy`.
    #[serde(default)]
    pub referrer_policy: Option<ValueHeader>,
    /// `Content-Security-Policy`.
    #[serde(default)]
    pub content_security_policy: Option<ValueHeader>,
    /// `X-XSS-Protection`.
    #[serde(default)]
    pub xss_protection: Option<XssProtection>,
}

/// HSTS settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrictTransportSecurity {
    /// `max-age`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_age: Duration,
    /// `includeSubDomains`.
    #[serde(default)]
    pub include_subdomains: bool,
    /// `preload`.
    #[serde(default)]
    pub preload: bool,
    /// Replace the origin's header.
    #[serde(default, rename = "override")]
    pub override_origin: bool,
}

/// A security header with no value of its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    /// Replace the origin's header.
    #[serde(default, rename = "override")]
    pub override_origin: bool,
}

/// A security header with a value (`DENY`, `strict-origin-when-cross-origin`, a CSP, ...).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueHeader {
    /// The header value.
    pub value: String,
    /// Replace the origin's header.
    #[serde(default, rename = "override")]
    pub override_origin: bool,
}

/// `X-XSS-Protection` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XssProtection {
    /// `1` when true, `0` when false.
    pub protection: bool,
    /// `mode=block`.
    #[serde(default)]
    pub mode_block: bool,
    /// `report=<uri>`.
    #[serde(default)]
    pub report_uri: Option<String>,
    /// Replace the origin's header.
    #[serde(default, rename = "override")]
    pub override_origin: bool,
}

/// A header added with a fixed value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomHeader {
    /// Header name.
    pub header: String,
    /// Header value.
    pub value: String,
    /// Replace the origin's header of the same name.
    #[serde(default, rename = "override")]
    pub override_origin: bool,
}

/// `Server-Timing` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTiming {
    /// Send the header.
    pub enabled: bool,
    /// Percentage of requests that get it, 0 to 100.
    #[serde(default = "hundred")]
    pub sampling_rate: f64,
}

fn hundred() -> f64 {
    100.0
}
