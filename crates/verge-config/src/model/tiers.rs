//! Tiered caching: the regional caches (other Verge nodes) an edge POP sends its misses to,
//! and the shared secret that marks a request as a tier hop rather than a viewer's.

use std::net::SocketAddr;

use serde::Deserialize;

/// `[tiers]`: this node's parent tiers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    /// Regional caches; each miss goes to one of them, chosen by rendezvous hashing on the
    /// cache key, so every edge sends a given object to the same parent.
    #[serde(default)]
    pub parents: Vec<TierNode>,
    /// Shared by every node of the deployment: a tier hop carries it, so a viewer cannot
    /// pass for a tier. Required when parents or origin shields are configured.
    #[serde(default)]
    pub secret: Option<String>,
    /// Most tier hops a request may take before it is refused as a loop.
    #[serde(default = "default_max_hops")]
    pub max_hops: u8,
}

impl Default for Tiers {
    fn default() -> Self {
        Tiers {
            parents: Vec::new(),
            secret: None,
            max_hops: default_max_hops(),
        }
    }
}

fn default_max_hops() -> u8 {
    3
}

/// Another Verge node serving as a cache tier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierNode {
    /// Its POP name (`[node] pop` on that node); a node never forwards to itself.
    pub pop: String,
    /// Its plain HTTP listener.
    pub address: SocketAddr,
}
