//! What the cache keeps about one stored response besides its body: status, headers, when it
//! was received and how long it stays fresh, its tags. Shared by the semantics (which fill it
//! in) and the tiers (which store it).

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// A cache policy's TTLs, as CloudFront combines them with the origin's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlPolicy {
    /// Lower bound on the freshness lifetime; above zero it also overrides `no-store`,
    /// `no-cache` and `private` (CloudFront's rule).
    pub min: Duration,
    /// Lifetime when the origin gives none.
    pub default: Duration,
    /// Upper bound on the freshness lifetime.
    pub max: Duration,
}

/// The metadata of one stored response.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// The full cache key of this variant (primary key plus the Vary'd request headers).
    pub key: String,
    /// The response status code.
    pub status: u16,
    /// The stored response headers (hop-by-hop removed, `Age` not included).
    pub headers: HeaderMap,
    /// When the request that produced this response was sent (RFC 9111 §4.2.3 `request_time`).
    pub request_time: SystemTime,
    /// When the response head arrived (`response_time`).
    pub response_time: SystemTime,
    /// The corrected initial age at `response_time` (RFC 9111 §4.2.3).
    pub initial_age: Duration,
    /// The freshness lifetime after the cache policy's TTLs were applied.
    pub fresh_for: Duration,
    /// How long after going stale it may still be served while one refresh runs (RFC 5861).
    pub stale_while_revalidate: Duration,
    /// How long after going stale it may be served when the origin fails (RFC 5861).
    pub stale_if_error: Duration,
    /// Whether a stale copy must never be served without validation (`must-revalidate`,
    /// `proxy-revalidate`, `s-maxage`).
    pub must_revalidate: bool,
    /// Whether every use needs validation first (`no-cache` with no field names).
    pub no_cache: bool,
    /// Cache tags from the configured tag header, for invalidation.
    pub tags: Vec<String>,
    /// Length of the stored body in bytes.
    pub body_len: u64,
}

impl Meta {
    /// The age of this response at `now` (RFC 9111 §4.2.3 `current_age`).
    pub fn age(&self, now: SystemTime) -> Duration {
        let resident = now.duration_since(self.response_time).unwrap_or_default();
        self.initial_age + resident
    }

    /// Whether the response is still fresh at `now`.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        self.age(now) < self.fresh_for
    }

    /// How long it has been stale at `now` (zero while fresh).
    pub fn staleness(&self, now: SystemTime) -> Duration {
        self.age(now).saturating_sub(self.fresh_for)
    }
}
