//! Validators on both sides of the cache: answering a viewer's conditional request from a
//! stored response (RFC 9110 §13), revalidating a stored response with the origin (RFC 9111
//! §4.3.1), and freshening it from the origin's 304 (RFC 9111 §3.2, §4.3.4).

use http::header::{
    CACHE_CONTROL, CONNECTION, CONTENT_LOCATION, DATE, ETAG, EXPIRES, IF_MATCH, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, IF_UNMODIFIED_SINCE, LAST_MODIFIED, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::dates::{DateField, header_date};
use crate::directives::CDN_CACHE_CONTROL;

/// One entity-tag (RFC 9110 §8.8.3): `"xyzzy"` or `W/"xyzzy"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityTag<'a> {
    /// Whether it carries the `W/` weakness indicator.
    pub weak: bool,
    /// The opaque-tag without its quotes.
    pub opaque: &'a [u8],
}

impl EntityTag<'_> {
    /// Strong comparison (RFC 9110 §8.8.3.2): neither weak, same opaque-tag.
    pub fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): same opaque-tag, weakness ignored.
    pub fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }
}

/// Parses a field value that is exactly one entity-tag (surrounding whitespace allowed).
pub fn parse_entity_tag(value: &HeaderValue) -> Option<EntityTag<'_>> {
    let (tag, rest) = entity_tag(value.as_bytes().trim_ascii())?;
    rest.is_empty().then_some(tag)
}

/// The stored response's `ETag`, when there is exactly one well-formed one.
pub fn stored_etag(headers: &HeaderMap) -> Option<EntityTag<'_>> {
    let mut lines = headers.get_all(ETAG).iter();
    let first = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    parse_entity_tag(first)
}

/// `[W/] DQUOTE *etagc DQUOTE` at the start of `bytes`; returns the tag and what follows.
fn entity_tag(bytes: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    let (weak, bytes) = match bytes.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let body = bytes.strip_prefix(b"\"")?;
    let end = body.iter().position(|&b| b == b'"')?;
    let opaque = &body[..end];
    // etagc = %x21 / %x23-7E / obs-text: no whitespace or controls inside the quotes.
    if opaque.iter().any(|&b| b <= 0x20 || b == 0x7f) {
        return None;
    }
    Some((EntityTag { weak, opaque }, &body[end + 1..]))
}

/// An If-Match / If-None-Match value: `*` or a list of entity-tags.
enum TagList<'a> {
    Any,
    Tags(Vec<EntityTag<'a>>),
}

/// Parses every line of an If-Match / If-None-Match field. Malformed members are skipped:
/// they can match nothing.
fn tag_list<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<TagList<'a>> {
    let mut tags = Vec::new();
    let mut present = false;
    for line in headers.get_all(name) {
        present = true;
        let mut rest = line.as_bytes();
        loop {
            rest = rest.trim_ascii_start();
            rest = rest.strip_prefix(b",").unwrap_or(rest);
            rest = rest.trim_ascii_start();
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix(b"*")
                && (after.trim_ascii().is_empty() || after.trim_ascii_start().starts_with(b","))
            {
                return Some(TagList::Any);
            }
            match entity_tag(rest) {
                Some((tag, after)) => {
                    tags.push(tag);
                    rest = after;
                }
                None => {
                    // Skip the malformed member up to the next comma.
                    let next = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
                    rest = &rest[next..];
                }
            }
        }
    }
    present.then_some(TagList::Tags(tags))
}

/// What to answer a viewer's conditional request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No precondition stops it: serve the stored response (or the requested range).
    Serve,
    /// Answer `304 Not Modified` with [`not_modified_headers`].
    NotModified,
    /// Answer `412 Precondition Failed`.
    Failed,
}

/// Evaluates a viewer's preconditions against a stored response, in the order of RFC 9110
/// §13.2.2, for a GET or HEAD (the only methods the cache answers).
///
/// 1. `If-Match` (§13.1.1, strong comparison; `*` matches): false → `Failed`.
/// 2. Else `If-Unmodified-Since` (§13.1.4; ignored when not a valid date or with no
///    Last-Modified): modified since → `Failed`.
/// 3. `If-None-Match` (§13.1.2, weak comparison; `*` matches): a match → `NotModified`.
/// 4. Else `If-Modified-Since` (§13.1.3; ignored when not a single valid date): not modified
///    since → `NotModified`. Without Last-Modified the stored Date stands in for it, as RFC
///    9111 §4.3.2 says a cache should do.
///
/// Preconditions are evaluated only for a stored 200; other statuses are served as they are
/// (§13.2.1 has servers ignore preconditions on responses that are not 2xx).
pub fn evaluate(
    request_headers: &HeaderMap,
    stored: &HeaderMap,
    stored_status: u16,
) -> Precondition {
    if stored_status != 200 {
        return Precondition::Serve;
    }
    let etag = stored_etag(stored);
    let last_modified = header_date(stored, LAST_MODIFIED).valid();

    match tag_list(request_headers, &IF_MATCH) {
        Some(TagList::Any) => {}
        Some(TagList::Tags(tags)) => {
            let matched = etag.is_some_and(|etag| tags.iter().any(|tag| tag.strong_eq(&etag)));
            if !matched {
                return Precondition::Failed;
            }
        }
        None => {
            if let (DateField::Valid(since), Some(modified)) = (
                header_date(request_headers, IF_UNMODIFIED_SINCE),
                last_modified,
            ) && modified > since
            {
                return Precondition::Failed;
            }
        }
    }

    match tag_list(request_headers, &IF_NONE_MATCH) {
        Some(TagList::Any) => Precondition::NotModified,
        Some(TagList::Tags(tags)) => {
            let matched = etag.is_some_and(|etag| tags.iter().any(|tag| tag.weak_eq(&etag)));
            if matched {
                Precondition::NotModified
            } else {
                Precondition::Serve
            }
        }
        None => {
            let DateField::Valid(since) = header_date(request_headers, IF_MODIFIED_SINCE) else {
                return Precondition::Serve;
            };
            let reference = last_modified.or_else(|| header_date(stored, DATE).valid());
            match reference {
                Some(modified) if modified <= since => Precondition::NotModified,
                _ => Precondition::Serve,
            }
        }
    }
}

/// The fields a 304 answered from the cache carries (RFC 9110 §15.4.5): those a 200 would have
/// sent among Content-Location, Date, ETag, Vary, Cache-Control and Expires, plus
/// Last-Modified and CDN-Cache-Control, which guide downstream caches' updates. The caller
/// adds `Age`.
pub fn not_modified_headers(stored: &HeaderMap) -> HeaderMap {
    let names: [&HeaderName; 7] = [
        &CACHE_CONTROL,
        &CONTENT_LOCATION,
        &DATE,
        &ETAG,
        &EXPIRES,
        &VARY,
        &LAST_MODIFIED,
    ];
    let mut headers = HeaderMap::new();
    for name in names {
        copy_all(stored, &mut headers, name);
    }
    copy_all(
        stored,
        &mut headers,
        &HeaderName::from_static(CDN_CACHE_CONTROL),
    );
    headers
}

fn copy_all(from: &HeaderMap, to: &mut HeaderMap, name: &HeaderName) {
    for value in from.get_all(name) {
        to.append(name.clone(), value.clone());
    }
}

/// The validators for a conditional request to the origin (RFC 9111 §4.3.1): `If-None-Match`
/// from the stored ETag, `If-Modified-Since` from the stored Last-Modified. Unusable stored
/// values are left out rather than sent malformed.
pub fn validation_headers(stored: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut validators = Vec::new();
    if stored_etag(stored).is_some()
        && let Some(etag) = stored.get(ETAG)
    {
        validators.push((IF_NONE_MATCH, etag.clone()));
    }
    if let DateField::Valid(_) = header_date(stored, LAST_MODIFIED)
        && let Some(last_modified) = stored.get(LAST_MODIFIED)
    {
        validators.push((IF_MODIFIED_SINCE, last_modified.clone()));
    }
    validators
}

/// Fields a 304 never overwrites in a stored response.
///
/// RFC 9111 §3.2 excepts Content-Length, the fields §3.1 keeps out of storage (Connection and
/// the fields it names, Proxy-Authenticate, Proxy-Authentication-Info, Proxy-Authorization;
/// likewise the other hop-by-hop fields of RFC 9110 §7.6.1), and fields the stored response
/// depends on. The cache stores bodies as received, so Content-Encoding must stay in step with
/// the stored bytes; Content-Range describes a part and is never stored; the variant was keyed
/// by the stored Vary; and a Set-Cookie on a 304 belongs to one viewer and must never reach a
/// shared entry.
const NOT_UPDATED: [&str; 15] = [
    "content-length",
    "content-encoding",
    "content-range",
    "vary",
    "set-cookie",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authentication-info",
    "proxy-authorization",
];

fn is_not_updated(name: &HeaderName, not_modified: &HeaderMap) -> bool {
    if NOT_UPDATED.contains(&name.as_str()) {
        return true;
    }
    // Fields the 304's Connection header names are hop-by-hop (RFC 9110 §7.6.1).
    not_modified.get_all(CONNECTION).iter().any(|line| {
        line.as_bytes().split(|&b| b == b',').any(|option| {
            option
                .trim_ascii()
                .eq_ignore_ascii_case(name.as_str().as_bytes())
        })
    })
}

/// Freshens a stored response's headers from the origin's 304 (RFC 9111 §4.3.4, §3.2): every
/// field in the 304 replaces all stored lines of that name, except those listed above.
///
/// A 304's `Age` is copied like any other field: the caller then re-runs
/// [`crate::storable::decide`] on the result for the new freshness and
/// [`crate::age::build_meta`], which counts that `Age` into the new initial age, removes it,
/// and reapplies `no-cache="..."` / `private="..."` stripping.
///
/// A stored weak `ETag` is kept when the 304 carries the same tag strong: the edge weakened
/// it when it compressed the stored body, and the compressed bytes are still not the bytes the
/// origin's strong tag names.
pub fn freshen(stored: &mut HeaderMap, not_modified: &HeaderMap) {
    for name in not_modified.keys() {
        if is_not_updated(name, not_modified) || weakened_by_the_edge(name, stored, not_modified) {
            continue;
        }
        stored.remove(name);
        copy_all(not_modified, stored, name);
    }
}

fn weakened_by_the_edge(name: &HeaderName, stored: &HeaderMap, not_modified: &HeaderMap) -> bool {
    if name != ETAG {
        return false;
    }
    match (stored_etag(stored), stored_etag(not_modified)) {
        (Some(old), Some(new)) => old.weak && !new.weak && old.weak_eq(&new),
        _ => false,
    }
}

/// Whether a 304 from the origin refers to this stored response (RFC 9111 §4.3.4): a strong
/// ETag in the 304 must strongly match the stored one, a weak ETag must weakly match; without
/// an ETag, a Last-Modified must equal the stored one; without either validator, the stored
/// response must have none either.
pub fn validator_matches(stored: &HeaderMap, not_modified: &HeaderMap) -> bool {
    let stored_tag = stored_etag(stored);
    if not_modified.contains_key(ETAG) {
        return match (stored_etag(not_modified), stored_tag) {
            (Some(new), Some(old)) if new.weak => new.weak_eq(&old),
            (Some(new), Some(old)) => new.strong_eq(&old),
            _ => false,
        };
    }

    let stored_modified = header_date(stored, LAST_MODIFIED);
    match header_date(not_modified, LAST_MODIFIED) {
        DateField::Valid(new) => stored_modified == DateField::Valid(new),
        DateField::Invalid => false,
        DateField::Absent => stored_tag.is_none() && stored_modified.valid().is_none(),
    }
}

/// Whether a 304 answering the cache's own conditional request (made with this stored
/// response's validators alone) may freshen it. Stricter than nothing, looser than
/// [`validator_matches`]: a validator in the 304 must agree with the stored one, but
///
/// - entity-tags compare weakly, since the edge weakens the tag of a response it compressed
///   and the origin answers with the strong tag it knows;
/// - a 304 with no validator at all is taken to refer to the one response whose validators
///   were sent, as origins often omit them (RFC 9110 §15.4.5 says they should not).
pub fn refreshes(stored: &HeaderMap, not_modified: &HeaderMap) -> bool {
    if not_modified.contains_key(ETAG) {
        return match (stored_etag(not_modified), stored_etag(stored)) {
            (Some(new), Some(old)) => new.weak_eq(&old),
            _ => false,
        };
    }
    match header_date(not_modified, LAST_MODIFIED) {
        DateField::Valid(new) => header_date(stored, LAST_MODIFIED) == DateField::Valid(new),
        DateField::Invalid => false,
        DateField::Absent => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const NEWER: &str = "Mon, 07 Nov 1994 08:49:37 GMT";
    const OLDER: &str = "Sat, 05 Nov 1994 08:49:37 GMT";

    fn map(fields: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in fields {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("test name");
            headers.append(name, HeaderValue::from_str(value).expect("test value"));
        }
        headers
    }

    fn stored() -> HeaderMap {
        map(&[
            ("etag", "\"v1\""),
            ("last-modified", OLD),
            ("date", NEWER),
            ("cache-control", "max-age=60"),
            ("content-type", "text/html"),
            ("content-length", "5"),
            ("content-encoding", "gzip"),
            ("vary", "accept-encoding"),
        ])
    }

    fn eval(request: &[(&str, &str)]) -> Precondition {
        evaluate(&map(request), &stored(), 200)
    }

    #[test]
    fn entity_tag_parsing() {
        let strong = HeaderValue::from_static("\"abc\"");
        let parsed = parse_entity_tag(&strong).expect("strong");
        assert_eq!(
            parsed,
            EntityTag {
                weak: false,
                opaque: b"abc"
            }
        );
        let weak = HeaderValue::from_static(" W/\"abc\" ");
        assert_eq!(
            parse_entity_tag(&weak),
            Some(EntityTag {
                weak: true,
                opaque: b"abc"
            })
        );
        assert_eq!(
            parse_entity_tag(&HeaderValue::from_static("\"\"")).map(|t| t.opaque),
            Some(&b""[..])
        );
        for bad in ["abc", "\"abc", "w/\"abc\"", "\"a b\"", "\"a\"x", "W/ \"a\""] {
            assert_eq!(
                parse_entity_tag(&HeaderValue::from_static(bad)),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn comparison_functions() {
        // The table in RFC 9110 §8.8.3.2.
        let w1 = EntityTag {
            weak: true,
            opaque: b"1",
        };
        let w2 = EntityTag {
            weak: true,
            opaque: b"2",
        };
        let s1 = EntityTag {
            weak: false,
            opaque: b"1",
        };
        assert!(!w1.strong_eq(&w1) && w1.weak_eq(&w1));
        assert!(!w1.strong_eq(&w2) && !w1.weak_eq(&w2));
        assert!(!w1.strong_eq(&s1) && w1.weak_eq(&s1));
        assert!(s1.strong_eq(&s1) && s1.weak_eq(&s1));
    }

    #[test]
    fn no_preconditions_serve() {
        assert_eq!(eval(&[]), Precondition::Serve);
    }

    #[test]
    fn if_none_match() {
        // RFC 9110 §13.1.2: weak comparison, any listed tag, `*`.
        assert_eq!(
            eval(&[("if-none-match", "\"v1\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "W/\"v1\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"v0\", \"v1\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"v0\""), ("if-none-match", "\"v1\"")]),
            Precondition::NotModified
        );
        assert_eq!(eval(&[("if-none-match", "*")]), Precondition::NotModified);
        assert_eq!(eval(&[("if-none-match", "\"v2\"")]), Precondition::Serve);
        assert_eq!(
            eval(&[("if-none-match", "garbage, \"v1\"")]),
            Precondition::NotModified
        );
        assert_eq!(eval(&[("if-none-match", "garbage")]), Precondition::Serve);
        assert_eq!(
            eval(&[("if-none-match", "\"a,b\", \"v1\"")]),
            Precondition::NotModified
        );
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        // §13.2.2 step 3 before step 4: a non-matching tag means serve, whatever the date says.
        let request = [("if-none-match", "\"v2\""), ("if-modified-since", NEWER)];
        assert_eq!(eval(&request), Precondition::Serve);
    }

    #[test]
    fn if_modified_since() {
        // RFC 9110 §13.1.3.
        assert_eq!(
            eval(&[("if-modified-since", OLD)]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-modified-since", NEWER)]),
            Precondition::NotModified
        );
        assert_eq!(eval(&[("if-modified-since", OLDER)]), Precondition::Serve);
        assert_eq!(
            eval(&[("if-modified-since", "yesterday")]),
            Precondition::Serve
        );
        let twice = [("if-modified-since", OLD), ("if-modified-since", OLD)];
        assert_eq!(eval(&twice), Precondition::Serve);
    }

    #[test]
    fn if_modified_since_falls_back_to_date() {
        // RFC 9111 §4.3.2.
        let stored = map(&[("date", OLD)]);
        let request = map(&[("if-modified-since", OLD)]);
        assert_eq!(evaluate(&request, &stored, 200), Precondition::NotModified);
        let earlier = map(&[("if-modified-since", OLDER)]);
        assert_eq!(evaluate(&earlier, &stored, 200), Precondition::Serve);
        assert_eq!(
            evaluate(&request, &HeaderMap::new(), 200),
            Precondition::Serve
        );
    }

    #[test]
    fn if_match() {
        // RFC 9110 §13.1.1: strong comparison.
        assert_eq!(eval(&[("if-match", "\"v1\"")]), Precondition::Serve);
        assert_eq!(eval(&[("if-match", "*")]), Precondition::Serve);
        assert_eq!(eval(&[("if-match", "\"v0\", \"v1\"")]), Precondition::Serve);
        assert_eq!(eval(&[("if-match", "W/\"v1\"")]), Precondition::Failed);
        assert_eq!(eval(&[("if-match", "\"v2\"")]), Precondition::Failed);
        assert_eq!(eval(&[("if-match", "garbage")]), Precondition::Failed);
        let weak_stored = map(&[("etag", "W/\"v1\"")]);
        let request = map(&[("if-match", "W/\"v1\"")]);
        assert_eq!(evaluate(&request, &weak_stored, 200), Precondition::Failed);
        let no_etag = map(&[("last-modified", OLD)]);
        assert_eq!(
            evaluate(&map(&[("if-match", "\"v1\"")]), &no_etag, 200),
            Precondition::Failed
        );
    }

    #[test]
    fn if_match_failure_comes_before_if_none_match() {
        let request = [("if-match", "\"v2\""), ("if-none-match", "\"v1\"")];
        assert_eq!(eval(&request), Precondition::Failed);
        let both_pass = [("if-match", "\"v1\""), ("if-none-match", "\"v1\"")];
        assert_eq!(eval(&both_pass), Precondition::NotModified);
    }

    #[test]
    fn if_unmodified_since() {
        // RFC 9110 §13.1.4.
        assert_eq!(eval(&[("if-unmodified-since", OLD)]), Precondition::Serve);
        assert_eq!(eval(&[("if-unmodified-since", NEWER)]), Precondition::Serve);
        assert_eq!(
            eval(&[("if-unmodified-since", OLDER)]),
            Precondition::Failed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", "soon")]),
            Precondition::Serve
        );
        // Ignored when If-Match is present (§13.2.2 step 2).
        let with_match = [("if-match", "\"v1\""), ("if-unmodified-since", OLDER)];
        assert_eq!(eval(&with_match), Precondition::Serve);
        // Ignored without a Last-Modified.
        let request = map(&[("if-unmodified-since", OLDER)]);
        assert_eq!(
            evaluate(&request, &map(&[("date", NEWER)]), 200),
            Precondition::Serve
        );
    }

    #[test]
    fn only_stored_200_is_evaluated() {
        let request = map(&[("if-none-match", "*"), ("if-match", "\"nope\"")]);
        for status in [203, 301, 404, 500] {
            assert_eq!(
                evaluate(&request, &stored(), status),
                Precondition::Serve,
                "{status}"
            );
        }
    }

    #[test]
    fn not_modified_carries_the_rfc_fields() {
        let mut stored = stored();
        stored.insert("content-location", HeaderValue::from_static("/a"));
        stored.insert("expires", HeaderValue::from_static(NEWER));
        stored.insert("cdn-cache-control", HeaderValue::from_static("max-age=600"));
        stored.insert("x-custom", HeaderValue::from_static("1"));
        let headers = not_modified_headers(&stored);
        let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        let expected = [
            "cache-control",
            "cdn-cache-control",
            "content-location",
            "date",
            "etag",
            "expires",
            "last-modified",
            "vary",
        ];
        assert_eq!(names, expected);
    }

    #[test]
    fn validation_headers_from_stored_validators() {
        let headers = validation_headers(&stored());
        assert_eq!(
            headers,
            vec![
                (IF_NONE_MATCH, HeaderValue::from_static("\"v1\"")),
                (IF_MODIFIED_SINCE, HeaderValue::from_static(OLD)),
            ]
        );
        let weak = validation_headers(&map(&[("etag", "W/\"x\"")]));
        assert_eq!(
            weak,
            vec![(IF_NONE_MATCH, HeaderValue::from_static("W/\"x\""))]
        );
        // Date is not a validator to send (§4.3.1 names Last-Modified).
        assert!(validation_headers(&map(&[("date", OLD)])).is_empty());
        assert!(validation_headers(&map(&[("etag", "bad"), ("last-modified", "bad")])).is_empty());
    }

    #[test]
    fn freshen_replaces_fields_but_not_the_protected_ones() {
        let mut stored = stored();
        stored.append("x-multi", HeaderValue::from_static("a"));
        stored.append("x-multi", HeaderValue::from_static("b"));
        let not_modified = map(&[
            ("cache-control", "max-age=600"),
            ("date", "Tue, 08 Nov 1994 08:49:37 GMT"),
            ("x-multi", "c"),
            ("content-length", "0"),
            ("content-encoding", "br"),
            ("content-range", "bytes 0-1/5"),
            ("transfer-encoding", "chunked"),
            ("vary", "*"),
            ("set-cookie", "session=viewer"),
            ("connection", "x-hop"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("proxy-authenticate", "Basic"),
            ("age", "3"),
        ]);
        freshen(&mut stored, &not_modified);

        assert_eq!(stored["cache-control"], "max-age=600");
        assert_eq!(stored["date"], "Tue, 08 Nov 1994 08:49:37 GMT");
        let multi: Vec<_> = stored.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["c"]);
        assert_eq!(stored["content-length"], "5");
        assert_eq!(stored["content-encoding"], "gzip");
        assert_eq!(stored["vary"], "accept-encoding");
        assert_eq!(stored["etag"], "\"v1\"");
        assert_eq!(stored["content-type"], "text/html");
        assert_eq!(stored["age"], "3");
        for absent in [
            "content-range",
            "transfer-encoding",
            "set-cookie",
            "connection",
            "x-hop",
            "keep-alive",
            "proxy-authenticate",
        ] {
            assert!(!stored.contains_key(absent), "{absent}");
        }
    }

    #[test]
    fn validator_matching_for_freshening() {
        // RFC 9111 §4.3.4.
        let strong = map(&[("etag", "\"v1\""), ("last-modified", OLD)]);
        assert!(validator_matches(&strong, &map(&[("etag", "\"v1\"")])));
        assert!(!validator_matches(&strong, &map(&[("etag", "\"v2\"")])));
        assert!(validator_matches(&strong, &map(&[("etag", "W/\"v1\"")])));
        assert!(!validator_matches(&strong, &map(&[("etag", "garbage")])));

        let weak = map(&[("etag", "W/\"v1\"")]);
        assert!(!validator_matches(&weak, &map(&[("etag", "\"v1\"")])));
        assert!(validator_matches(&weak, &map(&[("etag", "W/\"v1\"")])));

        assert!(validator_matches(&strong, &map(&[("last-modified", OLD)])));
        assert!(!validator_matches(
            &strong,
            &map(&[("last-modified", NEWER)])
        ));
        assert!(!validator_matches(
            &strong,
            &map(&[("last-modified", "bad")])
        ));

        assert!(!validator_matches(&strong, &map(&[("date", NEWER)])));
        assert!(validator_matches(
            &map(&[("date", OLD)]),
            &map(&[("date", NEWER)])
        ));
    }

    #[test]
    fn a_304_to_the_caches_own_validation() {
        let stored = map(&[("etag", "W/\"v1\""), ("last-modified", OLD)]);
        assert!(refreshes(&stored, &map(&[("etag", "\"v1\"")])));
        assert!(refreshes(&stored, &map(&[("etag", "W/\"v1\"")])));
        assert!(!refreshes(&stored, &map(&[("etag", "\"v2\"")])));
        assert!(!refreshes(&stored, &map(&[("etag", "v1")])));
        assert!(refreshes(&stored, &map(&[("cache-control", "max-age=60")])));
        assert!(refreshes(&stored, &map(&[("last-modified", OLD)])));
        assert!(!refreshes(&stored, &map(&[("last-modified", NEWER)])));
        assert!(!refreshes(&map(&[]), &map(&[("etag", "\"v1\"")])));
    }

    #[test]
    fn freshening_keeps_a_tag_the_edge_weakened() {
        let mut stored = map(&[("etag", "W/\"v1\""), ("content-encoding", "br")]);
        freshen(&mut stored, &map(&[("etag", "\"v1\"")]));
        assert_eq!(stored["etag"], "W/\"v1\"");
        freshen(&mut stored, &map(&[("etag", "W/\"v2\"")]));
        assert_eq!(stored["etag"], "W/\"v2\"");
    }
}
