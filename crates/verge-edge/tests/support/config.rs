//! TOML pieces for tests that need more than `distribution(...)`: a distribution with its
//! default behavior, origin tables with extra settings, origin groups, and `[limits]`.

use std::net::SocketAddr;

/// Every method CloudFront forwards, as extra default-behavior fields.
pub const ALL_METHODS: &str =
    r#", allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]"#;

/// The `[[distributions]]` table: id, domains and a default behavior targeting `target`,
/// with `behavior` appended to the inline table. Origins and groups follow it.
pub fn distribution_head(id: &str, domains: &str, target: &str, behavior: &str) -> String {
    format!(
        r#"
[[distributions]]
id = "{id}"
domains = [{domains}]
default_cache_behavior = {{ target_origin = "{target}"{behavior} }}
"#
    )
}

/// One `[[distributions.origins]]` table for a plain HTTP origin at `addr`, with `extra`
/// lines (e.g. `read_timeout = "1s"`).
pub fn origin_table(id: &str, addr: SocketAddr, extra: &str) -> String {
    format!(
        r#"
[[distributions.origins]]
id = "{id}"
domain_name = "{ip}"
http_port = {port}
protocol_policy = "http-only"
{extra}
"#,
        ip = addr.ip(),
        port = addr.port()
    )
}

/// One `[[distributions.origin_groups]]` table; `codes` is a TOML array or empty for the
/// default failover status codes.
pub fn origin_group(id: &str, primary: &str, secondary: &str, codes: &str) -> String {
    let codes = if codes.is_empty() {
        String::new()
    } else {
        format!("failover_status_codes = {codes}\n")
    };
    format!(
        r#"
[[distributions.origin_groups]]
id = "{id}"
members = ["{primary}", "{secondary}"]
{codes}"#
    )
}

/// A `[limits]` table with the given lines.
pub fn limits(lines: &str) -> String {
    format!("\n[limits]\n{lines}\n")
}
