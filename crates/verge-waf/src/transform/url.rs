//! Percent-style and hexadecimal decodings: `URL_DECODE`, `URL_DECODE_UNI`, `HEX_DECODE`,
//! `SQL_HEX_DECODE`, and the reverse direction `UTF8_TO_UNICODE`.

use super::{hex_digit, hex_pair};

/// `URL_DECODE`: `%XX` becomes the byte, `+` a space; an invalid `%` is kept as is.
pub(super) fn url_decode(input: &[u8]) -> Option<Vec<u8>> {
    // Nothing to decode without a `%` or a `+`.
    memchr::memchr2(b'%', b'+', input)?;
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => match percent_byte(input, i) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out != input).then_some(out)
}

fn percent_byte(input: &[u8], i: usize) -> Option<u8> {
    let hi = *input.get(i + 1)?;
    let lo = *input.get(i + 2)?;
    hex_pair(hi, lo)
}

/// `URL_DECODE_UNI`: `URL_DECODE` plus IIS's `%uXXXX`. Full-width ASCII (U+FF01–U+FF5E)
/// becomes its ASCII twin; any other code point keeps only its lower byte. An invalid `%u`
/// is kept as is.
pub(super) fn url_decode_uni(input: &[u8]) -> Option<Vec<u8>> {
    // Nothing to decode without a `%` or a `+`.
    memchr::memchr2(b'%', b'+', input)?;
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' && matches!(input.get(i + 1), Some(b'u' | b'U')) {
            match unicode_escape(input.get(i + 2..i + 6)) {
                Some(decoded) => {
                    out.push(decoded);
                    i += 6;
                }
                None => {
                    out.extend_from_slice(&input[i..i + 2]);
                    i += 2;
                }
            }
        } else if b == b'%' {
            match percent_byte(input, i) {
                Some(decoded) => {
                    out.push(decoded);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            }
        } else {
            out.push(if b == b'+' { b' ' } else { b });
            i += 1;
        }
    }
    (out != input).then_some(out)
}

/// Decodes the four digits of `%uXXXX` / `\uXXXX` to one byte as ModSecurity does.
pub(super) fn unicode_escape(digits: Option<&[u8]>) -> Option<u8> {
    let d = digits?;
    let [a, b, c, e] = <[u8; 4]>::try_from(d).ok()?;
    let high = hex_pair(a, b)?;
    let low = hex_pair(c, e)?;
    if high == 0xff && (0x01..0x5f).contains(&low) {
        Some(low + 0x20)
    } else {
        Some(low)
    }
}

/// `HEX_DECODE`: each pair of hexadecimal digits becomes a byte. A character that does not
/// start a valid pair (and a trailing odd digit) is kept as is.
pub(super) fn hex_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 1);
    let mut i = 0;
    while i < input.len() {
        match input.get(i + 1).and_then(|&lo| hex_pair(input[i], lo)) {
            Some(b) => {
                out.push(b);
                i += 2;
            }
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    (out != input).then_some(out)
}

/// `SQL_HEX_DECODE`: a `0x` literal with at least two hex digits becomes the bytes it spells;
/// a trailing odd digit is kept. Other text is unchanged.
pub(super) fn sql_hex_decode(input: &[u8]) -> Option<Vec<u8>> {
    let starts = |i: usize| {
        input[i] == b'0'
            && matches!(input.get(i + 1), Some(b'x' | b'X'))
            && input.get(i + 2).and_then(|&a| hex_digit(a)).is_some()
            && input.get(i + 3).and_then(|&a| hex_digit(a)).is_some()
    };
    if !(0..input.len()).any(starts) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if starts(i) {
            i += 2;
            while let Some(b) = input.get(i + 1).and_then(|&lo| hex_pair(input[i], lo)) {
                out.push(b);
                i += 2;
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Some(out)
}

/// `UTF8_TO_UNICODE`: each well-formed multi-byte UTF-8 sequence becomes `%uXXXX` (lower-case
/// hex, at least four digits). ASCII and malformed bytes are kept as is.
pub(super) fn utf8_to_unicode(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_ascii() {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut rest = input;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                push_unicode(&mut out, valid);
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                // `valid_up_to` marks the end of the longest well-formed prefix.
                push_unicode(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len()).max(1).min(after.len());
                out.extend_from_slice(&after[..bad]);
                rest = &after[bad..];
            }
        }
    }
    (out != input).then_some(out)
}

fn push_unicode(out: &mut Vec<u8>, text: &str) {
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            out.extend_from_slice(format!("%u{:04x}", u32::from(c)).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn or_same(out: Option<Vec<u8>>, input: &[u8]) -> Vec<u8> {
        out.unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn url_decode_valid_and_invalid() {
        assert_eq!(url_decode(b"a%20b+c%2fd").unwrap(), b"a b c/d");
        assert_eq!(url_decode(b"100%"), None);
        assert_eq!(url_decode(b"%zz%4"), None);
        assert_eq!(url_decode(b"%00").unwrap(), b"\0");
        assert_eq!(url_decode(b"plain"), None);
    }

    #[test]
    fn url_decode_uni_handles_u_escapes() {
        assert_eq!(url_decode_uni(b"%u0041%uff0e%uFF0F").unwrap(), b"A./");
        assert_eq!(url_decode_uni(b"%u00zz"), None);
        assert_eq!(or_same(url_decode_uni(b"%u12+"), b""), b"%u12 ");
        assert_eq!(url_decode_uni(b"%41+%u263a").unwrap(), b"A :");
    }

    #[test]
    fn hex_decode_pairs() {
        assert_eq!(hex_decode(b"414243").unwrap(), b"ABC");
        assert_eq!(hex_decode(b"41zz4").unwrap(), b"Azz4");
        assert_eq!(hex_decode(b"zz"), None);
    }

    #[test]
    fn sql_hex_decode_literals() {
        assert_eq!(
            sql_hex_decode(b"SELECT 0x414243,1").unwrap(),
            b"SELECT ABC,1"
        );
        assert_eq!(sql_hex_decode(b"0X61626").unwrap(), b"ab6");
        assert_eq!(sql_hex_decode(b"0x4 and 0x"), None);
    }

    #[test]
    fn utf8_to_unicode_escapes_multibyte_only() {
        assert_eq!(
            utf8_to_unicode("é<\u{263a}".as_bytes()).unwrap(),
            b"%u00e9<%u263a"
        );
        assert_eq!(utf8_to_unicode("\u{1F600}".as_bytes()).unwrap(), b"%u1f600");
        assert_eq!(utf8_to_unicode(b"a\xffb\xc3"), None);
        assert_eq!(utf8_to_unicode(b"ascii"), None);
    }
}
