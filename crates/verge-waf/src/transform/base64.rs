//! `BASE64_DECODE` (strict: stops at the first character outside the alphabet) and
//! `BASE64_DECODE_EXT` (forgiving: skips such characters).

/// The 6-bit value of a base64 character; `-` and `_` are accepted only by the forgiving form.
fn value(b: u8, url_safe: bool) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        b'-' if url_safe => Some(62),
        b'_' if url_safe => Some(63),
        _ => None,
    }
}

/// Packs 6-bit values into bytes; a trailing partial byte is dropped, as decoders do.
fn pack(values: impl Iterator<Item = u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for v in values {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    out
}

/// `BASE64_DECODE`: decodes up to the first `=` or character outside the alphabet.
pub(super) fn decode(input: &[u8]) -> Option<Vec<u8>> {
    let values = input.iter().map_while(|&b| value(b, false));
    Some(pack(values))
}

/// `BASE64_DECODE_EXT`: decodes every alphabet character (including the URL-safe `-` and
/// `_`) and ignores everything else (`=`, whitespace, dots, ...).
pub(super) fn decode_ext(input: &[u8]) -> Option<Vec<u8>> {
    let values = input.iter().filter_map(|&b| value(b, true));
    Some(pack(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decode() {
        assert_eq!(decode(b"PHNjcmlwdD4=").unwrap(), b"<script>");
        assert_eq!(decode(b"YWJj").unwrap(), b"abc");
        assert_eq!(
            decode(b"YWI").unwrap(),
            b"ab",
            "missing padding is tolerated"
        );
        assert_eq!(
            decode(b"YWJj.ZGVm").unwrap(),
            b"abc",
            "stops at the first invalid character"
        );
        assert_eq!(decode(b"").unwrap(), b"");
    }

    #[test]
    fn forgiving_decode() {
        assert_eq!(decode_ext(b"YW Jj.ZG\nVm").unwrap(), b"abcdef");
        assert_eq!(decode_ext(b"PHNjcmlwdD4=").unwrap(), b"<script>");
        assert_eq!(decode_ext(b"-_-_").unwrap(), [0xfb, 0xff, 0xbf]);
    }
}
