//! Validating a stored response with the origin (RFC 9111 §4.3): a conditional request with
//! the stored validators; a 304 freshens the stored headers and the stored body is served
//! (`RefreshHit`); a new response replaces it; an origin failure may serve the stale copy
//! (`stale-if-error`, RFC 5861 §4). `stale-while-revalidate` runs the same in the background.

use std::sync::Arc;
use std::time::SystemTime;

use http::request::Parts;
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::BodyExt;
use verge_cache::collapse::Role;
use verge_cache::conditional;
use verge_cache::directives::CacheControl;
use verge_cache::reuse::{Reuse, StaleReason, reuse, serve_on_error};
use verge_cache::storable::{self, Decision, RequestFacts};
use verge_cache::{Meta, TtlPolicy};
use verge_config::CompiledDistribution;

use super::ProxyError;
use super::cached::{CacheRequest, error_caching_ttl, fill};
use super::forward::Conditionals;
use crate::body::{Body, empty};
use crate::cache::{EdgeCache, EncodingKey, StoredBody};
use crate::context::{RequestContext, ResultType};
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// Validates `meta` before serving it to this viewer.
pub async fn revalidate(
    request: &CacheRequest<'_>,
    ctx: &mut RequestContext,
    body: Body,
    mut meta: Arc<Meta>,
    mut stored: StoredBody,
) -> Result<Response<Body>, ProxyError> {
    let cache = request.cache;
    let distribution = &request.distribution.id;
    let leader = match cache.collapser.join(&request.key) {
        Role::Leader(leader) => Some(leader),
        Role::Follower(follower) => {
            request.state.metrics.cache_collapsed(distribution);
            follower.wait(cache.settings.collapse_timeout).await;
            let key =
                cache
                    .vary
                    .variant_key(&request.key, &request.parts.headers, request.encoding_key);
            if let Some((found, body)) = cache.find(&key).await {
                if reuse(&found, &request.directives, SystemTime::now()) == Reuse::Fresh {
                    // Another request validated or refetched it: served from the cache as
                    // it is now.
                    return Ok(request.serve(ctx, &found, body, ResultType::Hit));
                }
                // Still not usable as it is: validate what is stored now.
                (meta, stored) = (found, body);
            }
            match cache.collapser.join(&request.key) {
                Role::Leader(leader) => Some(leader),
                Role::Follower(_) => None,
            }
        }
    };

    let validators = conditional::validation_headers(&meta.headers);
    let conditionals = if validators.is_empty() {
        Conditionals::Keep
    } else {
        Conditionals::Validate(validators)
    };
    let request_time = SystemTime::now();
    let fetched = request.fetch(ctx, body, &conditionals).await;
    let now = SystemTime::now();
    match fetched {
        Ok(response)
            if response.status() == StatusCode::NOT_MODIFIED
                && matches!(conditionals, Conditionals::Validate(_))
                && !conditional::refreshes(&meta.headers, response.headers()) =>
        {
            // RFC 9111 §4.3.4: a 304 whose validators do not match the stored response
            // cannot freshen it; ask for the whole response instead.
            tracing::debug!(distribution = %distribution, "A 304 matched no stored response");
            let request_time = SystemTime::now();
            let response = request.fetch(ctx, empty(), &Conditionals::Strip).await?;
            request.count("miss");
            Ok(fill(request, response, request_time, leader))
        }
        Ok(response)
            if response.status() == StatusCode::NOT_MODIFIED
                && matches!(conditionals, Conditionals::Validate(_)) =>
        {
            let meta = match freshen(request, &meta, response.headers(), request_time) {
                Some(refreshed) => {
                    cache.update(refreshed.clone()).await;
                    refreshed
                }
                None => {
                    cache.store.remove(&meta.key);
                    Meta::clone(&meta)
                }
            };
            drop(leader);
            Ok(request.serve(ctx, &meta, stored, ResultType::RefreshHit))
        }
        Ok(response)
            if response.status().is_server_error()
                && serve_on_error(&meta, &request.directives, now) =>
        {
            drop(leader);
            Ok(stale_on_error(request, ctx, &meta, stored))
        }
        Ok(response) => {
            request.count("miss");
            Ok(fill(request, response, request_time, leader))
        }
        Err(ProxyError::Origin(error)) if serve_on_error(&meta, &request.directives, now) => {
            tracing::debug!(distribution = %distribution, %error, "Origin failed, serving stale");
            drop(leader);
            Ok(stale_on_error(request, ctx, &meta, stored))
        }
        Err(error) => Err(error),
    }
}

fn stale_on_error(
    request: &CacheRequest<'_>,
    ctx: &mut RequestContext,
    meta: &Meta,
    stored: StoredBody,
) -> Response<Body> {
    let reason = StaleReason::IfError.as_str();
    request
        .state
        .metrics
        .cache_stale_served(&request.distribution.id, reason);
    request.serve(ctx, meta, stored, ResultType::Hit)
}

/// The stored metadata updated by a 304's headers (RFC 9111 §4.3.4), or `None` when the
/// updated response may no longer be stored.
fn freshen(
    request: &CacheRequest<'_>,
    meta: &Meta,
    not_modified: &HeaderMap,
    request_time: SystemTime,
) -> Option<Meta> {
    let mut headers = meta.headers.clone();
    conditional::freshen(&mut headers, not_modified);
    let policy = &request.distribution.behaviors[request.behavior].cache_policy;
    let ttl = TtlPolicy {
        min: policy.min_ttl,
        default: policy.default_ttl,
        max: policy.max_ttl,
    };
    let facts = RequestFacts {
        method: &Method::GET,
        headers: &request.parts.headers,
    };
    let now = SystemTime::now();
    let error_ttl = error_caching_ttl(request.distribution, meta.status);
    match storable::decide(&facts, meta.status, &headers, &ttl, error_ttl, now) {
        Decision::Store(freshness) => Some(storable::build_meta(
            meta.key.clone(),
            meta.status,
            headers,
            request_time,
            now,
            &freshness,
            meta.tags.clone(),
            meta.body_len,
        )),
        Decision::DontStore(_) => None,
    }
}

/// What a background refresh needs after the viewer's request is gone.
struct Refresh {
    state: Arc<EdgeState>,
    snapshot: Arc<Snapshot>,
    cache: Arc<EdgeCache>,
    distribution: Arc<CompiledDistribution>,
    behavior: usize,
    parts: Parts,
    path_and_query: String,
    key: String,
    encoding: Option<&'static str>,
    encoding_key: EncodingKey<'static>,
    directives: CacheControl,
}

/// Refreshes `meta` once in the background (RFC 5861 §3) while the stale copy is served.
/// When another request is already fetching this key, the refresh waits for it and runs only
/// if what it stored still needs one (it may have stored this same stale response).
pub fn in_background(request: &CacheRequest<'_>, ctx: &RequestContext, meta: Arc<Meta>) {
    if request.parts.method != Method::GET {
        return;
    }
    let role = request.cache.collapser.join(&request.key);
    let refresh = Refresh {
        state: request.state.clone(),
        snapshot: request.snapshot.clone(),
        cache: request.cache.clone(),
        distribution: request.distribution.clone(),
        behavior: request.behavior,
        parts: request.parts.clone(),
        path_and_query: request.path_and_query.to_owned(),
        key: request.key.clone(),
        encoding: request.encoding,
        encoding_key: request.encoding_key,
        directives: request.directives.clone(),
    };
    let conn = ctx.conn.clone();
    tokio::spawn(async move {
        let request = CacheRequest {
            state: &refresh.state,
            snapshot: &refresh.snapshot,
            cache: &refresh.cache,
            distribution: &refresh.distribution,
            behavior: refresh.behavior,
            parts: &refresh.parts,
            path_and_query: &refresh.path_and_query,
            key: refresh.key.clone(),
            encoding: refresh.encoding,
            encoding_key: refresh.encoding_key,
            directives: refresh.directives.clone(),
        };
        let (leader, meta) = match role {
            Role::Leader(leader) => (leader, meta),
            Role::Follower(follower) => {
                follower.wait(refresh.cache.settings.collapse_timeout).await;
                let key = refresh.cache.vary.variant_key(
                    &refresh.key,
                    &refresh.parts.headers,
                    refresh.encoding_key,
                );
                let Some((stored, _)) = refresh.cache.find(&key).await else {
                    return;
                };
                if stored.is_fresh(SystemTime::now()) {
                    return;
                }
                match refresh.cache.collapser.join(&refresh.key) {
                    Role::Leader(leader) => (leader, stored),
                    Role::Follower(_) => return,
                }
            }
        };
        let mut ctx = RequestContext::new(conn);
        ctx.distribution = Some(refresh.distribution.clone());
        ctx.behavior = Some(refresh.behavior);

        let validators = conditional::validation_headers(&meta.headers);
        let validating = !validators.is_empty();
        let conditionals = if validating {
            Conditionals::Validate(validators)
        } else {
            Conditionals::Strip
        };
        let request_time = SystemTime::now();
        match request.fetch(&mut ctx, empty(), &conditionals).await {
            Ok(response) if response.status() == StatusCode::NOT_MODIFIED && validating => {
                // RFC 9111 §4.3.4: only a 304 matching the stored response freshens it.
                if conditional::refreshes(&meta.headers, response.headers())
                    && let Some(refreshed) =
                        freshen(&request, &meta, response.headers(), request_time)
                {
                    refresh.cache.update(refreshed).await;
                }
                drop(leader);
            }
            Ok(response) if response.status().is_server_error() => {
                tracing::debug!(distribution = %refresh.distribution.id, status = response.status().as_u16(), "Background refresh failed");
                drop(leader);
            }
            Ok(response) => {
                let response = fill(&request, response, request_time, Some(leader));
                // Nobody reads this body: drain it so the fill completes.
                let _ = response.into_body().collect().await;
            }
            Err(error) => {
                tracing::debug!(distribution = %refresh.distribution.id, %error, "Background refresh failed");
                drop(leader);
            }
        }
    });
}
