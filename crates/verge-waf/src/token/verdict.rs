//! Whether the viewer's token satisfies a CAPTCHA or Challenge rule, and AWS's token labels
//! (`awswaf:managed:token:accepted`, `...:rejected:expired`, `awswaf:managed:captcha:absent`,
//! ...). A token satisfies a check when it opened, its domain is accepted, and the solve time
//! the check reads is no older than the immunity time.

use super::domain::{accepts_domain, normalise_host};
use super::{CLOCK_SKEW_SECS, TokenState};
use crate::request::{Env, Request};

/// Which solve time a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The challenge timestamp (`awswaf:managed:token:` labels).
    Challenge,
    /// The CAPTCHA timestamp (`awswaf:managed:captcha:` labels).
    Captcha,
}

impl Kind {
    fn label_prefix(self) -> &'static str {
        match self {
            Self::Challenge => "awswaf:managed:token:",
            Self::Captcha => "awswaf:managed:captcha:",
        }
    }
}

/// Why a token does not satisfy a CAPTCHA or Challenge check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenFailure {
    /// No token.
    Missing,
    /// A valid token without the solve time the check needs.
    NotSolved,
    /// The solve time is older than the immunity time.
    Expired,
    /// The token did not open, or holds impossible times.
    Invalid,
    /// The token's domain is neither the host nor covered by the web ACL's token domains.
    DomainMismatch,
}

impl TokenFailure {
    /// AWS's `FailureReason` (`TOKEN_MISSING`, `TOKEN_EXPIRED`, `TOKEN_INVALID`,
    /// `TOKEN_DOMAIN_MISMATCH`), as WAF logs report it.
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::Missing | Self::NotSolved => "TOKEN_MISSING",
            Self::Expired => "TOKEN_EXPIRED",
            Self::Invalid => "TOKEN_INVALID",
            Self::DomainMismatch => "TOKEN_DOMAIN_MISMATCH",
        }
    }

    /// The reason's label under `...:rejected:`, or `None` for a missing token (`...:absent`).
    fn label(self) -> Option<&'static str> {
        match self {
            Self::Missing => None,
            Self::NotSolved => Some("not_solved"),
            Self::Expired => Some("expired"),
            Self::Invalid => Some("invalid"),
            Self::DomainMismatch => Some("domain_mismatch"),
        }
    }
}

/// The token facts of one evaluation.
pub(crate) struct TokenContext<'a> {
    state: TokenState<'a>,
    domain_ok: bool,
    now: u64,
}

impl<'a> TokenContext<'a> {
    /// The token of `env` judged for the request's host under these `TokenDomains`.
    pub(crate) fn new(env: &Env<'a>, req: &Request, token_domains: &[String]) -> Self {
        let domain_ok = match env.token {
            TokenState::Present(token) => {
                let host = req
                    .header_values("host")
                    .next()
                    .map(|h| normalise_host(&String::from_utf8_lossy(h)))
                    .unwrap_or_default();
                accepts_domain(&token.domain, &host, token_domains)
            }
            _ => false,
        };
        Self {
            state: env.token,
            domain_ok,
            now: env.now_secs,
        }
    }

    /// Whether the token satisfies a check of `kind` with this immunity time (seconds).
    pub(crate) fn check(&self, kind: Kind, immunity: u64) -> Result<(), TokenFailure> {
        let token = match self.state {
            TokenState::Absent => return Err(TokenFailure::Missing),
            TokenState::Invalid => return Err(TokenFailure::Invalid),
            TokenState::Present(token) => token,
        };
        let future = |t: u64| t > self.now.saturating_add(CLOCK_SKEW_SECS);
        if future(token.issued_at) {
            return Err(TokenFailure::Invalid);
        }
        if !self.domain_ok {
            return Err(TokenFailure::DomainMismatch);
        }
        let solved = match kind {
            Kind::Challenge => token.challenge_at,
            Kind::Captcha => token.captcha_at,
        };
        match solved {
            None => Err(TokenFailure::NotSolved),
            Some(at) if future(at) => Err(TokenFailure::Invalid),
            Some(at) if self.now.saturating_sub(at) > immunity => Err(TokenFailure::Expired),
            Some(_) => Ok(()),
        }
    }

    /// AWS's token status labels for both solve times, judged with the web ACL's immunity
    /// times: `accepted`, `absent`, or `rejected` with `rejected:<reason>`.
    pub(crate) fn labels(&self, challenge_immunity: u64, captcha_immunity: u64) -> Vec<String> {
        let mut labels = Vec::with_capacity(4);
        for (kind, immunity) in [
            (Kind::Challenge, challenge_immunity),
            (Kind::Captcha, captcha_immunity),
        ] {
            let prefix = kind.label_prefix();
            match self.check(kind, immunity) {
                Ok(()) => labels.push(format!("{prefix}accepted")),
                Err(failure) => match failure.label() {
                    None => labels.push(format!("{prefix}absent")),
                    Some(reason) => {
                        labels.push(format!("{prefix}rejected"));
                        labels.push(format!("{prefix}rejected:{reason}"));
                    }
                },
            }
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Token;

    const NOW: u64 = 1_750_000_000;

    fn judge<'a>(state: TokenState<'a>, host: &str, domains: &[String]) -> TokenContext<'a> {
        let env = Env {
            token: state,
            now_secs: NOW,
            ..Env::default()
        };
        let req =
            Request::new("GET", "/", "192.0.2.1".parse().expect("ip")).with_header("Host", host);
        TokenContext::new(&env, &req, domains)
    }

    fn token(challenge: Option<u64>, captcha: Option<u64>) -> Token {
        Token {
            domain: "www.example.com".to_owned(),
            issued_at: NOW - 100,
            challenge_at: challenge,
            captcha_at: captcha,
        }
    }

    #[test]
    fn solve_times_within_the_immunity_time_are_accepted() {
        let t = token(Some(NOW - 299), Some(NOW - 301));
        let ctx = judge(TokenState::Present(&t), "www.example.com", &[]);
        assert_eq!(ctx.check(Kind::Challenge, 300), Ok(()));
        assert_eq!(ctx.check(Kind::Captcha, 300), Err(TokenFailure::Expired));
        assert_eq!(ctx.check(Kind::Captcha, 600), Ok(()));
        assert_eq!(
            ctx.labels(300, 300),
            [
                "awswaf:managed:token:accepted",
                "awswaf:managed:captcha:rejected",
                "awswaf:managed:captcha:rejected:expired"
            ]
        );
    }

    #[test]
    fn missing_unsolved_invalid_and_foreign_tokens_are_labelled() {
        let ctx = judge(TokenState::Absent, "www.example.com", &[]);
        assert_eq!(ctx.check(Kind::Challenge, 300), Err(TokenFailure::Missing));
        assert_eq!(
            ctx.labels(300, 300),
            [
                "awswaf:managed:token:absent",
                "awswaf:managed:captcha:absent"
            ]
        );

        let t = token(Some(NOW), None);
        let ctx = judge(TokenState::Present(&t), "www.example.com", &[]);
        assert_eq!(ctx.check(Kind::Captcha, 300), Err(TokenFailure::NotSolved));
        assert_eq!(TokenFailure::NotSolved.as_aws_str(), "TOKEN_MISSING");

        let ctx = judge(TokenState::Invalid, "www.example.com", &[]);
        assert_eq!(
            ctx.labels(300, 300),
            [
                "awswaf:managed:token:rejected",
                "awswaf:managed:token:rejected:invalid",
                "awswaf:managed:captcha:rejected",
                "awswaf:managed:captcha:rejected:invalid"
            ]
        );

        let ctx = judge(TokenState::Present(&t), "shop.example.com", &[]);
        assert_eq!(
            ctx.check(Kind::Challenge, 300),
            Err(TokenFailure::DomainMismatch)
        );
        let ctx = judge(
            TokenState::Present(&t),
            "shop.example.com",
            &["example.com".to_owned()],
        );
        assert_eq!(ctx.check(Kind::Challenge, 300), Ok(()));
    }

    #[test]
    fn times_from_the_future_are_invalid() {
        let t = token(Some(NOW + 3600), None);
        let ctx = judge(TokenState::Present(&t), "www.example.com", &[]);
        assert_eq!(ctx.check(Kind::Challenge, 300), Err(TokenFailure::Invalid));
        let t = token(Some(NOW + 60), None);
        let ctx = judge(TokenState::Present(&t), "www.example.com", &[]);
        assert_eq!(
            ctx.check(Kind::Challenge, 300),
            Ok(()),
            "a little skew is fine"
        );
    }
}
