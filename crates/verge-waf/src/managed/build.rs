//! Small builders for the AWS-format JSON of Verge's managed rule groups. Each group file
//! describes its rules with these; [`super::install`] turns the JSON into model objects
//! through the same parser and validator that users' own rule groups go through.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The account-less ARN prefix of the regex pattern sets the groups reference.
const PATTERN_SET_ARN: &str = "arn:aws:wafv2:us-east-1:000000000000:global/regexpatternset";

/// The account-less ARN prefix of the IP sets the IP list groups reference.
const IP_SET_ARN: &str = "arn:aws:wafv2:us-east-1:000000000000:global/ipset";

/// A named list of regular expressions, registered as a regex pattern set so a field is
/// scanned once for all of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PatternSet {
    /// The set's name in [`crate::Resources`]; reserved for Verge.
    pub name: &'static str,
    /// The patterns, each at most 512 characters (AWS's limit).
    pub patterns: &'static [&'static str],
}

impl PatternSet {
    /// The set as `get-regex-pattern-set` prints it.
    pub(crate) fn to_json(self) -> Value {
        let list: Vec<Value> = self
            .patterns
            .iter()
            .map(|p| json!({ "RegexString": p }))
            .collect();
        json!({
            "Name": self.name,
            "Description": "Part of a Verge managed rule group",
            "RegularExpressionList": list,
        })
    }
}

// === Fields ===

/// `UriPath`.
pub(crate) fn uri_path() -> Value {
    json!({ "UriPath": {} })
}

/// `QueryString`.
pub(crate) fn query_string() -> Value {
    json!({ "QueryString": {} })
}

/// `AllQueryArguments`: every argument value.
pub(crate) fn query_args() -> Value {
    json!({ "AllQueryArguments": {} })
}

/// `Body`, inspected up to the web ACL's limit and continuing past it (AWS's `CONTINUE`).
pub(crate) fn body() -> Value {
    json!({ "Body": { "OversizeHandling": "CONTINUE" } })
}

/// `Headers`: every header's name and value.
pub(crate) fn headers() -> Value {
    json!({ "Headers": {
        "MatchPattern": { "All": {} },
        "MatchScope": "ALL",
        "OversizeHandling": "CONTINUE",
    } })
}

/// `Cookies`: every cookie's value.
pub(crate) fn cookies() -> Value {
    json!({ "Cookies": {
        "MatchPattern": { "All": {} },
        "MatchScope": "VALUE",
        "OversizeHandling": "CONTINUE",
    } })
}

/// `Headers`: every header's value (names are fixed words, not attack input).
pub(crate) fn header_values() -> Value {
    json!({ "Headers": {
        "MatchPattern": { "All": {} },
        "MatchScope": "VALUE",
        "OversizeHandling": "CONTINUE",
    } })
}

/// `SingleHeader`.
pub(crate) fn header(name: &str) -> Value {
    json!({ "SingleHeader": { "Name": name } })
}

/// `Method`.
pub(crate) fn method() -> Value {
    json!({ "Method": {} })
}

// === Text transformations ===
//
// Case-insensitive matching is done by a trailing `LOWERCASE` and lower-case patterns rather
// than `(?i)`: the regex crate's literal prefilters give up on long case-folded literals and
// fall back to scanning every byte, which costs ~20 µs on an 8 KB body instead of ~1 µs.

/// No transformation.
pub(crate) const RAW: &[&str] = &["NONE"];
/// Percent-decoding, IIS `%u` included.
pub(crate) const URL: &[&str] = &["URL_DECODE_UNI"];
/// Percent-decoding twice, for double-encoded payloads (`%252e`).
pub(crate) const URL2: &[&str] = &["URL_DECODE_UNI", "URL_DECODE_UNI"];
/// Percent-decoding, lower case.
pub(crate) const URL_LC: &[&str] = &["URL_DECODE_UNI", "LOWERCASE"];
/// Percent-decoding twice, lower case.
pub(crate) const URL2_LC: &[&str] = &["URL_DECODE_UNI", "URL_DECODE_UNI", "LOWERCASE"];
/// Percent-decoding twice, then HTML character references.
pub(crate) const URL2_HTML: &[&str] = &["URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE"];
/// Percent-decoding twice, HTML character references, lower case.
pub(crate) const URL2_HTML_LC: &[&str] = &[
    "URL_DECODE_UNI",
    "URL_DECODE_UNI",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
];
/// Percent-decoding, JavaScript escapes (`\u0024` in JSON bodies), lower case.
pub(crate) const URL_JS_LC: &[&str] = &["URL_DECODE_UNI", "JS_DECODE", "LOWERCASE"];
/// Percent-decoding, JavaScript escapes, then HTML character references (bodies).
pub(crate) const URL_JS_HTML: &[&str] = &["URL_DECODE_UNI", "JS_DECODE", "HTML_ENTITY_DECODE"];
/// [`URL_JS_HTML`], lower case.
pub(crate) const URL_JS_HTML_LC: &[&str] = &[
    "URL_DECODE_UNI",
    "JS_DECODE",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
];
/// Percent-decoding, C-style comments removed (`UNION/**/SELECT`), whitespace folded, lower
/// case.
pub(crate) const URL_SQL_LC: &[&str] = &[
    "URL_DECODE_UNI",
    "REPLACE_COMMENTS",
    "COMPRESS_WHITE_SPACE",
    "LOWERCASE",
];
/// Percent-decoding, then command-line de-obfuscation (quotes, carets, case, spacing).
pub(crate) const URL_CMD: &[&str] = &["URL_DECODE_UNI", "CMD_LINE"];
/// Percent-decoding twice, then path normalisation with backslashes as slashes.
pub(crate) const URL_PATH: &[&str] = &["URL_DECODE_UNI", "URL_DECODE_UNI", "NORMALIZE_PATH_WIN"];
/// [`URL_PATH`], lower case.
pub(crate) const URL_PATH_LC: &[&str] = &[
    "URL_DECODE_UNI",
    "URL_DECODE_UNI",
    "NORMALIZE_PATH_WIN",
    "LOWERCASE",
];

fn transforms(kinds: &[&str]) -> Value {
    let list: Vec<Value> = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| json!({ "Priority": i, "Type": kind }))
        .collect();
    Value::Array(list)
}

// === Statements ===

/// `RegexMatchStatement`.
pub(crate) fn regex(pattern: &str, field: Value, chain: &[&str]) -> Value {
    json!({ "RegexMatchStatement": {
        "RegexString": pattern,
        "FieldToMatch": field,
        "TextTransformations": transforms(chain),
    } })
}

/// `RegexPatternSetReferenceStatement` on one of the groups' pattern sets.
pub(crate) fn patterns(set: PatternSet, field: Value, chain: &[&str]) -> Value {
    json!({ "RegexPatternSetReferenceStatement": {
        "ARN": format!("{PATTERN_SET_ARN}/{}/verge", set.name),
        "FieldToMatch": field,
        "TextTransformations": transforms(chain),
    } })
}

/// `SqliMatchStatement` at AWS's default (`LOW`) sensitivity.
pub(crate) fn sqli(field: Value, chain: &[&str]) -> Value {
    json!({ "SqliMatchStatement": {
        "FieldToMatch": field,
        "TextTransformations": transforms(chain),
        "SensitivityLevel": "LOW",
    } })
}

/// `XssMatchStatement`.
pub(crate) fn xss(field: Value, chain: &[&str]) -> Value {
    json!({ "XssMatchStatement": {
        "FieldToMatch": field,
        "TextTransformations": transforms(chain),
    } })
}

/// `SizeConstraintStatement`: the field is longer than `size` bytes.
pub(crate) fn larger_than(field: Value, size: u64) -> Value {
    json!({ "SizeConstraintStatement": {
        "FieldToMatch": field,
        "ComparisonOperator": "GT",
        "Size": size,
        "TextTransformations": transforms(RAW),
    } })
}

/// `ByteMatchStatement` with `EXACTLY`, the search string written in base64 as the CLI prints
/// it, so no plain word is mistaken for base64.
pub(crate) fn exactly(text: &str, field: Value, chain: &[&str]) -> Value {
    json!({ "ByteMatchStatement": {
        "SearchString": STANDARD.encode(text),
        "FieldToMatch": field,
        "TextTransformations": transforms(chain),
        "PositionalConstraint": "EXACTLY",
    } })
}

/// `IPSetReferenceStatement` on the viewer's address.
pub(crate) fn ip_set(name: &str) -> Value {
    json!({ "IPSetReferenceStatement": { "ARN": format!("{IP_SET_ARN}/{name}/verge") } })
}

/// `NotStatement`.
pub(crate) fn not(statement: Value) -> Value {
    json!({ "NotStatement": { "Statement": statement } })
}

/// `AndStatement`: a cheap test first, so costlier statements run only when it passes.
pub(crate) fn all(statements: Vec<Value>) -> Value {
    json!({ "AndStatement": { "Statements": statements } })
}

/// `OrStatement`, or the statement itself when there is only one.
pub(crate) fn any(mut statements: Vec<Value>) -> Value {
    if statements.len() == 1 {
        return statements.remove(0);
    }
    json!({ "OrStatement": { "Statements": statements } })
}

// === Rules and groups ===

/// The action a managed rule takes unless the web ACL overrides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Block,
    Count,
}

/// A rule of a managed group: AWS's rule name, the label's last part, the default action and
/// the statement.
pub(crate) struct Rule {
    pub name: &'static str,
    pub label: &'static str,
    pub action: Act,
    pub statement: Value,
}

/// Shorthand for a blocking rule.
pub(crate) fn block(name: &'static str, label: &'static str, statement: Value) -> Rule {
    Rule {
        name,
        label,
        action: Act::Block,
        statement,
    }
}

/// A whole managed rule group, as `get-rule-group` would print it.
pub(crate) fn group(name: &str, namespace: &str, description: &str, rules: Vec<Rule>) -> Value {
    let available: Vec<Value> = rules
        .iter()
        .map(|r| json!({ "Name": format!("{namespace}{}", r.label) }))
        .collect();
    let rules: Vec<Value> = rules
        .into_iter()
        .enumerate()
        .map(|(priority, r)| {
            let action = match r.action {
                Act::Block => json!({ "Block": {} }),
                Act::Count => json!({ "Count": {} }),
            };
            json!({
                "Name": r.name,
                "Priority": priority,
                "Statement": r.statement,
                "Action": action,
                "RuleLabels": [{ "Name": r.label }],
                "VisibilityConfig": visibility(r.name),
            })
        })
        .collect();
    json!({
        "Name": name,
        "Description": description,
        "Rules": rules,
        "VisibilityConfig": visibility(name),
        "LabelNamespace": namespace,
        "AvailableLabels": available,
    })
}

fn visibility(metric: &str) -> Value {
    json!({
        "SampledRequestsEnabled": true,
        "CloudWatchMetricsEnabled": true,
        "MetricName": metric,
    })
}
