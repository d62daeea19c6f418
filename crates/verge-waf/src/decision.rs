//! What evaluating a web ACL returns: the action, the rule that decided it, every rule that
//! matched without deciding, the labels, the rule groups evaluated, the headers to insert
//! into the request sent to the origin, and a custom response for blocks.

/// A rule action, as AWS WAF names them in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Let the request through.
    Allow,
    /// Refuse the request (403 unless a custom response says otherwise).
    Block,
    /// Record the match and go on.
    Count,
    /// Require a solved CAPTCHA.
    Captcha,
    /// Require a solved silent challenge.
    Challenge,
}

impl Action {
    /// The name AWS uses in WAF logs (`ALLOW`, `BLOCK`, ...).
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Block => "BLOCK",
            Self::Count => "COUNT",
            Self::Captcha => "CAPTCHA",
            Self::Challenge => "CHALLENGE",
        }
    }
}

/// A rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// The rule's name (in the web ACL, or in its rule group inside [`GroupResult`]).
    pub rule: String,
    /// The action the rule took.
    pub action: Action,
}

/// One rule group evaluated for the request (AWS's `ruleGroupList` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupResult {
    /// The group's name (`AWS#AWSManagedRulesCommonRuleSet` style for managed groups).
    pub group: String,
    /// The web ACL rule that references the group.
    pub acl_rule: String,
    /// The group rule whose action ended the group's evaluation, if any.
    pub terminating_rule: Option<RuleMatch>,
    /// Group rules that matched with Count.
    pub non_terminating: Vec<RuleMatch>,
    /// Group rules that matched but were set to Count by `ExcludedRules`.
    pub excluded_rules: Vec<String>,
}

/// The body of a custom block response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseBody {
    /// `text/plain`, `text/html` or `application/json`.
    pub content_type: &'static str,
    /// The body text.
    pub content: String,
}

/// The response to send for a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockResponse {
    /// The status code (403 by default).
    pub status: u16,
    /// Headers to add to the response, names as configured.
    pub headers: Vec<(String, String)>,
    /// The body, when the action names one.
    pub body: Option<ResponseBody>,
}

impl Default for BlockResponse {
    fn default() -> Self {
        Self {
            status: 403,
            headers: Vec::new(),
            body: None,
        }
    }
}

/// The outcome of evaluating a web ACL for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to do: Allow, Block, Captcha or Challenge (never Count).
    pub action: Action,
    /// The web ACL rule that decided; `None` when the default action applied.
    pub terminating_rule: Option<String>,
    /// Web ACL rules that matched without deciding (Count, or a rule group under a Count
    /// override), in evaluation order.
    pub non_terminating: Vec<RuleMatch>,
    /// Every rule group evaluated, in order.
    pub rule_groups: Vec<GroupResult>,
    /// Every label added, fully qualified, in the order added.
    pub labels: Vec<String>,
    /// Headers to add to the request sent to the origin when it goes on, names already
    /// carrying AWS's `x-amzn-waf-` prefix.
    pub insert_headers: Vec<(String, String)>,
    /// For Block: the response to send.
    pub block_response: Option<BlockResponse>,
    /// For Captcha and Challenge: how long a solved token grants immunity, in seconds.
    pub immunity_seconds: Option<u64>,
    /// For Captcha and Challenge: why the viewer's token did not satisfy the rule.
    pub token_failure: Option<crate::token::TokenFailure>,
}

impl Decision {
    /// Whether the request goes on to the origin.
    pub fn is_allowed(&self) -> bool {
        self.action == Action::Allow
    }

    /// Whether a label was added.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }
}
