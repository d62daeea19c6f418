//! Every metric name Verge exposes, exactly as it appears in the exposition (dashboards and
//! alerts should use these). Counters end in `_total`.

/// Viewer requests served, by `distribution`, `status_class` and `cache_result`.
pub const REQUESTS_TOTAL: &str = "verge_requests_total";

/// Bytes received from viewers, headers included, by `distribution`.
pub const VIEWER_RECEIVED_BYTES_TOTAL: &str = "verge_viewer_received_bytes_total";

/// Bytes sent to viewers, headers included, by `distribution`.
pub const VIEWER_SENT_BYTES_TOTAL: &str = "verge_viewer_sent_bytes_total";

/// From sending an origin request to receiving its response headers, by `distribution`
/// and `origin`.
pub const ORIGIN_LATENCY_SECONDS: &str = "verge_origin_latency_seconds";

/// From receiving a viewer request to sending its first response byte, by `distribution`.
pub const TIME_TO_FIRST_BYTE_SECONDS: &str = "verge_time_to_first_byte_seconds";

/// Origin requests attempted, by `distribution`, `origin` and `outcome`.
pub const ORIGIN_REQUESTS_TOTAL: &str = "verge_origin_requests_total";

/// Viewer connections currently open, by `listener`.
pub const OPEN_CONNECTIONS: &str = "verge_open_connections";

/// Viewer connections accepted, by `listener`.
pub const CONNECTIONS_TOTAL: &str = "verge_connections_total";

/// Configuration reloads attempted, by `result` (`ok` or `error`).
pub const CONFIG_RELOADS_TOTAL: &str = "verge_config_reloads_total";

/// Viewer requests whose `Host` matched no distribution.
pub const UNKNOWN_HOST_REQUESTS_TOTAL: &str = "verge_unknown_host_requests_total";

/// Access log records dropped because the writer could not keep up or had stopped.
pub const ACCESS_LOG_DROPPED_TOTAL: &str = "verge_access_log_dropped_total";

/// Response body bytes served to viewers, by `distribution` and the `tier` they came from:
/// `memory`, `disk`, or `origin` (not in the cache, or not cacheable).
pub const CACHE_SERVED_BYTES_TOTAL: &str = "verge_cache_served_bytes_total";

/// Viewer requests that waited for another request's origin fetch of the same cache key
/// instead of making their own, by `distribution`.
pub const CACHE_COLLAPSED_REQUESTS_TOTAL: &str = "verge_cache_collapsed_requests_total";

/// Stale responses served, by `distribution` and the `reason` that allowed it:
/// `stale_while_revalidate`, `stale_if_error` (RFC 5861) or `max_stale` (RFC 9111 §5.2.1.2).
pub const CACHE_STALE_SERVED_TOTAL: &str = "verge_cache_stale_served_total";

/// Cache lookups, by `distribution` and `result`: `hit`, `miss`, `refresh_hit` (stale,
/// revalidated with the origin), `stale` (served stale) or `bypass` (not eligible for the
/// cache). The hit ratio of a distribution is `hit / (hit + miss + refresh_hit + stale)`;
/// bypassed requests are left out because the cache could never have served them:
///
/// ```text
/// sum by (distribution) (rate(verge_cache_lookups_total{result="hit"}[5m]))
///   / sum by (distribution) (rate(verge_cache_lookups_total{result!="bypass"}[5m]))
/// ```
pub const CACHE_LOOKUPS_TOTAL: &str = "verge_cache_lookups_total";

/// Entries stored in a cache `tier` (`memory` or `disk`), sampled at scrape.
pub const CACHE_ENTRIES: &str = "verge_cache_entries";

/// Bytes charged to a cache `tier` (`memory` or `disk`), sampled at scrape.
pub const CACHE_BYTES: &str = "verge_cache_bytes";

/// Entries a cache `tier` removed to make room, by `tier`.
pub const CACHE_EVICTIONS_TOTAL: &str = "verge_cache_evictions_total";

/// Lookups that found their key in a cache `tier`, by `tier`.
pub const CACHE_TIER_HITS_TOTAL: &str = "verge_cache_tier_hits_total";

/// Lookups that did not find their key in a cache `tier`, by `tier`.
pub const CACHE_TIER_MISSES_TOTAL: &str = "verge_cache_tier_misses_total";

/// Invalidation requests handled, by `result` (`completed` or `rejected`).
pub const INVALIDATIONS_TOTAL: &str = "verge_invalidations_total";

/// Cached objects removed by invalidations.
pub const INVALIDATED_OBJECTS_TOTAL: &str = "verge_invalidated_objects_total";

/// Every name above, for checks that cover them all.
pub const ALL: [&str; 27] = [
    REQUESTS_TOTAL,
    VIEWER_RECEIVED_BYTES_TOTAL,
    VIEWER_SENT_BYTES_TOTAL,
    ORIGIN_LATENCY_SECONDS,
    TIME_TO_FIRST_BYTE_SECONDS,
    ORIGIN_REQUESTS_TOTAL,
    OPEN_CONNECTIONS,
    CONNECTIONS_TOTAL,
    CONFIG_RELOADS_TOTAL,
    UNKNOWN_HOST_REQUESTS_TOTAL,
    ACCESS_LOG_DROPPED_TOTAL,
    CACHE_SERVED_BYTES_TOTAL,
    CACHE_COLLAPSED_REQUESTS_TOTAL,
    CACHE_STALE_SERVED_TOTAL,
    CACHE_LOOKUPS_TOTAL,
    CACHE_ENTRIES,
    CACHE_BYTES,
    CACHE_EVICTIONS_TOTAL,
    CACHE_TIER_HITS_TOTAL,
    CACHE_TIER_MISSES_TOTAL,
    INVALIDATIONS_TOTAL,
    INVALIDATED_OBJECTS_TOTAL,
    FUNCTION_INVOCATIONS_TOTAL,
    FUNCTION_COMPUTE_SECONDS_TOTAL,
    WAF_REQUESTS_TOTAL,
    WAF_RULE_MATCHES_TOTAL,
    WAF_LABELS_TOTAL,
];

/// Edge function invocations, by `function`, `event_type` (`viewer-request`,
/// `viewer-response`) and `outcome` (`ok`, `thrown`, `invalid_result`, `compute_exceeded`,
/// `memory_exceeded`, `runtime`).
pub const FUNCTION_INVOCATIONS_TOTAL: &str = "verge_function_invocations_total";

/// CPU seconds edge functions used, by `function`.
pub const FUNCTION_COMPUTE_SECONDS_TOTAL: &str = "verge_function_compute_seconds_total";

/// Requests a web ACL decided, by `web_acl` and `action` (`ALLOW`, `BLOCK`, `CAPTCHA`,
/// `CHALLENGE`).
pub const WAF_REQUESTS_TOTAL: &str = "verge_waf_requests_total";

/// Web ACL rules that matched, by `web_acl`, `rule` and `action` (`COUNT` for rules that
/// matched without deciding).
pub const WAF_RULE_MATCHES_TOTAL: &str = "verge_waf_rule_matches_total";

/// Labels rules added, by `web_acl` and `label`.
pub const WAF_LABELS_TOTAL: &str = "verge_waf_labels_total";

/// The name a counter is registered under: prometheus-client appends `_total` itself.
pub(crate) fn counter_base(name: &'static str) -> &'static str {
    name.strip_suffix("_total").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_prefixed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for name in ALL {
            assert!(name.starts_with("verge_"), "{name}");
            assert!(seen.insert(name), "{name} twice");
        }
    }

    #[test]
    fn counter_base_strips_total_once() {
        assert_eq!(counter_base(REQUESTS_TOTAL), "verge_requests");
        assert_eq!(counter_base(OPEN_CONNECTIONS), OPEN_CONNECTIONS);
    }
}
