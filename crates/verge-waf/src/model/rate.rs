//! `RateBasedStatement` and its custom aggregation keys, as AWS WAF's JSON spells them.

use serde::Deserialize;

use super::field::{Empty, FallbackBehavior, TextTransformation};
use super::statement::{ForwardedIpConfig, Statement};

/// How a rate-based rule groups requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AggregateKeyType {
    /// The connection's address.
    Ip,
    /// The address in a forwarded-IP header.
    #[serde(rename = "FORWARDED_IP")]
    ForwardedIp,
    /// The keys listed in `CustomKeys`.
    CustomKeys,
    /// One counter for every request that passes the scope-down.
    Constant,
}

/// `RateBasedStatement`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateBasedStatement {
    /// Requests allowed per window per key.
    pub limit: i64,
    /// The window in seconds (60, 120, 300 or 600); 300 when absent.
    #[serde(default)]
    pub evaluation_window_sec: Option<i64>,
    /// How requests are grouped.
    pub aggregate_key_type: AggregateKeyType,
    /// Only requests matching this are counted.
    #[serde(default)]
    pub scope_down_statement: Option<Statement>,
    /// For `FORWARDED_IP` (and a `ForwardedIP` custom key).
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
    /// For `CUSTOM_KEYS`: the parts that together form a key.
    #[serde(default)]
    pub custom_keys: Vec<RateKey>,
}

/// A named request part with transformations (`Header`, `Cookie`, `QueryArgument`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NamedKey {
    /// The header, cookie or argument name.
    pub name: String,
    /// Transformations applied to the value first.
    pub text_transformations: Vec<TextTransformation>,
}

/// An unnamed request part with transformations (`QueryString`, `UriPath`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TransformedKey {
    /// Transformations applied to the value first.
    pub text_transformations: Vec<TextTransformation>,
}

/// A label namespace key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NamespaceKey {
    /// The namespace, fully qualified, ending with `:`.
    pub namespace: String,
}

/// A fingerprint key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FingerprintKey {
    /// What to do when the request has no fingerprint.
    pub fallback_behavior: FallbackBehavior,
}

/// One part of a custom aggregation key. Exactly one key is set in AWS's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RateKey {
    /// A header's value.
    Header(NamedKey),
    /// A cookie's value.
    Cookie(NamedKey),
    /// A query argument's value.
    QueryArgument(NamedKey),
    /// The whole query string.
    QueryString(TransformedKey),
    /// The method.
    #[serde(rename = "HTTPMethod")]
    HttpMethod(Empty),
    /// The forwarded address (with the statement's `ForwardedIPConfig`).
    #[serde(rename = "ForwardedIP")]
    ForwardedIp(Empty),
    /// The connection's address.
    #[serde(rename = "IP")]
    Ip(Empty),
    /// The labels under a namespace.
    LabelNamespace(NamespaceKey),
    /// The URI path.
    UriPath(TransformedKey),
    /// The JA3 fingerprint.
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(FingerprintKey),
    /// The JA4 fingerprint.
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(FingerprintKey),
    /// The client's autonomous system number.
    #[serde(rename = "ASN")]
    Asn(Empty),
}
