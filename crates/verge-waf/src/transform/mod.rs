//! Text transformations, applied to a field before it is inspected, with ModSecurity-compatible
//! semantics. Each transformation works on bytes and returns `None` when it would change
//! nothing, so a chain over clean input allocates nothing.

mod base64;
mod escape;
mod path;
mod text;
mod url;

use std::borrow::Cow;

use crate::model::field::{TextTransformation, TransformKind};

/// Applies one transformation. `None` means the output equals the input.
pub fn apply(kind: TransformKind, input: &[u8]) -> Option<Vec<u8>> {
    match kind {
        TransformKind::None => None,
        TransformKind::CompressWhiteSpace => text::compress_white_space(input),
        TransformKind::HtmlEntityDecode => escape::html_entity_decode(input),
        TransformKind::Lowercase => text::lowercase(input),
        TransformKind::CmdLine => text::cmd_line(input),
        TransformKind::UrlDecode => url::url_decode(input),
        TransformKind::Base64Decode => base64::decode(input),
        TransformKind::HexDecode => url::hex_decode(input),
        TransformKind::Md5 => Some(text::md5(input)),
        TransformKind::ReplaceComments => text::replace_comments(input),
        TransformKind::EscapeSeqDecode => escape::escape_seq_decode(input),
        TransformKind::SqlHexDecode => url::sql_hex_decode(input),
        TransformKind::CssDecode => escape::css_decode(input),
        TransformKind::JsDecode => escape::js_decode(input),
        TransformKind::NormalizePath => path::normalize(input, false),
        TransformKind::NormalizePathWin => path::normalize(input, true),
        TransformKind::RemoveNulls => text::remove_nulls(input),
        TransformKind::ReplaceNulls => text::replace_nulls(input),
        TransformKind::Base64DecodeExt => base64::decode_ext(input),
        TransformKind::UrlDecodeUni => url::url_decode_uni(input),
        TransformKind::Utf8ToUnicode => url::utf8_to_unicode(input),
        TransformKind::RemoveWhitespace => text::remove_whitespace(input),
        TransformKind::Trim => text::trim(input, true, true),
        TransformKind::TrimLeft => text::trim(input, true, false),
        TransformKind::TrimRight => text::trim(input, false, true),
        TransformKind::RemoveCommentsChar => text::remove_comment_chars(input),
        TransformKind::Uppercase => text::uppercase(input),
        TransformKind::Sha256 => Some(text::sha256(input)),
        // Limitation: validation refuses these three, so a compiled chain never holds them.
        TransformKind::CmdLineWin | TransformKind::CmdLineUnix | TransformKind::JsDecodeExt => None,
    }
}

/// A statement's transformations in the order they run (lowest priority first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    kinds: Vec<TransformKind>,
}

impl Chain {
    /// Orders the transformations by priority and drops `NONE`.
    pub fn new(transformations: &[TextTransformation]) -> Self {
        let mut sorted: Vec<&TextTransformation> = transformations.iter().collect();
        sorted.sort_by_key(|t| t.priority);
        Self {
            kinds: sorted
                .into_iter()
                .map(|t| t.kind)
                .filter(|k| *k != TransformKind::None)
                .collect(),
        }
    }

    /// Whether the chain leaves every input unchanged.
    pub fn is_identity(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Runs every transformation in order. Borrows the input when nothing changes it.
    pub fn apply<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        let mut value = Cow::Borrowed(input);
        for kind in &self.kinds {
            if let Some(changed) = apply(*kind, &value) {
                value = Cow::Owned(changed);
            }
        }
        value
    }
}

/// The value of one hexadecimal digit.
pub(crate) fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte two hexadecimal digits spell, if both are digits.
pub(crate) fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    Some(hex_digit(hi)? << 4 | hex_digit(lo)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(priority: i64, kind: TransformKind) -> TextTransformation {
        TextTransformation { priority, kind }
    }

    #[test]
    fn chain_runs_in_priority_order() {
        // URL-decode first, then lowercase: "%41" -> "A" -> "a".
        let chain = Chain::new(&[
            t(5, TransformKind::Lowercase),
            t(1, TransformKind::UrlDecode),
        ]);
        assert_eq!(&*chain.apply(b"%41BC"), b"abc");
        // The other order leaves the decoded capital.
        let chain = Chain::new(&[
            t(0, TransformKind::Lowercase),
            t(1, TransformKind::UrlDecode),
        ]);
        assert_eq!(&*chain.apply(b"%41BC"), b"Abc");
    }

    #[test]
    fn unchanged_input_is_borrowed() {
        let chain = Chain::new(&[
            t(0, TransformKind::UrlDecode),
            t(1, TransformKind::Lowercase),
            t(2, TransformKind::HtmlEntityDecode),
            t(3, TransformKind::NormalizePath),
        ]);
        assert!(matches!(chain.apply(b"/plain/path"), Cow::Borrowed(_)));
        assert!(Chain::new(&[t(0, TransformKind::None)]).is_identity());
    }

    /// Every transformation over many pseudo-random inputs: no panic, and `None` only when
    /// the output would equal the input.
    #[test]
    fn arbitrary_bytes_never_panic() {
        const ALPHABET: &[u8] =
            b"%uUxX0123456789abcdefABCDEF&#;\\/.*-+ \t\n\0'\"^,()lt\xa0\xc3\xa9\xff=";
        let kinds = [
            TransformKind::CompressWhiteSpace,
            TransformKind::HtmlEntityDecode,
            TransformKind::Lowercase,
            TransformKind::CmdLine,
            TransformKind::UrlDecode,
            TransformKind::Base64Decode,
            TransformKind::HexDecode,
            TransformKind::Md5,
            TransformKind::ReplaceComments,
            TransformKind::EscapeSeqDecode,
            TransformKind::SqlHexDecode,
            TransformKind::CssDecode,
            TransformKind::JsDecode,
            TransformKind::NormalizePath,
            TransformKind::NormalizePathWin,
            TransformKind::RemoveNulls,
            TransformKind::ReplaceNulls,
            TransformKind::Base64DecodeExt,
            TransformKind::UrlDecodeUni,
            TransformKind::Utf8ToUnicode,
            TransformKind::RemoveWhitespace,
            TransformKind::Trim,
            TransformKind::TrimLeft,
            TransformKind::TrimRight,
            TransformKind::RemoveCommentsChar,
            TransformKind::Uppercase,
            TransformKind::Sha256,
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let input: Vec<u8> = (0..len)
                .map(|i| ALPHABET[((seed >> (i % 50)) as usize + i * 7) % ALPHABET.len()])
                .collect();
            for kind in kinds {
                if let Some(out) = apply(kind, &input) {
                    let digest = matches!(kind, TransformKind::Md5 | TransformKind::Sha256);
                    let decode = matches!(
                        kind,
                        TransformKind::Base64Decode | TransformKind::Base64DecodeExt
                    );
                    assert!(
                        digest || decode || out != input,
                        "{kind:?} reported a change for {input:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn none_is_identity() {
        assert_eq!(apply(TransformKind::None, b"A%20B"), None);
    }
}
