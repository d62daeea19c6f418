//! Whether an origin response may be stored and for how long: RFC 9111 §3 (storing) and
//! §4.2 (freshness), combined with the cache behavior's TTL policy the way CloudFront combines
//! them. The store phase calls [`decide`] once per response, before reading the body.

use std::time::{Duration, SystemTime};

use http::header::{AUTHORIZATION, DATE, EXPIRES, LAST_MODIFIED, SET_COOKIE};
use http::{HeaderMap, HeaderName, Method};

use crate::TtlPolicy;
use crate::conditional::stored_etag;
use crate::dates::header_date;
use crate::directives::{self, CacheControl, Directive};
use crate::vary::{Vary, vary};

/// Builds the [`crate::Meta`] of a response [`decide`] chose to store; it lives in
/// [`crate::age`] beside the initial-age computation it performs.
pub use crate::age::build_meta;

/// Upper bound on a heuristic lifetime (RFC 9111 §4.2.2 suggests a fraction of the time since
/// Last-Modified; a day is the customary ceiling).
const MAX_HEURISTIC_LIFETIME: Duration = Duration::from_secs(86_400);

/// The viewer request a response answers, as far as storing it is concerned.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request headers as forwarded to the origin.
    pub headers: &'a HeaderMap,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Store the response with this freshness.
    Store(Freshness),
    /// Pass the response through without storing it.
    DontStore(NotStored),
}

/// How a stored response ages, once the cache policy's TTLs are applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Freshness {
    /// The freshness lifetime. Zero means the response is stored only to be revalidated.
    pub fresh_for: Duration,
    /// `stale-while-revalidate` (RFC 5861 §3); zero when absent or invalid.
    pub stale_while_revalidate: Duration,
    /// `stale-if-error` (RFC 5861 §4); zero when absent or invalid.
    pub stale_if_error: Duration,
    /// `must-revalidate`, `proxy-revalidate`, or `s-maxage`, which implies `proxy-revalidate`
    /// for a shared cache (RFC 9111 §5.2.2.10): never served stale without validation.
    pub must_revalidate: bool,
    /// Unqualified `no-cache` (RFC 9111 §5.2.2.4): every use needs a successful validation.
    pub no_cache: bool,
    /// Header fields named by `no-cache="..."` or `private="..."`, to be removed from the
    /// stored copy (RFC 9111 §5.2.2.4, §5.2.2.7).
    pub strip: Vec<HeaderName>,
}

/// Why a response was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// The request method is not GET (HEAD responses only update, which this cache skips).
    Method,
    /// Not a final status; a 206, 304, 412 or 416, which answer one request's range or
    /// preconditions; or a status that needs explicit freshness and had none.
    Status,
    /// `Vary: *` (RFC 9111 §4.1).
    VaryStar,
    /// `no-store` (RFC 9111 §5.2.2.5).
    NoStore,
    /// `must-understand` on a status code the cache does not implement (RFC 9111 §5.2.2.3).
    MustUnderstand,
    /// Unqualified `private` (RFC 9111 §5.2.2.7).
    Private,
    /// The request carried Authorization and the response did not allow sharing (RFC 9111 §3.5).
    Authorization,
    /// `Set-Cookie` not qualified away by `no-cache="set-cookie"` or `private="set-cookie"`.
    SetCookie,
    /// Unqualified `no-cache` with no validator: every use would be a full fetch anyway.
    NoCache,
    /// An error status without explicit freshness while error caching is off.
    ErrorTtl,
    /// A zero lifetime and no validator to revalidate with.
    ZeroTtl,
    /// An invalid `max-age` / `s-maxage` (so stale on arrival) and no validator.
    InvalidFreshness,
}

impl NotStored {
    /// A short snake_case reason for logs and metrics labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            NotStored::Method => "method",
            NotStored::Status => "status",
            NotStored::VaryStar => "vary_star",
            NotStored::NoStore => "no_store",
            NotStored::MustUnderstand => "must_understand",
            NotStored::Private => "private",
            NotStored::Authorization => "authorization",
            NotStored::SetCookie => "set_cookie",
            NotStored::NoCache => "no_cache",
            NotStored::ErrorTtl => "error_ttl",
            NotStored::ZeroTtl => "zero_ttl",
            NotStored::InvalidFreshness => "invalid_freshness",
        }
    }
}

/// Decides whether a response may be stored, and with what freshness.
///
/// The rules, in order:
/// 1. Only GET responses; no 1xx, 206, 304, 412 or 416.
/// 2. `CDN-Cache-Control`, when usable, replaces `Cache-Control` and `Expires` (RFC 9213 §2.2).
/// 3. `Vary: *`, `no-store`, unqualified `private`: not stored. A policy minimum TTL above zero
///    overrides `no-store`, `private` and `no-cache` (CloudFront's rule); `must-understand`
///    overrides `no-store` for a status the cache implements (RFC 9111 §5.2.2.3).
/// 4. Authorization in the request needs `public`, `s-maxage` or `must-revalidate` (§3.5).
/// 5. `Set-Cookie` needs `no-cache="set-cookie"` or `private="set-cookie"`, and is stripped.
/// 6. The lifetime: explicit (§4.2.1) clamped to the policy's [min, max]; else for an error
///    status `error_ttl` (CloudFront's ErrorCachingMinTTL); else for a heuristically cacheable
///    status (RFC 9110 §15.1) the policy default, or 10% of the time since Last-Modified
///    (at most a day, clamped), or the policy minimum; other statuses need explicit freshness.
/// 7. A zero lifetime is stored only with a validator (ETag or Last-Modified) to revalidate.
///
/// Request directives (`no-store` from a viewer) do not affect storing: a viewer cannot opt a
/// shared CDN cache out.
pub fn decide(
    request: &RequestFacts<'_>,
    status: u16,
    response_headers: &HeaderMap,
    ttl: &TtlPolicy,
    error_ttl: Duration,
    now: SystemTime,
) -> Decision {
    match evaluate(request, status, response_headers, ttl, error_ttl, now) {
        Ok(freshness) => Decision::Store(freshness),
        Err(reason) => Decision::DontStore(reason),
    }
}

fn evaluate(
    request: &RequestFacts<'_>,
    status: u16,
    headers: &HeaderMap,
    ttl: &TtlPolicy,
    error_ttl: Duration,
    now: SystemTime,
) -> Result<Freshness, NotStored> {
    if *request.method != Method::GET {
        return Err(NotStored::Method);
    }
    if !(200..=599).contains(&status) || answers_the_request_only(status) {
        return Err(NotStored::Status);
    }

    let (cc, targeted) = match directives::parse_cdn(headers) {
        Some(cdn) => (cdn, true),
        None => (directives::parse(headers), false),
    };
    if vary(headers) == Vary::Any {
        return Err(NotStored::VaryStar);
    }

    let policy_overrides = !ttl.min.is_zero();
    if cc.must_understand && !understands(status) {
        return Err(NotStored::MustUnderstand);
    }
    if cc.no_store && !cc.must_understand && !policy_overrides {
        return Err(NotStored::NoStore);
    }
    if cc.private.is_all() && !policy_overrides {
        return Err(NotStored::Private);
    }

    let shareable = cc.public || cc.s_maxage.valid().is_some() || cc.must_revalidate;
    if request.headers.contains_key(AUTHORIZATION) && !shareable {
        return Err(NotStored::Authorization);
    }

    let strip = qualified_fields(&cc);
    if headers.contains_key(SET_COOKIE) && !strip.contains(&SET_COOKIE) {
        return Err(NotStored::SetCookie);
    }

    let has_validator =
        stored_etag(headers).is_some() || header_date(headers, LAST_MODIFIED).valid().is_some();
    let no_cache = cc.no_cache.is_all() && !policy_overrides;
    if no_cache && !has_validator {
        return Err(NotStored::NoCache);
    }

    let (fresh_for, invalid) = match explicit_lifetime(&cc, targeted, headers, now) {
        Explicit::Lifetime(lifetime) => (bound(lifetime, ttl), false),
        Explicit::Invalid => (bound(Duration::ZERO, ttl), true),
        Explicit::None if is_error_status(status) => {
            if error_ttl.is_zero() {
                return Err(NotStored::ErrorTtl);
            }
            (error_ttl, false)
        }
        Explicit::None if is_heuristically_cacheable(status) => {
            (default_lifetime(headers, ttl, now), false)
        }
        Explicit::None => return Err(NotStored::Status),
    };
    if fresh_for.is_zero() && !has_validator {
        return Err(if invalid {
            NotStored::InvalidFreshness
        } else {
            NotStored::ZeroTtl
        });
    }

    Ok(Freshness {
        fresh_for,
        stale_while_revalidate: cc
            .stale_while_revalidate
            .valid()
            .copied()
            .unwrap_or_default(),
        stale_if_error: cc.stale_if_error.valid().copied().unwrap_or_default(),
        must_revalidate: cc.must_revalidate || cc.proxy_revalidate || cc.s_maxage.is_present(),
        no_cache,
        strip,
    })
}

/// The origin's own freshness lifetime.
enum Explicit {
    /// No `s-maxage`, `max-age` or `Expires`.
    None,
    /// A usable lifetime.
    Lifetime(Duration),
    /// An invalid `s-maxage` / `max-age`: stale on arrival (RFC 9111 §4.2.1).
    Invalid,
}

/// RFC 9111 §4.2.1: `s-maxage` (a shared cache), else `max-age`, else `Expires − Date`.
/// `Expires` is ignored with either directive (§5.3) and under CDN-Cache-Control (RFC 9213
/// §2.2). An invalid `Expires` (e.g. `0`) means already expired (§5.3). A missing or invalid
/// `Date` is replaced by the time of receipt, as RFC 9110 §6.6.1 allows.
fn explicit_lifetime(
    cc: &CacheControl,
    targeted: bool,
    headers: &HeaderMap,
    now: SystemTime,
) -> Explicit {
    for directive in [&cc.s_maxage, &cc.max_age] {
        match directive {
            Directive::Valid(lifetime) => return Explicit::Lifetime(*lifetime),
            Directive::Invalid => return Explicit::Invalid,
            Directive::Absent => {}
        }
    }
    if targeted {
        return Explicit::None;
    }
    match header_date(headers, EXPIRES) {
        crate::dates::DateField::Absent => Explicit::None,
        crate::dates::DateField::Invalid => Explicit::Lifetime(Duration::ZERO),
        crate::dates::DateField::Valid(expires) => {
            let date = header_date(headers, DATE).valid().unwrap_or(now);
            Explicit::Lifetime(expires.duration_since(date).unwrap_or_default())
        }
    }
}

/// The lifetime without explicit freshness: the policy default, else a heuristic (RFC 9111
/// §4.2.2: 10% of the time since Last-Modified, at most a day), else the policy minimum.
fn default_lifetime(headers: &HeaderMap, ttl: &TtlPolicy, now: SystemTime) -> Duration {
    if !ttl.default.is_zero() {
        return bound(ttl.default, ttl);
    }
    let Some(last_modified) = header_date(headers, LAST_MODIFIED).valid() else {
        return ttl.min;
    };
    let date = header_date(headers, DATE).valid().unwrap_or(now);
    match date.duration_since(last_modified) {
        Ok(age) if !age.is_zero() => {
            let heuristic = Duration::from_secs(age.as_secs() / 10);
            bound(heuristic.min(MAX_HEURISTIC_LIFETIME), ttl)
        }
        _ => ttl.min,
    }
}

/// Clamps a lifetime to the policy's [min, max] without panicking on a policy whose minimum
/// exceeds its maximum (the maximum wins).
fn bound(lifetime: Duration, ttl: &TtlPolicy) -> Duration {
    lifetime.max(ttl.min).min(ttl.max)
}

/// Field names from qualified `no-cache` and `private`, deduplicated.
fn qualified_fields(cc: &CacheControl) -> Vec<HeaderName> {
    let mut fields: Vec<HeaderName> = Vec::new();
    for directive in [&cc.no_cache, &cc.private] {
        if let directives::NoCache::Fields(names) = directive {
            for name in names {
                if !fields.contains(name) {
                    fields.push(name.clone());
                }
            }
        }
    }
    fields
}

/// Statuses that answer this request's range or preconditions, not the target as a whole:
/// stored under the target's key they would answer every later viewer (a 416 to one
/// viewer's `Range`, a 412 to one viewer's `If-Match`). CloudFront does not cache 416 either.
fn answers_the_request_only(status: u16) -> bool {
    matches!(status, 206 | 304 | 412 | 416)
}

/// RFC 9110 §15.1: statuses cacheable by default, with heuristic freshness.
fn is_heuristically_cacheable(status: u16) -> bool {
    matches!(
        status,
        200 | 203 | 204 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501
    )
}

/// The error statuses CloudFront caches for ErrorCachingMinTTL when the origin says nothing.
fn is_error_status(status: u16) -> bool {
    matches!(
        status,
        400 | 403 | 404 | 405 | 414 | 500 | 501 | 502 | 503 | 504
    )
}

/// Statuses whose caching requirements this cache implements, for `must-understand`
/// (RFC 9111 §5.2.2.3): the final statuses RFC 9110 §15 defines.
fn understands(status: u16) -> bool {
    matches!(
        status,
        200..=205 | 300..=305 | 307 | 308 | 400..=417 | 421 | 422 | 426 | 500..=505
    )
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use http::HeaderValue;

    use super::*;
    use Expect::{Fresh, Not, Reval, Validate};
    use NotStored as N;

    /// Tue, 14 Nov 2023 22:13:20 GMT.
    const NOW: u64 = 1_700_000_000;
    const DAY: u64 = 86_400;
    const YEAR: u64 = 31_536_000;

    /// (min, default, max, error_ttl) in seconds.
    type Policy = (u64, u64, u64, u64);
    /// Honours the origin, a day's default, CloudFront's 10 s error TTL.
    const DEF: Policy = (0, DAY, YEAR, 10);
    /// CloudFront's UseOriginCacheControlHeaders: min 0, default 0, max 1 year.
    const ORIGIN: Policy = (0, 0, YEAR, 10);
    /// CloudFront's CachingOptimized: min 1 s, default 1 day, max 1 year.
    const OPTIMIZED: Policy = (1, DAY, YEAR, 10);
    /// A minimum TTL of 10 s, which overrides no-store, no-cache and private.
    const MIN10: Policy = (10, 0, YEAR, 10);
    /// A minimum TTL of an hour.
    const MIN_HOUR: Policy = (3600, DAY, YEAR, 10);
    /// A maximum TTL of an hour.
    const MAX_HOUR: Policy = (0, 0, 3600, 10);
    /// Error caching off.
    const NO_ERRORS: Policy = (0, DAY, YEAR, 0);

    #[derive(Debug, Clone, Copy)]
    enum Expect {
        /// Stored, fresh for this many seconds, no flags.
        Fresh(u64),
        /// Stored with `must_revalidate`.
        Reval(u64),
        /// Stored with `no_cache`.
        Validate(u64),
        /// Not stored.
        Not(NotStored),
    }

    /// (response header lines, policy, expectation) for a plain GET answered with 200.
    type Row = (&'static str, Policy, Expect);
    /// The same with the status first.
    type StatusRow = (u16, &'static str, Policy, Expect);

    /// Header lines `name: value` separated by newlines. Shorthands keep table rows on one
    /// line: `cc` is Cache-Control, `cdn` is CDN-Cache-Control, `lm` is Last-Modified, and
    /// `{now}`, `{+1h}`, `{-1m}`, `{-10d}`, `{-30d}` are dates relative to [`NOW`].
    fn map(text: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in text.lines().filter(|line| !line.is_empty()) {
            let (name, value) = line.split_once(':').expect("test header line");
            let name = match name {
                "cc" => "cache-control",
                "cdn" => "cdn-cache-control",
                "lm" => "last-modified",
                other => other,
            };
            let value = value
                .trim()
                .replace("{now}", "Tue, 14 Nov 2023 22:13:20 GMT")
                .replace("{+1h}", "Tue, 14 Nov 2023 23:13:20 GMT")
                .replace("{-1m}", "Tue, 14 Nov 2023 22:12:20 GMT")
                .replace("{-10d}", "Sat, 04 Nov 2023 22:13:20 GMT")
                .replace("{-30d}", "Sun, 15 Oct 2023 22:13:20 GMT");
            let name = HeaderName::from_bytes(name.as_bytes()).expect("test name");
            headers.append(name, HeaderValue::from_str(&value).expect("test value"));
        }
        headers
    }

    fn run(method: &str, request: &str, status: u16, response: &str, policy: Policy) -> Decision {
        let method = Method::from_bytes(method.as_bytes()).expect("test method");
        let request_headers = map(request);
        let request = RequestFacts {
            method: &method,
            headers: &request_headers,
        };
        let (min, default, max, error_ttl) = policy;
        let ttl = TtlPolicy {
            min: Duration::from_secs(min),
            default: Duration::from_secs(default),
            max: Duration::from_secs(max),
        };
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        let error_ttl = Duration::from_secs(error_ttl);
        decide(&request, status, &map(response), &ttl, error_ttl, now)
    }

    fn assert_expected(case: &str, decision: &Decision, expect: &Expect) {
        let stored = |secs: u64, no_cache: bool, must_revalidate: bool| match decision {
            Decision::Store(got) => {
                assert_eq!(got.fresh_for, Duration::from_secs(secs), "{case}");
                assert_eq!(got.no_cache, no_cache, "{case}: no_cache");
                assert_eq!(
                    got.must_revalidate, must_revalidate,
                    "{case}: must_revalidate"
                );
            }
            Decision::DontStore(reason) => panic!("{case}: not stored ({})", reason.as_str()),
        };
        match *expect {
            Fresh(secs) => stored(secs, false, false),
            Reval(secs) => stored(secs, false, true),
            Validate(secs) => stored(secs, true, false),
            Not(reason) => assert_eq!(*decision, Decision::DontStore(reason), "{case}"),
        }
    }

    fn check(rows: &[Row]) {
        for &(response, policy, expect) in rows {
            check_statuses(&[(200, response, policy, expect)]);
        }
    }

    fn check_statuses(rows: &[StatusRow]) {
        for (status, response, policy, expect) in rows {
            let decision = run("GET", "", *status, response, *policy);
            let case = format!("{status} {response:?} {policy:?}");
            assert_expected(&case, &decision, expect);
        }
    }

    fn stored(status: u16, response: &str, policy: Policy) -> Freshness {
        match run("GET", "", status, response, policy) {
            Decision::Store(freshness) => freshness,
            Decision::DontStore(reason) => panic!("not stored: {}", reason.as_str()),
        }
    }

    #[test]
    fn only_get_is_stored() {
        let rows = [
            ("GET", Fresh(60)),
            ("HEAD", Not(N::Method)),
            ("POST", Not(N::Method)),
        ];
        for (method, expect) in rows {
            let decision = run(method, "", 200, "cc: max-age=60", DEF);
            assert_expected(method, &decision, &expect);
        }
    }

    #[test]
    fn statuses() {
        // RFC 9110 §15.1: heuristically cacheable statuses may use the default TTL; others
        // need explicit freshness; partial and not-modified responses are never stored.
        check_statuses(&[
            (206, "cc: max-age=60", DEF, Not(N::Status)),
            (304, "cc: max-age=60", DEF, Not(N::Status)),
            (103, "cc: max-age=60", DEF, Not(N::Status)),
            (600, "cc: max-age=60", DEF, Not(N::Status)),
            (302, "cc: max-age=60", DEF, Fresh(60)),
            (302, "date: {now}\nexpires: {+1h}", DEF, Fresh(3600)),
            (302, "", DEF, Not(N::Status)),
            (307, "", DEF, Not(N::Status)),
            (201, "", DEF, Not(N::Status)),
            (200, "", DEF, Fresh(DAY)),
            (203, "", DEF, Fresh(DAY)),
            (204, "", DEF, Fresh(DAY)),
            (300, "", DEF, Fresh(DAY)),
            (301, "", DEF, Fresh(DAY)),
            (308, "", DEF, Fresh(DAY)),
            (410, "", DEF, Fresh(DAY)),
            // Heuristic freshness needs a heuristically cacheable status.
            (302, "date: {now}\nlm: {-10d}", ORIGIN, Not(N::Status)),
        ]);
    }

    #[test]
    fn error_caching() {
        // CloudFront's ErrorCachingMinTTL for errors without explicit freshness.
        check_statuses(&[
            (404, "", DEF, Fresh(10)),
            (405, "", DEF, Fresh(10)),
            (416, "", DEF, Not(N::Status)),
            (416, "cc: max-age=60", DEF, Not(N::Status)),
            (412, "cc: max-age=60", DEF, Not(N::Status)),
            (501, "", DEF, Fresh(10)),
            (503, "", DEF, Fresh(10)),
            (403, "", (0, DAY, YEAR, 300), Fresh(300)),
            (500, "", NO_ERRORS, Not(N::ErrorTtl)),
            (404, "", NO_ERRORS, Not(N::ErrorTtl)),
            (502, "cc: max-age=5", DEF, Fresh(5)),
            (500, "cc: max-age=5", NO_ERRORS, Fresh(5)),
            (500, "cc: no-store", DEF, Not(N::NoStore)),
            (409, "", DEF, Not(N::Status)),
        ]);
    }

    #[test]
    fn cdn_cache_control_replaces_cache_control() {
        // RFC 9213 §2.2 and the examples of its §3.1.
        check(&[
            ("cc: max-age=60\ncdn: max-age=600", DEF, Fresh(600)),
            ("cc: no-store\ncdn: max-age=600", DEF, Fresh(600)),
            (
                "cc: public
cdn: no-store",
                DEF,
                Not(N::NoStore),
            ),
            ("cc: max-age=60\ncdn: private", DEF, Not(N::Private)),
            ("cc: no-store\ncdn: none", DEF, Fresh(DAY)),
            ("cdn: no-store=?1\ncc: max-age=60", DEF, Not(N::NoStore)),
            ("cdn: max-age=60, must-revalidate", DEF, Reval(60)),
            // Expires is ignored along with Cache-Control.
            ("expires: {+1h}\ncdn: none", ORIGIN, Not(N::ZeroTtl)),
            // An empty or unparseable CDN-Cache-Control is ignored (RFC 9213 §2.1).
            ("cc: max-age=60\ncdn: ", DEF, Fresh(60)),
            ("cc: max-age=60\ncdn: max-age=\"600", DEF, Fresh(60)),
        ]);
    }

    #[test]
    fn vary_no_store_private() {
        check(&[
            ("cc: max-age=60\nvary: *", DEF, Not(N::VaryStar)),
            ("vary: origin, *", MIN10, Not(N::VaryStar)),
            ("cc: max-age=60\nvary: accept-encoding", DEF, Fresh(60)),
            ("cc: no-store, max-age=60", DEF, Not(N::NoStore)),
            ("cc: private, max-age=60", DEF, Not(N::Private)),
            // CloudFront: a minimum TTL above zero wins over no-store, private, no-cache.
            ("cc: no-store", MIN10, Fresh(10)),
            ("cc: private", MIN10, Fresh(10)),
            ("cc: no-cache", MIN10, Fresh(10)),
            ("cc: no-store, max-age=600", MIN10, Fresh(600)),
        ]);
    }

    #[test]
    fn must_understand() {
        // RFC 9111 §5.2.2.3: understood statuses ignore no-store; others are not stored.
        let header = "cc: must-understand, no-store, max-age=60";
        check_statuses(&[
            (200, header, DEF, Fresh(60)),
            (404, header, DEF, Fresh(60)),
            (299, header, DEF, Not(N::MustUnderstand)),
            (299, "cc: must-understand", DEF, Not(N::MustUnderstand)),
        ]);
    }

    #[test]
    fn no_cache() {
        // RFC 9111 §5.2.2.4: stored, but every use needs a validation, so a validator.
        check(&[
            ("cc: no-cache, max-age=60\netag: \"v1\"", DEF, Validate(60)),
            ("date: {now}\ncc: no-cache\nlm: {-1m}", ORIGIN, Validate(6)),
            ("cc: no-cache", DEF, Not(N::NoCache)),
            // Pragma is a request field (RFC 9111 §5.4).
            ("pragma: no-cache\ncc: max-age=60", DEF, Fresh(60)),
        ]);
    }

    #[test]
    fn authorization() {
        // RFC 9111 §3.5: a request with Authorization is shared only when the response says so.
        let rows = [
            ("cc: max-age=60", DEF, Not(N::Authorization)),
            ("cc: public, max-age=60", DEF, Fresh(60)),
            ("cc: s-maxage=60", DEF, Reval(60)),
            ("cc: must-revalidate, max-age=60", DEF, Reval(60)),
            ("cc: s-maxage=x", DEF, Not(N::Authorization)),
            ("", MIN10, Not(N::Authorization)),
        ];
        for (response, policy, expect) in rows {
            let decision = run("GET", "authorization: Bearer t", 200, response, policy);
            assert_expected(response, &decision, &expect);
        }
        let anonymous = run("GET", "cookie: a=b", 200, "cc: max-age=60", DEF);
        assert_expected("no authorization", &anonymous, &Fresh(60));
    }

    #[test]
    fn set_cookie() {
        check(&[
            ("cc: max-age=60\nset-cookie: a=b", DEF, Not(N::SetCookie)),
            (
                "cc: public
set-cookie: a",
                DEF,
                Not(N::SetCookie),
            ),
            (
                "cc: no-cache=\"Set-Cookie\"
set-cookie: a",
                DEF,
                Fresh(DAY),
            ),
            (
                "cc: private=\"set-cookie\"
set-cookie: a",
                DEF,
                Fresh(DAY),
            ),
            (
                "cc: private=\"x-user\"
set-cookie: a",
                DEF,
                Not(N::SetCookie),
            ),
        ]);
    }

    #[test]
    fn strip_lists_qualified_fields() {
        let response = "cc: max-age=60, no-cache=\"set-cookie, x-a\", private=\"X-B, x-a\"\n\
                        set-cookie: a=b";
        let freshness = stored(200, response, DEF);
        let names: Vec<&str> = freshness.strip.iter().map(HeaderName::as_str).collect();
        assert_eq!(names, ["set-cookie", "x-a", "x-b"]);
        assert!(!freshness.no_cache);
    }

    #[test]
    fn explicit_lifetimes() {
        // RFC 9111 §4.2.1 and §5.3.
        check(&[
            ("cc: max-age=60, s-maxage=120", DEF, Reval(120)),
            (
                "date: {now}\ncc: max-age=60\nexpires: {+1h}",
                DEF,
                Fresh(60),
            ),
            ("date: {now}\nexpires: {+1h}", DEF, Fresh(3600)),
            ("expires: {+1h}", DEF, Fresh(3600)),
            ("date: yesterday\nexpires: {+1h}", DEF, Fresh(3600)),
            ("date: {now}\nexpires: {-1m}", ORIGIN, Not(N::ZeroTtl)),
            ("expires: 0", ORIGIN, Not(N::ZeroTtl)),
            ("expires: 0", DEF, Not(N::ZeroTtl)),
            ("expires: 0\netag: W/\"x\"", DEF, Fresh(0)),
            ("expires: {+1h}\nexpires: {+1h}", DEF, Not(N::ZeroTtl)),
            ("cc: max-age=0", DEF, Not(N::ZeroTtl)),
            ("cc: max-age=0\netag: \"a\"", DEF, Fresh(0)),
            ("cc: max-age=0\netag: abc", DEF, Not(N::ZeroTtl)),
        ]);
    }

    #[test]
    fn invalid_freshness_is_stale() {
        // RFC 9111 §4.2.1: malformed or conflicting directives make the response stale.
        check(&[
            (
                "cc: max-age=abc\nexpires: {+1h}",
                DEF,
                Not(N::InvalidFreshness),
            ),
            ("cc: max-age=60, max-age=120", DEF, Not(N::InvalidFreshness)),
            ("cc: s-maxage=-1, max-age=60", DEF, Not(N::InvalidFreshness)),
            ("cc: max-age=1.5\netag: \"a\"", DEF, Fresh(0)),
            ("cc: max-age=1.5", (30, 60, YEAR, 10), Fresh(30)),
        ]);
    }

    #[test]
    fn cloudfront_ttl_combinations() {
        check(&[
            ("cc: max-age=60", DEF, Fresh(60)),
            ("cc: max-age=1000000000", DEF, Fresh(YEAR)),
            ("cc: max-age=60", MIN_HOUR, Fresh(3600)),
            ("cc: no-store", MIN10, Fresh(10)),
            ("", DEF, Fresh(DAY)),
            ("", OPTIMIZED, Fresh(DAY)),
            ("", ORIGIN, Not(N::ZeroTtl)),
            ("etag: \"a\"", ORIGIN, Fresh(0)),
            ("", (0, DAY, 600, 10), Fresh(600)),
            ("cc: max-age=60", (0, 0, 0, 10), Not(N::ZeroTtl)),
            ("cc: max-age=60", (100, 0, 50, 10), Fresh(50)),
            ("cc: s-maxage=99999999", MAX_HOUR, Reval(3600)),
        ]);
    }

    #[test]
    fn heuristic_freshness() {
        // RFC 9111 §4.2.2: 10% of Date − Last-Modified, at most a day.
        check(&[
            ("date: {now}\nlm: {-10d}", ORIGIN, Fresh(DAY)),
            ("date: {now}\nlm: {-1m}", ORIGIN, Fresh(6)),
            ("date: {now}\nlm: {-30d}", ORIGIN, Fresh(DAY)),
            ("date: {now}\nlm: {-10d}", MAX_HOUR, Fresh(3600)),
            ("date: {now}\nlm: {-1m}", (60, 0, YEAR, 10), Fresh(60)),
            ("lm: {-1m}", ORIGIN, Fresh(6)),
            ("date: {now}\nlm: {+1h}", ORIGIN, Fresh(0)),
            ("date: {now}\nlm: never", ORIGIN, Not(N::ZeroTtl)),
            ("date: {now}\nlm: {-1m}", DEF, Fresh(DAY)),
        ]);
    }

    #[test]
    fn revalidation_flags() {
        check(&[
            ("cc: max-age=60, must-revalidate", DEF, Reval(60)),
            ("cc: max-age=60, proxy-revalidate", DEF, Reval(60)),
        ]);
    }

    #[test]
    fn stale_extensions() {
        // RFC 5861.
        let header = "cc: max-age=60, stale-while-revalidate=30, stale-if-error=86400";
        let freshness = stored(200, header, DEF);
        assert_eq!(freshness.stale_while_revalidate, Duration::from_secs(30));
        assert_eq!(freshness.stale_if_error, Duration::from_secs(DAY));

        let invalid = stored(200, "cc: max-age=60, stale-while-revalidate=x", DEF);
        assert_eq!(invalid.stale_while_revalidate, Duration::ZERO);
        assert_eq!(invalid.stale_if_error, Duration::ZERO);
    }

    #[test]
    fn reasons_are_snake_case() {
        let all = [
            N::Method,
            N::Status,
            N::VaryStar,
            N::NoStore,
            N::MustUnderstand,
            N::Private,
            N::Authorization,
            N::SetCookie,
            N::NoCache,
            N::ErrorTtl,
            N::ZeroTtl,
            N::InvalidFreshness,
        ];
        for reason in all {
            let text = reason.as_str();
            assert!(
                text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{text}"
            );
        }
        assert_eq!(N::NoStore.as_str(), "no_store");
        assert_eq!(N::VaryStar.as_str(), "vary_star");
    }
}
