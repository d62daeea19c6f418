//! Whether a stored response may answer a request as it is (RFC 9111 §4.2 and the request
//! directives of §5.2.1), may answer it stale (RFC 5861, `max-stale`), or needs validating
//! with the origin first (§4.3).

use std::time::{Duration, SystemTime};

use crate::Meta;
use crate::directives::{CacheControl, Directive, NoCache};

/// What to do with a stored response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Fresh enough for this request: serve it.
    Fresh,
    /// Stale, but serving it is allowed for this reason.
    Stale(StaleReason),
    /// Validate it with the origin before use.
    Validate,
}

/// Why a stale response may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// Within `stale-while-revalidate`: serve, and refresh once in the background.
    WhileRevalidate,
    /// Within `stale-if-error`, and the origin just failed.
    IfError,
    /// The viewer's `max-stale` accepts it.
    MaxStale,
}

impl StaleReason {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            StaleReason::WhileRevalidate => "stale_while_revalidate",
            StaleReason::IfError => "stale_if_error",
            StaleReason::MaxStale => "max_stale",
        }
    }
}

/// Decides how `meta` may serve a request with directives `request` at `now`.
pub fn reuse(meta: &Meta, request: &CacheControl, now: SystemTime) -> Reuse {
    let age = meta.age(now);

    // `no-cache` on either side: validate every use (§5.2.1.4, §5.2.2.4).
    if meta.no_cache || request.no_cache != NoCache::Absent {
        return Reuse::Validate;
    }
    // A request `max-age` caps the acceptable age; an invalid one accepts nothing.
    match request.max_age {
        Directive::Valid(max_age) if age > max_age => return Reuse::Validate,
        Directive::Invalid => return Reuse::Validate,
        _ => {}
    }

    if age < meta.fresh_for {
        let remaining = meta.fresh_for - age;
        return match request.min_fresh {
            Directive::Valid(min_fresh) if remaining < min_fresh => Reuse::Validate,
            Directive::Invalid => Reuse::Validate,
            _ => Reuse::Fresh,
        };
    }

    // Stale from here on. `must-revalidate`, `proxy-revalidate` and `s-maxage` forbid
    // serving it without validation, whatever else allows it (§5.2.2.2, §5.2.2.8).
    if meta.must_revalidate {
        return Reuse::Validate;
    }
    let stale_by = age - meta.fresh_for;
    match request.max_stale {
        Directive::Valid(None) => return Reuse::Stale(StaleReason::MaxStale),
        Directive::Valid(Some(limit)) if stale_by <= limit => {
            return Reuse::Stale(StaleReason::MaxStale);
        }
        _ => {}
    }
    if stale_by < meta.stale_while_revalidate {
        return Reuse::Stale(StaleReason::WhileRevalidate);
    }
    Reuse::Validate
}

/// Whether `meta` may be served because the origin failed (an error or a 5xx while
/// validating or refetching): within the response's or the request's `stale-if-error`.
pub fn serve_on_error(meta: &Meta, request: &CacheControl, now: SystemTime) -> bool {
    if meta.must_revalidate {
        return false;
    }
    let stale_by = meta.staleness(now);
    let allowed = match request.stale_if_error {
        Directive::Valid(limit) => limit.max(meta.stale_if_error),
        _ => meta.stale_if_error,
    };
    stale_by <= allowed && allowed > Duration::ZERO
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn stored(age: u64, fresh_for: u64) -> (Meta, SystemTime) {
        let response_time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let meta = Meta {
            key: "k".to_owned(),
            status: 200,
            headers: HeaderMap::new(),
            request_time: response_time,
            response_time,
            initial_age: Duration::ZERO,
            fresh_for: Duration::from_secs(fresh_for),
            stale_while_revalidate: Duration::ZERO,
            stale_if_error: Duration::ZERO,
            must_revalidate: false,
            no_cache: false,
            tags: Vec::new(),
            body_len: 0,
        };
        (meta, response_time + Duration::from_secs(age))
    }

    fn request(text: &str) -> CacheControl {
        let mut headers = HeaderMap::new();
        if let Ok(value) = http::HeaderValue::from_str(text) {
            headers.insert(http::header::CACHE_CONTROL, value);
        }
        crate::directives::parse_request(&headers)
    }

    #[test]
    fn fresh_and_stale() {
        let (meta, now) = stored(10, 60);
        assert_eq!(reuse(&meta, &request(""), now), Reuse::Fresh);
        let (meta, now) = stored(60, 60);
        assert_eq!(reuse(&meta, &request(""), now), Reuse::Validate);
    }

    #[test]
    fn request_directives_tighten_or_loosen() {
        let (meta, now) = stored(30, 60);
        assert_eq!(reuse(&meta, &request("max-age=10"), now), Reuse::Validate);
        assert_eq!(reuse(&meta, &request("min-fresh=40"), now), Reuse::Validate);
        assert_eq!(reuse(&meta, &request("min-fresh=20"), now), Reuse::Fresh);
        assert_eq!(reuse(&meta, &request("no-cache"), now), Reuse::Validate);

        let (meta, now) = stored(90, 60);
        assert_eq!(
            reuse(&meta, &request("max-stale=60"), now),
            Reuse::Stale(StaleReason::MaxStale)
        );
        assert_eq!(reuse(&meta, &request("max-stale=10"), now), Reuse::Validate);
        assert_eq!(
            reuse(&meta, &request("max-stale"), now),
            Reuse::Stale(StaleReason::MaxStale)
        );
    }

    #[test]
    fn stale_while_revalidate_and_must_revalidate() {
        let (mut meta, now) = stored(70, 60);
        meta.stale_while_revalidate = Duration::from_secs(30);
        assert_eq!(
            reuse(&meta, &request(""), now),
            Reuse::Stale(StaleReason::WhileRevalidate)
        );
        meta.must_revalidate = true;
        assert_eq!(reuse(&meta, &request("max-stale"), now), Reuse::Validate);
    }

    #[test]
    fn stale_if_error_window() {
        let (mut meta, now) = stored(100, 60);
        assert!(!serve_on_error(&meta, &request(""), now));
        meta.stale_if_error = Duration::from_secs(60);
        assert!(serve_on_error(&meta, &request(""), now));
        meta.stale_if_error = Duration::from_secs(10);
        assert!(!serve_on_error(&meta, &request(""), now));
        assert!(serve_on_error(&meta, &request("stale-if-error=100"), now));
    }
}
