//! `waf_filter`: the distribution's web ACL decides on the viewer's request right after
//! routing, before edge functions and the cache, knowing the viewer's `aws-waf-token`. Allow
//! and Count go on (with the headers the rules insert); Block answers with the rule's custom
//! response or a 403; CAPTCHA and Challenge answer 405 and 202 with `x-amzn-waf-action`, and
//! the interstitial page for viewers that accept HTML. `verification_filter` takes the posts
//! of solved interstitials before routing. Every decision is counted and, with `[waf] log`,
//! logged.

use std::sync::OnceLock;
use std::time::Instant;

use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Response, StatusCode, Version};
use verge_config::CompiledDistribution;
use verge_waf::challenge::is_local_path;
use verge_waf::{Action, Decision, Env};

use super::{ProxyError, error_page};
use crate::body::{Body, empty, full};
use crate::context::{RequestContext, ResultType};
use crate::snapshot::Snapshot;
use crate::state::EdgeState;
use crate::waf::{
    GeoAdapter, HeldToken, Interstitial, PageRequest, WebAcl, accepts_html, inspect, interstitial,
    is_verification_path, log_record, read_token, unix_now, verify_filter, waf_request,
};

/// What the web ACL decided.
pub enum WafOutcome {
    /// Go on with this body (the same bytes) and these headers added to the request.
    Continue {
        /// The request body, replayed from its start.
        body: Body,
        /// Headers the rules insert (`x-amzn-waf-...`).
        insert: Vec<(String, String)>,
    },
    /// Answer the viewer with this.
    Respond(Response<Body>),
}

/// Evaluates the distribution's web ACL, if it has one.
pub async fn waf_filter(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    distribution: &CompiledDistribution,
    parts: &Parts,
    body: Body,
) -> Result<WafOutcome, ProxyError> {
    let Some(acl) = snapshot.firewall.acls.get(&distribution.id) else {
        return Ok(WafOutcome::Continue {
            body,
            insert: Vec::new(),
        });
    };
    let (prefix, complete, body) = if http_body::Body::is_end_stream(&body) {
        (bytes::Bytes::new(), true, body)
    } else {
        let inspected = inspect(body, acl.engine.body_inspection_limit())
            .await
            .map_err(|_| ProxyError::BadRequest("the request body was incomplete or malformed"))?;
        (inspected.prefix, inspected.complete, inspected.body)
    };
    let request = waf_request(parts, ctx, &prefix, complete);
    let geo = GeoAdapter(&snapshot.geo);
    let now = unix_now();
    let host = super::viewer_host(parts);
    let keys = snapshot.firewall.tokens.as_ref();
    let held = keys.map_or(HeldToken::Absent, |keys| {
        read_token(
            &parts.headers,
            &keys.ring,
            now,
            host,
            acl.engine.token_domains(),
        )
    });
    let env = Env {
        geo: Some(&geo),
        now_ms: monotonic_millis(),
        token: held.state(),
        now_secs: now,
    };
    let decision = acl.engine.evaluate(&request, env);
    count(state, acl, &decision);

    let stopped = match decision.action {
        Action::Captcha => Some(Interstitial::Captcha),
        Action::Challenge => Some(Interstitial::Challenge),
        _ => None,
    };
    let response = match (decision.action, stopped) {
        (Action::Block, _) => Some(blocked(&decision, ctx, &snapshot.config.node.pop)),
        (_, Some(kind)) => {
            let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
            let page = keys
                .filter(|_| accepts_html(&parts.headers))
                .map(|keys| PageRequest {
                    keys: &keys.ring,
                    host,
                    return_path: if is_local_path(target) { target } else { "/" },
                    notice: None,
                });
            if let Some(failure) = decision.token_failure {
                tracing::debug!(request_id = %ctx.request_id, distribution = %distribution.id, reason = failure.as_aws_str(), "WAF token not accepted");
            }
            Some(interstitial(kind, page, now))
        }
        _ => None,
    };
    if let Some(log) = &snapshot.firewall.log {
        let status = response.as_ref().map(|r| r.status().as_u16());
        let record = log_record(
            acl.engine.name(),
            &distribution.id,
            &ctx.request_id,
            http_version(parts.version),
            &request,
            &decision,
            status,
        );
        log.log_line(record.to_string());
    }
    match response {
        Some(response) => {
            ctx.result = ResultType::Error;
            tracing::debug!(request_id = %ctx.request_id, distribution = %distribution.id, web_acl = acl.engine.name(), action = decision.action.as_aws_str(), rule = decision.terminating_rule.as_deref().unwrap_or("Default_Action"), "Web ACL answered");
            Ok(WafOutcome::Respond(response))
        }
        None => Ok(WafOutcome::Continue {
            body,
            insert: decision.insert_headers,
        }),
    }
}

fn count(state: &EdgeState, acl: &WebAcl, decision: &Decision) {
    let name = acl.engine.name();
    let metrics = &state.metrics;
    metrics.waf_request(name, decision.action.as_aws_str());
    if let Some(rule) = &decision.terminating_rule {
        metrics.waf_rule(name, rule, decision.action.as_aws_str());
    }
    for rule in &decision.non_terminating {
        metrics.waf_rule(name, &rule.rule, rule.action.as_aws_str());
    }
    for label in &decision.labels {
        metrics.waf_label(name, label);
    }
}

/// The block response: the rule's custom response, or the edge's 403 page.
fn blocked(decision: &Decision, ctx: &RequestContext, pop: &str) -> Response<Body> {
    let custom = decision.block_response.clone().unwrap_or_default();
    let status = StatusCode::from_u16(custom.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = match &custom.body {
        Some(body) => {
            let mut response = Response::new(full(body.content.clone()));
            if let Ok(value) = HeaderValue::from_str(body.content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        None if custom.status >= 300 && custom.status < 400 => Response::new(empty()),
        None => {
            let page = error_page(status, "The request was blocked.", &ctx.request_id, pop);
            let mut response = Response::new(full(page));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
    };
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in &custom.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

/// The distribution whose web ACL owns this request's path under `/.verge/waf/`, if any.
pub fn verification_target(
    snapshot: &Snapshot,
    parts: &Parts,
) -> Option<std::sync::Arc<CompiledDistribution>> {
    if !is_verification_path(parts.uri.path()) {
        return None;
    }
    let distribution = snapshot
        .routes
        .distribution_for(super::viewer_host(parts))?;
    snapshot
        .firewall
        .acls
        .contains_key(&distribution.id)
        .then(|| distribution.clone())
}

/// Answers a post of a solved interstitial (or anything else under `/.verge/waf/`) for a
/// distribution with a web ACL: before routing, so behaviors' allowed methods do not apply,
/// and before the web ACL, which would otherwise stop the post itself.
// Limitation: a request stopped by an interstitial is not replayed once the viewer solves
// it: the viewer is sent back to its URL with GET, so a stopped POST's body is lost.
pub async fn verification_filter(
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    distribution: std::sync::Arc<CompiledDistribution>,
    parts: &Parts,
    body: Body,
) -> Result<Response<Body>, ProxyError> {
    let pop = &snapshot.config.node.pop;
    let (Some(acl), Some(keys)) = (
        snapshot.firewall.acls.get(&distribution.id),
        snapshot.firewall.tokens.as_ref(),
    ) else {
        return Err(ProxyError::BadRequest("no web ACL serves this host"));
    };
    ctx.distribution = Some(distribution);
    verify_filter(keys, &acl.engine, ctx, parts, body, pop).await
}

fn http_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    }
}

/// Milliseconds on a clock that never goes back, for rate-based rules.
fn monotonic_millis() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
