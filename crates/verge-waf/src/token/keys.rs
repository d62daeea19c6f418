//! The key ring: ChaCha20-Poly1305 keys derived from the operator secret and the rotation
//! period, so no key state is kept and every POP with the same secret derives the same keys.
//! A sealed value names its period; the ring opens values of the current period, the three
//! before it (AWS's longest immunity time is three days) and the next (clock skew).

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::TokenError;

/// How long one key is current, in seconds.
pub const ROTATION_SECS: u64 = 86_400;

/// The shortest operator secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// Earlier periods whose keys still open values: together they cover AWS's longest
/// immunity time (259,200 seconds).
const PREVIOUS_PERIODS: u64 = 3;

/// The format of sealed values; a new layout gets a new number.
const VERSION: u8 = 1;

/// Version, purpose and period: authenticated, not encrypted.
const HEADER_LEN: usize = 6;

/// What a sealed value is for: values of one purpose never open as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An `aws-waf-token` cookie.
    Token = 1,
    /// A challenge or CAPTCHA handed to the viewer in an interstitial page.
    Challenge = 2,
}

/// Keys derived from an operator secret.
#[derive(Clone)]
pub struct KeyRing {
    master: hmac::Key,
    period_secs: u64,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("period_secs", &self.period_secs)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring whose keys rotate daily.
    pub fn new(secret: &[u8]) -> Result<Self, TokenError> {
        Self::with_period(secret, ROTATION_SECS)
    }

    /// A ring whose keys rotate every `period_secs` seconds (at least one).
    pub fn with_period(secret: &[u8], period_secs: u64) -> Result<Self, TokenError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(TokenError::ShortSecret(secret.len()));
        }
        Ok(Self {
            master: hmac::Key::new(hmac::HMAC_SHA256, secret),
            period_secs: period_secs.max(1),
        })
    }

    /// The key of one purpose and period: HMAC-SHA256 of the secret over both.
    fn key(&self, purpose: Purpose, period: u32) -> Result<LessSafeKey, TokenError> {
        let mut info = Vec::with_capacity(24);
        info.extend_from_slice(b"verge-waf-key/");
        info.push(purpose as u8);
        info.extend_from_slice(&period.to_be_bytes());
        let material = hmac::sign(&self.master, &info);
        let key = UnboundKey::new(&CHACHA20_POLY1305, material.as_ref())
            .map_err(|_| TokenError::Crypto)?;
        Ok(LessSafeKey::new(key))
    }

    /// A new random secret, 32 bytes from the system's secure generator as 64 hex digits.
    pub fn new_secret() -> Result<String, TokenError> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| TokenError::Crypto)?;
        Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    fn period(&self, now: u64) -> u32 {
        u32::try_from(now / self.period_secs).unwrap_or(u32::MAX)
    }

    /// Seals `plain` under the current key, as unpadded base64url:
    /// `version | purpose | period | nonce | ciphertext | tag`.
    pub fn seal(&self, purpose: Purpose, now: u64, plain: &[u8]) -> Result<String, TokenError> {
        let period = self.period(now);
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + plain.len() + 16);
        out.push(VERSION);
        out.push(purpose as u8);
        out.extend_from_slice(&period.to_be_bytes());
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| TokenError::Crypto)?;
        out.extend_from_slice(&nonce);

        let mut sealed = plain.to_vec();
        let header: [u8; HEADER_LEN] = header(&out);
        self.key(purpose, period)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header),
                &mut sealed,
            )
            .map_err(|_| TokenError::Crypto)?;
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a value [`KeyRing::seal`] made for `purpose`, if its key is still accepted.
    pub fn open(&self, purpose: Purpose, now: u64, text: &str) -> Result<Vec<u8>, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| TokenError::Malformed)?;
        if bytes.len() < HEADER_LEN + NONCE_LEN + 16
            || bytes[0] != VERSION
            || bytes[1] != purpose as u8
        {
            return Err(TokenError::Malformed);
        }
        let period = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
        let current = u64::from(self.period(now));
        let oldest = current.saturating_sub(PREVIOUS_PERIODS);
        if u64::from(period) < oldest || u64::from(period) > current + 1 {
            return Err(TokenError::UnknownKey);
        }

        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[HEADER_LEN..HEADER_LEN + NONCE_LEN]);
        let mut sealed = bytes[HEADER_LEN + NONCE_LEN..].to_vec();
        let plain = self
            .key(purpose, period)?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header(&bytes)),
                &mut sealed,
            )
            .map_err(|_| TokenError::Forged)?;
        Ok(plain.to_vec())
    }
}

fn header(bytes: &[u8]) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&bytes[..HEADER_LEN]);
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            KeyRing::new(b"short").map(|_| ()),
            Err(TokenError::ShortSecret(5))
        );
    }

    #[test]
    fn values_of_one_purpose_do_not_open_as_another() {
        let ring = KeyRing::new(b"0123456789abcdef").expect("long enough");
        let sealed = ring
            .seal(Purpose::Challenge, 1000, b"hello")
            .expect("sealed");
        assert_eq!(
            ring.open(Purpose::Challenge, 1000, &sealed).as_deref(),
            Ok(&b"hello"[..])
        );
        assert_eq!(
            ring.open(Purpose::Token, 1000, &sealed),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn keys_rotate_and_previous_ones_still_open() {
        let ring = KeyRing::with_period(b"0123456789abcdef", 10).expect("long enough");
        let sealed = ring.seal(Purpose::Token, 100, b"x").expect("sealed");
        let later = ring.seal(Purpose::Token, 110, b"x").expect("sealed");
        assert_ne!(sealed[..8], later[..8], "another period, another key id");
        for now in [95, 100, 110, 120, 139] {
            assert!(ring.open(Purpose::Token, now, &sealed).is_ok(), "at {now}");
        }
        assert_eq!(
            ring.open(Purpose::Token, 140, &sealed),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(
            ring.open(Purpose::Token, 80, &sealed),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn the_same_secret_opens_on_another_pop() {
        let here = KeyRing::new(b"shared by every POP").expect("long enough");
        let there = KeyRing::new(b"shared by every POP").expect("long enough");
        let sealed = here.seal(Purpose::Token, 5_000_000, b"t").expect("sealed");
        assert!(there.open(Purpose::Token, 5_000_001, &sealed).is_ok());
    }
}
