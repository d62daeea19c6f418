//! `route`: the viewer's host picks the distribution and the path picks the cache behavior;
//! then the behavior's viewer protocol policy, allowed methods and the distribution's geo
//! restriction are enforced.

use std::sync::Arc;

use http::request::Parts;
use verge_config::model::{GeoRestrictionType, ViewerProtocolPolicy};
use verge_config::{CompiledDistribution, Routes};

use super::ProxyError;
use crate::context::RequestContext;

/// The host a viewer asked for: `:authority` (HTTP/2) or `Host`.
pub fn viewer_host(parts: &Parts) -> &str {
    parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
        })
        .unwrap_or("")
}

/// Picks the distribution and the index of the behavior serving this request; `https_port`
/// is where an HTTP-to-HTTPS redirect points.
pub fn route(
    routes: &Routes,
    parts: &Parts,
    ctx: &mut RequestContext,
    https_port: u16,
) -> Result<(Arc<CompiledDistribution>, usize), ProxyError> {
    let host = viewer_host(parts);
    let distribution = routes
        .distribution_for(host)
        .cloned()
        .ok_or_else(|| ProxyError::UnknownHost(host.chars().take(255).collect()))?;
    ctx.distribution = Some(distribution.clone());
    if !distribution.enabled {
        return Err(ProxyError::Disabled);
    }

    let path = parts.uri.path();
    let last = distribution.behaviors.len() - 1;
    let index = distribution.behaviors[..last]
        .iter()
        .position(|b| b.pattern.matches(path))
        .unwrap_or(last);
    let behavior = &distribution.behaviors[index];
    // Edge-made refusals below still get the behavior's response headers policy.
    ctx.behavior = Some(index);

    // A tier hop was checked by the edge the viewer reached; the hop itself is plain HTTP from
    // another POP, whose country says nothing about the viewer.
    let tier_hop = ctx.tier_hops > 0;
    if !ctx.conn.https() && !tier_hop {
        match behavior.viewer_protocol_policy {
            ViewerProtocolPolicy::AllowAll => {}
            ViewerProtocolPolicy::HttpsOnly => return Err(ProxyError::HttpsRequired),
            ViewerProtocolPolicy::RedirectToHttps => {
                let host = host
                    .rsplit_once(':')
                    .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                    .map_or(host, |(h, _)| h);
                let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
                let port = if https_port == 443 {
                    String::new()
                } else {
                    format!(":{https_port}")
                };
                return Err(ProxyError::RedirectToHttps(format!(
                    "https://{host}{port}{target}"
                )));
            }
        }
    }
    if !behavior.allowed_methods.contains(parts.method.as_str()) {
        return Err(ProxyError::MethodNotAllowed(behavior.allowed_methods));
    }

    let restriction = &distribution.geo_restriction;
    if restriction.restriction_type != GeoRestrictionType::None && !tier_hop {
        // A viewer whose country is unknown is served, as CloudFront does.
        if let Some(country) = ctx.geo.country {
            let listed = restriction.locations.iter().any(|c| c == country.as_str());
            let allowed = match restriction.restriction_type {
                GeoRestrictionType::Whitelist => listed,
                GeoRestrictionType::Blacklist => !listed,
                GeoRestrictionType::None => true,
            };
            if !allowed {
                return Err(ProxyError::GeoBlocked);
            }
        }
    }
    Ok((distribution, index))
}
