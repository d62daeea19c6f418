//! The edge's side of the cache: the store and its tiers opened from `[cache]`, the vary
//! index, request collapsing and invalidations, shared by every request and kept across
//! reloads. The `cache_lookup` phase (`pipeline::cached`) decides; this module stores.

mod fill;
pub mod invalidation;
mod respond;
mod vary_index;

use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use verge_cache::collapse::Collapser;
use verge_cache::store::{DiskOrBytes, Hit, Store, StoreConfig};
use verge_cache::{CacheError, Meta};
use verge_config::model::CacheSettings;

pub use fill::{FillBody, Filled};
pub use invalidation::Invalidations;
pub use respond::{StoredBody, respond};
pub use vary_index::{EncodingKey, VaryIndex, primary_of};

/// The cache of one edge node.
pub struct EdgeCache {
    /// Memory and disk tiers.
    pub store: Store,
    /// Misses in flight, by primary key.
    pub collapser: Collapser,
    /// Which primary keys have variants.
    pub vary: VaryIndex,
    /// The `[cache]` settings it was opened with, `max_object_size` lowered to the largest
    /// object a tier accepts.
    pub settings: CacheSettings,
    /// Invalidations made through the admin API.
    pub invalidations: Invalidations,
}

impl EdgeCache {
    /// Opens the tiers `settings` describe; the disk tier lives in `<data_dir>/cache`.
    /// `None` when both tiers are off.
    pub fn open(
        settings: &CacheSettings,
        data_dir: Option<&Path>,
    ) -> Result<Option<Self>, CacheError> {
        let disk = match data_dir {
            Some(dir) if settings.disk_size > 0 => Some((dir.join("cache"), settings.disk_size)),
            _ => None,
        };
        if settings.memory_size == 0 && disk.is_none() {
            return Ok(None);
        }
        let store = Store::open(StoreConfig {
            memory_bytes: settings.memory_size,
            disk,
            max_object_bytes: settings.max_object_size,
            memory_object_bytes: settings.memory_object_limit(),
        })?;
        // A response is kept in memory while it streams, up to `max_object_size`; past what
        // either tier accepts, keeping it would only cost memory.
        let mut settings = settings.clone();
        let largest = store
            .disk()
            .map_or(0, |disk| disk.max_object_bytes())
            .max(store.memory().max_object_bytes());
        settings.max_object_size = settings.max_object_size.min(largest);
        let vary = VaryIndex::default();
        // Variants found on disk are learned again, so lookups find them.
        store.retain(|meta| {
            vary.restore(meta);
            true
        });
        tracing::info!(
            memory_bytes = settings.memory_size,
            disk_bytes = settings.disk_size,
            max_object_bytes = settings.max_object_size,
            restored = store.stats().disk.map_or(0, |disk| disk.entries),
            "Cache opened"
        );
        Ok(Some(EdgeCache {
            store,
            collapser: Collapser::new(),
            vary,
            settings,
            invalidations: Invalidations::default(),
        }))
    }

    /// The stored object under `key`, from memory or disk.
    pub async fn find(self: &Arc<Self>, key: &str) -> Option<(Arc<Meta>, StoredBody)> {
        match self.store.get(key)? {
            Hit::Memory { meta, body } => Some((meta, StoredBody::Memory(body))),
            Hit::Disk { .. } => {
                let cache = self.clone();
                let key = key.to_owned();
                let loaded = tokio::task::spawn_blocking(move || cache.store.load_from_disk(&key))
                    .await
                    .ok()?;
                match loaded {
                    Ok(Some((meta, DiskOrBytes::Bytes(body)))) => {
                        Some((meta, StoredBody::ReadFromDisk(body)))
                    }
                    Ok(Some((meta, DiskOrBytes::Disk(body)))) => {
                        Some((meta, StoredBody::Disk(body)))
                    }
                    Ok(None) => None,
                    Err(error) => {
                        tracing::warn!(%error, "Cache disk read failed");
                        None
                    }
                }
            }
        }
    }

    /// Stores a filled body under `meta.key`: in memory when small enough, and on disk.
    /// Disk writes run on a blocking thread; the future ends when the object is visible.
    /// A response that an invalidation made after its request covers is not stored: the
    /// origin may have sent it before the change the invalidation announces.
    pub async fn put(self: &Arc<Self>, meta: Meta, filled: Filled) {
        if self.invalidations.covers_fill(&meta) {
            tracing::debug!("Response not stored: invalidated while it was fetched");
            return;
        }
        let cache = self.clone();
        let key = meta.key.clone();
        let stored = tokio::task::spawn_blocking(move || {
            let check = meta.clone();
            cache.insert(meta, filled)?;
            // An invalidation that began during the insert may have scanned the tiers before
            // this object was in them; it is recorded before it scans, so it shows here.
            if cache.invalidations.covers_fill(&check) {
                cache.store.remove(&check.key);
            }
            Ok::<_, verge_cache::CacheError>(())
        })
        .await;
        match stored {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "Cache store failed"),
            Err(error) => tracing::warn!(%error, key_len = key.len(), "Cache store task failed"),
        }
    }

    /// Stores in the tiers. An object only the disk tier takes is written piece by piece,
    /// not first copied into one buffer. Blocking.
    fn insert(&self, meta: Meta, filled: Filled) -> Result<(), CacheError> {
        if filled.len > self.store.memory().max_object_bytes()
            && let Some(mut writer) = self.store.disk_writer(&meta.key)?
        {
            for chunk in &filled.chunks {
                writer.write(chunk)?;
            }
            return writer.commit(meta);
        }
        self.store.insert(meta, join(filled))
    }

    /// Replaces the metadata of a stored object (after a 304 freshened it).
    pub async fn update(self: &Arc<Self>, meta: Meta) {
        let cache = self.clone();
        let updated = tokio::task::spawn_blocking(move || {
            let key = meta.key.clone();
            cache.store.update_meta(&key, meta)
        })
        .await;
        if let Ok(Err(error)) = updated {
            tracing::warn!(%error, "Cache update failed");
        }
    }

    /// Removes every object stored for `primary` (RFC 9111 §4.4 after unsafe methods).
    pub fn remove_primary(&self, primary: &str) -> usize {
        let keys = self.vary.keys_of(primary);
        self.vary.forget(primary);
        keys.iter().filter(|key| self.store.remove(key)).count()
    }
}

/// One contiguous buffer from the filled pieces (one piece is shared, not copied).
fn join(filled: Filled) -> Bytes {
    let mut chunks = filled.chunks;
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut buffer = BytesMut::with_capacity(filled.len as usize);
    for chunk in chunks {
        buffer.extend_from_slice(&chunk);
    }
    buffer.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(memory: u64, disk: u64) -> CacheSettings {
        CacheSettings {
            memory_size: memory,
            disk_size: disk,
            ..CacheSettings::default()
        }
    }

    #[test]
    fn no_larger_objects_are_filled_than_a_tier_takes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let memory_only = EdgeCache::open(&settings(1 << 20, 0), Some(dir.path()))
            .expect("opens")
            .expect("a cache");
        assert_eq!(memory_only.settings.max_object_size, 128 << 10);

        let with_disk = EdgeCache::open(&settings(1 << 20, 4 << 20), Some(dir.path()))
            .expect("opens")
            .expect("a cache");
        assert_eq!(with_disk.settings.max_object_size, 4 << 20);

        assert!(
            EdgeCache::open(&settings(0, 0), Some(dir.path()))
                .expect("opens")
                .is_none()
        );
    }
}
