//! The edge's side of edge functions: loading the configured functions and key-value stores
//! into a snapshot (stores outlive reloads, so their contents and admin changes carry over),
//! turning requests and responses into events, and applying what a function returned.

mod apply;
mod event;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use verge_config::Config;
use verge_functions::kvs::KvsLimits;
use verge_functions::{Function, KeyValueStore, Limits};

pub use apply::{apply_request, apply_response, generated_response};
pub use event::{request_event, response_event};

use crate::error::EdgeError;

/// The functions and key-value stores of one snapshot.
#[derive(Default)]
pub struct Functions {
    /// Compiled functions by `[functions]` name.
    pub functions: HashMap<String, Arc<Function>>,
    /// Key-value stores by name.
    pub stores: HashMap<String, Arc<KeyValueStore>>,
}

impl Functions {
    /// Opens the configured stores (taking over `previous` ones by name) and compiles every
    /// function; any failure rejects the configuration.
    pub fn load(
        config: &Config,
        data_dir: Option<&Path>,
        previous: Option<&Functions>,
    ) -> Result<Functions, EdgeError> {
        let mut stores = HashMap::new();
        for (name, settings) in &config.key_value_stores {
            let reused = previous.and_then(|p| p.stores.get(name)).cloned();
            let store = match reused {
                Some(store) => store,
                None => Arc::new(open_store(name, settings.import.as_deref(), data_dir)?),
            };
            stores.insert(name.clone(), store);
        }

        let mut functions = HashMap::new();
        for (name, settings) in &config.functions {
            let failed = |reason: String| EdgeError::Function {
                name: name.clone(),
                path: settings.file.clone(),
                reason,
            };
            let source = std::fs::read_to_string(&settings.file)
                .map_err(|e| failed(format!("cannot read the file: {e}")))?;
            let associated = settings
                .key_value_stores
                .iter()
                .filter_map(|store| stores.get(store).cloned())
                .collect();
            let limits = Limits {
                max_size: usize::try_from(settings.max_size).unwrap_or(usize::MAX),
                max_memory: usize::try_from(settings.max_memory).unwrap_or(usize::MAX),
                max_compute: settings.max_compute,
            };
            let function = Function::compile(name, &source, limits, associated)
                .map_err(|e| failed(e.to_string()))?;
            functions.insert(name.clone(), Arc::new(function));
        }
        Ok(Functions { functions, stores })
    }
}

fn open_store(
    name: &str,
    import: Option<&Path>,
    data_dir: Option<&Path>,
) -> Result<KeyValueStore, EdgeError> {
    let failed = |e: verge_functions::KvsError| EdgeError::KeyValueStore {
        name: name.to_owned(),
        reason: e.to_string(),
    };
    match data_dir {
        Some(dir) => KeyValueStore::open(name, &dir.join("kvs"), import, KvsLimits::default())
            .map_err(failed),
        None => {
            // Without a data directory a store lives in memory: admin changes last until exit.
            let json = match import {
                Some(path) => {
                    std::fs::read_to_string(path).map_err(|e| EdgeError::KeyValueStore {
                        name: name.to_owned(),
                        reason: format!("{}: {e}", path.display()),
                    })?
                }
                None => r#"{"data":[]}"#.to_owned(),
            };
            let origin = import.map_or_else(|| name.to_owned(), |p| p.display().to_string());
            KeyValueStore::from_import(name, &json, &origin, KvsLimits::default()).map_err(failed)
        }
    }
}
