//! The objects a web ACL references by ARN, as `get-rule-group`, `get-ip-set` and
//! `get-regex-pattern-set` print them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::acl::{CustomResponseBody, Rule, VisibilityConfig};

/// The object under `RuleGroup`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleGroup {
    /// The group's name; references resolve to it.
    pub name: String,
    /// AWS's identifier.
    #[serde(default)]
    pub id: Option<String>,
    /// The capacity AWS reserved for the group.
    #[serde(default)]
    pub capacity: Option<i64>,
    /// AWS's ARN.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The group's rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Metrics and sampling settings.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
    /// `awswaf:<account>:rulegroup:<name>:`, the prefix of the labels its rules add.
    #[serde(default)]
    pub label_namespace: Option<String>,
    /// Bodies for the group's custom block responses.
    #[serde(default)]
    pub custom_response_bodies: BTreeMap<String, CustomResponseBody>,
    /// Labels the group's rules add (informational).
    #[serde(default)]
    pub available_labels: Vec<LabelSummary>,
    /// Labels the group's rules match (informational).
    #[serde(default)]
    pub consumed_labels: Vec<LabelSummary>,
}

/// An entry of `AvailableLabels` / `ConsumedLabels`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LabelSummary {
    /// The fully qualified label.
    pub name: String,
}

/// The address family of an IP set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum IpAddressVersion {
    /// IPv4 CIDRs.
    Ipv4,
    /// IPv6 CIDRs.
    Ipv6,
}

/// The object under `IPSet`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSet {
    /// The set's name; references resolve to it.
    pub name: String,
    /// AWS's identifier.
    #[serde(default)]
    pub id: Option<String>,
    /// AWS's ARN.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The family every address must belong to.
    #[serde(rename = "IPAddressVersion")]
    pub ip_address_version: IpAddressVersion,
    /// CIDRs such as `192.0.2.0/24` or `2001:db8::/32`.
    pub addresses: Vec<String>,
}

/// The object under `RegexPatternSet`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexPatternSet {
    /// The set's name; references resolve to it.
    pub name: String,
    /// AWS's identifier.
    #[serde(default)]
    pub id: Option<String>,
    /// AWS's ARN.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The patterns; a field matches when any one does.
    pub regular_expression_list: Vec<RegexEntry>,
}

/// One entry of `RegularExpressionList`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexEntry {
    /// The pattern.
    pub regex_string: String,
}
