//! Turns the parsed model into the runtime form: statements get their matchers, references
//! resolve through [`Resources`], label keys get their namespace, actions get their custom
//! responses. Every unresolved reference or unsupported feature is reported with its path.

use std::collections::BTreeMap;
use std::sync::Arc;

mod statement;

use crate::arn;
use crate::decision::{Action, BlockResponse, ResponseBody};
use crate::error::Issue;
use crate::model::RuleGroup;
use crate::model::acl::{
    CustomRequestHandling, CustomResponse, CustomResponseBody, ImmunityConfig, Rule, RuleAction,
};
use crate::model::statement::{RuleActionOverride, Statement};
use crate::rate::RateRule;
use crate::resources::Resources;
use crate::statement::Stmt;

/// AWS's prefix for headers inserted into the request sent to the origin.
pub const INSERTED_HEADER_PREFIX: &str = "x-amzn-waf-";

/// Custom response bodies by key.
pub(crate) type Bodies = BTreeMap<String, CustomResponseBody>;

/// A compiled rule action.
#[derive(Debug, Clone)]
pub(crate) struct CompiledAction {
    pub action: Action,
    /// Headers to insert (Allow, Count, Captcha, Challenge), prefixed.
    pub headers: Vec<(String, String)>,
    /// The response for Block.
    pub response: Option<BlockResponse>,
}

/// A compiled rule of a web ACL or rule group.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub name: String,
    pub kind: RuleKind,
    /// Fully qualified labels added on match.
    pub labels: Vec<String>,
    /// Captcha and challenge immunity set on the rule.
    pub immunity: Immunity,
}

/// Immunity times (seconds) a rule sets for its CAPTCHA and challenge actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Immunity {
    pub captcha: Option<u64>,
    pub challenge: Option<u64>,
}

impl Immunity {
    /// This rule's settings, falling back to `outer`'s.
    pub(crate) fn or(self, outer: Self) -> Self {
        Self {
            captcha: self.captcha.or(outer.captcha),
            challenge: self.challenge.or(outer.challenge),
        }
    }
}

fn seconds(config: Option<&ImmunityConfig>) -> Option<u64> {
    config
        .and_then(|c| c.immunity_time_property.as_ref())
        .and_then(|t| u64::try_from(t.immunity_time).ok())
}

/// What a rule does.
#[derive(Debug)]
pub(crate) enum RuleKind {
    Plain {
        stmt: Stmt,
        action: CompiledAction,
    },
    Rate {
        rate: Box<RateRule>,
        scope_down: Option<Stmt>,
        action: CompiledAction,
    },
    Group {
        group: Arc<CompiledGroup>,
        count_override: bool,
        scope_down: Option<Stmt>,
        excluded: Vec<String>,
        overrides: BTreeMap<String, CompiledAction>,
    },
}

/// A compiled rule group.
#[derive(Debug)]
pub(crate) struct CompiledGroup {
    /// The name logs use: the group's name, or `VENDOR#Name` for managed groups.
    pub id: String,
    pub rules: Vec<CompiledRule>,
}

/// Compilation state: the registry and the problems found so far.
pub(crate) struct Compiler<'a> {
    pub res: &'a Resources,
    pub issues: Vec<Issue>,
    /// Whether the rules being compiled belong to a rule group (which cannot nest groups).
    pub in_group: bool,
}

/// Why a managed rule group cannot be used, with the groups that can.
fn unavailable(res: &Resources, vendor: &str, name: &str) -> String {
    let available: Vec<String> = res
        .managed_rule_groups()
        .into_iter()
        .map(|(v, n)| format!("{v}/{n}"))
        .collect();
    if available.is_empty() {
        format!(
            "managed rule group {vendor}/{name} is not available in Verge; no managed rule \
             groups are installed"
        )
    } else {
        format!(
            "managed rule group {vendor}/{name} is not available in Verge; available: {}",
            available.join(", ")
        )
    }
}

fn insert_headers(handling: Option<&CustomRequestHandling>) -> Vec<(String, String)> {
    handling
        .map(|h| {
            h.insert_headers
                .iter()
                .map(|f| {
                    (
                        format!("{INSERTED_HEADER_PREFIX}{}", f.name),
                        f.value.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn block_response(custom: Option<&CustomResponse>, bodies: &Bodies) -> BlockResponse {
    let Some(c) = custom else {
        return BlockResponse::default();
    };
    let body = c
        .custom_response_body_key
        .as_ref()
        .and_then(|k| bodies.get(k));
    BlockResponse {
        status: u16::try_from(c.response_code).unwrap_or(403),
        headers: c
            .response_headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
        body: body.map(|b| ResponseBody {
            content_type: b.content_type.mime(),
            content: b.content.clone(),
        }),
    }
}

impl Compiler<'_> {
    pub(super) fn issue(&mut self, path: &str, message: impl Into<String>) {
        self.issues.push(Issue {
            path: path.to_owned(),
            message: message.into(),
        });
    }

    /// Compiles an action; `bodies` are those of the ACL or group the action is written in.
    pub(crate) fn action(&mut self, a: &RuleAction, bodies: &Bodies) -> CompiledAction {
        let (action, handling) = if let Some(b) = &a.block {
            return CompiledAction {
                action: Action::Block,
                headers: Vec::new(),
                response: Some(block_response(b.custom_response.as_ref(), bodies)),
            };
        } else if let Some(x) = &a.allow {
            (Action::Allow, x.custom_request_handling.as_ref())
        } else if let Some(x) = &a.captcha {
            (Action::Captcha, x.custom_request_handling.as_ref())
        } else if let Some(x) = &a.challenge {
            (Action::Challenge, x.custom_request_handling.as_ref())
        } else {
            (
                Action::Count,
                a.count
                    .as_ref()
                    .and_then(|x| x.custom_request_handling.as_ref()),
            )
        };
        CompiledAction {
            action,
            headers: insert_headers(handling),
            response: None,
        }
    }

    /// Compiles rules in priority order. `ns` and `bodies` belong to the ACL or group that
    /// holds them.
    pub(crate) fn rules(&mut self, rules: &[Rule], ns: &str, bodies: &Bodies) -> Vec<CompiledRule> {
        let mut order: Vec<(usize, &Rule)> = rules.iter().enumerate().collect();
        order.sort_by_key(|(_, r)| r.priority);
        order
            .into_iter()
            .filter_map(|(i, rule)| self.rule(&format!("Rules[{i}]"), rule, ns, bodies))
            .collect()
    }

    fn rule(&mut self, path: &str, rule: &Rule, ns: &str, bodies: &Bodies) -> Option<CompiledRule> {
        let labels = rule
            .rule_labels
            .iter()
            .map(|l| format!("{ns}{}", l.name))
            .collect();
        let immunity = Immunity {
            captcha: seconds(rule.captcha_config.as_ref()),
            challenge: seconds(rule.challenge_config.as_ref()),
        };
        let spath = format!("{path}.Statement");
        let count_override = rule
            .override_action
            .as_ref()
            .is_some_and(|o| o.count.is_some());
        let references_group = matches!(
            rule.statement,
            Statement::RuleGroupReferenceStatement(_) | Statement::ManagedRuleGroupStatement(_)
        );
        if self.in_group && references_group {
            self.issue(&spath, "a rule group cannot reference another rule group");
            return None;
        }
        let kind = match &rule.statement {
            Statement::RuleGroupReferenceStatement(r) => {
                let p = format!("{spath}.RuleGroupReferenceStatement");
                let name = self.resolve(&format!("{p}.ARN"), &r.arn, "rulegroup")?;
                let Some(group) = self.res.rule_group(name) else {
                    self.issue(
                        &format!("{p}.ARN"),
                        format!("rule group {name:?} is not loaded"),
                    );
                    return None;
                };
                let group = self.group(&p, group, group.name.clone(), None)?;
                self.group_rule(
                    group,
                    count_override,
                    None,
                    &r.excluded_rules,
                    &r.rule_action_overrides,
                    bodies,
                )
            }
            Statement::ManagedRuleGroupStatement(m) => {
                let p = format!("{spath}.ManagedRuleGroupStatement");
                // Verge has one version of each group: a pinned `Version` compiles against it.
                let Some(group) = self.res.managed_group(&m.vendor_name, &m.name) else {
                    let message = unavailable(self.res, &m.vendor_name, &m.name);
                    self.issue(&p, message);
                    return None;
                };
                let id = format!("{}#{}", m.vendor_name, m.name);
                let group = self.group(&p, group, id, Some(&m.vendor_name))?;
                let scope = match &m.scope_down_statement {
                    Some(s) => Some(self.statement(&format!("{p}.ScopeDownStatement"), s, ns)?),
                    None => None,
                };
                self.group_rule(
                    group,
                    count_override,
                    scope,
                    &m.excluded_rules,
                    &m.rule_action_overrides,
                    bodies,
                )
            }
            Statement::RateBasedStatement(r) => {
                let p = format!("{spath}.RateBasedStatement");
                let scope_down = match &r.scope_down_statement {
                    Some(s) => Some(self.statement(&format!("{p}.ScopeDownStatement"), s, ns)?),
                    None => None,
                };
                let Some(action) = &rule.action else {
                    self.issue(path, "a rule needs Action");
                    return None;
                };
                RuleKind::Rate {
                    rate: Box::new(RateRule::new(r, self.res.rate_key_capacity())),
                    scope_down,
                    action: self.action(action, bodies),
                }
            }
            other => {
                let stmt = self.statement(&spath, other, ns)?;
                let Some(action) = &rule.action else {
                    self.issue(path, "a rule needs Action");
                    return None;
                };
                RuleKind::Plain {
                    stmt,
                    action: self.action(action, bodies),
                }
            }
        };
        Some(CompiledRule {
            name: rule.name.clone(),
            kind,
            labels,
            immunity,
        })
    }

    fn group_rule(
        &mut self,
        group: CompiledGroup,
        count_override: bool,
        scope_down: Option<Stmt>,
        excluded: &[crate::model::statement::ExcludedRule],
        overrides: &[RuleActionOverride],
        bodies: &Bodies,
    ) -> RuleKind {
        let overrides = overrides
            .iter()
            .map(|o| (o.name.clone(), self.action(&o.action_to_use, bodies)))
            .collect();
        RuleKind::Group {
            group: Arc::new(group),
            count_override,
            scope_down,
            excluded: excluded.iter().map(|e| e.name.clone()).collect(),
            overrides,
        }
    }

    fn group(
        &mut self,
        path: &str,
        group: &RuleGroup,
        id: String,
        vendor: Option<&str>,
    ) -> Option<CompiledGroup> {
        let ns = match (&group.label_namespace, vendor) {
            (Some(ns), _) => ns.clone(),
            (None, Some(v)) => format!("awswaf:managed:{}:{}:", v.to_ascii_lowercase(), group.name),
            (None, None) => {
                let account = group
                    .arn
                    .as_deref()
                    .and_then(arn::parse)
                    .map(|a| a.account.to_owned())
                    .filter(|a| !a.is_empty())
                    .unwrap_or_else(|| self.res.account().to_owned());
                format!("awswaf:{account}:rulegroup:{}:", group.name)
            }
        };
        let before = self.issues.len();
        self.in_group = true;
        let rules = self.rules(&group.rules, &ns, &group.custom_response_bodies);
        self.in_group = false;
        // Problems inside a group are reported under the referencing rule's path.
        for issue in &mut self.issues[before..] {
            issue.path = format!("{path} -> rule group {:?}: {}", group.name, issue.path);
        }
        (self.issues.len() == before).then_some(CompiledGroup { id, rules })
    }
}
