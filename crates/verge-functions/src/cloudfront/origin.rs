//! Origin changes a viewer-request function asks for, validated with CloudFront's ranges. A
//! bad argument is thrown back into the function as an `Error` with the reason, so the
//! function can catch it; uncaught, it fails the invocation (503).

use std::time::Duration;

use serde::Deserialize;

use crate::output::is_disallowed;

/// Where the request goes after the function.
#[derive(Debug, Clone, PartialEq)]
pub enum OriginChange {
    /// Send it to the cache behavior's origin with these settings changed.
    Update(OriginUpdate),
    /// Send it to another origin of the distribution, by id.
    Select(String),
    /// Send it to the first origin, failing over to the second on these status codes.
    Group {
        /// Primary, then secondary origin id.
        origin_ids: [String; 2],
        /// Origin status codes that fail over.
        failover_status_codes: Vec<u16>,
    },
}

/// Plain HTTP or HTTPS to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginProtocol {
    /// Plain HTTP.
    Http,
    /// HTTPS.
    Https,
}

/// The fields `updateRequestOrigin` changes; `None` keeps the origin's own setting.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OriginUpdate {
    /// The origin's host name or IP address.
    pub domain_name: Option<String>,
    /// The `Host` header sent to the origin.
    pub host_header: Option<String>,
    /// A path prefix added to every request.
    pub origin_path: Option<String>,
    /// Headers added to the origin request.
    pub custom_headers: Vec<(String, String)>,
    /// Connection attempts (1 to 3).
    pub connection_attempts: Option<u8>,
    /// Connection timeout (1 to 10 s).
    pub connection_timeout: Option<Duration>,
    /// Read timeout (1 to 180 s).
    pub read_timeout: Option<Duration>,
    /// Keep-alive idle timeout (1 to 180 s).
    pub keep_alive_timeout: Option<Duration>,
    /// Protocol to the origin.
    pub protocol: Option<OriginProtocol>,
    /// Port on the origin.
    pub port: Option<u16>,
    /// Origin shield: enabled, and its region (a POP name for Verge).
    pub origin_shield: Option<(bool, Option<String>)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateArgs {
    domain_name: Option<String>,
    host_header: Option<String>,
    origin_path: Option<String>,
    #[serde(default)]
    custom_headers: serde_json::Map<String, serde_json::Value>,
    connection_attempts: Option<u64>,
    timeouts: Option<TimeoutArgs>,
    custom_origin_config: Option<CustomOriginArgs>,
    origin_shield: Option<ShieldArgs>,
    origin_access_control_config: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TimeoutArgs {
    read_timeout: Option<u64>,
    connection_timeout: Option<u64>,
    keep_alive_timeout: Option<u64>,
    response_completion_timeout: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomOriginArgs {
    port: Option<u64>,
    protocol: Option<OriginProtocol>,
    ssl_protocols: Option<Vec<String>>,
    ip_address_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShieldArgs {
    enabled: bool,
    region: Option<String>,
}

/// Checks `updateRequestOrigin`'s argument (as JSON).
pub fn update(json: &str) -> Result<OriginChange, String> {
    let args: UpdateArgs =
        serde_json::from_str(json).map_err(|e| format!("updateRequestOrigin: {e}"))?;
    if args.origin_access_control_config.is_some() {
        // Limitation: origin access control signs requests to S3 and Lambda URL origins,
        // which Verge does not front; the setting is accepted and has no effect.
        tracing::debug!("updateRequestOrigin: originAccessControlConfig ignored");
    }
    let mut update = OriginUpdate::default();

    if let Some(domain) = args.domain_name {
        check_host("domainName", &domain)?;
        update.domain_name = Some(domain);
    }
    if let Some(host) = args.host_header {
        check_host("hostHeader", &host)?;
        update.host_header = Some(host);
    }
    if let Some(path) = args.origin_path {
        if !path.starts_with('/') || path.ends_with('/') || path.len() > 255 {
            return Err(format!(
                "updateRequestOrigin: originPath must start with '/', not end with '/', and be at most 255 characters; got {path:?}"
            ));
        }
        update.origin_path = Some(path);
    }
    if args.custom_headers.len() > 10 {
        return Err("updateRequestOrigin: at most 10 customHeaders".to_owned());
    }
    for (name, value) in args.custom_headers {
        let lower = name.to_ascii_lowercase();
        let valid = !lower.is_empty()
            && lower
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid || is_disallowed(&lower) || lower == "host" {
            return Err(format!(
                "updateRequestOrigin: customHeaders may not set {name:?}"
            ));
        }
        let serde_json::Value::String(value) = value else {
            return Err(format!(
                "updateRequestOrigin: customHeaders.{name} must be a string"
            ));
        };
        if value.bytes().any(|b| b < b' ' || b == 0x7f) {
            return Err(format!(
                "updateRequestOrigin: customHeaders.{name} holds a control character"
            ));
        }
        update.custom_headers.push((lower, value));
    }
    if let Some(attempts) = args.connection_attempts {
        update.connection_attempts = Some(in_range("connectionAttempts", attempts, 1, 3)? as u8);
    }
    if let Some(timeouts) = args.timeouts {
        let seconds = |field, value: Option<u64>, max| -> Result<Option<Duration>, String> {
            value
                .map(|v| in_range(field, v, 1, max).map(Duration::from_secs))
                .transpose()
        };
        update.connection_timeout = seconds(
            "timeouts.connectionTimeout",
            timeouts.connection_timeout,
            10,
        )?;
        update.read_timeout = seconds("timeouts.readTimeout", timeouts.read_timeout, 180)?;
        update.keep_alive_timeout = seconds(
            "timeouts.keepAliveTimeout",
            timeouts.keep_alive_timeout,
            180,
        )?;
        // Limitation: Verge bounds each read, not the whole response; a response completion
        // timeout is checked for range and otherwise not enforced.
        seconds(
            "timeouts.responseCompletionTimeout",
            timeouts.response_completion_timeout,
            3600,
        )?;
    }
    if let Some(custom) = args.custom_origin_config {
        if let Some(port) = custom.port {
            if !(port == 80 || port == 443 || (1024..=65535).contains(&port)) {
                return Err(format!(
                    "updateRequestOrigin: customOriginConfig.port must be 80, 443 or 1024 to 65535; got {port}"
                ));
            }
            update.port = Some(port as u16);
        }
        update.protocol = custom.protocol;
        for protocol in custom.ssl_protocols.unwrap_or_default() {
            if !matches!(protocol.as_str(), "SSLv3" | "TLSv1" | "TLSv1.1" | "TLSv1.2") {
                return Err(format!(
                    "updateRequestOrigin: customOriginConfig.sslProtocols has unknown {protocol:?}"
                ));
            }
        }
        if let Some(kind) = custom.ip_address_type
            && !matches!(kind.as_str(), "ipv4" | "ipv6" | "dualstack")
        {
            return Err(format!(
                "updateRequestOrigin: customOriginConfig.ipAddressType must be ipv4, ipv6 or dualstack; got {kind:?}"
            ));
        }
    }
    if let Some(shield) = args.origin_shield {
        if shield.enabled && shield.region.as_deref().is_none_or(str::is_empty) {
            return Err(
                "updateRequestOrigin: originShield.region is required when enabled".to_owned(),
            );
        }
        update.origin_shield = Some((shield.enabled, shield.region));
    }
    Ok(OriginChange::Update(update))
}

/// Checks `selectRequestOriginById`'s argument against the distribution's origin ids.
pub fn select(id: &str, origin_ids: &[String]) -> Result<OriginChange, String> {
    if origin_ids.iter().any(|known| known == id) {
        Ok(OriginChange::Select(id.to_owned()))
    } else {
        Err(format!(
            "selectRequestOriginById: the distribution has no origin {id:?}"
        ))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GroupArgs {
    origin_ids: Vec<String>,
    failover_criteria: FailoverArgs,
    selection_criteria: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FailoverArgs {
    status_codes: Vec<u16>,
}

/// Checks `createRequestOriginGroup`'s argument (as JSON).
pub fn group(json: &str, origin_ids: &[String]) -> Result<OriginChange, String> {
    let args: GroupArgs =
        serde_json::from_str(json).map_err(|e| format!("createRequestOriginGroup: {e}"))?;
    let [primary, secondary]: [String; 2] = args.origin_ids.try_into().map_err(|_| {
        "createRequestOriginGroup: originIds must name exactly two origins".to_owned()
    })?;
    for id in [&primary, &secondary] {
        select(id, origin_ids)
            .map_err(|e| e.replace("selectRequestOriginById", "createRequestOriginGroup"))?;
    }
    for code in &args.failover_criteria.status_codes {
        if ![400, 403, 404, 416, 500, 502, 503, 504].contains(code) {
            return Err(format!(
                "createRequestOriginGroup: failoverCriteria.statusCodes may hold 400, 403, 404, 416, 500, 502, 503 and 504; got {code}"
            ));
        }
    }
    if let Some(selection) = args.selection_criteria
        && !matches!(selection.as_str(), "default" | "media-quality-based")
    {
        return Err(format!(
            "createRequestOriginGroup: selectionCriteria must be default or media-quality-based; got {selection:?}"
        ));
    }
    Ok(OriginChange::Group {
        origin_ids: [primary, secondary],
        failover_status_codes: args.failover_criteria.status_codes,
    })
}

fn in_range(field: &str, value: u64, min: u64, max: u64) -> Result<u64, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "updateRequestOrigin: {field} must be {min} to {max}; got {value}"
        ))
    }
}

fn check_host(field: &str, host: &str) -> Result<(), String> {
    let valid = !host.is_empty()
        && host.len() <= 253
        && (host.parse::<std::net::IpAddr>().is_ok()
            || host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            }));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "updateRequestOrigin: {field} {host:?} is not a valid host name"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_update_is_accepted() {
        let change = update(
            r#"{"domainName":"eu.example.com","originPath":"/v1","customHeaders":{"x-region":"eu"},
               "connectionAttempts":2,"timeouts":{"readTimeout":30,"connectionTimeout":5},
               "customOriginConfig":{"port":8443,"protocol":"https","sslProtocols":["TLSv1.2"]},
               "originShield":{"enabled":true,"region":"fra"}}"#,
        )
        .expect("valid");
        let OriginChange::Update(update) = change else {
            panic!("an update")
        };
        assert_eq!(update.domain_name.as_deref(), Some("eu.example.com"));
        assert_eq!(update.port, Some(8443));
        assert_eq!(update.protocol, Some(OriginProtocol::Https));
        assert_eq!(update.read_timeout, Some(Duration::from_secs(30)));
        assert_eq!(
            update.custom_headers,
            [("x-region".to_owned(), "eu".to_owned())]
        );
    }

    #[test]
    fn out_of_range_arguments_are_refused_with_the_field() {
        for (json, field) in [
            (r#"{"connectionAttempts":4}"#, "connectionAttempts"),
            (
                r#"{"timeouts":{"connectionTimeout":11}}"#,
                "connectionTimeout",
            ),
            (r#"{"customOriginConfig":{"port":22}}"#, "port"),
            (r#"{"originPath":"v1/"}"#, "originPath"),
            (r#"{"domainName":"bad host"}"#, "domainName"),
            (r#"{"customHeaders":{"connection":"x"}}"#, "customHeaders"),
            (r#"{"colour":"red"}"#, "colour"),
        ] {
            let error = update(json).expect_err(json);
            assert!(error.contains(field), "{json}: {error}");
        }
    }

    #[test]
    fn selection_and_groups_name_known_origins() {
        let ids = ["us".to_owned(), "eu".to_owned()];
        assert_eq!(
            select("eu", &ids),
            Ok(OriginChange::Select("eu".to_owned()))
        );
        assert!(select("ap", &ids).is_err());
        let change = group(
            r#"{"originIds":["us","eu"],"failoverCriteria":{"statusCodes":[502,503]}}"#,
            &ids,
        )
        .expect("valid");
        assert!(
            matches!(change, OriginChange::Group { ref failover_status_codes, .. } if failover_status_codes == &[502, 503])
        );
        assert!(
            group(
                r#"{"originIds":["us"],"failoverCriteria":{"statusCodes":[]}}"#,
                &ids
            )
            .is_err()
        );
        assert!(
            group(
                r#"{"originIds":["us","eu"],"failoverCriteria":{"statusCodes":[200]}}"#,
                &ids
            )
            .is_err()
        );
    }
}
