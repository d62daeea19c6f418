//! A store's copy in the data directory: the import format plus its creation time, written to
//! a temporary file and renamed over the old one, so a crash leaves either version whole.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Contents, KvsError, KvsLimits};

#[derive(Serialize, Deserialize)]
struct Saved {
    created_ms: u64,
    version: u64,
    data: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    value: String,
}

/// Loads a saved store, or `None` when there is none.
pub fn load(file: &Path, limits: KvsLimits) -> Result<Option<Contents>, KvsError> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(KvsError::Io {
                path: file.to_owned(),
                source,
            });
        }
    };
    let invalid = |reason: String| KvsError::Import {
        path: file.display().to_string(),
        reason,
    };
    let saved: Saved = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let created = UNIX_EPOCH + Duration::from_millis(saved.created_ms);
    let entries = saved.data.into_iter().map(|e| (e.key, e.value)).collect();
    let mut contents = super::build(entries, limits, created, saved.version).map_err(invalid)?;
    contents.last_updated = std::fs::metadata(file)
        .and_then(|m| m.modified())
        .unwrap_or(contents.last_updated);
    Ok(Some(contents))
}

/// Saves `contents` to `file`, atomically.
pub fn save(file: &Path, contents: &Contents) -> Result<(), KvsError> {
    let io = |source| KvsError::Io {
        path: file.to_owned(),
        source,
    };
    let saved = Saved {
        created_ms: contents
            .created
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        version: contents.version,
        data: contents
            .sorted()
            .into_iter()
            .map(|(k, v)| Entry {
                key: k.to_owned(),
                value: v.to_owned(),
            })
            .collect(),
    };
    let json = serde_json::to_vec(&saved).map_err(|e| io(std::io::Error::other(e)))?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let temporary = file.with_extension("json.tmp");
    let mut out = std::fs::File::create(&temporary).map_err(io)?;
    out.write_all(&json).map_err(io)?;
    out.sync_all().map_err(io)?;
    std::fs::rename(&temporary, file).map_err(io)?;
    Ok(())
}
