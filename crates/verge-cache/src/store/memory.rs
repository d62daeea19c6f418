//! The memory tier: whole responses (metadata and body) in RAM, bounded in bytes and evicted
//! by S3-FIFO. The edge's `cache_lookup` calls [`MemoryTier::get`] for every cacheable request
//! from many tasks at once, so the tier is split into independently locked shards.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName};

use super::s3fifo::{Admit, Inserted};
use super::shards::{Shards, key_hash};
use super::stats::TierStats;
use crate::Meta;

/// Bytes charged per entry besides its body, key, headers and tags: the `Meta` allocation,
/// the queue node and index slot, allocator headers, and a ghost slot once the tier is full.
/// Measured by `benches/tiers.rs`: resident memory grows by ~610 B per entry of one header
/// and one tag (bodies aside), of which ~415 B are this fixed part; ghost slots add ~30 B.
pub const ENTRY_OVERHEAD: u64 = 448;

/// Bytes charged per stored header besides its name and value: the `HeaderMap` bucket and
/// index slot (headers are compacted on insert) and the value's allocation. Measured like
/// [`ENTRY_OVERHEAD`]: ~190 B per header with custom names, less with standard ones.
pub const HEADER_OVERHEAD: u64 = 176;

/// Bytes charged per tag besides its text: the `String` and its allocation.
pub const TAG_OVERHEAD: u64 = 56;

/// The bytes the memory tier charges for an entry: its body plus an estimate of what its
/// metadata occupies.
pub fn entry_charge(meta: &Meta, body_len: u64) -> u64 {
    let headers: u64 = meta
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().len() + value.len()) as u64 + HEADER_OVERHEAD)
        .sum();
    let tags: u64 = meta
        .tags
        .iter()
        .map(|tag| tag.len() as u64 + TAG_OVERHEAD)
        .sum();
    body_len + meta.key.len() as u64 + headers + tags + ENTRY_OVERHEAD
}

/// Shrinks `meta.headers` to the capacity its length needs. A `HeaderMap` grown one insert
/// at a time reserves room for six headers from the first, which is half of a small entry's
/// memory; the tiers keep maps for a long time, so they keep them tight.
pub(crate) fn compact_headers(meta: &mut Meta) {
    let len = meta.headers.len();
    let Ok(mut compact) = HeaderMap::try_with_capacity(len) else {
        return;
    };
    if compact.capacity() >= meta.headers.capacity() {
        return;
    }

    let mut last: Option<HeaderName> = None;
    for (name, value) in std::mem::take(&mut meta.headers) {
        let name = match name {
            Some(name) => last.insert(name).clone(),
            // A further value of the previous name; the first item always has a name.
            None => match &last {
                Some(name) => name.clone(),
                None => continue,
            },
        };
        compact.append(name, value);
    }
    meta.headers = compact;
}

/// What [`MemoryTier::insert`] did.
#[derive(Debug)]
#[must_use = "an insert may be refused"]
pub enum Insert {
    /// Stored; these entries were evicted to make room. They are handed back so that their
    /// memory is freed outside the shard's lock, and so a caller can count or demote them.
    Stored {
        /// The evicted entries, oldest first.
        evicted: Vec<Evicted>,
    },
    /// Refused: the body is larger than the tier's per-object limit, or the whole entry
    /// larger than a shard.
    TooLarge {
        /// The body's length, or the entry's charge when that is what did not fit.
        size: u64,
        /// The limit it exceeded.
        max: u64,
    },
}

/// An entry the memory tier evicted to make room.
#[derive(Debug)]
pub struct Evicted {
    /// Its metadata (`meta.key` is its key).
    pub meta: Arc<Meta>,
    /// Its body.
    pub body: Bytes,
}

/// What one slot holds.
#[derive(Debug)]
struct Entry {
    meta: Arc<Meta>,
    body: Bytes,
}

/// The memory tier.
#[derive(Debug)]
pub struct MemoryTier {
    shards: Shards<Entry>,
    max_object: u64,
}

impl MemoryTier {
    /// A tier holding at most `capacity_bytes` of charges (see [`entry_charge`]), refusing
    /// bodies larger than an eighth of that.
    pub fn new(capacity_bytes: u64) -> Self {
        Self::with_object_limit(capacity_bytes, capacity_bytes / 8)
    }

    /// A tier holding at most `capacity_bytes`, refusing bodies larger than
    /// `max_object_bytes`. Fewer shards are used when a shard's share would otherwise be
    /// under twice the largest object; the limit is also capped at one shard's share.
    pub fn with_object_limit(capacity_bytes: u64, max_object_bytes: u64) -> Self {
        let shards = Shards::new(capacity_bytes, max_object_bytes);
        let max_object = max_object_bytes.min(shards.shard_capacity());
        Self { shards, max_object }
    }

    /// The largest body the tier accepts.
    pub fn max_object_bytes(&self) -> u64 {
        self.max_object
    }

    /// The bound on [`bytes`](Self::bytes).
    pub fn capacity(&self) -> u64 {
        self.shards.capacity()
    }

    /// The stored entry for `key`, counted as a hit (and as a use for eviction) or a miss.
    pub fn get(&self, key: &str) -> Option<(Arc<Meta>, Bytes)> {
        self.get_hashed(key_hash(key), key)
    }

    /// [`get`](Self::get) with the key's hash already computed.
    pub(crate) fn get_hashed(&self, hash: u64, key: &str) -> Option<(Arc<Meta>, Bytes)> {
        let mut shard = self.shards.lock(hash);
        let entry = shard.get(hash, |entry| entry.meta.key == key)?;
        Some((entry.meta.clone(), entry.body.clone()))
    }

    /// Whether `key` is stored, without counting a lookup or a use.
    pub fn contains(&self, key: &str) -> bool {
        let hash = key_hash(key);
        let shard = self.shards.lock(hash);
        shard.peek(hash).is_some_and(|entry| entry.meta.key == key)
    }

    /// Stores a response under `meta.key`, replacing what was stored there. `meta.body_len`
    /// is set to the body's length.
    pub fn insert(&self, mut meta: Meta, body: Bytes) -> Insert {
        compact_headers(&mut meta);
        self.insert_shared(Arc::new(meta), body)
    }

    /// [`insert`](Self::insert) for metadata another tier shares.
    pub fn insert_shared(&self, mut meta: Arc<Meta>, body: Bytes) -> Insert {
        let size = body.len() as u64;
        if size > self.max_object {
            return Insert::TooLarge {
                size,
                max: self.max_object,
            };
        }
        if meta.body_len != size {
            Arc::make_mut(&mut meta).body_len = size;
        }

        let charge = entry_charge(&meta, size);
        let hash = key_hash(&meta.key);
        let mut evicted = Vec::new();
        let inserted = {
            let mut shard = self.shards.lock(hash);
            shard.insert(hash, Entry { meta, body }, charge, Admit::New, &mut evicted)
        };
        match inserted {
            Inserted::Stored { .. } => Insert::Stored {
                evicted: evicted.into_iter().map(Evicted::from).collect(),
            },
            Inserted::Refused(_) => Insert::TooLarge {
                size: charge,
                max: self.shards.shard_capacity(),
            },
        }
    }

    /// Removes `key`; says whether it was stored.
    pub fn remove(&self, key: &str) -> bool {
        let hash = key_hash(key);
        let removed = self
            .shards
            .lock(hash)
            .remove_if(hash, |entry| entry.meta.key == key);
        removed.is_some()
    }

    /// Replaces the metadata stored for `key`, keeping the body: after a `304 Not Modified`
    /// the headers and times change (RFC 9111 §4.3.4). `meta.body_len` is kept from the
    /// stored entry. Says whether `key` was stored; metadata for another key is refused.
    pub fn update_meta(&self, key: &str, mut meta: Meta) -> bool {
        if meta.key != key {
            return false;
        }

        compact_headers(&mut meta);
        let hash = key_hash(key);
        let mut evicted = Vec::new();
        let mut replaced = None;
        let mut shard = self.shards.lock(hash);
        let updated = shard.update(
            hash,
            |entry| {
                if entry.meta.key != key {
                    return None;
                }
                meta.body_len = entry.body.len() as u64;
                let charge = entry_charge(&meta, meta.body_len);
                replaced = Some(std::mem::replace(&mut entry.meta, Arc::new(meta)));
                Some(charge)
            },
            &mut evicted,
        );
        // The old metadata and anything evicted are freed after the lock is released.
        drop(shard);
        updated
    }

    /// Removes every entry whose metadata `keep` rejects (invalidation by path prefix or
    /// tag); returns how many. Visits every entry, one shard at a time.
    pub fn retain(&self, keep: impl Fn(&Meta) -> bool) -> usize {
        self.retain_removed(keep).len()
    }

    /// [`retain`](Self::retain) returning the removed entries' metadata.
    pub(crate) fn retain_removed(&self, keep: impl Fn(&Meta) -> bool) -> Vec<Arc<Meta>> {
        let mut removed = Vec::new();
        for mut shard in self.shards.each() {
            shard.retain(|entry| keep(&entry.meta), &mut removed);
        }
        removed.into_iter().map(|entry| entry.meta).collect()
    }

    /// Entries stored.
    pub fn len(&self) -> usize {
        self.shards.each().map(|shard| shard.len()).sum()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of the stored entries' charges.
    pub fn bytes(&self) -> u64 {
        self.shards.each().map(|shard| shard.bytes()).sum()
    }

    /// Size and activity counters.
    pub fn stats(&self) -> TierStats {
        self.shards.stats()
    }
}

impl From<Entry> for Evicted {
    fn from(entry: Entry) -> Self {
        Self {
            meta: entry.meta,
            body: entry.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use http::header::CACHE_CONTROL;

    use super::*;
    use crate::store::test_support::meta;

    fn store(tier: &MemoryTier, key: &str, len: usize) -> Vec<Evicted> {
        match tier.insert(meta(key), Bytes::from(vec![7; len])) {
            Insert::Stored { evicted } => evicted,
            Insert::TooLarge { size, max } => panic!("{key} refused: {size} > {max}"),
        }
    }

    #[test]
    fn get_returns_what_was_inserted() {
        let tier = MemoryTier::new(1 << 20);
        assert!(tier.get("a").is_none());
        store(&tier, "a", 100);
        let (meta, body) = tier.get("a").expect("stored");
        assert_eq!(
            (meta.key.as_str(), meta.body_len, body.len()),
            ("a", 100, 100)
        );
        assert!(tier.contains("a"));
        let stats = tier.stats();
        assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 1));
        assert_eq!(stats.entries, 1);
        assert_eq!(stats.bytes, entry_charge(&meta, 100));
    }

    #[test]
    fn bytes_stay_bounded_under_many_inserts() {
        let capacity = 256 * 1024;
        let tier = MemoryTier::new(capacity);
        let mut rng = fastrand::Rng::with_seed(1);
        let mut evictions = 0;
        for i in 0..5_000 {
            let key = format!("k{}", rng.u32(0..2_000));
            if tier.get(&key).is_none() {
                evictions += store(&tier, &key, rng.usize(0..4_000)).len();
            }
            if i % 500 == 0 {
                assert!(tier.bytes() <= capacity);
            }
        }
        assert!(tier.bytes() <= capacity);
        assert!(evictions > 0);
        assert_eq!(tier.stats().evictions, evictions as u64);
    }

    #[test]
    fn a_scan_does_not_evict_a_frequently_hit_key() {
        let tier = MemoryTier::with_object_limit(1 << 20, 1024);
        store(&tier, "hot", 200);
        for i in 0..20_000 {
            if i % 100 == 0 {
                assert!(
                    tier.get("hot").is_some(),
                    "hot key evicted after {i} one-hit keys"
                );
            }
            store(&tier, &format!("scan-{i}"), 200);
        }
        assert!(tier.stats().evictions > 10_000);
    }

    #[test]
    fn compacting_headers_keeps_every_value_in_order() {
        let mut meta = crate::store::test_support::full_meta("k", 0);
        let original = meta.clone();
        let before = meta.headers.capacity();
        compact_headers(&mut meta);
        assert_eq!(meta, original);
        assert!(meta.headers.capacity() <= before);

        let mut one = crate::store::test_support::meta("k");
        assert_eq!(one.headers.capacity(), 6);
        compact_headers(&mut one);
        assert_eq!(one.headers.capacity(), 1);
        assert_eq!(one.headers.len(), 1);
    }

    #[test]
    fn too_large_objects_are_refused() {
        let tier = MemoryTier::new(80_000);
        assert_eq!(tier.max_object_bytes(), 10_000);
        let refused = tier.insert(meta("big"), Bytes::from(vec![0; 10_001]));
        assert!(matches!(
            refused,
            Insert::TooLarge {
                size: 10_001,
                max: 10_000
            }
        ));
        assert!(tier.is_empty());
    }

    #[test]
    fn remove_update_meta_and_retain() {
        let tier = MemoryTier::new(1 << 20);
        for i in 0..10 {
            store(&tier, &format!("/img/{i}"), 10);
            store(&tier, &format!("/css/{i}"), 10);
        }
        assert!(tier.remove("/img/0"));
        assert!(!tier.remove("/img/0"));

        let mut fresh = meta("/img/1");
        fresh.status = 203;
        fresh
            .headers
            .insert(CACHE_CONTROL, "max-age=600".parse().expect("valid value"));
        fresh.body_len = 999;
        let before = tier.bytes();
        assert!(tier.update_meta("/img/1", fresh.clone()));
        assert!(!tier.update_meta("/img/2", fresh));
        assert!(!tier.update_meta("/missing", meta("/missing")));
        let (meta, body) = tier.get("/img/1").expect("still stored");
        assert_eq!((meta.status, meta.body_len, body.len()), (203, 10, 10));
        assert!(meta.headers.contains_key(CACHE_CONTROL));
        assert!(tier.bytes() > before);

        assert_eq!(tier.retain(|meta| !meta.key.starts_with("/img/")), 9);
        assert_eq!(tier.len(), 10);
        assert!(tier.get("/css/3").is_some());
    }

    #[test]
    fn concurrent_gets_and_inserts_stay_bounded() {
        let capacity = 512 * 1024;
        let tier = Arc::new(MemoryTier::new(capacity));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let tier = tier.clone();
                std::thread::spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(t);
                    for _ in 0..20_000 {
                        let key = format!("k{}", rng.u32(0..3_000));
                        if tier.get(&key).is_none() {
                            let _ =
                                tier.insert(meta(&key), Bytes::from(vec![0; rng.usize(..2_000)]));
                        }
                        assert!(tier.bytes() <= capacity);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        let stats = tier.stats();
        assert!(stats.bytes <= capacity);
        assert_eq!(stats.hits + stats.misses, 80_000);
    }
}
