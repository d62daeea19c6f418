//! The cache's metric families and their recorders: what the edge reports per lookup and per
//! served body, the tier state it samples from the store at each scrape, and invalidations.
//! Registration stays in `registry.rs` with every other family.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::labels::{
    DistributionLabels, LookupLabels, ResultLabels, ServedLabels, StaleLabels, TierLabels,
};
use super::registry::Metrics;

/// One cache tier's state as its store reports it, read right before `/metrics` is encoded.
///
/// `entries` and `bytes` are current levels; `evictions`, `hits` and `misses` are running
/// totals the store keeps since it was created or opened (see [`Metrics::record_cache_tier`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierSample {
    /// Entries stored now.
    pub entries: u64,
    /// Bytes charged to the tier now.
    pub bytes: u64,
    /// Entries removed to make room since the store was opened.
    pub evictions: u64,
    /// Lookups that found their key since the store was opened.
    pub hits: u64,
    /// Lookups that did not find their key since the store was opened.
    pub misses: u64,
}

/// The cache's metric families, one field of [`Metrics`].
#[derive(Debug, Default)]
pub(super) struct CacheFamilies {
    pub(super) served_bytes: Family<ServedLabels, Counter>,
    pub(super) collapsed: Family<DistributionLabels, Counter>,
    pub(super) stale_served: Family<StaleLabels, Counter>,
    pub(super) lookups: Family<LookupLabels, Counter>,
    pub(super) entries: Family<TierLabels, Gauge>,
    pub(super) bytes: Family<TierLabels, Gauge>,
    pub(super) evictions: Family<TierLabels, Counter>,
    pub(super) tier_hits: Family<TierLabels, Counter>,
    pub(super) tier_misses: Family<TierLabels, Counter>,
    pub(super) invalidations: Family<ResultLabels, Counter>,
    pub(super) invalidated_objects: Counter,
    /// The store's running totals as of the last sample, by tier.
    last_totals: Mutex<HashMap<&'static str, RunningTotals>>,
}

/// The absolute totals of one tier seen at its last sample.
#[derive(Debug, Default)]
struct RunningTotals {
    evictions: u64,
    hits: u64,
    misses: u64,
}

impl Metrics {
    /// Counts `bytes` of response body served to a viewer of `distribution` from `tier`:
    /// `memory`, `disk` or `origin`.
    pub fn cache_served_bytes(&self, distribution: &str, tier: &'static str, bytes: u64) {
        self.cache
            .served_bytes
            .get_or_create(&ServedLabels {
                distribution: distribution.to_owned(),
                tier,
            })
            .inc_by(bytes);
    }

    /// Counts a viewer request that waited for another request's origin fetch instead of
    /// making its own.
    pub fn cache_collapsed(&self, distribution: &str) {
        self.cache
            .collapsed
            .get_or_create(&DistributionLabels {
                distribution: distribution.to_owned(),
            })
            .inc();
    }

    /// Counts a stale response served, by the `reason` that allowed it:
    /// `stale_while_revalidate`, `stale_if_error` or `max_stale`.
    pub fn cache_stale_served(&self, distribution: &str, reason: &'static str) {
        self.cache
            .stale_served
            .get_or_create(&StaleLabels {
                distribution: distribution.to_owned(),
                reason,
            })
            .inc();
    }

    /// Counts one cache lookup and its `result`: `hit`, `miss`, `refresh_hit`, `stale` or
    /// `bypass`.
    pub fn cache_lookup(&self, distribution: &str, result: &'static str) {
        self.cache
            .lookups
            .get_or_create(&LookupLabels {
                distribution: distribution.to_owned(),
                result,
            })
            .inc();
    }

    /// Records the state of cache `tier` (`memory` or `disk`); call it right before
    /// [`Metrics::encode`].
    ///
    /// Entries and bytes are set as they are. Evictions, hits and misses arrive as the store's
    /// running totals and are turned into counter increments: each sample adds what the total
    /// grew by since the previous sample of the same tier. A total lower than the last one
    /// seen means the store was reopened and counts from zero again, so the whole new total
    /// is added. Counts made between the last sample before a reopen and the reopen are lost,
    /// and a reopened store whose total has already passed the old one is taken for plain
    /// growth.
    pub fn record_cache_tier(&self, tier: &'static str, sample: &TierSample) {
        let cache = &self.cache;
        let labels = TierLabels { tier };
        cache
            .entries
            .get_or_create(&labels)
            .set(gauge_value(sample.entries));
        cache
            .bytes
            .get_or_create(&labels)
            .set(gauge_value(sample.bytes));

        // Held across the adds so two concurrent scrapes cannot both add the same growth.
        let mut last_totals = cache
            .last_totals
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let last = last_totals.entry(tier).or_default();
        cache
            .evictions
            .get_or_create(&labels)
            .inc_by(growth(&mut last.evictions, sample.evictions));
        cache
            .tier_hits
            .get_or_create(&labels)
            .inc_by(growth(&mut last.hits, sample.hits));
        cache
            .tier_misses
            .get_or_create(&labels)
            .inc_by(growth(&mut last.misses, sample.misses));
    }

    /// Counts one invalidation request and its `result` (`completed` or `rejected`), and the
    /// `removed` cached objects it took out.
    pub fn invalidation(&self, result: &'static str, removed: u64) {
        self.cache
            .invalidations
            .get_or_create(&ResultLabels { result })
            .inc();
        self.cache.invalidated_objects.inc_by(removed);
    }
}

/// What a running total grew by since `last`, which becomes `now`. A total that went down
/// was reset, so all of `now` is new.
fn growth(last: &mut u64, now: u64) -> u64 {
    let grown = now.checked_sub(*last).unwrap_or(now);
    *last = now;
    grown
}

/// A level as a gauge value; levels past `i64::MAX` (never reached in practice) saturate.
fn gauge_value(level: u64) -> i64 {
    i64::try_from(level).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::registry::tests::sample_value;
    use super::*;

    fn sample(evictions: u64, hits: u64, misses: u64) -> TierSample {
        TierSample {
            entries: 7,
            bytes: 4_096,
            evictions,
            hits,
            misses,
        }
    }

    #[test]
    fn served_bytes_are_split_by_tier() {
        let metrics = Metrics::new();
        metrics.cache_served_bytes("E1", "memory", 100);
        metrics.cache_served_bytes("E1", "memory", 50);
        metrics.cache_served_bytes("E1", "disk", 2_000);
        metrics.cache_served_bytes("E1", "origin", 7);
        let text = metrics.encode();

        let memory = r#"verge_cache_served_bytes_total{distribution="E1",tier="memory"}"#;
        let disk = r#"verge_cache_served_bytes_total{distribution="E1",tier="disk"}"#;
        let origin = r#"verge_cache_served_bytes_total{distribution="E1",tier="origin"}"#;
        assert_eq!(sample_value(&text, memory), Some(150.0), "{text}");
        assert_eq!(sample_value(&text, disk), Some(2_000.0));
        assert_eq!(sample_value(&text, origin), Some(7.0));
    }

    #[test]
    fn lookups_collapses_and_stale_serves_are_labelled() {
        let metrics = Metrics::new();
        for result in ["hit", "hit", "miss", "refresh_hit", "stale", "bypass"] {
            metrics.cache_lookup("E1", result);
        }
        metrics.cache_collapsed("E1");
        metrics.cache_collapsed("E1");
        metrics.cache_stale_served("E1", "stale_while_revalidate");
        metrics.cache_stale_served("E1", "stale_if_error");
        metrics.cache_stale_served("E1", "stale_if_error");
        let text = metrics.encode();

        let lookups = |result: &str| {
            let prefix =
                format!(r#"verge_cache_lookups_total{{distribution="E1",result="{result}"}}"#);
            sample_value(&text, &prefix)
        };
        assert_eq!(lookups("hit"), Some(2.0), "{text}");
        assert_eq!(lookups("miss"), Some(1.0));
        assert_eq!(lookups("refresh_hit"), Some(1.0));
        assert_eq!(lookups("stale"), Some(1.0));
        assert_eq!(lookups("bypass"), Some(1.0));
        let collapsed = r#"verge_cache_collapsed_requests_total{distribution="E1"}"#;
        assert_eq!(sample_value(&text, collapsed), Some(2.0));
        let revalidate =
            r#"verge_cache_stale_served_total{distribution="E1",reason="stale_while_revalidate"}"#;
        let if_error =
            r#"verge_cache_stale_served_total{distribution="E1",reason="stale_if_error"}"#;
        assert_eq!(sample_value(&text, revalidate), Some(1.0));
        assert_eq!(sample_value(&text, if_error), Some(2.0));
        assert!(!text.contains("max_stale"));
    }

    #[test]
    fn tier_levels_are_set_as_sampled() {
        let metrics = Metrics::new();
        metrics.record_cache_tier("memory", &sample(0, 0, 0));
        metrics.record_cache_tier(
            "memory",
            &TierSample {
                entries: 3,
                bytes: 1_000,
                ..TierSample::default()
            },
        );
        metrics.record_cache_tier(
            "disk",
            &TierSample {
                bytes: u64::MAX,
                ..TierSample::default()
            },
        );
        let text = metrics.encode();

        assert_eq!(
            sample_value(&text, r#"verge_cache_entries{tier="memory"}"#),
            Some(3.0)
        );
        assert_eq!(
            sample_value(&text, r#"verge_cache_bytes{tier="memory"}"#),
            Some(1_000.0)
        );
        let disk_bytes = format!(r#"verge_cache_bytes{{tier="disk"}} {}"#, i64::MAX);
        assert!(text.contains(&disk_bytes), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn tier_totals_become_counters() {
        let metrics = Metrics::new();
        let evictions = r#"verge_cache_evictions_total{tier="memory"}"#;
        let hits = r#"verge_cache_tier_hits_total{tier="memory"}"#;
        let misses = r#"verge_cache_tier_misses_total{tier="memory"}"#;
        let disk_hits = r#"verge_cache_tier_hits_total{tier="disk"}"#;

        metrics.record_cache_tier("memory", &sample(5, 40, 10));
        metrics.record_cache_tier("disk", &sample(0, 2, 1));
        let text = metrics.encode();
        assert_eq!(sample_value(&text, evictions), Some(5.0), "{text}");
        assert_eq!(sample_value(&text, hits), Some(40.0));
        assert_eq!(sample_value(&text, misses), Some(10.0));
        assert_eq!(sample_value(&text, disk_hits), Some(2.0));

        // Growth is added once, and an unchanged total adds nothing.
        metrics.record_cache_tier("memory", &sample(8, 60, 10));
        metrics.record_cache_tier("memory", &sample(8, 60, 10));
        let text = metrics.encode();
        assert_eq!(sample_value(&text, evictions), Some(8.0));
        assert_eq!(sample_value(&text, hits), Some(60.0));
        assert_eq!(sample_value(&text, misses), Some(10.0));
        assert_eq!(sample_value(&text, disk_hits), Some(2.0));
    }

    #[test]
    fn a_lower_total_is_a_reopened_store() {
        let metrics = Metrics::new();
        let evictions = r#"verge_cache_evictions_total{tier="disk"}"#;
        let hits = r#"verge_cache_tier_hits_total{tier="disk"}"#;
        metrics.record_cache_tier("disk", &sample(9, 100, 0));

        // The store was reopened and counts from zero: its whole new total is new.
        metrics.record_cache_tier("disk", &sample(2, 30, 0));
        let text = metrics.encode();
        assert_eq!(sample_value(&text, evictions), Some(11.0), "{text}");
        assert_eq!(sample_value(&text, hits), Some(130.0));

        // Later growth is measured from the reopened store's total.
        metrics.record_cache_tier("disk", &sample(5, 31, 0));
        let text = metrics.encode();
        assert_eq!(sample_value(&text, evictions), Some(14.0));
        assert_eq!(sample_value(&text, hits), Some(131.0));
    }

    #[test]
    fn growth_of_a_running_total() {
        let mut last = 0;
        assert_eq!(growth(&mut last, 10), 10);
        assert_eq!(growth(&mut last, 10), 0);
        assert_eq!(growth(&mut last, 15), 5);
        assert_eq!(growth(&mut last, 4), 4);
        assert_eq!(last, 4);
        assert_eq!(growth(&mut last, 0), 0);
    }

    #[test]
    fn invalidations_count_requests_and_objects() {
        let metrics = Metrics::new();
        assert_eq!(invalidated_objects(&metrics.encode()), Some(0.0));

        metrics.invalidation("completed", 4);
        metrics.invalidation("completed", 3);
        metrics.invalidation("rejected", 0);
        let text = metrics.encode();
        let completed = r#"verge_invalidations_total{result="completed"}"#;
        let rejected = r#"verge_invalidations_total{result="rejected"}"#;
        assert_eq!(sample_value(&text, completed), Some(2.0), "{text}");
        assert_eq!(sample_value(&text, rejected), Some(1.0));
        assert_eq!(invalidated_objects(&text), Some(7.0));
    }

    /// The value of `verge_invalidated_objects_total`, which has no labels.
    fn invalidated_objects(text: &str) -> Option<f64> {
        sample_value(text, "verge_invalidated_objects_total ")
    }
}
