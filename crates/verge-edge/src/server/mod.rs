//! A running edge node: binds the viewer and admin listeners, serves from the current
//! snapshot, reloads without dropping a request, and drains on shutdown.

mod admin;
mod admin_cache;
mod admin_kvs;
mod conn;
mod drain;
pub mod framing;
mod hello_capture;
mod listener;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use verge_config::{Config, ConfigErrors};
use verge_telemetry::{AccessLog, LogDestination, LogFormat, Metrics};

pub use listener::BoundListener;

use crate::cache::EdgeCache;
use crate::error::EdgeError;
use crate::snapshot::Snapshot;
use crate::state::EdgeState;
use drain::Drain;

/// Where the configuration comes from, read again on every reload.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// A TOML file.
    File(PathBuf),
    /// A configuration made in memory (quick mode, tests); a reload rebuilds the snapshot
    /// from it (certificates and geo databases are read again).
    Fixed(Box<Config>),
}

impl ConfigSource {
    fn load(&self) -> Result<Config, ConfigErrors> {
        match self {
            ConfigSource::File(path) => verge_config::load_file(path),
            ConfigSource::Fixed(config) => Ok((**config).clone()),
        }
    }
}

/// Why a reload was refused; the previous configuration keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The new configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// The configuration is valid but could not be put in service.
    #[error(transparent)]
    Build(#[from] EdgeError),
}

impl ReloadError {
    /// The errors as lines, for the admin API.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ReloadError::Config(errors) => errors.lines(),
            ReloadError::Build(error) => vec![error.to_string()],
        }
    }
}

/// A running edge node.
pub struct Edge {
    state: Arc<EdgeState>,
    source: ConfigSource,
    drain: Arc<Drain>,
    listeners: Vec<BoundListener>,
    admin: SocketAddr,
    reload_lock: std::sync::Mutex<()>,
}

impl Edge {
    /// Loads the configuration, binds every listener and starts serving. `data_dir`
    /// overrides `node.data_dir`.
    pub async fn start(
        source: ConfigSource,
        data_dir: Option<PathBuf>,
    ) -> Result<Arc<Edge>, EdgeError> {
        let config = source.load()?;
        let data_dir = data_dir.or_else(|| config.node.data_dir.clone());
        let metrics = Arc::new(Metrics::new());
        let snapshot = Snapshot::build(config.clone(), data_dir.as_ref(), None, &metrics)?;
        if !snapshot.geo.has_country() || !snapshot.geo.has_asn() {
            tracing::info!(
                country = snapshot.geo.has_country(),
                asn = snapshot.geo.has_asn(),
                "Geo database missing: viewer country and ASN are unknown, geo restriction lets every viewer in"
            );
        }

        let access_log = match config.logging.access_log.as_deref() {
            None => AccessLog::disabled(),
            Some(target) => {
                let destination = if target == "stdout" {
                    LogDestination::Stdout
                } else {
                    LogDestination::File(target.into())
                };
                let format = match config.logging.access_log_format {
                    verge_config::model::AccessLogFormat::Cloudfront => LogFormat::CloudFront,
                    verge_config::model::AccessLogFormat::Json => LogFormat::Json,
                };
                AccessLog::open(destination, format)?
            }
        };
        metrics.watch_access_log(&access_log);
        let cache = EdgeCache::open(&config.cache, data_dir.as_deref())?.map(Arc::new);
        let state = Arc::new(EdgeState::new(
            snapshot, metrics, access_log, data_dir, cache,
        ));
        let drain = Arc::new(Drain::default());
        let builder = Arc::new(conn::http_builder(&config.limits));

        let mut loops = Vec::new();
        let mut listeners = Vec::new();
        for listener in &config.listeners {
            let socket = listener::bind(listener.address)?;
            let address = socket.local_addr().map_err(|source| EdgeError::Bind {
                address: listener.address,
                source,
            })?;
            if listener.tls && !listeners.iter().any(|l: &BoundListener| l.tls) {
                state.set_https_port(address.port());
            }
            listeners.push(BoundListener {
                address,
                tls: listener.tls,
            });
            loops.push(listener::AcceptLoop {
                listener: socket,
                tls: listener.tls.then_some(listener.min_tls_version),
                state: state.clone(),
                builder: builder.clone(),
                drain: drain.clone(),
                limits: conn::ConnLimits::new(&config.limits),
            });
        }
        let admin_socket = listener::bind(config.node.admin)?;
        let admin = admin_socket
            .local_addr()
            .map_err(|source| EdgeError::Bind {
                address: config.node.admin,
                source,
            })?;

        let edge = Arc::new(Edge {
            state,
            source,
            drain,
            listeners,
            admin,
            reload_lock: std::sync::Mutex::new(()),
        });
        for accept in loops {
            tokio::spawn(accept.run());
        }
        tokio::spawn(admin::serve(admin_socket, Arc::downgrade(&edge)));
        for listener in &edge.listeners {
            let scheme = if listener.tls { "https" } else { "http" };
            tracing::info!(address = %listener.address, scheme, "Listening for viewers");
        }
        tracing::info!(address = %edge.admin, pop = %config.node.pop, distributions = config.distributions.len(), "Edge started");
        Ok(edge)
    }

    /// Reads the configuration again and swaps it in; on error the running one stays.
    pub fn reload(&self) -> Result<u64, ReloadError> {
        let _one_at_a_time = self
            .reload_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = self
            .source
            .load()
            .map_err(ReloadError::from)
            .and_then(|config| {
                let current = self.state.snapshot.load();
                if config.listeners.len() != current.config.listeners.len()
                    || config
                        .listeners
                        .iter()
                        .zip(&current.config.listeners)
                        .any(|(a, b)| a.address != b.address || a.tls != b.tls)
                {
                    // Limitation: listeners, limits and the access log are fixed at start.
                    tracing::warn!("Listener changes take effect at the next restart");
                }
                let snapshot = Snapshot::build(
                    config,
                    self.state.data_dir.as_ref(),
                    Some(&current),
                    &self.state.metrics,
                )?;
                let version = snapshot.version;
                self.state.snapshot.store(Arc::new(snapshot));
                Ok(version)
            });
        self.state.metrics.config_reload(result.is_ok());
        match &result {
            Ok(version) => tracing::info!(version, "Configuration reloaded"),
            Err(error) => {
                tracing::warn!(errors = %error.lines().join("; "), "Reload rejected, previous configuration keeps serving")
            }
        }
        result
    }

    /// Stops accepting, asks every connection to close after its in-flight requests, and
    /// waits up to `deadline`. Returns the number of connections cut at the deadline.
    pub async fn drain(&self, deadline: Duration) -> usize {
        self.state.start_draining();
        tracing::info!(
            open = self.drain.open(),
            deadline_s = deadline.as_secs(),
            "Draining"
        );
        let left = self.drain.drain(deadline).await;
        self.state.access_log.flush().await;
        if left > 0 {
            tracing::warn!(
                connections = left,
                "Drain deadline passed with connections open"
            );
        } else {
            tracing::info!("Drained");
        }
        left
    }

    /// The viewer listeners, with their real addresses.
    pub fn listeners(&self) -> &[BoundListener] {
        &self.listeners
    }

    /// The first plain HTTP listener.
    pub fn http_address(&self) -> Option<SocketAddr> {
        self.listeners.iter().find(|l| !l.tls).map(|l| l.address)
    }

    /// The first HTTPS listener.
    pub fn https_address(&self) -> Option<SocketAddr> {
        self.listeners.iter().find(|l| l.tls).map(|l| l.address)
    }

    /// The admin API address.
    pub fn admin_address(&self) -> SocketAddr {
        self.admin
    }

    /// Shared state (snapshot, metrics, access log).
    pub fn state(&self) -> &Arc<EdgeState> {
        &self.state
    }

    /// The drain deadline of the running configuration.
    pub fn drain_timeout(&self) -> Duration {
        self.state.snapshot.load().config.limits.drain_timeout
    }
}
