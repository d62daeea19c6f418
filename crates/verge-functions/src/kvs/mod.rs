//! Key-value stores for functions, as CloudFront KeyValueStore has them: created from an import
//! file, changed through the admin API (put, delete, batch), read by functions through
//! `cf.kvs()`. Readers take a snapshot (an `Arc`), writers swap in a new one, so a change is
//! visible to the next invocation; every change is written to the data directory first.

mod import;
mod persist;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

pub use import::parse_import;

/// CloudFront's size limits for a key-value store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvsLimits {
    /// The longest key in bytes (512).
    pub max_key_bytes: usize,
    /// The longest value in bytes (1 KB).
    pub max_value_bytes: usize,
    /// Keys and values together, in bytes (5 MB).
    pub max_store_bytes: usize,
}

impl Default for KvsLimits {
    fn default() -> Self {
        KvsLimits {
            max_key_bytes: 512,
            max_value_bytes: 1024,
            max_store_bytes: 5 * 1024 * 1024,
        }
    }
}

/// Why a store could not be loaded or changed.
#[derive(Debug, thiserror::Error)]
pub enum KvsError {
    /// An import or persisted file is not in CloudFront's import format.
    #[error("{path}: {reason}")]
    Import {
        /// The file.
        path: String,
        /// What is wrong, with the entry's index where there is one.
        reason: String,
    },
    /// A key or value breaks a size rule.
    #[error("{0}")]
    Limit(String),
    /// Writing the store to the data directory failed; the change was not applied.
    #[error("key-value store {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// One version of a store's contents.
#[derive(Debug, Clone)]
pub struct Contents {
    entries: HashMap<String, String>,
    bytes: usize,
    /// When the store was created.
    pub created: SystemTime,
    /// When it last changed.
    pub last_updated: SystemTime,
    /// Increases with every change (the admin API's ETag).
    pub version: u64,
}

impl Contents {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys and values together, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The entries, sorted by key.
    pub fn sorted(&self) -> Vec<(&str, &str)> {
        let mut entries: Vec<_> = self
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        entries.sort_unstable();
        entries
    }
}

/// A named key-value store.
#[derive(Debug)]
pub struct KeyValueStore {
    name: String,
    file: Option<PathBuf>,
    limits: KvsLimits,
    contents: RwLock<Arc<Contents>>,
    writer: Mutex<()>,
}

impl KeyValueStore {
    /// A store held in memory only, from import-format JSON (tests and `verge function test`).
    pub fn from_import(
        name: &str,
        json: &str,
        origin: &str,
        limits: KvsLimits,
    ) -> Result<Self, KvsError> {
        let entries = parse_import(json, origin)?;
        let contents =
            build(entries, limits, SystemTime::now(), 1).map_err(|reason| KvsError::Import {
                path: origin.to_owned(),
                reason,
            })?;
        Ok(Self::with(name, None, limits, contents))
    }

    /// Opens the store `name` kept under `dir`; when it was never saved there, creates it from
    /// the import file (or empty) and saves it. The saved copy wins over the import file, so
    /// changes made through the admin API survive a restart.
    pub fn open(
        name: &str,
        dir: &Path,
        import: Option<&Path>,
        limits: KvsLimits,
    ) -> Result<Self, KvsError> {
        let file = dir.join(format!("{name}.json"));
        if let Some(saved) = persist::load(&file, limits)? {
            return Ok(Self::with(name, Some(file), limits, saved));
        }
        let entries = match import {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| KvsError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                parse_import(&text, &path.display().to_string())?
            }
            None => Vec::new(),
        };
        let origin = import.map_or_else(|| name.to_owned(), |p| p.display().to_string());
        let contents =
            build(entries, limits, SystemTime::now(), 1).map_err(|reason| KvsError::Import {
                path: origin,
                reason,
            })?;
        persist::save(&file, &contents)?;
        Ok(Self::with(name, Some(file), limits, contents))
    }

    fn with(name: &str, file: Option<PathBuf>, limits: KvsLimits, contents: Contents) -> Self {
        KeyValueStore {
            name: name.to_owned(),
            file,
            limits,
            contents: RwLock::new(Arc::new(contents)),
            writer: Mutex::new(()),
        }
    }

    /// The store's name (its id in `cf.kvs()` and the admin API).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current contents.
    pub fn snapshot(&self) -> Arc<Contents> {
        self.contents
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Puts and deletes keys as one change (CloudFront's UpdateKeys); returns the new version.
    /// Nothing changes when any key or value breaks a limit or the store cannot be saved.
    pub fn update(&self, puts: &[(String, String)], deletes: &[String]) -> Result<u64, KvsError> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = self.snapshot();
        let mut entries = current.entries.clone();
        for key in deletes {
            entries.remove(key);
        }
        for (key, value) in puts {
            entries.insert(key.clone(), value.clone());
        }
        let next = build(
            entries.into_iter().collect(),
            self.limits,
            current.created,
            current.version + 1,
        )
        .map_err(KvsError::Limit)?;
        if let Some(file) = &self.file {
            persist::save(file, &next)?;
        }
        let version = next.version;
        *self
            .contents
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(next);
        Ok(version)
    }
}

fn build(
    entries: Vec<(String, String)>,
    limits: KvsLimits,
    created: SystemTime,
    version: u64,
) -> Result<Contents, String> {
    let mut map = HashMap::with_capacity(entries.len());
    let mut bytes = 0;
    for (key, value) in entries {
        if key.is_empty() || key.len() > limits.max_key_bytes {
            return Err(format!(
                "key {key:?} must be 1 to {} bytes",
                limits.max_key_bytes
            ));
        }
        if value.len() > limits.max_value_bytes {
            return Err(format!(
                "value of {key:?} is {} bytes, over the {}-byte limit",
                value.len(),
                limits.max_value_bytes
            ));
        }
        bytes += key.len() + value.len();
        if let Some(old) = map.insert(key, value) {
            bytes -= old.len();
        }
    }
    if bytes > limits.max_store_bytes {
        return Err(format!(
            "the store would hold {bytes} bytes, over the {}-byte limit",
            limits.max_store_bytes
        ));
    }
    Ok(Contents {
        entries: map,
        bytes,
        created,
        last_updated: SystemTime::now(),
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_apply_whole_or_not_at_all() {
        let store = KeyValueStore::from_import(
            "routes",
            r#"{"data":[{"key":"acme","value":"us"}]}"#,
            "routes.json",
            KvsLimits::default(),
        )
        .expect("valid");
        assert_eq!(store.snapshot().get("acme"), Some("us"));

        let version = store
            .update(&[("globex".into(), "eu".into())], &["acme".into()])
            .expect("valid change");
        assert_eq!(version, 2);
        let now = store.snapshot();
        assert_eq!((now.get("acme"), now.get("globex")), (None, Some("eu")));

        let too_long = "v".repeat(1025);
        assert!(
            store
                .update(&[("a".into(), "1".into()), ("b".into(), too_long)], &[])
                .is_err()
        );
        assert_eq!(
            store.snapshot().get("a"),
            None,
            "a refused batch changes nothing"
        );
    }

    #[test]
    fn saved_changes_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let import = dir.path().join("import.json");
        std::fs::write(&import, r#"{"data":[{"key":"acme","value":"us"}]}"#).expect("write");
        let store = KeyValueStore::open("routes", dir.path(), Some(&import), KvsLimits::default())
            .expect("opens");
        store
            .update(&[("acme".into(), "eu".into())], &[])
            .expect("saved");
        drop(store);

        let reopened =
            KeyValueStore::open("routes", dir.path(), Some(&import), KvsLimits::default())
                .expect("reopens");
        assert_eq!(reopened.snapshot().get("acme"), Some("eu"));
        assert_eq!(reopened.snapshot().version, 2);
    }
}
