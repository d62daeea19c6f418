//! `verge waf test` and `verge waf replay`: a web ACL (with the objects it references)
//! evaluated outside the edge, on one raw request or on the requests of a WAF log.

mod raw;
mod replay;
mod test;

use std::path::Path;

use verge_config::model::WafSettings;
use verge_waf::WebAclEngine;

use crate::cli::WafAclArgs;

pub use replay::replay;
pub use test::{TestArgs, test};

/// Compiles the web ACL the flags name, against the objects they name.
fn load(args: &WafAclArgs) -> Result<WebAclEngine, String> {
    let settings = WafSettings {
        ip_sets: args.objects.ip_sets.clone(),
        regex_pattern_sets: args.objects.regex_pattern_sets.clone(),
        rule_groups: args.objects.rule_groups.clone(),
        ..WafSettings::default()
    };
    let (resources, _) = verge_edge::waf::load_resources(&settings).map_err(|e| e.to_string())?;
    let text = read(&args.web_acl)?;
    WebAclEngine::from_json(&text, &resources)
        .map_err(|e| format!("{}: {e}", args.web_acl.display()))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}
