//! Byte-range requests served from a stored full response (RFC 9110 §14): which part of the
//! body to send, guarded by `If-Range` (§13.1.5), and the `Content-Range` values to send it with.

use std::time::Duration;

use http::header::{DATE, IF_RANGE, LAST_MODIFIED, RANGE};
use http::{HeaderMap, HeaderValue};

use crate::conditional::{parse_entity_tag, stored_etag};
use crate::dates::{header_date, parse_http_date};

/// What to send for a viewer's GET of a stored 200 response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// The whole representation with `200`: no Range, an unusable one, or a failed If-Range.
    Full,
    /// `206 Partial Content` with bytes `start..=end` of the body.
    Partial {
        /// First byte offset.
        start: u64,
        /// Last byte offset, inclusive.
        end: u64,
    },
    /// `416 Range Not Satisfiable` with [`unsatisfied_range`].
    Unsatisfiable,
}

/// Decides how to answer the viewer's `Range` for a stored body of `len` bytes.
///
/// Only the `bytes` unit (case-insensitive) and one range of the forms `a-b`, `a-` and `-n`.
/// A Range that does not parse, names another unit, or arrives on several field lines is
/// ignored (§14.2). `end` is clamped to the last byte; a `start` at or past the end, or `-0`,
/// is unsatisfiable (§14.1.1). For an empty body every range is unsatisfiable except a non-zero
/// suffix, which §14.1.1 calls satisfiable but which selects nothing, so the empty body is
/// sent whole.
///
/// The caller applies this only to stored 200 responses and to GET (§14.2).
pub fn parse(request_headers: &HeaderMap, stored: &HeaderMap, len: u64) -> RangeRequest {
    let mut lines = request_headers.get_all(RANGE).iter();
    let (Some(range), None) = (lines.next(), lines.next()) else {
        return RangeRequest::Full;
    };
    let Some(spec) = range_spec(range.as_bytes()) else {
        return RangeRequest::Full;
    };
    if !if_range_holds(request_headers, stored) {
        return RangeRequest::Full;
    }
    resolve(spec, len)
}

/// One byte-range-spec (RFC 9110 §14.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-` or `first-last`.
    Int { first: u64, last: Option<u64> },
    /// `-length`.
    Suffix(u64),
}

/// Parses `bytes=<one range>`. Numbers too large for u64 saturate: as a first position they
/// are past any body, as a last position or suffix they reach its end.
fn range_spec(value: &[u8]) -> Option<Spec> {
    let value = value.trim_ascii();
    let (unit, set) = value.split_at(value.iter().position(|&b| b == b'=')?);
    if !unit.trim_ascii().eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let mut specs = set[1..]
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|s| !s.is_empty());
    let spec = specs.next()?;

    // Limitation: a multi-range request is answered with the full representation, since
    // multipart/byteranges responses are not produced (§14.2 lets a server ignore Range).
    if specs.next().is_some() {
        return None;
    }

    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    if first.is_empty() {
        return Some(Spec::Suffix(digits(last)?));
    }
    let first = digits(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(digits(last)?)
    };
    if last.is_some_and(|last| last < first) {
        return None;
    }
    Some(Spec::Int { first, last })
}

/// 1*DIGIT, saturating.
fn digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}

fn resolve(spec: Spec, len: u64) -> RangeRequest {
    let Some(last_byte) = len.checked_sub(1) else {
        return match spec {
            Spec::Suffix(length) if length > 0 => RangeRequest::Full,
            _ => RangeRequest::Unsatisfiable,
        };
    };
    match spec {
        Spec::Int { first, .. } if first >= len => RangeRequest::Unsatisfiable,
        Spec::Int { first, last } => RangeRequest::Partial {
            start: first,
            end: last.map_or(last_byte, |last| last.min(last_byte)),
        },
        Spec::Suffix(0) => RangeRequest::Unsatisfiable,
        Spec::Suffix(length) => RangeRequest::Partial {
            start: len.saturating_sub(length),
            end: last_byte,
        },
    }
}

/// `If-Range` (RFC 9110 §13.1.5): true without the field; with an entity-tag, true only on a
/// strong match with the stored ETag; with a date, true only when it equals the stored
/// Last-Modified exactly and that Last-Modified is strong, i.e. at least a second before the
/// stored Date (§8.8.2.2). Anything else (several lines, garbage) is false, so the full
/// representation is sent, which is always correct.
fn if_range_holds(request_headers: &HeaderMap, stored: &HeaderMap) -> bool {
    let mut lines = request_headers.get_all(IF_RANGE).iter();
    let Some(condition) = lines.next() else {
        return true;
    };
    if lines.next().is_some() {
        return false;
    }

    let trimmed = condition.as_bytes().trim_ascii();
    if trimmed.starts_with(b"\"") || trimmed.starts_with(b"W/") {
        let (Some(tag), Some(current)) = (parse_entity_tag(condition), stored_etag(stored)) else {
            return false;
        };
        return tag.strong_eq(&current);
    }

    let Some(date) = parse_http_date(condition) else {
        return false;
    };
    let Some(last_modified) = header_date(stored, LAST_MODIFIED).valid() else {
        return false;
    };
    let strong = header_date(stored, DATE)
        .valid()
        .and_then(|sent| sent.duration_since(last_modified).ok())
        .is_some_and(|gap| gap >= Duration::from_secs(1));
    strong && date == last_modified
}

/// `Content-Range` for a 206: `bytes 0-99/1000` (RFC 9110 §14.4).
pub fn content_range(start: u64, end: u64, len: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
        .unwrap_or_else(|_| HeaderValue::from_static("bytes */0"))
}

/// `Content-Range` for a 416: `bytes */1000` (RFC 9110 §14.4, §15.5.17).
pub fn unsatisfied_range(len: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("bytes */{len}"))
        .unwrap_or_else(|_| HeaderValue::from_static("bytes */0"))
}

#[cfg(test)]
mod tests {
    use http::HeaderName;

    use super::*;

    const LM: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const DATE_LATER: &str = "Mon, 07 Nov 1994 08:49:37 GMT";

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
            ("last-modified", LM),
            ("date", DATE_LATER),
        ])
    }

    fn range(value: &str, len: u64) -> RangeRequest {
        parse(&map(&[("range", value)]), &stored(), len)
    }

    fn part(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Partial { start, end }
    }

    #[test]
    fn single_ranges() {
        // RFC 9110 §14.1.2 examples, on a 10 000-byte body.
        let cases = [
            ("bytes=0-499", part(0, 499)),
            ("bytes=500-999", part(500, 999)),
            ("bytes=-500", part(9500, 9999)),
            ("bytes=9500-", part(9500, 9999)),
            ("bytes=0-0", part(0, 0)),
            ("bytes=-1", part(9999, 9999)),
            ("bytes=0-", part(0, 9999)),
            ("bytes=5-5", part(5, 5)),
            ("BYTES=0-1", part(0, 1)),
            (" bytes = 0-1 ", part(0, 1)),
            ("bytes=0-1,", part(0, 1)),
        ];
        for (value, expected) in cases {
            assert_eq!(range(value, 10_000), expected, "{value}");
        }
    }

    #[test]
    fn end_is_clamped_and_long_suffix_is_whole_body() {
        assert_eq!(range("bytes=0-99999", 1000), part(0, 999));
        assert_eq!(
            range("bytes=990-99999999999999999999999", 1000),
            part(990, 999)
        );
        assert_eq!(range("bytes=-5000", 1000), part(0, 999));
        assert_eq!(range("bytes=-99999999999999999999999", 1000), part(0, 999));
    }

    #[test]
    fn unsatisfiable_ranges() {
        // RFC 9110 §14.1.1 and §15.5.17.
        assert_eq!(range("bytes=1000-", 1000), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=1000-2000", 1000), RangeRequest::Unsatisfiable);
        assert_eq!(
            range("bytes=99999999999999999999999-", 1000),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(range("bytes=-0", 1000), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn empty_body() {
        assert_eq!(range("bytes=0-", 0), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=0-0", 0), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=-0", 0), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=-10", 0), RangeRequest::Full);
    }

    #[test]
    fn invalid_ranges_are_ignored() {
        // RFC 9110 §14.2: a server ignores a Range it cannot parse.
        for value in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=5-1",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=1 -2",
            "items=0-1",
            "bytes 0-1",
            "=0-1",
            "bytes=,",
        ] {
            assert_eq!(range(value, 1000), RangeRequest::Full, "{value:?}");
        }
    }

    #[test]
    fn multiple_ranges_are_served_whole() {
        assert_eq!(range("bytes=0-1,5-6", 1000), RangeRequest::Full);
        assert_eq!(range("bytes=0-1, -5", 1000), RangeRequest::Full);
        let twice = map(&[("range", "bytes=0-1"), ("range", "bytes=2-3")]);
        assert_eq!(parse(&twice, &stored(), 1000), RangeRequest::Full);
    }

    #[test]
    fn no_range_is_full() {
        assert_eq!(
            parse(&HeaderMap::new(), &stored(), 1000),
            RangeRequest::Full
        );
        // If-Range alone is ignored (§13.1.5).
        let only_if_range = map(&[("if-range", "\"other\"")]);
        assert_eq!(parse(&only_if_range, &stored(), 1000), RangeRequest::Full);
    }

    fn with_if_range(if_range: &str, stored: &HeaderMap) -> RangeRequest {
        parse(
            &map(&[("range", "bytes=0-9"), ("if-range", if_range)]),
            stored,
            100,
        )
    }

    #[test]
    fn if_range_with_entity_tag() {
        // RFC 9110 §13.1.5: strong comparison only.
        assert_eq!(with_if_range("\"v1\"", &stored()), part(0, 9));
        assert_eq!(with_if_range("\"v2\"", &stored()), RangeRequest::Full);
        assert_eq!(with_if_range("W/\"v1\"", &stored()), RangeRequest::Full);
        let weak_stored = map(&[("etag", "W/\"v1\"")]);
        assert_eq!(with_if_range("\"v1\"", &weak_stored), RangeRequest::Full);
        assert_eq!(
            with_if_range("\"v1\"", &HeaderMap::new()),
            RangeRequest::Full
        );
        assert_eq!(with_if_range("\"v1", &stored()), RangeRequest::Full);
    }

    #[test]
    fn if_range_with_date() {
        assert_eq!(with_if_range(LM, &stored()), part(0, 9));
        assert_eq!(with_if_range(DATE_LATER, &stored()), RangeRequest::Full);
        assert_eq!(with_if_range("garbage", &stored()), RangeRequest::Full);
        // A Last-Modified not a second older than Date is weak (§8.8.2.2).
        let same_second = map(&[("last-modified", LM), ("date", LM)]);
        assert_eq!(with_if_range(LM, &same_second), RangeRequest::Full);
        let no_date = map(&[("last-modified", LM)]);
        assert_eq!(with_if_range(LM, &no_date), RangeRequest::Full);
    }

    #[test]
    fn if_range_on_two_lines_fails() {
        let request = map(&[
            ("range", "bytes=0-9"),
            ("if-range", "\"v1\""),
            ("if-range", "\"v1\""),
        ]);
        assert_eq!(parse(&request, &stored(), 100), RangeRequest::Full);
    }

    #[test]
    fn if_range_does_not_rescue_an_invalid_range() {
        let request = map(&[("range", "bytes=9-0"), ("if-range", "\"v1\"")]);
        assert_eq!(parse(&request, &stored(), 100), RangeRequest::Full);
    }

    #[test]
    fn content_range_values() {
        assert_eq!(content_range(0, 99, 1000), "bytes 0-99/1000");
        assert_eq!(content_range(999, 999, 1000), "bytes 999-999/1000");
        assert_eq!(unsatisfied_range(1000), "bytes */1000");
        assert_eq!(unsatisfied_range(0), "bytes */0");
    }
}
