//! A small, strict JSON scanner for `JsonBody`. It yields every key and scalar value with its
//! JSON pointer, and on malformed input stops but keeps what it read, which is what AWS
//! evaluates when `InvalidFallbackBehavior` is absent.

use std::borrow::Cow;

use super::Extracted;
use crate::model::field::{BodyParsingFallbackBehavior, MatchScope};

/// Nesting deeper than this is treated as invalid JSON.
const MAX_DEPTH: usize = 256;

/// A key or scalar value found in a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonToken {
    /// The pointer (RFC 6901) of the member or element: for a key, the member it names.
    pub pointer: String,
    /// Whether this is an object key (else a scalar value).
    pub is_key: bool,
    /// The unescaped string, or the literal text of a number, `true`, `false` or `null`.
    pub text: Vec<u8>,
}

struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
    pointer: String,
    tokens: Vec<JsonToken>,
}

/// Scans a document. Returns the tokens read and whether the whole input was valid JSON.
pub fn scan(input: &[u8]) -> (Vec<JsonToken>, bool) {
    let mut s = Scanner {
        input,
        pos: 0,
        pointer: String::new(),
        tokens: Vec::new(),
    };
    let valid = s.value(0).is_some() && {
        s.skip_ws();
        s.pos == input.len()
    };
    (s.tokens, valid)
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.input.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == b).then(|| self.pos += 1)
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => {
                let text = self.string()?;
                self.emit(false, text);
                Some(())
            }
            _ => {
                let text = self.literal()?;
                self.emit(false, text);
                Some(())
            }
        }
    }

    fn emit(&mut self, is_key: bool, text: Vec<u8>) {
        self.tokens.push(JsonToken {
            pointer: self.pointer.clone(),
            is_key,
            text,
        });
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            let parent = self.pointer.len();
            self.pointer.push('/');
            for c in String::from_utf8_lossy(&key).chars() {
                match c {
                    '~' => self.pointer.push_str("~0"),
                    '/' => self.pointer.push_str("~1"),
                    _ => self.pointer.push(c),
                }
            }
            self.emit(true, key);
            self.eat(b':')?;
            self.value(depth + 1)?;
            self.pointer.truncate(parent);
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        let mut index = 0usize;
        loop {
            let parent = self.pointer.len();
            self.pointer.push('/');
            self.pointer.push_str(&index.to_string());
            self.value(depth + 1)?;
            self.pointer.truncate(parent);
            index += 1;
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self) -> Option<Vec<u8>> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'-' | b'+' | b'.' | b'E')
        ) {
            self.pos += 1;
        }
        let text = &self.input[start..self.pos];
        let ok = matches!(text, b"true" | b"false" | b"null") || is_number(text);
        ok.then(|| text.to_vec())
    }

    fn string(&mut self) -> Option<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => return Some(out),
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let c = self.unicode()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.input.get(self.pos..self.pos + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        let value = u32::from_str_radix(text, 16).ok()?;
        self.pos += 4;
        Some(value)
    }

    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xd800..0xdc00).contains(&first)
            && self.input.get(self.pos..self.pos + 2) == Some(b"\\u")
        {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xdc00..0xe000).contains(&second) {
                let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                return Some(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.pos = save;
        }
        Some(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER))
    }
}

fn is_number(text: &[u8]) -> bool {
    let s = text.strip_prefix(b"-").unwrap_or(text);
    let int_len = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_len == 0 || (int_len > 1 && s[0] == b'0') {
        return false;
    }
    let mut rest = &s[int_len..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let n = exp.iter().take_while(|b| b.is_ascii_digit()).count();
        return n > 0 && n == exp.len();
    }
    rest.is_empty()
}

fn included(pointer: &str, paths: &[String]) -> bool {
    paths.iter().any(|p| {
        p.is_empty()
            || pointer == p
            || (pointer.starts_with(p.as_str()) && pointer.as_bytes().get(p.len()) == Some(&b'/'))
    })
}

/// `JsonBody` extraction with AWS's scope, path and invalid-body rules.
pub(super) fn extract<'b>(
    body: &'b [u8],
    paths: Option<&[String]>,
    scope: MatchScope,
    invalid: Option<BodyParsingFallbackBehavior>,
) -> Extracted<'b> {
    let (tokens, valid) = scan(body);
    if !valid {
        match invalid {
            Some(BodyParsingFallbackBehavior::Match) => return Extracted::Match,
            Some(BodyParsingFallbackBehavior::NoMatch) => return Extracted::NoMatch,
            Some(BodyParsingFallbackBehavior::EvaluateAsString) => {
                return Extracted::Values(vec![Cow::Borrowed(body)]);
            }
            None => {}
        }
    }
    let values = tokens
        .into_iter()
        .filter(|t| match scope {
            MatchScope::All => true,
            MatchScope::Key => t.is_key,
            MatchScope::Value => !t.is_key,
        })
        .filter(|t| paths.is_none_or(|p| included(&t.pointer, p)))
        .map(|t| Cow::Owned(t.text))
        .collect();
    Extracted::Values(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(e: Extracted<'_>) -> Vec<String> {
        match e {
            Extracted::Values(v) => v
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect(),
            other => panic!("expected values, got {other:?}"),
        }
    }

    #[test]
    fn scans_keys_values_and_pointers() {
        let (tokens, valid) =
            scan(br#"{"a": [1, "x\u0041", {"b/c": null}], "d": -1.5e3, "e": true}"#);
        assert!(valid);
        let got: Vec<(&str, bool, &[u8])> = tokens
            .iter()
            .map(|t| (t.pointer.as_str(), t.is_key, t.text.as_slice()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/a", true, &b"a"[..]),
                ("/a/0", false, b"1"),
                ("/a/1", false, b"xA"),
                ("/a/2/b~1c", true, b"b/c"),
                ("/a/2/b~1c", false, b"null"),
                ("/d", true, b"d"),
                ("/d", false, b"-1.5e3"),
                ("/e", true, b"e"),
                ("/e", false, b"true"),
            ]
        );
    }

    #[test]
    fn invalid_json_keeps_what_parsed() {
        let (tokens, valid) = scan(br#"{"a": "ok", "b": tru"#);
        assert!(!valid);
        assert_eq!(tokens.len(), 3);
        assert!(!scan(b"{} x").1);
        assert!(!scan(b"01").1);
        assert!(!scan(&[b'['; 300]).1, "too deep");
        assert!(scan(b" \"lone string\" ").1);
    }

    #[test]
    fn truncated_documents_never_panic() {
        let doc =
            br#"{"a": [1, -2.5e+3, "x\u00e9\ud83d\ude00\"", {"b": [true, false, null]}], "c": {}}"#;
        assert!(scan(doc).1);
        for end in 0..doc.len() {
            let (tokens, valid) = scan(&doc[..end]);
            assert!(!valid || end == 0 && tokens.is_empty() || end == doc.len());
        }
    }

    #[test]
    fn extract_applies_scope_paths_and_fallback() {
        let body = br#"{"user": {"name": "bob", "tags": ["x"]}, "q": "1 OR 1=1"}"#;
        assert_eq!(
            texts(extract(body, None, MatchScope::Key, None)),
            ["user", "name", "tags", "q"]
        );
        let paths = vec!["/user".to_owned()];
        assert_eq!(
            texts(extract(body, Some(&paths), MatchScope::Value, None)),
            ["bob", "x"]
        );
        assert_eq!(
            texts(extract(body, Some(&paths), MatchScope::All, None)),
            ["user", "name", "bob", "tags", "x"]
        );
        let bad = b"{\"q\": \"x\"";
        assert_eq!(
            extract(
                bad,
                None,
                MatchScope::All,
                Some(BodyParsingFallbackBehavior::Match)
            ),
            Extracted::Match
        );
        assert_eq!(
            extract(
                bad,
                None,
                MatchScope::All,
                Some(BodyParsingFallbackBehavior::NoMatch)
            ),
            Extracted::NoMatch
        );
        let as_string = extract(
            bad,
            None,
            MatchScope::All,
            Some(BodyParsingFallbackBehavior::EvaluateAsString),
        );
        assert_eq!(texts(as_string), ["{\"q\": \"x\""]);
        assert_eq!(texts(extract(bad, None, MatchScope::Value, None)), ["x"]);
    }
}
