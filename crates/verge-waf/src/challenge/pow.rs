//! The silent challenge's proof of work: find a decimal nonce such that
//! SHA-256(`seed` ":" `nonce`) starts with `difficulty` zero bits. The interstitial's script
//! (`solver.js`) searches exactly this; the edge checks one hash.

use sha2::{Digest, Sha256};

/// The longest nonce accepted, in decimal digits (a `u64`).
const MAX_NONCE_DIGITS: usize = 20;

/// How many leading zero bits a digest has.
pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

fn digest(seed: &str, nonce: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(seed.as_bytes());
    hash.update(b":");
    hash.update(nonce.as_bytes());
    hash.finalize().into()
}

/// Whether `nonce` (1 to 20 decimal digits) solves the challenge `seed` at `difficulty`.
pub fn verify(seed: &str, nonce: &str, difficulty: u8) -> bool {
    let digits = !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_DIGITS
        && nonce.bytes().all(|b| b.is_ascii_digit());
    digits && leading_zero_bits(&digest(seed, nonce)) >= u32::from(difficulty)
}

/// The smallest nonce that solves the challenge, searched the way the interstitial's script
/// searches (from zero upwards).
pub fn solve(seed: &str, difficulty: u8) -> u64 {
    (0..u64::MAX)
        .find(|n| leading_zero_bits(&digest(seed, &n.to_string())) >= u32::from(difficulty))
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_bits_are_counted_across_bytes() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x1f, 0xff]), 19);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn a_found_nonce_verifies_and_others_do_not() {
        let found = solve("seed-abc", 12);
        assert!(verify("seed-abc", &found.to_string(), 12));
        assert!((0..found).all(|n| !verify("seed-abc", &n.to_string(), 12)));
        assert!(!verify("seed-abc", "", 0));
        assert!(!verify("seed-abc", "12a", 0));
        assert!(!verify("seed-abc", &"1".repeat(21), 0));
        assert!(verify("seed-abc", "7", 0), "difficulty 0 takes any nonce");
    }

    #[test]
    fn the_digest_is_sha256_of_seed_colon_nonce() {
        // SHA-256("abc:1"), computed independently.
        let expected = "bfcf0b9cbe9d8208b2cddd9a01c31a9a60698a106a0e4fc1664233a15f16acec";
        let got: String = digest("abc", "1")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, expected);
    }
}
