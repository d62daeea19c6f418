//! The CloudFront standard log format (version 1): a W3C header, then one line of 33
//! tab-separated fields per viewer request, with `-` for missing values.

use std::fmt::Write as _;
use std::time::Duration;

use super::record::AccessLogRecord;
use super::timestamp::date_and_time;

/// The 33 field names, in the order every line writes them (the `#Fields:` header).
pub const FIELD_NAMES: [&str; 33] = [
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// What a missing value is written as.
const MISSING: &str = "-";

/// The two W3C header lines a CloudFront-format file starts with, newline-terminated.
pub fn header() -> String {
    format!("#Version: 1.0\n#Fields: {}\n", FIELD_NAMES.join(" "))
}

/// Appends one record as a tab-separated line, newline included, to `out`.
pub(crate) fn write_line(record: &AccessLogRecord, out: &mut String) {
    let (date, time) = date_and_time(record.timestamp);
    let mut line = Line { out, first: true };

    line.raw(&date);
    line.raw(&time);
    line.text(&record.edge_location);
    line.number(record.sc_bytes);
    line.display(record.client_ip);
    line.text(&record.method);
    line.text(&record.distribution_domain);
    line.text(&record.uri_stem);
    line.number(record.status);
    line.optional_text(record.referer.as_deref());
    line.optional_text(record.user_agent.as_deref());
    line.optional_text(record.query.as_deref());
    line.optional_text(record.cookie.as_deref());
    line.text(&record.result_type);
    line.text(&record.request_id);
    line.text(&record.host_header);
    line.text(&record.protocol);
    line.number(record.cs_bytes);
    line.seconds(record.time_taken);
    line.optional_text(record.forwarded_for.as_deref());
    line.optional_text(record.tls_protocol.as_deref());
    line.optional_text(record.tls_cipher.as_deref());
    line.text(&record.response_result_type);
    line.text(&record.protocol_version);
    line.raw(MISSING);
    line.raw(MISSING);
    line.number(record.client_port);
    line.seconds(record.time_to_first_byte);
    line.text(&record.detailed_result_type);
    line.optional_text(record.content_type.as_deref());
    line.optional_number(record.content_length);
    line.optional_number(record.range_start);
    line.optional_number(record.range_end);

    line.out.push('\n');
}

/// A line being built; inserts the tab before every field but the first.
struct Line<'a> {
    out: &'a mut String,
    first: bool,
}

impl Line<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.out.push('\t');
        }
        self.first = false;
    }

    /// A value Verge produced itself and knows to be safe (dates, `-`).
    fn raw(&mut self, value: &str) {
        self.separate();
        self.out.push_str(value);
    }

    fn display(&mut self, value: impl std::fmt::Display) {
        self.separate();
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{value}");
    }

    fn number(&mut self, value: impl Into<u64>) {
        self.display(value.into());
    }

    fn optional_number(&mut self, value: Option<u64>) {
        match value {
            Some(n) => self.number(n),
            None => self.raw(MISSING),
        }
    }

    fn seconds(&mut self, value: Duration) {
        self.separate();
        let _ = write!(self.out, "{:.3}", value.as_secs_f64());
    }

    /// Any text that may carry viewer input; encoded so it cannot split the line.
    fn text(&mut self, value: &str) {
        self.separate();
        if value.is_empty() {
            self.out.push_str(MISSING);
        } else {
            encode_into(value, self.out);
        }
    }

    fn optional_text(&mut self, value: Option<&str>) {
        self.text(value.unwrap_or(""));
    }
}

/// Percent-encodes every byte that could split or confuse a log line: controls, space,
/// `"`, `\` and anything outside printable ASCII. `%` is kept, since request targets
/// arrive already percent-encoded.
fn encode_into(value: &str, out: &mut String) {
    for &byte in value.as_bytes() {
        if needs_encoding(byte) {
            let _ = write!(out, "%{byte:02X}");
        } else {
            out.push(char::from(byte));
        }
    }
}

fn needs_encoding(byte: u8) -> bool {
    !(0x21..=0x7e).contains(&byte) || byte == b'"' || byte == b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::record::tests::sample;

    fn line_of(record: &AccessLogRecord) -> String {
        let mut out = String::new();
        write_line(record, &mut out);
        out
    }

    #[test]
    fn writes_33_fields_in_order() {
        let line = line_of(&sample());
        assert!(line.ends_with('\n'));
        let fields: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), 33);
        assert_eq!(fields.len(), FIELD_NAMES.len());
        assert_eq!(
            fields,
            vec![
                "2024-03-05",
                "06:07:08",
                "FRA1",
                "1234",
                "192.0.2.10",
                "GET",
                "d1.verge.example",
                "/images/cat.jpg",
                "200",
                "https://example.com/",
                "Mozilla/5.0%20(X11;%20Linux%20x86_64)",
                "size=large",
                "-",
                "Hit",
                "req-0001",
                "www.example.com",
                "https",
                "321",
                "1.502",
                "-",
                "TLSv1.3",
                "TLS_AES_128_GCM_SHA256",
                "Hit",
                "HTTP/2.0",
                "-",
                "-",
                "51000",
                "0.004",
                "Hit",
                "image/jpeg",
                "1000",
                "-",
                "-",
            ]
        );
    }

    #[test]
    fn missing_values_are_dashes() {
        let mut record = sample();
        record.referer = None;
        record.user_agent = Some(String::new());
        record.tls_protocol = None;
        record.tls_cipher = None;
        record.content_type = None;
        record.content_length = None;
        let line = line_of(&record);
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        for index in [9, 10, 20, 21, 29, 30] {
            assert_eq!(fields[index], "-", "field {}", FIELD_NAMES[index]);
        }
    }

    #[test]
    fn viewer_text_cannot_break_the_line() {
        let mut record = sample();
        record.user_agent = Some("evil\tagent\r\nnext \"line\" \\ é".into());
        record.uri_stem = "/a%20b c".into();
        let line = line_of(&record);
        assert_eq!(line.matches('\n').count(), 1);
        assert_eq!(line.matches('\t').count(), 32);
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        assert_eq!(
            fields[10],
            "evil%09agent%0D%0Anext%20%22line%22%20%5C%20%C3%A9"
        );
        assert_eq!(fields[7], "/a%20b%20c");
    }

    #[test]
    fn ipv6_viewer_and_ranges() {
        let mut record = sample();
        record.client_ip = "2001:db8::1".parse().expect("valid literal");
        record.range_start = Some(0);
        record.range_end = Some(99);
        let line = line_of(&record);
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        assert_eq!(fields[4], "2001:db8::1");
        assert_eq!(&fields[31..], &["0", "99"]);
    }

    #[test]
    fn header_lists_every_field() {
        let header = header();
        let mut lines = header.lines();
        assert_eq!(lines.next(), Some("#Version: 1.0"));
        let fields = lines.next().and_then(|l| l.strip_prefix("#Fields: "));
        assert_eq!(fields.map(|f| f.split(' ').count()), Some(33));
        assert!(header.contains("date time x-edge-location sc-bytes c-ip"));
    }
}
