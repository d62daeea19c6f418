//! The immutable state one request reads: compiled routes, origin clients, TLS configurations
//! and geo databases, built from a validated configuration and swapped whole on reload.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::ServerConfig;
use verge_config::model::TlsVersion;
use verge_config::{Config, Routes};
use verge_telemetry::{DistributionMetrics, Metrics};

use crate::error::EdgeError;
use crate::functions::Functions;
use crate::geo::GeoDb;
use crate::origin::OriginClient;
use crate::tls::{self, SniResolver};

/// Everything a request needs from configuration, taken once when it starts.
pub struct Snapshot {
    /// Increases by one on every successful reload.
    pub version: u64,
    /// The configuration this snapshot was built from.
    pub config: Arc<Config>,
    /// Host and path routing.
    pub routes: Routes,
    /// Pooled origin clients, by distribution id, in the distribution's origin order.
    pub origins: HashMap<String, Vec<Arc<OriginClient>>>,
    /// Clients of the parent tiers and origin shields, by POP name.
    pub tier_clients: HashMap<String, Arc<OriginClient>>,
    /// This POP's `Via` entry, `1.1 <pop> (verge)`.
    pub via: String,
    /// The `x-verge-pop` header value.
    pub pop_header: http::HeaderValue,
    /// Metric handles, by distribution id.
    pub distribution_metrics: HashMap<String, Arc<DistributionMetrics>>,
    /// Geo databases.
    pub geo: Arc<GeoDb>,
    /// The SNI certificate resolver.
    pub certificates: Arc<SniResolver>,
    /// Edge functions and key-value stores.
    pub functions: Functions,
    /// Web ACLs by distribution, and the WAF log.
    pub firewall: crate::waf::Firewall,
    /// Clients of origins edge functions chose with `updateRequestOrigin`, by settings.
    pub function_origins: crate::origin::DynamicOrigins,
    tls12: Arc<ServerConfig>,
    tls13: Arc<ServerConfig>,
}

impl Snapshot {
    /// Builds a snapshot; origin clients whose settings did not change are taken over from
    /// `previous` with their open connections.
    pub fn build(
        config: Config,
        data_dir: Option<&PathBuf>,
        previous: Option<&Snapshot>,
        metrics: &Arc<Metrics>,
    ) -> Result<Snapshot, EdgeError> {
        let provider = tls::provider();
        let routes = verge_config::compile(&config);

        let mut origins = HashMap::new();
        let mut distribution_metrics = HashMap::new();
        for distribution in &routes.distributions {
            let names: Vec<&str> = distribution.origins.iter().map(|o| o.id.as_str()).collect();
            let handles = DistributionMetrics::new(metrics.clone(), &distribution.id, &names);
            distribution_metrics.insert(distribution.id.clone(), Arc::new(handles));
            let old = previous.and_then(|p| p.origins.get(&distribution.id));
            let mut clients = Vec::with_capacity(distribution.origins.len());
            for origin in &distribution.origins {
                // A CA file may have changed on disk with the same config: rebuild those.
                let reused = old
                    .filter(|_| origin.ca_file.is_none())
                    .and_then(|list| list.iter().find(|c| *c.origin == **origin));
                let client = match reused {
                    Some(client) => client.clone(),
                    None => Arc::new(OriginClient::new(origin.clone(), provider.clone())?),
                };
                clients.push(client);
            }
            origins.insert(distribution.id.clone(), clients);
        }

        let tier_clients = tier_clients(&config, previous)?;
        let mut firewall = crate::waf::Firewall::load(&config, previous.map(|p| &p.firewall))?;
        if !firewall.acls.is_empty() {
            let held = previous.and_then(|p| p.firewall.tokens.as_ref());
            let keys =
                crate::waf::TokenKeys::load(&config.waf, data_dir.map(PathBuf::as_path), held)?;
            firewall.tokens = Some(keys);
        }
        let functions = Functions::load(
            &config,
            data_dir.map(PathBuf::as_path),
            previous.map(|p| &p.functions),
        )?;

        let default = tls::self_signed_key(&provider, data_dir.map(PathBuf::as_path))?;
        let names: usize = config.certificates.iter().map(|c| c.domains.len()).sum();
        let mut resolver = SniResolver::with_capacity(default, names);
        for certificate in &config.certificates {
            let key = tls::load_certified_key(&provider, &certificate.cert, &certificate.key)?;
            for domain in &certificate.domains {
                resolver
                    .add(domain, key.clone())
                    .map_err(|reason| EdgeError::Certificate {
                        path: certificate.cert.clone(),
                        reason,
                    })?;
            }
        }
        let resolver = Arc::new(resolver);
        let tls12 = tls::server_config(provider.clone(), resolver.clone(), TlsVersion::Tls12)?;
        let tls13 = tls::server_config(provider, resolver.clone(), TlsVersion::Tls13)?;

        let geo = GeoDb::open(
            config.geo.country_db.as_deref(),
            config.geo.asn_db.as_deref(),
        )?;
        let via = crate::headers::via_entry(&config.node.pop);
        let pop_header = http::HeaderValue::from_str(&config.node.pop)
            .unwrap_or_else(|_| http::HeaderValue::from_static("invalid"));
        Ok(Snapshot {
            version: previous.map_or(1, |p| p.version + 1),
            config: Arc::new(config),
            routes,
            origins,
            tier_clients,
            via,
            pop_header,
            distribution_metrics,
            geo: Arc::new(geo),
            certificates: resolver,
            functions,
            firewall,
            function_origins: crate::origin::DynamicOrigins::default(),
            tls12,
            tls13,
        })
    }

    /// The TLS configuration for a listener's version floor.
    pub fn tls_config(&self, min_version: TlsVersion) -> Arc<ServerConfig> {
        match min_version {
            TlsVersion::Tls12 => self.tls12.clone(),
            TlsVersion::Tls13 => self.tls13.clone(),
        }
    }

    /// The origin clients of a distribution.
    pub fn origin_clients(&self, distribution: &str) -> &[Arc<OriginClient>] {
        self.origins
            .get(distribution)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// One pooled client per tier node (parents and every origin's shield), reused across
/// reloads when the node is unchanged so tier connections stay open.
fn tier_clients(
    config: &Config,
    previous: Option<&Snapshot>,
) -> Result<HashMap<String, Arc<OriginClient>>, EdgeError> {
    let shields = config
        .distributions
        .iter()
        .flat_map(|d| d.origins.iter())
        .filter_map(|o| o.origin_shield.as_ref());
    let mut clients = HashMap::new();
    for node in config.tiers.parents.iter().chain(shields) {
        if clients.contains_key(&node.pop) || node.pop == config.node.pop {
            continue;
        }
        let origin = Arc::new(tier_origin(node));
        let reused = previous
            .and_then(|p| p.tier_clients.get(&node.pop))
            .filter(|client| *client.origin == *origin);
        let client = match reused {
            Some(client) => client.clone(),
            None => Arc::new(OriginClient::tier(origin)?),
        };
        clients.insert(node.pop.clone(), client);
    }
    Ok(clients)
}

/// A tier node seen as an origin: plain HTTP/1.1 to its listener, kept alive, opened with
/// TCP Fast Open.
fn tier_origin(node: &verge_config::model::TierNode) -> verge_config::model::Origin {
    verge_config::model::Origin {
        id: format!("tier:{}", node.pop),
        domain_name: node.address.ip().to_string(),
        origin_path: String::new(),
        custom_headers: Default::default(),
        protocol_policy: verge_config::model::OriginProtocolPolicy::HttpOnly,
        http_port: node.address.port(),
        https_port: 443,
        connection_timeout: std::time::Duration::from_secs(5),
        connection_attempts: 1,
        read_timeout: std::time::Duration::from_secs(60),
        keepalive_timeout: std::time::Duration::from_secs(60),
        http_version: Default::default(),
        tls_verify: true,
        ca_file: None,
        origin_shield: None,
    }
}
