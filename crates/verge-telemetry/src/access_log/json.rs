//! The JSON lines format: one object per viewer request, keyed by CloudFront's field names,
//! plus `distribution-id`. Numbers stay numbers, missing values are `null`, and text is
//! written as received (JSON escaping already keeps each record on one line).

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use super::record::AccessLogRecord;
use super::timestamp::date_and_time;

/// A borrowed view of a record in the shape of one JSON line.
#[derive(Serialize)]
struct JsonLine<'a> {
    date: String,
    time: String,
    #[serde(rename = "x-edge-location")]
    edge_location: &'a str,
    #[serde(rename = "sc-bytes")]
    sc_bytes: u64,
    #[serde(rename = "c-ip")]
    client_ip: IpAddr,
    #[serde(rename = "cs-method")]
    method: &'a str,
    #[serde(rename = "cs(Host)")]
    distribution_domain: &'a str,
    #[serde(rename = "cs-uri-stem")]
    uri_stem: &'a str,
    #[serde(rename = "sc-status")]
    status: u16,
    #[serde(rename = "cs(Referer)")]
    referer: Option<&'a str>,
    #[serde(rename = "cs(User-Agent)")]
    user_agent: Option<&'a str>,
    #[serde(rename = "cs-uri-query")]
    query: Option<&'a str>,
    #[serde(rename = "cs(Cookie)")]
    cookie: Option<&'a str>,
    #[serde(rename = "x-edge-result-type")]
    result_type: &'a str,
    #[serde(rename = "x-edge-request-id")]
    request_id: &'a str,
    #[serde(rename = "x-host-header")]
    host_header: &'a str,
    #[serde(rename = "cs-protocol")]
    protocol: &'a str,
    #[serde(rename = "cs-bytes")]
    cs_bytes: u64,
    #[serde(rename = "time-taken")]
    time_taken: f64,
    #[serde(rename = "x-forwarded-for")]
    forwarded_for: Option<&'a str>,
    #[serde(rename = "ssl-protocol")]
    tls_protocol: Option<&'a str>,
    #[serde(rename = "ssl-cipher")]
    tls_cipher: Option<&'a str>,
    #[serde(rename = "x-edge-response-result-type")]
    response_result_type: &'a str,
    #[serde(rename = "cs-protocol-version")]
    protocol_version: &'a str,
    #[serde(rename = "fle-status")]
    fle_status: Option<&'a str>,
    #[serde(rename = "fle-encrypted-fields")]
    fle_encrypted_fields: Option<&'a str>,
    #[serde(rename = "c-port")]
    client_port: u16,
    #[serde(rename = "time-to-first-byte")]
    time_to_first_byte: f64,
    #[serde(rename = "x-edge-detailed-result-type")]
    detailed_result_type: &'a str,
    #[serde(rename = "sc-content-type")]
    content_type: Option<&'a str>,
    #[serde(rename = "sc-content-len")]
    content_length: Option<u64>,
    #[serde(rename = "sc-range-start")]
    range_start: Option<u64>,
    #[serde(rename = "sc-range-end")]
    range_end: Option<u64>,
    #[serde(rename = "distribution-id")]
    distribution_id: &'a str,
}

/// Appends one record as a JSON object followed by a newline to `out`.
pub(crate) fn write_line(record: &AccessLogRecord, out: &mut String) {
    let (date, time) = date_and_time(record.timestamp);
    let line = JsonLine {
        date,
        time,
        edge_location: &record.edge_location,
        sc_bytes: record.sc_bytes,
        client_ip: record.client_ip,
        method: &record.method,
        distribution_domain: &record.distribution_domain,
        uri_stem: &record.uri_stem,
        status: record.status,
        referer: record.referer.as_deref(),
        user_agent: record.user_agent.as_deref(),
        query: record.query.as_deref(),
        cookie: record.cookie.as_deref(),
        result_type: &record.result_type,
        request_id: &record.request_id,
        host_header: &record.host_header,
        protocol: &record.protocol,
        cs_bytes: record.cs_bytes,
        time_taken: millis_as_seconds(record.time_taken),
        forwarded_for: record.forwarded_for.as_deref(),
        tls_protocol: record.tls_protocol.as_deref(),
        tls_cipher: record.tls_cipher.as_deref(),
        response_result_type: &record.response_result_type,
        protocol_version: &record.protocol_version,
        fle_status: None,
        fle_encrypted_fields: None,
        client_port: record.client_port,
        time_to_first_byte: millis_as_seconds(record.time_to_first_byte),
        detailed_result_type: &record.detailed_result_type,
        content_type: record.content_type.as_deref(),
        content_length: record.content_length,
        range_start: record.range_start,
        range_end: record.range_end,
        distribution_id: &record.distribution_id,
    };

    match serde_json::to_string(&line) {
        Ok(json) => {
            out.push_str(&json);
            out.push('\n');
        }
        // Serialising plain strings and numbers cannot fail; if it ever does, lose one line.
        Err(error) => tracing::debug!(%error, "Access log record not serialisable"),
    }
}

/// Seconds with millisecond precision, matching the CloudFront format's three decimals.
fn millis_as_seconds(value: Duration) -> f64 {
    // u128 -> f64 loses precision only past 2^53 ms (about 285,000 years).
    value.as_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::cloudfront::FIELD_NAMES;
    use crate::access_log::record::tests::sample;
    use serde_json::Value;

    fn parse(record: &AccessLogRecord) -> serde_json::Map<String, Value> {
        let mut out = String::new();
        write_line(record, &mut out);
        assert!(out.ends_with('\n'));
        assert_eq!(out.matches('\n').count(), 1);
        match serde_json::from_str(&out) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {other:?}"),
        }
    }

    #[test]
    fn keys_are_cloudfront_field_names_plus_distribution_id() {
        let map = parse(&sample());
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = FIELD_NAMES.to_vec();
        expected.push("distribution-id");
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted_keys, expected);
    }

    #[test]
    fn numbers_are_numbers_and_missing_is_null() {
        let map = parse(&sample());
        assert_eq!(map["sc-status"], Value::from(200));
        assert_eq!(map["sc-bytes"], Value::from(1_234));
        assert_eq!(map["c-port"], Value::from(51_000));
        assert_eq!(map["time-taken"], Value::from(1.502));
        assert_eq!(map["time-to-first-byte"], Value::from(0.004));
        assert_eq!(map["cs(Cookie)"], Value::Null);
        assert_eq!(map["sc-range-start"], Value::Null);
        assert_eq!(map["fle-status"], Value::Null);
        assert_eq!(map["c-ip"], Value::from("192.0.2.10"));
        assert_eq!(map["cs(Host)"], Value::from("d1.verge.example"));
        assert_eq!(map["distribution-id"], Value::from("E2EXAMPLE"));
        assert_eq!(map["date"], Value::from("2024-03-05"));
    }

    #[test]
    fn text_is_kept_verbatim() {
        let mut record = sample();
        record.user_agent = Some("curl/8.0 \"quoted\"\nnext".into());
        let map = parse(&record);
        assert_eq!(
            map["cs(User-Agent)"],
            Value::from("curl/8.0 \"quoted\"\nnext")
        );
    }
}
