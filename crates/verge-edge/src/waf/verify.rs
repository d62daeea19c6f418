//! The verification endpoint under `/.verge/waf/`: a solved interstitial posts its form here;
//! a right answer earns the `aws-waf-token` cookie and a 303 back to the page the viewer
//! wanted, a wrong CAPTCHA answer or an expired puzzle gets a new puzzle, anything else a 400.
//! It answers for every distribution with a web ACL, before routing and before the ACL.

use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use verge_waf::WebAclEngine;
use verge_waf::challenge::{
    self, CAPTCHA_PATH, CHALLENGE_PATH, Form, MAX_FORM_LEN, PuzzleKind, VerifyError,
};

use super::interstitial::{Interstitial, PageRequest, interstitial};
use super::tokens::{TokenKeys, read_token, token_cookie, unix_now};
use crate::body::{Body, empty, full};
use crate::context::{RequestContext, ResultType};
use crate::pipeline::{ProxyError, error_page, viewer_host};

/// Whether a path is Verge's: the whole prefix is reserved on distributions with a web ACL.
pub fn is_verification_path(path: &str) -> bool {
    path.starts_with(challenge::PATH_PREFIX)
}

/// Answers a request under the reserved prefix.
// Limitation: puzzles are stateless, so within its validity (5 minutes for a challenge, 10
// for a CAPTCHA) one solved puzzle can be posted again to mint more tokens, and one CAPTCHA
// can take any number of guesses; the web ACL does not see these posts, so its rate-based
// rules cannot limit them either.
pub async fn verify_filter(
    keys: &TokenKeys,
    engine: &WebAclEngine,
    ctx: &mut RequestContext,
    parts: &Parts,
    body: Body,
    pop: &str,
) -> Result<Response<Body>, ProxyError> {
    let kind = match parts.uri.path() {
        CHALLENGE_PATH => PuzzleKind::Challenge,
        CAPTCHA_PATH => PuzzleKind::Captcha,
        _ => return Ok(plain(StatusCode::NOT_FOUND, "No such page.", ctx, pop)),
    };
    if parts.method != Method::POST {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Use POST.", ctx, pop);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Ok(response);
    }

    let too_large = ProxyError::BadRequest("the verification form is too large");
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_FORM_LEN) {
        return Err(too_large);
    }
    let read = super::inspect(body, MAX_FORM_LEN + 1)
        .await
        .map_err(|_| ProxyError::BadRequest("the verification form was incomplete"))?;
    if read.prefix.len() > MAX_FORM_LEN || !read.complete {
        return Err(too_large);
    }
    let form = Form::parse(&read.prefix)
        .map_err(|_| ProxyError::BadRequest("the verification form is not form-encoded"))?;

    let now = unix_now();
    let host = viewer_host(parts);
    let domains = engine.token_domains();
    let held = read_token(&parts.headers, &keys.ring, now, host, domains);
    let outcome = challenge::verify(&keys.ring, kind, &form, host, now, held.token(), domains);
    let interstitial_kind = match kind {
        PuzzleKind::Challenge => Interstitial::Challenge,
        PuzzleKind::Captcha => Interstitial::Captcha,
    };
    let again = |notice: &'static str| {
        let page = PageRequest {
            keys: &keys.ring,
            host,
            return_path: form.return_path(),
            notice: Some(notice),
        };
        interstitial(interstitial_kind, Some(page), now)
    };
    let token = match outcome {
        Ok(token) => token,
        Err(VerifyError::WrongAnswer) => {
            tracing::debug!(request_id = %ctx.request_id, "WAF CAPTCHA answered wrongly");
            ctx.result = ResultType::Error;
            return Ok(again("That was not right. Please try this one."));
        }
        Err(VerifyError::Expired) => {
            tracing::debug!(request_id = %ctx.request_id, "WAF puzzle expired");
            ctx.result = ResultType::Error;
            return Ok(again("That took too long. Please try this one."));
        }
        Err(VerifyError::Malformed(reason)) => return Err(ProxyError::BadRequest(reason)),
        Err(VerifyError::WrongHost) => {
            return Err(ProxyError::BadRequest(
                "the puzzle was issued for another host",
            ));
        }
        Err(VerifyError::WrongSolution) => {
            return Err(ProxyError::BadRequest(
                "the proof of work does not solve the challenge",
            ));
        }
        Err(error) => return Ok(unavailable(&error.to_string(), ctx, pop)),
    };

    let cookie = match token.seal(&keys.ring, now) {
        Ok(sealed) => token_cookie(&sealed, &token, host, ctx.conn.https(), domains),
        Err(error) => return Ok(unavailable(&error.to_string(), ctx, pop)),
    };
    tracing::debug!(request_id = %ctx.request_id, kind = ?kind, token_domain = %token.domain, "WAF puzzle solved");
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(form.return_path()) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    ctx.result = ResultType::Redirect;
    Ok(response)
}

fn plain(status: StatusCode, message: &str, ctx: &mut RequestContext, pop: &str) -> Response<Body> {
    ctx.result = ResultType::Error;
    let mut response = Response::new(full(error_page(status, message, &ctx.request_id, pop)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unavailable(reason: &str, ctx: &mut RequestContext, pop: &str) -> Response<Body> {
    tracing::error!(request_id = %ctx.request_id, reason, "Cannot seal a WAF token");
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "The check cannot be completed right now.",
        ctx,
        pop,
    )
}
