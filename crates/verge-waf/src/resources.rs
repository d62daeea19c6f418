//! The objects web ACLs reference, filled by the caller before compiling: IP sets, regex
//! pattern sets, rule groups and managed rule groups. ARNs resolve by the name inside them
//! (`arn:aws:wafv2:...:regional/ipset/NAME/ID` finds the IP set `NAME`).

use std::collections::HashMap;
use std::sync::Arc;

use regex::bytes::RegexSet;

use crate::cidr::{Cidr, IpRanges};
use crate::error::{Error, Issue};
use crate::model::{IpSet, RegexPatternSet, RuleGroup};

/// The account id used in label namespaces when neither the ACL nor its ARN gives one.
pub const DEFAULT_ACCOUNT: &str = "000000000000";

/// Referenced objects, by name.
#[derive(Debug, Default)]
pub struct Resources {
    ip_sets: HashMap<String, Arc<IpRanges>>,
    regex_sets: HashMap<String, Arc<RegexSet>>,
    rule_groups: HashMap<String, RuleGroup>,
    managed: HashMap<(String, String), RuleGroup>,
    account: Option<String>,
    rate_keys: Option<usize>,
}

/// How many keys each rate-based rule tracks unless told otherwise (about 55 MB at most).
pub const DEFAULT_RATE_KEYS: usize = 1_000_000;

impl Resources {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the account id used in label namespaces of ACLs and groups whose JSON has no
    /// `LabelNamespace` or ARN.
    pub fn set_account(&mut self, account: &str) {
        self.account = Some(account.to_owned());
    }

    /// Sets how many keys each rate-based rule tracks; beyond it the least recently seen
    /// keys are forgotten.
    pub fn set_rate_key_capacity(&mut self, keys: usize) {
        self.rate_keys = Some(keys);
    }

    /// How many keys each rate-based rule tracks.
    pub fn rate_key_capacity(&self) -> usize {
        self.rate_keys.unwrap_or(DEFAULT_RATE_KEYS)
    }

    /// The account id for label namespaces.
    pub fn account(&self) -> &str {
        self.account.as_deref().unwrap_or(DEFAULT_ACCOUNT)
    }

    /// Adds (or replaces) an IP set; its CIDRs become a sorted range table.
    pub fn add_ip_set(&mut self, set: &IpSet) -> Result<(), Error> {
        let mut blocks = Vec::with_capacity(set.addresses.len());
        let mut issues = Vec::new();
        for (i, address) in set.addresses.iter().enumerate() {
            match Cidr::parse(address) {
                Ok(block) => blocks.push(block),
                Err(message) => issues.push(Issue {
                    path: format!("Addresses[{i}]"),
                    message,
                }),
            }
        }
        if !issues.is_empty() {
            return Err(Error::Invalid {
                what: "IP set",
                name: set.name.clone(),
                issues,
            });
        }
        self.ip_sets
            .insert(set.name.clone(), Arc::new(IpRanges::new(&blocks)));
        Ok(())
    }

    /// Adds (or replaces) an IP set from an already built range table (IP feeds).
    pub fn add_ip_ranges(&mut self, name: &str, ranges: Arc<IpRanges>) {
        self.ip_sets.insert(name.to_owned(), ranges);
    }

    /// Adds (or replaces) a regex pattern set, compiled into one `RegexSet`.
    pub fn add_regex_pattern_set(&mut self, set: &RegexPatternSet) -> Result<(), Error> {
        let patterns: Vec<String> = set
            .regular_expression_list
            .iter()
            .map(|e| e.regex_string.clone())
            .collect();
        let compiled =
            crate::pattern::compile_set(&patterns).map_err(|message| Error::Invalid {
                what: "regex pattern set",
                name: set.name.clone(),
                issues: vec![Issue {
                    path: "RegularExpressionList".to_owned(),
                    message,
                }],
            })?;
        self.regex_sets.insert(set.name.clone(), Arc::new(compiled));
        Ok(())
    }

    /// Adds (or replaces) a rule group, referenced by `RuleGroupReferenceStatement`.
    pub fn add_rule_group(&mut self, group: RuleGroup) {
        self.rule_groups.insert(group.name.clone(), group);
    }

    /// Adds (or replaces) a managed rule group under its vendor and name
    /// (`AWS`, `AWSManagedRulesCommonRuleSet`), referenced by `ManagedRuleGroupStatement`.
    pub fn add_managed_rule_group(&mut self, vendor: &str, group: RuleGroup) {
        self.managed
            .insert((vendor.to_owned(), group.name.clone()), group);
    }

    /// The managed rule groups registered, as `(vendor, name)`, sorted.
    pub fn managed_rule_groups(&self) -> Vec<(&str, &str)> {
        let mut list: Vec<(&str, &str)> = self
            .managed
            .keys()
            .map(|(vendor, name)| (vendor.as_str(), name.as_str()))
            .collect();
        list.sort_unstable();
        list
    }

    pub(crate) fn ip_set(&self, name: &str) -> Option<Arc<IpRanges>> {
        self.ip_sets.get(name).cloned()
    }

    pub(crate) fn regex_set(&self, name: &str) -> Option<Arc<RegexSet>> {
        self.regex_sets.get(name).cloned()
    }

    pub(crate) fn rule_group(&self, name: &str) -> Option<&RuleGroup> {
        self.rule_groups.get(name)
    }

    pub(crate) fn managed_group(&self, vendor: &str, name: &str) -> Option<&RuleGroup> {
        self.managed.get(&(vendor.to_owned(), name.to_owned()))
    }
}
