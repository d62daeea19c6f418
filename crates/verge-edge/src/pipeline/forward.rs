//! `origin_fetch`: sending the viewer's request to the behavior's origin or origin group,
//! and custom error responses, which fetch their page through the same distribution.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Method, Request, Response, Version};
use verge_config::model::OriginHttpVersion;
use verge_config::{CompiledBehavior, CompiledDistribution};

use super::{ProxyError, origin_headers, viewer_host};
use crate::body::{Body, BodyEnd, CountingBody, boxed, empty};
use crate::context::RequestContext;
use crate::headers::remove_hop_by_hop;
use crate::origin::{OriginError, ReplayableBody, fetch};
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// How the viewer's conditional headers travel to the origin.
#[derive(Debug, Clone, Default)]
pub enum Conditionals {
    /// As the viewer sent them (the response is not going to be stored).
    #[default]
    Keep,
    /// Removed, so the origin sends a whole response the cache can store and answer every
    /// viewer from (the edge evaluates the viewer's preconditions itself).
    Strip,
    /// Replaced by the cache's own validators (RFC 9111 §4.3.1).
    Validate(Vec<(HeaderName, HeaderValue)>),
}

impl Conditionals {
    /// Applies this choice to the headers of an outgoing request.
    pub fn apply(&self, headers: &mut http::HeaderMap) {
        match self {
            Conditionals::Keep => {}
            Conditionals::Strip => {
                for name in &CONDITIONAL_HEADERS {
                    headers.remove(name);
                }
            }
            Conditionals::Validate(validators) => {
                for name in &CONDITIONAL_HEADERS {
                    headers.remove(name);
                }
                for (name, value) in validators {
                    headers.insert(name.clone(), value.clone());
                }
            }
        }
    }
}

/// Header names of preconditions and ranges (RFC 9110 §13.1, §14.2).
const CONDITIONAL_HEADERS: [HeaderName; 6] = [
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
    header::IF_RANGE,
    header::RANGE,
];

/// Sends the request to the behavior's target and returns the origin's response.
#[allow(clippy::too_many_arguments)]
pub async fn forward(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    distribution: &CompiledDistribution,
    behavior: &CompiledBehavior,
    parts: &Parts,
    path_and_query: &str,
    body: Body,
    conditionals: &Conditionals,
) -> Result<Response<Body>, ProxyError> {
    forward_as(
        state,
        snapshot,
        ctx,
        distribution,
        behavior,
        &parts.method,
        parts,
        path_and_query,
        body,
        conditionals,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn forward_as(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    distribution: &CompiledDistribution,
    behavior: &CompiledBehavior,
    method: &Method,
    parts: &Parts,
    path_and_query: &str,
    body: Body,
    conditionals: &Conditionals,
) -> Result<Response<Body>, ProxyError> {
    let chosen = ctx.origin_override.clone();
    let dynamic: Vec<Arc<crate::origin::OriginClient>> =
        chosen.iter().filter_map(|o| o.client.clone()).collect();
    let (clients, target) = match &chosen {
        Some(chosen) if chosen.client.is_some() => (dynamic.as_slice(), &chosen.target),
        Some(chosen) => (snapshot.origin_clients(&distribution.id), &chosen.target),
        None => (snapshot.origin_clients(&distribution.id), &behavior.target),
    };
    let host_override = chosen.as_ref().and_then(|o| o.host.as_deref());
    // A viewer body that breaks (stalls past body_timeout, bad chunking) fails the origin
    // request too; remember whose fault it was.
    let viewer_failed = Arc::new(AtomicBool::new(false));
    let flag = viewer_failed.clone();
    let body = CountingBody::new(body, Arc::new(AtomicU64::new(0))).on_end(move |end| {
        if end == BodyEnd::Failed {
            flag.store(true, Ordering::Relaxed);
        }
    });
    let replay = ReplayableBody::new(boxed(body));
    let host = viewer_host(parts);
    let view: &RequestContext = ctx;
    let outcome = fetch(clients, target, method, &replay, |client, body| {
        let https = client.uses_https(view.conn.https());
        let uri = client.uri(https, path_and_query)?;
        let version = match client.origin.http_version {
            OriginHttpVersion::Http11 => Version::HTTP_11,
            OriginHttpVersion::Http2 => Version::HTTP_2,
        };
        let mut request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .version(version)
            .body(body)
            .map_err(|e| OriginError::Protocol {
                origin: client.origin.id.clone(),
                reason: e.to_string(),
            })?;
        *request.headers_mut() = origin_headers(
            &behavior.origin_request_policy,
            &parts.headers,
            host,
            parts.version,
            view,
            client,
            https,
            &snapshot.via,
        );
        conditionals.apply(request.headers_mut());
        if let Some(host) = host_override.and_then(|h| HeaderValue::from_str(h).ok()) {
            request.headers_mut().insert(header::HOST, host);
        }
        // The tier marker carries the deployment's secret: it never reaches an origin.
        request.headers_mut().remove(&super::tier::TIER_HEADER);
        if method != parts.method {
            // A custom error page is fetched without the viewer's body: drop its framing.
            for name in [
                "content-length",
                "content-type",
                "content-encoding",
                "transfer-encoding",
            ] {
                request.headers_mut().remove(name);
            }
        }
        Ok(request)
    })
    .await;

    let origin_id = clients
        .get(outcome.origin)
        .map_or("-", |c| c.origin.id.as_str());
    ctx.origin = Some(origin_id.to_owned());
    // Origins a function built are not among the distribution's metric handles.
    let handles = snapshot
        .distribution_metrics
        .get(&distribution.id)
        .filter(|_| dynamic.is_empty());
    let count = |outcome_label: &str| match handles {
        Some(handles) => handles.origin_request(outcome.origin, outcome_label),
        None => state
            .metrics
            .origin_request(&distribution.id, origin_id, outcome_label),
    };
    if outcome.failed_over {
        count("failover");
    }
    match outcome.result {
        Ok(origin_response) => {
            count("ok");
            if let Some(handles) = handles {
                handles
                    .observe_origin_latency(outcome.origin, origin_response.latency.as_secs_f64());
            }
            ctx.origin_latency = Some(origin_response.latency);
            let mut response = origin_response.response;
            remove_hop_by_hop(response.headers_mut());
            Ok(response)
        }
        Err(error) if viewer_failed.load(Ordering::Relaxed) => {
            tracing::debug!(distribution = %distribution.id, %error, "Viewer request body failed");
            count("viewer_body_error");
            Err(ProxyError::BadRequest(
                "the request body was incomplete or malformed",
            ))
        }
        Err(error) => {
            count(match &error {
                OriginError::Connect { .. } => "connect_error",
                OriginError::Timeout { .. } => "timeout",
                OriginError::Protocol { .. } => "protocol_error",
            });
            Err(ProxyError::Origin(error))
        }
    }
}

/// CloudFront's custom error responses: for an error status with a configured page, fetch
/// the page through the distribution (GET, no body) and return it with the configured code.
/// `None` keeps the original response (no rule, or the page itself failed).
// Limitation: error_caching_min_ttl has no effect until the edge has a cache.
pub async fn custom_error(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    distribution: &CompiledDistribution,
    parts: &Parts,
    status: u16,
) -> Option<Response<Body>> {
    let rule = distribution.error_responses.get(&status)?;
    let page = rule.response_page_path.as_deref()?;
    let code = http::StatusCode::from_u16(rule.response_code.unwrap_or(status)).ok()?;
    let behavior = distribution.behavior_for(page);
    let fetched = forward_as(
        state,
        snapshot,
        ctx,
        distribution,
        behavior,
        &Method::GET,
        parts,
        page,
        empty(),
        &Conditionals::Strip,
    )
    .await;
    match fetched {
        Ok(mut response) if response.status().is_success() => {
            *response.status_mut() = code;
            Some(response)
        }
        Ok(response) => {
            tracing::warn!(distribution = %distribution.id, page, status = response.status().as_u16(), "Custom error page not served");
            None
        }
        Err(error) => {
            tracing::warn!(distribution = %distribution.id, page, %error, "Custom error page failed");
            None
        }
    }
}
