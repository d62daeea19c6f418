//! Semantic checks of a parsed configuration, with CloudFront's ranges and rules. Every
//! problem is collected with its field path; `load` places it in the file.

use std::collections::HashSet;
use std::time::Duration;

use crate::domains::{DomainError, DomainIndex};
use crate::managed;
use crate::model::{
    CacheBehavior, CachePolicy, Config, Distribution, ItemBehavior, KeyHeaderBehavior, Origin,
    ResponseHeadersPolicy,
};
use crate::pattern::PathPattern;

/// One semantic problem at a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted field path.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// The seven methods CloudFront forwards.
pub const METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

/// Status codes CloudFront allows in custom error responses.
pub const ERROR_CODES: &[u16] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/// Headers an origin's custom headers may not set (CloudFront's list).
const FORBIDDEN_ORIGIN_HEADERS: &[&str] = &[
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "request-range",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-real-ip",
];

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>, hint: Option<&str>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            hint: hint.map(str::to_owned),
        });
    }

    fn range(&mut self, path: String, value: Duration, min: u64, max: u64) {
        if value < Duration::from_secs(min) || value > Duration::from_secs(max) {
            let message = format!("must be between {min}s and {max}s");
            self.fail(path, message, Some("CloudFront's range for this timeout"));
        }
    }
}

/// Checks a configuration and returns every problem found.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut check = Checker::default();
    check_node(config, &mut check);
    let mut hosts = DomainIndex::new();
    let mut ids = HashSet::new();
    for (index, distribution) in config.distributions.iter().enumerate() {
        let path = format!("distributions[{index}]");
        if !ids.insert(distribution.id.as_str()) {
            check.fail(
                format!("{path}.id"),
                format!("duplicate distribution id `{}`", distribution.id),
                None,
            );
        }
        check_distribution(config, distribution, &path, &mut check);
        for (d, domain) in distribution.domains.iter().enumerate() {
            match hosts.insert(domain, ()) {
                Ok(()) => {}
                Err(DomainError::Duplicate) => check.fail(
                    format!("{path}.domains[{d}]"),
                    format!("`{domain}` is already served by another distribution"),
                    Some("each domain name belongs to one distribution"),
                ),
                Err(DomainError::Invalid(message)) => {
                    check.fail(format!("{path}.domains[{d}]"), message, None);
                }
            }
        }
    }
    for (name, policy) in &config.cache_policies {
        check_cache_policy(policy, &format!("cache_policies.{name}"), &mut check);
    }
    check_cache_settings(config, &mut check);
    check_tiers(config, &mut check);
    check_functions(config, &mut check);
    check_waf(config, &mut check);
    for (name, policy) in &config.response_headers_policies {
        check_response_headers_policy(
            policy,
            &format!("response_headers_policies.{name}"),
            &mut check,
        );
    }
    check.problems
}

fn check_node(config: &Config, check: &mut Checker) {
    let pop = &config.node.pop;
    if pop.is_empty()
        || pop.len() > 64
        || !pop
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        check.fail(
            "node.pop",
            "a POP name is 1 to 64 letters, digits, `-`, `_` or `.`",
            Some("e.g. pop = \"fra1\""),
        );
    }
    let mut addresses = HashSet::new();
    for (index, listener) in config.listeners.iter().enumerate() {
        let port_zero = listener.address.port() == 0;
        if !port_zero
            && (!addresses.insert(listener.address) || listener.address == config.node.admin)
        {
            check.fail(
                format!("listeners[{index}].address"),
                "address used twice",
                None,
            );
        }
    }
    if config.limits.max_header_bytes < 1024 || config.limits.max_header_bytes > 1024 * 1024 {
        check.fail(
            "limits.max_header_bytes",
            "must be between 1024 and 1048576",
            None,
        );
    }
    for (index, certificate) in config.certificates.iter().enumerate() {
        if certificate.domains.is_empty() {
            check.fail(
                format!("certificates[{index}].domains"),
                "list at least one name",
                None,
            );
        }
        for (d, domain) in certificate.domains.iter().enumerate() {
            if domain.trim() == "*" {
                check.fail(
                    format!("certificates[{index}].domains[{d}]"),
                    "`*` is not a certificate name",
                    Some(
                        "names without a certificate get the self-signed one; use `*.example.com`",
                    ),
                );
            } else if let Err(message) = crate::domains::normalise(domain) {
                check.fail(format!("certificates[{index}].domains[{d}]"), message, None);
            }
        }
    }
    if let Some(log) = &config.logging.access_log
        && log.trim().is_empty()
    {
        check.fail(
            "logging.access_log",
            "empty path",
            Some("use \"stdout\" or a file path"),
        );
    }
}

fn check_distribution(
    config: &Config,
    distribution: &Distribution,
    path: &str,
    check: &mut Checker,
) {
    if distribution.id.is_empty() {
        check.fail(format!("{path}.id"), "an id is required", None);
    }
    if distribution.domains.is_empty() {
        check.fail(
            format!("{path}.domains"),
            "list at least one domain name",
            Some("use \"*\" to answer every host"),
        );
    }
    if distribution.origins.is_empty() {
        check.fail(
            format!("{path}.origins"),
            "a distribution needs at least one origin",
            Some("add a [[distributions.origins]] table"),
        );
    }
    let mut targets = HashSet::new();
    for (index, origin) in distribution.origins.iter().enumerate() {
        let at = format!("{path}.origins[{index}]");
        if !targets.insert(origin.id.as_str()) {
            check.fail(
                format!("{at}.id"),
                format!("duplicate origin id `{}`", origin.id),
                None,
            );
        }
        check_origin(origin, &at, check);
    }
    for (index, group) in distribution.origin_groups.iter().enumerate() {
        let at = format!("{path}.origin_groups[{index}]");
        if !targets.insert(group.id.as_str()) {
            check.fail(
                format!("{at}.id"),
                format!("duplicate origin or group id `{}`", group.id),
                None,
            );
        }
        if group.members.len() != 2 {
            check.fail(
                format!("{at}.members"),
                "an origin group has exactly two members",
                Some("primary first, then secondary"),
            );
        }
        for (m, member) in group.members.iter().enumerate() {
            if !distribution.origins.iter().any(|o| &o.id == member) {
                check.fail(
                    format!("{at}.members[{m}]"),
                    format!("no origin `{member}` in this distribution"),
                    None,
                );
            }
        }
        if group.failover_status_codes.is_empty() {
            check.fail(
                format!("{at}.failover_status_codes"),
                "list at least one status code",
                None,
            );
        }
        for (c, code) in group.failover_status_codes.iter().enumerate() {
            if ![400, 403, 404, 416, 500, 502, 503, 504].contains(code) {
                check.fail(
                    format!("{at}.failover_status_codes[{c}]"),
                    format!("{code} cannot trigger failover"),
                    Some("use 400, 403, 404, 416, 500, 502, 503 or 504"),
                );
            }
        }
    }
    let default_path = format!("{path}.default_cache_behavior");
    if distribution.default_cache_behavior.path_pattern.is_some() {
        check.fail(
            format!("{default_path}.path_pattern"),
            "the default cache behavior has no path pattern",
            Some("it matches every path not matched before"),
        );
    }
    check_behavior(
        config,
        distribution,
        &distribution.default_cache_behavior,
        &default_path,
        check,
    );
    for (index, behavior) in distribution.cache_behaviors.iter().enumerate() {
        let at = format!("{path}.cache_behaviors[{index}]");
        match &behavior.path_pattern {
            None => check.fail(
                format!("{at}.path_pattern"),
                "a cache behavior needs a path pattern",
                Some("e.g. path_pattern = \"/images/*\""),
            ),
            Some(pattern) => {
                if let Err(message) = PathPattern::new(pattern) {
                    check.fail(format!("{at}.path_pattern"), message, None);
                }
            }
        }
        check_behavior(config, distribution, behavior, &at, check);
    }
    for (index, error) in distribution.custom_error_responses.iter().enumerate() {
        let at = format!("{path}.custom_error_responses[{index}]");
        if !ERROR_CODES.contains(&error.error_code) {
            check.fail(
                format!("{at}.error_code"),
                format!("{} is not a code CloudFront customizes", error.error_code),
                Some("use 400, 403, 404, 405, 414, 416, 500, 501, 502, 503 or 504"),
            );
        }
        if let Some(code) = error.response_code
            && !(200..=599).contains(&code)
        {
            check.fail(
                format!("{at}.response_code"),
                "must be an HTTP status code",
                None,
            );
        }
        if let Some(page) = &error.response_page_path
            && !page.starts_with('/')
        {
            check.fail(
                format!("{at}.response_page_path"),
                "must start with `/`",
                None,
            );
        }
        if error.response_page_path.is_some() != error.response_code.is_some() {
            check.fail(
                &at,
                "response_page_path and response_code go together",
                Some("set both, or neither"),
            );
        }
    }
    for (index, code) in distribution.geo_restriction.locations.iter().enumerate() {
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            check.fail(
                format!("{path}.geo_restriction.locations[{index}]"),
                format!("`{code}` is not an ISO 3166-1 alpha-2 code"),
                Some("two capital letters, e.g. \"DE\""),
            );
        }
    }
    let restricted =
        distribution.geo_restriction.restriction_type != crate::model::GeoRestrictionType::None;
    if restricted && distribution.geo_restriction.locations.is_empty() {
        check.fail(
            format!("{path}.geo_restriction.locations"),
            "list at least one country",
            None,
        );
    }
}

fn check_origin(origin: &Origin, at: &str, check: &mut Checker) {
    if origin.domain_name.is_empty() || origin.domain_name.contains(['/', ' ']) {
        check.fail(
            format!("{at}.domain_name"),
            "a host name or IP address, without scheme or path",
            Some("e.g. domain_name = \"app.internal\" and http_port = 8080"),
        );
    }
    if !origin.origin_path.is_empty()
        && (!origin.origin_path.starts_with('/') || origin.origin_path.ends_with('/'))
    {
        check.fail(
            format!("{at}.origin_path"),
            "must start with `/` and not end with `/`",
            Some("e.g. \"/production\""),
        );
    }
    check.range(
        format!("{at}.connection_timeout"),
        origin.connection_timeout,
        1,
        10,
    );
    check.range(format!("{at}.read_timeout"), origin.read_timeout, 1, 180);
    check.range(
        format!("{at}.keepalive_timeout"),
        origin.keepalive_timeout,
        1,
        180,
    );
    if !(1..=3).contains(&origin.connection_attempts) {
        check.fail(
            format!("{at}.connection_attempts"),
            "must be 1, 2 or 3",
            None,
        );
    }
    if origin.custom_headers.len() > 10 {
        check.fail(
            format!("{at}.custom_headers"),
            "at most 10 custom headers per origin",
            None,
        );
    }
    for (name, value) in &origin.custom_headers {
        let lower = name.to_ascii_lowercase();
        if FORBIDDEN_ORIGIN_HEADERS.contains(&lower.as_str())
            || lower.starts_with("x-amz-")
            || lower.starts_with("x-edge-")
        {
            check.fail(
                format!("{at}.custom_headers.{name}"),
                format!("`{name}` cannot be set as an origin custom header"),
                None,
            );
        } else if !valid_header_name(name) || value.contains(['\r', '\n']) {
            check.fail(
                format!("{at}.custom_headers.{name}"),
                "not a valid header name and value",
                None,
            );
        }
    }
}

fn check_behavior(
    config: &Config,
    distribution: &Distribution,
    behavior: &CacheBehavior,
    at: &str,
    check: &mut Checker,
) {
    let target = &behavior.target_origin;
    let known = distribution.origins.iter().any(|o| &o.id == target)
        || distribution.origin_groups.iter().any(|g| &g.id == target);
    if !known {
        check.fail(
            format!("{at}.target_origin"),
            format!("no origin or origin group `{target}` in this distribution"),
            None,
        );
    }
    let methods: HashSet<String> = behavior
        .allowed_methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    let allowed_sets: [&[&str]; 3] = [&["GET", "HEAD"], &["GET", "HEAD", "OPTIONS"], METHODS];
    if !allowed_sets
        .iter()
        .any(|set| set.len() == methods.len() && set.iter().all(|m| methods.contains(*m)))
    {
        check.fail(
            format!("{at}.allowed_methods"),
            "CloudFront accepts three sets of methods",
            Some("[\"GET\",\"HEAD\"], [\"GET\",\"HEAD\",\"OPTIONS\"], or all seven"),
        );
    }
    if let Some(name) = &behavior.cache_policy
        && !config.cache_policies.contains_key(name)
        && managed::cache_policy(name).is_none()
    {
        check.fail(
            format!("{at}.cache_policy"),
            format!("no cache policy `{name}`"),
            Some("define [cache_policies.<name>] or use a managed one such as CachingOptimized"),
        );
    }
    if let Some(name) = &behavior.origin_request_policy
        && !config.origin_request_policies.contains_key(name)
        && managed::origin_request_policy(name).is_none()
    {
        check.fail(
            format!("{at}.origin_request_policy"),
            format!("no origin request policy `{name}`"),
            Some("define [origin_request_policies.<name>] or use a managed one such as AllViewer"),
        );
    }
    if let Some(name) = &behavior.response_headers_policy
        && !config.response_headers_policies.contains_key(name)
        && managed::response_headers_policy(name).is_none()
    {
        check.fail(format!("{at}.response_headers_policy"), format!("no response headers policy `{name}`"), Some("define [response_headers_policies.<name>] or use a managed one such as SecurityHeadersPolicy"));
    }
    for (field, name) in [
        ("viewer_request", &behavior.viewer_request),
        ("viewer_response", &behavior.viewer_response),
    ] {
        if let Some(name) = name
            && !config.functions.contains_key(name)
        {
            check.fail(
                format!("{at}.{field}"),
                format!("no function `{name}`"),
                Some("define [functions.<name>] with a file, or give the path of a .js file"),
            );
        }
    }
}

fn check_functions(config: &Config, check: &mut Checker) {
    for (name, function) in &config.functions {
        let at = format!("functions.{name}");
        for store in &function.key_value_stores {
            if !config.key_value_stores.contains_key(store) {
                check.fail(
                    format!("{at}.key_value_stores"),
                    format!("no key-value store `{store}`"),
                    Some("define [key_value_stores.<name>]"),
                );
            }
        }
        if function.max_size == 0 || function.max_size > 1 << 20 {
            check.fail(
                format!("{at}.max_size"),
                "must be 1 B to 1 MiB",
                Some("CloudFront allows 10 KB"),
            );
        }
        if function.max_memory < 1 << 16 || function.max_memory > 1 << 28 {
            check.fail(
                format!("{at}.max_memory"),
                "must be 64 KiB to 256 MiB",
                Some("CloudFront allows 2 MB"),
            );
        }
        let compute = function.max_compute;
        if compute < Duration::from_micros(100) || compute > Duration::from_secs(1) {
            check.fail(
                format!("{at}.max_compute"),
                "must be 100us to 1s",
                Some("the default is 5ms"),
            );
        }
    }
    for name in config.key_value_stores.keys() {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            check.fail(
                format!("key_value_stores.{name}"),
                "a key-value store name is 1 to 64 letters, digits, `-` or `_`",
                None,
            );
        }
    }
}

fn check_waf(config: &Config, check: &mut Checker) {
    for (name, file) in config.waf.ip_feeds.files() {
        if !file.is_file() {
            check.fail(
                format!("waf.ip_feeds.{name}"),
                format!("no such file: {}", file.display()),
                Some("an IP feed is a text file of addresses and CIDRs, one a line"),
            );
        }
    }
    if let Some(file) = &config.waf.token_secret_file
        && !file.is_file()
    {
        check.fail(
            "waf.token_secret_file",
            format!("no such file: {}", file.display()),
            Some(
                "write a secret of at least 16 bytes to it (`head -c 32 /dev/urandom | base64 > \
                 waf-token.secret`), or remove the field to keep a generated one in the data \
                 directory",
            ),
        );
    }
}

fn check_cache_policy(policy: &CachePolicy, at: &str, check: &mut Checker) {
    if policy.min_ttl > policy.default_ttl || policy.default_ttl > policy.max_ttl {
        check.fail(
            format!("{at}.default_ttl"),
            "TTLs must satisfy min_ttl <= default_ttl <= max_ttl",
            Some("CloudFront rejects a policy whose default TTL is outside [min, max]"),
        );
    }
    for (index, name) in policy.headers.items.iter().enumerate() {
        if !valid_header_name(name) {
            check.fail(
                format!("{at}.headers.items[{index}]"),
                format!("`{name}` is not a valid header name"),
                None,
            );
        }
    }
    if policy.headers.behavior == KeyHeaderBehavior::Whitelist && policy.headers.items.is_empty() {
        check.fail(
            format!("{at}.headers.items"),
            "a whitelist needs at least one header",
            Some("list header names, or use behavior = \"none\""),
        );
    }
    for (part, items) in [
        ("cookies", &policy.cookies),
        ("query_strings", &policy.query_strings),
    ] {
        let listed = matches!(
            items.behavior,
            ItemBehavior::Whitelist | ItemBehavior::AllExcept
        );
        if listed && items.items.is_empty() {
            check.fail(
                format!("{at}.{part}.items"),
                "this behavior needs at least one name",
                Some("list names, or use behavior = \"none\" or \"all\""),
            );
        }
    }
}

fn check_tiers(config: &Config, check: &mut Checker) {
    let tiers = &config.tiers;
    let shields = config
        .distributions
        .iter()
        .any(|d| d.origins.iter().any(|o| o.origin_shield.is_some()));
    let secret = tiers.secret.as_deref().unwrap_or("");
    if (!tiers.parents.is_empty() || shields) && secret.len() < 16 {
        check.fail(
            "tiers.secret",
            "parent tiers and origin shields need a shared secret of at least 16 characters",
            Some("set the same [tiers] secret on every node of the deployment"),
        );
    }
    if secret.contains(|c: char| !c.is_ascii_graphic()) {
        check.fail("tiers.secret", "use printable ASCII without spaces", None);
    }
    if tiers.max_hops == 0 {
        check.fail("tiers.max_hops", "must be at least 1", None);
    }
    for (index, parent) in tiers.parents.iter().enumerate() {
        if parent.pop.is_empty() {
            check.fail(
                format!("tiers.parents[{index}].pop"),
                "name the parent's POP",
                None,
            );
        }
    }
}

fn check_cache_settings(config: &Config, check: &mut Checker) {
    let cache = &config.cache;
    if cache.max_object_size == 0 {
        check.fail(
            "cache.max_object_size",
            "must be above zero",
            Some("set memory_size = 0 and disk_size = 0 to store nothing"),
        );
    }
    if let Some(limit) = cache.memory_max_object_size
        && limit > cache.memory_size
    {
        check.fail(
            "cache.memory_max_object_size",
            "cannot be larger than memory_size",
            None,
        );
    }
    if !valid_header_name(&cache.tag_header) {
        check.fail("cache.tag_header", "not a valid header name", None);
    }
}

fn check_response_headers_policy(policy: &ResponseHeadersPolicy, at: &str, check: &mut Checker) {
    for (index, header) in policy.custom_headers.iter().enumerate() {
        if !valid_header_name(&header.header) || header.value.contains(['\r', '\n']) {
            check.fail(
                format!("{at}.custom_headers[{index}]"),
                "not a valid header name and value",
                None,
            );
        }
    }
    for (index, name) in policy.remove_headers.iter().enumerate() {
        if !valid_header_name(name) {
            check.fail(
                format!("{at}.remove_headers[{index}]"),
                "not a valid header name",
                None,
            );
        }
    }
    if let Some(timing) = &policy.server_timing
        && !(0.0..=100.0).contains(&timing.sampling_rate)
    {
        check.fail(
            format!("{at}.server_timing.sampling_rate"),
            "a percentage from 0 to 100",
            None,
        );
    }
    if let Some(cors) = &policy.cors
        && cors.allow_origins.is_empty()
    {
        check.fail(
            format!("{at}.cors.allow_origins"),
            "list at least one origin, or \"*\"",
            None,
        );
    }
}

/// RFC 9110 §5.1 token characters.
pub fn valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
