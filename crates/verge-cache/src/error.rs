//! The cache's error type: disk tier I/O and corrupt stored entries.

use std::path::PathBuf;

/// What went wrong in the cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Reading or writing the disk tier failed.
    #[error("disk cache {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A stored entry could not be decoded (truncated, foreign or from another version).
    #[error("disk cache entry {path} is unreadable: {reason}")]
    Corrupt {
        /// The entry's file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The object is larger than the configured maximum object size.
    #[error("object of {size} bytes exceeds the maximum object size of {max} bytes")]
    TooLarge {
        /// The object's size so far.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A disk tier writer could not finish its entry; the partial entry was discarded.
    #[error("disk cache entry for {key} was abandoned: {reason}")]
    Abandoned {
        /// The entry's key.
        key: String,
        /// Why (an earlier write failed, or the metadata names another key).
        reason: &'static str,
    },
}
