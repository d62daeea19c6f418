//! The web ACL and its rules as `aws wafv2 get-web-acl` prints them, field for field, with
//! AWS's PascalCase names. Fields AWS defines but Verge does not act on (Firewall Manager,
//! data protection, Shield) are accepted and ignored; anything else is rejected.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::statement::Statement;

/// The object under `WebACL`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WebAcl {
    /// The web ACL's name.
    pub name: String,
    /// AWS's identifier.
    #[serde(default)]
    pub id: Option<String>,
    /// AWS's ARN; its account id enters label names.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// The action when no rule terminates evaluation.
    pub default_action: DefaultAction,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The rules, evaluated by priority.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Metrics and sampling settings.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
    /// Web ACL capacity units consumed, as AWS computed them.
    #[serde(default)]
    pub capacity: Option<i64>,
    /// Firewall Manager rule groups that run first (ignored).
    #[serde(default)]
    pub pre_process_firewall_manager_rule_groups: Option<serde_json::Value>,
    /// Firewall Manager rule groups that run last (ignored).
    #[serde(default)]
    pub post_process_firewall_manager_rule_groups: Option<serde_json::Value>,
    /// Whether Firewall Manager manages this ACL (ignored).
    #[serde(default)]
    pub managed_by_firewall_manager: Option<bool>,
    /// Whether Firewall Manager retrofitted this ACL (ignored).
    #[serde(default)]
    pub retrofitted_by_firewall_manager: Option<bool>,
    /// `awswaf:<account>:webacl:<name>:`, the prefix of the labels this ACL's rules add.
    #[serde(default)]
    pub label_namespace: Option<String>,
    /// Bodies for custom block responses, by key.
    #[serde(default)]
    pub custom_response_bodies: BTreeMap<String, CustomResponseBody>,
    /// CAPTCHA immunity for rules that do not set their own.
    #[serde(default)]
    pub captcha_config: Option<ImmunityConfig>,
    /// Challenge immunity for rules that do not set their own.
    #[serde(default)]
    pub challenge_config: Option<ImmunityConfig>,
    /// Domains that accept this ACL's tokens.
    #[serde(default)]
    pub token_domains: Vec<String>,
    /// How much of the body is inspected, per resource type.
    #[serde(default)]
    pub association_config: Option<AssociationConfig>,
    /// Log field redaction (ignored).
    #[serde(default)]
    pub data_protection_config: Option<serde_json::Value>,
    /// Shield on-source DDoS settings (ignored).
    #[serde(default, rename = "OnSourceDDoSProtectionConfig")]
    pub on_source_ddos_protection_config: Option<serde_json::Value>,
    /// Application attributes (ignored).
    #[serde(default)]
    pub application_config: Option<serde_json::Value>,
}

/// `DefaultAction`: exactly one of `Allow` and `Block`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DefaultAction {
    /// Allow the request.
    #[serde(default)]
    pub allow: Option<AllowAction>,
    /// Block the request.
    #[serde(default)]
    pub block: Option<BlockAction>,
}

/// One rule of a web ACL or rule group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Rule {
    /// Unique within the ACL or group.
    pub name: String,
    /// Evaluation order, unique, lowest first.
    pub priority: i64,
    /// What the rule inspects.
    pub statement: Statement,
    /// The action, for rules that do not reference a rule group.
    #[serde(default)]
    pub action: Option<RuleAction>,
    /// The override, for rules that reference a rule group.
    #[serde(default)]
    pub override_action: Option<OverrideAction>,
    /// Labels added when the rule matches.
    #[serde(default)]
    pub rule_labels: Vec<Label>,
    /// Metrics and sampling settings.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
    /// CAPTCHA immunity for this rule.
    #[serde(default)]
    pub captcha_config: Option<ImmunityConfig>,
    /// Challenge immunity for this rule.
    #[serde(default)]
    pub challenge_config: Option<ImmunityConfig>,
}

/// A rule's action: exactly one key is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleAction {
    /// Block the request.
    #[serde(default)]
    pub block: Option<BlockAction>,
    /// Allow the request.
    #[serde(default)]
    pub allow: Option<AllowAction>,
    /// Count and carry on.
    #[serde(default)]
    pub count: Option<CountAction>,
    /// Require a solved CAPTCHA.
    #[serde(default)]
    pub captcha: Option<CountAction>,
    /// Require a solved silent challenge.
    #[serde(default)]
    pub challenge: Option<CountAction>,
}

/// A rule-group rule's override: exactly one of `Count` and `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OverrideAction {
    /// Turn the group's terminating actions into Count.
    #[serde(default)]
    pub count: Option<CountAction>,
    /// Keep the group's own actions.
    #[serde(default)]
    pub none: Option<super::field::Empty>,
}

/// `Block`, with an optional custom response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BlockAction {
    /// The response sent instead of the default 403.
    #[serde(default)]
    pub custom_response: Option<CustomResponse>,
}

/// `Allow`, with optional headers added to the request sent to the origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AllowAction {
    /// Headers inserted into the request.
    #[serde(default)]
    pub custom_request_handling: Option<CustomRequestHandling>,
}

/// `Count`, `Captcha` and `Challenge`: optional headers added when the request goes on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CountAction {
    /// Headers inserted into the request.
    #[serde(default)]
    pub custom_request_handling: Option<CustomRequestHandling>,
}

/// Headers to insert into the request sent to the origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomRequestHandling {
    /// Each name gets AWS's `x-amzn-waf-` prefix.
    pub insert_headers: Vec<HeaderField>,
}

/// A custom block response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomResponse {
    /// The status code, 200 to 599.
    pub response_code: i64,
    /// A key of the ACL's (or group's) `CustomResponseBodies`.
    #[serde(default)]
    pub custom_response_body_key: Option<String>,
    /// Headers added to the response.
    #[serde(default)]
    pub response_headers: Vec<HeaderField>,
}

/// A header name and value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeaderField {
    /// The header name.
    pub name: String,
    /// The header value.
    pub value: String,
}

/// A label a rule adds (`RuleLabels`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Label {
    /// The label, relative to the ACL's or group's namespace.
    pub name: String,
}

/// `VisibilityConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VisibilityConfig {
    /// Whether sampled requests are kept.
    pub sampled_requests_enabled: bool,
    /// Whether metrics are published.
    pub cloud_watch_metrics_enabled: bool,
    /// The metric name.
    pub metric_name: String,
}

/// `CaptchaConfig` / `ChallengeConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ImmunityConfig {
    /// How long a solved token stays valid.
    #[serde(default)]
    pub immunity_time_property: Option<ImmunityTimeProperty>,
}

/// `ImmunityTimeProperty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ImmunityTimeProperty {
    /// Seconds, 60 to 259200.
    pub immunity_time: i64,
}

/// A body for custom responses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomResponseBody {
    /// The media type.
    pub content_type: ResponseContentType,
    /// The body, at most 4 KB.
    pub content: String,
}

/// `ContentType` of a custom response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponseContentType {
    /// `text/plain`.
    TextPlain,
    /// `text/html`.
    TextHtml,
    /// `application/json`.
    ApplicationJson,
}

impl ResponseContentType {
    /// The `Content-Type` header value.
    pub fn mime(self) -> &'static str {
        match self {
            Self::TextPlain => "text/plain",
            Self::TextHtml => "text/html",
            Self::ApplicationJson => "application/json",
        }
    }
}

/// `AssociationConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AssociationConfig {
    /// Body inspection limits by resource type (`CLOUDFRONT`, `API_GATEWAY`, ...).
    #[serde(default)]
    pub request_body: BTreeMap<String, RequestBodyConfig>,
}

/// The body inspection limit for one resource type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RequestBodyConfig {
    /// How much of the body is inspected.
    pub default_size_inspection_limit: SizeInspectionLimit,
}

/// A body inspection limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SizeInspectionLimit {
    /// 16 KB, AWS's default.
    #[default]
    #[serde(rename = "KB_16")]
    Kb16,
    /// 32 KB.
    #[serde(rename = "KB_32")]
    Kb32,
    /// 48 KB.
    #[serde(rename = "KB_48")]
    Kb48,
    /// 64 KB.
    #[serde(rename = "KB_64")]
    Kb64,
}

impl SizeInspectionLimit {
    /// The limit in bytes.
    pub fn bytes(self) -> usize {
        match self {
            Self::Kb16 => 16 * 1024,
            Self::Kb32 => 32 * 1024,
            Self::Kb48 => 48 * 1024,
            Self::Kb64 => 64 * 1024,
        }
    }
}

/// The resource types AWS accepts as `AssociationConfig.RequestBody` keys.
pub const BODY_RESOURCE_TYPES: &[&str] = &[
    "CLOUDFRONT",
    "API_GATEWAY",
    "COGNITO_USER_POOL",
    "APP_RUNNER_SERVICE",
    "VERIFIED_ACCESS_INSTANCE",
    "AMPLIFY",
];

impl WebAcl {
    /// The body inspection limit for CloudFront, the resource type Verge stands in for;
    /// 16 KB unless `AssociationConfig` raises it.
    pub fn body_inspection_limit(&self) -> usize {
        self.association_config
            .as_ref()
            .and_then(|c| c.request_body.get("CLOUDFRONT"))
            .map(|c| c.default_size_inspection_limit)
            .unwrap_or_default()
            .bytes()
    }
}
