//! The `Server-Timing` header of a response headers policy: which requests are sampled, and
//! the edge's metrics in CloudFront's names (`cdn-cache-hit`, `cdn-upstream-fbl`, ...).

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// What the edge measured for one request, reported in `Server-Timing`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTiming {
    /// The POP that served the viewer.
    pub pop: String,
    /// The request id the edge logs and returns to the viewer.
    pub request_id: String,
    /// CloudFront's result type: `Hit`, `RefreshHit`, `Miss`; other values add no cache metric.
    pub cache_result: &'static str,
    /// Time to connect to the origin, when the edge connected.
    pub origin_connect_ms: Option<f64>,
    /// Time from the origin request to its first response byte, when the edge went to origin.
    pub origin_first_byte_ms: Option<f64>,
    /// Time from the viewer request to the edge's first response byte.
    pub edge_first_byte_ms: f64,
}

/// Whether this request is in the `rate` percent that get `Server-Timing`.
pub(super) fn sampled(rate: f64) -> bool {
    rate > 0.0 && fastrand::f64() * 100.0 < rate
}

/// Appends the edge's metrics after any `Server-Timing` the origin sent (a list field,
/// RFC 9110 §5.3), in CloudFront's metric names.
pub(super) fn add(response: &mut HeaderMap, timing: &ServerTiming) {
    let mut metrics = Vec::new();
    let went_to_origin =
        timing.origin_connect_ms.is_some() || timing.origin_first_byte_ms.is_some();
    if went_to_origin {
        metrics.push("cdn-upstream-layer;desc=\"EDGE\"".to_owned());
    }
    if let Some(connect) = timing.origin_connect_ms {
        metrics.push(format!("cdn-upstream-connect;dur={}", millis(connect)));
    }
    if let Some(first_byte) = timing.origin_first_byte_ms {
        metrics.push(format!("cdn-upstream-fbl;dur={}", millis(first_byte)));
    }

    let cache = match timing.cache_result {
        "Hit" => Some("cdn-cache-hit"),
        "RefreshHit" => Some("cdn-cache-refresh"),
        "Miss" => Some("cdn-cache-miss"),
        _ => None,
    };
    metrics.extend(cache.map(str::to_owned));
    metrics.push(format!("cdn-pop;desc={}", quoted(&timing.pop)));
    metrics.push(format!("cdn-rid;desc={}", quoted(&timing.request_id)));
    if timing.cache_result == "Hit" {
        metrics.push("cdn-hit-layer;desc=\"EDGE\"".to_owned());
    }
    metrics.push(format!(
        "cdn-downstream-fbl;dur={}",
        millis(timing.edge_first_byte_ms)
    ));

    if let Ok(value) = HeaderValue::from_str(&metrics.join(",")) {
        response.append(HeaderName::from_static("server-timing"), value);
    }
}

/// Whole milliseconds; a negative or non-finite measure reads as 0.
fn millis(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        ms.round() as u64
    } else {
        0
    }
}

/// An RFC 9110 §5.6.4 quoted-string, dropping characters a header value cannot carry.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars().filter(|c| c.is_ascii_graphic() || *c == ' ') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use http::Method;
    use verge_config::model::{ResponseHeadersPolicy, ServerTiming as ServerTimingConfig};

    use super::*;
    use crate::response_policy::{ViewerRequestInfo, apply};

    fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        headers.get(name).map(|v| v.to_str().expect("ascii"))
    }

    fn timing(cache_result: &'static str) -> ServerTiming {
        ServerTiming {
            pop: "dev1".into(),
            request_id: "abc\"1".into(),
            cache_result,
            origin_connect_ms: Some(3.2),
            origin_first_byte_ms: Some(11.6),
            edge_first_byte_ms: 13.0,
        }
    }

    fn timed(rate: f64, timing: &ServerTiming, response: &mut HeaderMap) {
        let policy = ResponseHeadersPolicy {
            server_timing: Some(ServerTimingConfig {
                enabled: true,
                sampling_rate: rate,
            }),
            ..ResponseHeadersPolicy::default()
        };
        let req = HeaderMap::new();
        let info = ViewerRequestInfo {
            method: &Method::GET,
            headers: &req,
        };
        apply(&policy, info, response, Some(timing));
    }

    #[test]
    fn server_timing_miss_appends_to_origin() {
        let mut response = HeaderMap::new();
        response.insert("server-timing", HeaderValue::from_static("db;dur=5"));
        timed(100.0, &timing("Miss"), &mut response);
        let values: Vec<_> = response.get_all("server-timing").iter().collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0], "db;dur=5");
        assert_eq!(
            values[1],
            "cdn-upstream-layer;desc=\"EDGE\",cdn-upstream-connect;dur=3,\
             cdn-upstream-fbl;dur=12,cdn-cache-miss,cdn-pop;desc=\"dev1\",\
             cdn-rid;desc=\"abc\\\"1\",cdn-downstream-fbl;dur=13"
        );
    }

    #[test]
    fn server_timing_hit() {
        let mut response = HeaderMap::new();
        let hit = ServerTiming {
            origin_connect_ms: None,
            origin_first_byte_ms: None,
            edge_first_byte_ms: f64::NAN,
            ..timing("Hit")
        };
        timed(100.0, &hit, &mut response);
        assert_eq!(
            get(&response, "server-timing"),
            Some(
                "cdn-cache-hit,cdn-pop;desc=\"dev1\",cdn-rid;desc=\"abc\\\"1\",\
                 cdn-hit-layer;desc=\"EDGE\",cdn-downstream-fbl;dur=0"
            )
        );
    }

    #[test]
    fn server_timing_sampling_zero_and_disabled() {
        for _ in 0..100 {
            let mut response = HeaderMap::new();
            timed(0.0, &timing("Miss"), &mut response);
            assert!(!response.contains_key("server-timing"));
        }
        let policy = ResponseHeadersPolicy {
            server_timing: Some(ServerTimingConfig {
                enabled: false,
                sampling_rate: 100.0,
            }),
            ..ResponseHeadersPolicy::default()
        };
        let req = HeaderMap::new();
        let mut response = HeaderMap::new();
        let info = ViewerRequestInfo {
            method: &Method::GET,
            headers: &req,
        };
        apply(&policy, info, &mut response, Some(&timing("Miss")));
        assert!(response.is_empty());
    }
}
