//! `viewer_response_filter`: the response headers policy, compression when the behavior
//! allows it, and Verge's own headers (`x-cache`, `via`, `x-verge-request-id`,
//! `x-verge-pop`); `Connection: close` on HTTP/1.x while draining.

use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Response, Version};

use crate::body::Body;
use crate::compress;
use crate::context::RequestContext;
use crate::headers::append_list;
use crate::response_policy::{self, ServerTiming, ViewerRequestInfo};
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// Adds and removes response headers, and compresses, before the response goes out.
pub fn viewer_response_filter(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &RequestContext,
    parts: &Parts,
    response: Response<Body>,
) -> Response<Body> {
    let pop = &snapshot.config.node.pop;
    let behavior = ctx
        .distribution
        .as_deref()
        .zip(ctx.behavior)
        .and_then(|(distribution, index)| distribution.behaviors.get(index));
    let (mut head, mut body) = response.into_parts();

    if let Some(behavior) = behavior {
        if let Some(policy) = &behavior.response_headers_policy {
            let timing = ServerTiming {
                pop: pop.clone(),
                request_id: ctx.request_id.clone(),
                cache_result: ctx.result.as_str(),
                origin_connect_ms: None,
                origin_first_byte_ms: ctx.origin_latency.map(|d| d.as_secs_f64() * 1000.0),
                edge_first_byte_ms: ctx.started.elapsed().as_secs_f64() * 1000.0,
            };
            response_policy::apply(
                policy,
                ViewerRequestInfo::from_parts(parts),
                &mut head.headers,
                Some(&timing),
            );
        }
        if behavior.compress && compress::eligible(&parts.method, head.status, &head.headers) {
            // Either way the representation depends on Accept-Encoding (RFC 9110 §12.5.5), so
            // a shared cache downstream must not hand this identity copy to every viewer.
            match compress::negotiate(&parts.headers) {
                Some(encoding) => body = compress::compress_response(&mut head, body, encoding),
                None => response_policy::add_vary(&mut head.headers, "Accept-Encoding"),
            }
        }
    }

    let headers = &mut head.headers;
    headers.insert(HeaderName::from_static("x-cache"), ctx.result.x_cache());
    append_list(headers, header::VIA, &snapshot.via);
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(HeaderName::from_static("x-verge-request-id"), value);
    }
    headers.insert(
        HeaderName::from_static("x-verge-pop"),
        snapshot.pop_header.clone(),
    );
    if state.draining() && parts.version <= Version::HTTP_11 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Response::from_parts(head, body)
}
