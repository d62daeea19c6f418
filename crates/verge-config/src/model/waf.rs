//! `[waf]`: the AWS WAF objects web ACLs reference (IP sets, regex pattern sets, rule groups,
//! each in the JSON `aws wafv2 get-...` prints), the account id for label namespaces, the WAF
//! log, and the secret CAPTCHA and Challenge tokens are sealed with. A distribution names its
//! web ACL file in `web_acl`.

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
    /// A file holding the secret that CAPTCHA and Challenge tokens (`aws-waf-token`) are
    /// sealed with: at least 16 bytes, e.g. `head -c 32 /dev/urandom | base64`. Every POP
    /// given the same secret accepts the same tokens. Without it, an edge generates one at
    /// first start and keeps it in `<data_dir>/waf-token.key`.
    #[serde(default)]
    pub token_secret_file: Option<PathBuf>,
    /// The IP feeds behind AWS's IP reputation and anonymous IP managed rule groups.
    #[serde(default)]
    pub ip_feeds: IpFeedFiles,
}

/// `[waf.ip_feeds]`: text files of addresses and CIDRs (one a line, `#` comments) that back
/// `AWSManagedRulesAmazonIpReputationList` and `AWSManagedRulesAnonymousIpList`. A feed left
/// out leaves its rule matching nothing. A reload (SIGHUP or `POST /reload`) reads them again.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpFeedFiles {
    /// Addresses known for malicious activity (`AWSManagedIPReputationList`).
    #[serde(default)]
    pub reputation: Option<PathBuf>,
    /// Addresses known to scan and probe (`AWSManagedReconnaissanceList`).
    #[serde(default)]
    pub reconnaissance: Option<PathBuf>,
    /// Addresses taking part in DDoS attacks (`AWSManagedIPDDoSList`).
    #[serde(default)]
    pub ddos: Option<PathBuf>,
    /// VPN, proxy and Tor exit addresses (`AnonymousIPList`).
    #[serde(default)]
    pub anonymous: Option<PathBuf>,
    /// Hosting and cloud provider addresses (`HostingProviderIPList`).
    #[serde(default)]
    pub hosting: Option<PathBuf>,
}

impl IpFeedFiles {
    /// Each feed's name (as in the configuration) and file, for those given.
    pub fn files(&self) -> impl Iterator<Item = (&'static str, &PathBuf)> {
        [
            ("reputation", &self.reputation),
            ("reconnaissance", &self.reconnaissance),
            ("ddos", &self.ddos),
            ("anonymous", &self.anonymous),
            ("hosting", &self.hosting),
        ]
        .into_iter()
        .filter_map(|(name, file)| file.as_ref().map(|file| (name, file)))
    }

    /// Every feed file given, to resolve relative paths.
    pub(crate) fn paths_mut(&mut self) -> impl Iterator<Item = &mut PathBuf> {
        [
            &mut self.reputation,
            &mut self.reconnaissance,
            &mut self.ddos,
            &mut self.anonymous,
            &mut self.hosting,
        ]
        .into_iter()
        .filter_map(Option::as_mut)
    }
}
