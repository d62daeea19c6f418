//! What Verge remembers about one viewer request once its response has been sent.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// One viewer request, with the fields of CloudFront's standard log (version 1).
///
/// Fields are declared in the order the tab-separated format writes them. `None` and empty
/// strings are written as `-` in the CloudFront format and as `null` in JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLogRecord {
    /// When the edge finished serving the request (`date` and `time`, in UTC).
    pub timestamp: SystemTime,
    /// The POP that served the request (`x-edge-location`).
    pub edge_location: String,
    /// Bytes sent to the viewer, headers included (`sc-bytes`).
    pub sc_bytes: u64,
    /// The viewer's address (`c-ip`).
    pub client_ip: IpAddr,
    /// The viewer's source port (`c-port`).
    pub client_port: u16,
    /// The HTTP method (`cs-method`).
    pub method: String,
    /// The distribution's primary domain (`cs(Host)`).
    pub distribution_domain: String,
    /// The request path, without the query string (`cs-uri-stem`).
    pub uri_stem: String,
    /// The status code sent to the viewer (`sc-status`).
    pub status: u16,
    /// The `Referer` request header (`cs(Referer)`).
    pub referer: Option<String>,
    /// The `User-Agent` request header (`cs(User-Agent)`).
    pub user_agent: Option<String>,
    /// The query string, without the `?` (`cs-uri-query`).
    pub query: Option<String>,
    /// The `Cookie` request header (`cs(Cookie)`).
    pub cookie: Option<String>,
    /// How the edge classified the response (`x-edge-result-type`): `Hit`, `RefreshHit`,
    /// `Miss`, `LimitExceeded`, `CapacityExceeded`, `Error`, `Redirect`, ...
    pub result_type: String,
    /// The edge's unique id for this request (`x-edge-request-id`).
    pub request_id: String,
    /// The `Host` header the viewer sent (`x-host-header`).
    pub host_header: String,
    /// `http` or `https` (`cs-protocol`).
    pub protocol: String,
    /// Bytes received from the viewer, headers included (`cs-bytes`).
    pub cs_bytes: u64,
    /// From receiving the request to sending the last response byte (`time-taken`).
    pub time_taken: Duration,
    /// The `X-Forwarded-For` request header (`x-forwarded-for`).
    pub forwarded_for: Option<String>,
    /// The negotiated TLS version, e.g. `TLSv1.3` (`ssl-protocol`).
    pub tls_protocol: Option<String>,
    /// The negotiated cipher suite, e.g. `TLS_AES_128_GCM_SHA256` (`ssl-cipher`).
    pub tls_cipher: Option<String>,
    /// The result type of the response as sent, after any error handling
    /// (`x-edge-response-result-type`).
    pub response_result_type: String,
    /// `HTTP/1.1`, `HTTP/2.0`, ... (`cs-protocol-version`).
    pub protocol_version: String,
    /// From receiving the request to sending the first response byte (`time-to-first-byte`).
    pub time_to_first_byte: Duration,
    /// The detailed result type, e.g. `OriginConnectError` (`x-edge-detailed-result-type`).
    pub detailed_result_type: String,
    /// The response `Content-Type` (`sc-content-type`).
    pub content_type: Option<String>,
    /// The response `Content-Length` (`sc-content-len`).
    pub content_length: Option<u64>,
    /// First byte of a range response (`sc-range-start`).
    pub range_start: Option<u64>,
    /// Last byte of a range response (`sc-range-end`).
    pub range_end: Option<u64>,
    /// The distribution's id; written only in the JSON format (`distribution-id`).
    pub distribution_id: String,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fully populated record for format tests: 2024-03-05 06:07:08 UTC.
    pub(crate) fn sample() -> AccessLogRecord {
        AccessLogRecord {
            timestamp: SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_618_828),
            edge_location: "FRA1".into(),
            sc_bytes: 1_234,
            client_ip: IpAddr::from([192, 0, 2, 10]),
            client_port: 51_000,
            method: "GET".into(),
            distribution_domain: "d1.verge.example".into(),
            uri_stem: "/images/cat.jpg".into(),
            status: 200,
            referer: Some("https://example.com/".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
            query: Some("size=large".into()),
            cookie: None,
            result_type: "Hit".into(),
            request_id: "req-0001".into(),
            host_header: "www.example.com".into(),
            protocol: "https".into(),
            cs_bytes: 321,
            time_taken: Duration::from_millis(1_502),
            forwarded_for: None,
            tls_protocol: Some("TLSv1.3".into()),
            tls_cipher: Some("TLS_AES_128_GCM_SHA256".into()),
            response_result_type: "Hit".into(),
            protocol_version: "HTTP/2.0".into(),
            time_to_first_byte: Duration::from_micros(4_400),
            detailed_result_type: "Hit".into(),
            content_type: Some("image/jpeg".into()),
            content_length: Some(1_000),
            range_start: None,
            range_end: None,
            distribution_id: "E2EXAMPLE".into(),
        }
    }

    #[test]
    fn sample_is_cloneable_and_comparable() {
        let a = sample();
        assert_eq!(a.clone(), a);
    }
}
