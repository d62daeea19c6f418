//! Statement-level checks: nesting rules, `And`/`Or` arity, limits on search strings, sizes,
//! country codes, ASNs, rate limits and references.

use super::rate::{AggregateKeyType, RateBasedStatement, RateKey};
use super::statement::Statement;
use super::validate::Validator;
use crate::arn;

/// Checks one statement. `top` is true for a rule's own statement: rule group references and
/// rate-based statements may appear only there.
pub(crate) fn statement(v: &mut Validator, path: &str, statement: &Statement, top: bool) {
    match statement {
        Statement::ByteMatchStatement(s) => {
            let p = format!("{path}.ByteMatchStatement");
            let len = s.search_string.bytes.len();
            if !(1..=200).contains(&len) {
                v.push(
                    &format!("{p}.SearchString"),
                    "the search string must be 1–200 bytes",
                );
            }
            v.matched(&p, &s.field_to_match, &s.text_transformations);
        }
        Statement::SqliMatchStatement(s) => {
            v.matched(
                &format!("{path}.SqliMatchStatement"),
                &s.field_to_match,
                &s.text_transformations,
            );
        }
        Statement::XssMatchStatement(s) => {
            v.matched(
                &format!("{path}.XssMatchStatement"),
                &s.field_to_match,
                &s.text_transformations,
            );
        }
        Statement::SizeConstraintStatement(s) => {
            let p = format!("{path}.SizeConstraintStatement");
            if !(0..=21_474_836_480).contains(&s.size) {
                v.push(&format!("{p}.Size"), "the size must be 0–21474836480");
            }
            v.matched(&p, &s.field_to_match, &s.text_transformations);
        }
        Statement::GeoMatchStatement(s) => {
            let p = format!("{path}.GeoMatchStatement");
            if s.country_codes.is_empty() {
                v.push(
                    &format!("{p}.CountryCodes"),
                    "needs at least one country code",
                );
            }
            for (i, code) in s.country_codes.iter().enumerate() {
                if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                    v.push(
                        &format!("{p}.CountryCodes[{i}]"),
                        format!("{code:?} is not an ISO 3166 alpha-2 code such as US"),
                    );
                }
            }
            v.forwarded(
                &format!("{p}.ForwardedIPConfig"),
                s.forwarded_ip_config.as_ref(),
            );
        }
        Statement::RuleGroupReferenceStatement(s) => {
            let p = format!("{path}.RuleGroupReferenceStatement");
            if !top {
                v.push(
                    &p,
                    "a rule group reference cannot be nested in another statement",
                );
            }
            reference(v, &format!("{p}.ARN"), &s.arn, "rulegroup");
            for (i, r) in s.excluded_rules.iter().enumerate() {
                if r.name.is_empty() {
                    v.push(
                        &format!("{p}.ExcludedRules[{i}].Name"),
                        "the rule name is empty",
                    );
                }
            }
            v.overrides(
                &format!("{p}.RuleActionOverrides"),
                &s.rule_action_overrides,
            );
        }
        Statement::IpSetReferenceStatement(s) => {
            let p = format!("{path}.IPSetReferenceStatement");
            reference(v, &format!("{p}.ARN"), &s.arn, "ipset");
            if let Some(c) = &s.ip_set_forwarded_ip_config {
                v.header_name(
                    &format!("{p}.IPSetForwardedIPConfig.HeaderName"),
                    &c.header_name,
                );
            }
        }
        Statement::RegexPatternSetReferenceStatement(s) => {
            let p = format!("{path}.RegexPatternSetReferenceStatement");
            reference(v, &format!("{p}.ARN"), &s.arn, "regexpatternset");
            v.matched(&p, &s.field_to_match, &s.text_transformations);
        }
        Statement::RateBasedStatement(s) => {
            let p = format!("{path}.RateBasedStatement");
            if !top {
                v.push(
                    &p,
                    "a rate-based statement cannot be nested in another statement",
                );
            }
            if !(10..=2_000_000_000).contains(&s.limit) {
                v.push(&format!("{p}.Limit"), "the limit must be 10–2000000000");
            }
            let bad_window = s
                .evaluation_window_sec
                .filter(|w| ![60, 120, 300, 600].contains(w));
            if bad_window.is_some() {
                v.push(
                    &format!("{p}.EvaluationWindowSec"),
                    "the window must be 60, 120, 300 or 600",
                );
            }
            rate_keys(v, &p, s);
            v.forwarded(
                &format!("{p}.ForwardedIPConfig"),
                s.forwarded_ip_config.as_ref(),
            );
            if let Some(scope) = &s.scope_down_statement {
                v.nested(&format!("{p}.ScopeDownStatement"), scope);
            }
        }
        Statement::AndStatement(s) => list(v, &format!("{path}.AndStatement"), &s.statements),
        Statement::OrStatement(s) => list(v, &format!("{path}.OrStatement"), &s.statements),
        Statement::NotStatement(s) => {
            v.nested(&format!("{path}.NotStatement.Statement"), &s.statement);
        }
        Statement::ManagedRuleGroupStatement(s) => {
            let p = format!("{path}.ManagedRuleGroupStatement");
            if !top {
                v.push(
                    &p,
                    "a managed rule group cannot be nested in another statement",
                );
            }
            if s.vendor_name.is_empty() || s.name.is_empty() {
                v.push(&p, "VendorName and Name must be set");
            }
            v.overrides(
                &format!("{p}.RuleActionOverrides"),
                &s.rule_action_overrides,
            );
            if let Some(scope) = &s.scope_down_statement {
                v.nested(&format!("{p}.ScopeDownStatement"), scope);
            }
        }
        Statement::LabelMatchStatement(s) => {
            v.label(&format!("{path}.LabelMatchStatement.Key"), &s.key);
        }
        Statement::RegexMatchStatement(s) => {
            let p = format!("{path}.RegexMatchStatement");
            v.regex(&format!("{p}.RegexString"), &s.regex_string);
            v.matched(&p, &s.field_to_match, &s.text_transformations);
        }
        Statement::AsnMatchStatement(s) => {
            let p = format!("{path}.AsnMatchStatement");
            if !(1..=100).contains(&s.asn_list.len()) {
                v.push(&format!("{p}.AsnList"), "needs 1–100 AS numbers");
            }
            for (i, asn) in s.asn_list.iter().enumerate() {
                if !(0..=4_294_967_295).contains(asn) {
                    v.push(
                        &format!("{p}.AsnList[{i}]"),
                        format!("{asn} is not an AS number"),
                    );
                }
            }
            v.forwarded(
                &format!("{p}.ForwardedIPConfig"),
                s.forwarded_ip_config.as_ref(),
            );
        }
    }
}

fn list(v: &mut Validator, path: &str, statements: &[Statement]) {
    if statements.len() < 2 {
        v.push(
            &format!("{path}.Statements"),
            "needs at least two statements",
        );
    }
    for (i, s) in statements.iter().enumerate() {
        v.nested(&format!("{path}.Statements[{i}]"), s);
    }
}

fn reference(v: &mut Validator, path: &str, text: &str, kind: &str) {
    match arn::parse(text) {
        Some(parsed) if parsed.kind == kind => {}
        Some(parsed) => v.push(path, format!("{text:?} names a {}, not a {kind}", parsed.kind)),
        None => v.push(
            path,
            format!("{text:?} is not a WAF ARN such as arn:aws:wafv2:us-east-1:123456789012:regional/{kind}/NAME/ID"),
        ),
    }
}

fn rate_keys(v: &mut Validator, path: &str, s: &RateBasedStatement) {
    let key_path = format!("{path}.AggregateKeyType");
    let forwarded = s.forwarded_ip_config.is_some();
    let custom = s.custom_keys.len();
    match s.aggregate_key_type {
        AggregateKeyType::ForwardedIp if !forwarded => {
            v.push(
                &key_path,
                "FORWARDED_IP aggregation needs ForwardedIPConfig",
            );
        }
        AggregateKeyType::CustomKeys if !(1..=5).contains(&custom) => {
            v.push(&key_path, "CUSTOM_KEYS aggregation needs 1–5 CustomKeys");
        }
        AggregateKeyType::Ip | AggregateKeyType::ForwardedIp | AggregateKeyType::Constant
            if custom > 0 =>
        {
            v.push(
                &key_path,
                "CustomKeys is only allowed with CUSTOM_KEYS aggregation",
            );
        }
        _ => {}
    }
    let mut has_ip = false;
    let mut has_forwarded = false;
    for (i, key) in s.custom_keys.iter().enumerate() {
        let p = format!("{path}.CustomKeys[{i}]");
        match key {
            RateKey::Header(k) | RateKey::Cookie(k) | RateKey::QueryArgument(k) => {
                if k.name.is_empty() || k.name.len() > 64 {
                    v.push(&format!("{p}.Name"), "the name must be 1–64 characters");
                }
                v.transforms(&format!("{p}.TextTransformations"), &k.text_transformations);
            }
            RateKey::QueryString(k) | RateKey::UriPath(k) => {
                v.transforms(&format!("{p}.TextTransformations"), &k.text_transformations);
            }
            RateKey::LabelNamespace(k) => {
                v.label(&format!("{p}.Namespace"), &k.namespace);
                if !k.namespace.ends_with(':') {
                    v.push(&format!("{p}.Namespace"), "a namespace must end with ':'");
                }
            }
            RateKey::Ip(_) => has_ip = true,
            RateKey::ForwardedIp(_) => has_forwarded = true,
            RateKey::HttpMethod(_)
            | RateKey::Ja3Fingerprint(_)
            | RateKey::Ja4Fingerprint(_)
            | RateKey::Asn(_) => {}
        }
    }
    if has_ip && has_forwarded {
        v.push(
            &format!("{path}.CustomKeys"),
            "IP and ForwardedIP cannot be used together",
        );
    }
    if has_forwarded && !forwarded {
        v.push(
            &format!("{path}.CustomKeys"),
            "a ForwardedIP key needs ForwardedIPConfig",
        );
    }
}
