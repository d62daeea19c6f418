//! The recording side of [`Metrics`]: what the request path calls. Each call is a label
//! lookup plus an atomic add, with no I/O and no locks held across requests.

use super::labels::{
    DistributionLabels, ListenerLabels, OriginLabels, OriginOutcomeLabels, RequestLabels,
    ResultLabels, status_class,
};
use super::registry::Metrics;

impl Metrics {
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
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// Counts a viewer request whose `Host` matched no distribution.
    pub fn unknown_host(&self) {
        self.unknown_host.inc();
    }
}

/// Drops observations that are not a finite, non-negative number of seconds.
fn valid_seconds(seconds: f64) -> Option<f64> {
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::super::registry::tests::sample_value;
    use super::*;

    #[test]
    fn requests_are_split_by_status_class() {
        let metrics = Metrics::new();
        metrics.record_request("E1", 200, "Hit", 10, 20);
        metrics.record_request("E1", 204, "Hit", 10, 20);
        metrics.record_request("E1", 503, "Error", 10, 20);
        metrics.record_request("E1", 999, "Error", 10, 20);
        let text = metrics.encode();

        let hits =
            r#"verge_requests_total{distribution="E1",status_class="2xx",cache_result="Hit"}"#;
        let errors =
            r#"verge_requests_total{distribution="E1",status_class="5xx",cache_result="Error"}"#;
        let other =
            r#"verge_requests_total{distribution="E1",status_class="other",cache_result="Error"}"#;
        assert_eq!(sample_value(&text, hits), Some(2.0));
        assert_eq!(sample_value(&text, errors), Some(1.0));
        assert_eq!(sample_value(&text, other), Some(1.0));
        let sent = r#"verge_viewer_sent_bytes_total{distribution="E1"}"#;
        assert_eq!(sample_value(&text, sent), Some(80.0));
    }

    #[test]
    fn open_connections_go_up_and_down() {
        let metrics = Metrics::new();
        metrics.connection_opened("http");
        metrics.connection_opened("http");
        metrics.connection_closed("http");
        let text = metrics.encode();
        let open = r#"verge_open_connections{listener="http"}"#;
        let total = r#"verge_connections_total{listener="http"}"#;
        assert_eq!(sample_value(&text, open), Some(1.0));
        assert_eq!(sample_value(&text, total), Some(2.0));

        metrics.connection_closed("http");
        assert_eq!(sample_value(&metrics.encode(), open), Some(0.0));
    }

    #[test]
    fn reload_results_are_labelled() {
        let metrics = Metrics::new();
        metrics.config_reload(true);
        metrics.config_reload(false);
        metrics.config_reload(false);
        let text = metrics.encode();
        let ok = r#"verge_config_reloads_total{result="ok"}"#;
        let error = r#"verge_config_reloads_total{result="error"}"#;
        assert_eq!(sample_value(&text, ok), Some(1.0));
        assert_eq!(sample_value(&text, error), Some(2.0));
    }

    #[test]
    fn latency_lands_in_buckets_and_bad_values_are_ignored() {
        let metrics = Metrics::new();
        metrics.observe_origin_latency("E1", "s3", 0.0002);
        metrics.observe_origin_latency("E1", "s3", f64::NAN);
        metrics.observe_origin_latency("E1", "s3", -1.0);
        let text = metrics.encode();
        let count = r#"verge_origin_latency_seconds_count{distribution="E1",origin="s3"}"#;
        let bucket =
            r#"verge_origin_latency_seconds_bucket{le="0.00025",distribution="E1",origin="s3"}"#;
        assert_eq!(sample_value(&text, count), Some(1.0));
        assert_eq!(sample_value(&text, bucket), Some(1.0), "{text}");
    }
}
