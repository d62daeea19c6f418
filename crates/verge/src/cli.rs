//! The command line: `verge serve`, `verge demo`, `verge validate`, `verge function test`,
//! `verge waf test` and `verge waf replay`.

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
    Serve(Box<ServeArgs>),
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
    /// Edge function tools.
    #[command(subcommand)]
    Function(FunctionCommand),
    /// Web ACL tools.
    #[command(subcommand)]
    Waf(WafCommand),
}

/// `verge waf ...`.
#[derive(Debug, Subcommand)]
pub enum WafCommand {
    /// Evaluate one raw HTTP request (a file holding the request line, headers, a blank line
    /// and the body) and print the decision, the terminating rule, every matching rule, the
    /// labels and the time taken. Exits 0 whatever the decision.
    Test {
        #[command(flatten)]
        acl: WafAclArgs,
        /// The raw HTTP/1.1 request (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// The viewer's address.
        #[arg(long, value_name = "IP", default_value = "192.0.2.1")]
        client_ip: std::net::IpAddr,
        /// The viewer's country (ISO 3166 alpha-2), for geo match statements.
        #[arg(long, value_name = "CC")]
        country: Option<String>,
        /// Print one JSON object in the shape of a WAF log record.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate the requests of a WAF log (Verge's `[waf] log`, or AWS WAF's own logs: JSON
    /// lines) with a web ACL and print the requests whose decision would change, by rule,
    /// and totals.
    Replay {
        #[command(flatten)]
        acl: WafAclArgs,
        /// The WAF log, one JSON record per line.
        #[arg(long, value_name = "FILE")]
        log: PathBuf,
        /// How many changed requests to list (the totals count them all).
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
    },
}

/// A web ACL and the objects it references.
#[derive(Debug, Args)]
pub struct WafAclArgs {
    /// The web ACL (`aws wafv2 get-web-acl` JSON, or the bare WebACL object).
    #[arg(long, value_name = "FILE")]
    pub web_acl: PathBuf,
    #[command(flatten)]
    pub objects: WafObjectArgs,
}

/// The AWS WAF objects a web ACL references, each an `aws wafv2 get-...` JSON file.
#[derive(Debug, Args, Default)]
pub struct WafObjectArgs {
    /// An IP set (`get-ip-set` JSON), referenced by ARN (repeatable).
    #[arg(long = "ip-set", value_name = "FILE")]
    pub ip_sets: Vec<PathBuf>,
    /// A regex pattern set (`get-regex-pattern-set` JSON) (repeatable).
    #[arg(long = "regex-pattern-set", value_name = "FILE")]
    pub regex_pattern_sets: Vec<PathBuf>,
    /// A rule group (`get-rule-group` JSON) (repeatable).
    #[arg(long = "rule-group", value_name = "FILE")]
    pub rule_groups: Vec<PathBuf>,
}

/// `verge function ...`.
#[derive(Debug, Subcommand)]
pub enum FunctionCommand {
    /// Run a CloudFront Functions file once on an event and print what CloudFront's
    /// TestFunction prints: the output, the logs, the error and the compute utilization.
    /// Exits non-zero when the function fails.
    Test {
        /// The function's JavaScript file.
        function: PathBuf,
        /// The event (CloudFront's event JSON; sparse test events are accepted).
        #[arg(long, value_name = "FILE")]
        event: PathBuf,
        /// A key-value store from a CloudFront import file, as NAME=FILE (repeatable).
        #[arg(long = "kvs", value_name = "NAME=FILE", value_parser = parse_kvs)]
        kvs: Vec<(String, PathBuf)>,
        /// Freeze the clock at this time (RFC 3339, e.g. 2024-05-20T00:00:00Z).
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        /// The event type; by default the event's context.eventType, else viewer-response when
        /// the event has a response, else viewer-request.
        #[arg(long, value_name = "TYPE", value_parser = ["viewer-request", "viewer-response"])]
        event_type: Option<String>,
        /// The POP name `cf.edgeLocation` reports.
        #[arg(long, value_name = "NAME", default_value = "dev1")]
        pop: String,
        /// Print one JSON object with TestFunction's field names.
        #[arg(long)]
        json: bool,
    },
}

/// Parses `NAME=FILE`.
pub fn parse_kvs(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(file)))
        }
        _ => Err(format!(
            "`{text}`: write NAME=FILE, e.g. routes=routes.json"
        )),
    }
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
    #[arg(long, short = 'c', value_name = "FILE", conflicts_with_all = ["listen", "tls_listen", "no_tls", "admin", "pop", "access_log", "access_log_format", "viewer_request", "viewer_response", "kvs", "web_acl", "ip_sets", "regex_pattern_sets", "rule_groups", "waf_log"])]
    pub config: Option<PathBuf>,
    /// A CloudFront Functions file run on every viewer request (quick mode).
    #[arg(long, value_name = "FILE")]
    pub viewer_request: Option<PathBuf>,
    /// A CloudFront Functions file run on every response to a viewer (quick mode).
    #[arg(long, value_name = "FILE")]
    pub viewer_response: Option<PathBuf>,
    /// A key-value store for the functions, from a CloudFront import file, as NAME=FILE
    /// (repeatable; quick mode).
    #[arg(long = "kvs", value_name = "NAME=FILE", value_parser = parse_kvs)]
    pub kvs: Vec<(String, PathBuf)>,
    /// An AWS WAF web ACL (`aws wafv2 get-web-acl` JSON) every request is evaluated by
    /// (quick mode).
    #[arg(long, value_name = "FILE")]
    pub web_acl: Option<PathBuf>,
    #[command(flatten)]
    pub waf_objects: WafObjectArgs,
    /// Where WAF log records go (AWS WAF's JSON log format): `stdout` or a file (quick mode).
    #[arg(long, value_name = "DEST")]
    pub waf_log: Option<String>,
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
