//! The cache part of the admin API: `POST /invalidations` (paths with a trailing `*`, or
//! cache tags), `GET /invalidations[/<id>]` for their status, and `GET /cache` for the tiers.

use std::time::Instant;

use http::{Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;
use verge_telemetry::TierSample;

use super::Edge;
use crate::body::Body;
use crate::cache::invalidation::Target;
use crate::state::EdgeState;

/// Largest invalidation request body accepted.
const MAX_BODY: usize = 1 << 20;

/// An invalidation request: Verge's short form, or CloudFront's `InvalidationBatch` shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvalidationRequest {
    #[serde(alias = "DistributionId")]
    distribution: String,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default, rename = "InvalidationBatch")]
    batch: Option<Batch>,
}

#[derive(Debug, Deserialize)]
struct Batch {
    #[serde(rename = "Paths")]
    paths: BatchPaths,
    #[serde(default, rename = "CallerReference")]
    _caller_reference: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BatchPaths {
    #[serde(rename = "Items", default)]
    items: Vec<String>,
    #[serde(rename = "Quantity", default)]
    _quantity: Option<u64>,
}

/// `POST /invalidations`: applies it on this node and answers with its status.
pub async fn create(edge: &Edge, body: Incoming) -> Response<Body> {
    let state = edge.state();
    let Some(cache) = state.cache.clone() else {
        return super::admin::json_response(
            StatusCode::CONFLICT,
            json!({"error": "this node has no cache (memory_size and disk_size are 0)"}),
        );
    };
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return rejected(
                state,
                "the body is unreadable or larger than 1 MiB".to_owned(),
            );
        }
    };
    let request: InvalidationRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => return rejected(state, format!("invalid JSON: {error}")),
    };
    let mut paths = request.paths;
    if let Some(batch) = request.batch {
        paths.extend(batch.paths.items);
    }
    let target = Target {
        distribution: request.distribution,
        paths,
        tags: request.tags,
    };
    if let Err(message) = target.check() {
        return rejected(state, message);
    }
    let known = state
        .snapshot
        .load()
        .config
        .distributions
        .iter()
        .any(|d| d.id == target.distribution);
    if !known {
        return rejected(state, format!("no distribution `{}`", target.distribution));
    }

    let id = cache.invalidations.begin(&target);
    let started = Instant::now();
    let applying = cache.clone();
    let applied = tokio::task::spawn_blocking(move || {
        let removed = applying.store.retain(|meta| !target.matches(meta));
        applying
            .vary
            .retain(|primary| !target.covers_primary(primary));
        removed
    })
    .await;
    let removed = applied.unwrap_or(0) as u64;
    let millis = started.elapsed().as_millis() as u64;
    state.metrics.invalidation("completed", removed);
    tracing::info!(id = %id, removed, duration_ms = millis, "Invalidation completed");
    match cache.invalidations.complete(&id, removed, millis) {
        Some(invalidation) => {
            super::admin::json_response(StatusCode::CREATED, json!({"invalidation": invalidation}))
        }
        None => super::admin::json_response(StatusCode::CREATED, json!({"id": id})),
    }
}

fn rejected(state: &EdgeState, message: String) -> Response<Body> {
    state.metrics.invalidation("rejected", 0);
    super::admin::json_response(StatusCode::BAD_REQUEST, json!({"error": message}))
}

/// `GET /invalidations` and `GET /invalidations/<id>`.
pub fn status(edge: &Edge, id: Option<&str>) -> Response<Body> {
    let Some(cache) = edge.state().cache.as_ref() else {
        return super::admin::json_response(StatusCode::OK, json!({"invalidations": []}));
    };
    match id {
        None => super::admin::json_response(
            StatusCode::OK,
            json!({"invalidations": cache.invalidations.recent(100)}),
        ),
        Some(id) => match cache.invalidations.get(id) {
            Some(invalidation) => {
                super::admin::json_response(StatusCode::OK, json!({"invalidation": invalidation}))
            }
            None => super::admin::json_response(
                StatusCode::NOT_FOUND,
                json!({"error": format!("no invalidation `{id}`")}),
            ),
        },
    }
}

/// `GET /cache`: the tiers' sizes and counters.
pub fn describe(edge: &Edge) -> Response<Body> {
    let Some(cache) = edge.state().cache.as_ref() else {
        return super::admin::json_response(StatusCode::OK, json!({"enabled": false}));
    };
    let stats = cache.store.stats();
    let tier = |s: Option<verge_cache::store::TierStats>| match s {
        Some(s) => {
            json!({"entries": s.entries, "bytes": s.bytes, "hits": s.hits, "misses": s.misses, "evictions": s.evictions})
        }
        None => serde_json::Value::Null,
    };
    super::admin::json_response(
        StatusCode::OK,
        json!({
            "enabled": true,
            "memory": tier(Some(stats.memory)),
            "disk": tier(stats.disk),
            "in_flight": cache.collapser.in_flight(),
        }),
    )
}

/// Copies the tiers' counters into the metrics before a scrape.
pub fn sample(state: &EdgeState) {
    let Some(cache) = state.cache.as_ref() else {
        return;
    };
    let stats = cache.store.stats();
    let tiers = [("memory", Some(stats.memory)), ("disk", stats.disk)];
    for (tier, s) in tiers.iter().filter_map(|(name, s)| Some((*name, (*s)?))) {
        state.metrics.record_cache_tier(
            tier,
            &TierSample {
                entries: s.entries,
                bytes: s.bytes,
                evictions: s.evictions,
                hits: s.hits,
                misses: s.misses,
            },
        );
    }
}
