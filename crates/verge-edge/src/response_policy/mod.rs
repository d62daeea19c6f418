//! Response headers policies, as CloudFront applies them: on the response going to the viewer,
//! after the cache, the edge removes listed origin headers, then adds CORS, security, custom
//! and `Server-Timing` headers. Each added header honours the policy's `override` flag.

mod cors;
mod security;
mod server_timing;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, request};
use verge_config::model::ResponseHeadersPolicy;

pub use server_timing::ServerTiming;

/// Headers a policy never removes: message framing and hop-by-hop fields (RFC 9110 §7.6.1),
/// and the edge's own `Via`, `Date` and `X-Cache`.
const PROTECTED: &[&str] = &[
    "connection",
    "content-encoding",
    "content-length",
    "date",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-cache",
];

/// Prefix of the POP and request id headers (`X-Amz-Cf-Pop`, `X-Amz-Cf-Id`), never removed.
const PROTECTED_PREFIX: &str = "x-amz-cf-";

/// The parts of the viewer request a response headers policy reads. The `Origin` and
/// `Access-Control-Request-*` headers are taken from `headers`.
#[derive(Debug, Clone, Copy)]
pub struct ViewerRequestInfo<'a> {
    /// The viewer's request method.
    pub method: &'a Method,
    /// The viewer's request headers.
    pub headers: &'a HeaderMap,
}

impl<'a> ViewerRequestInfo<'a> {
    /// Reads the method and headers of a viewer request.
    pub fn from_parts(parts: &'a request::Parts) -> Self {
        ViewerRequestInfo {
            method: &parts.method,
            headers: &parts.headers,
        }
    }
}

/// Applies `policy` to the `response` headers of a reply to `request`. `timing` feeds the
/// `Server-Timing` header; without it no such header is added.
pub fn apply(
    policy: &ResponseHeadersPolicy,
    request: ViewerRequestInfo<'_>,
    response: &mut HeaderMap,
    timing: Option<&ServerTiming>,
) {
    // Removal first, so a removed origin header never blocks one the policy adds.
    remove_headers(&policy.remove_headers, response);

    if let Some(cors) = &policy.cors {
        cors::apply(cors, request, response);
    }
    if let Some(security) = &policy.security_headers {
        security::apply(security, response);
    }
    for custom in &policy.custom_headers {
        match HeaderName::from_bytes(custom.header.as_bytes()) {
            Ok(name) => set(response, name, &custom.value, custom.override_origin),
            Err(_) => {
                tracing::debug!(header = %custom.header, "Invalid custom header name skipped")
            }
        }
    }

    let config = policy
        .server_timing
        .as_ref()
        .filter(|config| config.enabled);
    if let (Some(config), Some(timing)) = (config, timing)
        && server_timing::sampled(config.sampling_rate)
    {
        server_timing::add(response, timing);
    }
}

/// Adds `field` to the `Vary` list unless it is already there or `Vary` is `*`
/// (RFC 9110 §12.5.5). Existing values are merged into a single field line.
pub fn add_vary(headers: &mut HeaderMap, field: &str) {
    let Ok(value) = HeaderValue::from_str(field) else {
        return;
    };

    let mut merged = String::new();
    let mut opaque = false;
    for existing in headers.get_all(header::VARY) {
        let Ok(text) = existing.to_str() else {
            opaque = true;
            continue;
        };
        for token in text
            .split(',')
            .map(str::trim)
            .filter(|token| !token.is_empty())
        {
            if token == "*" || token.eq_ignore_ascii_case(field) {
                return;
            }
            if !merged.is_empty() {
                merged.push_str(", ");
            }
            merged.push_str(token);
        }
    }

    // A value that is not visible ASCII cannot be rewritten; keep it and add a line.
    if opaque || merged.is_empty() {
        headers.append(header::VARY, value);
        return;
    }
    merged.push_str(", ");
    merged.push_str(field);
    if let Ok(merged) = HeaderValue::from_str(&merged) {
        headers.insert(header::VARY, merged);
    }
}

/// Sets `name` to `value`, unless the origin sent `name` and `override_origin` is false.
fn set(response: &mut HeaderMap, name: HeaderName, value: &str, override_origin: bool) {
    if !override_origin && response.contains_key(&name) {
        return;
    }
    match HeaderValue::from_str(value) {
        Ok(value) => {
            response.insert(name, value);
        }
        Err(_) => tracing::debug!(header = %name, "Invalid response header value skipped"),
    }
}

fn remove_headers(names: &[String], response: &mut HeaderMap) {
    for name in names {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        let protected =
            PROTECTED.contains(&name.as_str()) || name.as_str().starts_with(PROTECTED_PREFIX);
        if !protected {
            response.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use verge_config::model::CustomHeader;

    use super::*;

    fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        headers.get(name).map(|v| v.to_str().expect("ascii"))
    }

    #[test]
    fn custom_headers_and_removal() {
        let policy = ResponseHeadersPolicy {
            custom_headers: vec![
                CustomHeader {
                    header: "X-Team".into(),
                    value: "edge".into(),
                    override_origin: true,
                },
                CustomHeader {
                    header: "X-Kept".into(),
                    value: "ours".into(),
                    override_origin: false,
                },
                CustomHeader {
                    header: "X-New".into(),
                    value: "new".into(),
                    override_origin: false,
                },
                CustomHeader {
                    header: "bad name".into(),
                    value: "x".into(),
                    override_origin: true,
                },
            ],
            remove_headers: vec![
                "SERVER".into(),
                "x-powered-by".into(),
                "Content-Length".into(),
                "X-Amz-Cf-Pop".into(),
            ],
            ..ResponseHeadersPolicy::default()
        };
        let mut response = HeaderMap::new();
        for (name, value) in [
            ("server", "nginx"),
            ("x-powered-by", "php"),
            ("content-length", "10"),
            ("x-team", "origin"),
            ("x-kept", "origin"),
            ("x-amz-cf-pop", "dev1"),
        ] {
            response.insert(name, HeaderValue::from_static(value));
        }
        let req = HeaderMap::new();
        let info = ViewerRequestInfo {
            method: &Method::GET,
            headers: &req,
        };
        apply(&policy, info, &mut response, None);

        assert!(!response.contains_key("server"));
        assert!(!response.contains_key("x-powered-by"));
        assert_eq!(get(&response, "content-length"), Some("10"));
        assert_eq!(get(&response, "x-amz-cf-pop"), Some("dev1"));
        assert_eq!(get(&response, "x-team"), Some("edge"));
        assert_eq!(get(&response, "x-kept"), Some("origin"));
        assert_eq!(get(&response, "x-new"), Some("new"));
    }

    #[test]
    fn vary_merges_without_duplicates() {
        let mut headers = HeaderMap::new();
        add_vary(&mut headers, "Origin");
        assert_eq!(get(&headers, "vary"), Some("Origin"));
        headers.append("vary", HeaderValue::from_static("accept-language"));
        add_vary(&mut headers, "origin");
        add_vary(&mut headers, "Accept-Encoding");
        assert_eq!(
            get(&headers, "vary"),
            Some("Origin, accept-language, Accept-Encoding")
        );
        assert_eq!(headers.get_all("vary").iter().count(), 1);

        let mut star = HeaderMap::new();
        star.insert("vary", HeaderValue::from_static("*"));
        add_vary(&mut star, "Origin");
        assert_eq!(get(&star, "vary"), Some("*"));
    }
}
