//! The disk tier: one file per entry under a cache directory, bounded in bytes, surviving a
//! restart. Its index (key hash → metadata) lives in memory, split into S3-FIFO shards like
//! the memory tier, so [`DiskTier::lookup`] does no I/O. Every other call does blocking file
//! I/O: the edge runs them in `tokio::task::spawn_blocking`.
//!
//! Every rename and delete of an entry file happens under its shard's lock, so the index and
//! the files agree; writing a body happens outside it, in a temporary file.
//!
//! Eviction is the memory tier's S3-FIFO (same code, so `benches/tiers.rs`'s hit ratios hold
//! here too), fed with the memory tier's hits as well as its own: with write-through, the
//! objects hottest in memory would otherwise look unused on disk and be the first to go.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::disk_file::{DiskBody, corrupt, io_error, read_footer, read_meta, unlink};
use super::disk_format::{Footer, entry_path};
use super::memory::compact_headers;
use super::shards::{Shards, key_hash};
use super::stats::TierStats;
use crate::{CacheError, Meta};

/// Disk usage is counted in blocks of this size: a small file still takes a whole block.
pub const BLOCK_SIZE: u64 = 4096;

/// The bytes the disk tier charges for an entry file of `file_len` bytes.
pub fn disk_charge(file_len: u64) -> u64 {
    file_len.div_ceil(BLOCK_SIZE).saturating_mul(BLOCK_SIZE)
}

/// What the index keeps per entry.
#[derive(Debug)]
pub(crate) struct DiskEntry {
    pub(crate) meta: Arc<Meta>,
    /// The file's footer as written, to recognise the same file when it is opened.
    pub(crate) footer: Footer,
}

/// The disk tier. Cheap to share: clones see the same entries.
#[derive(Debug, Clone)]
pub struct DiskTier {
    pub(crate) inner: Arc<DiskInner>,
}

#[derive(Debug)]
pub(crate) struct DiskInner {
    pub(crate) root: PathBuf,
    /// Temporary files, on the same file system as the entries so renames are atomic.
    pub(crate) tmp_dir: PathBuf,
    pub(crate) shards: Shards<DiskEntry>,
    pub(crate) max_object: u64,
    pub(crate) next_tmp: AtomicU64,
}

impl DiskTier {
    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.inner.root
    }

    /// The bound on [`bytes`](Self::bytes).
    pub fn capacity(&self) -> u64 {
        self.inner.shards.capacity()
    }

    /// The largest body the tier accepts.
    pub fn max_object_bytes(&self) -> u64 {
        self.inner.max_object
    }

    /// The metadata stored for `key`, from the index (no I/O). Counts a hit (and a use for
    /// eviction) or a miss. It may wait for one rename or delete in the same shard, which
    /// run under the shard's lock.
    pub fn lookup(&self, key: &str) -> Option<Arc<Meta>> {
        self.lookup_hashed(key_hash(key), key)
    }

    /// [`lookup`](Self::lookup) with the key's hash already computed.
    pub(crate) fn lookup_hashed(&self, hash: u64, key: &str) -> Option<Arc<Meta>> {
        let mut shard = self.inner.shards.lock(hash);
        let entry = shard.get(hash, |entry| entry.meta.key == key)?;
        Some(entry.meta.clone())
    }

    /// Counts a use of `key` served by a faster tier, so that eviction here sees it too
    /// (otherwise the objects hot in memory would look cold on disk). No I/O.
    pub(crate) fn touch_hashed(&self, hash: u64, key: &str) {
        let mut shard = self.inner.shards.lock(hash);
        shard.touch(hash, |entry| entry.meta.key == key);
    }

    /// Whether `key` is stored, without counting a lookup or a use. No I/O.
    pub fn contains(&self, key: &str) -> bool {
        let hash = key_hash(key);
        let shard = self.inner.shards.lock(hash);
        shard.peek(hash).is_some_and(|entry| entry.meta.key == key)
    }

    /// Opens `key`'s entry for reading its body. `Ok(None)` when it is not stored, or its file
    /// turned out missing or corrupt (then it is dropped, with a warning).
    pub fn open_body(&self, key: &str) -> Result<Option<DiskBody>, CacheError> {
        let hash = key_hash(key);
        let (meta, footer) = {
            let shard = self.inner.shards.lock(hash);
            match shard.peek(hash) {
                Some(entry) if entry.meta.key == key => (entry.meta.clone(), entry.footer),
                _ => return Ok(None),
            }
        };

        let path = entry_path(&self.inner.root, key);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                self.inner.forget(hash, &meta, &path, false);
                return Ok(None);
            }
            Err(error) => return Err(io_error(&path, error)),
        };

        let opened = read_footer(&mut file, &path).and_then(|on_disk| {
            // A different footer means the entry was replaced since the index was read; the
            // file's own metadata belongs with the body it is about to serve.
            let meta = if on_disk == footer {
                meta.clone()
            } else {
                Arc::new(read_meta(&mut file, &on_disk, &path)?)
            };
            if meta.key != key {
                return Err(corrupt(&path, "file holds another key".to_owned()));
            }
            Ok((on_disk, meta))
        });
        let (on_disk, meta) = match opened {
            Ok(opened) => opened,
            Err(CacheError::Corrupt { path, reason }) => {
                tracing::warn!(path = %path.display(), %reason, "Dropped corrupt disk cache entry");
                self.inner.forget(hash, &meta, &path, true);
                return Ok(None);
            }
            Err(error) => return Err(error),
        };

        let mut body = DiskBody::new(file, &on_disk, meta, path);
        std::io::Seek::rewind(&mut body.file).map_err(|source| io_error(body.path(), source))?;
        Ok(Some(body))
    }

    /// Stores a whole response: [`writer`](Self::writer), one write, then commit.
    pub fn insert(&self, mut meta: Meta, body: &[u8]) -> Result<(), CacheError> {
        compact_headers(&mut meta);
        self.insert_shared(Arc::new(meta), body)
    }

    /// [`insert`](Self::insert) for metadata another tier shares.
    pub fn insert_shared(&self, meta: Arc<Meta>, body: &[u8]) -> Result<(), CacheError> {
        let mut writer = self.writer(&meta.key)?;
        writer.write(body)?;
        writer.commit_shared(meta)
    }

    /// Removes `key`'s entry and file; says whether it was stored.
    pub fn remove(&self, key: &str) -> bool {
        let hash = key_hash(key);
        let mut shard = self.inner.shards.lock(hash);
        let removed = shard.remove_if(hash, |entry| entry.meta.key == key);
        if removed.is_some() {
            unlink(&entry_path(&self.inner.root, key));
        }
        removed.is_some()
    }

    /// Removes every entry whose metadata `keep` rejects, with its file; returns how many.
    /// Visits every entry, one shard at a time.
    pub fn retain(&self, keep: impl Fn(&Meta) -> bool) -> usize {
        self.retain_removed(keep).len()
    }

    /// [`retain`](Self::retain) returning the removed entries' metadata.
    pub(crate) fn retain_removed(&self, keep: impl Fn(&Meta) -> bool) -> Vec<Arc<Meta>> {
        let mut removed = Vec::new();
        for mut shard in self.inner.shards.each() {
            let start = removed.len();
            shard.retain(|entry| keep(&entry.meta), &mut removed);
            for entry in &removed[start..] {
                unlink(&entry_path(&self.inner.root, &entry.meta.key));
            }
        }
        removed.into_iter().map(|entry| entry.meta).collect()
    }

    /// Entries stored.
    pub fn len(&self) -> usize {
        self.inner.shards.each().map(|shard| shard.len()).sum()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of the entries' charges (file sizes rounded up to [`BLOCK_SIZE`]).
    pub fn bytes(&self) -> u64 {
        self.inner.shards.each().map(|shard| shard.bytes()).sum()
    }

    /// Size and activity counters.
    pub fn stats(&self) -> TierStats {
        self.inner.shards.stats()
    }
}

impl DiskInner {
    /// Drops the index entry `meta` came from, if it is still there, deleting its file when
    /// `delete` (a missing file needs no deleting).
    fn forget(&self, hash: u64, meta: &Arc<Meta>, path: &Path, delete: bool) {
        let mut shard = self.shards.lock(hash);
        let removed = shard.remove_if(hash, |entry| Arc::ptr_eq(&entry.meta, meta));
        if removed.is_some() && delete {
            unlink(path);
        }
    }

    /// Deletes the files of entries evicted or displaced from the index. Called with the
    /// shard's lock held.
    pub(crate) fn delete_files(&self, entries: &[DiskEntry]) {
        for entry in entries {
            unlink(&entry_path(&self.root, &entry.meta.key));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::store::test_support::{count_entry_files, full_meta, meta};

    fn tier(dir: &Path, capacity: u64) -> DiskTier {
        DiskTier::open(dir, capacity).expect("opens")
    }

    fn body(tier: &DiskTier, key: &str) -> Option<Vec<u8>> {
        let body = tier.open_body(key).expect("no I/O error")?;
        Some(body.read_all().expect("intact").to_vec())
    }

    #[test]
    fn a_full_entry_round_trips() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = tier(dir.path(), 1 << 20);
        let original = full_meta("https://example.com/a", 5);
        tier.insert(original.clone(), b"hello").expect("stored");

        assert_eq!(
            tier.lookup("https://example.com/a").as_deref(),
            Some(&original)
        );
        let mut opened = tier
            .open_body("https://example.com/a")
            .expect("opens")
            .expect("found");
        assert_eq!((opened.offset, opened.len), (0, 5));
        assert_eq!(*opened.meta, original);
        let mut streamed = vec![0; 5];
        opened.file.read_exact(&mut streamed).expect("reads");
        assert_eq!(streamed, b"hello");
        assert_eq!(opened.read_all().expect("intact"), &b"hello"[..]);

        let stats = tier.stats();
        assert_eq!(
            (stats.entries, stats.bytes, stats.inserts),
            (1, BLOCK_SIZE, 1)
        );
        assert!(tier.lookup("missing").is_none());
        assert_eq!((tier.stats().hits, tier.stats().misses), (1, 1));
    }

    #[test]
    fn body_len_is_set_from_the_body() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = tier(dir.path(), 1 << 20);
        tier.insert(full_meta("k", 999), b"abc").expect("stored");
        assert_eq!(tier.lookup("k").expect("stored").body_len, 3);
    }

    #[test]
    fn remove_update_meta_and_retain() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = tier(dir.path(), 1 << 20);
        for i in 0..6 {
            tier.insert(meta(&format!("/img/{i}")), b"img")
                .expect("stored");
            tier.insert(meta(&format!("/css/{i}")), b"css")
                .expect("stored");
        }

        assert!(tier.remove("/img/0"));
        assert!(!tier.remove("/img/0"));
        assert!(!entry_path(dir.path(), "/img/0").exists());

        let mut fresh = full_meta("/img/1", 0);
        fresh.status = 304;
        assert!(
            tier.update_meta("/img/1", fresh.clone())
                .expect("rewritten")
        );
        assert!(
            !tier
                .update_meta("/img/2", fresh.clone())
                .expect("no I/O error")
        );
        assert!(
            !tier
                .update_meta("/nope", meta("/nope"))
                .expect("no I/O error")
        );
        let stored = tier.lookup("/img/1").expect("still stored");
        assert_eq!((stored.status, stored.body_len), (304, 3));
        assert_eq!(body(&tier, "/img/1").as_deref(), Some(&b"img"[..]));

        assert_eq!(tier.retain(|meta| !meta.key.starts_with("/img/")), 5);
        assert_eq!(tier.len(), 6);
        assert!(!entry_path(dir.path(), "/img/3").exists());
        assert!(entry_path(dir.path(), "/css/3").exists());
    }

    #[test]
    fn bytes_stay_bounded_and_evicted_files_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let capacity = 64 * BLOCK_SIZE;
        let tier =
            DiskTier::open_with_object_limit(dir.path(), capacity, 2 * BLOCK_SIZE).expect("opens");
        for i in 0..300 {
            tier.insert(meta(&format!("k{i}")), &[1; 100])
                .expect("stored");
            assert!(tier.bytes() <= capacity);
        }
        let stats = tier.stats();
        assert!(stats.evictions > 0);
        let files = count_entry_files(dir.path());
        assert_eq!(files, stats.entries as usize, "one file per indexed entry");
    }

    #[test]
    fn a_missing_or_damaged_file_is_a_miss() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = tier(dir.path(), 1 << 20);
        tier.insert(meta("gone"), b"x").expect("stored");
        tier.insert(meta("damaged"), b"y").expect("stored");
        std::fs::remove_file(entry_path(dir.path(), "gone")).expect("removed");
        std::fs::write(entry_path(dir.path(), "damaged"), b"garbage").expect("written");

        assert!(tier.open_body("gone").expect("no I/O error").is_none());
        assert!(tier.open_body("damaged").expect("no I/O error").is_none());
        assert!(tier.is_empty());
        assert!(!entry_path(dir.path(), "damaged").exists());
    }

    #[test]
    fn a_body_changed_on_disk_fails_its_hash() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = tier(dir.path(), 1 << 20);
        tier.insert(meta("k"), b"hello").expect("stored");
        let path = entry_path(dir.path(), "k");
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[0] = b'j';
        std::fs::write(&path, bytes).expect("written");

        let opened = tier.open_body("k").expect("opens").expect("footer intact");
        assert!(matches!(opened.read_all(), Err(CacheError::Corrupt { .. })));
    }
}
