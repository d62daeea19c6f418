//! A stored response's age (RFC 9111 §4.2.3) and the `Age` field the cache sends (RFC 9111
//! §5.1); also [`build_meta`] (re-exported as `storable::build_meta`), which turns an origin
//! response and its freshness into the [`Meta`] the tiers keep, since the corrected initial age
//! is the one thing it computes.

use std::time::{Duration, SystemTime};

use http::header::{AGE, DATE};
use http::{HeaderMap, HeaderValue};

use crate::Meta;
use crate::dates::header_date;
use crate::directives::{MAX_DELTA_SECONDS, parse_delta_seconds};
use crate::storable::Freshness;

/// The origin's `Age` value. Age is a singleton delta-seconds field, but intermediaries do
/// send it twice or as a list: the first element (across all lines, in order) that is valid
/// delta-seconds counts and the rest are ignored; with none, the value is zero.
fn age_value(headers: &HeaderMap) -> Duration {
    let first_valid = headers
        .get_all(AGE)
        .iter()
        .flat_map(|line| line.as_bytes().split(|&b| b == b','))
        .find_map(|element| parse_delta_seconds(element.trim_ascii()));
    Duration::from_secs(first_valid.unwrap_or(0))
}

/// The corrected initial age of a response (RFC 9111 §4.2.3):
///
/// ```text
/// apparent_age          = max(0, response_time - date_value)
/// response_delay        = response_time - request_time
/// corrected_age_value   = age_value + response_delay
/// corrected_initial_age = max(apparent_age, corrected_age_value)
/// ```
///
/// Without a valid `Date`, the apparent age is zero (the response is taken as dated at
/// arrival, as RFC 9110 §6.6.1 allows). A `response_time` before `request_time` (a clock step)
/// counts as no delay.
pub fn initial_age(
    response_headers: &HeaderMap,
    request_time: SystemTime,
    response_time: SystemTime,
) -> Duration {
    let apparent_age = header_date(response_headers, DATE)
        .valid()
        .and_then(|date| response_time.duration_since(date).ok())
        .unwrap_or_default();
    let response_delay = response_time
        .duration_since(request_time)
        .unwrap_or_default();
    let corrected_age_value = age_value(response_headers).saturating_add(response_delay);
    apparent_age.max(corrected_age_value)
}

/// The `Age` field value for `age`: whole seconds, capped at 2^31 (RFC 9111 §5.1 and §1.2.2).
pub fn age_header(age: Duration) -> HeaderValue {
    HeaderValue::from(age.as_secs().min(MAX_DELTA_SECONDS))
}

/// Builds the metadata of a response about to be stored.
///
/// Computes the corrected initial age from the headers as received, then removes from them
/// `Age` (recomputed on every use) and the fields `freshness.strip` names (`no-cache="..."`,
/// `private="..."`). Hop-by-hop fields are the caller's to remove before this.
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per Meta field the caller knows; a builder would only rename them"
)]
pub fn build_meta(
    key: String,
    status: u16,
    mut headers: HeaderMap,
    request_time: SystemTime,
    response_time: SystemTime,
    freshness: &Freshness,
    tags: Vec<String>,
    body_len: u64,
) -> Meta {
    let initial_age = initial_age(&headers, request_time, response_time);

    headers.remove(AGE);
    for name in &freshness.strip {
        headers.remove(name);
    }

    Meta {
        key,
        status,
        headers,
        request_time,
        response_time,
        initial_age,
        fresh_for: freshness.fresh_for,
        stale_while_revalidate: freshness.stale_while_revalidate,
        stale_if_error: freshness.stale_if_error,
        must_revalidate: freshness.must_revalidate,
        no_cache: freshness.no_cache,
        tags,
        body_len,
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use http::HeaderName;
    use http::header::{ETAG, SET_COOKIE};

    use super::*;
    use crate::dates::fmt_http_date;

    const T0: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn headers(date: Option<u64>, ages: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(date) = date {
            map.insert(DATE, fmt_http_date(at(date)));
        }
        for age in ages {
            map.append(AGE, HeaderValue::from_str(age).expect("test value"));
        }
        map
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn fresh_from_origin_is_age_zero() {
        let age = initial_age(&headers(Some(T0), &[]), at(T0), at(T0));
        assert_eq!(age, Duration::ZERO);
    }

    #[test]
    fn apparent_age_from_date() {
        // The origin dated it 30 s before it arrived.
        let age = initial_age(&headers(Some(T0 - 30), &[]), at(T0), at(T0));
        assert_eq!(age, secs(30));
    }

    #[test]
    fn date_in_the_future_counts_as_zero() {
        let age = initial_age(&headers(Some(T0 + 300), &[]), at(T0), at(T0));
        assert_eq!(age, Duration::ZERO);
    }

    #[test]
    fn age_value_plus_response_delay() {
        // An upstream cache said 100 s; the round trip took 2 s.
        let age = initial_age(&headers(Some(T0), &["100"]), at(T0 - 2), at(T0));
        assert_eq!(age, secs(102));
    }

    #[test]
    fn larger_of_apparent_and_corrected() {
        let age = initial_age(&headers(Some(T0 - 500), &["100"]), at(T0 - 1), at(T0));
        assert_eq!(age, secs(500));
        let age = initial_age(&headers(Some(T0 - 5), &["100"]), at(T0 - 1), at(T0));
        assert_eq!(age, secs(101));
    }

    #[test]
    fn response_delay_counts_without_date() {
        let age = initial_age(&HeaderMap::new(), at(T0 - 3), at(T0));
        assert_eq!(age, secs(3));
    }

    #[test]
    fn clock_step_backwards_is_no_delay() {
        let age = initial_age(&headers(None, &["7"]), at(T0 + 10), at(T0));
        assert_eq!(age, secs(7));
    }

    #[test]
    fn invalid_and_repeated_age_values() {
        let cases: &[(&[&str], u64)] = &[
            (&["abc"], 0),
            (&["-5"], 0),
            (&["1.5"], 0),
            (&["abc", "40"], 40),
            (&["40", "50"], 40),
            (&["x, 60, 70"], 60),
            (&[" 9 "], 9),
            (&["99999999999999999999"], MAX_DELTA_SECONDS),
        ];
        for (ages, expected) in cases {
            let age = initial_age(&headers(None, ages), at(T0), at(T0));
            assert_eq!(age, secs(*expected), "{ages:?}");
        }
    }

    #[test]
    fn age_header_values() {
        assert_eq!(age_header(Duration::ZERO), "0");
        assert_eq!(age_header(Duration::from_millis(59_999)), "59");
        assert_eq!(age_header(secs(3600)), "3600");
        assert_eq!(age_header(secs(u64::MAX)), "2147483648");
    }

    #[test]
    fn build_meta_fills_in_and_strips() {
        let mut response = headers(Some(T0 - 10), &["4"]);
        response.insert(ETAG, HeaderValue::from_static("\"v1\""));
        response.insert(SET_COOKIE, HeaderValue::from_static("a=b"));
        response.insert("x-user", HeaderValue::from_static("alice"));
        let freshness = Freshness {
            fresh_for: secs(60),
            stale_while_revalidate: secs(5),
            stale_if_error: secs(600),
            must_revalidate: true,
            no_cache: false,
            strip: vec![SET_COOKIE, HeaderName::from_static("x-user")],
        };
        let tags = vec!["product-1".to_owned()];

        let meta = build_meta(
            "k".to_owned(),
            200,
            response,
            at(T0 - 1),
            at(T0),
            &freshness,
            tags.clone(),
            1234,
        );

        assert_eq!(meta.key, "k");
        assert_eq!(meta.status, 200);
        assert_eq!(meta.initial_age, secs(10));
        assert_eq!(meta.request_time, at(T0 - 1));
        assert_eq!(meta.response_time, at(T0));
        assert_eq!(meta.fresh_for, secs(60));
        assert_eq!(meta.stale_while_revalidate, secs(5));
        assert_eq!(meta.stale_if_error, secs(600));
        assert!(meta.must_revalidate);
        assert!(!meta.no_cache);
        assert_eq!(meta.tags, tags);
        assert_eq!(meta.body_len, 1234);
        assert!(!meta.headers.contains_key(AGE));
        assert!(!meta.headers.contains_key(SET_COOKIE));
        assert!(!meta.headers.contains_key("x-user"));
        assert_eq!(meta.headers[ETAG], "\"v1\"");
        assert!(meta.headers.contains_key(DATE));

        // The shared Meta then ages from the initial age.
        assert_eq!(meta.age(at(T0 + 20)), secs(30));
        assert!(meta.is_fresh(at(T0 + 49)));
        assert!(!meta.is_fresh(at(T0 + 50)));
    }
}
