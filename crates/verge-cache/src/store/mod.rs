//! The cache's storage: a memory tier in front of an optional disk tier. The edge's
//! `cache_lookup` phase calls [`Store::get`] (memory first, then the disk index); its store
//! phase calls [`Store::insert`] or streams large objects with [`Store::disk_writer`].
//! Every method that touches the disk tier blocks: callers run it in `spawn_blocking`.

mod disk;
mod disk_file;
mod disk_format;
mod disk_scan;
mod disk_write;
mod ghost;
mod memory;
mod s3fifo;
mod shards;
mod stats;
#[cfg(test)]
mod test_support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

pub use disk::{BLOCK_SIZE, DiskTier, disk_charge};
pub use disk_file::DiskBody;
pub use disk_write::DiskWriter;
pub use memory::{
    ENTRY_OVERHEAD, Evicted, HEADER_OVERHEAD, Insert, MemoryTier, TAG_OVERHEAD, entry_charge,
};
pub use stats::TierStats;

use crate::{CacheError, Meta};
use shards::key_hash;

/// How big the tiers are and which objects each takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The memory tier's capacity in bytes (see [`entry_charge`]).
    pub memory_bytes: u64,
    /// The disk tier's directory and capacity in bytes, if there is one.
    pub disk: Option<(PathBuf, u64)>,
    /// Larger objects are not cached at all.
    pub max_object_bytes: u64,
    /// Larger objects skip the memory tier: they are stored on disk only and streamed from it.
    pub memory_object_bytes: u64,
}

/// Where [`Store::get`] found an entry.
#[derive(Debug, Clone)]
pub enum Hit {
    /// In memory, body included.
    Memory {
        /// The stored metadata.
        meta: Arc<Meta>,
        /// The whole body.
        body: Bytes,
    },
    /// In the disk tier's index; the body is read with [`Store::load_from_disk`] or
    /// [`Store::read_disk`] on a blocking thread.
    Disk {
        /// The stored metadata.
        meta: Arc<Meta>,
    },
}

impl Hit {
    /// The stored metadata, wherever it was found.
    pub fn meta(&self) -> &Arc<Meta> {
        match self {
            Hit::Memory { meta, .. } | Hit::Disk { meta } => meta,
        }
    }
}

/// A body loaded by [`Store::load_from_disk`].
#[derive(Debug)]
pub enum DiskOrBytes {
    /// Small enough for memory: read whole (and promoted to the memory tier).
    Bytes(Bytes),
    /// Too large for memory: an open file to stream from.
    Disk(DiskBody),
}

/// Both tiers' counters, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    /// The memory tier.
    pub memory: TierStats,
    /// The disk tier, if configured.
    pub disk: Option<TierStats>,
}

/// The memory tier and, if configured, the disk tier.
#[derive(Debug)]
pub struct Store {
    memory: MemoryTier,
    disk: Option<DiskTier>,
    max_object_bytes: u64,
    memory_object_bytes: u64,
}

impl Store {
    /// Creates the memory tier and opens the disk tier (blocking: it scans the directory).
    pub fn open(config: StoreConfig) -> Result<Store, CacheError> {
        let memory_object_bytes = config.memory_object_bytes.min(config.max_object_bytes);
        let memory = MemoryTier::with_object_limit(config.memory_bytes, memory_object_bytes);
        let disk = match config.disk {
            Some((dir, capacity)) => Some(DiskTier::open_with_object_limit(
                dir,
                capacity,
                config.max_object_bytes,
            )?),
            None => None,
        };
        tracing::info!(
            memory_bytes = config.memory_bytes,
            disk_bytes = disk.as_ref().map_or(0, DiskTier::capacity),
            max_object_bytes = config.max_object_bytes,
            memory_object_bytes = memory.max_object_bytes(),
            "Cache store opened"
        );
        Ok(Store {
            disk,
            max_object_bytes: config.max_object_bytes,
            memory_object_bytes: memory.max_object_bytes(),
            memory,
        })
    }

    /// The memory tier.
    pub fn memory(&self) -> &MemoryTier {
        &self.memory
    }

    /// The disk tier, if configured.
    pub fn disk(&self) -> Option<&DiskTier> {
        self.disk.as_ref()
    }

    /// Looks `key` up: memory first, then the disk index. No I/O. A memory hit also counts
    /// as a use in the disk tier, so the objects hottest in memory stay on disk too.
    pub fn get(&self, key: &str) -> Option<Hit> {
        let hash = key_hash(key);
        if let Some((meta, body)) = self.memory.get_hashed(hash, key) {
            if let Some(disk) = &self.disk {
                disk.touch_hashed(hash, key);
            }
            return Some(Hit::Memory { meta, body });
        }
        let meta = self.disk.as_ref()?.lookup_hashed(hash, key)?;
        Some(Hit::Disk { meta })
    }

    /// Opens `key`'s disk entry for streaming. Blocking.
    pub fn read_disk(&self, key: &str) -> Result<Option<DiskBody>, CacheError> {
        match &self.disk {
            Some(disk) => disk.open_body(key),
            None => Ok(None),
        }
    }

    /// Loads `key` from disk: a body of at most `memory_object_bytes` is read whole and
    /// promoted to the memory tier, a larger one is returned open for streaming. A corrupt
    /// entry is dropped and reported as absent. Blocking.
    pub fn load_from_disk(
        &self,
        key: &str,
    ) -> Result<Option<(Arc<Meta>, DiskOrBytes)>, CacheError> {
        let Some(body) = self.read_disk(key)? else {
            return Ok(None);
        };
        let meta = body.meta.clone();
        if body.len > self.memory_object_bytes {
            return Ok(Some((meta, DiskOrBytes::Disk(body))));
        }

        match body.read_all() {
            Ok(bytes) => {
                let _ = self.memory.insert_shared(meta.clone(), bytes.clone());
                Ok(Some((meta, DiskOrBytes::Bytes(bytes))))
            }
            Err(CacheError::Corrupt { path, reason }) => {
                tracing::warn!(path = %path.display(), %reason, "Dropped corrupt disk cache entry");
                if let Some(disk) = &self.disk {
                    disk.remove(key);
                }
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Stores a response in memory (if small enough) and on disk (if configured): write
    /// through, so it survives a restart. Blocking when there is a disk tier.
    pub fn insert(&self, mut meta: Meta, body: Bytes) -> Result<(), CacheError> {
        let size = body.len() as u64;
        if size > self.max_object_bytes {
            let max = self.max_object_bytes;
            return Err(CacheError::TooLarge { size, max });
        }

        memory::compact_headers(&mut meta);
        let meta = Arc::new(meta);
        let in_memory = size <= self.memory_object_bytes
            && matches!(
                self.memory.insert_shared(meta.clone(), body.clone()),
                Insert::Stored { .. }
            );
        if !in_memory {
            // An older, smaller version must not keep being served from memory.
            self.memory.remove(&meta.key);
        }

        let Some(disk) = &self.disk else {
            return Ok(());
        };
        let stored = disk.insert_shared(meta.clone(), &body);
        if stored.is_err() {
            // Nor may an older version come back from disk once memory evicts this one.
            disk.remove(&meta.key);
        }
        stored
    }

    /// Stores a response in the memory tier only (no I/O); see [`MemoryTier::insert`].
    pub fn insert_memory(&self, meta: Meta, body: Bytes) -> Insert {
        self.memory.insert(meta, body)
    }

    /// Stores a response in the disk tier only, if configured. Blocking.
    pub fn insert_disk(&self, meta: Meta, body: &[u8]) -> Result<(), CacheError> {
        match &self.disk {
            Some(disk) => disk.insert(meta, body),
            None => Ok(()),
        }
    }

    /// Starts streaming an object to disk (for objects too large for memory); `None` without
    /// a disk tier. Any version of `key` in memory is dropped now, so that once the writer
    /// commits, the new version is the one served. Blocking.
    pub fn disk_writer(&self, key: &str) -> Result<Option<DiskWriter>, CacheError> {
        let Some(disk) = &self.disk else {
            return Ok(None);
        };
        let writer = disk.writer(key)?;
        self.memory.remove(key);
        Ok(Some(writer))
    }

    /// Removes `key` from both tiers; says whether either had it. Blocking.
    pub fn remove(&self, key: &str) -> bool {
        let in_memory = self.memory.remove(key);
        let on_disk = self.disk.as_ref().is_some_and(|disk| disk.remove(key));
        in_memory || on_disk
    }

    /// Replaces `key`'s metadata in both tiers, keeping the body (after a 304); says whether
    /// either had it. Blocking.
    pub fn update_meta(&self, key: &str, meta: Meta) -> Result<bool, CacheError> {
        let Some(disk) = &self.disk else {
            return Ok(self.memory.update_meta(key, meta));
        };
        let in_memory = self.memory.update_meta(key, meta.clone());
        let on_disk = disk.update_meta(key, meta)?;
        Ok(in_memory || on_disk)
    }

    /// Removes every entry whose metadata `keep` rejects from both tiers (invalidation);
    /// returns how many distinct keys went. Blocking.
    pub fn retain(&self, keep: impl Fn(&Meta) -> bool) -> usize {
        let from_memory = self.memory.retain_removed(&keep);
        let from_disk = match &self.disk {
            Some(disk) => disk.retain_removed(&keep),
            None => Vec::new(),
        };
        let keys: HashSet<&str> = from_memory
            .iter()
            .chain(&from_disk)
            .map(|meta| meta.key.as_str())
            .collect();
        keys.len()
    }

    /// Both tiers' counters.
    pub fn stats(&self) -> StoreStats {
        StoreStats {
            memory: self.memory.stats(),
            disk: self.disk.as_ref().map(DiskTier::stats),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use test_support::{full_meta, meta};

    fn config(dir: Option<&Path>) -> StoreConfig {
        StoreConfig {
            memory_bytes: 1 << 20,
            disk: dir.map(|dir| (dir.to_owned(), 1 << 22)),
            max_object_bytes: 100_000,
            memory_object_bytes: 1_000,
        }
    }

    fn open(dir: &Path) -> Store {
        Store::open(config(Some(dir))).expect("opens")
    }

    #[test]
    fn memory_first_then_disk_then_promoted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let original = full_meta("k", 0);
        {
            let store = open(dir.path());
            store
                .insert(original.clone(), Bytes::from_static(b"body"))
                .expect("stored");
            assert!(matches!(store.get("k"), Some(Hit::Memory { body, .. }) if body == "body"));
        }

        let store = open(dir.path());
        let hit = store.get("k").expect("on disk");
        assert!(matches!(hit, Hit::Disk { .. }));
        assert_eq!(hit.meta().status, original.status);
        let (meta, body) = store
            .load_from_disk("k")
            .expect("no I/O error")
            .expect("found");
        assert_eq!(meta.key, "k");
        assert!(matches!(body, DiskOrBytes::Bytes(bytes) if bytes == "body"));
        assert!(
            matches!(store.get("k"), Some(Hit::Memory { .. })),
            "promoted"
        );
        assert!(store.get("other").is_none());

        let stats = store.stats();
        let disk = stats.disk.expect("configured");
        assert_eq!((stats.memory.hits, stats.memory.misses), (1, 2));
        assert_eq!((disk.hits, disk.misses), (1, 1));
    }

    #[test]
    fn large_objects_stay_on_disk_and_stream() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        store
            .insert(meta("big"), Bytes::from(vec![3; 5_000]))
            .expect("stored");
        assert!(!store.memory().contains("big"));
        assert!(matches!(store.get("big"), Some(Hit::Disk { .. })));
        let (_, body) = store
            .load_from_disk("big")
            .expect("no I/O error")
            .expect("found");
        let DiskOrBytes::Disk(body) = body else {
            panic!("a large body is streamed");
        };
        assert_eq!(body.len, 5_000);
        assert!(!store.memory().contains("big"));

        let too_large = store.insert(meta("huge"), Bytes::from(vec![0; 100_001]));
        assert!(matches!(too_large, Err(CacheError::TooLarge { .. })));

        let mut writer = store
            .disk_writer("streamed")
            .expect("started")
            .expect("disk tier");
        writer.write(&[1; 50_000]).expect("written");
        writer.commit(meta("streamed")).expect("committed");
        assert!(
            matches!(store.get("streamed"), Some(Hit::Disk { meta }) if meta.body_len == 50_000)
        );
    }

    #[test]
    fn a_new_version_too_large_for_memory_replaces_the_old_one_there() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        store
            .insert(meta("k"), Bytes::from_static(b"small"))
            .expect("stored");
        assert!(store.memory().contains("k"));
        store
            .insert(meta("k"), Bytes::from(vec![1; 5_000]))
            .expect("stored");
        assert!(matches!(store.get("k"), Some(Hit::Disk { meta }) if meta.body_len == 5_000));

        store
            .insert(meta("s"), Bytes::from_static(b"small"))
            .expect("stored");
        let mut writer = store.disk_writer("s").expect("started").expect("disk tier");
        assert!(!store.memory().contains("s"));
        writer.write(&[2; 3_000]).expect("written");
        writer.commit(meta("s")).expect("committed");
        assert!(matches!(store.get("s"), Some(Hit::Disk { meta }) if meta.body_len == 3_000));
    }

    #[test]
    fn remove_update_meta_and_retain_cover_both_tiers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        for i in 0..5 {
            store
                .insert(meta(&format!("/a/{i}")), Bytes::from_static(b"a"))
                .expect("stored");
            store
                .insert(meta(&format!("/b/{i}")), Bytes::from_static(b"b"))
                .expect("stored");
        }
        store
            .insert_disk(meta("/a/disk-only"), b"d")
            .expect("stored");
        let _ = store.insert_memory(meta("/a/memory-only"), Bytes::from_static(b"m"));

        assert!(store.remove("/b/0"));
        assert!(!store.remove("/b/0"));
        assert!(store.get("/b/0").is_none());

        let mut fresh = meta("/b/1");
        fresh.status = 299;
        assert!(store.update_meta("/b/1", fresh).expect("rewritten"));
        assert_eq!(store.get("/b/1").expect("kept").meta().status, 299);
        let on_disk = store
            .disk()
            .expect("configured")
            .lookup("/b/1")
            .expect("kept");
        assert_eq!(on_disk.status, 299);

        assert_eq!(store.retain(|meta| !meta.key.starts_with("/a/")), 7);
        assert!(store.get("/a/3").is_none());
        assert_eq!(store.memory().len(), 4);
        assert_eq!(store.disk().expect("configured").len(), 4);
    }

    #[test]
    fn keys_hot_in_memory_stay_on_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(StoreConfig {
            disk: Some((dir.path().to_owned(), 64 * BLOCK_SIZE)),
            ..config(None)
        })
        .expect("opens");
        store
            .insert(meta("hot"), Bytes::from_static(b"hot"))
            .expect("stored");
        for i in 0..2_000 {
            if i % 20 == 0 {
                assert!(matches!(store.get("hot"), Some(Hit::Memory { .. })));
            }
            store
                .insert_disk(meta(&format!("cold-{i}")), b"cold")
                .expect("stored");
        }
        assert!(store.disk().expect("configured").contains("hot"));
    }

    #[test]
    fn without_a_disk_tier() {
        let store = Store::open(config(None)).expect("opens");
        store
            .insert(meta("k"), Bytes::from_static(b"x"))
            .expect("stored");
        store
            .insert(meta("big"), Bytes::from(vec![0; 5_000]))
            .expect("not cached");
        assert!(matches!(store.get("k"), Some(Hit::Memory { .. })));
        assert!(store.get("big").is_none());
        assert!(store.disk_writer("k").expect("no I/O").is_none());
        assert!(store.load_from_disk("k").expect("no I/O").is_none());
        assert!(store.stats().disk.is_none());
    }

    #[test]
    fn concurrent_use_stays_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(
            Store::open(StoreConfig {
                memory_bytes: 128 * 1024,
                disk: Some((dir.path().to_owned(), 256 * 1024)),
                ..config(None)
            })
            .expect("opens"),
        );
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(t);
                    for _ in 0..500 {
                        let key = format!("k{}", rng.u32(..300));
                        match store.get(&key) {
                            Some(Hit::Memory { .. }) => {}
                            Some(Hit::Disk { .. }) => {
                                let _ = store.load_from_disk(&key).expect("no I/O error");
                            }
                            None => {
                                let body = Bytes::from(vec![0; rng.usize(..1_500)]);
                                store.insert(meta(&key), body).expect("stored");
                            }
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        let stats = store.stats();
        assert!(stats.memory.bytes <= 128 * 1024);
        assert!(stats.disk.expect("configured").bytes <= 256 * 1024);
    }
}
