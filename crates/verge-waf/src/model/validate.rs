//! Checks that a parsed web ACL, rule group, IP set or regex pattern set is one AWS WAF would
//! accept (names, priorities, action kinds, nesting, limits, CIDRs, regex syntax). Every problem
//! is collected with its JSON path; nothing stops at the first.

use std::collections::{BTreeMap, HashSet};

use super::acl::{BODY_RESOURCE_TYPES, CustomResponseBody, Rule, WebAcl};
use super::field::{FieldToMatch, TextTransformation};
use super::sets::{IpAddressVersion, IpSet, RegexPatternSet, RuleGroup};
use super::statement::{ForwardedIpConfig, Statement};
use crate::cidr::Cidr;
use crate::error::Issue;

/// The most transformations AWS allows on one statement.
const MAX_TRANSFORMS: usize = 10;

/// Collects issues while walking a document.
#[derive(Default)]
pub(crate) struct Validator {
    pub(crate) issues: Vec<Issue>,
}

impl Validator {
    pub(crate) fn push(&mut self, path: &str, message: impl Into<String>) {
        self.issues.push(Issue {
            path: path.to_owned(),
            message: message.into(),
        });
    }

    pub(crate) fn name(&mut self, path: &str, name: &str) {
        let ok = (1..=128).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            self.push(
                path,
                format!("{name:?} must be 1–128 characters of A–Z, a–z, 0–9, _ and -"),
            );
        }
    }

    pub(crate) fn label(&mut self, path: &str, label: &str) {
        let ok = (1..=1024).contains(&label.len())
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-:".contains(c));
        if !ok {
            self.push(
                path,
                format!("{label:?} must be 1–1024 characters of A–Z, a–z, 0–9, _, - and :"),
            );
        }
    }

    pub(crate) fn header_name(&mut self, path: &str, name: &str) {
        let ok = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            self.push(
                path,
                format!("{name:?} is not a valid header name (1–64 of A–Z, a–z, 0–9, - and _)"),
            );
        }
    }

    /// A web ACL.
    pub(crate) fn web_acl(&mut self, acl: &WebAcl) {
        self.name("Name", &acl.name);
        self.default_action(&acl.default_action, &acl.custom_response_bodies);
        self.rules(&acl.rules, false, &acl.custom_response_bodies);
        self.bodies(&acl.custom_response_bodies);
        self.immunity("CaptchaConfig", acl.captcha_config.as_ref());
        self.immunity("ChallengeConfig", acl.challenge_config.as_ref());
        for (i, domain) in acl.token_domains.iter().enumerate() {
            if domain.is_empty() || domain.len() > 253 || domain.contains(['/', ' ', ':']) {
                self.push(
                    &format!("TokenDomains[{i}]"),
                    format!("{domain:?} is not a domain name"),
                );
            }
        }
        if let Some(assoc) = &acl.association_config {
            for key in assoc.request_body.keys() {
                if !BODY_RESOURCE_TYPES.contains(&key.as_str()) {
                    self.push(
                        &format!("AssociationConfig.RequestBody.{key}"),
                        format!(
                            "unknown resource type; use one of {}",
                            BODY_RESOURCE_TYPES.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(ns) = &acl.label_namespace {
            self.namespace("LabelNamespace", ns);
        }
    }

    /// A rule group.
    pub(crate) fn rule_group(&mut self, group: &RuleGroup) {
        self.name("Name", &group.name);
        self.rules(&group.rules, true, &group.custom_response_bodies);
        self.bodies(&group.custom_response_bodies);
        if let Some(ns) = &group.label_namespace {
            self.namespace("LabelNamespace", ns);
        }
    }

    /// An IP set.
    pub(crate) fn ip_set(&mut self, set: &IpSet) {
        self.name("Name", &set.name);
        for (i, address) in set.addresses.iter().enumerate() {
            let path = format!("Addresses[{i}]");
            match Cidr::parse(address) {
                Ok(cidr) => {
                    let v4 = set.ip_address_version == IpAddressVersion::Ipv4;
                    if cidr.addr.is_ipv4() != v4 {
                        self.push(
                            &path,
                            format!("{address:?} does not match IPAddressVersion"),
                        );
                    }
                }
                Err(e) => self.push(&path, e),
            }
        }
    }

    /// A regex pattern set.
    pub(crate) fn regex_pattern_set(&mut self, set: &RegexPatternSet) {
        self.name("Name", &set.name);
        if set.regular_expression_list.is_empty() {
            self.push("RegularExpressionList", "needs at least one pattern");
        }
        for (i, entry) in set.regular_expression_list.iter().enumerate() {
            self.regex(
                &format!("RegularExpressionList[{i}].RegexString"),
                &entry.regex_string,
            );
        }
    }

    fn namespace(&mut self, path: &str, ns: &str) {
        if !ns.starts_with("awswaf:") || !ns.ends_with(':') {
            self.push(
                path,
                format!("{ns:?} must look like awswaf:<account>:webacl:<name>:"),
            );
        }
    }

    pub(crate) fn regex(&mut self, path: &str, pattern: &str) {
        if pattern.is_empty() || pattern.len() > 512 {
            self.push(path, "a regex must be 1–512 characters");
        }
        if let Err(e) = crate::pattern::compile(pattern) {
            self.push(path, e);
        }
    }

    fn rules(
        &mut self,
        rules: &[Rule],
        in_group: bool,
        bodies: &BTreeMap<String, CustomResponseBody>,
    ) {
        let mut names = HashSet::new();
        let mut priorities = HashSet::new();
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("Rules[{i}]");
            self.name(&format!("{path}.Name"), &rule.name);
            if !names.insert(rule.name.as_str()) {
                self.push(
                    &format!("{path}.Name"),
                    format!("rule name {:?} is used twice", rule.name),
                );
            }
            if rule.priority < 0 {
                self.push(&format!("{path}.Priority"), "priority must be 0 or more");
            }
            if !priorities.insert(rule.priority) {
                self.push(
                    &format!("{path}.Priority"),
                    format!("priority {} is used twice", rule.priority),
                );
            }
            self.rule(&path, rule, in_group, bodies);
        }
    }

    fn rule(
        &mut self,
        path: &str,
        rule: &Rule,
        in_group: bool,
        bodies: &BTreeMap<String, CustomResponseBody>,
    ) {
        let references_group = matches!(
            rule.statement,
            Statement::RuleGroupReferenceStatement(_) | Statement::ManagedRuleGroupStatement(_)
        );
        if in_group && references_group {
            self.push(
                &format!("{path}.Statement"),
                "a rule group cannot reference another rule group",
            );
        }
        match (references_group, &rule.action, &rule.override_action) {
            (true, None, Some(o)) => self.override_action(&format!("{path}.OverrideAction"), o),
            (true, _, _) => self.push(
                path,
                "a rule that references a rule group needs OverrideAction (Count or None) and no Action",
            ),
            (false, Some(a), None) => self.action(&format!("{path}.Action"), a, bodies),
            (false, _, _) => self.push(path, "a rule needs Action and no OverrideAction"),
        }
        for (i, label) in rule.rule_labels.iter().enumerate() {
            self.label(&format!("{path}.RuleLabels[{i}].Name"), &label.name);
        }
        self.immunity(
            &format!("{path}.CaptchaConfig"),
            rule.captcha_config.as_ref(),
        );
        self.immunity(
            &format!("{path}.ChallengeConfig"),
            rule.challenge_config.as_ref(),
        );
        self.statement(&format!("{path}.Statement"), &rule.statement, true);
    }

    pub(crate) fn forwarded(&mut self, path: &str, config: Option<&ForwardedIpConfig>) {
        if let Some(c) = config {
            self.header_name(&format!("{path}.HeaderName"), &c.header_name);
        }
    }

    pub(crate) fn transforms(&mut self, path: &str, transforms: &[TextTransformation]) {
        if transforms.is_empty() {
            self.push(
                path,
                "needs at least one text transformation (use NONE for none)",
            );
        }
        if transforms.len() > MAX_TRANSFORMS {
            self.push(
                path,
                format!("at most {MAX_TRANSFORMS} text transformations are allowed"),
            );
        }
        let mut seen = HashSet::new();
        for (i, t) in transforms.iter().enumerate() {
            if t.priority < 0 {
                self.push(
                    &format!("{path}[{i}].Priority"),
                    "priority must be 0 or more",
                );
            }
            if !t.kind.is_supported() {
                self.push(
                    &format!("{path}[{i}].Type"),
                    format!(
                        "{:?} is an AWS transformation Verge does not implement yet",
                        t.kind
                    ),
                );
            }
            if !seen.insert(t.priority) {
                self.push(
                    &format!("{path}[{i}].Priority"),
                    format!("priority {} is used twice", t.priority),
                );
            }
        }
    }

    fn field(&mut self, path: &str, field: &FieldToMatch) {
        super::validate_field::field(self, path, field);
    }

    fn statement(&mut self, path: &str, statement: &Statement, top: bool) {
        super::validate_statement::statement(self, path, statement, top);
    }

    pub(crate) fn matched(
        &mut self,
        path: &str,
        field: &FieldToMatch,
        transforms: &[TextTransformation],
    ) {
        self.field(&format!("{path}.FieldToMatch"), field);
        self.transforms(&format!("{path}.TextTransformations"), transforms);
    }

    pub(crate) fn nested(&mut self, path: &str, statement: &Statement) {
        self.statement(path, statement, false);
    }
}
