//! Compiling a validated configuration into routing tables: host names to distributions and,
//! per distribution, path patterns to cache behaviors with their policies resolved.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domains::DomainIndex;
use crate::managed;
use crate::model::{
    CacheBehavior, CachePolicy, Config, CustomErrorResponse, Distribution, GeoRestriction, Origin,
    OriginRequestPolicy, ResponseHeadersPolicy, ViewerProtocolPolicy,
};
use crate::pattern::PathPattern;
use crate::validate::METHODS;

/// Where a cache behavior sends requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One origin, by index in [`CompiledDistribution::origins`].
    Origin(usize),
    /// An origin group: primary, secondary and the statuses that trigger failover.
    Group {
        /// Index of the primary origin.
        primary: usize,
        /// Index of the secondary origin.
        secondary: usize,
        /// Origin statuses that make the edge try the secondary.
        failover_status_codes: Vec<u16>,
    },
}

/// A set of HTTP methods, as a bit per method of CloudFront's seven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodSet(u8);

impl MethodSet {
    /// Builds a set from method names (case-insensitive); unknown names are ignored.
    pub fn from_names(names: &[String]) -> Self {
        let mut bits = 0;
        for name in names {
            if let Some(index) = METHODS.iter().position(|m| m.eq_ignore_ascii_case(name)) {
                bits |= 1 << index;
            }
        }
        MethodSet(bits)
    }

    /// All seven methods.
    pub fn all() -> Self {
        MethodSet(0x7f)
    }

    /// Whether `method` is in the set.
    pub fn contains(&self, method: &str) -> bool {
        METHODS
            .iter()
            .position(|m| *m == method)
            .is_some_and(|index| self.0 & (1 << index) != 0)
    }

    /// The methods, comma-separated, for an `Allow` header.
    pub fn allow_header(&self) -> String {
        let names: Vec<&str> = METHODS
            .iter()
            .enumerate()
            .filter(|(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, name)| *name)
            .collect();
        names.join(", ")
    }
}

/// A cache behavior ready to use.
#[derive(Debug, Clone)]
pub struct CompiledBehavior {
    /// The path pattern (`*` for the default behavior).
    pub pattern: PathPattern,
    /// Where requests go.
    pub target: Target,
    /// HTTP/HTTPS handling.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// Methods that are forwarded.
    pub allowed_methods: MethodSet,
    /// Whether responses may be compressed.
    pub compress: bool,
    /// TTLs and the cache key.
    pub cache_policy: Arc<CachePolicy>,
    /// What reaches the origin: the origin request policy plus everything in the cache key.
    pub origin_request_policy: Arc<OriginRequestPolicy>,
    /// What is added to responses.
    pub response_headers_policy: Option<Arc<ResponseHeadersPolicy>>,
    /// The `[functions]` name run on viewer requests.
    pub viewer_request: Option<String>,
    /// The `[functions]` name run on responses to viewers.
    pub viewer_response: Option<String>,
}

/// A distribution ready to serve.
#[derive(Debug, Clone)]
pub struct CompiledDistribution {
    /// The distribution id.
    pub id: String,
    /// The first configured domain name (the access log's `cs(Host)`).
    pub primary_domain: String,
    /// Whether it serves at all.
    pub enabled: bool,
    /// Object served for `/`.
    pub default_root_object: Option<String>,
    /// Origins, by index.
    pub origins: Vec<Arc<Origin>>,
    /// Behaviors in match order, the default last.
    pub behaviors: Vec<CompiledBehavior>,
    /// Custom error responses by error code.
    pub error_responses: HashMap<u16, CustomErrorResponse>,
    /// Geo restriction.
    pub geo_restriction: GeoRestriction,
}

impl CompiledDistribution {
    /// The first behavior whose pattern matches `path`; the default always matches.
    pub fn behavior_for(&self, path: &str) -> &CompiledBehavior {
        let last = self.behaviors.len() - 1;
        self.behaviors[..last]
            .iter()
            .find(|behavior| behavior.pattern.matches(path))
            .unwrap_or(&self.behaviors[last])
    }
}

/// Host routing for a whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    /// Host name to distribution.
    pub hosts: DomainIndex<Arc<CompiledDistribution>>,
    /// Every distribution, in file order.
    pub distributions: Vec<Arc<CompiledDistribution>>,
}

impl Routes {
    /// The distribution serving a `Host` or `:authority`.
    pub fn distribution_for(&self, host: &str) -> Option<&Arc<CompiledDistribution>> {
        self.hosts.lookup(host)
    }
}

/// Compiles a configuration that has passed validation.
pub fn compile(config: &Config) -> Routes {
    let mut routes = Routes::default();
    for distribution in &config.distributions {
        let compiled = Arc::new(compile_distribution(config, distribution));
        for domain in &distribution.domains {
            // Validation has rejected duplicates and bad names already.
            let _ = routes.hosts.insert(domain, compiled.clone());
        }
        routes.distributions.push(compiled);
    }
    routes
}

fn compile_distribution(config: &Config, distribution: &Distribution) -> CompiledDistribution {
    let origins: Vec<Arc<Origin>> = distribution.origins.iter().cloned().map(Arc::new).collect();
    let target_of = |id: &str| -> Target {
        if let Some(index) = origins.iter().position(|o| o.id == id) {
            return Target::Origin(index);
        }
        let position = |member: Option<&String>| {
            member
                .and_then(|m| origins.iter().position(|o| &o.id == m))
                .unwrap_or(0)
        };
        match distribution.origin_groups.iter().find(|g| g.id == id) {
            Some(group) => Target::Group {
                primary: position(group.members.first()),
                secondary: position(group.members.get(1)),
                failover_status_codes: group.failover_status_codes.clone(),
            },
            None => Target::Origin(0),
        }
    };
    let compile_behavior = |behavior: &CacheBehavior, pattern: PathPattern| {
        let forwarded = origin_request_policy(config, behavior);
        let cache_policy = cache_policy(config, behavior, &forwarded);
        let origin_request_policy = with_cache_key(forwarded, &cache_policy);
        CompiledBehavior {
            pattern,
            target: target_of(&behavior.target_origin),
            viewer_protocol_policy: behavior.viewer_protocol_policy,
            allowed_methods: MethodSet::from_names(&behavior.allowed_methods),
            compress: behavior.compress,
            cache_policy: Arc::new(cache_policy),
            origin_request_policy: Arc::new(origin_request_policy),
            response_headers_policy: response_headers_policy(config, behavior).map(Arc::new),
            viewer_request: behavior.viewer_request.clone(),
            viewer_response: behavior.viewer_response.clone(),
        }
    };
    let mut behaviors: Vec<CompiledBehavior> = distribution
        .cache_behaviors
        .iter()
        .filter_map(|b| {
            let pattern = PathPattern::new(b.path_pattern.as_deref()?).ok()?;
            Some(compile_behavior(b, pattern))
        })
        .collect();
    behaviors.push(compile_behavior(
        &distribution.default_cache_behavior,
        PathPattern::any(),
    ));
    CompiledDistribution {
        id: distribution.id.clone(),
        primary_domain: distribution.domains.first().cloned().unwrap_or_default(),
        enabled: distribution.enabled,
        default_root_object: distribution.default_root_object.clone(),
        origins,
        behaviors,
        error_responses: distribution
            .custom_error_responses
            .iter()
            .map(|e| (e.error_code, e.clone()))
            .collect(),
        geo_restriction: distribution.geo_restriction.clone(),
    }
}

/// The behavior's cache policy. Without one, the policy follows the origin's headers (TTLs of
/// CloudFront's UseOriginCacheControlHeaders: min 0, default 0, max one year) and keys on the
/// host and on every cookie and query string the origin receives, so two requests the origin
/// could tell apart never share an object (headers are left to the origin's `Vary`).
fn cache_policy(
    config: &Config,
    behavior: &CacheBehavior,
    forwarded: &OriginRequestPolicy,
) -> CachePolicy {
    let Some(name) = behavior.cache_policy.as_deref() else {
        let mut policy = managed::cache_policy(managed::DEFAULT_CACHE_POLICY)
            .unwrap_or_else(CachePolicy::disabled);
        policy.comment = Some("origin headers, keyed on what the origin receives".to_owned());
        policy.headers.items = vec!["host".to_owned()];
        policy.cookies = forwarded.cookies.clone();
        policy.query_strings = forwarded.query_strings.clone();
        return policy;
    };
    config
        .cache_policies
        .get(name)
        .cloned()
        .or_else(|| managed::cache_policy(name))
        // Validation refuses unknown names, so only an unvalidated config gets here.
        .unwrap_or_else(CachePolicy::disabled)
}

/// Everything in the cache key is also forwarded to the origin (CloudFront's rule), whatever
/// the origin request policy says: the origin must see what makes two objects differ.
fn with_cache_key(mut policy: OriginRequestPolicy, cache: &CachePolicy) -> OriginRequestPolicy {
    use crate::model::{HeaderBehavior, ItemBehavior};

    // Limitation: CloudFront also forwards `Host` when the cache key has it; Verge keys on it
    // but leaves the origin's Host to the origin request policy, so origins keep seeing their
    // own name unless a policy forwards the viewer's.
    let keyed_headers = cache
        .headers
        .items
        .iter()
        .filter(|name| !name.eq_ignore_ascii_case("host"));
    match policy.headers.behavior {
        HeaderBehavior::None | HeaderBehavior::Whitelist => {
            for name in keyed_headers {
                if !policy
                    .headers
                    .items
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name))
                {
                    policy.headers.items.push(name.clone());
                }
            }
            if !policy.headers.items.is_empty() {
                policy.headers.behavior = HeaderBehavior::Whitelist;
            }
        }
        HeaderBehavior::AllExcept => {
            policy
                .headers
                .items
                .retain(|h| !keyed_headers.clone().any(|k| k.eq_ignore_ascii_case(h)));
            if policy.headers.items.is_empty() {
                policy.headers.behavior = HeaderBehavior::AllViewer;
            }
        }
        HeaderBehavior::AllViewer | HeaderBehavior::AllViewerAndWhitelistCloudFront => {}
    }
    for (forwarded, keyed) in [
        (&mut policy.cookies, &cache.cookies),
        (&mut policy.query_strings, &cache.query_strings),
    ] {
        *forwarded = match (forwarded.behavior, keyed.behavior) {
            (ItemBehavior::All, _) | (_, ItemBehavior::None) => forwarded.clone(),
            (_, ItemBehavior::All | ItemBehavior::AllExcept) => keyed.clone(),
            (ItemBehavior::None, ItemBehavior::Whitelist) => keyed.clone(),
            (ItemBehavior::Whitelist, ItemBehavior::Whitelist) => {
                let mut merged = forwarded.clone();
                for name in &keyed.items {
                    if !merged.items.contains(name) {
                        merged.items.push(name.clone());
                    }
                }
                merged
            }
            (ItemBehavior::AllExcept, ItemBehavior::Whitelist) => {
                let mut merged = forwarded.clone();
                merged.items.retain(|name| !keyed.items.contains(name));
                if merged.items.is_empty() {
                    merged.behavior = ItemBehavior::All;
                }
                merged
            }
        };
    }
    policy
}

/// A behavior without an origin request policy forwards what a plain reverse proxy would:
/// every viewer header but `Host`, every cookie and query string.
// Limitation: CloudFront forwards only the cache key's items when no origin request policy
// is set; Verge follows AllViewerExceptHostHeader instead, so origins behind a config with no
// policies see what they would behind any reverse proxy.
fn origin_request_policy(config: &Config, behavior: &CacheBehavior) -> OriginRequestPolicy {
    let name = behavior
        .origin_request_policy
        .as_deref()
        .unwrap_or("AllViewerExceptHostHeader");
    config
        .origin_request_policies
        .get(name)
        .cloned()
        .or_else(|| managed::origin_request_policy(name))
        .unwrap_or_default()
}

fn response_headers_policy(
    config: &Config,
    behavior: &CacheBehavior,
) -> Option<ResponseHeadersPolicy> {
    let name = behavior.response_headers_policy.as_deref()?;
    config
        .response_headers_policies
        .get(name)
        .cloned()
        .or_else(|| managed::response_headers_policy(name))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const CONFIG: &str = r#"
[[distributions]]
id = "shop"
domains = ["shop.example.com", "*.shop.example.com"]
default_cache_behavior = { target_origin = "pair" }
origin_groups = [{ id = "pair", members = ["a", "b"], failover_status_codes = [503] }]
cache_behaviors = [
  { path_pattern = "/api/*", target_origin = "a", allowed_methods = ["GET","HEAD","OPTIONS","PUT","POST","PATCH","DELETE"] },
  { path_pattern = "*.jpg", target_origin = "b" },
]

[[distributions.origins]]
id = "a"
domain_name = "127.0.0.1"
protocol_policy = "http-only"

[[distributions.origins]]
id = "b"
domain_name = "127.0.0.2"
protocol_policy = "http-only"
"#;

    #[test]
    fn routes_hosts_and_paths() {
        let config = crate::parse_str(CONFIG, Path::new("t.toml")).expect("valid");
        let routes = compile(&config);
        let shop = routes
            .distribution_for("img.shop.example.com")
            .expect("wildcard");
        assert_eq!(shop.id, "shop");
        assert!(routes.distribution_for("other.example.com").is_none());

        let api = shop.behavior_for("/api/x.jpg");
        assert_eq!(api.target, Target::Origin(0));
        assert!(api.allowed_methods.contains("DELETE"));
        assert_eq!(shop.behavior_for("/a/b.jpg").target, Target::Origin(1));
        let default = shop.behavior_for("/index.html");
        assert_eq!(
            default.target,
            Target::Group {
                primary: 0,
                secondary: 1,
                failover_status_codes: vec![503]
            }
        );
        assert!(!default.allowed_methods.contains("POST"));
        assert_eq!(default.allowed_methods.allow_header(), "GET, HEAD");
    }

    #[test]
    fn behaviors_get_managed_cache_policies_and_forward_their_key() {
        let text = CONFIG.replace(
            "{ path_pattern = \"*.jpg\", target_origin = \"b\" }",
            "{ path_pattern = \"*.jpg\", target_origin = \"b\", cache_policy = \"CachingOptimized\", origin_request_policy = \"CORS-CustomOrigin\" }",
        );
        let config = crate::parse_str(&text, Path::new("t.toml")).expect("valid");
        let routes = compile(&config);
        let shop = routes.distribution_for("shop.example.com").expect("exact");

        let images = shop.behavior_for("/a.jpg");
        assert_eq!(
            images.cache_policy.min_ttl,
            std::time::Duration::from_secs(1)
        );
        assert!(images.cache_policy.enable_accept_encoding_brotli);
        let default = shop.behavior_for("/index.html");
        assert_eq!(default.cache_policy.default_ttl, std::time::Duration::ZERO);
        assert_eq!(default.cache_policy.headers.items[0], "host");
    }

    #[test]
    fn cache_key_items_reach_the_origin() {
        use crate::model::{HeaderBehavior, ItemBehavior, ItemsConfig};

        let mut cache = managed::cache_policy("CachingOptimized").expect("managed");
        cache.headers.items = vec!["x-device".to_owned()];
        cache.query_strings = ItemsConfig {
            behavior: ItemBehavior::Whitelist,
            items: vec!["v".to_owned()],
        };
        let forwarded = with_cache_key(
            managed::origin_request_policy("CORS-CustomOrigin").expect("managed"),
            &cache,
        );
        assert_eq!(forwarded.headers.behavior, HeaderBehavior::Whitelist);
        assert_eq!(forwarded.headers.items, ["origin", "x-device"]);
        assert_eq!(forwarded.query_strings.items, ["v"]);

        let mut except =
            managed::origin_request_policy("AllViewerExceptHostHeader").expect("managed");
        except.query_strings = ItemsConfig {
            behavior: ItemBehavior::AllExcept,
            items: vec!["v".to_owned(), "w".to_owned()],
        };
        let forwarded = with_cache_key(except, &cache);
        assert_eq!(forwarded.query_strings.items, ["w"]);
    }
}
