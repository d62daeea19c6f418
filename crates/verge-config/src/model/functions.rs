//! `[functions.<name>]` and `[key_value_stores.<name>]`: CloudFront Functions JavaScript files
//! with their limits and key-value store associations, and the stores themselves. Cache
//! behaviors name a function in `viewer_request` / `viewer_response` (or give a `.js` path).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::{bytesize, duration};

/// One edge function.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// The JavaScript file, relative to the configuration file.
    pub file: PathBuf,
    /// Key-value stores the function reads with `cf.kvs()`.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Largest accepted source (default 10 KB, CloudFront's limit).
    #[serde(
        default = "default_max_size",
        deserialize_with = "bytesize::deserialize"
    )]
    pub max_size: u64,
    /// Memory the function may allocate (default 2 MB, CloudFront's limit).
    #[serde(
        default = "default_max_memory",
        deserialize_with = "bytesize::deserialize"
    )]
    pub max_memory: u64,
    /// CPU time per invocation before it is interrupted (default 5ms).
    #[serde(
        default = "default_max_compute",
        deserialize_with = "duration::deserialize"
    )]
    pub max_compute: Duration,
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
}

impl FunctionConfig {
    /// A function with default limits and no stores.
    pub fn from_file(file: PathBuf) -> FunctionConfig {
        FunctionConfig {
            file,
            key_value_stores: Vec::new(),
            max_size: default_max_size(),
            max_memory: default_max_memory(),
            max_compute: default_max_compute(),
            comment: None,
        }
    }
}

fn default_max_size() -> u64 {
    10 * 1024
}

fn default_max_memory() -> u64 {
    2 * 1024 * 1024
}

fn default_max_compute() -> Duration {
    Duration::from_millis(5)
}

/// One key-value store.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyValueStoreConfig {
    /// A CloudFront import file (`{"data": [{"key", "value"}]}`) the store starts from. Once
    /// the store is saved in the data directory, the saved copy (with admin API changes) wins.
    #[serde(default)]
    pub import: Option<PathBuf>,
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
}
