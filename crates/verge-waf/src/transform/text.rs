//! Character-level transformations: case, whitespace, NUL bytes, comments, command-line
//! obfuscation and the MD5 digest.

use md5::{Digest, Md5};
use sha2::Sha256;

/// `LOWERCASE`: ASCII A–Z to a–z.
pub(super) fn lowercase(input: &[u8]) -> Option<Vec<u8>> {
    input
        .iter()
        .any(u8::is_ascii_uppercase)
        .then(|| input.to_ascii_lowercase())
}

/// The whitespace `COMPRESS_WHITE_SPACE` folds: space, \t, \n, \v, \f, \r and the
/// non-breaking space (0xA0).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// `COMPRESS_WHITE_SPACE`: every run of whitespace becomes one space.
pub(super) fn compress_white_space(input: &[u8]) -> Option<Vec<u8>> {
    let needed = input.windows(2).any(|w| is_space(w[0]) && is_space(w[1]))
        || input.iter().any(|&b| is_space(b) && b != b' ');
    if !needed {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
    Some(out)
}

/// `CMD_LINE`: deletes `\ " ' ^`, turns `, ;` and whitespace runs into one space, deletes a
/// space before `/` or `(`, and lowercases.
pub(super) fn cmd_line(input: &[u8]) -> Option<Vec<u8>> {
    if cmd_line_keeps(input) {
        return None;
    }
    let out = cmd_line_rewrite(input);
    (out != input).then_some(out)
}

/// The `CMD_LINE` rewrite itself, without the fast path.
fn cmd_line_rewrite(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !in_space {
                    out.push(b' ');
                    in_space = true;
                }
            }
            b'/' | b'(' => {
                if in_space && out.last() == Some(&b' ') {
                    out.pop();
                }
                out.push(b);
                in_space = false;
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                in_space = false;
            }
        }
    }
    out
}

/// Whether `CMD_LINE` would leave the input as it is, checked without allocating: nothing to
/// delete, replace or lowercase, no double space and no space before `/` or `(`.
fn cmd_line_keeps(input: &[u8]) -> bool {
    let mut after_space = false;
    for &b in input {
        let changes = match b {
            b'\\' | b'"' | b'\'' | b'^' | b',' | b';' | b'\t' | b'\r' | b'\n' => true,
            b' ' | b'/' | b'(' => after_space,
            _ => b.is_ascii_uppercase(),
        };
        if changes {
            return false;
        }
        after_space = b == b' ';
    }
    true
}

/// `UPPERCASE`: ASCII a–z to A–Z.
pub(super) fn uppercase(input: &[u8]) -> Option<Vec<u8>> {
    input
        .iter()
        .any(u8::is_ascii_lowercase)
        .then(|| input.to_ascii_uppercase())
}

/// `REMOVE_WHITESPACE`: drops every whitespace byte (the `COMPRESS_WHITE_SPACE` set).
pub(super) fn remove_whitespace(input: &[u8]) -> Option<Vec<u8>> {
    input
        .iter()
        .any(|&b| is_space(b))
        .then(|| input.iter().copied().filter(|&b| !is_space(b)).collect())
}

/// `TRIM`, `TRIM_LEFT`, `TRIM_RIGHT`.
pub(super) fn trim(input: &[u8], left: bool, right: bool) -> Option<Vec<u8>> {
    let start = if left {
        input
            .iter()
            .position(|&b| !is_space(b))
            .unwrap_or(input.len())
    } else {
        0
    };
    let end = if right {
        input
            .iter()
            .rposition(|&b| !is_space(b))
            .map_or(start, |e| e + 1)
    } else {
        input.len()
    };
    let end = end.max(start);
    (start > 0 || end < input.len()).then(|| input[start..end].to_vec())
}

/// `REMOVE_COMMENTS_CHAR`: deletes `/*`, `*/`, `--` and `#`, keeping everything else.
pub(super) fn remove_comment_chars(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let pair = input.get(i..i + 2);
        if matches!(pair, Some(b"/*" | b"*/" | b"--")) {
            i += 2;
        } else if input[i] == b'#' {
            i += 1;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    (out.len() != input.len()).then_some(out)
}

/// `SHA256`: the 32-byte binary digest.
pub(super) fn sha256(input: &[u8]) -> Vec<u8> {
    Sha256::digest(input).to_vec()
}

/// `REMOVE_NULLS`.
pub(super) fn remove_nulls(input: &[u8]) -> Option<Vec<u8>> {
    input
        .contains(&0)
        .then(|| input.iter().copied().filter(|&b| b != 0).collect())
}

/// `REPLACE_NULLS`: NUL becomes a space.
pub(super) fn replace_nulls(input: &[u8]) -> Option<Vec<u8>> {
    input.contains(&0).then(|| {
        input
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect()
    })
}

/// `MD5`: the 16-byte binary digest.
pub(super) fn md5(input: &[u8]) -> Vec<u8> {
    Md5::digest(input).to_vec()
}

/// `REPLACE_COMMENTS`: each C-style `/* ... */` comment becomes one space; an unterminated
/// comment runs to the end and also becomes one space. A lone `*/` is left alone.
pub(super) fn replace_comments(input: &[u8]) -> Option<Vec<u8>> {
    memchr::memmem::find(input, b"/*")?;
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i..].starts_with(b"/*") {
            out.push(b' ');
            match input[i + 2..].windows(2).position(|w| w == b"*/") {
                Some(end) => i += 2 + end + 2,
                None => i = input.len(),
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_ascii_only() {
        assert_eq!(lowercase(b"SeLeCT \xC3\x89").unwrap(), b"select \xC3\x89");
        assert_eq!(lowercase(b"already lower"), None);
    }

    #[test]
    fn compress_white_space_folds_runs_and_kinds() {
        assert_eq!(
            compress_white_space(b"a  b\t\tc\r\n\x0b\x0cd\xa0e").unwrap(),
            b"a b c d e"
        );
        assert_eq!(compress_white_space(b"a b c"), None);
        assert_eq!(compress_white_space(b"a\tb").unwrap(), b"a b");
    }

    #[test]
    fn cmd_line_undoes_obfuscation() {
        assert_eq!(
            cmd_line(b"C^at /E\"tc/pa''ss\\wd").unwrap(),
            b"cat/etc/passwd"
        );
        assert_eq!(cmd_line(b"ls ,; -la  (x)").unwrap(), b"ls -la(x)");
        assert_eq!(cmd_line(b"echo hi"), None);
    }

    /// The allocation-free check agrees with running the transformation.
    #[test]
    fn cmd_line_keeps_exactly_what_it_would_not_change() {
        for input in [
            "ls -la",
            "ls  -la",
            "ls /tmp",
            "a (b)",
            "x,y",
            "CAT",
            "plain",
            "",
            " ",
            "a b c",
            "tab\there",
            "q'uote",
            "/abs",
            " /",
            "a  ",
            "end ",
        ] {
            let bytes = input.as_bytes();
            let changed = cmd_line_rewrite(bytes) != bytes;
            assert_eq!(cmd_line_keeps(bytes), !changed, "{input:?}");
            assert_eq!(cmd_line(bytes).is_some(), changed, "{input:?}");
        }
    }

    #[test]
    fn nulls() {
        assert_eq!(remove_nulls(b"a\0b\0").unwrap(), b"ab");
        assert_eq!(replace_nulls(b"a\0b").unwrap(), b"a b");
        assert_eq!(remove_nulls(b"ab"), None);
        assert_eq!(replace_nulls(b"ab"), None);
    }

    #[test]
    fn md5_is_binary_digest() {
        let digest = md5(b"abc");
        assert_eq!(digest.len(), 16);
        assert_eq!(digest[..4], [0x90, 0x01, 0x50, 0x98]);
    }

    #[test]
    fn newer_aws_types() {
        assert_eq!(uppercase(b"select").unwrap(), b"SELECT");
        assert_eq!(uppercase(b"UP"), None);
        assert_eq!(remove_whitespace(b" a\tb\n c\xa0").unwrap(), b"abc");
        assert_eq!(trim(b"  a b  ", true, true).unwrap(), b"a b");
        assert_eq!(trim(b"  a b  ", true, false).unwrap(), b"a b  ");
        assert_eq!(trim(b"  a b  ", false, true).unwrap(), b"  a b");
        assert_eq!(trim(b"   ", true, true).unwrap(), b"");
        assert_eq!(trim(b"ab", true, true), None);
        assert_eq!(remove_comment_chars(b"1/*x*/or--#1").unwrap(), b"1xor1");
        assert_eq!(remove_comment_chars(b"a-b*c/d"), None);
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    #[test]
    fn replace_comments_handles_unterminated() {
        assert_eq!(
            replace_comments(b"UNION/**/SELECT").unwrap(),
            b"UNION SELECT"
        );
        assert_eq!(replace_comments(b"a/* x */b/* open").unwrap(), b"a b ");
        assert_eq!(replace_comments(b"a */ b"), None);
        assert_eq!(replace_comments(b"/*/").unwrap(), b" ");
    }
}
