//! HTTP-date parsing and formatting (RFC 9110 §5.6.7) for the date fields the cache reads:
//! `Date`, `Expires`, `Last-Modified`, `If-Modified-Since` and friends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};

/// The latest instant an HTTP-date can express: 9999-12-31T23:59:59Z. `httpdate` refuses to
/// format anything later, so [`fmt_http_date`] clamps to it.
const LATEST_HTTP_DATE: Duration = Duration::from_secs(253_402_300_799);

/// What a singleton date header field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    /// The field is not present.
    Absent,
    /// Exactly one field line holding a valid HTTP-date.
    Valid(SystemTime),
    /// The field is present but unusable: not an HTTP-date, or more than one field line (a
    /// singleton field sent twice has no single meaning).
    Invalid,
}

impl DateField {
    /// The date, when the field is valid.
    pub fn valid(self) -> Option<SystemTime> {
        match self {
            DateField::Valid(date) => Some(date),
            DateField::Absent | DateField::Invalid => None,
        }
    }
}

/// Parses one field value as an HTTP-date.
///
/// RFC 9110 §5.6.7: recipients accept the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms, rfc850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`, two-digit years below 70 read as 20xx) and asctime
/// (`Sun Nov  6 08:49:37 1994`). Surrounding whitespace is ignored. A date whose weekday does
/// not match the calendar, a date before 1970, or any non-ASCII byte gives `None`.
pub fn parse_http_date(value: &HeaderValue) -> Option<SystemTime> {
    let text = value.to_str().ok()?;
    httpdate::parse_http_date(text).ok()
}

/// Reads the singleton date field `name` from `headers`.
pub fn header_date(headers: &HeaderMap, name: impl http::header::AsHeaderName) -> DateField {
    let mut lines = headers.get_all(name).into_iter();
    let Some(first) = lines.next() else {
        return DateField::Absent;
    };
    if lines.next().is_some() {
        return DateField::Invalid;
    }
    match parse_http_date(first) {
        Some(date) => DateField::Valid(date),
        None => DateField::Invalid,
    }
}

/// Formats `time` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
///
/// Sub-second precision is dropped. Times before 1970 or after the year 9999 cannot be written
/// as an HTTP-date and are clamped to the nearest representable instant.
pub fn fmt_http_date(time: SystemTime) -> HeaderValue {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let clamped = UNIX_EPOCH + since_epoch.min(LATEST_HTTP_DATE);
    let text = httpdate::fmt_http_date(clamped);
    // An IMF-fixdate is visible ASCII, so this never falls back.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

#[cfg(test)]
mod tests {
    use http::header::{DATE, EXPIRES, LAST_MODIFIED};

    use super::*;

    /// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110 §5.6.7.
    fn rfc_example() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn value(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).expect("test value")
    }

    #[test]
    fn accepts_all_three_formats_of_rfc9110_5_6_7() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(&value(text)), Some(rfc_example()), "{text}");
        }
    }

    #[test]
    fn ignores_surrounding_whitespace() {
        let parsed = parse_http_date(&value("  Sun, 06 Nov 1994 08:49:37 GMT "));
        assert_eq!(parsed, Some(rfc_example()));
    }

    #[test]
    fn rejects_malformed_dates() {
        for text in [
            "",
            "0",
            "-1",
            "tomorrow",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT, Thu, 01 Jan 1970 00:00:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
        ] {
            assert_eq!(parse_http_date(&value(text)), None, "{text:?}");
        }
    }

    #[test]
    fn rejects_non_ascii_bytes() {
        let raw = HeaderValue::from_bytes(b"Sun, 06 Nov 1994 08:49:37 GMT\xff").expect("obs-text");
        assert_eq!(parse_http_date(&raw), None);
    }

    #[test]
    fn header_date_distinguishes_absent_valid_and_invalid() {
        let mut headers = HeaderMap::new();
        assert_eq!(header_date(&headers, DATE), DateField::Absent);

        headers.insert(DATE, value("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(header_date(&headers, DATE), DateField::Valid(rfc_example()));
        assert_eq!(header_date(&headers, "date").valid(), Some(rfc_example()));

        headers.insert(EXPIRES, value("0"));
        assert_eq!(header_date(&headers, EXPIRES), DateField::Invalid);
        assert_eq!(header_date(&headers, EXPIRES).valid(), None);
    }

    #[test]
    fn two_field_lines_of_a_singleton_date_are_invalid() {
        let mut headers = HeaderMap::new();
        headers.append(LAST_MODIFIED, value("Sun, 06 Nov 1994 08:49:37 GMT"));
        headers.append(LAST_MODIFIED, value("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(header_date(&headers, LAST_MODIFIED), DateField::Invalid);
    }

    #[test]
    fn formats_imf_fixdate() {
        assert_eq!(
            fmt_http_date(rfc_example()),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn formatting_drops_subseconds_and_round_trips() {
        let time = rfc_example() + Duration::from_millis(999);
        let formatted = fmt_http_date(time);
        assert_eq!(parse_http_date(&formatted), Some(rfc_example()));
    }

    #[test]
    fn formatting_clamps_unrepresentable_times() {
        let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(fmt_http_date(before_epoch), "Thu, 01 Jan 1970 00:00:00 GMT");

        let far_future = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(fmt_http_date(far_future), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
}
