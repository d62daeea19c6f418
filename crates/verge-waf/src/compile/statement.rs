//! Statement compilation: matchers built once, references resolved through the registry,
//! label keys given their namespace.

use super::Compiler;
use crate::arn;
use crate::field::Field;
use crate::model::field::{FieldToMatch, TextTransformation};
use crate::model::statement::{ForwardedIpConfig, Statement};
use crate::statement::byte_match::ByteMatcher;
use crate::statement::label::LabelMatch;
use crate::statement::network::{AsnMatch, Forwarded, GeoMatch, IpSetForwarded, IpSetMatch};
use crate::statement::{Inspect, Stmt};
use crate::transform::Chain;

fn inspect(field: &FieldToMatch, transforms: &[TextTransformation]) -> Inspect {
    Inspect {
        field: Field::compile(field),
        chain: Chain::new(transforms),
    }
}

fn forwarded(config: Option<&ForwardedIpConfig>) -> Option<Forwarded> {
    config.map(|c| Forwarded::new(&c.header_name, c.fallback_behavior))
}

impl Compiler<'_> {
    pub(super) fn resolve<'n>(&mut self, path: &str, text: &'n str, kind: &str) -> Option<&'n str> {
        match arn::parse(text) {
            Some(a) if a.kind == kind => Some(a.name),
            _ => {
                self.issue(path, format!("{text:?} is not a {kind} ARN"));
                None
            }
        }
    }

    /// Compiles a statement; `ns` is the label namespace of its ACL or group.
    pub(crate) fn statement(&mut self, path: &str, s: &Statement, ns: &str) -> Option<Stmt> {
        Some(match s {
            Statement::ByteMatchStatement(b) => Stmt::Byte(
                inspect(&b.field_to_match, &b.text_transformations),
                Box::new(ByteMatcher::new(
                    &b.search_string.bytes,
                    b.positional_constraint,
                )),
            ),
            Statement::RegexMatchStatement(r) => {
                let p = format!("{path}.RegexMatchStatement.RegexString");
                let re = match crate::pattern::compile(&r.regex_string) {
                    Ok(re) => re,
                    Err(e) => {
                        self.issue(&p, e);
                        return None;
                    }
                };
                Stmt::Regex(inspect(&r.field_to_match, &r.text_transformations), re)
            }
            Statement::RegexPatternSetReferenceStatement(r) => {
                let p = format!("{path}.RegexPatternSetReferenceStatement.ARN");
                let name = self.resolve(&p, &r.arn, "regexpatternset")?;
                let Some(set) = self.res.regex_set(name) else {
                    self.issue(&p, format!("regex pattern set {name:?} is not loaded"));
                    return None;
                };
                Stmt::RegexSet(inspect(&r.field_to_match, &r.text_transformations), set)
            }
            Statement::SqliMatchStatement(q) => Stmt::Sqli(
                inspect(&q.field_to_match, &q.text_transformations),
                q.sensitivity_level.unwrap_or_default(),
            ),
            Statement::XssMatchStatement(x) => {
                Stmt::Xss(inspect(&x.field_to_match, &x.text_transformations))
            }
            Statement::SizeConstraintStatement(z) => Stmt::Size(
                inspect(&z.field_to_match, &z.text_transformations),
                z.comparison_operator,
                u64::try_from(z.size).unwrap_or(0),
            ),
            Statement::GeoMatchStatement(g) => Stmt::Geo(GeoMatch {
                countries: g.country_codes.clone(),
                forwarded: forwarded(g.forwarded_ip_config.as_ref()),
            }),
            Statement::IpSetReferenceStatement(i) => {
                let p = format!("{path}.IPSetReferenceStatement.ARN");
                let name = self.resolve(&p, &i.arn, "ipset")?;
                let Some(ranges) = self.res.ip_set(name) else {
                    self.issue(&p, format!("IP set {name:?} is not loaded"));
                    return None;
                };
                Stmt::IpSet(IpSetMatch {
                    ranges,
                    forwarded: i
                        .ip_set_forwarded_ip_config
                        .as_ref()
                        .map(|c| IpSetForwarded {
                            forwarded: Forwarded::new(&c.header_name, c.fallback_behavior),
                            position: c.position,
                        }),
                })
            }
            Statement::AsnMatchStatement(a) => Stmt::Asn(AsnMatch {
                asns: a
                    .asn_list
                    .iter()
                    .filter_map(|n| u32::try_from(*n).ok())
                    .collect(),
                forwarded: forwarded(a.forwarded_ip_config.as_ref()),
            }),
            Statement::LabelMatchStatement(l) => Stmt::Label(LabelMatch::new(l.scope, &l.key, ns)),
            Statement::AndStatement(a) => {
                Stmt::And(self.list(&format!("{path}.AndStatement"), &a.statements, ns)?)
            }
            Statement::OrStatement(o) => {
                Stmt::Or(self.list(&format!("{path}.OrStatement"), &o.statements, ns)?)
            }
            Statement::NotStatement(n) => Stmt::Not(Box::new(self.statement(
                &format!("{path}.NotStatement.Statement"),
                &n.statement,
                ns,
            )?)),
            Statement::RateBasedStatement(_) => {
                self.issue(
                    path,
                    "a rate-based statement can only be a rule's own statement",
                );
                return None;
            }
            Statement::RuleGroupReferenceStatement(_) | Statement::ManagedRuleGroupStatement(_) => {
                self.issue(
                    path,
                    "a rule group can only be referenced by a rule's own statement",
                );
                return None;
            }
        })
    }

    fn list(&mut self, path: &str, statements: &[Statement], ns: &str) -> Option<Vec<Stmt>> {
        let compiled: Vec<Option<Stmt>> = statements
            .iter()
            .enumerate()
            .map(|(i, s)| self.statement(&format!("{path}.Statements[{i}]"), s, ns))
            .collect();
        compiled.into_iter().collect()
    }
}
