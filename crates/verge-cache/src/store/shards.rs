//! Splitting a tier into independently locked shards, each an S3-FIFO of its own share of the
//! capacity, chosen by the key's xxh3 hash. The hash is computed once per call and also keys
//! the shard's index, so a lookup costs one hash, one uncontended lock and one probe.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use xxhash_rust::xxh3::xxh3_64;

use super::s3fifo::S3Fifo;
use super::stats::TierStats;

/// The most shards a tier is split into; enough for the few cores an edge has.
pub(crate) const MAX_SHARDS: usize = 16;

/// A map keyed by a hash that is already well mixed, so it is used as is.
pub(crate) type PreHashedMap<V> = HashMap<u64, V, BuildHasherDefault<PreHashed>>;

/// The hash of a cache key, shared by both tiers' indexes and shard choice.
pub(crate) fn key_hash(key: &str) -> u64 {
    xxh3_64(key.as_bytes())
}

/// A `Hasher` for `u64` keys that are xxh3 hashes already.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by the maps above; this keeps other keys correct anyway.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A tier's shards.
#[derive(Debug)]
pub(crate) struct Shards<T> {
    shards: Box<[Mutex<S3Fifo<T>>]>,
    capacity: u64,
}

impl<T> Shards<T> {
    /// Splits `capacity` bytes into as many shards (a power of two, at most [`MAX_SHARDS`]) as
    /// leave every shard room for two objects of `max_object` bytes: a shard cannot hold an
    /// object larger than its share.
    pub(crate) fn new(capacity: u64, max_object: u64) -> Self {
        let mut count = MAX_SHARDS;
        while count > 1 && capacity / (count as u64) < max_object.saturating_mul(2) {
            count /= 2;
        }
        let share = capacity / count as u64;
        let shards = (0..count).map(|_| Mutex::new(S3Fifo::new(share))).collect();
        Self { shards, capacity }
    }

    /// The bound on the sum of the shards' charges.
    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Each shard's share of the capacity: the largest charge one entry can have.
    pub(crate) fn shard_capacity(&self) -> u64 {
        self.capacity / self.shards.len() as u64
    }

    /// How many shards there are.
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.shards.len()
    }

    /// Locks the shard that owns `hash`.
    pub(crate) fn lock(&self, hash: u64) -> MutexGuard<'_, S3Fifo<T>> {
        // Bits 32.. pick the shard: the index inside uses the low bits for the bucket and the
        // top seven as the tag, which therefore stay uniformly spread within a shard.
        let index = (hash >> 32) as usize & (self.shards.len() - 1);
        lock(&self.shards[index])
    }

    /// Locks each shard in turn; the caller drops one guard before taking the next.
    pub(crate) fn each(&self) -> impl Iterator<Item = MutexGuard<'_, S3Fifo<T>>> {
        self.shards.iter().map(lock)
    }

    /// Entries, bytes and counters summed over the shards.
    pub(crate) fn stats(&self) -> TierStats {
        let mut stats = TierStats {
            capacity: self.capacity,
            ..TierStats::default()
        };
        for shard in self.each() {
            stats.entries += shard.len() as u64;
            stats.bytes += shard.bytes();
            stats += shard.counters();
        }
        stats
    }
}

/// Locks a shard. A panic while one was held cannot leave it inconsistent in a way that
/// matters more than losing the cache, so a poisoned lock is used as is.
fn lock<T>(shard: &Mutex<S3Fifo<T>>) -> MutexGuard<'_, S3Fifo<T>> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_count_leaves_room_for_the_largest_object() {
        let shards: Shards<()> = Shards::new(1 << 30, 1 << 20);
        assert_eq!(shards.count(), MAX_SHARDS);

        let shards: Shards<()> = Shards::new(1 << 20, (1 << 20) / 8);
        assert_eq!(shards.count(), 4);
        assert!(shards.shard_capacity() >= 2 * ((1 << 20) / 8));

        let shards: Shards<()> = Shards::new(100, 1000);
        assert_eq!(shards.count(), 1);
        assert_eq!(shards.shard_capacity(), 100);
    }

    #[test]
    fn keys_spread_over_all_shards() {
        let shards: Shards<()> = Shards::new(1 << 30, 1);
        let mut seen = [0usize; MAX_SHARDS];
        for i in 0..1600 {
            let hash = key_hash(&format!("https://example.com/{i}"));
            seen[(hash >> 32) as usize & (MAX_SHARDS - 1)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
        assert_eq!(shards.stats().capacity, 1 << 30);
    }
}
