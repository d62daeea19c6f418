//! Reads the viewer's `Accept-Encoding` (RFC 9110 §12.5.3) and picks the edge's encoding.

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

use super::Encoding;

/// The encodings the edge offers, most preferred first; a tie in q-value goes to the earlier.
const PREFERENCE: [Encoding; 3] = [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

/// The encoding to compress in for a viewer sending `request_headers`, or `None` when the
/// viewer accepts none of them. The highest q-value wins, ties go to `br`, then `zstd`, then
/// `gzip`; `q=0` refuses a coding, `*` stands for every coding not listed, and malformed
/// elements are ignored.
pub fn negotiate(request_headers: &HeaderMap) -> Option<Encoding> {
    negotiate_among(request_headers, |_| true)
}

/// [`negotiate`] among the encodings `allowed` accepts (a cache policy's enabled encodings).
pub fn negotiate_among(
    request_headers: &HeaderMap,
    allowed: impl Fn(Encoding) -> bool,
) -> Option<Encoding> {
    let mut explicit: [Option<u16>; 3] = [None; 3];
    let mut any: Option<u16> = None;

    for value in request_headers.get_all(ACCEPT_ENCODING) {
        let Ok(text) = value.to_str() else {
            continue;
        };
        for (coding, weight) in text.split(',').filter_map(parse_element) {
            let slot = if coding == "*" {
                &mut any
            } else {
                let Some(index) = PREFERENCE.iter().position(|e| named(*e, coding)) else {
                    continue;
                };
                &mut explicit[index]
            };
            // The first mention of a coding counts; later repeats are ignored.
            slot.get_or_insert(weight);
        }
    }

    let mut best: Option<(Encoding, u16)> = None;
    for (encoding, weight) in PREFERENCE.into_iter().zip(explicit) {
        let weight = weight.or(any).unwrap_or(0);
        if weight > 0 && allowed(encoding) && best.is_none_or(|(_, top)| weight > top) {
            best = Some((encoding, weight));
        }
    }
    best.map(|(encoding, _)| encoding)
}

/// Whether `coding` names `encoding`; `x-gzip` is an alias of `gzip` (RFC 9110 §8.4.1.3).
fn named(encoding: Encoding, coding: &str) -> bool {
    coding.eq_ignore_ascii_case(encoding.as_str())
        || (encoding == Encoding::Gzip && coding.eq_ignore_ascii_case("x-gzip"))
}

/// One `codings [ weight ]` element: the coding and its q-value in thousandths.
fn parse_element(element: &str) -> Option<(&str, u16)> {
    let mut parts = element.split(';');
    let coding = parts.next()?.trim();
    if coding.is_empty() {
        return None;
    }

    let mut weight = 1000;
    for parameter in parts {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            weight = parse_qvalue(value.trim())?;
        }
    }
    Some((coding, weight))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 9110 §12.4.2), in
/// thousandths.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match whole {
        "1" => fraction.bytes().all(|b| b == b'0').then_some(1000),
        "0" => {
            let digits = fraction.bytes().map(|b| u16::from(b - b'0'));
            let padded = digits.chain(std::iter::repeat(0)).take(3);
            Some(padded.fold(0, |total, digit| total * 10 + digit))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn pick(values: &[&'static str]) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT_ENCODING, HeaderValue::from_static(value));
        }
        negotiate(&headers)
    }

    #[test]
    fn prefers_br_then_zstd_then_gzip() {
        assert_eq!(pick(&["gzip, deflate, br, zstd"]), Some(Encoding::Brotli));
        assert_eq!(pick(&["gzip, zstd"]), Some(Encoding::Zstd));
        assert_eq!(pick(&["gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["GZIP"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["x-gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["gzip", "br"]), Some(Encoding::Brotli));
    }

    #[test]
    fn highest_q_value_wins() {
        assert_eq!(pick(&["br;q=0.5, gzip;q=0.8"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["br;q=0.999, gzip;q=1.000"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["gzip ; Q=1, br;q=1.0"]), Some(Encoding::Brotli));
        assert_eq!(pick(&["zstd;q=0.1, gzip;q=0.01"]), Some(Encoding::Zstd));
    }

    #[test]
    fn q_zero_refuses() {
        assert_eq!(pick(&["br;q=0, gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["gzip;q=0.000"]), None);
        assert_eq!(pick(&["identity"]), None);
        assert_eq!(pick(&[""]), None);
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn star_covers_unlisted_codings() {
        assert_eq!(pick(&["*"]), Some(Encoding::Brotli));
        assert_eq!(pick(&["br;q=0, *;q=0.5"]), Some(Encoding::Zstd));
        assert_eq!(pick(&["*;q=0.2, gzip;q=0.5"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["*;q=0"]), None);
        assert_eq!(pick(&["*;q=0, gzip"]), Some(Encoding::Gzip));
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(pick(&["br;q=2, gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["br;q=0.1234, gzip;q=0.1"]), Some(Encoding::Gzip));
        assert_eq!(pick(&["br;q=abc, gzip;q=-1, zstd;q"]), None);
        assert_eq!(pick(&[",,; ;=;q=,br;;"]), None);
        assert_eq!(
            pick(&[";q=1, gzip;q=1.5, zstd;q=0.5"]),
            Some(Encoding::Zstd)
        );
        assert_eq!(pick(&["br;q=1.", "gzip;q=0."]), Some(Encoding::Brotli));
    }

    #[test]
    fn non_ascii_values_are_skipped() {
        let mut headers = HeaderMap::new();
        let opaque = HeaderValue::from_bytes(b"br\xff").expect("obs-text is a valid value");
        headers.append(ACCEPT_ENCODING, opaque);
        headers.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(negotiate(&headers), Some(Encoding::Gzip));
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.123"), Some(123));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("1.00"), Some(1000));
        assert_eq!(parse_qvalue("1.01"), None);
        assert_eq!(parse_qvalue(".5"), None);
        assert_eq!(parse_qvalue(""), None);
    }
}
