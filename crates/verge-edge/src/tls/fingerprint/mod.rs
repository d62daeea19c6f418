//! JA3 and JA4 fingerprints of a viewer's TLS ClientHello, for web ACL statements on
//! `JA3Fingerprint` and `JA4Fingerprint` and for the WAF log. Pure: bytes in, strings out;
//! the listener captures the bytes (`server::hello_capture`) and a request asks for the
//! fingerprints the first time it needs them.

mod client_hello;
mod error;
mod ja3;
mod ja4;
mod reader;
mod record;
#[cfg(test)]
mod test_hello;

use std::sync::OnceLock;

pub use client_hello::ClientHello;
pub use error::ClientHelloError;
pub use ja3::{ja3_hash, ja3_string};
pub use ja4::{ja4, ja4_raw};
pub use record::{Progress, client_hello_message, progress};

/// A ClientHello's fingerprints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprints {
    /// JA3: the MD5 of `ja3_raw`, 32 lowercase hex digits.
    pub ja3: String,
    /// The JA3 string (`771,4865-4866-...,0-23-...,29-23-24,0`).
    pub ja3_raw: String,
    /// JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    pub ja4: String,
}

impl Fingerprints {
    /// The fingerprints of the ClientHello carried by the TLS records at the start of
    /// `records`.
    pub fn of_records(records: &[u8]) -> Result<Self, ClientHelloError> {
        Ok(Self::of(&ClientHello::from_records(records)?))
    }

    /// The fingerprints of a parsed ClientHello.
    pub fn of(hello: &ClientHello) -> Self {
        let ja3_raw = ja3_string(hello);
        Fingerprints {
            ja3: ja3_hash(&ja3_raw),
            ja3_raw,
            ja4: ja4(hello),
        }
    }
}

/// The ClientHello records a viewer sent on one connection, fingerprinted once, when a
/// request first asks (only requests a web ACL inspects do).
#[derive(Clone)]
pub struct ViewerHello {
    records: Box<[u8]>,
    fingerprints: OnceLock<Option<Fingerprints>>,
}

impl ViewerHello {
    /// Keeps the records of a connection's ClientHello.
    pub fn new(records: Vec<u8>) -> Self {
        ViewerHello {
            records: records.into_boxed_slice(),
            fingerprints: OnceLock::new(),
        }
    }

    /// The fingerprints, or `None` when the records are not a ClientHello this parser can
    /// read. rustls accepted them, so that would be a gap in this parser; the connection is
    /// served either way and statements on fingerprints take their fallback.
    pub fn fingerprints(&self) -> Option<&Fingerprints> {
        self.fingerprints
            .get_or_init(|| match Fingerprints::of_records(&self.records) {
                Ok(fingerprints) => Some(fingerprints),
                Err(error) => {
                    tracing::debug!(%error, "ClientHello not fingerprinted");
                    None
                }
            })
            .as_ref()
    }
}

impl std::fmt::Debug for ViewerHello {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerHello")
            .field("bytes", &self.records.len())
            .field("fingerprints", &self.fingerprints.get())
            .finish()
    }
}

/// Whether a value is one of the 16 GREASE values `0x?a?a` (RFC 8701 §2) clients add to
/// keep servers tolerant of unknown values; fingerprints leave them out.
pub fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Appends a value as 4 lowercase hex digits (without `fmt`, which here would cost more
/// than the hashing).
fn push_hex4(out: &mut String, value: u16) {
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX_DIGITS[usize::from((value >> shift) & 0x0f)]));
    }
}

/// Appends a value in decimal.
fn push_decimal(out: &mut String, value: u16) {
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    let mut rest = value;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::test_hello::{HelloSpec, records};
    use super::*;

    #[test]
    fn grease_is_the_sixteen_0x_a_a_values() {
        let grease: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        assert_eq!(grease.len(), 16);
        assert_eq!(grease.first(), Some(&0x0a0a));
        assert_eq!(grease.last(), Some(&0xfafa));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0xaaab));
    }

    #[test]
    fn a_viewer_hello_is_fingerprinted_once() {
        let bytes = records(&HelloSpec::chrome_143().message(), 512);
        let hello = ViewerHello::new(bytes.clone());
        let prints = hello.fingerprints().expect("fingerprinted");
        assert_eq!(prints.ja3, "98487aa16281980e7d1120d399efb6a4");
        assert_eq!(prints.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
        assert!(prints.ja3_raw.starts_with("771,4865-"));
        assert!(std::ptr::eq(prints, hello.fingerprints().expect("again")));
        assert_eq!(Fingerprints::of_records(&bytes).as_ref(), Ok(prints));
    }

    #[test]
    fn bytes_that_are_not_a_hello_have_no_fingerprints() {
        assert_eq!(
            ViewerHello::new(b"GET / HTTP/1.1\r\n\r\n".to_vec()).fingerprints(),
            None
        );
        let mut cut = records(&HelloSpec::chrome_143().message(), 512);
        cut.truncate(cut.len() - 1);
        assert_eq!(ViewerHello::new(cut).fingerprints(), None);
        assert_eq!(ViewerHello::new(Vec::new()).fingerprints(), None);
    }

    #[test]
    fn numbers_are_written_as_fmt_would() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        for value in [0, 7, 10, 99, 100, 4865, 0x0a0a, 65535] {
            let mut out = String::new();
            push_hex4(&mut out, value);
            push_decimal(&mut out, value);
            assert_eq!(out, format!("{value:04x}{value}"));
        }
    }
}
