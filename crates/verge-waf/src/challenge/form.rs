//! The verification form a solved interstitial posts (`application/x-www-form-urlencoded`):
//! `challenge` (the sealed puzzle), `solution` (the proof-of-work nonce), `answer` (the
//! CAPTCHA's characters) and `return` (the page to go back to). The body comes from the
//! viewer: its size and every field are bounded, and only local paths are returned to.

/// The largest form accepted, in bytes.
pub const MAX_FORM_LEN: usize = 8 * 1024;

/// The longest path (with query) a viewer is sent back to.
const MAX_RETURN_LEN: usize = 2048;

/// Why a form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// Larger than [`MAX_FORM_LEN`].
    #[error("the verification form is larger than {MAX_FORM_LEN} bytes")]
    TooLarge,
    /// Not UTF-8 after percent-decoding, or a bad percent escape.
    #[error("the verification form is not valid form encoding")]
    Encoding,
}

/// The fields of a verification form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// The sealed puzzle.
    pub challenge: Option<String>,
    /// The proof-of-work nonce.
    pub solution: Option<String>,
    /// The CAPTCHA answer as typed.
    pub answer: Option<String>,
    /// Where the viewer came from (any value; see [`Form::return_path`]).
    pub return_to: Option<String>,
}

impl Form {
    /// Parses a form body; the first of repeated fields wins and unknown fields are ignored.
    pub fn parse(body: &[u8]) -> Result<Self, FormError> {
        if body.len() > MAX_FORM_LEN {
            return Err(FormError::TooLarge);
        }
        let mut form = Form::default();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let slot = match decode(name)?.as_str() {
                "challenge" => &mut form.challenge,
                "solution" => &mut form.solution,
                "answer" => &mut form.answer,
                "return" => &mut form.return_to,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(decode(value)?);
            }
        }
        Ok(form)
    }

    /// The local path to send the viewer back to: `return` when it is a path on this site
    /// (`/...`, not `//host` or `/\host`, no control characters), else `/`.
    pub fn return_path(&self) -> &str {
        self.return_to
            .as_deref()
            .filter(|r| is_local_path(r))
            .unwrap_or("/")
    }
}

/// Whether `path` stays on the current site when used as a redirect target.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= MAX_RETURN_LEN
        && !path.bytes().any(|b| b.is_ascii_control() || b == b' ')
}

/// Percent-decodes a form component (`+` is a space).
fn decode(raw: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or(FormError::Encoding)?;
                let text = std::str::from_utf8(hex).map_err(|_| FormError::Encoding)?;
                out.push(u8::from_str_radix(text, 16).map_err(|_| FormError::Encoding)?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::Encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded() {
        let form = Form::parse(b"challenge=abc-_&solution=123&return=%2Fcart%3Fid%3D1+2&x=y")
            .expect("parses");
        assert_eq!(form.challenge.as_deref(), Some("abc-_"));
        assert_eq!(form.solution.as_deref(), Some("123"));
        assert_eq!(form.return_to.as_deref(), Some("/cart?id=1 2"));
        assert_eq!(form.answer, None);
        assert_eq!(form.return_path(), "/", "a space is not a path character");
        let form = Form::parse(b"answer=k7wpx&answer=other&return=%2Fa%3Fb").expect("parses");
        assert_eq!(form.answer.as_deref(), Some("k7wpx"));
        assert_eq!(form.return_path(), "/a?b");
    }

    #[test]
    fn bad_forms_are_refused() {
        assert_eq!(
            Form::parse(&[b'a'; MAX_FORM_LEN + 1]),
            Err(FormError::TooLarge)
        );
        assert_eq!(Form::parse(b"challenge=%zz"), Err(FormError::Encoding));
        assert_eq!(Form::parse(b"challenge=%4"), Err(FormError::Encoding));
        assert_eq!(Form::parse(b"challenge=%ff"), Err(FormError::Encoding));
        assert_eq!(Form::parse(b""), Ok(Form::default()));
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        for bad in [
            "https://evil.example",
            "//evil.example/",
            "/\\evil",
            "evil",
            "/a\r\nb",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
        assert!(is_local_path("/shop/cart?item=1"));
    }
}
