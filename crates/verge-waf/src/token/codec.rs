//! A token's plaintext layout: `version | issued_at | challenge_at | captcha_at | domain`,
//! times as big-endian seconds (0 when never solved) and the domain length-prefixed. Only
//! values that authenticated reach `decode`, yet it still checks every length.

use super::Token;

const VERSION: u8 = 1;
const FIXED_LEN: usize = 1 + 8 * 3 + 1;

/// The bytes sealed for a token.
pub(super) fn encode(token: &Token) -> Vec<u8> {
    let domain = &token.domain.as_bytes()[..token.domain.len().min(255)];
    let mut out = Vec::with_capacity(FIXED_LEN + domain.len());
    out.push(VERSION);
    out.extend_from_slice(&token.issued_at.to_be_bytes());
    out.extend_from_slice(&token.challenge_at.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(&token.captcha_at.unwrap_or(0).to_be_bytes());
    // Domains are at most 253 bytes (RFC 1035 §2.3.4); a longer one is cut, and then will
    // not match any host.
    out.push(domain.len() as u8);
    out.extend_from_slice(domain);
    out
}

/// The token in opened bytes, if they have the layout.
pub(super) fn decode(bytes: &[u8]) -> Option<Token> {
    if bytes.len() < FIXED_LEN || bytes[0] != VERSION {
        return None;
    }
    let time = |at: usize| {
        let mut be = [0u8; 8];
        be.copy_from_slice(&bytes[at..at + 8]);
        u64::from_be_bytes(be)
    };
    let solved = |t: u64| (t != 0).then_some(t);
    let len = usize::from(bytes[FIXED_LEN - 1]);
    let domain = bytes.get(FIXED_LEN..FIXED_LEN + len)?;
    if bytes.len() != FIXED_LEN + len {
        return None;
    }
    Some(Token {
        domain: std::str::from_utf8(domain).ok()?.to_owned(),
        issued_at: time(1),
        challenge_at: solved(time(9)),
        captcha_at: solved(time(17)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_layouts() {
        let token = Token {
            domain: "example.com".to_owned(),
            issued_at: 7,
            challenge_at: None,
            captcha_at: Some(9),
        };
        let bytes = encode(&token);
        assert_eq!(decode(&bytes), Some(token));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[bytes.as_slice(), b"x"].concat()), None);
        assert_eq!(decode(&[]), None);
        let mut other = bytes.clone();
        other[0] = 2;
        assert_eq!(decode(&other), None);
    }
}
