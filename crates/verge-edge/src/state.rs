//! The state shared by every connection of a running edge: the current snapshot (swapped on
//! reload), metrics, the access log, and whether the node is draining.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};

use arc_swap::ArcSwap;
use verge_telemetry::{AccessLog, Metrics};

use crate::cache::EdgeCache;
use crate::snapshot::Snapshot;

/// Shared state of one edge node.
pub struct EdgeState {
    /// The configuration snapshot new requests use.
    pub snapshot: ArcSwap<Snapshot>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Access log (may be disabled).
    pub access_log: AccessLog,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// The cache, unless both tiers are off.
    pub cache: Option<Arc<EdgeCache>>,
    draining: AtomicBool,
    https_port: AtomicU16,
}

impl EdgeState {
    /// State serving `snapshot`.
    pub fn new(
        snapshot: Snapshot,
        metrics: Arc<Metrics>,
        access_log: AccessLog,
        data_dir: Option<PathBuf>,
        cache: Option<Arc<EdgeCache>>,
    ) -> Self {
        EdgeState {
            snapshot: ArcSwap::from_pointee(snapshot),
            metrics,
            access_log,
            data_dir,
            cache,
            draining: AtomicBool::new(false),
            https_port: AtomicU16::new(443),
        }
    }

    /// Whether the node is draining (responses carry `Connection: close`).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Starts draining.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// The port HTTP-to-HTTPS redirects point to.
    pub fn https_port(&self) -> u16 {
        self.https_port.load(Ordering::Relaxed)
    }

    /// Records the port of the first HTTPS listener.
    pub fn set_https_port(&self, port: u16) {
        self.https_port.store(port, Ordering::Relaxed);
    }
}
