//! WAF metric families: requests by web ACL and action, rule matches by web ACL, rule and
//! action, and labels added by web ACL and label. Rule names and labels come from the web
//! ACLs the operator loaded, so the label values stay bounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::names::{self, counter_base};
use super::registry::Metrics;

/// Labels of a WAF decision.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ActionLabels {
    pub(crate) web_acl: String,
    pub(crate) action: &'static str,
}

/// Labels of a matching rule.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RuleLabels {
    pub(crate) web_acl: String,
    pub(crate) rule: String,
    pub(crate) action: &'static str,
}

/// Labels of an added WAF label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct WafLabelLabels {
    pub(crate) web_acl: String,
    pub(crate) label: String,
}

/// The WAF families, one field of [`Metrics`].
#[derive(Debug, Default)]
pub(super) struct WafFamilies {
    pub(super) requests: Family<ActionLabels, Counter>,
    pub(super) rules: Family<RuleLabels, Counter>,
    pub(super) labels: Family<WafLabelLabels, Counter>,
}

/// Registers the WAF families, which share their storage with `waf`.
pub(super) fn register(registry: &mut Registry, waf: &WafFamilies) {
    registry.register(
        counter_base(names::WAF_REQUESTS_TOTAL),
        "Requests a web ACL decided, by action",
        waf.requests.clone(),
    );
    registry.register(
        counter_base(names::WAF_RULE_MATCHES_TOTAL),
        "Web ACL rules that matched, by rule and action",
        waf.rules.clone(),
    );
    registry.register(
        counter_base(names::WAF_LABELS_TOTAL),
        "Labels web ACL rules added",
        waf.labels.clone(),
    );
}

impl Metrics {
    /// Counts one request `web_acl` decided with `action` (`ALLOW`, `BLOCK`, `CAPTCHA`,
    /// `CHALLENGE`).
    pub fn waf_request(&self, web_acl: &str, action: &'static str) {
        let labels = ActionLabels {
            web_acl: web_acl.to_owned(),
            action,
        };
        self.waf.requests.get_or_create(&labels).inc();
    }

    /// Counts one match of `rule` with the action it took (`COUNT` for non-terminating ones).
    pub fn waf_rule(&self, web_acl: &str, rule: &str, action: &'static str) {
        let labels = RuleLabels {
            web_acl: web_acl.to_owned(),
            rule: rule.to_owned(),
            action,
        };
        self.waf.rules.get_or_create(&labels).inc();
    }

    /// Counts one label added while evaluating `web_acl`.
    pub fn waf_label(&self, web_acl: &str, label: &str) {
        let labels = WafLabelLabels {
            web_acl: web_acl.to_owned(),
            label: label.to_owned(),
        };
        self.waf.labels.get_or_create(&labels).inc();
    }
}
