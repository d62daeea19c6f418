//! Counters a tier keeps for metrics: how full it is and how it is used. Each shard counts
//! under the lock it already holds, so the request path pays no shared atomic; a snapshot
//! sums the shards.

use std::ops::AddAssign;

/// A snapshot of one tier's size and activity since it was created or opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierStats {
    /// Entries stored now.
    pub entries: u64,
    /// Bytes charged now (see each tier for what a charge counts).
    pub bytes: u64,
    /// The configured bound on `bytes`.
    pub capacity: u64,
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Entries stored (new keys and replacements).
    pub inserts: u64,
    /// Entries removed to make room (not counting `remove`, `retain` or replacements).
    pub evictions: u64,
}

impl TierStats {
    /// Hits over lookups, or zero before the first lookup.
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            return 0.0;
        }
        self.hits as f64 / lookups as f64
    }
}

/// The activity counters of one shard, updated under the shard's lock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) inserts: u64,
    pub(crate) evictions: u64,
}

impl AddAssign<Counters> for TierStats {
    fn add_assign(&mut self, counters: Counters) {
        self.hits += counters.hits;
        self.misses += counters.misses;
        self.inserts += counters.inserts;
        self.evictions += counters.evictions;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_ratio_handles_no_lookups() {
        assert_eq!(TierStats::default().hit_ratio(), 0.0);
        let stats = TierStats {
            hits: 3,
            misses: 1,
            ..TierStats::default()
        };
        assert!((stats.hit_ratio() - 0.75).abs() < f64::EPSILON);
    }

    #[test]
    fn counters_add_into_stats() {
        let mut stats = TierStats::default();
        let counters = Counters {
            hits: 1,
            misses: 2,
            inserts: 3,
            evictions: 4,
        };
        stats += counters;
        stats += counters;
        assert_eq!(
            (stats.hits, stats.misses, stats.inserts, stats.evictions),
            (2, 4, 6, 8)
        );
    }
}
