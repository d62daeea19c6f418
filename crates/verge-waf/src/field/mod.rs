//! `FieldToMatch` compiled for the request path: which bytes of a [`Request`] a statement
//! inspects. A field yields zero or more values, each inspected on its own (the statement
//! matches if any value does), or a forced result from oversize or fallback handling.

mod headers;
mod json;
mod query;

use std::borrow::Cow;

use crate::model::field::{
    BodyParsingFallbackBehavior, FallbackBehavior, FieldToMatch, MatchScope, OversizeHandling,
};
use crate::request::Request;

pub(crate) use headers::parse_cookies;
pub use json::{JsonToken, scan as scan_json};
pub(crate) use query::args as query_args;

/// What a field produced for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extracted<'r> {
    /// Values to inspect; none means the field is absent and the statement does not match.
    Values(Vec<Cow<'r, [u8]>>),
    /// The statement matches without inspection (oversize or fallback handling).
    Match,
    /// The statement does not match without inspection.
    NoMatch,
}

impl Extracted<'_> {
    fn forced(matches: bool) -> Self {
        if matches { Self::Match } else { Self::NoMatch }
    }

    fn oversize(handling: OversizeHandling) -> Option<Self> {
        match handling {
            OversizeHandling::Continue => None,
            OversizeHandling::Match => Some(Self::Match),
            OversizeHandling::NoMatch => Some(Self::NoMatch),
        }
    }
}

/// A name filter for `Headers` and `Cookies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameFilter {
    /// Every name.
    All,
    /// Only these names.
    Include(Vec<String>),
    /// Every name but these.
    Exclude(Vec<String>),
}

impl NameFilter {
    fn new(all: bool, include: Option<&[String]>, exclude: Option<&[String]>, fold: bool) -> Self {
        let norm = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|n| {
                    if fold {
                        n.to_ascii_lowercase()
                    } else {
                        n.clone()
                    }
                })
                .collect()
        };
        match (all, include, exclude) {
            (false, Some(list), _) => Self::Include(norm(list)),
            (false, None, Some(list)) => Self::Exclude(norm(list)),
            _ => Self::All,
        }
    }

    fn admits(&self, name: &str, fold: bool) -> bool {
        let eq = |n: &String| {
            if fold {
                n.eq_ignore_ascii_case(name)
            } else {
                n == name
            }
        };
        match self {
            Self::All => true,
            Self::Include(list) => list.iter().any(eq),
            Self::Exclude(list) => !list.iter().any(eq),
        }
    }
}

/// A compiled field to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The raw URI path.
    UriPath,
    /// The raw query string.
    QueryString,
    /// Every value of one query argument (name compared without case).
    SingleQueryArgument(String),
    /// Every query argument value.
    AllQueryArguments,
    /// Every value of one header (name compared without case).
    SingleHeader(String),
    /// Headers by filter and scope.
    Headers {
        /// Which headers.
        filter: NameFilter,
        /// Names, values or both.
        scope: MatchScope,
        /// Over 8 KB or 200 headers.
        oversize: OversizeHandling,
    },
    /// Cookies by filter and scope.
    Cookies {
        /// Which cookies.
        filter: NameFilter,
        /// Names, values or both.
        scope: MatchScope,
        /// Over 8 KB or 200 cookies.
        oversize: OversizeHandling,
    },
    /// The body.
    Body(OversizeHandling),
    /// The body parsed as JSON.
    JsonBody {
        /// Pointers to inspect under; `None` for all.
        paths: Option<Vec<String>>,
        /// Keys, values or both.
        scope: MatchScope,
        /// When the body is not valid JSON; `None` evaluates what parsed.
        invalid: Option<BodyParsingFallbackBehavior>,
        /// Over the inspection limit.
        oversize: OversizeHandling,
    },
    /// The method.
    Method,
    /// Header names in arrival order joined by `:`.
    HeaderOrder(OversizeHandling),
    /// The JA3 fingerprint, or the fallback.
    Ja3(FallbackBehavior),
    /// The JA4 fingerprint, or the fallback.
    Ja4(FallbackBehavior),
    /// The fragment (never sent by viewers), so always the fallback.
    UriFragment(FallbackBehavior),
}

impl Field {
    /// Compiles a model field.
    pub fn compile(field: &FieldToMatch) -> Self {
        match field {
            FieldToMatch::UriPath(_) => Self::UriPath,
            FieldToMatch::QueryString(_) => Self::QueryString,
            FieldToMatch::SingleQueryArgument(f) => Self::SingleQueryArgument(f.name.clone()),
            FieldToMatch::AllQueryArguments(_) => Self::AllQueryArguments,
            FieldToMatch::SingleHeader(f) => Self::SingleHeader(f.name.clone()),
            FieldToMatch::Headers(f) => {
                let p = &f.match_pattern;
                let filter = NameFilter::new(
                    p.all.is_some(),
                    p.included_headers.as_deref(),
                    p.excluded_headers.as_deref(),
                    true,
                );
                Self::Headers {
                    filter,
                    scope: f.match_scope,
                    oversize: f.oversize_handling,
                }
            }
            FieldToMatch::Cookies(f) => {
                let p = &f.match_pattern;
                let filter = NameFilter::new(
                    p.all.is_some(),
                    p.included_cookies.as_deref(),
                    p.excluded_cookies.as_deref(),
                    false,
                );
                Self::Cookies {
                    filter,
                    scope: f.match_scope,
                    oversize: f.oversize_handling,
                }
            }
            FieldToMatch::Body(f) => Self::Body(f.oversize_handling.unwrap_or_default()),
            FieldToMatch::JsonBody(f) => Self::JsonBody {
                paths: f.match_pattern.included_paths.clone(),
                scope: f.match_scope,
                invalid: f.invalid_fallback_behavior,
                oversize: f.oversize_handling.unwrap_or_default(),
            },
            FieldToMatch::Method(_) => Self::Method,
            FieldToMatch::HeaderOrder(f) => Self::HeaderOrder(f.oversize_handling),
            FieldToMatch::Ja3Fingerprint(f) => Self::Ja3(f.fallback_behavior),
            FieldToMatch::Ja4Fingerprint(f) => Self::Ja4(f.fallback_behavior),
            FieldToMatch::UriFragment(f) => {
                Self::UriFragment(f.fallback_behavior.unwrap_or(FallbackBehavior::NoMatch))
            }
        }
    }

    /// The values this field takes in a request. `body_limit` is the web ACL's body
    /// inspection limit in bytes.
    pub fn extract<'r>(&self, req: &'r Request, body_limit: usize) -> Extracted<'r> {
        let one = |bytes: &'r [u8]| Extracted::Values(vec![Cow::Borrowed(bytes)]);
        match self {
            Self::UriPath => one(req.uri_path.as_bytes()),
            Self::QueryString => one(req.query_string.as_bytes()),
            Self::Method => one(req.method.as_bytes()),
            Self::SingleQueryArgument(name) => Extracted::Values(
                query::args(&req.query_string)
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
                    .map(|(_, v)| Cow::Borrowed(v))
                    .collect(),
            ),
            Self::AllQueryArguments => Extracted::Values(
                query::args(&req.query_string)
                    .map(|(_, v)| Cow::Borrowed(v))
                    .collect(),
            ),
            Self::SingleHeader(name) => {
                let values = req
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name));
                Extracted::Values(values.map(|(_, v)| Cow::Borrowed(v.as_slice())).collect())
            }
            Self::Headers {
                filter,
                scope,
                oversize,
            } => headers::headers(req, filter, *scope, *oversize),
            Self::Cookies {
                filter,
                scope,
                oversize,
            } => headers::cookies(req, filter, *scope, *oversize),
            Self::HeaderOrder(oversize) => headers::header_order(req, *oversize),
            Self::Body(oversize) => {
                let over = req.body_len > body_limit as u64;
                if let Some(forced) = Extracted::oversize(*oversize).filter(|_| over) {
                    return forced;
                }
                one(&req.body[..req.body.len().min(body_limit)])
            }
            Self::JsonBody {
                paths,
                scope,
                invalid,
                oversize,
            } => {
                let over = req.body_len > body_limit as u64;
                if let Some(forced) = Extracted::oversize(*oversize).filter(|_| over) {
                    return forced;
                }
                let body = &req.body[..req.body.len().min(body_limit)];
                json::extract(body, paths.as_deref(), *scope, *invalid)
            }
            Self::Ja3(fallback) => fingerprint(req.ja3.as_deref(), *fallback),
            Self::Ja4(fallback) => fingerprint(req.ja4.as_deref(), *fallback),
            Self::UriFragment(fallback) => Extracted::forced(*fallback == FallbackBehavior::Match),
        }
    }
}

impl Field {
    /// The one value of a field that always has exactly one (path, query string, method, a
    /// body within the limit or continuing past it), without the allocation of
    /// [`Field::extract`]; `None` for every other field or case.
    pub(crate) fn single<'r>(&self, req: &'r Request, body_limit: usize) -> Option<&'r [u8]> {
        match self {
            Self::UriPath => Some(req.uri_path.as_bytes()),
            Self::QueryString => Some(req.query_string.as_bytes()),
            Self::Method => Some(req.method.as_bytes()),
            Self::Body(oversize) => {
                let over = req.body_len > body_limit as u64;
                (!over || *oversize == OversizeHandling::Continue)
                    .then(|| &req.body[..req.body.len().min(body_limit)])
            }
            _ => None,
        }
    }
}

fn fingerprint(value: Option<&str>, fallback: FallbackBehavior) -> Extracted<'_> {
    match value {
        Some(v) if !v.is_empty() => Extracted::Values(vec![Cow::Borrowed(v.as_bytes())]),
        _ => Extracted::forced(fallback == FallbackBehavior::Match),
    }
}

#[cfg(test)]
mod tests;
