//! Statements on the viewer's address: `GeoMatchStatement` (which also adds AWS's geo
//! labels), `IPSetReferenceStatement` and `AsnMatchStatement`, each optionally reading the
//! address from a forwarded-IP header instead of the connection.

use std::net::IpAddr;
use std::sync::Arc;

use super::Ctx;
use crate::cidr::IpRanges;
use crate::model::statement::{ForwardedIpFallback, ForwardedIpPosition};

/// The most addresses `ANY` inspects (the last ten of the header, as AWS does).
const MAX_ANY: usize = 10;

/// Where a statement takes the address from.
#[derive(Debug, Clone)]
pub(crate) struct Forwarded {
    pub header: String,
    pub fallback_matches: bool,
}

impl Forwarded {
    pub(crate) fn new(header: &str, fallback: ForwardedIpFallback) -> Self {
        Self {
            header: header.to_owned(),
            fallback_matches: fallback == ForwardedIpFallback::Match,
        }
    }

    /// The header's entries, trimmed; `None` when the header is absent.
    fn entries<'r>(&self, ctx: &Ctx<'r>) -> Option<Vec<&'r str>> {
        let value = ctx
            .req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&self.header))
            .map(|(_, v)| v.as_slice())?;
        let text = std::str::from_utf8(value).ok()?;
        Some(text.split(',').map(str::trim).collect())
    }

    /// The first address of the header (what geo, ASN and rate statements use).
    pub(crate) fn first_ip(&self, ctx: &Ctx<'_>) -> Option<IpAddr> {
        self.entries(ctx)?.first()?.parse().ok()
    }
}

/// `GeoMatchStatement`.
#[derive(Debug)]
pub(crate) struct GeoMatch {
    pub countries: Vec<String>,
    pub forwarded: Option<Forwarded>,
}

impl GeoMatch {
    pub(crate) fn eval(&self, ctx: &Ctx<'_>, pending: &mut Vec<String>) -> bool {
        let (source, location) = match &self.forwarded {
            None => {
                let loc = ctx.req.country.clone().map(|c| (c, ctx.req.region.clone()));
                ("clientip", loc)
            }
            Some(fwd) => match fwd.first_ip(ctx) {
                None => return fwd.fallback_matches,
                Some(ip) => ("forwardedip", ctx.env.geo.and_then(|g| g.locate(ip))),
            },
        };
        let Some((country, region)) = location else {
            return false;
        };
        // AWS labels every request a geo match statement evaluates, match or not.
        push_unique(pending, format!("awswaf:{source}:geo:country:{country}"));
        if let Some(region) = region {
            push_unique(
                pending,
                format!("awswaf:{source}:geo:region:{country}-{region}"),
            );
        }
        self.countries.contains(&country)
    }
}

fn push_unique(labels: &mut Vec<String>, label: String) {
    if !labels.contains(&label) {
        labels.push(label);
    }
}

/// The forwarded-IP settings of an IP set statement.
#[derive(Debug, Clone)]
pub(crate) struct IpSetForwarded {
    pub forwarded: Forwarded,
    pub position: ForwardedIpPosition,
}

/// `IPSetReferenceStatement`.
#[derive(Debug)]
pub(crate) struct IpSetMatch {
    pub ranges: Arc<IpRanges>,
    pub forwarded: Option<IpSetForwarded>,
}

impl IpSetMatch {
    pub(crate) fn eval(&self, ctx: &Ctx<'_>) -> bool {
        let Some(cfg) = &self.forwarded else {
            return self.ranges.contains(ctx.req.client_ip);
        };
        let fallback = cfg.forwarded.fallback_matches;
        let Some(entries) = cfg.forwarded.entries(ctx) else {
            return fallback;
        };
        let pick = match cfg.position {
            ForwardedIpPosition::First => entries.first().copied(),
            ForwardedIpPosition::Last => entries.last().copied(),
            ForwardedIpPosition::Any => {
                let tail = &entries[entries.len().saturating_sub(MAX_ANY)..];
                let parsed: Option<Vec<IpAddr>> = tail.iter().map(|e| e.parse().ok()).collect();
                return match parsed {
                    Some(ips) => ips.iter().any(|ip| self.ranges.contains(*ip)),
                    None => fallback,
                };
            }
        };
        match pick.and_then(|e| e.parse::<IpAddr>().ok()) {
            Some(ip) => self.ranges.contains(ip),
            None => fallback,
        }
    }
}

/// `AsnMatchStatement`.
#[derive(Debug)]
pub(crate) struct AsnMatch {
    pub asns: Vec<u32>,
    pub forwarded: Option<Forwarded>,
}

impl AsnMatch {
    pub(crate) fn eval(&self, ctx: &Ctx<'_>) -> bool {
        let asn = match &self.forwarded {
            None => ctx.req.asn,
            Some(fwd) => match fwd.first_ip(ctx) {
                None => return fwd.fallback_matches,
                Some(ip) => ctx.env.geo.and_then(|g| g.asn(ip)),
            },
        };
        asn.is_some_and(|a| self.asns.contains(&a))
    }
}
