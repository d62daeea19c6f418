//! The puzzle an interstitial hands out, sealed so the viewer can neither read nor forge it:
//! its kind, when it was issued, the host it is for, the proof-of-work seed and difficulty,
//! and for a CAPTCHA the answer. Layout: `kind | issued_at | difficulty | seed | host | answer`,
//! the last two length-prefixed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::token::{KeyRing, Purpose, TokenError};

const SEED_LEN: usize = 16;
const FIXED_LEN: usize = 1 + 8 + 1 + SEED_LEN;

/// Which interstitial a puzzle belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PuzzleKind {
    /// The silent challenge: a proof of work the page's script solves.
    Challenge = 1,
    /// The CAPTCHA: characters a person reads from an image.
    Captcha = 2,
}

/// A puzzle, open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Puzzle {
    /// The interstitial it belongs to.
    pub kind: PuzzleKind,
    /// When it was issued, in seconds since the Unix epoch.
    pub issued_at: u64,
    /// The host it was issued for, normalised.
    pub host: String,
    /// Random bytes that make every proof of work different.
    pub seed: [u8; SEED_LEN],
    /// Leading zero bits the proof of work needs (0 for a CAPTCHA).
    pub difficulty: u8,
    /// The CAPTCHA's characters (empty for a challenge).
    pub answer: String,
}

impl Puzzle {
    /// A puzzle with a fresh random seed.
    pub fn new(
        kind: PuzzleKind,
        issued_at: u64,
        host: String,
        difficulty: u8,
        answer: String,
    ) -> Result<Self, TokenError> {
        let mut seed = [0u8; SEED_LEN];
        aws_lc_rs::rand::fill(&mut seed).map_err(|_| TokenError::Crypto)?;
        Ok(Self {
            kind,
            issued_at,
            host,
            seed,
            difficulty,
            answer,
        })
    }

    /// The seed as the page shows it and the proof of work hashes it (base64url).
    pub fn seed_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.seed)
    }

    /// Seals the puzzle for the page's form.
    pub fn seal(&self, keys: &KeyRing, now: u64) -> Result<String, TokenError> {
        let host = &self.host.as_bytes()[..self.host.len().min(255)];
        let answer = &self.answer.as_bytes()[..self.answer.len().min(255)];
        let mut out = Vec::with_capacity(FIXED_LEN + 2 + host.len() + answer.len());
        out.push(self.kind as u8);
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.push(self.difficulty);
        out.extend_from_slice(&self.seed);
        // Lengths fit a byte: both were cut to 255 above.
        out.push(host.len() as u8);
        out.extend_from_slice(host);
        out.push(answer.len() as u8);
        out.extend_from_slice(answer);
        keys.seal(Purpose::Challenge, now, &out)
    }

    /// Opens a sealed puzzle (any kind; the caller checks which).
    pub fn open(keys: &KeyRing, text: &str, now: u64) -> Result<Self, TokenError> {
        let bytes = keys.open(Purpose::Challenge, now, text)?;
        decode(&bytes).ok_or(TokenError::Malformed)
    }
}

fn decode(bytes: &[u8]) -> Option<Puzzle> {
    let kind = match bytes.first()? {
        1 => PuzzleKind::Challenge,
        2 => PuzzleKind::Captcha,
        _ => return None,
    };
    let mut at = [0u8; 8];
    at.copy_from_slice(bytes.get(1..9)?);
    let difficulty = *bytes.get(9)?;
    let mut seed = [0u8; SEED_LEN];
    seed.copy_from_slice(bytes.get(10..FIXED_LEN)?);
    let (host, rest) = prefixed(bytes.get(FIXED_LEN..)?)?;
    let (answer, rest) = prefixed(rest)?;
    if !rest.is_empty() {
        return None;
    }
    Some(Puzzle {
        kind,
        issued_at: u64::from_be_bytes(at),
        host: std::str::from_utf8(host).ok()?.to_owned(),
        seed,
        difficulty,
        answer: std::str::from_utf8(answer).ok()?.to_owned(),
    })
}

/// A length-prefixed field and what follows it.
fn prefixed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first()?;
    let len = usize::from(*len);
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puzzles_round_trip_and_do_not_open_as_tokens() {
        let keys = KeyRing::new(b"0123456789abcdef").expect("long enough");
        let puzzle = Puzzle::new(
            PuzzleKind::Captcha,
            1000,
            "www.example.com".to_owned(),
            0,
            "K7WPX".to_owned(),
        )
        .expect("random");
        let sealed = puzzle.seal(&keys, 1000).expect("sealed");
        assert!(!sealed.contains("K7WPX"));
        assert_eq!(Puzzle::open(&keys, &sealed, 1010), Ok(puzzle.clone()));
        assert!(crate::token::Token::open(&keys, &sealed, 1010).is_err());
        assert_eq!(puzzle.seed_text().len(), 22);
    }

    #[test]
    fn bad_layouts_are_refused() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[3; 40]), None);
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&[0; 8 + 1 + SEED_LEN]);
        bytes.extend_from_slice(&[2, b'a', b'b', 0]);
        assert!(decode(&bytes).is_some());
        bytes.push(0);
        assert_eq!(decode(&bytes), None, "trailing bytes");
        assert_eq!(decode(&bytes[..bytes.len() - 3]), None, "cut short");
    }
}
