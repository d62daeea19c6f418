//! Running an edge until a signal: SIGHUP reloads the configuration, SIGTERM or Ctrl-C drains
//! in-flight requests and exits.

use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use verge_config::Config;
use verge_config::model::AccessLogFormat;
use verge_config::quick::{QuickOptions, quick_config};
use verge_edge::{ConfigSource, Edge};

use crate::cli::{NodeArgs, ServeArgs};

/// Why `verge serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Bad flags.
    #[error("{0}")]
    Usage(String),
    /// The edge could not start.
    #[error(transparent)]
    Edge(#[from] verge_edge::EdgeError),
    /// Signal handlers could not be installed.
    #[error("signals: {0}")]
    Signals(std::io::Error),
}

/// `verge serve`.
pub async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    let (source, data_dir) = match (&args.origin, &args.config) {
        (Some(origin), None) => {
            let mut config = quick(origin, &args.node)?;
            add_functions(&mut config, &args)?;
            let waf = verge_config::quick::WafOptions {
                web_acl: args.web_acl.clone(),
                ip_sets: args.waf_objects.ip_sets.clone(),
                regex_pattern_sets: args.waf_objects.regex_pattern_sets.clone(),
                rule_groups: args.waf_objects.rule_groups.clone(),
                log: args.waf_log.clone(),
            };
            verge_config::quick::add_web_acl(&mut config, &waf).map_err(ServeError::Usage)?;
            (ConfigSource::Fixed(Box::new(config)), args.node.data_dir())
        }
        (None, Some(path)) => {
            let configured = verge_config::load_file(path)
                .ok()
                .and_then(|c| c.node.data_dir);
            let data_dir = args
                .node
                .data_dir
                .clone()
                .or(configured)
                .unwrap_or_else(crate::cli::default_data_dir);
            (ConfigSource::File(path.clone()), data_dir)
        }
        _ => {
            return Err(ServeError::Usage(
                "give either --origin URL or --config FILE".to_owned(),
            ));
        }
    };
    let edge = Edge::start(source, Some(data_dir)).await?;
    run_until_signal(edge).await
}

/// Adds `--viewer-request`, `--viewer-response` and `--kvs` to the quick-mode configuration.
fn add_functions(config: &mut Config, args: &ServeArgs) -> Result<(), ServeError> {
    let options = verge_config::quick::FunctionOptions {
        viewer_request: args.viewer_request.clone(),
        viewer_response: args.viewer_response.clone(),
        key_value_stores: args.kvs.clone(),
    };
    verge_config::quick::add_functions(config, &options).map_err(ServeError::Usage)
}

/// The configuration of quick mode from the flags.
pub fn quick(origin: &str, node: &NodeArgs) -> Result<Config, ServeError> {
    let options = QuickOptions {
        origin: origin.to_owned(),
        listen: node.listen.unwrap_or_else(|| ([127, 0, 0, 1], 8080).into()),
        tls_listen: if node.no_tls { None } else { node.tls_listen },
        admin: node.admin.unwrap_or_else(|| ([127, 0, 0, 1], 9901).into()),
        data_dir: Some(node.data_dir()),
        pop: node.pop.clone().unwrap_or_else(|| "dev1".to_owned()),
    };
    let mut config = quick_config(&options).map_err(ServeError::Usage)?;
    config.logging.access_log = node.access_log.clone();
    if node.access_log_format.as_deref() == Some("json") {
        config.logging.access_log_format = AccessLogFormat::Json;
    }
    Ok(config)
}

/// Serves until SIGTERM or Ctrl-C, reloading on SIGHUP.
pub async fn run_until_signal(edge: Arc<Edge>) -> Result<(), ServeError> {
    let mut hangup = signal(SignalKind::hangup()).map_err(ServeError::Signals)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(ServeError::Signals)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(ServeError::Signals)?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let edge = edge.clone();
                // The outcome is logged by the reload itself.
                let _ = tokio::task::spawn_blocking(move || edge.reload()).await;
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    edge.drain(edge.drain_timeout()).await;
    Ok(())
}

/// Prints the errors of a configuration file, or a summary when it is valid.
pub fn validate(path: &std::path::Path) -> bool {
    match verge_config::load_file(path) {
        Ok(config) => {
            // Functions are compiled (and stores read) as a reload would.
            if let Err(error) = verge_edge::functions::Functions::load(&config, None, None) {
                eprintln!("{}: {error}", path.display());
                return false;
            }
            // So are web ACLs and the objects they reference.
            if let Err(error) = verge_edge::waf::Firewall::compile(&config) {
                eprintln!("{}: {error}", path.display());
                return false;
            }
            let behaviors: usize = config
                .distributions
                .iter()
                .map(|d| d.cache_behaviors.len() + 1)
                .sum();
            println!(
                "{}: valid ({} distributions, {} cache behaviors, {} listeners)",
                path.display(),
                config.distributions.len(),
                behaviors,
                config.listeners.len()
            );
            true
        }
        Err(errors) => {
            eprint!("{errors}");
            false
        }
    }
}
