//! `Headers`, `Cookies` and `HeaderOrder`: AWS inspects at most the first 8 KB and the first
//! 200 entries; beyond that the field's oversize handling decides.

use std::borrow::Cow;

use super::{Extracted, NameFilter};
use crate::model::field::{MatchScope, OversizeHandling};
use crate::request::Request;

/// The most bytes of headers (or cookies) AWS WAF inspects.
pub const MAX_BYTES: usize = 8 * 1024;
/// The most headers (or cookies) AWS WAF inspects.
pub const MAX_ENTRIES: usize = 200;

/// Keeps the entries that fit the limits; `Err` carries a forced result when they do not fit
/// and the handling is not `CONTINUE`.
fn within_limits<'r, T>(
    entries: Vec<(T, &'r [u8])>,
    size: impl Fn(&T, &[u8]) -> usize,
    oversize: OversizeHandling,
) -> Result<Vec<(T, &'r [u8])>, Extracted<'r>> {
    let total: usize = entries.iter().map(|(n, v)| size(n, v)).sum();
    if total <= MAX_BYTES && entries.len() <= MAX_ENTRIES {
        return Ok(entries);
    }
    if let Some(forced) = Extracted::oversize(oversize) {
        return Err(forced);
    }
    let mut used = 0;
    Ok(entries
        .into_iter()
        .take(MAX_ENTRIES)
        .take_while(|(n, v)| {
            used += size(n, v);
            used <= MAX_BYTES
        })
        .collect())
}

fn scoped<'r>(
    entries: impl Iterator<Item = (&'r [u8], &'r [u8])>,
    scope: MatchScope,
) -> Extracted<'r> {
    let mut values = Vec::new();
    for (name, value) in entries {
        if scope != MatchScope::Value {
            values.push(Cow::Borrowed(name));
        }
        if scope != MatchScope::Key {
            values.push(Cow::Borrowed(value));
        }
    }
    Extracted::Values(values)
}

/// `Headers`: each admitted header's name and/or value.
pub(super) fn headers<'r>(
    req: &'r Request,
    filter: &NameFilter,
    scope: MatchScope,
    oversize: OversizeHandling,
) -> Extracted<'r> {
    let entries: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let entries = match within_limits(entries, |n, v| n.len() + v.len() + 4, oversize) {
        Ok(e) => e,
        Err(forced) => return forced,
    };
    scoped(
        entries
            .into_iter()
            .filter(|(n, _)| filter.admits(n, true))
            .map(|(n, v)| (n.as_bytes(), v)),
        scope,
    )
}

/// The cookies of every `Cookie` header, in order: `name=value` pairs separated by `;`.
pub(crate) fn parse_cookies(req: &Request) -> Vec<(&[u8], &[u8])> {
    req.header_values("cookie")
        .flat_map(|header| header.split(|&b| b == b';'))
        .map(trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (trim(&pair[..eq]), trim(&pair[eq + 1..])),
            None => (pair, &pair[pair.len()..]),
        })
        .collect()
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

/// `Cookies`: each admitted cookie's name and/or value.
pub(super) fn cookies<'r>(
    req: &'r Request,
    filter: &NameFilter,
    scope: MatchScope,
    oversize: OversizeHandling,
) -> Extracted<'r> {
    let entries = match within_limits(parse_cookies(req), |n, v| n.len() + v.len() + 2, oversize) {
        Ok(e) => e,
        Err(forced) => return forced,
    };
    scoped(
        entries
            .into_iter()
            .filter(|(n, _)| filter.admits(&String::from_utf8_lossy(n), false)),
        scope,
    )
}

/// `HeaderOrder`: the header names as received, joined by `:`.
pub(super) fn header_order(req: &Request, oversize: OversizeHandling) -> Extracted<'_> {
    let entries: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let entries = match within_limits(entries, |n, v| n.len() + v.len() + 4, oversize) {
        Ok(e) => e,
        Err(forced) => return forced,
    };
    let names: Vec<&str> = entries.iter().map(|(n, _)| *n).collect();
    Extracted::Values(vec![Cow::Owned(names.join(":").into_bytes())])
}
