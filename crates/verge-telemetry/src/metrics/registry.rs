//! [`Metrics`]: the edge's metric families and the registry `/metrics` encodes.
//! Recording is a hash lookup plus an atomic add; encoding happens only on scrape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::labels::{
    DistributionLabels, ListenerLabels, OriginLabels, OriginOutcomeLabels, ReloadLabels,
    RequestLabels, status_class,
};
use super::names::{self, counter_base};
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
    requests: Family<RequestLabels, Counter>,
    viewer_received_bytes: Family<DistributionLabels, Counter>,
    viewer_sent_bytes: Family<DistributionLabels, Counter>,
    origin_latency: HistogramFamily<OriginLabels>,
    time_to_first_byte: HistogramFamily<DistributionLabels>,
    origin_requests: Family<OriginOutcomeLabels, Counter>,
    open_connections: Family<ListenerLabels, Gauge>,
    connections: Family<ListenerLabels, Counter>,
    config_reloads: Family<ReloadLabels, Counter>,
    unknown_host: Counter,
    access_log_dropped: Counter,
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

        Metrics {
            registry,
            ..metrics
        }
    }

    /// Counts one served viewer request and its bytes. `cache_result` is the record's
    /// `x-edge-result-type` (`Hit`, `Miss`, `Error`, ...).
    pub fn record_request(
        &self,
        distribution: &str,
        status: u16,
        cache_result: &str,
        bytes_in: u64,
        bytes_out: u64,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                distribution: distribution.to_owned(),
                status_class: status_class(status),
                cache_result: cache_result.to_owned(),
            })
            .inc();

        let by_distribution = DistributionLabels {
            distribution: distribution.to_owned(),
        };
        self.viewer_received_bytes
            .get_or_create(&by_distribution)
            .inc_by(bytes_in);
        self.viewer_sent_bytes
            .get_or_create(&by_distribution)
            .inc_by(bytes_out);
    }

    /// Observes the time from sending a request to `origin` to receiving its response headers.
    pub fn observe_origin_latency(&self, distribution: &str, origin: &str, seconds: f64) {
        let Some(seconds) = valid_seconds(seconds) else {
            return;
        };
        self.origin_latency
            .get_or_create(&OriginLabels {
                distribution: distribution.to_owned(),
                origin: origin.to_owned(),
            })
            .observe(seconds);
    }

    /// Observes the viewer-side time to first byte of one response.
    pub fn observe_time_to_first_byte(&self, distribution: &str, seconds: f64) {
        let Some(seconds) = valid_seconds(seconds) else {
            return;
        };
        self.time_to_first_byte
            .get_or_create(&DistributionLabels {
                distribution: distribution.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts one origin request attempt and how it ended: `ok`, `connect_error`,
    /// `timeout`, `failover`, ...
    pub fn origin_request(&self, distribution: &str, origin: &str, outcome: &str) {
        self.origin_requests
            .get_or_create(&OriginOutcomeLabels {
                distribution: distribution.to_owned(),
                origin: origin.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts a viewer connection accepted on `listener` and marks it open.
    pub fn connection_opened(&self, listener: &str) {
        let labels = ListenerLabels {
            listener: listener.to_owned(),
        };
        self.connections.get_or_create(&labels).inc();
        self.open_connections.get_or_create(&labels).inc();
    }

    /// Marks a viewer connection on `listener` closed.
    pub fn connection_closed(&self, listener: &str) {
        self.open_connections
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .dec();
    }

    /// Counts a configuration reload that was applied (`ok`) or rejected.
    pub fn config_reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.config_reloads
            .get_or_create(&ReloadLabels { result })
            .inc();
    }

    /// Counts a viewer request whose `Host` matched no distribution.
    pub fn unknown_host(&self) {
        self.unknown_host.inc();
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

/// Drops observations that are not a finite, non-negative number of seconds.
fn valid_seconds(seconds: f64) -> Option<f64> {
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds)
}
