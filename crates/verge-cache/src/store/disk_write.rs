//! Writing the disk tier's entries without ever exposing half of one: a body streams into a
//! temporary file, the final metadata and footer follow at commit, and a rename under the
//! shard's lock puts the file in place. A crash leaves only temporary files, which
//! `DiskTier::open` deletes.
//!
//! Limitation: files are not fsynced before the rename, so after a power loss an entry can
//! keep a valid footer over a damaged body; `DiskBody::read_all` detects that by hash, a
//! streamed body is not checked.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use xxhash_rust::xxh3::Xxh3;

use super::disk::{DiskEntry, DiskInner, DiskTier, disk_charge};
use super::disk_file::{io_error, read_footer, unlink};
use super::disk_format::{Footer, MAX_META_LEN, encode_meta, entry_path};
use super::memory::compact_headers;
use super::s3fifo::{Admit, Inserted};
use super::shards::key_hash;
use crate::{CacheError, Meta};

/// Writes one entry's body as it arrives from the origin; [`commit`](Self::commit) stores it.
/// Dropping the writer without committing discards the temporary file.
pub struct DiskWriter {
    inner: Arc<DiskInner>,
    key: String,
    tmp: PathBuf,
    /// `None` once the writer failed or finished.
    out: Option<BufWriter<File>>,
    hasher: Xxh3,
    /// The body's hash when it was copied rather than hashed on the way in.
    copied_hash: Option<u64>,
    written: u64,
}

impl DiskTier {
    /// Starts writing an entry for `key` into a temporary file.
    pub fn writer(&self, key: &str) -> Result<DiskWriter, CacheError> {
        let (tmp, file) = self.inner.temp_file()?;
        Ok(DiskWriter {
            inner: self.inner.clone(),
            key: key.to_owned(),
            tmp,
            out: Some(BufWriter::new(file)),
            hasher: Xxh3::new(),
            copied_hash: None,
            written: 0,
        })
    }

    /// Drops an entry whose file turned out corrupt.
    fn drop_corrupt(&self, key: &str, error: &CacheError) {
        tracing::warn!(%error, "Dropped corrupt disk cache entry");
        self.remove(key);
    }

    /// Replaces the metadata stored for `key`, keeping the body: after a `304 Not Modified`
    /// the headers and times change (RFC 9111 §4.3.4). The file is rewritten through a
    /// temporary file; `meta.body_len` is kept from the stored entry. `Ok(false)` when `key`
    /// is not stored, `meta` is for another key, or the entry was replaced meanwhile.
    pub fn update_meta(&self, key: &str, mut meta: Meta) -> Result<bool, CacheError> {
        if meta.key != key {
            return Ok(false);
        }
        compact_headers(&mut meta);
        let hash = key_hash(key);
        let old = {
            let shard = self.inner.shards.lock(hash);
            match shard.peek(hash) {
                Some(entry) if entry.meta.key == key => entry.meta.clone(),
                _ => return Ok(false),
            }
        };

        let path = entry_path(&self.inner.root, key);
        let mut source = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(io_error(&path, error)),
        };
        let footer = match read_footer(&mut source, &path) {
            Ok(footer) => footer,
            Err(error @ CacheError::Corrupt { .. }) => {
                self.drop_corrupt(key, &error);
                return Ok(false);
            }
            Err(error) => return Err(error),
        };

        let mut writer = self.writer(key)?;
        writer.copy_body(&mut source, &footer)?;
        writer
            .finish(Arc::new(meta), Some(&old))
            .map(|()| true)
            .or_else(|error| match error {
                CacheError::Abandoned { .. } => Ok(false),
                error => Err(error),
            })
    }
}

impl fmt::Debug for DiskWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskWriter")
            .field("key", &self.key)
            .field("tmp", &self.tmp)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl DiskWriter {
    /// The key this writer was started for.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Body bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends a chunk of the body. Past the tier's object limit the entry is abandoned and
    /// [`CacheError::TooLarge`] returned; after any error, later calls fail too.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), CacheError> {
        let Some(out) = self.out.as_mut() else {
            return Err(self.abandoned("an earlier write failed"));
        };
        let size = self.written.saturating_add(chunk.len() as u64);
        if size > self.inner.max_object {
            self.discard();
            let max = self.inner.max_object;
            return Err(CacheError::TooLarge { size, max });
        }

        if let Err(error) = out.write_all(chunk) {
            self.discard();
            return Err(io_error(&self.tmp, error));
        }
        self.hasher.update(chunk);
        self.written = size;
        Ok(())
    }

    /// Stores the entry under `meta.key` (which must be the writer's key) with the body
    /// written so far; `meta.body_len` is set to its length. Replaces what was stored there.
    pub fn commit(self, mut meta: Meta) -> Result<(), CacheError> {
        compact_headers(&mut meta);
        self.finish(Arc::new(meta), None)
    }

    /// [`commit`](Self::commit) for metadata another tier shares.
    pub fn commit_shared(self, meta: Arc<Meta>) -> Result<(), CacheError> {
        self.finish(meta, None)
    }

    /// Discards the entry (dropping the writer does the same).
    pub fn abort(self) {}

    /// Copies the body of an existing entry file, for a metadata rewrite.
    fn copy_body(&mut self, source: &mut File, footer: &Footer) -> Result<(), CacheError> {
        let Some(out) = self.out.as_mut() else {
            return Err(self.abandoned("an earlier write failed"));
        };
        let copied = io::Seek::rewind(source).and_then(|()| {
            let out = out.get_mut();
            io::copy(&mut io::Read::take(source, footer.body_len), out)
        });
        match copied {
            Ok(n) if n == footer.body_len => {
                self.written = n;
                self.copied_hash = Some(footer.body_hash);
                Ok(())
            }
            Ok(_) => {
                self.discard();
                Err(self.abandoned("the stored body is shorter than its footer says"))
            }
            Err(error) => {
                self.discard();
                Err(io_error(&self.tmp, error))
            }
        }
    }

    /// Appends metadata and footer and installs the file. With `replacing`, only if the index
    /// still holds that metadata (a rewrite must not undo a newer entry).
    fn finish(
        mut self,
        mut meta: Arc<Meta>,
        replacing: Option<&Arc<Meta>>,
    ) -> Result<(), CacheError> {
        if meta.key != self.key {
            self.discard();
            return Err(self.abandoned("the metadata is for another key"));
        }
        let Some(mut out) = self.out.take() else {
            return Err(self.abandoned("an earlier write failed"));
        };

        let body_hash = self.copied_hash.unwrap_or_else(|| self.hasher.digest());
        if meta.body_len != self.written {
            Arc::make_mut(&mut meta).body_len = self.written;
        }
        let mut tail = Vec::with_capacity(256);
        let footer = encode_meta(&meta, self.written, body_hash, &mut tail);
        if footer.meta_len > MAX_META_LEN {
            unlink(&self.tmp);
            let size = footer.meta_len;
            return Err(CacheError::TooLarge {
                size,
                max: MAX_META_LEN,
            });
        }
        tail.extend_from_slice(&footer.encode());

        let written = out.write_all(&tail).and_then(|()| out.flush());
        drop(out);
        if let Err(error) = written {
            unlink(&self.tmp);
            return Err(io_error(&self.tmp, error));
        }
        self.inner.install(&self.tmp, meta, footer, replacing)
    }

    fn discard(&mut self) {
        if self.out.take().is_some() {
            unlink(&self.tmp);
        }
    }

    fn abandoned(&self, reason: &'static str) -> CacheError {
        CacheError::Abandoned {
            key: self.key.clone(),
            reason,
        }
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        self.discard();
    }
}

impl DiskInner {
    /// Creates a new temporary file.
    fn temp_file(&self) -> Result<(PathBuf, File), CacheError> {
        let n = self.next_tmp.fetch_add(1, Ordering::Relaxed);
        let path = self.tmp_dir.join(format!("{n}.tmp"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| io_error(&path, source))?;
        Ok((path, file))
    }

    /// Renames a complete temporary file into place and indexes it, evicting to make room.
    /// The temporary file is gone afterwards, whatever the outcome.
    fn install(
        &self,
        tmp: &Path,
        meta: Arc<Meta>,
        footer: Footer,
        replacing: Option<&Arc<Meta>>,
    ) -> Result<(), CacheError> {
        let charge = disk_charge(footer.file_len());
        let max = self.shards.shard_capacity();
        if charge > max {
            unlink(tmp);
            return Err(CacheError::TooLarge { size: charge, max });
        }
        let path = entry_path(&self.root, &meta.key);
        if let Some(parent) = path.parent()
            && let Err(error) = fs::create_dir_all(parent)
        {
            unlink(tmp);
            return Err(io_error(parent, error));
        }

        let hash = key_hash(&meta.key);
        let mut shard = self.shards.lock(hash);
        if let Some(old) = replacing {
            let current = shard.peek(hash).map(|entry| &entry.meta);
            if !current.is_some_and(|current| Arc::ptr_eq(current, old)) {
                drop(shard);
                unlink(tmp);
                return Err(CacheError::Abandoned {
                    key: meta.key.clone(),
                    reason: "the entry changed while its metadata was rewritten",
                });
            }
        }
        if let Err(error) = fs::rename(tmp, &path) {
            drop(shard);
            unlink(tmp);
            return Err(io_error(&path, error));
        }

        let key = meta.key.clone();
        let mut evicted = Vec::new();
        let entry = DiskEntry { meta, footer };
        match shard.insert(hash, entry, charge, Admit::New, &mut evicted) {
            // The same key's old file was just replaced by the rename; another key's was not.
            Inserted::Stored { replaced } => {
                if let Some(old) = replaced.filter(|old| old.meta.key != key) {
                    evicted.push(old);
                }
            }
            Inserted::Refused(_) => unlink(&path),
        }
        self.delete_files(&evicted);
        drop(shard);

        if !evicted.is_empty() {
            tracing::debug!(evicted = evicted.len(), "Evicted disk cache entries");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::meta;

    fn tmp_files(tier: &DiskTier) -> usize {
        fs::read_dir(&tier.inner.tmp_dir).expect("readable").count()
    }

    #[test]
    fn a_streamed_entry_appears_only_at_commit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
        let mut writer = tier.writer("k").expect("started");
        writer.write(b"hello ").expect("written");
        writer.write(b"world").expect("written");
        assert_eq!((writer.key(), writer.written()), ("k", 11));
        assert!(tier.lookup("k").is_none());
        assert!(!entry_path(dir.path(), "k").exists());
        assert_eq!(tmp_files(&tier), 1);

        writer.commit(meta("k")).expect("committed");
        assert_eq!(tmp_files(&tier), 0);
        let body = tier.open_body("k").expect("opens").expect("found");
        assert_eq!(body.read_all().expect("intact"), &b"hello world"[..]);
    }

    #[test]
    fn abort_and_drop_delete_the_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
        let mut writer = tier.writer("k").expect("started");
        writer.write(b"partial").expect("written");
        writer.abort();
        {
            let mut writer = tier.writer("k").expect("started");
            writer.write(b"partial").expect("written");
        }
        assert_eq!(tmp_files(&tier), 0);
        assert!(tier.lookup("k").is_none());
    }

    #[test]
    fn too_large_abandons_the_entry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = DiskTier::open_with_object_limit(dir.path(), 1 << 20, 10).expect("opens");
        let mut writer = tier.writer("k").expect("started");
        writer.write(b"0123456789").expect("at the limit");
        let error = writer.write(b"x").expect_err("over the limit");
        assert!(matches!(error, CacheError::TooLarge { size: 11, max: 10 }));
        assert!(matches!(
            writer.write(b""),
            Err(CacheError::Abandoned { .. })
        ));
        assert!(matches!(
            writer.commit(meta("k")),
            Err(CacheError::Abandoned { .. })
        ));
        assert_eq!(tmp_files(&tier), 0);
        assert!(tier.is_empty());
    }

    #[test]
    fn metadata_for_another_key_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
        let writer = tier.writer("k").expect("started");
        assert!(matches!(
            writer.commit(meta("other")),
            Err(CacheError::Abandoned { .. })
        ));
        assert_eq!(tmp_files(&tier), 0);
        assert!(tier.is_empty());
    }

    #[test]
    fn concurrent_writers_of_one_key_leave_one_consistent_entry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tier = DiskTier::open(dir.path(), 1 << 22).expect("opens");
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let tier = tier.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        let body = vec![t; 100 + usize::from(t)];
                        tier.insert(meta("same"), &body).expect("stored");
                        let opened = tier.open_body("same").expect("opens").expect("found");
                        let len = opened.len;
                        let read = opened.read_all().expect("consistent");
                        assert_eq!(read.len() as u64, len);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        assert_eq!(tier.len(), 1);
        let stored = tier.lookup("same").expect("stored");
        let body = tier.open_body("same").expect("opens").expect("found");
        assert_eq!(body.len, stored.body_len);
    }
}
