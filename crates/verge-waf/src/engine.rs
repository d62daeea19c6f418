//! A compiled web ACL and its evaluation: rules run in priority order, labels become visible
//! to later rules, Count records and goes on, the first terminating action decides, and the
//! default action applies when none does. This is what the edge's `waf_filter` calls.

use crate::compile::{CompiledAction, CompiledGroup, CompiledRule, Compiler, Immunity, RuleKind};
use crate::decision::{Action, Decision, GroupResult, RuleMatch};
use crate::error::Error;
use crate::model::{self, WebAcl};
use crate::rate::RateRule;
use crate::request::{Env, Request};
use crate::resources::Resources;
use crate::statement::{Ctx, Stmt};
use crate::token::{Kind, TokenContext};

/// AWS's immunity time when neither the rule nor the ACL sets one, in seconds.
const DEFAULT_IMMUNITY: u64 = 300;

/// A web ACL ready to evaluate requests. Immutable and shareable across threads.
#[derive(Debug)]
pub struct WebAclEngine {
    name: String,
    namespace: String,
    default: CompiledAction,
    rules: Vec<CompiledRule>,
    body_limit: usize,
    captcha_immunity: u64,
    challenge_immunity: u64,
    /// `TokenDomains`: domains whose tokens this ACL accepts besides the host's.
    token_domains: Vec<String>,
}

impl WebAclEngine {
    /// Parses, validates and compiles a web ACL from JSON (`get-web-acl` output or bare).
    pub fn from_json(text: &str, resources: &Resources) -> Result<Self, Error> {
        Self::compile(&model::parse_web_acl(text)?, resources)
    }

    /// Compiles a parsed web ACL, resolving references through `resources`. Every problem is
    /// reported at once.
    pub fn compile(acl: &WebAcl, resources: &Resources) -> Result<Self, Error> {
        let namespace = acl.label_namespace.clone().unwrap_or_else(|| {
            let account = acl
                .arn
                .as_deref()
                .and_then(crate::arn::parse)
                .map(|a| a.account.to_owned())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| resources.account().to_owned());
            format!("awswaf:{account}:webacl:{}:", acl.name)
        });
        let mut compiler = Compiler {
            res: resources,
            issues: Vec::new(),
            in_group: false,
        };
        let rules = compiler.rules(&acl.rules, &namespace, &acl.custom_response_bodies);
        let default = match (&acl.default_action.block, &acl.default_action.allow) {
            (Some(block), _) => {
                let action = model::acl::RuleAction {
                    block: Some(block.clone()),
                    ..Default::default()
                };
                compiler.action(&action, &acl.custom_response_bodies)
            }
            (None, allow) => {
                let action = model::acl::RuleAction {
                    allow: Some(allow.clone().unwrap_or_default()),
                    ..Default::default()
                };
                compiler.action(&action, &acl.custom_response_bodies)
            }
        };
        if !compiler.issues.is_empty() {
            return Err(Error::Invalid {
                what: "web ACL",
                name: acl.name.clone(),
                issues: compiler.issues,
            });
        }
        let immunity = |c: &Option<model::acl::ImmunityConfig>| {
            c.as_ref()
                .and_then(|c| c.immunity_time_property.as_ref())
                .and_then(|t| u64::try_from(t.immunity_time).ok())
                .unwrap_or(DEFAULT_IMMUNITY)
        };
        Ok(Self {
            name: acl.name.clone(),
            namespace,
            default,
            rules,
            body_limit: acl.body_inspection_limit(),
            captcha_immunity: immunity(&acl.captcha_config),
            challenge_immunity: immunity(&acl.challenge_config),
            token_domains: acl.token_domains.clone(),
        })
    }

    /// `TokenDomains`: the domains whose tokens this ACL accepts besides the request's host.
    pub fn token_domains(&self) -> &[String] {
        &self.token_domains
    }

    /// The web ACL's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The prefix of labels this ACL's own rules add (`awswaf:<account>:webacl:<name>:`).
    pub fn label_namespace(&self) -> &str {
        &self.namespace
    }

    /// How many body bytes the edge should hand over (16 to 64 KB, from `AssociationConfig`).
    pub fn body_inspection_limit(&self) -> usize {
        self.body_limit
    }

    /// Evaluates a request.
    pub fn evaluate(&self, req: &Request, env: Env<'_>) -> Decision {
        let mut run = Run {
            req,
            env,
            body_limit: self.body_limit,
            labels: Vec::new(),
            non_terminating: Vec::new(),
            groups: Vec::new(),
            headers: Vec::new(),
            tokens: TokenContext::new(&env, req, &self.token_domains),
            immunity: Immunity {
                captcha: Some(self.captcha_immunity),
                challenge: Some(self.challenge_immunity),
            },
            token_labelled: false,
        };
        for rule in &self.rules {
            if let Some((action, immunity)) = run.rule(rule) {
                let name = rule.name.clone();
                return self.finish(run, Some(name), action, immunity);
            }
        }
        let default = self.default.clone();
        self.finish(run, None, default, Immunity::default())
    }

    fn finish(
        &self,
        mut run: Run<'_>,
        rule: Option<String>,
        action: CompiledAction,
        immunity: Immunity,
    ) -> Decision {
        let immunity_seconds = match action.action {
            Action::Captcha => Some(immunity.captcha.unwrap_or(self.captcha_immunity)),
            Action::Challenge => Some(immunity.challenge.unwrap_or(self.challenge_immunity)),
            _ => None,
        };
        let token_failure = match (action.action, immunity_seconds) {
            (Action::Captcha, Some(secs)) => run.tokens.check(Kind::Captcha, secs).err(),
            (Action::Challenge, Some(secs)) => run.tokens.check(Kind::Challenge, secs).err(),
            _ => None,
        };
        let insert_headers = match action.action {
            Action::Block => Vec::new(),
            // A CAPTCHA or Challenge that ends evaluation lets nothing through: its headers
            // are for requests whose token passes.
            Action::Captcha | Action::Challenge => run.headers,
            _ => {
                run.headers.extend(action.headers);
                run.headers
            }
        };
        Decision {
            action: action.action,
            terminating_rule: rule,
            non_terminating: run.non_terminating,
            rule_groups: run.groups,
            labels: run.labels,
            insert_headers,
            block_response: match action.action {
                Action::Block => Some(action.response.unwrap_or_default()),
                _ => None,
            },
            immunity_seconds,
            token_failure,
        }
    }
}

/// The state of one evaluation.
struct Run<'r> {
    req: &'r Request,
    env: Env<'r>,
    body_limit: usize,
    labels: Vec<String>,
    non_terminating: Vec<RuleMatch>,
    groups: Vec<GroupResult>,
    headers: Vec<(String, String)>,
    /// The viewer's token, for CAPTCHA and Challenge rules.
    tokens: TokenContext<'r>,
    /// The web ACL's immunity times, for rules that set none.
    immunity: Immunity,
    /// Whether the token labels were added.
    token_labelled: bool,
}

/// How a rule group's evaluation ended.
struct GroupEnd {
    action: CompiledAction,
    immunity: Immunity,
}

impl Run<'_> {
    fn add_labels<'a>(&mut self, labels: impl IntoIterator<Item = &'a String>) {
        for label in labels {
            if !self.labels.contains(label) {
                self.labels.push(label.clone());
            }
        }
    }

    /// Evaluates a statement; labels it adds become visible after it.
    fn test(&mut self, stmt: &Stmt) -> bool {
        let mut pending = Vec::new();
        let ctx = Ctx {
            req: self.req,
            env: self.env,
            body_limit: self.body_limit,
            labels: &self.labels,
        };
        let matched = stmt.eval(&ctx, &mut pending);
        self.add_labels(&pending);
        matched
    }

    /// Runs one web ACL rule; returns the terminating action if it decides the request.
    fn rule(&mut self, rule: &CompiledRule) -> Option<(CompiledAction, Immunity)> {
        match &rule.kind {
            RuleKind::Plain { stmt, action } => {
                if !self.test(stmt) {
                    return None;
                }
                self.plain_match(rule, action)
            }
            RuleKind::Rate {
                rate,
                scope_down,
                action,
            } => {
                if !self.rate_matches(rate, scope_down.as_ref()) {
                    return None;
                }
                self.plain_match(rule, action)
            }
            RuleKind::Group {
                group,
                count_override,
                scope_down,
                excluded,
                overrides,
            } => {
                if scope_down.as_ref().is_some_and(|scope| !self.test(scope)) {
                    return None;
                }
                let end = self.group(&rule.name, group, excluded, overrides, rule.immunity)?;
                self.add_labels(&rule.labels);
                if *count_override {
                    self.non_terminating.push(RuleMatch {
                        rule: rule.name.clone(),
                        action: Action::Count,
                    });
                    return None;
                }
                Some((end.action, end.immunity.or(rule.immunity)))
            }
        }
    }

    /// Counts a request for a rate-based rule that its scope-down admits; true when the key
    /// is over the limit.
    fn rate_matches(&mut self, rate: &RateRule, scope_down: Option<&Stmt>) -> bool {
        if scope_down.is_some_and(|scope| !self.test(scope)) {
            return false;
        }
        let ctx = Ctx {
            req: self.req,
            env: self.env,
            body_limit: self.body_limit,
            labels: &self.labels,
        };
        rate.hit(&ctx)
    }

    /// Applies a matched rule's labels and action; returns the action if it terminates.
    fn plain_match(
        &mut self,
        rule: &CompiledRule,
        action: &CompiledAction,
    ) -> Option<(CompiledAction, Immunity)> {
        self.add_labels(&rule.labels);
        if action.action == Action::Count || self.token_passes(action.action, rule.immunity) {
            self.non_terminating.push(RuleMatch {
                rule: rule.name.clone(),
                action: action.action,
            });
            self.headers.extend(action.headers.iter().cloned());
            return None;
        }
        Some((action.clone(), rule.immunity))
    }

    /// Whether a CAPTCHA or Challenge action lets the request go on as a Count would: the
    /// viewer's token holds a solve time within the rule's immunity time (AWS WAF's "valid
    /// token" case). The first such check adds the token labels.
    fn token_passes(&mut self, action: Action, immunity: Immunity) -> bool {
        let immunity = immunity.or(self.immunity);
        let (kind, secs) = match action {
            Action::Captcha => (Kind::Captcha, immunity.captcha),
            Action::Challenge => (Kind::Challenge, immunity.challenge),
            _ => return false,
        };
        self.add_token_labels();
        secs.is_some_and(|secs| self.tokens.check(kind, secs).is_ok())
    }

    /// Adds AWS's token status labels (`awswaf:managed:token:...`, `awswaf:managed:captcha:...`)
    /// once, judged with the web ACL's immunity times.
    // Limitation: AWS adds these labels only inside its bot and fraud control rule groups;
    // Verge adds them when a CAPTCHA or Challenge rule matches, where the token is inspected,
    // so the rules after it can match on them.
    fn add_token_labels(&mut self) {
        if self.token_labelled {
            return;
        }
        self.token_labelled = true;
        let (challenge, captcha) = (self.immunity.challenge, self.immunity.captcha);
        let labels = self.tokens.labels(
            challenge.unwrap_or(DEFAULT_IMMUNITY),
            captcha.unwrap_or(DEFAULT_IMMUNITY),
        );
        self.add_labels(&labels);
    }

    /// Runs a rule group's rules; returns how it ended if one of them terminated.
    fn group(
        &mut self,
        acl_rule: &str,
        group: &CompiledGroup,
        excluded: &[String],
        overrides: &std::collections::BTreeMap<String, CompiledAction>,
        outer: Immunity,
    ) -> Option<GroupEnd> {
        let mut result = GroupResult {
            group: group.id.clone(),
            acl_rule: acl_rule.to_owned(),
            terminating_rule: None,
            non_terminating: Vec::new(),
            excluded_rules: Vec::new(),
        };
        let mut end = None;
        for rule in &group.rules {
            let (matched, action) = match &rule.kind {
                RuleKind::Plain { stmt, action } => (self.test(stmt), action),
                RuleKind::Rate {
                    rate,
                    scope_down,
                    action,
                } => (self.rate_matches(rate, scope_down.as_ref()), action),
                RuleKind::Group { .. } => continue,
            };
            if !matched {
                continue;
            }
            self.add_labels(&rule.labels);
            let is_excluded = excluded.contains(&rule.name);
            let action = if is_excluded {
                result.excluded_rules.push(rule.name.clone());
                CompiledAction {
                    action: Action::Count,
                    headers: Vec::new(),
                    response: None,
                }
            } else {
                overrides.get(&rule.name).unwrap_or(action).clone()
            };
            let matched = RuleMatch {
                rule: rule.name.clone(),
                action: action.action,
            };
            let passes = self.token_passes(action.action, rule.immunity.or(outer));
            if action.action == Action::Count || passes {
                if !is_excluded {
                    result.non_terminating.push(matched);
                }
                self.headers.extend(action.headers.iter().cloned());
                continue;
            }
            result.terminating_rule = Some(matched);
            end = Some(GroupEnd {
                action,
                immunity: rule.immunity,
            });
            break;
        }
        self.groups.push(result);
        end
    }
}
