//! The answers to a request a CAPTCHA or Challenge rule stopped, as AWS WAF gives them: 405
//! (CAPTCHA) or 202 (Challenge) with `x-amzn-waf-action`, never cached; a viewer that accepts
//! HTML also gets the interstitial page that earns it a token.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use verge_waf::challenge::{self, DEFAULT_DIFFICULTY, Page};
use verge_waf::token::KeyRing;

use crate::body::{Body, empty, full};

/// Which interstitial to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interstitial {
    /// The CAPTCHA: 405 and a puzzle a person solves.
    Captcha,
    /// The silent challenge: 202 and a page whose script proves some work.
    Challenge,
}

impl Interstitial {
    fn status(self) -> StatusCode {
        match self {
            Self::Captcha => StatusCode::METHOD_NOT_ALLOWED,
            Self::Challenge => StatusCode::ACCEPTED,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::Captcha => "captcha",
            Self::Challenge => "challenge",
        }
    }
}

/// Whether the viewer asked for HTML (`Accept` names `text/html`), as AWS WAF decides
/// whether to send the page.
pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let media = item.split(';').next().unwrap_or("").trim();
            media.eq_ignore_ascii_case("text/html")
        })
}

/// The answer for a stopped request. `page` holds what a page needs (keys, host, the path to
/// return to, a notice) when the viewer accepts HTML; without it, or when the page cannot be
/// made, the answer has no body.
pub fn interstitial(kind: Interstitial, page: Option<PageRequest<'_>>, now: u64) -> Response<Body> {
    let page = page.and_then(|p| {
        let made = match kind {
            Interstitial::Challenge => {
                challenge::challenge_page(p.keys, p.host, now, DEFAULT_DIFFICULTY, p.return_path)
            }
            Interstitial::Captcha => {
                challenge::captcha_page(p.keys, p.host, now, p.return_path, p.notice)
            }
        };
        made.map_err(|error| tracing::warn!(%error, "Cannot make a WAF interstitial page"))
            .ok()
    });
    let mut response = match &page {
        Some(Page { html, .. }) => Response::new(full(html.clone())),
        None => Response::new(empty()),
    };
    *response.status_mut() = kind.status();
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-amzn-waf-action"),
        HeaderValue::from_static(kind.action()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(page) = page {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page.csp),
        );
        headers.insert(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        );
    }
    response
}

/// What an interstitial page is made from.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// The keys puzzles are sealed with.
    pub keys: &'a KeyRing,
    /// The host the viewer asked for.
    pub host: &'a str,
    /// The local path (with query) to return to once solved.
    pub return_path: &'a str,
    /// Why a puzzle is shown again (a wrong answer, an expired puzzle).
    pub notice: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_recognised_in_accept_lists() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_html(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        );
        assert!(accepts_html(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts_html(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("TEXT/HTML; q=1"));
        assert!(accepts_html(&headers));
    }

    #[test]
    fn viewers_without_html_get_the_status_and_header_only() {
        let response = interstitial(Interstitial::Captcha, None, 1000);
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["x-amzn-waf-action"], "captcha");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert!(response.headers().get(header::CONTENT_TYPE).is_none());

        let keys = KeyRing::new(b"0123456789abcdef").expect("long enough");
        let page = PageRequest {
            keys: &keys,
            host: "a.test",
            return_path: "/",
            notice: None,
        };
        let response = interstitial(Interstitial::Challenge, Some(page), 1000);
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(response.headers()["x-amzn-waf-action"], "challenge");
        assert!(
            response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("text")
                .contains("script-src 'sha256-")
        );
    }
}
