//! Events from live traffic: the viewer's request (and, for viewer-response, the response on
//! its way out) in CloudFront Functions' shape. Headers functions may not see are left out;
//! cookies move from `Cookie` and `Set-Cookie` into their own maps.

use http::request::Parts;
use http::{HeaderMap, Response, header};
use verge_config::CompiledDistribution;
use verge_functions::event::{
    Context, Event, EventType, Fields, Request, Response as EventResponse, Viewer, push_set_cookie,
    push_value,
};
use verge_functions::output::is_disallowed;

use crate::context::RequestContext;
use crate::pipeline::{edge_owned, viewer_header};

/// The CloudFront viewer headers a function sees.
const VIEWER_HEADERS: [&str; 6] = [
    "cloudfront-viewer-address",
    "cloudfront-viewer-country",
    "cloudfront-viewer-asn",
    "cloudfront-forwarded-proto",
    "cloudfront-viewer-http-version",
    "cloudfront-viewer-tls",
];

/// The viewer-request event for `parts`.
pub fn request_event(
    parts: &Parts,
    ctx: &RequestContext,
    distribution: &CompiledDistribution,
    event_type: EventType,
) -> Event {
    let mut request = Request {
        method: parts.method.as_str().to_owned(),
        uri: parts.uri.path().to_owned(),
        querystring: Request::parse_query(parts.uri.query().unwrap_or("")),
        headers: Fields::new(),
        cookies: Fields::new(),
    };
    if !parts.headers.contains_key(header::HOST)
        && let Some(authority) = parts.uri.authority()
    {
        push_value(&mut request.headers, "host", authority.as_str());
    }
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == header::COOKIE {
            request.add_cookie_header(&value);
        } else if !is_disallowed(name.as_str()) && !edge_owned(name.as_str()) {
            push_value(&mut request.headers, name.as_str(), &value);
        }
    }
    // CloudFront's viewer headers as the edge knows them (a viewer cannot forge them).
    for name in VIEWER_HEADERS {
        if let Some(value) = viewer_header(name, ctx, parts.version) {
            push_value(&mut request.headers, name, &value);
        }
    }
    Event {
        version: "1.0".to_owned(),
        context: Context {
            distribution_domain_name: Some(distribution.primary_domain.clone()),
            endpoint: None,
            distribution_id: Some(distribution.id.clone()),
            event_type: Some(event_type),
            request_id: Some(ctx.request_id.clone()),
        },
        viewer: Viewer {
            ip: ctx.conn.peer.ip().to_string(),
        },
        request,
        response: None,
    }
}

/// Adds the response on its way to the viewer to a request event.
pub fn response_event<B>(mut event: Event, response: &Response<B>) -> Event {
    event.context.event_type = Some(EventType::ViewerResponse);
    event.response = Some(response_fields(response.status(), response.headers()));
    event
}

fn response_fields(status: http::StatusCode, headers: &HeaderMap) -> EventResponse {
    let mut out = EventResponse {
        status_code: status.as_u16(),
        status_description: status.canonical_reason().map(str::to_owned),
        ..EventResponse::default()
    };
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == header::SET_COOKIE {
            push_set_cookie(&mut out.cookies, &value);
        } else if !is_disallowed(name.as_str()) {
            push_value(&mut out.headers, name.as_str(), &value);
        }
    }
    out
}
