//! Backslash and entity decodings: `HTML_ENTITY_DECODE`, `ESCAPE_SEQ_DECODE` (ANSI C),
//! `JS_DECODE` and `CSS_DECODE`, each following ModSecurity's treatment of odd input.

use super::url::unicode_escape;
use super::{hex_digit, hex_pair};

fn is_octal(b: u8) -> bool {
    (b'0'..=b'7').contains(&b)
}

/// `HTML_ENTITY_DECODE`: `&#DDD;`, `&#xHH;` (low byte of the value; the `;` is optional) and
/// `&quot; &amp; &lt; &gt; &nbsp;` (any case; `&nbsp;` becomes 0xA0). Anything else is kept.
pub(super) fn html_entity_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'&') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'&' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let (decoded, end) = match input.get(i + 1) {
            Some(b'#') => numeric_entity(input, i + 2),
            Some(_) => named_entity(input, i + 1),
            None => (None, i + 1),
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i = if input.get(end) == Some(&b';') {
                    end + 1
                } else {
                    end
                };
            }
            None => {
                out.extend_from_slice(&input[i..end]);
                i = end;
            }
        }
    }
    (out != input).then_some(out)
}

/// Decodes digits after `&#`; returns the byte (if any) and where the entity's digits end, or
/// where the copied-through prefix ends when there are no digits.
fn numeric_entity(input: &[u8], start: usize) -> (Option<u8>, usize) {
    let (radix, first) = match input.get(start) {
        Some(b'x' | b'X') => (16u64, start + 1),
        Some(_) => (10u64, start),
        None => return (None, start),
    };
    let mut value: u64 = 0;
    let mut end = first;
    while let Some(d) = input.get(end).and_then(|&b| digit_in(b, radix)) {
        value = value.saturating_mul(radix).saturating_add(u64::from(d));
        end += 1;
    }
    if end == first {
        (None, first.min(input.len()))
    } else {
        (Some((value & 0xff) as u8), end)
    }
}

fn digit_in(b: u8, radix: u64) -> Option<u8> {
    if radix == 16 {
        hex_digit(b)
    } else {
        b.is_ascii_digit().then(|| b - b'0')
    }
}

fn named_entity(input: &[u8], start: usize) -> (Option<u8>, usize) {
    let end = start
        + input[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
    let name = input[start..end].to_ascii_lowercase();
    let decoded = match name.as_slice() {
        b"quot" => Some(b'"'),
        b"amp" => Some(b'&'),
        b"lt" => Some(b'<'),
        b"gt" => Some(b'>'),
        b"nbsp" => Some(0xa0),
        _ => None,
    };
    (decoded, end)
}

/// Reads up to three octal digits at `start`; returns the value's low byte and the length.
fn octal(input: &[u8], start: usize, one_byte: bool) -> (u8, usize) {
    let mut len = input[start..]
        .iter()
        .take(3)
        .take_while(|&&b| is_octal(b))
        .count();
    // JavaScript stops at two digits when three would exceed one byte (\400 and up).
    if one_byte && len == 3 && input[start] > b'3' {
        len = 2;
    }
    let value = input[start..start + len]
        .iter()
        .fold(0u32, |acc, &b| acc * 8 + u32::from(b - b'0'));
    ((value & 0xff) as u8, len)
}

fn c_escape(b: u8) -> Option<u8> {
    Some(match b {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        _ => return None,
    })
}

/// `ESCAPE_SEQ_DECODE`: ANSI C escapes (`\n`, `\xHH`, `\OOO`, `\\`, `\?`, `\'`, `\"`, ...). As
/// in ModSecurity, an unrecognised escape keeps the character and drops the backslash; a
/// backslash at the very end is kept.
pub(super) fn escape_seq_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'\\') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let Some(&next) = input.get(i + 1).filter(|_| input[i] == b'\\') else {
            out.push(input[i]);
            i += 1;
            continue;
        };
        if let Some(c) = c_escape(next) {
            out.push(c);
            i += 2;
        } else if matches!(next, b'x' | b'X') {
            match input.get(i + 2..i + 4).and_then(|d| hex_pair(d[0], d[1])) {
                Some(b) => {
                    out.push(b);
                    i += 4;
                }
                None => {
                    out.push(next);
                    i += 2;
                }
            }
        } else if is_octal(next) {
            let (b, len) = octal(input, i + 1, false);
            out.push(b);
            i += 1 + len;
        } else {
            out.push(next);
            i += 2;
        }
    }
    (out != input).then_some(out)
}

/// `JS_DECODE`: `\uHHHH` (low byte; full-width ASCII mapped to ASCII), `\xHH`, `\OOO` (one
/// byte at most), the C letter escapes, and `\C` for any other C (the backslash is dropped).
pub(super) fn js_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'\\') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let Some(&next) = input.get(i + 1).filter(|_| input[i] == b'\\') else {
            out.push(input[i]);
            i += 1;
            continue;
        };
        if let Some(b) = (next == b'u')
            .then(|| unicode_escape(input.get(i + 2..i + 6)))
            .flatten()
        {
            out.push(b);
            i += 6;
        } else if let Some(b) = (next == b'x')
            .then(|| input.get(i + 2..i + 4).and_then(|d| hex_pair(d[0], d[1])))
            .flatten()
        {
            out.push(b);
            i += 4;
        } else if is_octal(next) {
            let (b, len) = octal(input, i + 1, true);
            out.push(b);
            i += 1 + len;
        } else {
            out.push(c_escape(next).unwrap_or(next));
            i += 2;
        }
    }
    (out != input).then_some(out)
}

/// `CSS_DECODE`: CSS 2 escapes. A backslash and 1–6 hex digits become the byte the last two
/// digits spell (full-width ASCII mapped to ASCII), and one following whitespace is consumed;
/// a backslash before a newline, or at the very end, disappears; before any other character
/// the backslash alone is dropped.
pub(super) fn css_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'\\') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        i += 1;
        let digits = input[i..]
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if digits > 0 {
            out.push(css_hex(&input[i..i + digits]));
            i += digits;
            if input
                .get(i)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0b)
            {
                i += 1;
            }
        } else if input.get(i) == Some(&b'\n') {
            i += 1;
        } else if let Some(&c) = input.get(i) {
            out.push(c);
            i += 1;
        }
    }
    (out != input).then_some(out)
}

fn css_hex(d: &[u8]) -> u8 {
    let n = d.len();
    let last = |k: usize| hex_digit(d[n - k]).unwrap_or(0);
    let low = if n == 1 {
        last(1)
    } else {
        last(2) << 4 | last(1)
    };
    // Full-width ASCII (U+FF01–U+FF5E) only when the code point fits in four digits.
    let leading_zeros_ok = match n {
        4 => true,
        5 => d[0] == b'0',
        6 => d[0] == b'0' && d[1] == b'0',
        _ => false,
    };
    let ff = n >= 4 && d[n - 4].eq_ignore_ascii_case(&b'f') && d[n - 3].eq_ignore_ascii_case(&b'f');
    if leading_zeros_ok && ff && (0x01..0x5f).contains(&low) {
        low + 0x20
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_entities() {
        assert_eq!(
            html_entity_decode(b"&lt;script&GT;&#97;&#x62;&#X63 &quot;&amp;&nbsp;").unwrap(),
            b"<script>abc \"&\xa0"
        );
        assert_eq!(html_entity_decode(b"&#x3c").unwrap(), b"<");
        assert_eq!(
            html_entity_decode(b"&#321;").unwrap(),
            [0x41],
            "low byte of 321"
        );
    }

    #[test]
    fn html_invalid_entities_are_kept() {
        assert_eq!(html_entity_decode(b"a & b &copy; &#; &#x; &"), None);
        assert_eq!(html_entity_decode(b"&unknown;&lt;").unwrap(), b"&unknown;<");
    }

    #[test]
    fn escape_sequences() {
        assert_eq!(
            escape_seq_decode(br#"a\nb\t\x41\101\\\?\'\""#).unwrap(),
            b"a\nb\tAA\\?'\""
        );
        assert_eq!(
            escape_seq_decode(br"\x4g\z").unwrap(),
            b"x4gz",
            "unknown escapes drop the backslash"
        );
        assert_eq!(escape_seq_decode(b"end\\"), None);
        assert_eq!(escape_seq_decode(br"\0").unwrap(), b"\0");
    }

    #[test]
    fn js_escapes() {
        assert_eq!(js_decode(br"\u0061\x62\143\n\'\uff0e").unwrap(), b"abc\n'.");
        assert_eq!(
            js_decode(br"\477").unwrap(),
            b"\x277",
            "three digits would overflow a byte"
        );
        assert_eq!(js_decode(br"\u00zz").unwrap(), b"u00zz");
        assert_eq!(js_decode(b"x\\"), None);
    }

    #[test]
    fn css_escapes() {
        assert_eq!(css_decode(br"\6a\61 vascript").unwrap(), b"javascript");
        assert_eq!(css_decode(br"\00ff0e\000041").unwrap(), b".A");
        assert_eq!(css_decode(b"a\\\nb\\").unwrap(), b"ab");
        assert_eq!(css_decode(br"\\\'").unwrap(), b"\\'");
        assert_eq!(css_decode(br"\1").unwrap(), [1]);
    }
}
