//! The CAPTCHA and Challenge interstitials: the pages a viewer gets when a rule asks for a
//! solved puzzle (built from plain inputs), and the verification of the form a solved page
//! posts, which yields the viewer's new token. The edge serves both under the reserved
//! prefix [`PATH_PREFIX`], before the web ACL evaluates.
//!
//! Puzzles are sealed and stateless: a puzzle is valid for a few minutes on the host it was
//! issued for, on any POP sharing the token secret.

mod captcha;
mod form;
mod glyphs;
mod page;
mod pow;
mod puzzle;

pub use captcha::{ANSWER_LEN, answer_matches};
pub use form::{Form, FormError, MAX_FORM_LEN, is_local_path};
pub use page::{SOLVER_JS, captcha_csp, challenge_csp};
pub use pow::{leading_zero_bits, solve, verify as verify_pow};
pub use puzzle::{Puzzle, PuzzleKind};

use crate::token::{
    CLOCK_SKEW_SECS, KeyRing, Token, TokenError, accepts_domain, normalise_host, token_domain,
};

/// Paths under this prefix belong to Verge on every distribution with a web ACL.
pub const PATH_PREFIX: &str = "/.verge/waf/";
/// Where the challenge page posts its proof of work.
pub const CHALLENGE_PATH: &str = "/.verge/waf/challenge";
/// Where the CAPTCHA page posts its answer.
pub const CAPTCHA_PATH: &str = "/.verge/waf/captcha";

/// Leading zero bits of the challenge's proof of work: about 65,000 hashes, a few tens of
/// milliseconds in a browser.
// Limitation: the difficulty is not configurable, and a browser that interprets JavaScript
// without compiling it (iOS Lockdown Mode) needs a few seconds.
pub const DEFAULT_DIFFICULTY: u8 = 16;
/// How long a challenge may take from page to post, in seconds.
pub const CHALLENGE_VALIDITY_SECS: u64 = 300;
/// How long a CAPTCHA may take from page to post, in seconds.
pub const CAPTCHA_VALIDITY_SECS: u64 = 600;

/// A page to send, with the policy it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The HTML.
    pub html: String,
    /// The `Content-Security-Policy` header value.
    pub csp: &'static str,
}

/// Why a verification form did not earn a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The form is incomplete or its puzzle is not one Verge sealed: a 400.
    #[error("{0}")]
    Malformed(&'static str),
    /// The puzzle is older than its validity (or its key rotated out): show a new one.
    #[error("the puzzle expired")]
    Expired,
    /// The puzzle was issued for another host: a 400.
    #[error("the puzzle was issued for another host")]
    WrongHost,
    /// The proof of work does not solve the challenge: a 400.
    #[error("the proof of work does not solve the challenge")]
    WrongSolution,
    /// The CAPTCHA answer is wrong: show a new puzzle.
    #[error("the CAPTCHA answer is wrong")]
    WrongAnswer,
    /// The random generator or the cipher failed.
    #[error("the cipher failed")]
    Crypto,
}

/// A challenge page for a viewer of `host`, returning to `return_path` once solved.
pub fn challenge_page(
    keys: &KeyRing,
    host: &str,
    now: u64,
    difficulty: u8,
    return_path: &str,
) -> Result<Page, TokenError> {
    let puzzle = Puzzle::new(
        PuzzleKind::Challenge,
        now,
        normalise_host(host),
        difficulty,
        String::new(),
    )?;
    let sealed = puzzle.seal(keys, now)?;
    Ok(Page {
        html: page::challenge_page(&sealed, &puzzle.seed_text(), difficulty, return_path),
        csp: challenge_csp(),
    })
}

/// A CAPTCHA page for a viewer of `host`; `notice` tells why a puzzle is shown again.
pub fn captcha_page(
    keys: &KeyRing,
    host: &str,
    now: u64,
    return_path: &str,
    notice: Option<&str>,
) -> Result<Page, TokenError> {
    let answer = captcha::new_answer()?;
    let svg = captcha::render(&answer)?;
    let puzzle = Puzzle::new(PuzzleKind::Captcha, now, normalise_host(host), 0, answer)?;
    let sealed = puzzle.seal(keys, now)?;
    Ok(Page {
        html: page::captcha_page(&sealed, &svg, return_path, notice),
        csp: captcha_csp(),
    })
}

/// Checks a posted form for a puzzle of `kind` and returns the viewer's new token. `current`
/// is the token the viewer already holds (opened), whose other solve time carries over when
/// its domain is accepted here. A CAPTCHA solved without a token also counts as a solved
/// challenge, as AWS's CAPTCHA interstitial runs a challenge first for such viewers.
pub fn verify(
    keys: &KeyRing,
    kind: PuzzleKind,
    form: &Form,
    host: &str,
    now: u64,
    current: Option<&Token>,
    token_domains: &[String],
) -> Result<Token, VerifyError> {
    let sealed = form
        .challenge
        .as_deref()
        .ok_or(VerifyError::Malformed("the form has no challenge"))?;
    let puzzle = match Puzzle::open(keys, sealed, now) {
        Ok(puzzle) => puzzle,
        Err(TokenError::UnknownKey) => return Err(VerifyError::Expired),
        Err(TokenError::Crypto) => return Err(VerifyError::Crypto),
        Err(_) => {
            return Err(VerifyError::Malformed(
                "the challenge is not one Verge issued",
            ));
        }
    };
    if puzzle.kind != kind {
        return Err(VerifyError::Malformed("the challenge is of another kind"));
    }
    let validity = match kind {
        PuzzleKind::Challenge => CHALLENGE_VALIDITY_SECS,
        PuzzleKind::Captcha => CAPTCHA_VALIDITY_SECS,
    };
    if puzzle.issued_at > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(VerifyError::Malformed(
            "the challenge was issued in the future",
        ));
    }
    if now.saturating_sub(puzzle.issued_at) > validity {
        return Err(VerifyError::Expired);
    }
    let host = normalise_host(host);
    if puzzle.host != host {
        return Err(VerifyError::WrongHost);
    }
    match kind {
        PuzzleKind::Challenge => {
            let nonce = form.solution.as_deref().unwrap_or("");
            if !pow::verify(&puzzle.seed_text(), nonce, puzzle.difficulty) {
                return Err(VerifyError::WrongSolution);
            }
        }
        PuzzleKind::Captcha => {
            if !answer_matches(&puzzle.answer, form.answer.as_deref().unwrap_or("")) {
                return Err(VerifyError::WrongAnswer);
            }
        }
    }

    let kept = current.filter(|t| accepts_domain(&t.domain, &host, token_domains));
    let (challenge_at, captcha_at) = match (kind, kept) {
        (PuzzleKind::Challenge, kept) => (Some(now), kept.and_then(|t| t.captcha_at)),
        (PuzzleKind::Captcha, Some(kept)) => (kept.challenge_at, Some(now)),
        (PuzzleKind::Captcha, None) => (Some(now), Some(now)),
    };
    Ok(Token {
        domain: token_domain(&host, token_domains),
        issued_at: now,
        challenge_at,
        captcha_at,
    })
}

#[cfg(test)]
mod tests;
