//! Opening the disk tier: scanning the cache directory to rebuild the index after a restart.
//! Temporary files left by a crash are deleted; an entry that cannot be read is deleted with
//! a warning and never stops startup; if the entries exceed the capacity, the oldest go.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::SystemTime;

use super::disk::{DiskEntry, DiskInner, DiskTier, disk_charge};
use super::disk_file::{corrupt, io_error, read_footer, read_meta, unlink};
use super::disk_format::{file_name, is_entry_name};
use super::s3fifo::Admit;
use super::shards::{Shards, key_hash};
use crate::CacheError;

/// The directory under the cache directory that holds temporary files.
const TMP_DIR: &str = "tmp";

/// What one scan found and did, for the startup log line.
#[derive(Debug, Default)]
struct Scan {
    found: Vec<(SystemTime, DiskEntry)>,
    corrupt: usize,
    temporary: usize,
}

impl DiskTier {
    /// Opens (creating it if needed) the cache directory `dir`, holding at most
    /// `capacity_bytes` and refusing bodies over an eighth of that. Blocking: it reads every
    /// entry's footer and metadata.
    pub fn open(dir: impl Into<PathBuf>, capacity_bytes: u64) -> Result<DiskTier, CacheError> {
        Self::open_with_object_limit(dir, capacity_bytes, capacity_bytes / 8)
    }

    /// [`open`](Self::open) refusing bodies over `max_object_bytes` (capped at one shard's
    /// share of the capacity, as in the memory tier).
    pub fn open_with_object_limit(
        dir: impl Into<PathBuf>,
        capacity_bytes: u64,
        max_object_bytes: u64,
    ) -> Result<DiskTier, CacheError> {
        let root = dir.into();
        let tmp_dir = root.join(TMP_DIR);
        fs::create_dir_all(&root).map_err(|source| io_error(&root, source))?;

        let mut scan = Scan {
            temporary: clean_tmp(&tmp_dir)?,
            ..Scan::default()
        };
        scan_root(&root, &mut scan)?;

        let shards = Shards::new(capacity_bytes, max_object_bytes);
        let max_object = max_object_bytes.min(shards.shard_capacity());
        let inner = DiskInner {
            root,
            tmp_dir,
            shards,
            max_object,
            next_tmp: AtomicU64::new(0),
        };

        // Oldest first: when the entries exceed the capacity, the oldest are evicted first.
        scan.found.sort_by_key(|(modified, _)| *modified);
        let mut evicted = Vec::new();
        for (_, entry) in scan.found {
            let hash = key_hash(&entry.meta.key);
            let charge = disk_charge(entry.footer.file_len());
            let mut shard = inner.shards.lock(hash);
            // Entries that were stored before the restart go straight to the main FIFO.
            shard.insert(hash, entry, charge, Admit::Main, &mut evicted);
            inner.delete_files(&evicted);
            evicted.clear();
        }

        let tier = DiskTier {
            inner: Arc::new(inner),
        };
        let stats = tier.stats();
        tracing::info!(
            dir = %tier.dir().display(),
            entries = stats.entries,
            bytes = stats.bytes,
            capacity = stats.capacity,
            evicted = stats.evictions,
            corrupt = scan.corrupt,
            temporary = scan.temporary,
            "Disk cache opened"
        );
        Ok(tier)
    }
}

/// Deletes everything in the temporary directory (creating it if needed); returns how many.
fn clean_tmp(tmp_dir: &Path) -> Result<usize, CacheError> {
    fs::create_dir_all(tmp_dir).map_err(|source| io_error(tmp_dir, source))?;
    let entries = fs::read_dir(tmp_dir).map_err(|source| io_error(tmp_dir, source))?;
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let result = match entry.file_type() {
            Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
        match result {
            Ok(()) => removed += 1,
            Err(error) => {
                tracing::warn!(
                    path = %path.display(),
                    %error,
                    "Cannot delete temporary cache file"
                );
            }
        }
    }
    Ok(removed)
}

/// Walks `root/xx/yy/<name>`, loading every entry file.
fn scan_root(root: &Path, scan: &mut Scan) -> Result<(), CacheError> {
    let top = fs::read_dir(root).map_err(|source| io_error(root, source))?;
    for first in top.flatten() {
        let name = first.file_name();
        if name == TMP_DIR {
            continue;
        }
        if !is_fan_out_dir(&first) {
            warn_unexpected(&first.path());
            continue;
        }
        for second in read_dir_or_warn(&first.path()) {
            if !is_fan_out_dir(&second) {
                warn_unexpected(&second.path());
                continue;
            }
            for file in read_dir_or_warn(&second.path()) {
                load_or_delete(&file, scan);
            }
        }
    }
    Ok(())
}

/// Something the cache did not create is left alone.
fn warn_unexpected(path: &Path) {
    tracing::warn!(path = %path.display(), "Ignored unexpected file in the disk cache directory");
}

/// Loads one entry file into `scan`, or deletes it if it is unreadable.
fn load_or_delete(file: &fs::DirEntry, scan: &mut Scan) {
    let path = file.path();
    if file.file_type().is_ok_and(|kind| kind.is_dir()) {
        tracing::warn!(path = %path.display(), "Ignored unexpected directory in the disk cache");
        return;
    }
    match load(&path, &file.file_name().to_string_lossy()) {
        Ok(found) => scan.found.push(found),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "Deleted unreadable disk cache entry");
            unlink(&path);
            scan.corrupt += 1;
        }
    }
}

/// Reads and checks one entry file.
fn load(path: &Path, name: &str) -> Result<(SystemTime, DiskEntry), CacheError> {
    if !is_entry_name(name) {
        return Err(corrupt(path, "not an entry file name".to_owned()));
    }
    let mut file = File::open(path).map_err(|source| io_error(path, source))?;
    let footer = read_footer(&mut file, path)?;
    let meta = read_meta(&mut file, &footer, path)?;
    if file_name(&meta.key) != name {
        return Err(corrupt(
            path,
            "file name does not match the stored key".to_owned(),
        ));
    }

    let modified = file
        .metadata()
        .and_then(|metadata| metadata.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let meta = Arc::new(meta);
    Ok((modified, DiskEntry { meta, footer }))
}

/// Whether a directory entry is one of the two-hex-digit fan-out directories.
fn is_fan_out_dir(entry: &fs::DirEntry) -> bool {
    let name = entry.file_name();
    let name = name.as_encoded_bytes();
    name.len() == 2
        && name.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && entry.file_type().is_ok_and(|kind| kind.is_dir())
}

/// The entries of a fan-out directory; one that cannot be read is skipped with a warning.
fn read_dir_or_warn(dir: &Path) -> impl Iterator<Item = fs::DirEntry> + use<> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => Some(entries),
        Err(error) => {
            tracing::warn!(path = %dir.display(), %error, "Cannot read disk cache directory");
            None
        }
    };
    entries.into_iter().flatten().flatten()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::disk::BLOCK_SIZE;
    use crate::store::disk_format::{FOOTER_LEN, entry_path};
    use crate::store::test_support::{count_entry_files, full_meta, meta};

    #[test]
    fn entries_survive_a_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let original = full_meta("https://example.com/kept", 4);
        {
            let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
            tier.insert(original.clone(), b"kept").expect("stored");
            tier.insert(meta("second"), b"2").expect("stored");
        }

        let tier = DiskTier::open(dir.path(), 1 << 20).expect("reopens");
        assert_eq!(tier.len(), 2);
        assert_eq!(tier.bytes(), 2 * BLOCK_SIZE);
        assert_eq!(
            tier.lookup("https://example.com/kept").as_deref(),
            Some(&original)
        );
        let body = tier
            .open_body("https://example.com/kept")
            .expect("opens")
            .expect("found");
        assert_eq!(body.read_all().expect("intact"), &b"kept"[..]);
    }

    #[test]
    fn unreadable_entries_are_deleted_at_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
            for key in ["good", "truncated", "garbage", "version", "renamed"] {
                tier.insert(meta(key), b"body").expect("stored");
            }
        }
        let path = |key| entry_path(dir.path(), key);

        let bytes = fs::read(path("truncated")).expect("read");
        fs::write(path("truncated"), &bytes[..bytes.len() - 3]).expect("written");
        fs::write(path("garbage"), vec![0xa5; 300]).expect("written");
        let mut bytes = fs::read(path("version")).expect("read");
        let at = bytes.len() - FOOTER_LEN + 32;
        bytes[at] = 99;
        fs::write(path("version"), bytes).expect("written");
        // A valid entry under another key's name.
        let elsewhere = path("elsewhere");
        fs::create_dir_all(elsewhere.parent().expect("nested")).expect("created");
        fs::rename(path("renamed"), &elsewhere).expect("renamed");
        let stray = path("good").with_file_name("not-an-entry");
        fs::write(&stray, b"x").expect("written");
        fs::write(path("good").with_file_name("0".repeat(32)), b"").expect("written");

        let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens despite them");
        assert_eq!(tier.len(), 1);
        assert!(tier.lookup("good").is_some());
        for key in ["truncated", "garbage", "version", "elsewhere"] {
            assert!(!path(key).exists(), "{key} deleted");
        }
        assert!(!stray.exists());
    }

    #[test]
    fn temporary_files_left_behind_are_deleted() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
            let mut writer = tier.writer("crashed").expect("started");
            writer.write(b"half").expect("written");
            // A crash: the writer's cleanup never runs.
            std::mem::forget(writer);
        }
        fs::create_dir_all(dir.path().join("tmp/nested")).expect("created");
        assert_eq!(
            fs::read_dir(dir.path().join("tmp"))
                .expect("readable")
                .count(),
            2
        );

        let tier = DiskTier::open(dir.path(), 1 << 20).expect("reopens");
        assert_eq!(
            fs::read_dir(dir.path().join("tmp"))
                .expect("readable")
                .count(),
            0
        );
        assert!(tier.is_empty());
        // New temporary files do not collide with anything.
        tier.insert(meta("after"), b"ok").expect("stored");
    }

    #[test]
    fn a_smaller_capacity_on_reopen_evicts_the_oldest() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
            for i in 0..40 {
                tier.insert(meta(&format!("k{i:02}")), b"body")
                    .expect("stored");
                if i % 10 == 9 {
                    // Coarse file system clocks: make the batches' times differ.
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }

        let capacity = 16 * BLOCK_SIZE;
        let tier =
            DiskTier::open_with_object_limit(dir.path(), capacity, BLOCK_SIZE).expect("reopens");
        assert!(tier.bytes() <= capacity);
        assert!(tier.len() < 40);
        assert_eq!(count_entry_files(dir.path()), tier.len());
        assert!(tier.stats().evictions >= 24);
        assert!(tier.lookup("k00").is_none(), "the oldest went first");
    }

    #[test]
    fn unexpected_files_at_the_top_are_left_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("README"), b"mine").expect("written");
        fs::create_dir_all(dir.path().join("zz")).expect("created");
        let tier = DiskTier::open(dir.path(), 1 << 20).expect("opens");
        assert!(tier.is_empty());
        assert!(dir.path().join("README").exists());
        assert!(dir.path().join("zz").exists());
    }
}
