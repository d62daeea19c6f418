//! `ByteMatchStatement.SearchString`: AWS's API carries it as a base64 blob (what the CLI
//! prints), the console's rule editor as plain text. This file decides which form a string is in.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer};

/// A byte-match search string, decoded.
///
/// The JSON value is read as **base64** when all of these hold, and as **plain text** otherwise:
///
/// 1. it is canonical, padded, standard base64 (`A–Z a–z 0–9 + /`, length a multiple of 4,
///    `=` only as trailing padding), at least 4 characters long;
/// 2. its decoding is valid UTF-8;
/// 3. the decoding contains no control characters other than tab, CR and LF.
///
/// Plain words almost never satisfy all three: a four-letter word such as `test` decodes to
/// bytes that are not UTF-8, and a string with `.`, `-`, `<`, `'`, a space or `%` is not base64
/// at all. A plain-text search string that does pass the test (for example `YWJj`, which
/// decodes to `abc`) must be written in base64 to be matched literally — which is exactly how
/// the CLI prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchString {
    /// The string as it appears in the JSON.
    pub raw: String,
    /// The bytes searched for.
    pub bytes: Vec<u8>,
    /// Whether `raw` was read as base64.
    pub was_base64: bool,
}

impl SearchString {
    /// Reads a search string, applying the rule in the type's documentation.
    pub fn parse(raw: &str) -> Self {
        match decode_if_base64(raw) {
            Some(bytes) => Self {
                raw: raw.to_owned(),
                bytes,
                was_base64: true,
            },
            None => Self {
                raw: raw.to_owned(),
                bytes: raw.as_bytes().to_vec(),
                was_base64: false,
            },
        }
    }
}

fn decode_if_base64(raw: &str) -> Option<Vec<u8>> {
    if raw.len() < 4 || raw.len() & 3 != 0 {
        return None;
    }
    let bytes = STANDARD.decode(raw).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\r' | '\n'));
    (printable && !bytes.is_empty()).then_some(bytes)
}

impl<'de> Deserialize<'de> for SearchString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(Self::parse(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_base64_is_decoded() {
        let s = SearchString::parse("L2FkbWlu");
        assert_eq!(s.bytes, b"/admin");
        assert!(s.was_base64);
        assert_eq!(SearchString::parse("PHNjcmlwdD4=").bytes, b"<script>");
    }

    #[test]
    fn console_plain_text_is_kept() {
        for plain in [
            "test", "/admin", "admin", "password", "<script>", "' or 1=1", "a",
        ] {
            let s = SearchString::parse(plain);
            assert_eq!(s.bytes, plain.as_bytes(), "{plain}");
            assert!(!s.was_base64, "{plain}");
        }
    }

    #[test]
    fn base64_of_binary_stays_plain() {
        // "AAAA" decodes to three NUL bytes: not printable, so it is taken literally.
        assert_eq!(SearchString::parse("AAAA").bytes, b"AAAA");
    }
}
