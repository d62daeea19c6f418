//! Origins an edge function built with `updateRequestOrigin`: one pooled client per distinct
//! set of settings, kept for the snapshot's life so repeated requests reuse connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use verge_config::model::Origin;

use super::OriginClient;
use crate::error::EdgeError;

/// How many distinct function-built origins a snapshot keeps clients for.
const MAX_CLIENTS: usize = 256;

/// Clients of function-built origins, by their settings.
#[derive(Default)]
pub struct DynamicOrigins {
    clients: Mutex<HashMap<String, Arc<OriginClient>>>,
}

impl DynamicOrigins {
    /// The client for `origin`, made on first use.
    pub fn client(&self, origin: Origin) -> Result<Arc<OriginClient>, EdgeError> {
        let key = format!("{origin:?}");
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        if clients.len() >= MAX_CLIENTS {
            // Settings computed per request (say, one domain per tenant) cycle through.
            let evicted = clients.keys().next().cloned();
            if let Some(evicted) = evicted {
                clients.remove(&evicted);
            }
        }
        let client = Arc::new(OriginClient::new(Arc::new(origin), crate::tls::provider())?);
        clients.insert(key, client.clone());
        Ok(client)
    }
}
