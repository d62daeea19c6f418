//! Test support: in-process origins that record what they receive, an edge started from a
//! TOML text on port 0, and HTTP/1.1, h2c and HTTP/2-over-TLS clients.

#![allow(dead_code, unused_imports)]

pub mod cache;
pub mod cache_ops;
pub mod client;
pub mod config;
pub mod fixtures;
pub mod frames;
pub mod origin;
pub mod session;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use verge_edge::{ConfigSource, Edge};

pub use client::{Reply, h1, h2_tls, h2c, raw, request};
pub use origin::{Seen, TestOrigin, respond};

/// The node section every test config starts with: port 0 everywhere.
pub const NODE: &str = r#"
[node]
pop = "test1"
admin = "127.0.0.1:0"

[[listeners]]
address = "127.0.0.1:0"

[[listeners]]
address = "127.0.0.1:0"
tls = true
"#;

/// An edge serving a config written to a temporary file.
pub struct TestEdge {
    /// The running edge.
    pub edge: Arc<Edge>,
    /// Holds the config file and data directory.
    pub dir: tempfile::TempDir,
    /// The config file, to rewrite before a reload.
    pub config_path: PathBuf,
}

impl TestEdge {
    /// Starts an edge from `NODE` followed by `distributions`.
    pub async fn start(distributions: &str) -> TestEdge {
        Self::start_as("test1", distributions).await
    }

    /// Starts an edge whose POP is `pop` (tier tests run several POPs side by side).
    pub async fn start_as(pop: &str, distributions: &str) -> TestEdge {
        let dir = tempfile::tempdir().expect("temp dir");
        let config_path = dir.path().join("verge.toml");
        let node = NODE.replace("pop = \"test1\"", &format!("pop = \"{pop}\""));
        std::fs::write(&config_path, format!("{node}\n{distributions}")).expect("write config");
        let source = ConfigSource::File(config_path.clone());
        let edge = Edge::start(source, Some(dir.path().join("data")))
            .await
            .expect("edge starts");
        TestEdge {
            edge,
            dir,
            config_path,
        }
    }

    /// The plain HTTP address.
    pub fn http(&self) -> std::net::SocketAddr {
        self.edge.http_address().expect("http listener")
    }

    /// The HTTPS address.
    pub fn https(&self) -> std::net::SocketAddr {
        self.edge.https_address().expect("https listener")
    }

    /// Replaces the distributions part of the config file (for reload tests).
    pub fn rewrite(&self, distributions: &str) {
        std::fs::write(&self.config_path, format!("{NODE}\n{distributions}"))
            .expect("write config");
    }
}

/// A distribution answering `domains` from one HTTP origin at `origin`, with extra lines for
/// the default cache behavior (inline table fields).
pub fn distribution(
    id: &str,
    domains: &str,
    origin: std::net::SocketAddr,
    behavior: &str,
) -> String {
    format!(
        r#"
[[distributions]]
id = "{id}"
domains = [{domains}]
default_cache_behavior = {{ target_origin = "o1"{behavior} }}

[[distributions.origins]]
id = "o1"
domain_name = "{ip}"
http_port = {port}
protocol_policy = "http-only"
"#,
        ip = origin.ip(),
        port = origin.port()
    )
}
