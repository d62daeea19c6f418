//! `cache_lookup` and the store: a GET or HEAD for a behavior whose cache policy stores
//! anything is answered from the cache when a stored response may be reused (RFC 9111 §4),
//! validated with the origin when it must be (§4.3), and otherwise fetched once for every
//! viewer asking at the same time (collapsing) and stored as it streams to the viewer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::request::Parts;
use http::{Method, Response};
use verge_cache::collapse::{Leader, Role};
use verge_cache::directives::{self, CacheControl};
use verge_cache::key::{KeyInput, primary_key};
use verge_cache::reuse::{Reuse, StaleReason, reuse};
use verge_cache::storable::{self, Decision, RequestFacts};
use verge_cache::{Meta, TtlPolicy, vary};
use verge_config::CompiledDistribution;
use verge_config::model::CachePolicy;

use super::forward::{Conditionals, forward};
use super::{ProxyError, revalidate};
use crate::body::Body;
use crate::cache::{EdgeCache, EncodingKey, FillBody, StoredBody, respond};
use crate::compress::{self, Encoding};
use crate::context::{RequestContext, ResultType};
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// CloudFront's default for caching error responses (ErrorCachingMinTTL).
const ERROR_CACHING_TTL: Duration = Duration::from_secs(10);

/// One request's view of the cache: where it goes and under which key.
pub struct CacheRequest<'a> {
    /// Shared edge state.
    pub state: &'a Arc<EdgeState>,
    /// The configuration snapshot.
    pub snapshot: &'a Arc<Snapshot>,
    /// The cache.
    pub cache: &'a Arc<EdgeCache>,
    /// The distribution.
    pub distribution: &'a Arc<CompiledDistribution>,
    /// Index of the cache behavior.
    pub behavior: usize,
    /// The viewer's request head.
    pub parts: &'a Parts,
    /// Path and query sent to the origin.
    pub path_and_query: &'a str,
    /// The primary cache key.
    pub key: String,
    /// The normalised encoding in the key, if the policy keys on it.
    pub encoding: Option<&'static str>,
    /// How `Vary: Accept-Encoding` is keyed.
    pub encoding_key: EncodingKey<'static>,
    /// The request's cache directives.
    pub directives: CacheControl,
}

impl CacheRequest<'_> {
    fn policy(&self) -> &CachePolicy {
        &self.distribution.behaviors[self.behavior].cache_policy
    }

    /// Fetches as the viewer asked: from a parent tier or the origin's shield when the
    /// deployment has them (GET and HEAD only), else from the origin.
    pub async fn fetch(
        &self,
        ctx: &mut RequestContext,
        body: Body,
        conditionals: &Conditionals,
    ) -> Result<Response<Body>, ProxyError> {
        // A function that chose the origin is obeyed here: tiers would ask their own.
        let tiered = ctx.origin_override.is_none();
        if let Some((tier, kind)) = super::tier::choose(self, ctx.tier_hops).filter(|_| tiered) {
            match super::tier::fetch(self, ctx, tier, kind, conditionals).await {
                Err(ProxyError::Origin(error)) => {
                    // A tier that cannot be reached is skipped: the origin answers instead.
                    tracing::warn!(tier = %tier.pop, %error, "Tier unreachable, going to the origin");
                }
                other => return other,
            }
        }
        let behavior = &self.distribution.behaviors[self.behavior];
        forward(
            self.state,
            self.snapshot,
            ctx,
            self.distribution,
            behavior,
            self.parts,
            self.path_and_query,
            body,
            conditionals,
        )
        .await
    }

    /// The variant key this viewer's request maps to.
    fn variant_key(&self) -> String {
        self.cache
            .vary
            .variant_key(&self.key, &self.parts.headers, self.encoding_key)
    }

    /// Serves a stored response, recording the result.
    pub fn serve(
        &self,
        ctx: &mut RequestContext,
        meta: &Meta,
        body: StoredBody,
        result: ResultType,
    ) -> Response<Body> {
        ctx.result = result;
        self.count(result.lookup_label());
        if self.parts.method != Method::HEAD {
            let (tier, len) = (body.tier(), body.len());
            match self
                .snapshot
                .distribution_metrics
                .get(&self.distribution.id)
            {
                Some(handles) => handles.cache_served_bytes(tier, len),
                None => {
                    let id = &self.distribution.id;
                    self.state.metrics.cache_served_bytes(id, tier, len);
                }
            }
        }
        respond(meta, body, self.parts, SystemTime::now())
    }

    /// Counts one lookup by its result.
    pub fn count(&self, result: &'static str) {
        count_lookup(self.state, self.snapshot, &self.distribution.id, result);
    }
}

/// Counts one lookup through the distribution's handles (no label strings on the hot path).
fn count_lookup(state: &EdgeState, snapshot: &Snapshot, distribution: &str, result: &'static str) {
    match snapshot.distribution_metrics.get(distribution) {
        Some(handles) => handles.cache_lookup(result),
        None => state.metrics.cache_lookup(distribution, result),
    }
}

/// Serves a request through the cache, or straight from the origin when it cannot be cached.
#[allow(clippy::too_many_arguments)]
pub async fn cached(
    state: &Arc<EdgeState>,
    snapshot: &Arc<Snapshot>,
    ctx: &mut RequestContext,
    distribution: &Arc<CompiledDistribution>,
    behavior: usize,
    parts: &Parts,
    path: &str,
    path_and_query: &str,
    body: Body,
) -> Result<Response<Body>, ProxyError> {
    let policy = &distribution.behaviors[behavior].cache_policy;
    let method = &parts.method;
    let cache = match &state.cache {
        Some(cache) if policy.caches() => cache,
        _ => {
            return bypass(
                state,
                snapshot,
                ctx,
                distribution,
                behavior,
                parts,
                path_and_query,
                body,
            )
            .await;
        }
    };
    let host = super::viewer_host(parts).to_ascii_lowercase();
    let encoding = key_encoding(policy, &parts.headers);
    let key = primary_key(
        policy,
        &KeyInput {
            distribution: &distribution.id,
            path,
            query: parts.uri.query(),
            host: &host,
            headers: &parts.headers,
            encoding,
        },
    );
    let request = CacheRequest {
        state,
        snapshot,
        cache,
        distribution,
        behavior,
        parts,
        path_and_query,
        key,
        encoding,
        encoding_key: match encoding {
            Some(_) => EncodingKey::InPrimary,
            None => EncodingKey::Normalised(
                compress::negotiate(&parts.headers).map_or("identity", Encoding::as_str),
            ),
        },
        directives: directives::parse_request(&parts.headers),
    };

    if *method != Method::GET && *method != Method::HEAD {
        request.count("bypass");
        let response = request.fetch(ctx, body, &Conditionals::Keep).await?;
        // RFC 9111 §4.4: a non-error response to an unsafe method invalidates the target.
        let status = response.status();
        if (status.is_success() || status.is_redirection()) && !method.is_safe() {
            let input = KeyInput {
                distribution: &distribution.id,
                path,
                query: parts.uri.query(),
                host: &host,
                headers: &parts.headers,
                encoding,
            };
            let keys = keys_of_every_encoding(policy, input);
            let removed: usize = keys.iter().map(|key| cache.remove_primary(key)).sum();
            tracing::debug!(distribution = %distribution.id, removed, "Stored responses invalidated by an unsafe method");
            // A copy being stored now was fetched before this change: remove it once it has
            // landed, without holding this response back.
            let cache = cache.clone();
            tokio::spawn(async move {
                for key in keys {
                    if settle(&cache, &key).await {
                        cache.remove_primary(&key);
                    }
                }
            });
        }
        return Ok(response);
    }

    if let Some((meta, stored)) = cache.find(&request.variant_key()).await {
        return from_store(&request, ctx, body, meta, stored).await;
    }
    if request.directives.only_if_cached || *method == Method::HEAD {
        // Neither stores anything, but a GET being fetched for this key may be about to:
        // wait for it, so that they are answered from what it stores.
        if settle(cache, &request.key).await
            && let Some((meta, stored)) = cache.find(&request.variant_key()).await
        {
            return from_store(&request, ctx, body, meta, stored).await;
        }
    }
    if request.directives.only_if_cached {
        return Err(ProxyError::NotCached);
    }
    if *method == Method::HEAD {
        request.count("miss");
        return request.fetch(ctx, body, &Conditionals::Keep).await;
    }

    let leader = match cache.collapser.join(&request.key) {
        Role::Leader(leader) => Some(leader),
        Role::Follower(follower) => {
            state.metrics.cache_collapsed(&distribution.id);
            follower.wait(cache.settings.collapse_timeout).await;
            // What the leader stored may still need validating for this viewer (its lifetime
            // is zero, or the viewer's directives ask for more): that is a conditional
            // request, not a second full fetch.
            if let Some((meta, stored)) = cache.find(&request.variant_key()).await {
                return from_store(&request, ctx, body, meta, stored).await;
            }
            // The leader stored nothing for this viewer (another variant, or nothing
            // storable): lead the next fetch if that one is over, so that what this request
            // stores is visible to the requests after it; alone if it is still running.
            match cache.collapser.join(&request.key) {
                Role::Leader(leader) => Some(leader),
                Role::Follower(_) => None,
            }
        }
    };
    request.count("miss");
    let request_time = SystemTime::now();
    let response = request.fetch(ctx, body, &Conditionals::Keep).await?;
    Ok(fill(&request, response, request_time, leader))
}

/// Waits, at most the collapse timeout, for a fetch of `key` in flight to store what it
/// will; says whether there was one. The fetching viewer has its answer before the object is
/// visible, so a request right after it would otherwise miss it.
async fn settle(cache: &EdgeCache, key: &str) -> bool {
    match cache.collapser.join(key) {
        Role::Follower(follower) => {
            follower.wait(cache.settings.collapse_timeout).await;
            true
        }
        Role::Leader(_) => false,
    }
}

/// Answers from a stored response as RFC 9111 §4 allows: fresh, stale where allowed
/// (refreshing in the background within `stale-while-revalidate`), or after validating it.
async fn from_store(
    request: &CacheRequest<'_>,
    ctx: &mut RequestContext,
    body: Body,
    meta: Arc<Meta>,
    stored: StoredBody,
) -> Result<Response<Body>, ProxyError> {
    match reuse(&meta, &request.directives, SystemTime::now()) {
        Reuse::Fresh => Ok(request.serve(ctx, &meta, stored, ResultType::Hit)),
        Reuse::Stale(reason) => {
            request
                .state
                .metrics
                .cache_stale_served(&request.distribution.id, reason.as_str());
            if reason == StaleReason::WhileRevalidate {
                revalidate::in_background(request, ctx, meta.clone());
            }
            Ok(request.serve(ctx, &meta, stored, ResultType::Hit))
        }
        Reuse::Validate if request.directives.only_if_cached => Err(ProxyError::NotCached),
        Reuse::Validate => revalidate::revalidate(request, ctx, body, meta, stored).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn bypass(
    state: &Arc<EdgeState>,
    snapshot: &Arc<Snapshot>,
    ctx: &mut RequestContext,
    distribution: &Arc<CompiledDistribution>,
    behavior: usize,
    parts: &Parts,
    path_and_query: &str,
    body: Body,
) -> Result<Response<Body>, ProxyError> {
    if state.cache.is_some() {
        count_lookup(state, snapshot, &distribution.id, "bypass");
    }
    forward(
        state,
        snapshot,
        ctx,
        distribution,
        &distribution.behaviors[behavior],
        parts,
        path_and_query,
        body,
        &Conditionals::Keep,
    )
    .await
}

/// The primary keys under which the target of `input` may be stored: one per normalised
/// encoding when the policy keys on it, since RFC 9111 §4.4 invalidates the target URI
/// whichever encoding a viewer got it in.
// Limitation: copies keyed on other cookies or headers than this request's are not found.
fn keys_of_every_encoding(policy: &CachePolicy, input: KeyInput<'_>) -> Vec<String> {
    if input.encoding.is_none() {
        return vec![primary_key(policy, &input)];
    }
    ["identity", "gzip", "br", "zstd"]
        .into_iter()
        .map(|encoding| {
            let input = KeyInput {
                encoding: Some(encoding),
                ..input
            };
            primary_key(policy, &input)
        })
        .collect()
}

/// The normalised `Accept-Encoding` in the key, when the policy caches compressed objects:
/// the encoding the edge would compress in for this viewer, or `identity`.
fn key_encoding(policy: &CachePolicy, headers: &http::HeaderMap) -> Option<&'static str> {
    let (gzip, brotli, zstd) = (
        policy.enable_accept_encoding_gzip,
        policy.enable_accept_encoding_brotli,
        policy.enable_accept_encoding_zstd,
    );
    (gzip || brotli || zstd).then(|| {
        let allowed = |encoding| match encoding {
            Encoding::Gzip => gzip,
            Encoding::Brotli => brotli,
            Encoding::Zstd => zstd,
        };
        compress::negotiate_among(headers, allowed).map_or("identity", Encoding::as_str)
    })
}

/// Stores the origin's response, if it may be stored, while it streams to the viewer. The
/// leader (if any) is released once the object is visible, or at once if it will not be.
pub fn fill(
    request: &CacheRequest<'_>,
    response: Response<Body>,
    request_time: SystemTime,
    leader: Option<Leader>,
) -> Response<Body> {
    let (mut head, mut body) = response.into_parts();
    let status = head.status.as_u16();
    let distribution = request.distribution;
    let policy = request.policy();
    let ttl = TtlPolicy {
        min: policy.min_ttl,
        default: policy.default_ttl,
        max: policy.max_ttl,
    };
    let error_ttl = error_caching_ttl(distribution, status);
    let response_time = SystemTime::now();
    let facts = RequestFacts {
        method: &request.parts.method,
        headers: &request.parts.headers,
    };
    let freshness = match storable::decide(
        &facts,
        status,
        &head.headers,
        &ttl,
        error_ttl,
        response_time,
    ) {
        Decision::Store(freshness) => freshness,
        Decision::DontStore(reason) => {
            tracing::debug!(distribution = %distribution.id, reason = reason.as_str(), "Response not stored");
            drop(leader);
            return Response::from_parts(head, body);
        }
    };

    // Compressed objects are stored compressed, under the encoding in their key.
    let behavior = &distribution.behaviors[request.behavior];
    if let Some(encoding) = request.encoding.and_then(Encoding::from_name)
        && behavior.compress
        && compress::eligible(&request.parts.method, head.status, &head.headers)
    {
        body = compress::compress_response(&mut head, body, encoding);
    }
    let names = match vary::vary(&head.headers) {
        vary::Vary::Names(names) => names,
        vary::Vary::None => Vec::new(),
        vary::Vary::Any => return Response::from_parts(head, body),
    };
    let cache = request.cache.clone();
    let key = cache.vary.register(
        &request.key,
        names,
        &request.parts.headers,
        request.encoding_key,
    );
    let tags = tags(&head.headers, &cache.settings.tag_header);
    let headers = head.headers.clone();
    let leader = Arc::new(Mutex::new(leader));
    let abandoned = leader.clone();
    let body = FillBody::new(
        body,
        cache.settings.max_object_size,
        move |filled| {
            let meta = storable::build_meta(
                key,
                status,
                headers,
                request_time,
                response_time,
                &freshness,
                tags,
                filled.len,
            );
            let leader = leader.lock().ok().and_then(|mut l| l.take());
            tokio::spawn(async move {
                cache.put(meta, filled).await;
                drop(leader);
            });
        },
        move |reason| {
            tracing::debug!(reason, "Response not stored");
            if let Ok(mut leader) = abandoned.lock() {
                leader.take();
            }
        },
    );
    Response::from_parts(head, crate::body::boxed(body))
}

/// How long an error `status` without explicit freshness is stored: the distribution's
/// `error_caching_min_ttl` for it, else CloudFront's default.
pub fn error_caching_ttl(distribution: &CompiledDistribution, status: u16) -> Duration {
    distribution
        .error_responses
        .get(&status)
        .and_then(|rule| rule.error_caching_min_ttl)
        .unwrap_or(ERROR_CACHING_TTL)
}

/// Cache tags from the configured header: comma-separated, trimmed, empty ones dropped.
fn tags(headers: &http::HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect()
}
