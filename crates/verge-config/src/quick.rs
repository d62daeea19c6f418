//! Quick mode: the configuration `verge serve --origin URL` stands for. One distribution that
//! answers every host, forwards CloudFront's seven methods and every viewer header but `Host`.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::model::{
    CacheBehavior, Config, Distribution, FunctionConfig, KeyValueStoreConfig, Listener, Origin,
    OriginProtocolPolicy, TlsVersion, ViewerProtocolPolicy,
};
use crate::validate::{METHODS, validate};

/// The flags of quick mode.
#[derive(Debug, Clone)]
pub struct QuickOptions {
    /// The origin, e.g. `http://127.0.0.1:3000` or `https://app.internal/base`.
    pub origin: String,
    /// Plain HTTP listener.
    pub listen: SocketAddr,
    /// HTTPS listener (self-signed certificate unless certificates are given).
    pub tls_listen: Option<SocketAddr>,
    /// Admin API and metrics.
    pub admin: SocketAddr,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// POP name.
    pub pop: String,
}

/// Quick mode's edge function flags.
#[derive(Debug, Clone, Default)]
pub struct FunctionOptions {
    /// A CloudFront Functions file run on every viewer request.
    pub viewer_request: Option<PathBuf>,
    /// A CloudFront Functions file run on every response to a viewer.
    pub viewer_response: Option<PathBuf>,
    /// Key-value stores (name and import file), associated with both functions.
    pub key_value_stores: Vec<(String, PathBuf)>,
}

/// Quick mode's web ACL flags.
#[derive(Debug, Clone, Default)]
pub struct WafOptions {
    /// An AWS WAF web ACL file (`aws wafv2 get-web-acl` JSON) every request is evaluated by.
    pub web_acl: Option<PathBuf>,
    /// IP set files the ACL references.
    pub ip_sets: Vec<PathBuf>,
    /// Regex pattern set files the ACL references.
    pub regex_pattern_sets: Vec<PathBuf>,
    /// Rule group files the ACL references.
    pub rule_groups: Vec<PathBuf>,
    /// Where WAF log records go: `stdout` or a file.
    pub log: Option<String>,
}

/// Puts quick mode's one distribution behind a web ACL.
pub fn add_web_acl(config: &mut Config, options: &WafOptions) -> Result<(), String> {
    let uses_objects = !options.ip_sets.is_empty()
        || !options.regex_pattern_sets.is_empty()
        || !options.rule_groups.is_empty()
        || options.log.is_some();
    let Some(web_acl) = &options.web_acl else {
        return if uses_objects {
            Err(
                "--ip-set, --regex-pattern-set, --rule-group and --waf-log need --web-acl"
                    .to_owned(),
            )
        } else {
            Ok(())
        };
    };
    config.waf.ip_sets.extend(options.ip_sets.iter().cloned());
    config
        .waf
        .regex_pattern_sets
        .extend(options.regex_pattern_sets.iter().cloned());
    config
        .waf
        .rule_groups
        .extend(options.rule_groups.iter().cloned());
    config.waf.log = options.log.clone();
    for distribution in &mut config.distributions {
        distribution.web_acl = Some(web_acl.clone());
    }
    Ok(())
}

/// Attaches functions and key-value stores to quick mode's one cache behavior.
pub fn add_functions(config: &mut Config, options: &FunctionOptions) -> Result<(), String> {
    for (name, file) in &options.key_value_stores {
        let store = KeyValueStoreConfig {
            import: Some(file.clone()),
            comment: None,
        };
        if config
            .key_value_stores
            .insert(name.clone(), store)
            .is_some()
        {
            return Err(format!("--kvs {name} is given twice"));
        }
    }
    let viewer_request = function(config, options.viewer_request.as_ref(), options);
    let viewer_response = function(config, options.viewer_response.as_ref(), options);
    for distribution in &mut config.distributions {
        distribution.default_cache_behavior.viewer_request = viewer_request.clone();
        distribution.default_cache_behavior.viewer_response = viewer_response.clone();
    }
    match validate(config).first() {
        None => Ok(()),
        Some(problem) => Err(format!("{}: {}", problem.path, problem.message)),
    }
}

/// The origin URL split into what an origin definition needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginUrl {
    /// `true` for https.
    pub https: bool,
    /// Host name or IP (IPv6 without brackets).
    pub host: String,
    /// Port, defaulted from the scheme.
    pub port: u16,
    /// Path prefix, without a trailing slash (may be empty).
    pub path: String,
}

/// Parses `http://host[:port][/path]` or `https://...`.
pub fn parse_origin_url(url: &str) -> Result<OriginUrl, String> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(format!("`{url}` must start with http:// or https://"));
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if path.contains(['?', '#']) {
        return Err(format!("`{url}`: an origin URL has no query or fragment"));
    }
    let default_port = if https { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("`{url}`: unclosed `[`"))?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().map_err(|_| format!("`{url}`: bad port"))?,
            None => default_port,
        };
        (host.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (
                host.to_owned(),
                port.parse()
                    .map_err(|_| format!("`{url}`: bad port `{port}`"))?,
            ),
            None => (authority.to_owned(), default_port),
        }
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok(OriginUrl {
        https,
        host,
        port,
        path: path.trim_end_matches('/').to_owned(),
    })
}

/// The configuration quick mode serves.
pub fn quick_config(options: &QuickOptions) -> Result<Config, String> {
    let url = parse_origin_url(&options.origin)?;
    let mut config = Config::default();
    config.node.pop = options.pop.clone();
    config.node.admin = options.admin;
    config.node.data_dir = options.data_dir.clone();
    config.listeners.push(Listener {
        address: options.listen,
        tls: false,
        min_tls_version: TlsVersion::Tls12,
    });
    if let Some(address) = options.tls_listen {
        config.listeners.push(Listener {
            address,
            tls: true,
            min_tls_version: TlsVersion::Tls12,
        });
    }
    let origin = Origin {
        id: "origin".to_owned(),
        domain_name: url.host,
        origin_path: url.path,
        custom_headers: Default::default(),
        protocol_policy: if url.https {
            OriginProtocolPolicy::HttpsOnly
        } else {
            OriginProtocolPolicy::HttpOnly
        },
        http_port: if url.https { 80 } else { url.port },
        https_port: if url.https { url.port } else { 443 },
        connection_timeout: std::time::Duration::from_secs(10),
        connection_attempts: 3,
        read_timeout: std::time::Duration::from_secs(30),
        keepalive_timeout: std::time::Duration::from_secs(5),
        http_version: Default::default(),
        tls_verify: true,
        ca_file: None,
        origin_shield: None,
    };
    config.distributions.push(Distribution {
        id: "default".to_owned(),
        domains: vec!["*".to_owned()],
        enabled: true,
        comment: Some(format!("quick mode in front of {}", options.origin)),
        default_root_object: None,
        origins: vec![origin],
        origin_groups: Vec::new(),
        default_cache_behavior: CacheBehavior {
            path_pattern: None,
            target_origin: "origin".to_owned(),
            viewer_protocol_policy: ViewerProtocolPolicy::AllowAll,
            allowed_methods: METHODS.iter().map(|m| (*m).to_owned()).collect(),
            compress: false,
            cache_policy: None,
            origin_request_policy: Some("AllViewerExceptHostHeader".to_owned()),
            response_headers_policy: None,
            viewer_request: None,
            viewer_response: None,
        },
        cache_behaviors: Vec::new(),
        custom_error_responses: Vec::new(),
        geo_restriction: Default::default(),
        web_acl: None,
    });
    let problems = validate(&config);
    match problems.first() {
        None => Ok(config),
        Some(problem) => Err(format!("--origin {}: {}", options.origin, problem.message)),
    }
}

/// Declares a function file given on the command line, associated with every `--kvs` store.
fn function(
    config: &mut Config,
    file: Option<&PathBuf>,
    options: &FunctionOptions,
) -> Option<String> {
    let file = file?;
    let name = file.display().to_string();
    let mut function = FunctionConfig::from_file(file.clone());
    function.key_value_stores = options
        .key_value_stores
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    config.functions.insert(name.clone(), function);
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_origin_urls() {
        let url = parse_origin_url("http://127.0.0.1:3000").expect("valid");
        assert_eq!(
            (url.https, url.host.as_str(), url.port, url.path.as_str()),
            (false, "127.0.0.1", 3000, "")
        );
        let url = parse_origin_url("https://app.internal/base/").expect("valid");
        assert_eq!(
            (url.https, url.port, url.path.as_str()),
            (true, 443, "/base")
        );
        let url = parse_origin_url("http://[::1]:8000").expect("valid");
        assert_eq!((url.host.as_str(), url.port), ("::1", 8000));
        assert!(parse_origin_url("ftp://x").is_err());
        assert!(parse_origin_url("http://:80").is_err());
        assert!(parse_origin_url("http://x:port").is_err());
    }

    #[test]
    fn quick_config_is_valid_and_forwards_all_methods() {
        let options = QuickOptions {
            origin: "http://127.0.0.1:3000".to_owned(),
            listen: "127.0.0.1:8080".parse().expect("addr"),
            tls_listen: Some("127.0.0.1:8443".parse().expect("addr")),
            admin: "127.0.0.1:9901".parse().expect("addr"),
            data_dir: None,
            pop: "dev1".to_owned(),
        };
        let config = quick_config(&options).expect("valid");
        let routes = crate::compile(&config);
        let distribution = routes.distribution_for("anything.test").expect("catch-all");
        assert!(
            distribution
                .behavior_for("/x")
                .allowed_methods
                .contains("PATCH")
        );
    }
}
