//! The declarative model of a Verge configuration file, in CloudFront's terms and snake_case.

mod cache;
mod distribution;
mod functions;
mod node;
mod policies;
mod tiers;
mod waf;

use std::collections::BTreeMap;

pub use cache::*;
pub use distribution::*;
pub use functions::*;
pub use node::*;
pub use policies::*;
pub use tiers::*;
pub use waf::*;

/// A whole configuration file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `[node]`.
    pub node: Node,
    /// `[[listeners]]`.
    pub listeners: Vec<Listener>,
    /// `[[certificates]]`.
    pub certificates: Vec<Certificate>,
    /// `[limits]`.
    pub limits: Limits,
    /// `[geo]`.
    pub geo: Geo,
    /// `[logging]`.
    pub logging: Logging,
    /// `[cache]`.
    pub cache: CacheSettings,
    /// `[tiers]`.
    pub tiers: Tiers,
    /// `[cache_policies.<name>]`.
    pub cache_policies: BTreeMap<String, CachePolicy>,
    /// `[origin_request_policies.<name>]`.
    pub origin_request_policies: BTreeMap<String, OriginRequestPolicy>,
    /// `[response_headers_policies.<name>]`.
    pub response_headers_policies: BTreeMap<String, ResponseHeadersPolicy>,
    /// `[waf]`.
    pub waf: WafSettings,
    /// `[functions.<name>]`.
    pub functions: BTreeMap<String, FunctionConfig>,
    /// `[key_value_stores.<name>]`.
    pub key_value_stores: BTreeMap<String, KeyValueStoreConfig>,
    /// `[[distributions]]`.
    pub distributions: Vec<Distribution>,
}
