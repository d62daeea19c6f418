//! [`Metrics`]: the edge's metric families and the registry `/metrics` encodes.
//! Encoding happens only on scrape; the recording methods live in `recorders.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::cache::CacheFamilies;
use super::functions::FunctionFamilies;
use super::labels::{
    DistributionLabels, ListenerLabels, OriginLabels, OriginOutcomeLabels, RequestLabels,
    ResultLabels,
};
use super::names::{self, counter_base};
use super::waf::WafFamilies;
use crate::AccessLog;

/// The `Content-Type` of [`Metrics::encode`]'s output (OpenMetrics text, which Prometheus
/// scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Histogram bucket bounds in seconds, from 100 µs (a cache hit) to 60 s (a slow origin).
pub const LATENCY_BUCKETS: [f64; 18] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric the edge records, registered once; share it behind an `Arc`.
///
/// Label values must come from config (distribution ids, origin ids, listener names) or a
/// fixed vocabulary (cache result types, outcomes), never from raw viewer input.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub(super) requests: Family<RequestLabels, Counter>,
    pub(super) viewer_received_bytes: Family<DistributionLabels, Counter>,
    pub(super) viewer_sent_bytes: Family<DistributionLabels, Counter>,
    pub(super) origin_latency: HistogramFamily<OriginLabels>,
    pub(super) time_to_first_byte: HistogramFamily<DistributionLabels>,
    pub(super) origin_requests: Family<OriginOutcomeLabels, Counter>,
    pub(super) open_connections: Family<ListenerLabels, Gauge>,
    pub(super) connections: Family<ListenerLabels, Counter>,
    pub(super) config_reloads: Family<ResultLabels, Counter>,
    pub(super) unknown_host: Counter,
    access_log_dropped: Counter,
    pub(super) cache: CacheFamilies,
    pub(super) functions: FunctionFamilies,
    pub(super) waf: WafFamilies,
    /// Drop counters of the access logs being watched; summed on every scrape.
    watched_logs: Mutex<Vec<Arc<AtomicU64>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates every metric family and registers it.
    pub fn new() -> Self {
        let metrics = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            viewer_received_bytes: Family::default(),
            viewer_sent_bytes: Family::default(),
            origin_latency: Family::new_with_constructor(latency_histogram),
            time_to_first_byte: Family::new_with_constructor(latency_histogram),
            origin_requests: Family::default(),
            open_connections: Family::default(),
            connections: Family::default(),
            config_reloads: Family::default(),
            unknown_host: Counter::default(),
            access_log_dropped: Counter::default(),
            cache: CacheFamilies::default(),
            functions: FunctionFamilies::default(),
            waf: WafFamilies::default(),
            watched_logs: Mutex::new(Vec::new()),
        };
        let mut registry = Registry::default();

        // Registered metrics share their storage with the fields above.
        registry.register(
            counter_base(names::REQUESTS_TOTAL),
            "Viewer requests served",
            metrics.requests.clone(),
        );
        registry.register(
            counter_base(names::VIEWER_RECEIVED_BYTES_TOTAL),
            "Bytes received from viewers, headers included",
            metrics.viewer_received_bytes.clone(),
        );
        registry.register(
            counter_base(names::VIEWER_SENT_BYTES_TOTAL),
            "Bytes sent to viewers, headers included",
            metrics.viewer_sent_bytes.clone(),
        );
        registry.register(
            names::ORIGIN_LATENCY_SECONDS,
            "Seconds from sending an origin request to receiving its response headers",
            metrics.origin_latency.clone(),
        );
        registry.register(
            names::TIME_TO_FIRST_BYTE_SECONDS,
            "Seconds from receiving a viewer request to sending the first response byte",
            metrics.time_to_first_byte.clone(),
        );
        registry.register(
            counter_base(names::ORIGIN_REQUESTS_TOTAL),
            "Origin requests attempted, by outcome",
            metrics.origin_requests.clone(),
        );
        registry.register(
            names::OPEN_CONNECTIONS,
            "Viewer connections currently open",
            metrics.open_connections.clone(),
        );
        registry.register(
            counter_base(names::CONNECTIONS_TOTAL),
            "Viewer connections accepted",
            metrics.connections.clone(),
        );
        registry.register(
            counter_base(names::CONFIG_RELOADS_TOTAL),
            "Configuration reloads attempted, by result",
            metrics.config_reloads.clone(),
        );
        registry.register(
            counter_base(names::UNKNOWN_HOST_REQUESTS_TOTAL),
            "Viewer requests whose Host matched no distribution",
            metrics.unknown_host.clone(),
        );
        registry.register(
            counter_base(names::ACCESS_LOG_DROPPED_TOTAL),
            "Access log records dropped because the writer could not keep up",
            metrics.access_log_dropped.clone(),
        );
        register_cache(&mut registry, &metrics.cache);
        super::functions::register(&mut registry, &metrics.functions);
        super::waf::register(&mut registry, &metrics.waf);

        Metrics {
            registry,
            ..metrics
        }
    }

    /// Exposes `log`'s dropped-record count as `verge_access_log_dropped_total`, read at each
    /// scrape. Watching several logs sums their counts. Holds only the counter, so the log's
    /// writer still stops when its handles are dropped.
    pub fn watch_access_log(&self, log: &AccessLog) {
        self.watched_logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(log.dropped_counter());
    }

    /// Renders every metric in the OpenMetrics text format (see [`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let dropped: u64 = self
            .watched_logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|counter| counter.load(Ordering::Relaxed))
            .sum();
        self.access_log_dropped
            .inner()
            .store(dropped, Ordering::Relaxed);

        let mut out = String::new();
        if let Err(error) = text::encode(&mut out, &self.registry) {
            // Writing into a String cannot fail; a metric's own encoder could, in theory.
            tracing::warn!(%error, "Metrics encoding failed");
        }
        out
    }
}

/// Registers the cache's families, which share their storage with `cache`.
fn register_cache(registry: &mut Registry, cache: &CacheFamilies) {
    registry.register(
        counter_base(names::CACHE_SERVED_BYTES_TOTAL),
        "Response body bytes served to viewers, by the tier they came from",
        cache.served_bytes.clone(),
    );
    registry.register(
        counter_base(names::CACHE_COLLAPSED_REQUESTS_TOTAL),
        "Viewer requests that waited for another request's origin fetch",
        cache.collapsed.clone(),
    );
    registry.register(
        counter_base(names::CACHE_STALE_SERVED_TOTAL),
        "Stale responses served, by the reason that allowed it",
        cache.stale_served.clone(),
    );
    registry.register(
        counter_base(names::CACHE_LOOKUPS_TOTAL),
        "Cache lookups, by result",
        cache.lookups.clone(),
    );
    registry.register(
        names::CACHE_ENTRIES,
        "Entries stored in a cache tier",
        cache.entries.clone(),
    );
    registry.register(
        names::CACHE_BYTES,
        "Bytes charged to a cache tier",
        cache.bytes.clone(),
    );
    registry.register(
        counter_base(names::CACHE_EVICTIONS_TOTAL),
        "Entries a cache tier removed to make room",
        cache.evictions.clone(),
    );
    registry.register(
        counter_base(names::CACHE_TIER_HITS_TOTAL),
        "Lookups that found their key in a cache tier",
        cache.tier_hits.clone(),
    );
    registry.register(
        counter_base(names::CACHE_TIER_MISSES_TOTAL),
        "Lookups that did not find their key in a cache tier",
        cache.tier_misses.clone(),
    );
    registry.register(
        counter_base(names::INVALIDATIONS_TOTAL),
        "Invalidation requests handled, by result",
        cache.invalidations.clone(),
    );
    registry.register(
        counter_base(names::INVALIDATED_OBJECTS_TOTAL),
        "Cached objects removed by invalidations",
        cache.invalidated_objects.clone(),
    );
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::access_log::record::tests::sample;
    use crate::metrics::TierSample;

    /// The value of the sample line that starts with `prefix` (name plus labels).
    pub(crate) fn sample_value(text: &str, prefix: &str) -> Option<f64> {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
    }

    fn record_everything(metrics: &Metrics) {
        metrics.record_request("E1", 200, "Hit", 100, 2_000);
        metrics.observe_origin_latency("E1", "s3", 0.042);
        metrics.observe_time_to_first_byte("E1", 0.003);
        metrics.origin_request("E1", "s3", "ok");
        metrics.connection_opened("https");
        metrics.config_reload(true);
        metrics.unknown_host();
        metrics.cache_served_bytes("E1", "memory", 2_000);
        metrics.cache_collapsed("E1");
        metrics.cache_stale_served("E1", "stale_if_error");
        metrics.cache_lookup("E1", "hit");
        metrics.record_cache_tier("memory", &TierSample::default());
        metrics.invalidation("completed", 1);
        metrics.function_invocation("steer", "viewer-request", "ok", 0.000_02);
        metrics.waf_request("site", "BLOCK");
        metrics.waf_rule("site", "deny-list", "BLOCK");
        metrics.waf_label("site", "awswaf:111122223333:webacl:site:bot");
    }

    #[test]
    fn encode_contains_every_name_after_recording() {
        let metrics = Metrics::new();
        record_everything(&metrics);
        let text = metrics.encode();
        for name in names::ALL {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        assert!(!text.contains("_total_total"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn access_log_drops_are_read_at_scrape() {
        let metrics = Metrics::new();
        let (first, _first_queue) = AccessLog::stalled(1);
        let (second, _second_queue) = AccessLog::stalled(1);
        metrics.watch_access_log(&first);
        metrics.watch_access_log(&second);
        let name = names::ACCESS_LOG_DROPPED_TOTAL;
        assert_eq!(sample_value(&metrics.encode(), name), Some(0.0));

        for _ in 0..3 {
            first.log(sample());
        }
        second.log(sample());
        second.log(sample());
        assert_eq!(sample_value(&metrics.encode(), name), Some(3.0));
    }

    #[test]
    fn content_type_is_openmetrics() {
        assert!(CONTENT_TYPE.starts_with("application/openmetrics-text"));
    }
}
