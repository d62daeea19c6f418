//! `AWSManagedRulesAmazonIpReputationList` and `AWSManagedRulesAnonymousIpList`: rules on the
//! viewer's address, each backed by an IP set that [`super::install`] fills from the
//! operator's feeds (empty when a feed is not loaded, so the rule never matches).

use serde_json::Value;

use super::build::{self, Act, Rule, block, ip_set};

/// The reputation group's name.
pub(crate) const REPUTATION: &str = "AWSManagedRulesAmazonIpReputationList";
/// The anonymous IP group's name.
pub(crate) const ANONYMOUS: &str = "AWSManagedRulesAnonymousIpList";

/// The IP set behind `AWSManagedIPReputationList`.
pub const REPUTATION_IP_SET: &str = "verge-aws-ip-reputation";
/// The IP set behind `AWSManagedReconnaissanceList`.
pub const RECONNAISSANCE_IP_SET: &str = "verge-aws-ip-reconnaissance";
/// The IP set behind `AWSManagedIPDDoSList`.
pub const DDOS_IP_SET: &str = "verge-aws-ip-ddos";
/// The IP set behind `AnonymousIPList`.
pub const ANONYMOUS_IP_SET: &str = "verge-aws-ip-anonymous";
/// The IP set behind `HostingProviderIPList`.
pub const HOSTING_IP_SET: &str = "verge-aws-ip-hosting";

/// The Amazon IP reputation group as AWS-format JSON.
pub(crate) fn reputation() -> Value {
    let rules = vec![
        block(
            "AWSManagedIPReputationList",
            "AWSManagedIPReputationList",
            ip_set(REPUTATION_IP_SET),
        ),
        block(
            "AWSManagedReconnaissanceList",
            "AWSManagedReconnaissanceList",
            ip_set(RECONNAISSANCE_IP_SET),
        ),
        // AWS counts DDoS participants by default: the label is meant for a rate-based rule
        // or the anti-DDoS group that runs later.
        Rule {
            name: "AWSManagedIPDDoSList",
            label: "AWSManagedIPDDoSList",
            action: Act::Count,
            statement: ip_set(DDOS_IP_SET),
        },
    ];
    build::group(
        REPUTATION,
        "awswaf:managed:aws:amazon-ip-list:",
        "Addresses from the operator's reputation, reconnaissance and DDoS feeds",
        rules,
    )
}

/// The anonymous IP group as AWS-format JSON.
pub(crate) fn anonymous() -> Value {
    let rules = vec![
        block(
            "AnonymousIPList",
            "AnonymousIPList",
            ip_set(ANONYMOUS_IP_SET),
        ),
        block(
            "HostingProviderIPList",
            "HostingProviderIPList",
            ip_set(HOSTING_IP_SET),
        ),
    ];
    build::group(
        ANONYMOUS,
        "awswaf:managed:aws:anonymous-ip-list:",
        "Addresses from the operator's anonymizer and hosting provider feeds",
        rules,
    )
}
