//! Compiled rule statements and their evaluation against one request. Compilation (in
//! [`crate::compile`]) resolves references and builds matchers once; evaluation only reads.

pub(crate) mod byte_match;
pub(crate) mod injection;
pub(crate) mod label;
pub(crate) mod network;

use std::sync::Arc;

use regex::bytes::{Regex, RegexSet};

use crate::field::{Extracted, Field};
use crate::model::statement::ComparisonOperator;
use crate::request::{Env, Request};
use crate::transform::Chain;

/// What a statement sees while it is evaluated.
pub(crate) struct Ctx<'r> {
    /// The request.
    pub req: &'r Request,
    /// Geo lookups for forwarded addresses.
    pub env: Env<'r>,
    /// The web ACL's body inspection limit in bytes.
    pub body_limit: usize,
    /// Labels added by rules that already ran.
    pub labels: &'r [String],
}

/// A field and the transformations applied to each of its values.
#[derive(Debug)]
pub(crate) struct Inspect {
    pub field: Field,
    pub chain: Chain,
}

impl Inspect {
    /// Whether any transformed value satisfies `test` (or the field forces a result).
    fn any(&self, ctx: &Ctx<'_>, test: impl Fn(&[u8]) -> bool) -> bool {
        if let Some(value) = self.field.single(ctx.req, ctx.body_limit) {
            return test(&self.chain.apply(value));
        }
        match self.field.extract(ctx.req, ctx.body_limit) {
            Extracted::Match => true,
            Extracted::NoMatch => false,
            Extracted::Values(values) => values.iter().any(|v| test(&self.chain.apply(v))),
        }
    }
}

/// A compiled statement.
#[derive(Debug)]
pub(crate) enum Stmt {
    Byte(Inspect, Box<byte_match::ByteMatcher>),
    Regex(Inspect, Regex),
    RegexSet(Inspect, Arc<RegexSet>),
    Sqli(Inspect, injection::Sensitivity),
    Xss(Inspect),
    Size(Inspect, ComparisonOperator, u64),
    Geo(network::GeoMatch),
    IpSet(network::IpSetMatch),
    Asn(network::AsnMatch),
    Label(label::LabelMatch),
    And(Vec<Stmt>),
    Or(Vec<Stmt>),
    Not(Box<Stmt>),
}

impl Stmt {
    /// Evaluates the statement. Labels that evaluation adds (geo labels) go to `pending`;
    /// the caller makes them visible once the rule is done.
    pub(crate) fn eval(&self, ctx: &Ctx<'_>, pending: &mut Vec<String>) -> bool {
        match self {
            Self::Byte(inspect, matcher) => inspect.any(ctx, |v| matcher.matches(v)),
            Self::Regex(inspect, re) => inspect.any(ctx, |v| re.is_match(v)),
            Self::RegexSet(inspect, set) => inspect.any(ctx, |v| set.is_match(v)),
            Self::Sqli(inspect, level) => inspect.any(ctx, |v| injection::is_sqli(v, *level)),
            Self::Xss(inspect) => inspect.any(ctx, injection::is_xss),
            Self::Size(inspect, op, size) => size_matches(inspect, ctx, *op, *size),
            Self::Geo(geo) => geo.eval(ctx, pending),
            Self::IpSet(set) => set.eval(ctx),
            Self::Asn(asn) => asn.eval(ctx),
            Self::Label(label) => label.eval(ctx.labels),
            Self::And(all) => all.iter().all(|s| s.eval(ctx, pending)),
            Self::Or(any) => any.iter().any(|s| s.eval(ctx, pending)),
            Self::Not(inner) => !inner.eval(ctx, pending),
        }
    }
}

fn compare(op: ComparisonOperator, len: u64, size: u64) -> bool {
    match op {
        ComparisonOperator::Eq => len == size,
        ComparisonOperator::Ne => len != size,
        ComparisonOperator::Le => len <= size,
        ComparisonOperator::Lt => len < size,
        ComparisonOperator::Ge => len >= size,
        ComparisonOperator::Gt => len > size,
    }
}

fn size_matches(inspect: &Inspect, ctx: &Ctx<'_>, op: ComparisonOperator, size: u64) -> bool {
    // The body's real size is known even when only part of it was kept for inspection.
    if matches!(inspect.field, Field::Body(_)) && inspect.chain.is_identity() {
        return match inspect.field.extract(ctx.req, ctx.body_limit) {
            Extracted::Match => true,
            Extracted::NoMatch => false,
            Extracted::Values(_) => compare(op, ctx.req.body_len, size),
        };
    }
    inspect.any(ctx, |v| compare(op, v.len() as u64, size))
}
