//! Tier hops: an edge POP sends its cache misses to a parent tier (a regional Verge node,
//! chosen by rendezvous hashing on the cache key) or to the origin's shield node instead of
//! the origin. A hop carries a marker with the hop count and the deployment's secret, so the
//! parent knows the request is internal and loops end at `max_hops`.

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response};
use verge_config::Target;
use verge_config::model::{TierNode, Tiers};
use xxhash_rust::xxh3::xxh3_64;

use super::ProxyError;
use super::cached::CacheRequest;
use super::forward::Conditionals;
use crate::body::Body;
use crate::context::{RequestContext, ResultType};
use crate::headers::{append_list, remove_hop_by_hop};
use crate::origin::OriginError;

/// The marker header of a tier hop: `hops=<n>; pop=<sender>; token=<secret>`.
pub const TIER_HEADER: HeaderName = HeaderName::from_static("x-verge-tier");

/// The hop count a request arrived with: 0 for a viewer, or for a marker without the right
/// secret (which is then not trusted).
pub fn arriving_hops(headers: &HeaderMap, tiers: &Tiers) -> u8 {
    let Some(secret) = tiers.secret.as_deref() else {
        return 0;
    };
    let Some(value) = headers.get(&TIER_HEADER).and_then(|v| v.to_str().ok()) else {
        return 0;
    };
    let mut hops = None;
    let mut trusted = false;
    for part in value.split(';') {
        match part.trim().split_once('=') {
            Some(("hops", n)) => hops = n.parse::<u8>().ok(),
            Some(("token", token)) => {
                trusted = constant_time_eq(token.as_bytes(), secret.as_bytes())
            }
            _ => {}
        }
    }
    if trusted { hops.unwrap_or(0) } else { 0 }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Rendezvous (highest random weight) hashing: the parent scoring highest for `key`. Every
/// node computes the same answer, and removing a parent moves only the keys it had.
pub fn rendezvous<'a>(key: &str, parents: &[&'a TierNode]) -> Option<&'a TierNode> {
    parents.iter().copied().max_by_key(|parent| {
        let mut input = Vec::with_capacity(key.len() + parent.pop.len() + 1);
        input.extend_from_slice(parent.pop.as_bytes());
        input.push(b'\n');
        input.extend_from_slice(key.as_bytes());
        xxh3_64(&input)
    })
}

/// Whether a tier is a regional parent or the origin's shield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierKind {
    /// A regional cache.
    Parent,
    /// The origin's shield.
    Shield,
}

/// Where this request's miss goes, if not straight to the origin: a parent for a viewer's
/// request (hop 0), else the origin's shield, never this node itself.
pub fn choose<'a>(request: &'a CacheRequest<'_>, hops: u8) -> Option<(&'a TierNode, TierKind)> {
    let method = &request.parts.method;
    if method != http::Method::GET && method != http::Method::HEAD {
        return None;
    }
    let config = &request.snapshot.config;
    let own = config.node.pop.as_str();
    if hops == 0 {
        let parents: Vec<&TierNode> = config
            .tiers
            .parents
            .iter()
            .filter(|p| p.pop != own)
            .collect();
        if let Some(parent) = rendezvous(&request.key, &parents) {
            return Some((parent, TierKind::Parent));
        }
    }
    let behavior = &request.distribution.behaviors[request.behavior];
    let origin = match &behavior.target {
        Target::Origin(index) => *index,
        Target::Group { primary, .. } => *primary,
    };
    request
        .distribution
        .origins
        .get(origin)?
        .origin_shield
        .as_ref()
        .filter(|shield| shield.pop != own)
        .map(|shield| (shield, TierKind::Shield))
}

/// Sends the miss to `tier`. The parent gets the viewer's request as the viewer sent it (its
/// own policies decide what reaches the origin), with `Via`, `X-Forwarded-For` and the marker.
pub async fn fetch(
    request: &CacheRequest<'_>,
    ctx: &mut RequestContext,
    tier: &TierNode,
    kind: TierKind,
    conditionals: &Conditionals,
) -> Result<Response<Body>, ProxyError> {
    let snapshot = request.snapshot;
    let client = snapshot
        .tier_clients
        .get(&tier.pop)
        .ok_or_else(|| OriginError::Connect {
            origin: format!("tier {}", tier.pop),
            reason: "no client for this tier".to_owned(),
        })?;
    let path_and_query = request
        .parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str());
    let uri = client.uri(false, path_and_query)?;

    let mut headers = request.parts.headers.clone();
    remove_hop_by_hop(&mut headers);
    conditionals.apply(&mut headers);
    append_list(
        &mut headers,
        HeaderName::from_static("x-forwarded-for"),
        &ctx.conn.peer.ip().to_string(),
    );
    append_list(&mut headers, header::VIA, &snapshot.via);
    if let Ok(host) = HeaderValue::from_str(super::viewer_host(request.parts)) {
        headers.insert(header::HOST, host);
    }
    let tiers = &snapshot.config.tiers;
    let marker = format!(
        "hops={}; pop={}; token={}",
        ctx.tier_hops.saturating_add(1),
        snapshot.config.node.pop,
        tiers.secret.as_deref().unwrap_or("")
    );
    if let Ok(marker) = HeaderValue::from_str(&marker) {
        headers.insert(TIER_HEADER, marker);
    }

    let mut outgoing = Request::new(crate::body::empty());
    *outgoing.method_mut() = request.parts.method.clone();
    *outgoing.uri_mut() = uri;
    *outgoing.headers_mut() = headers;
    let distribution = &request.distribution.id;
    let origin_label = format!("tier:{}", tier.pop);
    let response = match client.send(outgoing).await {
        Ok(response) => response,
        Err(error) => {
            request
                .state
                .metrics
                .origin_request(distribution, &origin_label, "connect_error");
            return Err(error.into());
        }
    };
    request
        .state
        .metrics
        .origin_request(distribution, &origin_label, "ok");
    ctx.origin = Some(origin_label);
    ctx.origin_latency = Some(response.latency);

    let mut response = response.response;
    remove_hop_by_hop(response.headers_mut());
    let upstream_hit = response
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("Hit from"));
    if upstream_hit {
        ctx.result = ResultType::OriginShieldHit;
    }
    tracing::debug!(distribution = %distribution, tier = %tier.pop, kind = ?kind, upstream_hit, "Miss sent to a tier");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(pop: &str, port: u16) -> TierNode {
        TierNode {
            pop: pop.to_owned(),
            address: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    #[test]
    fn rendezvous_spreads_keys_and_moves_few_when_a_parent_goes() {
        let (a, b, c) = (node("a", 1), node("b", 2), node("c", 3));
        let all = [&a, &b, &c];
        let two = [&a, &b];
        let mut counts = std::collections::HashMap::new();
        let mut moved = 0;
        for n in 0..3000 {
            let key = format!("shop\n/obj/{n}\n");
            let chosen = rendezvous(&key, &all).expect("a parent");
            *counts.entry(chosen.pop.clone()).or_insert(0) += 1;
            let after = rendezvous(&key, &two).expect("a parent");
            if chosen.pop != "c" && after.pop != chosen.pop {
                moved += 1;
            }
        }
        assert_eq!(moved, 0, "keys of the remaining parents stay put");
        for pop in ["a", "b", "c"] {
            assert!(counts[pop] > 800, "{counts:?}");
        }
    }

    #[test]
    fn markers_are_trusted_only_with_the_secret() {
        let tiers = Tiers {
            parents: Vec::new(),
            secret: Some("0123456789abcdef".to_owned()),
            max_hops: 3,
        };
        let mut headers = HeaderMap::new();
        assert_eq!(arriving_hops(&headers, &tiers), 0);
        headers.insert(
            TIER_HEADER,
            HeaderValue::from_static("hops=2; pop=fra1; token=0123456789abcdef"),
        );
        assert_eq!(arriving_hops(&headers, &tiers), 2);
        headers.insert(TIER_HEADER, HeaderValue::from_static("hops=2; token=guess"));
        assert_eq!(arriving_hops(&headers, &tiers), 0);
        let open = Tiers::default();
        assert_eq!(arriving_hops(&headers, &open), 0);
    }
}
