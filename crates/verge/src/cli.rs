//! The command line: `verge serve`, `verge demo`, `verge validate`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Verge: a self-hosted edge (CDN, WAF and DDoS shield) that speaks CloudFront's and AWS WAF's
/// formats.
#[derive(Debug, Parser)]
#[command(name = "verge", version, about, long_about = None)]
pub struct Cli {
    /// Log filter (tracing's syntax, e.g. `info` or `verge_edge=debug`); RUST_LOG also works.
    #[arg(long, global = true, default_value = "info", env = "VERGE_LOG")]
    pub log_level: String,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogStyle::Text)]
    pub log_format: LogStyle,
    #[command(subcommand)]
    pub command: Command,
}

/// The format of Verge's own logs.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogStyle {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve distributions: in front of one origin (`--origin`) or from a config file.
    Serve(ServeArgs),
    /// Run an edge in front of a small built-in origin and print the URLs to open.
    Demo(DemoArgs),
    /// Check a configuration file and print every error found, without serving.
    Validate {
        /// The TOML configuration file.
        config: PathBuf,
    },
    /// Geo database tools.
    #[command(subcommand)]
    Geo(GeoCommand),
}

/// `verge geo ...`.
#[derive(Debug, Subcommand)]
pub enum GeoCommand {
    /// Build a MaxMind-format ASN database from ip-location-db ASN CSV files
    /// (`first_ip,last_ip,asn,organization` per line), as scripts/install-geo-db.sh does.
    ImportAsnCsv {
        /// The .mmdb file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// CSV files (IPv4 and IPv6).
        #[arg(required = true)]
        csv: Vec<PathBuf>,
    },
}

/// `verge serve`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["origin", "config"])))]
pub struct ServeArgs {
    /// The origin to serve, e.g. http://127.0.0.1:3000 (quick mode: every host, every method).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// A TOML configuration file (the full model).
    #[arg(long, short = 'c', value_name = "FILE", conflicts_with_all = ["listen", "tls_listen", "no_tls", "admin", "pop", "access_log", "access_log_format"])]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// `verge demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub node: NodeArgs,
}

/// Flags of quick mode and the demo.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// Plain HTTP listener (HTTP/1.1 and h2c).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: Option<SocketAddr>,
    /// HTTPS listener (HTTP/1.1 and HTTP/2; self-signed certificate made at first start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub tls_listen: Option<SocketAddr>,
    /// Serve no HTTPS listener.
    #[arg(long)]
    pub no_tls: bool,
    /// Admin API and /metrics.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9901")]
    pub admin: Option<SocketAddr>,
    /// Where the self-signed certificate (and later the disk cache) is kept
    /// [default: $VERGE_DATA_DIR, else ~/.local/share/verge, else ./verge-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The POP name in `via`, `x-verge-pop` and logs.
    #[arg(long, value_name = "NAME", default_value = "dev1")]
    pub pop: Option<String>,
    /// Access log destination: `stdout` or a file path.
    #[arg(long, value_name = "DEST")]
    pub access_log: Option<String>,
    /// Access log format.
    #[arg(long, value_name = "FORMAT", value_parser = ["cloudfront", "json"])]
    pub access_log_format: Option<String>,
}

impl NodeArgs {
    /// The data directory: the flag, `$VERGE_DATA_DIR`, `~/.local/share/verge`, `./verge-data`.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        default_data_dir()
    }
}

/// The data directory when none is given.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VERGE_DATA_DIR") {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/verge"),
        None => PathBuf::from("verge-data"),
    }
}
