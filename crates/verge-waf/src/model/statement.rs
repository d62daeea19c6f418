//! Rule statements as AWS WAF's JSON spells them: one key per statement object
//! (`{"ByteMatchStatement": {...}}`), nested through `And`, `Or`, `Not` and scope-downs.

use serde::Deserialize;

use super::acl::RuleAction;
use super::field::{FieldToMatch, TextTransformation};
use super::search_string::SearchString;

pub use super::rate::{AggregateKeyType, RateBasedStatement, RateKey};

/// One rule statement. Exactly one key is set in AWS's JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Statement {
    /// A string searched for in a field.
    ByteMatchStatement(ByteMatchStatement),
    /// SQL injection detection.
    SqliMatchStatement(SqliMatchStatement),
    /// Cross-site scripting detection.
    XssMatchStatement(XssMatchStatement),
    /// A comparison of a field's length.
    SizeConstraintStatement(SizeConstraintStatement),
    /// The viewer's country.
    GeoMatchStatement(GeoMatchStatement),
    /// A rule group of the same account.
    RuleGroupReferenceStatement(RuleGroupReferenceStatement),
    /// An IP set.
    #[serde(rename = "IPSetReferenceStatement")]
    IpSetReferenceStatement(IpSetReferenceStatement),
    /// A regex pattern set.
    RegexPatternSetReferenceStatement(RegexPatternSetReferenceStatement),
    /// A rate limit.
    RateBasedStatement(Box<RateBasedStatement>),
    /// All nested statements match.
    AndStatement(AndStatement),
    /// Any nested statement matches.
    OrStatement(OrStatement),
    /// The nested statement does not match.
    NotStatement(Box<NotStatement>),
    /// A managed rule group, by vendor and name.
    ManagedRuleGroupStatement(Box<ManagedRuleGroupStatement>),
    /// A label added by an earlier rule.
    LabelMatchStatement(LabelMatchStatement),
    /// A regular expression.
    RegexMatchStatement(RegexMatchStatement),
    /// The viewer's autonomous system.
    AsnMatchStatement(AsnMatchStatement),
}

/// Where `SearchString` must occur in the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionalConstraint {
    /// The whole field equals the string.
    Exactly,
    /// The field starts with the string.
    StartsWith,
    /// The field ends with the string.
    EndsWith,
    /// The string occurs anywhere.
    Contains,
    /// The string occurs delimited by non-word characters or the field's ends.
    ContainsWord,
}

/// `ByteMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ByteMatchStatement {
    /// The bytes to look for (see [`SearchString`] for how base64 is recognised).
    pub search_string: SearchString,
    /// The inspected field.
    pub field_to_match: FieldToMatch,
    /// Transformations applied to the field first.
    pub text_transformations: Vec<TextTransformation>,
    /// Where the string must occur.
    pub positional_constraint: PositionalConstraint,
}

/// How eager SQL injection detection is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SensitivityLevel {
    /// Fewer false positives (AWS's default).
    #[default]
    Low,
    /// More detections, more false positives.
    High,
}

/// `SqliMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SqliMatchStatement {
    /// The inspected field.
    pub field_to_match: FieldToMatch,
    /// Transformations applied to the field first.
    pub text_transformations: Vec<TextTransformation>,
    /// `LOW` when absent.
    #[serde(default)]
    pub sensitivity_level: Option<SensitivityLevel>,
}

/// `XssMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct XssMatchStatement {
    /// The inspected field.
    pub field_to_match: FieldToMatch,
    /// Transformations applied to the field first.
    pub text_transformations: Vec<TextTransformation>,
}

/// A size comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ComparisonOperator {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less than or equal.
    Le,
    /// Less than.
    Lt,
    /// Greater than or equal.
    Ge,
    /// Greater than.
    Gt,
}

/// `SizeConstraintStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SizeConstraintStatement {
    /// The inspected field.
    pub field_to_match: FieldToMatch,
    /// How the field's size compares with `Size`.
    pub comparison_operator: ComparisonOperator,
    /// The size in bytes, 0 to 21474836480.
    pub size: i64,
    /// Transformations applied to the field first.
    pub text_transformations: Vec<TextTransformation>,
}

/// The result when a forwarded-IP header is missing or malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForwardedIpFallback {
    /// Treat the statement as matching.
    Match,
    /// Treat the statement as not matching.
    NoMatch,
}

/// Take the viewer's address from a header instead of the connection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ForwardedIpConfig {
    /// The header, such as `X-Forwarded-For`.
    pub header_name: String,
    /// The result when the header is missing or not an IP.
    pub fallback_behavior: ForwardedIpFallback,
}

/// `GeoMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GeoMatchStatement {
    /// ISO 3166 alpha-2 codes.
    #[serde(default)]
    pub country_codes: Vec<String>,
    /// Take the address from a header.
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}

/// A rule excluded from a rule group (its action becomes Count).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ExcludedRule {
    /// The rule's name in the group.
    pub name: String,
}

/// A rule group rule whose action is replaced.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleActionOverride {
    /// The rule's name in the group.
    pub name: String,
    /// The action to use instead.
    pub action_to_use: RuleAction,
}

/// `RuleGroupReferenceStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleGroupReferenceStatement {
    /// The rule group's ARN; resolved by name.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Rules set to Count (the older form of overrides).
    #[serde(default)]
    pub excluded_rules: Vec<ExcludedRule>,
    /// Rules whose action is replaced.
    #[serde(default)]
    pub rule_action_overrides: Vec<RuleActionOverride>,
}

/// Which address in a forwarded-IP header list is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ForwardedIpPosition {
    /// The first (left-most) address.
    First,
    /// The last (right-most) address.
    Last,
    /// Any of the first ten addresses.
    Any,
}

/// `IPSetForwardedIPConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSetForwardedIpConfig {
    /// The header, such as `X-Forwarded-For`.
    pub header_name: String,
    /// The result when the header is missing or malformed.
    pub fallback_behavior: ForwardedIpFallback,
    /// Which address in the list is checked.
    pub position: ForwardedIpPosition,
}

/// `IPSetReferenceStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSetReferenceStatement {
    /// The IP set's ARN; resolved by name.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Take the address from a header.
    #[serde(default, rename = "IPSetForwardedIPConfig")]
    pub ip_set_forwarded_ip_config: Option<IpSetForwardedIpConfig>,
}

/// `RegexPatternSetReferenceStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexPatternSetReferenceStatement {
    /// The pattern set's ARN; resolved by name.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// The inspected field.
    pub field_to_match: FieldToMatch,
    /// Transformations applied to the field first.
    pub text_transformations: Vec<TextTransformation>,
}

/// `AndStatement`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AndStatement {
    /// At least two statements.
    pub statements: Vec<Statement>,
}

/// `OrStatement`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OrStatement {
    /// At least two statements.
    pub statements: Vec<Statement>,
}

/// `NotStatement`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NotStatement {
    /// The negated statement.
    pub statement: Statement,
}

/// `ManagedRuleGroupStatement`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ManagedRuleGroupStatement {
    /// The vendor, such as `AWS`.
    pub vendor_name: String,
    /// The group, such as `AWSManagedRulesCommonRuleSet`.
    pub name: String,
    /// A pinned version.
    #[serde(default)]
    pub version: Option<String>,
    /// Rules set to Count.
    #[serde(default)]
    pub excluded_rules: Vec<ExcludedRule>,
    /// Only requests matching this are evaluated by the group.
    #[serde(default)]
    pub scope_down_statement: Option<Statement>,
    /// Group-specific settings (bot control, ATP, ACFP), kept as AWS prints them.
    #[serde(default)]
    pub managed_rule_group_configs: Vec<serde_json::Value>,
    /// Rules whose action is replaced.
    #[serde(default)]
    pub rule_action_overrides: Vec<RuleActionOverride>,
}

/// Whether a label match names a whole label or a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LabelMatchScope {
    /// The key names a label.
    Label,
    /// The key names a namespace.
    Namespace,
}

/// `LabelMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LabelMatchStatement {
    /// Label or namespace.
    pub scope: LabelMatchScope,
    /// The label or namespace, fully qualified or relative to the statement's context.
    pub key: String,
}

/// `RegexMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexMatchStatement {
    /// The pattern.
    pub regex_string: String,
    /// The inspected field.
    pub field_to_match: FieldToMatch,
    /// Transformations applied to the field first.
    pub text_transformations: Vec<TextTransformation>,
}

/// `AsnMatchStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AsnMatchStatement {
    /// Autonomous system numbers.
    pub asn_list: Vec<i64>,
    /// Take the address from a header.
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}
