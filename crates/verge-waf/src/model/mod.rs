//! AWS WAF's JSON documents as serde types, and loading them: parse (with the JSON path of
//! any error), then validate (every problem, each with its path). Each document is accepted
//! bare or inside the envelope the CLI prints (`{"WebACL": {...}, "LockToken": "..."}`).

pub mod acl;
pub mod field;
pub mod rate;
pub mod search_string;
pub mod sets;
pub mod statement;
mod validate;
mod validate_action;
mod validate_field;
mod validate_statement;

use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use acl::WebAcl;
pub use sets::{IpSet, RegexPatternSet, RuleGroup};
pub use statement::Statement;

use crate::error::Error;
use validate::Validator;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebAclEnvelope {
    #[serde(rename = "WebACL")]
    web_acl: WebAcl,
    #[serde(rename = "LockToken", default)]
    _lock_token: Option<String>,
    #[serde(rename = "ApplicationIntegrationURL", default)]
    _integration_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleGroupEnvelope {
    #[serde(rename = "RuleGroup")]
    rule_group: RuleGroup,
    #[serde(rename = "LockToken", default)]
    _lock_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IpSetEnvelope {
    #[serde(rename = "IPSet")]
    ip_set: IpSet,
    #[serde(rename = "LockToken", default)]
    _lock_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegexPatternSetEnvelope {
    #[serde(rename = "RegexPatternSet")]
    set: RegexPatternSet,
    #[serde(rename = "LockToken", default)]
    _lock_token: Option<String>,
}

/// Parses and validates a web ACL (`get-web-acl` output or the bare `WebACL` object).
pub fn parse_web_acl(text: &str) -> Result<WebAcl, Error> {
    let acl = if has_key(text, "WebACL") {
        parse::<WebAclEnvelope>(text, "web ACL")?.web_acl
    } else {
        parse::<WebAcl>(text, "web ACL")?
    };
    let mut v = Validator::default();
    v.web_acl(&acl);
    finish(v, "web ACL", &acl.name)?;
    Ok(acl)
}

/// Parses and validates a rule group (`get-rule-group` output or the bare object).
pub fn parse_rule_group(text: &str) -> Result<RuleGroup, Error> {
    let group = if has_key(text, "RuleGroup") {
        parse::<RuleGroupEnvelope>(text, "rule group")?.rule_group
    } else {
        parse::<RuleGroup>(text, "rule group")?
    };
    let mut v = Validator::default();
    v.rule_group(&group);
    finish(v, "rule group", &group.name)?;
    Ok(group)
}

/// Parses and validates an IP set (`get-ip-set` output or the bare object).
pub fn parse_ip_set(text: &str) -> Result<IpSet, Error> {
    let set = if has_key(text, "IPSet") {
        parse::<IpSetEnvelope>(text, "IP set")?.ip_set
    } else {
        parse::<IpSet>(text, "IP set")?
    };
    let mut v = Validator::default();
    v.ip_set(&set);
    finish(v, "IP set", &set.name)?;
    Ok(set)
}

/// Parses and validates a regex pattern set (`get-regex-pattern-set` output or the bare object).
pub fn parse_regex_pattern_set(text: &str) -> Result<RegexPatternSet, Error> {
    let set = if has_key(text, "RegexPatternSet") {
        parse::<RegexPatternSetEnvelope>(text, "regex pattern set")?.set
    } else {
        parse::<RegexPatternSet>(text, "regex pattern set")?
    };
    let mut v = Validator::default();
    v.regex_pattern_set(&set);
    finish(v, "regex pattern set", &set.name)?;
    Ok(set)
}

/// Whether the document's top-level object has `key` (the CLI's envelope).
fn has_key(text: &str, key: &str) -> bool {
    #[derive(Deserialize)]
    struct Keys(serde_json::Map<String, serde_json::Value>);
    serde_json::from_str::<Keys>(text).is_ok_and(|k| k.0.contains_key(key))
}

fn parse<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| parse_error(e, what))?;
    de.end().map_err(|e| Error::Parse {
        what,
        path: String::new(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok(value)
}

fn parse_error(e: serde_path_to_error::Error<serde_json::Error>, what: &'static str) -> Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    Error::Parse {
        what,
        path,
        line: inner.line(),
        column: inner.column(),
        message: inner.to_string(),
    }
}

fn finish(v: Validator, what: &'static str, name: &str) -> Result<(), Error> {
    if v.issues.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid {
            what,
            name: name.to_owned(),
            issues: v.issues,
        })
    }
}

#[cfg(test)]
mod tests;
