//! Rate-based rules: count the requests that pass the scope-down per aggregation key over a
//! sliding window of 60 to 600 seconds, and match while a key is over its limit. The clock is
//! the caller's ([`crate::Env::now_ms`]), so tests and replays control time.

mod store;

use crate::field::{parse_cookies, query_args};
use crate::model::field::FallbackBehavior;
use crate::model::rate::{AggregateKeyType, RateBasedStatement, RateKey};
use crate::statement::Ctx;
use crate::statement::network::Forwarded;
use crate::transform::Chain;

pub use store::RateStore;

/// AWS's window when the statement sets none, in seconds.
const DEFAULT_WINDOW_SECS: u64 = 300;

/// One part of a custom key, compiled.
#[derive(Debug)]
enum Part {
    Header(String, Chain),
    Cookie(String, Chain),
    QueryArgument(String, Chain),
    QueryString(Chain),
    Method,
    ForwardedIp,
    Ip,
    LabelNamespace(String),
    UriPath(Chain),
    Ja3(bool),
    Ja4(bool),
    Asn,
}

/// What a request contributes to a rate-based rule.
enum Key {
    /// Count under this key.
    Count(Vec<u8>),
    /// Do not count; the rule does not match.
    Skip,
    /// Do not count; the rule matches (a `MATCH` fallback).
    Match,
}

/// A compiled rate-based statement with its counters (scope-down compiled separately).
#[derive(Debug)]
pub(crate) struct RateRule {
    limit: u64,
    window_ms: u64,
    aggregate: AggregateKeyType,
    parts: Vec<Part>,
    forwarded: Option<Forwarded>,
    store: RateStore,
}

impl RateRule {
    /// Compiles the statement; `max_keys` bounds the counter store.
    pub(crate) fn new(s: &RateBasedStatement, max_keys: usize) -> Self {
        let window = s
            .evaluation_window_sec
            .and_then(|w| u64::try_from(w).ok())
            .unwrap_or(DEFAULT_WINDOW_SECS);
        let parts = s
            .custom_keys
            .iter()
            .map(|k| match k {
                RateKey::Header(k) => {
                    Part::Header(k.name.clone(), Chain::new(&k.text_transformations))
                }
                RateKey::Cookie(k) => {
                    Part::Cookie(k.name.clone(), Chain::new(&k.text_transformations))
                }
                RateKey::QueryArgument(k) => {
                    Part::QueryArgument(k.name.clone(), Chain::new(&k.text_transformations))
                }
                RateKey::QueryString(k) => Part::QueryString(Chain::new(&k.text_transformations)),
                RateKey::HttpMethod(_) => Part::Method,
                RateKey::ForwardedIp(_) => Part::ForwardedIp,
                RateKey::Ip(_) => Part::Ip,
                RateKey::LabelNamespace(k) => Part::LabelNamespace(k.namespace.clone()),
                RateKey::UriPath(k) => Part::UriPath(Chain::new(&k.text_transformations)),
                RateKey::Ja3Fingerprint(k) => {
                    Part::Ja3(k.fallback_behavior == FallbackBehavior::Match)
                }
                RateKey::Ja4Fingerprint(k) => {
                    Part::Ja4(k.fallback_behavior == FallbackBehavior::Match)
                }
                RateKey::Asn(_) => Part::Asn,
            })
            .collect();
        Self {
            limit: u64::try_from(s.limit).unwrap_or(u64::MAX),
            window_ms: window.saturating_mul(1000),
            aggregate: s.aggregate_key_type,
            parts,
            forwarded: s
                .forwarded_ip_config
                .as_ref()
                .map(|c| Forwarded::new(&c.header_name, c.fallback_behavior)),
            store: RateStore::new(max_keys),
        }
    }

    /// Counts the request (when it has a key) and says whether its key is over the limit.
    pub(crate) fn hit(&self, ctx: &Ctx<'_>) -> bool {
        match self.key(ctx) {
            Key::Skip => false,
            Key::Match => true,
            Key::Count(key) => self.store.hit(&key, ctx.env.now_ms, self.window_ms) > self.limit,
        }
    }

    fn forwarded_ip(&self, ctx: &Ctx<'_>) -> Result<Vec<u8>, Key> {
        let Some(fwd) = &self.forwarded else {
            return Err(Key::Skip);
        };
        match fwd.first_ip(ctx) {
            Some(ip) => Ok(ip.to_string().into_bytes()),
            None if fwd.fallback_matches => Err(Key::Match),
            None => Err(Key::Skip),
        }
    }

    fn key(&self, ctx: &Ctx<'_>) -> Key {
        match self.aggregate {
            AggregateKeyType::Constant => Key::Count(Vec::new()),
            AggregateKeyType::Ip => Key::Count(ctx.req.client_ip.to_string().into_bytes()),
            AggregateKeyType::ForwardedIp => match self.forwarded_ip(ctx) {
                Ok(ip) => Key::Count(ip),
                Err(outcome) => outcome,
            },
            AggregateKeyType::CustomKeys => {
                let mut key = Vec::new();
                for part in &self.parts {
                    match self.part(ctx, part) {
                        Ok(bytes) => {
                            key.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                            key.extend_from_slice(&bytes);
                        }
                        Err(outcome) => return outcome,
                    }
                }
                Key::Count(key)
            }
        }
    }

    /// One part's bytes; `Err` when the request lacks it (AWS neither counts nor matches).
    fn part(&self, ctx: &Ctx<'_>, part: &Part) -> Result<Vec<u8>, Key> {
        let req = ctx.req;
        let missing = || Key::Skip;
        let fingerprint = |value: Option<&str>, fallback_match: bool| match value {
            Some(v) if !v.is_empty() => Ok(v.as_bytes().to_vec()),
            _ if fallback_match => Err(Key::Match),
            _ => Err(Key::Skip),
        };
        match part {
            Part::Header(name, chain) => req
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| chain.apply(v).into_owned())
                .ok_or_else(missing),
            Part::Cookie(name, chain) => parse_cookies(req)
                .into_iter()
                .find(|(n, _)| *n == name.as_bytes())
                .map(|(_, v)| chain.apply(v).into_owned())
                .ok_or_else(missing),
            Part::QueryArgument(name, chain) => query_args(&req.query_string)
                .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
                .map(|(_, v)| chain.apply(v).into_owned())
                .ok_or_else(missing),
            Part::QueryString(chain) if !req.query_string.is_empty() => {
                Ok(chain.apply(req.query_string.as_bytes()).into_owned())
            }
            Part::QueryString(_) => Err(missing()),
            Part::UriPath(chain) => Ok(chain.apply(req.uri_path.as_bytes()).into_owned()),
            Part::Method => Ok(req.method.as_bytes().to_vec()),
            Part::Ip => Ok(req.client_ip.to_string().into_bytes()),
            Part::ForwardedIp => self.forwarded_ip(ctx),
            Part::LabelNamespace(ns) => {
                let names: Vec<&str> = ctx
                    .labels
                    .iter()
                    .filter_map(|l| l.strip_prefix(ns.as_str()))
                    .collect();
                if names.is_empty() {
                    Err(missing())
                } else {
                    Ok(names.join("\n").into_bytes())
                }
            }
            Part::Ja3(fallback) => fingerprint(req.ja3.as_deref(), *fallback),
            Part::Ja4(fallback) => fingerprint(req.ja4.as_deref(), *fallback),
            Part::Asn => req
                .asn
                .map(|a| a.to_be_bytes().to_vec())
                .ok_or_else(missing),
        }
    }
}
