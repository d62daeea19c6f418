//! The node's cache settings (`[cache]`: tier sizes, object limits, collapsing, tags) and
//! CloudFront's cache policies (`[cache_policies.<name>]`: TTLs and the cache key).

use std::time::Duration;

use serde::Deserialize;

use crate::model::ItemsConfig;
use crate::{bytesize, duration};

/// `[cache]`: how much this node stores and where.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Bytes kept in memory (bodies plus metadata). Zero turns the memory tier off.
    #[serde(
        default = "default_memory_size",
        deserialize_with = "bytesize::deserialize"
    )]
    pub memory_size: u64,
    /// Bytes kept on disk under `<data_dir>/cache`. Zero turns the disk tier off.
    #[serde(
        default = "default_disk_size",
        deserialize_with = "bytesize::deserialize"
    )]
    pub disk_size: u64,
    /// Largest object stored at all; larger responses are served but not stored.
    #[serde(
        default = "default_max_object",
        deserialize_with = "bytesize::deserialize"
    )]
    pub max_object_size: u64,
    /// Largest object kept in memory; larger ones live on disk only and stream from there
    /// (default: an eighth of `memory_size`).
    #[serde(default, deserialize_with = "bytesize::deserialize_opt")]
    pub memory_max_object_size: Option<u64>,
    /// How long a request waits for another request already fetching the same object
    /// before going to the origin itself.
    #[serde(
        default = "default_collapse",
        deserialize_with = "duration::deserialize"
    )]
    pub collapse_timeout: Duration,
    /// Response header carrying comma-separated cache tags, for invalidation by tag.
    #[serde(default = "default_tag_header")]
    pub tag_header: String,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            memory_size: default_memory_size(),
            disk_size: default_disk_size(),
            max_object_size: default_max_object(),
            memory_max_object_size: None,
            collapse_timeout: default_collapse(),
            tag_header: default_tag_header(),
        }
    }
}

impl CacheSettings {
    /// The largest object kept in memory.
    pub fn memory_object_limit(&self) -> u64 {
        self.memory_max_object_size
            .unwrap_or(self.memory_size / 8)
            .min(self.max_object_size)
    }
}

fn default_memory_size() -> u64 {
    256 << 20
}

fn default_disk_size() -> u64 {
    1 << 30
}

fn default_max_object() -> u64 {
    1 << 30
}

fn default_collapse() -> Duration {
    Duration::from_secs(5)
}

fn default_tag_header() -> String {
    "cache-tag".to_owned()
}

/// A cache policy: how long objects stay fresh and what makes two requests the same object.
/// Everything in the cache key is also sent to the origin, as on CloudFront.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachePolicy {
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
    /// Lower bound on freshness; above zero it overrides `no-store`, `no-cache`, `private`.
    #[serde(default, deserialize_with = "duration::deserialize")]
    pub min_ttl: Duration,
    /// Freshness when the origin sends no `Cache-Control` max-age/s-maxage or `Expires`.
    #[serde(default = "default_ttl", deserialize_with = "duration::deserialize")]
    pub default_ttl: Duration,
    /// Upper bound on freshness.
    #[serde(default = "max_ttl", deserialize_with = "duration::deserialize")]
    pub max_ttl: Duration,
    /// Viewer headers in the cache key (`none` or `whitelist`).
    #[serde(default)]
    pub headers: KeyHeaders,
    /// Viewer cookies in the cache key.
    #[serde(default)]
    pub cookies: ItemsConfig,
    /// Query string parameters in the cache key.
    #[serde(default)]
    pub query_strings: ItemsConfig,
    /// Key and serve gzip-compressed objects for viewers that accept gzip.
    #[serde(default)]
    pub enable_accept_encoding_gzip: bool,
    /// Key and serve brotli-compressed objects for viewers that accept br.
    #[serde(default)]
    pub enable_accept_encoding_brotli: bool,
    /// Key and serve zstd-compressed objects (a Verge addition to CloudFront's fields).
    #[serde(default)]
    pub enable_accept_encoding_zstd: bool,
}

impl CachePolicy {
    /// A policy that stores nothing (CloudFront's CachingDisabled, without its name).
    pub fn disabled() -> Self {
        CachePolicy {
            comment: None,
            min_ttl: Duration::ZERO,
            default_ttl: Duration::ZERO,
            max_ttl: Duration::ZERO,
            headers: KeyHeaders::default(),
            cookies: ItemsConfig::default(),
            query_strings: ItemsConfig::default(),
            enable_accept_encoding_gzip: false,
            enable_accept_encoding_brotli: false,
            enable_accept_encoding_zstd: false,
        }
    }

    /// Whether this policy can store anything at all.
    pub fn caches(&self) -> bool {
        self.max_ttl > Duration::ZERO || self.min_ttl > Duration::ZERO
    }
}

fn default_ttl() -> Duration {
    Duration::from_secs(86_400)
}

fn max_ttl() -> Duration {
    Duration::from_secs(31_536_000)
}

/// Headers part of a cache policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyHeaders {
    /// `none` (default) or `whitelist`.
    #[serde(default)]
    pub behavior: KeyHeaderBehavior,
    /// Header names (case-insensitive).
    #[serde(default)]
    pub items: Vec<String>,
}

/// CloudFront's cache key header behaviors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum KeyHeaderBehavior {
    /// No headers in the key.
    #[default]
    #[serde(rename = "none")]
    None,
    /// The listed headers.
    #[serde(rename = "whitelist")]
    Whitelist,
}
