//! Label sets of Verge's metric families. Every value comes from config (distribution,
//! origin, listener names) or a fixed vocabulary, never from raw viewer input.

use prometheus_client::encoding::EncodeLabelSet;

/// Labels of `verge_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) distribution: String,
    pub(crate) status_class: &'static str,
    pub(crate) cache_result: String,
}

/// Labels of per-distribution families.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DistributionLabels {
    pub(crate) distribution: String,
}

/// Labels of origin latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OriginLabels {
    pub(crate) distribution: String,
    pub(crate) origin: String,
}

/// Labels of origin request outcomes.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OriginOutcomeLabels {
    pub(crate) distribution: String,
    pub(crate) origin: String,
    pub(crate) outcome: String,
}

/// Labels of connection families.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ListenerLabels {
    pub(crate) listener: String,
}

/// Labels of families split only by a fixed `result`: config reloads and invalidations.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabels {
    pub(crate) result: &'static str,
}

/// Labels of per-tier cache families (`memory`, `disk`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TierLabels {
    pub(crate) tier: &'static str,
}

/// Labels of `verge_cache_served_bytes_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ServedLabels {
    pub(crate) distribution: String,
    pub(crate) tier: &'static str,
}

/// Labels of `verge_cache_stale_served_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StaleLabels {
    pub(crate) distribution: String,
    pub(crate) reason: &'static str,
}

/// Labels of `verge_cache_lookups_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LookupLabels {
    pub(crate) distribution: String,
    pub(crate) result: &'static str,
}

/// The `status_class` label of a status code: `1xx` to `5xx`, or `other` for anything
/// outside 100-599.
pub(crate) fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(status_class(101), "1xx");
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(206), "2xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(599), "5xx");
        assert_eq!(status_class(0), "other");
        assert_eq!(status_class(600), "other");
    }
}
