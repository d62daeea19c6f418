//! Per-distribution metric handles, made once when a configuration is loaded, so recording a
//! request is a few atomic adds: no label strings built, no family lookups on the hot path.

use std::sync::OnceLock;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use super::labels::{
    DistributionLabels, LookupLabels, OriginLabels, OriginOutcomeLabels, RequestLabels,
    ServedLabels, status_class,
};
use super::registry::Metrics;

/// Result types with a handle slot; others go through the family lookup.
const RESULTS: [&str; 6] = [
    "Hit",
    "RefreshHit",
    "OriginShieldHit",
    "Miss",
    "Error",
    "Redirect",
];
/// Cache lookup results with a handle; others go through the family lookup.
const LOOKUPS: [&str; 5] = ["hit", "miss", "refresh_hit", "stale", "bypass"];
/// Tiers bytes are served from, with a handle each.
const TIERS: [&str; 3] = ["memory", "disk", "origin"];
/// Status classes in the order of `class_index`.
const CLASSES: usize = 6;

/// Metric handles of one distribution.
pub struct DistributionMetrics {
    metrics: std::sync::Arc<Metrics>,
    distribution: String,
    origins: Vec<String>,
    requests: [[OnceLock<Counter>; RESULTS.len()]; CLASSES],
    received: Counter,
    sent: Counter,
    time_to_first_byte: Histogram,
    origin_latency: Vec<Histogram>,
    lookups: [Counter; LOOKUPS.len()],
    served: [Counter; TIERS.len()],
}

impl std::fmt::Debug for DistributionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributionMetrics")
            .field("distribution", &self.distribution)
            .finish()
    }
}

fn class_index(status: u16) -> usize {
    match status {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        500..=599 => 4,
        _ => 5,
    }
}

impl DistributionMetrics {
    /// Handles for `distribution` and its origins (by index, in configuration order).
    pub fn new(metrics: std::sync::Arc<Metrics>, distribution: &str, origins: &[&str]) -> Self {
        let by_distribution = DistributionLabels {
            distribution: distribution.to_owned(),
        };
        let received = metrics
            .viewer_received_bytes
            .get_or_create(&by_distribution)
            .clone();
        let sent = metrics
            .viewer_sent_bytes
            .get_or_create(&by_distribution)
            .clone();
        let time_to_first_byte = metrics
            .time_to_first_byte
            .get_or_create(&by_distribution)
            .clone();
        let origin_latency = origins
            .iter()
            .map(|origin| {
                let labels = OriginLabels {
                    distribution: distribution.to_owned(),
                    origin: (*origin).to_owned(),
                };
                metrics.origin_latency.get_or_create(&labels).clone()
            })
            .collect();
        let lookups = LOOKUPS.map(|result| {
            let labels = LookupLabels {
                distribution: distribution.to_owned(),
                result,
            };
            metrics.cache.lookups.get_or_create(&labels).clone()
        });
        let served = TIERS.map(|tier| {
            let labels = ServedLabels {
                distribution: distribution.to_owned(),
                tier,
            };
            metrics.cache.served_bytes.get_or_create(&labels).clone()
        });
        DistributionMetrics {
            lookups,
            served,
            distribution: distribution.to_owned(),
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            requests: Default::default(),
            received,
            sent,
            time_to_first_byte,
            origin_latency,
            metrics,
        }
    }

    /// Counts one cache lookup by its result (`hit`, `miss`, `refresh_hit`, `stale`, `bypass`).
    pub fn cache_lookup(&self, result: &'static str) {
        match LOOKUPS.iter().position(|r| *r == result) {
            Some(index) => {
                self.lookups[index].inc();
            }
            None => self.metrics.cache_lookup(&self.distribution, result),
        }
    }

    /// Counts body bytes served from `tier` (`memory`, `disk`, `origin`).
    pub fn cache_served_bytes(&self, tier: &'static str, bytes: u64) {
        match TIERS.iter().position(|t| *t == tier) {
            Some(index) => {
                self.served[index].inc_by(bytes);
            }
            None => self
                .metrics
                .cache_served_bytes(&self.distribution, tier, bytes),
        }
    }

    /// Counts one served viewer request and its bytes.
    pub fn record_request(&self, status: u16, cache_result: &str, bytes_in: u64, bytes_out: u64) {
        let labels = || RequestLabels {
            distribution: self.distribution.clone(),
            status_class: status_class(status),
            cache_result: cache_result.to_owned(),
        };
        match RESULTS.iter().position(|r| *r == cache_result) {
            Some(result) => {
                self.requests[class_index(status)][result]
                    .get_or_init(|| self.metrics.requests.get_or_create(&labels()).clone())
                    .inc();
            }
            None => {
                self.metrics.requests.get_or_create(&labels()).inc();
            }
        }
        self.received.inc_by(bytes_in);
        self.sent.inc_by(bytes_out);
    }

    /// Observes the viewer-side time to first byte.
    pub fn observe_time_to_first_byte(&self, seconds: f64) {
        if seconds.is_finite() && seconds >= 0.0 {
            self.time_to_first_byte.observe(seconds);
        }
    }

    /// Observes the time to the response head of the origin at `origin` (its index).
    pub fn observe_origin_latency(&self, origin: usize, seconds: f64) {
        if let Some(histogram) = self.origin_latency.get(origin)
            && seconds.is_finite()
            && seconds >= 0.0
        {
            histogram.observe(seconds);
        }
    }

    /// Counts one origin request outcome (`ok`, `connect_error`, ...) for the origin at
    /// `origin` (its index).
    pub fn origin_request(&self, origin: usize, outcome: &str) {
        let origin = self.origins.get(origin).map_or("-", String::as_str);
        let labels = OriginOutcomeLabels {
            distribution: self.distribution.clone(),
            origin: origin.to_owned(),
            outcome: outcome.to_owned(),
        };
        self.metrics.origin_requests.get_or_create(&labels).inc();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::metrics::registry::tests::sample_value;

    #[test]
    fn handles_feed_the_same_families() {
        let metrics = Arc::new(Metrics::new());
        let shop = DistributionMetrics::new(metrics.clone(), "shop", &["app"]);
        shop.record_request(200, "Miss", 10, 100);
        shop.record_request(200, "Miss", 10, 100);
        shop.record_request(503, "Error", 1, 1);
        shop.record_request(200, "Unusual", 1, 1);
        shop.observe_time_to_first_byte(0.01);
        shop.observe_origin_latency(0, 0.005);
        shop.origin_request(0, "ok");
        let text = metrics.encode();
        let miss = sample_value(
            &text,
            "verge_requests_total{distribution=\"shop\",status_class=\"2xx\",cache_result=\"Miss\"}",
        );
        assert_eq!(miss, Some(2.0), "{text}");
        assert!(text.contains("cache_result=\"Unusual\""));
        assert!(
            text.contains(
                "verge_origin_latency_seconds_count{distribution=\"shop\",origin=\"app\"} 1"
            ),
            "{text}"
        );
        let sent = sample_value(
            &text,
            "verge_viewer_sent_bytes_total{distribution=\"shop\"}",
        );
        assert_eq!(sent, Some(202.0));
    }
}
