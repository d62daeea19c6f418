//! The request pipeline, one function per phase in the order a request meets them:
//! `admit`, `route`, `waf_filter`, `viewer_request_filter` (edge functions), `origin_request_filter` and `origin_fetch` (in `forward`), custom error
//! responses, `viewer_response_filter` (response headers policy, compression, Verge's
//! headers) and `log`. A phase ends a request by returning a `ProxyError`.

mod admit;
mod cached;
mod error;
mod forward;
mod functions;
mod log;
mod origin_request;
mod revalidate;
mod route;
mod tier;
mod viewer_response;
mod waf;

use std::sync::Arc;

use http::request::Parts;
use http::{Request, Response};
use hyper::body::Incoming;

pub use admit::admit;
pub use error::{ProxyError, Side, error_page};
pub(crate) use origin_request::{edge_owned, viewer_header};
pub use origin_request::{forward_query, origin_headers};
pub use route::{route, viewer_host};

use crate::body::{Body, CountingBody, TimeoutBody, boxed};
use crate::context::{ConnInfo, RequestContext, ResultType};
use crate::headers::has_looped;
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// Serves one viewer request.
pub async fn handle(
    state: Arc<EdgeState>,
    conn: Arc<ConnInfo>,
    request: Request<Incoming>,
) -> Response<Body> {
    let snapshot = state.snapshot.load_full();
    let mut ctx = RequestContext::new(conn);
    ctx.geo = snapshot.geo.lookup(ctx.conn.peer.ip());
    let (parts, body) = request.into_parts();
    let limits = &snapshot.config.limits;
    let body = if http_body::Body::is_end_stream(&body) {
        crate::body::empty()
    } else {
        let body = TimeoutBody::new(body, limits.body_timeout, "viewer request body");
        boxed(CountingBody::new(body, ctx.bytes_in.clone()))
    };

    let response = match proxy(&state, &snapshot, &mut ctx, &parts, body).await {
        Ok(response) => response,
        Err(error) => fail(&state, &snapshot, &mut ctx, &parts, error).await,
    };
    if response.status().as_u16() >= 400 && ctx.result != ResultType::FunctionGeneratedResponse {
        // CloudFront reports origin and edge errors alike as `Error` in x-cache and logs.
        ctx.result = ResultType::Error;
    }
    let response =
        functions::viewer_response_function(&state, &snapshot, &mut ctx, &parts, response);
    let response =
        viewer_response::viewer_response_filter(&state, &snapshot, &ctx, &parts, response);
    log::log(&state, &snapshot, ctx, &parts, response)
}

async fn proxy(
    state: &Arc<EdgeState>,
    snapshot: &Arc<Snapshot>,
    ctx: &mut RequestContext,
    parts: &Parts,
    body: Body,
) -> Result<Response<Body>, ProxyError> {
    admit(parts, &ctx.conn, snapshot.config.limits.max_header_bytes)?;
    if has_looped(&parts.headers, &snapshot.config.node.pop) {
        return Err(ProxyError::Loop);
    }
    let tiers = &snapshot.config.tiers;
    ctx.tier_hops = tier::arriving_hops(&parts.headers, tiers);
    if ctx.tier_hops > tiers.max_hops {
        return Err(ProxyError::Loop);
    }
    // Solved WAF interstitials post under `/.verge/waf/`, whatever methods behaviors allow.
    if let Some(distribution) = waf::verification_target(snapshot, parts) {
        return waf::verification_filter(snapshot, ctx, distribution, parts, body).await;
    }
    let (distribution, index) = route(&snapshot.routes, parts, ctx, state.https_port())?;
    ctx.behavior = Some(index);
    let behavior = &distribution.behaviors[index];
    let mut body = body;
    let mut changed: Option<Parts> = None;
    if snapshot.firewall.acls.contains_key(&distribution.id) {
        match waf::waf_filter(state, snapshot, ctx, &distribution, parts, body).await? {
            waf::WafOutcome::Respond(response) => return Ok(response),
            waf::WafOutcome::Continue { body: rest, insert } => {
                body = rest;
                if !insert.is_empty() {
                    let mut copy = copy_parts(parts);
                    for (name, value) in insert {
                        if let (Ok(name), Ok(value)) = (
                            http::header::HeaderName::from_bytes(name.as_bytes()),
                            http::HeaderValue::from_str(&value),
                        ) {
                            copy.headers.append(name, value);
                        }
                    }
                    changed = Some(copy);
                }
            }
        }
    }
    if behavior.viewer_request.is_some() {
        let current = changed.as_ref().unwrap_or(parts);
        match functions::viewer_request_filter(
            state,
            snapshot,
            ctx,
            &distribution,
            behavior,
            current,
        )? {
            Ok(rewritten) => changed = Some(rewritten),
            Err(generated) => return Ok(generated),
        }
    }
    let parts = changed.as_ref().unwrap_or(parts);

    let path = match (&distribution.default_root_object, parts.uri.path()) {
        (Some(object), "/") => format!("/{}", object.trim_start_matches('/')),
        (_, path) => path.to_owned(),
    };
    let policy = &behavior.origin_request_policy.query_strings;
    let path_and_query = match forward_query(&policy.behavior, &policy.items, parts.uri.query()) {
        Some(query) => format!("{path}?{query}"),
        None => path.clone(),
    };
    let response = cached::cached(
        state,
        snapshot,
        ctx,
        &distribution,
        index,
        parts,
        &path,
        &path_and_query,
        body,
    )
    .await?;

    if response.status().as_u16() >= 400 {
        let status = response.status().as_u16();
        if let Some(replaced) =
            forward::custom_error(state, snapshot, ctx, &distribution, parts, status).await
        {
            return Ok(replaced);
        }
    }
    Ok(response)
}

/// A copy of a request head, for a phase to change.
fn copy_parts(parts: &Parts) -> Parts {
    let mut request = Request::new(());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    request.into_parts().0
}

async fn fail(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    parts: &Parts,
    error: ProxyError,
) -> Response<Body> {
    ctx.result = match error {
        ProxyError::RedirectToHttps(_) => ResultType::Redirect,
        _ => ResultType::Error,
    };
    ctx.detail = Some(error.detail());
    match &error {
        ProxyError::UnknownHost(host) => {
            state.metrics.unknown_host();
            tracing::info!(request_id = %ctx.request_id, host = %host, peer = %ctx.conn.peer, "No distribution for host");
        }
        error if error.side() == Side::Origin => {
            tracing::warn!(request_id = %ctx.request_id, distribution = ctx.distribution_id(), %error, "Origin request failed");
        }
        error => {
            tracing::debug!(request_id = %ctx.request_id, distribution = ctx.distribution_id(), %error, "Request refused");
        }
    }
    let status = error.status().as_u16();
    let distribution = ctx.distribution.clone();
    let replaceable = !matches!(
        error,
        ProxyError::BadRequest(_) | ProxyError::RedirectToHttps(_) | ProxyError::UnknownHost(_)
    );
    if let (Some(distribution), true) = (distribution, replaceable)
        && let Some(replaced) =
            forward::custom_error(state, snapshot, ctx, &distribution, parts, status).await
    {
        return replaced;
    }
    error.response(&ctx.request_id, &snapshot.config.node.pop)
}
