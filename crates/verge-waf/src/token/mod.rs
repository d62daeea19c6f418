//! AWS WAF tokens: the `aws-waf-token` cookie a viewer gets after solving a challenge or a
//! CAPTCHA, sealed under keys derived from an operator secret so that every POP sharing the
//! secret accepts the same tokens. The edge opens the cookie into a [`TokenState`] and hands
//! it to evaluation, which checks the domain and the solve times against immunity times.

mod codec;
mod domain;
mod keys;
mod verdict;

pub(crate) use domain::normalise_host;
pub use domain::{accepts_domain, token_domain};
pub use keys::{KeyRing, MIN_SECRET_LEN, Purpose, ROTATION_SECS};
pub use verdict::TokenFailure;
pub(crate) use verdict::{Kind, TokenContext};

/// The cookie AWS WAF stores its token in.
pub const TOKEN_COOKIE: &str = "aws-waf-token";

/// The longest cookie value Verge tries to open; longer values are rejected unread.
pub const MAX_TOKEN_LEN: usize = 1024;

/// Seconds a timestamp may lie in the future (clocks of POPs differ a little).
pub const CLOCK_SKEW_SECS: u64 = 300;

/// What a token records: the domain it was issued for and when the viewer last solved a
/// challenge and a CAPTCHA. AWS tokens are not bound to the client address, and neither are
/// Verge's: viewers move between networks and POPs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The domain the token is valid for (`www.example.com`, or a token domain such as
    /// `example.com` that covers its subdomains).
    pub domain: String,
    /// When the token was sealed, in seconds since the Unix epoch.
    pub issued_at: u64,
    /// When the viewer last solved a challenge, if ever.
    pub challenge_at: Option<u64>,
    /// When the viewer last solved a CAPTCHA, if ever.
    pub captcha_at: Option<u64>,
}

/// Errors of sealing and opening tokens and challenges.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The operator secret is too short to derive keys from.
    #[error("the token secret is {0} bytes; use at least {MIN_SECRET_LEN}")]
    ShortSecret(usize),
    /// The text is not a sealed value of the expected kind (bad encoding, unknown version,
    /// wrong purpose, too long).
    #[error("malformed sealed value")]
    Malformed,
    /// The key the value names is not in the ring (too old, or from the far future).
    #[error("sealed under a key that is no longer accepted")]
    UnknownKey,
    /// Authentication failed: the value was altered or sealed under another secret.
    #[error("the sealed value does not authenticate")]
    Forged,
    /// The system random generator or the cipher failed.
    #[error("the cipher failed")]
    Crypto,
}

/// The viewer's token as the edge found it, for evaluation.
#[derive(Debug, Clone, Copy, Default)]
pub enum TokenState<'a> {
    /// The request carries no `aws-waf-token` cookie.
    #[default]
    Absent,
    /// A cookie is there but does not open (altered, truncated, sealed under an unknown key).
    Invalid,
    /// A token that opened; its domain and solve times are checked during evaluation.
    Present(&'a Token),
}

impl Token {
    /// Seals the token into a cookie value.
    pub fn seal(&self, keys: &KeyRing, now: u64) -> Result<String, TokenError> {
        keys.seal(Purpose::Token, now, &codec::encode(self))
    }

    /// Opens a cookie value sealed by [`Token::seal`] under a key the ring still accepts.
    pub fn open(keys: &KeyRing, value: &str, now: u64) -> Result<Token, TokenError> {
        if value.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let plain = keys.open(Purpose::Token, now, value)?;
        codec::decode(&plain).ok_or(TokenError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_750_000_000;

    fn ring() -> KeyRing {
        KeyRing::new(b"0123456789abcdef0123456789abcdef").expect("long enough")
    }

    fn token() -> Token {
        Token {
            domain: "www.example.com".to_owned(),
            issued_at: NOW,
            challenge_at: Some(NOW - 5),
            captcha_at: None,
        }
    }

    #[test]
    fn a_sealed_token_opens_into_the_same_token() {
        let sealed = token().seal(&ring(), NOW).expect("sealed");
        assert!(sealed.len() < 200, "{}", sealed.len());
        assert!(
            sealed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Token::open(&ring(), &sealed, NOW + 60), Ok(token()));
    }

    #[test]
    fn altered_tokens_do_not_open() {
        let sealed = token().seal(&ring(), NOW).expect("sealed");
        let mut bytes = sealed.clone().into_bytes();
        for i in [0, 8, 20, bytes.len() - 1] {
            let original = bytes[i];
            bytes[i] = if original == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes.clone()).expect("ascii");
            assert!(Token::open(&ring(), &altered, NOW).is_err(), "byte {i}");
            bytes[i] = original;
        }
        assert!(Token::open(&ring(), &sealed[..sealed.len() - 3], NOW).is_err());
        assert!(Token::open(&ring(), "", NOW).is_err());
        assert!(Token::open(&ring(), "not base64 !", NOW).is_err());
        assert!(Token::open(&ring(), &"A".repeat(5000), NOW).is_err());
        let other = KeyRing::new(b"another secret of enough length").expect("long enough");
        assert_eq!(Token::open(&other, &sealed, NOW), Err(TokenError::Forged));
    }

    #[test]
    fn a_token_opens_for_three_rotations_then_no_more() {
        let sealed = token().seal(&ring(), NOW).expect("sealed");
        let day = ROTATION_SECS;
        assert!(Token::open(&ring(), &sealed, NOW + 3 * day).is_ok());
        assert_eq!(
            Token::open(&ring(), &sealed, NOW + 5 * day),
            Err(TokenError::UnknownKey)
        );
        // A POP whose clock is a little behind still accepts it.
        assert!(Token::open(&ring(), &sealed, NOW - 60).is_ok());
    }
}
