//! Reading the disk tier's entry files: their footer and metadata, and [`DiskBody`], an
//! opened entry positioned for streaming its body to the viewer.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_64;

use super::disk_format::{FOOTER_LEN, Footer, decode_meta};
use crate::{CacheError, Meta};

/// An entry opened for reading: `file` is positioned at `offset`, where its body of `len`
/// bytes starts. The file stays readable even if the entry is evicted or replaced meanwhile.
#[derive(Debug)]
pub struct DiskBody {
    /// The entry's file.
    pub file: File,
    /// Where the body starts.
    pub offset: u64,
    /// The body's length.
    pub len: u64,
    /// The metadata stored with this body.
    pub meta: Arc<Meta>,
    body_hash: u64,
    path: PathBuf,
}

impl DiskBody {
    pub(crate) fn new(file: File, footer: &Footer, meta: Arc<Meta>, path: PathBuf) -> Self {
        Self {
            file,
            offset: 0,
            len: footer.body_len,
            meta,
            body_hash: footer.body_hash,
            path,
        }
    }

    /// The entry's file name, for logs.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the whole body, checking it against the hash stored when it was written (a
    /// mismatch is [`CacheError::Corrupt`]). For bodies small enough to hold in memory.
    pub fn read_all(mut self) -> Result<Bytes, CacheError> {
        let Ok(len) = usize::try_from(self.len) else {
            return Err(CacheError::TooLarge {
                size: self.len,
                max: usize::MAX as u64,
            });
        };

        let mut body = Vec::with_capacity(len);
        let read = self
            .file
            .seek(SeekFrom::Start(self.offset))
            .and_then(|_| (&mut self.file).take(self.len).read_to_end(&mut body));
        read.map_err(|source| io_error(&self.path, source))?;

        if body.len() != len {
            return Err(corrupt(&self.path, "body truncated".to_owned()));
        }
        if xxh3_64(&body) != self.body_hash {
            return Err(corrupt(&self.path, "body hash mismatch".to_owned()));
        }
        Ok(Bytes::from(body))
    }
}

/// Reads and checks the footer of an entry file; leaves the position anywhere.
pub(crate) fn read_footer(file: &mut File, path: &Path) -> Result<Footer, CacheError> {
    let len = file
        .metadata()
        .map_err(|source| io_error(path, source))?
        .len();
    if len < FOOTER_LEN as u64 {
        return Err(corrupt(
            path,
            format!("{len} bytes is shorter than a footer"),
        ));
    }

    let mut bytes = [0; FOOTER_LEN];
    file.seek(SeekFrom::Start(len - FOOTER_LEN as u64))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|source| io_error(path, source))?;
    let footer = Footer::decode(&bytes).map_err(|reason| corrupt(path, reason))?;

    if footer.file_len() != len {
        let reason = format!("{len} bytes, the footer says {}", footer.file_len());
        return Err(corrupt(path, reason));
    }
    Ok(footer)
}

/// Reads and decodes the metadata `footer` locates; leaves the position anywhere.
pub(crate) fn read_meta(file: &mut File, footer: &Footer, path: &Path) -> Result<Meta, CacheError> {
    // `Footer::decode` bounds `meta_len` by `MAX_META_LEN`, so this allocation is small.
    let mut bytes = vec![0; footer.meta_len as usize];
    file.seek(SeekFrom::Start(footer.body_len))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|source| io_error(path, source))?;
    decode_meta(&bytes, footer).map_err(|reason| corrupt(path, reason))
}

/// Deletes an entry file; one already gone is fine, other failures are logged: the entry
/// is out of the index either way, and the next start finds the file again.
pub(crate) fn unlink(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "Cannot delete disk cache entry");
        }
    }
}

pub(crate) fn io_error(path: &Path, source: io::Error) -> CacheError {
    CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

pub(crate) fn corrupt(path: &Path, reason: String) -> CacheError {
    CacheError::Corrupt {
        path: path.to_owned(),
        reason,
    }
}
