//! AWS's managed rule groups, written for Verge under AWS's vendor, group and rule names and
//! labels, so ported web ACLs that use them run unchanged. [`install`] registers them in
//! [`Resources`]; a `ManagedRuleGroupStatement` then compiles against them like any group.
//!
//! Each group is ordinary rule group JSON in AWS's format (see [`rule_group_json`]), built
//! from regex, SQL injection, XSS, size, byte and IP set statements and parsed and validated
//! like a user's own group. The detection is Verge's own: AWS does not publish its patterns,
//! so rule names, labels, inspected components and default actions follow AWS's
//! documentation, and what each rule matches is documented beside its patterns.
//!
//! Versions: Verge ships one version of each group. A statement's `Version` is accepted and
//! ignored, so ACLs pinned to any AWS version compile against the current one.
//!
//! Reserved names: the groups reference regex pattern sets named `verge-aws-*` and the IP
//! sets named by the `*_IP_SET` constants; [`install`] registers both. The IP sets come from
//! [`IpFeeds`] the operator loads; a feed left out gives an empty set and a rule that never
//! matches.

mod build;
mod common;
mod feeds;
mod ip_lists;
mod known_bad_inputs;
mod linux_os;
mod php_app;
mod posix_os;
mod sql_database;
mod windows_os;

use std::sync::Arc;

use serde_json::Value;

use crate::cidr::IpRanges;
use crate::error::Error;
use crate::model;
use crate::resources::Resources;
use build::PatternSet;

pub use feeds::{IpFeed, IpFeeds};
pub use ip_lists::{
    ANONYMOUS_IP_SET, DDOS_IP_SET, HOSTING_IP_SET, RECONNAISSANCE_IP_SET, REPUTATION_IP_SET,
};

/// The vendor name of AWS's managed rule groups.
pub const AWS: &str = "AWS";

/// One group Verge provides.
struct Entry {
    name: &'static str,
    json: fn() -> Value,
    pattern_sets: &'static [PatternSet],
}

/// Every group, in the order of AWS's documentation.
const GROUPS: &[Entry] = &[
    Entry {
        name: common::NAME,
        json: common::group,
        pattern_sets: common::PATTERN_SETS,
    },
    Entry {
        name: known_bad_inputs::NAME,
        json: known_bad_inputs::group,
        pattern_sets: known_bad_inputs::PATTERN_SETS,
    },
    Entry {
        name: sql_database::NAME,
        json: sql_database::group,
        pattern_sets: sql_database::PATTERN_SETS,
    },
    Entry {
        name: linux_os::NAME,
        json: linux_os::group,
        pattern_sets: linux_os::PATTERN_SETS,
    },
    Entry {
        name: posix_os::NAME,
        json: posix_os::group,
        pattern_sets: posix_os::PATTERN_SETS,
    },
    Entry {
        name: windows_os::NAME,
        json: windows_os::group,
        pattern_sets: windows_os::PATTERN_SETS,
    },
    Entry {
        name: php_app::NAME,
        json: php_app::group,
        pattern_sets: php_app::PATTERN_SETS,
    },
    Entry {
        name: ip_lists::REPUTATION,
        json: ip_lists::reputation,
        pattern_sets: &[],
    },
    Entry {
        name: ip_lists::ANONYMOUS,
        json: ip_lists::anonymous,
        pattern_sets: &[],
    },
];

/// The names of the groups Verge provides under vendor [`AWS`].
pub fn group_names() -> impl Iterator<Item = &'static str> {
    GROUPS.iter().map(|g| g.name)
}

/// A group as AWS-format rule group JSON (what `get-rule-group` would print), or `None` for
/// a name Verge does not provide.
pub fn rule_group_json(name: &str) -> Option<String> {
    let entry = GROUPS.iter().find(|g| g.name == name)?;
    serde_json::to_string_pretty(&(entry.json)()).ok()
}

/// Registers every group under vendor [`AWS`], with the regex pattern sets they use and one
/// IP set per feed (empty for feeds that are `None`). Call it again after reloading feeds.
///
/// Compiling the groups' regular expressions takes a few hundred milliseconds of CPU in a
/// release build; the edge installs once per configuration or feed change, not per request.
///
/// An error means a built-in group failed the crate's own validation, which the crate's
/// tests rule out; it is returned rather than panicking all the same.
pub fn install(resources: &mut Resources, feeds: &IpFeeds) -> Result<(), Error> {
    for entry in GROUPS {
        for set in entry.pattern_sets {
            let parsed = model::parse_regex_pattern_set(&set.to_json().to_string())?;
            resources.add_regex_pattern_set(&parsed)?;
        }
        let group = model::parse_rule_group(&(entry.json)().to_string())?;
        resources.add_managed_rule_group(AWS, group);
    }
    let ip_sets = [
        (REPUTATION_IP_SET, &feeds.reputation),
        (RECONNAISSANCE_IP_SET, &feeds.reconnaissance),
        (DDOS_IP_SET, &feeds.ddos),
        (ANONYMOUS_IP_SET, &feeds.anonymous),
        (HOSTING_IP_SET, &feeds.hosting),
    ];
    for (name, feed) in ip_sets {
        let ranges = feed
            .as_ref()
            .map_or_else(|| Arc::new(IpRanges::default()), IpFeed::ranges);
        resources.add_ip_ranges(name, ranges);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
