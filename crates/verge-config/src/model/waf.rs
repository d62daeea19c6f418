//! `[waf]`: the AWS WAF objects web ACLs reference (IP sets, regex pattern sets, rule groups,
//! each in the JSON `aws wafv2 get-...` prints), the account id for label namespaces, and the
//! WAF log. A distribution names its web ACL file in `web_acl`.

use std::path::PathBuf;

use serde::Deserialize;

/// `[waf]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafSettings {
    /// IP set files (`get-ip-set` JSON), referenced by ARN or name.
    #[serde(default)]
    pub ip_sets: Vec<PathBuf>,
    /// Regex pattern set files (`get-regex-pattern-set` JSON).
    #[serde(default)]
    pub regex_pattern_sets: Vec<PathBuf>,
    /// Rule group files (`get-rule-group` JSON).
    #[serde(default)]
    pub rule_groups: Vec<PathBuf>,
    /// The account id in label namespaces when an ACL's ARN does not give one.
    #[serde(default)]
    pub account: Option<String>,
    /// Where WAF logs go (AWS WAF's JSON log records, one per line): `stdout` or a file.
    #[serde(default)]
    pub log: Option<String>,
}
