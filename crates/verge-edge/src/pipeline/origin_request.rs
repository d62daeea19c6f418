//! `origin_request_filter`: what the origin receives. The origin request policy chooses the
//! viewer headers, cookies and query strings; hop-by-hop headers go; `X-Forwarded-For` and
//! `Via` are appended; CloudFront's viewer headers are added when the policy asks for them;
//! the origin's custom headers are set last.

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Version};
use verge_config::model::{HeaderBehavior, ItemBehavior, OriginRequestPolicy};

use crate::context::RequestContext;
use crate::headers::{append_list, remove_hop_by_hop};
use crate::origin::OriginClient;

/// Headers that describe the request body; forwarded whatever the policy says.
const BODY_HEADERS: &[&str] = &["content-type", "content-length", "content-encoding"];

/// Lists the edge appends its own entry to; the viewer's entries are kept whatever the policy
/// says, so the origin sees the whole chain and a loop through this POP stays visible in
/// `Via` (RFC 9110 §7.6.3).
const CHAIN_HEADERS: &[&str] = &["via", "x-forwarded-for"];

/// Viewer headers the edge itself owns and never takes from a viewer.
pub(crate) fn edge_owned(name: &str) -> bool {
    name.starts_with("cloudfront-viewer-")
        || name.starts_with("cloudfront-is-")
        || name == "cloudfront-forwarded-proto"
        || name == "x-verge-request-id"
}

/// The headers sent to the origin.
#[allow(
    clippy::too_many_arguments,
    reason = "each is a distinct input the pipeline holds apart"
)]
pub fn origin_headers(
    policy: &OriginRequestPolicy,
    viewer: &HeaderMap,
    viewer_host: &str,
    viewer_version: Version,
    ctx: &RequestContext,
    client: &OriginClient,
    https: bool,
    via: &str,
) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(viewer.len() + 8);
    let wanted = |name: &str| {
        policy
            .headers
            .items
            .iter()
            .any(|item| item.eq_ignore_ascii_case(name))
    };
    for (name, value) in viewer {
        let key = name.as_str();
        if edge_owned(key) || key == "cookie" || key == "host" {
            continue;
        }
        // `Connection` is always copied so that `remove_hop_by_hop` below sees the headers it
        // names, whether or not the policy forwards them; it is removed there itself.
        let forward = key == "connection"
            || BODY_HEADERS.contains(&key)
            || CHAIN_HEADERS.contains(&key)
            || match policy.headers.behavior {
                HeaderBehavior::None => false,
                HeaderBehavior::Whitelist => wanted(key),
                HeaderBehavior::AllViewer | HeaderBehavior::AllViewerAndWhitelistCloudFront => true,
                HeaderBehavior::AllExcept => !wanted(key),
            };
        if forward {
            headers.append(name.clone(), value.clone());
        }
    }
    remove_hop_by_hop(&mut headers);

    let forward_host = match policy.headers.behavior {
        HeaderBehavior::None => false,
        HeaderBehavior::Whitelist => wanted("host"),
        HeaderBehavior::AllViewer | HeaderBehavior::AllViewerAndWhitelistCloudFront => true,
        HeaderBehavior::AllExcept => !wanted("host"),
    };
    let host = if forward_host && !viewer_host.is_empty() {
        viewer_host
    } else {
        client.host_header(https)
    };
    if let Ok(value) = HeaderValue::from_str(host) {
        headers.insert(header::HOST, value);
    }

    if let Some(cookie) = forward_cookies(&policy.cookies.behavior, &policy.cookies.items, viewer) {
        headers.insert(header::COOKIE, cookie);
    }

    let peer_ip = ctx.conn.peer.ip().to_canonical().to_string();
    append_list(
        &mut headers,
        HeaderName::from_static("x-forwarded-for"),
        &peer_ip,
    );
    append_list(&mut headers, header::VIA, via);
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(HeaderName::from_static("x-verge-request-id"), id);
    }

    let cloudfront_headers = policy.headers.items.iter().filter(|i| {
        matches!(
            policy.headers.behavior,
            HeaderBehavior::Whitelist | HeaderBehavior::AllViewerAndWhitelistCloudFront
        ) && i.to_ascii_lowercase().starts_with("cloudfront-")
    });
    for name in cloudfront_headers {
        let lower = name.to_ascii_lowercase();
        let value = viewer_header(&lower, ctx, viewer_version);
        if let (Some(value), Ok(name)) = (value, HeaderName::from_bytes(lower.as_bytes()))
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            headers.insert(name, value);
        }
    }

    for (name, value) in &client.origin.custom_headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    headers
}

/// The value of one CloudFront viewer header, when Verge knows it.
// Limitation: the device-type headers (CloudFront-Is-Mobile-Viewer and friends) are not
// produced; an origin request policy may list them but they are not sent.
pub(crate) fn viewer_header(name: &str, ctx: &RequestContext, version: Version) -> Option<String> {
    let conn = &ctx.conn;
    match name {
        "cloudfront-viewer-address" => Some(format!(
            "{}:{}",
            conn.peer.ip().to_canonical(),
            conn.peer.port()
        )),
        "cloudfront-forwarded-proto" => {
            Some(if conn.https() { "https" } else { "http" }.to_owned())
        }
        "cloudfront-viewer-http-version" => Some(
            match version {
                Version::HTTP_2 => "2.0",
                Version::HTTP_3 => "3.0",
                Version::HTTP_10 => "1.0",
                _ => "1.1",
            }
            .to_owned(),
        ),
        "cloudfront-viewer-tls" => conn
            .tls
            .as_ref()
            .map(|tls| format!("{}:{}:{}", tls.version, tls.cipher, tls.handshake)),
        "cloudfront-viewer-country" => ctx.geo.country.map(|c| c.as_str().to_owned()),
        "cloudfront-viewer-asn" => ctx.geo.asn.map(|asn| asn.to_string()),
        _ => None,
    }
}

/// The `Cookie` header for the origin, keeping the viewer's order.
fn forward_cookies(
    behavior: &ItemBehavior,
    items: &[String],
    viewer: &HeaderMap,
) -> Option<HeaderValue> {
    if *behavior == ItemBehavior::None {
        return None;
    }
    let pairs: Vec<&str> = viewer
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("").trim();
            let listed = items.iter().any(|item| item == name);
            match behavior {
                ItemBehavior::All => true,
                ItemBehavior::Whitelist => listed,
                ItemBehavior::AllExcept => !listed,
                ItemBehavior::None => false,
            }
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    HeaderValue::from_str(&pairs.join("; ")).ok()
}

/// The query string for the origin, keeping the viewer's order and encoding: the same
/// filtering the cache key applies, so what the origin sees and what is keyed agree.
pub fn forward_query(
    behavior: &ItemBehavior,
    items: &[String],
    query: Option<&str>,
) -> Option<String> {
    verge_cache::key::filter_query(*behavior, items, query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_filters() {
        let items = vec!["a".to_owned()];
        assert_eq!(
            forward_query(&ItemBehavior::All, &items, Some("a=1&b=2")),
            Some("a=1&b=2".to_owned())
        );
        assert_eq!(
            forward_query(&ItemBehavior::None, &items, Some("a=1")),
            None
        );
        assert_eq!(
            forward_query(&ItemBehavior::Whitelist, &items, Some("b=2&a=1&a=3")),
            Some("a=1&a=3".to_owned())
        );
        assert_eq!(
            forward_query(&ItemBehavior::AllExcept, &items, Some("a=1&b=2")),
            Some("b=2".to_owned())
        );
        assert_eq!(forward_query(&ItemBehavior::All, &items, Some("")), None);
    }

    #[test]
    fn cookie_filters() {
        let mut viewer = HeaderMap::new();
        viewer.append(
            header::COOKIE,
            HeaderValue::from_static("session=1; theme=dark"),
        );
        viewer.append(header::COOKIE, HeaderValue::from_static("ab=b"));
        let items = vec!["session".to_owned(), "ab".to_owned()];
        let kept = forward_cookies(&ItemBehavior::Whitelist, &items, &viewer).expect("some");
        assert_eq!(kept, "session=1; ab=b");
        let except = forward_cookies(&ItemBehavior::AllExcept, &items, &viewer).expect("some");
        assert_eq!(except, "theme=dark");
        assert!(forward_cookies(&ItemBehavior::None, &items, &viewer).is_none());
    }
}
