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
use verge_waf::managed::{IpFeed, IpFeeds};
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
        let files = WafFiles::read(&config.waf)?;
        // ACLs whose files changed are compiled; the resources are built only for them.
        let mut changed = Vec::new();
        for distribution in &config.distributions {
            let Some(file) = &distribution.web_acl else {
                continue;
            };
            let text = read(file)?;
            let fingerprint = xxhash_rust::xxh3::xxh3_64(text.as_bytes()) ^ files.hash;
            let reused = previous.and_then(|p| {
                p.acls
                    .values()
                    .find(|a| a.fingerprint == fingerprint && a.file == *file)
            });
            match reused {
                Some(acl) => {
                    acls.insert(distribution.id.clone(), acl.clone());
                }
                None => changed.push((&distribution.id, file, text, fingerprint)),
            }
        }
        if changed.is_empty() {
            return Ok(acls);
        }
        let managed = changed.iter().any(|(_, _, text, _)| uses_managed(text));
        let resources = files.resources(managed)?;
        for (id, file, text, fingerprint) in changed {
            let engine =
                WebAclEngine::from_json(&text, &resources).map_err(|e| invalid(file, e))?;
            let acl = WebAcl {
                file: file.clone(),
                engine,
                fingerprint,
            };
            acls.insert(id.clone(), Arc::new(acl));
        }
        Ok(acls)
    }
}

/// Whether a web ACL uses managed rule groups (installing them costs a few hundred
/// milliseconds of regex compilation, so it is done only when needed).
fn uses_managed(acl: &str) -> bool {
    acl.contains("ManagedRuleGroupStatement")
}

/// Reads `[waf]`'s objects and IP feeds into the resources a web ACL compiles against, with
/// AWS's managed rule groups (for `verge waf test` and `replay`).
pub fn load_resources(waf: &WafSettings) -> Result<(Resources, u64), EdgeError> {
    let files = WafFiles::read(waf)?;
    Ok((files.resources(true)?, files.hash))
}

/// `[waf]`'s files as read, and one hash of them all (unchanged files, same hash).
struct WafFiles<'a> {
    waf: &'a WafSettings,
    ip_sets: Vec<(&'a PathBuf, String)>,
    regex_pattern_sets: Vec<(&'a PathBuf, String)>,
    rule_groups: Vec<(&'a PathBuf, String)>,
    feeds: Vec<(&'static str, &'a PathBuf, String)>,
    hash: u64,
}

impl<'a> WafFiles<'a> {
    fn read(waf: &'a WafSettings) -> Result<WafFiles<'a>, EdgeError> {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        let mut read_all = |files: &'a [PathBuf]| -> Result<Vec<(&'a PathBuf, String)>, EdgeError> {
            files
                .iter()
                .map(|file| {
                    let text = read(file)?;
                    hash.update(text.as_bytes());
                    Ok((file, text))
                })
                .collect()
        };
        let ip_sets = read_all(&waf.ip_sets)?;
        let regex_pattern_sets = read_all(&waf.regex_pattern_sets)?;
        let rule_groups = read_all(&waf.rule_groups)?;
        let mut feeds = Vec::new();
        for (name, file) in waf.ip_feeds.files() {
            let text = read(file)?;
            hash.update(name.as_bytes());
            hash.update(text.as_bytes());
            feeds.push((name, file, text));
        }
        hash.update(waf.account.as_deref().unwrap_or("").as_bytes());
        Ok(WafFiles {
            waf,
            ip_sets,
            regex_pattern_sets,
            rule_groups,
            feeds,
            hash: hash.digest(),
        })
    }

    /// Parses the files into resources; with `managed`, AWS's managed rule groups too, backed
    /// by the IP feeds.
    fn resources(&self, managed: bool) -> Result<Resources, EdgeError> {
        let mut resources = Resources::new();
        if let Some(account) = &self.waf.account {
            resources.set_account(account);
        }
        for (file, text) in &self.ip_sets {
            let set = verge_waf::model::parse_ip_set(text).map_err(|e| invalid(file, e))?;
            resources.add_ip_set(&set).map_err(|e| invalid(file, e))?;
        }
        for (file, text) in &self.regex_pattern_sets {
            let set =
                verge_waf::model::parse_regex_pattern_set(text).map_err(|e| invalid(file, e))?;
            resources
                .add_regex_pattern_set(&set)
                .map_err(|e| invalid(file, e))?;
        }
        for (file, text) in &self.rule_groups {
            let group = verge_waf::model::parse_rule_group(text).map_err(|e| invalid(file, e))?;
            resources.add_rule_group(group);
        }
        if managed {
            let mut feeds = IpFeeds::default();
            for (name, file, text) in &self.feeds {
                let feed = IpFeed::parse(name, text).map_err(|e| invalid(file, e))?;
                let slot = match *name {
                    "reputation" => &mut feeds.reputation,
                    "reconnaissance" => &mut feeds.reconnaissance,
                    "ddos" => &mut feeds.ddos,
                    "anonymous" => &mut feeds.anonymous,
                    _ => &mut feeds.hosting,
                };
                *slot = Some(feed);
            }
            verge_waf::managed::install(&mut resources, &feeds).map_err(|e| EdgeError::WebAcl {
                path: PathBuf::from("[waf] managed rule groups"),
                reason: e.to_string(),
            })?;
        }
        Ok(resources)
    }
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
