//! The edge's side of the WAF: loading the web ACLs distributions name (with the IP sets,
//! regex pattern sets and rule groups of `[waf]`) into a snapshot, the request view the
//! engine evaluates, reading the start of request bodies for inspection, and the WAF log.
//! Web ACLs whose files did not change keep their engine across reloads, so rate-based
//! rules keep counting.

mod body;
mod interstitial;
mod log;
mod request;
mod tokens;
mod verify;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use verge_config::Config;
use verge_config::model::WafSettings;
use verge_telemetry::{AccessLog, LogDestination, LogFormat};
use verge_waf::{Resources, WebAclEngine};

pub use body::{Inspected, inspect};
pub use interstitial::{Interstitial, PageRequest, accepts_html, interstitial};
pub use log::{Logged, parse as parse_log_record, record as log_record};
pub use request::{GeoAdapter, waf_request};
pub use tokens::{HeldToken, TokenKeys, read_token, unix_now};
pub use verify::{is_verification_path, verify_filter};

use crate::error::EdgeError;

/// A loaded web ACL.
pub struct WebAcl {
    /// The file it came from.
    pub file: PathBuf,
    /// The compiled ACL.
    pub engine: WebAclEngine,
    /// The ACL's text and every `[waf]` file's text, hashed: unchanged means reusable.
    fingerprint: u64,
}

/// The web ACLs of one snapshot, and the WAF log.
#[derive(Default)]
pub struct Firewall {
    /// Web ACLs by distribution id.
    pub acls: HashMap<String, Arc<WebAcl>>,
    /// Where WAF log records go, when `[waf] log` is set.
    pub log: Option<AccessLog>,
    log_destination: Option<String>,
    /// The keys CAPTCHA and Challenge tokens are sealed with, when any distribution has a web
    /// ACL (set by [`TokenKeys::load`]).
    pub tokens: Option<TokenKeys>,
}

impl Firewall {
    /// Reads `[waf]`'s files and every distribution's web ACL; a problem in any rejects the
    /// configuration with the file and the JSON path.
    pub fn load(config: &Config, previous: Option<&Firewall>) -> Result<Firewall, EdgeError> {
        let mut firewall = Firewall::default();
        let wanted = config.distributions.iter().any(|d| d.web_acl.is_some());
        if !wanted {
            return Ok(firewall);
        }
        firewall.acls = Self::acls(config, previous)?;
        let waf = &config.waf;
        firewall.log_destination = waf.log.clone();
        firewall.log = match (&waf.log, previous) {
            (None, _) => None,
            (Some(destination), Some(previous))
                if previous.log_destination.as_ref() == Some(destination) =>
            {
                previous.log.clone()
            }
            (Some(destination), _) => {
                let destination = match destination.as_str() {
                    "stdout" => LogDestination::Stdout,
                    path => LogDestination::File(PathBuf::from(path)),
                };
                Some(AccessLog::open(destination, LogFormat::Json)?)
            }
        };
        Ok(firewall)
    }

    /// Compiles every web ACL as a reload would, without opening the WAF log (for
    /// `verge validate`).
    pub fn compile(config: &Config) -> Result<(), EdgeError> {
        if config.distributions.iter().any(|d| d.web_acl.is_some()) {
            Self::acls(config, None)?;
        }
        Ok(())
    }

    fn acls(
        config: &Config,
        previous: Option<&Firewall>,
    ) -> Result<HashMap<String, Arc<WebAcl>>, EdgeError> {
        let mut acls = HashMap::new();
        let (resources, shared) = load_resources(&config.waf)?;

        for distribution in &config.distributions {
            let Some(file) = &distribution.web_acl else {
                continue;
            };
            let text = read(file)?;
            let fingerprint = xxhash_rust::xxh3::xxh3_64(text.as_bytes()) ^ shared;
            let reused = previous
                .and_then(|p| {
                    p.acls
                        .values()
                        .find(|a| a.fingerprint == fingerprint && a.file == *file)
                })
                .cloned();
            let acl = match reused {
                Some(acl) => acl,
                None => {
                    let engine =
                        WebAclEngine::from_json(&text, &resources).map_err(|e| invalid(file, e))?;
                    Arc::new(WebAcl {
                        file: file.clone(),
                        engine,
                        fingerprint,
                    })
                }
            };
            acls.insert(distribution.id.clone(), acl);
        }
        Ok(acls)
    }
}

/// Reads `[waf]`'s IP sets, regex pattern sets and rule groups into the resources web ACLs
/// compile against, with a hash of everything read (unchanged files, same hash).
pub fn load_resources(waf: &WafSettings) -> Result<(Resources, u64), EdgeError> {
    let mut resources = Resources::new();
    if let Some(account) = &waf.account {
        resources.set_account(account);
    }
    let mut shared = xxhash_rust::xxh3::Xxh3::new();
    for file in &waf.ip_sets {
        let text = read(file)?;
        shared.update(text.as_bytes());
        let set = verge_waf::model::parse_ip_set(&text).map_err(|e| invalid(file, e))?;
        resources.add_ip_set(&set).map_err(|e| invalid(file, e))?;
    }
    for file in &waf.regex_pattern_sets {
        let text = read(file)?;
        shared.update(text.as_bytes());
        let set = verge_waf::model::parse_regex_pattern_set(&text).map_err(|e| invalid(file, e))?;
        resources.add_regex_pattern_set(&set).map_err(|e| invalid(file, e))?;
    }
    for file in &waf.rule_groups {
        let text = read(file)?;
        shared.update(text.as_bytes());
        let group = verge_waf::model::parse_rule_group(&text).map_err(|e| invalid(file, e))?;
        resources.add_rule_group(group);
    }
    shared.update(waf.account.as_deref().unwrap_or("").as_bytes());
    Ok((resources, shared.digest()))
}

fn read(file: &PathBuf) -> Result<String, EdgeError> {
    std::fs::read_to_string(file).map_err(|e| EdgeError::WebAcl {
        path: file.clone(),
        reason: format!("cannot read the file: {e}"),
    })
}

fn invalid(file: &std::path::Path, error: verge_waf::Error) -> EdgeError {
    EdgeError::WebAcl {
        path: file.to_owned(),
        reason: error.to_string(),
    }
}
