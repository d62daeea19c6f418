//! The CORS part of a response headers policy: which viewer origins are allowed, and the
//! `Access-Control-*` headers for simple and preflight requests (Fetch standard §3.2).

use http::Method;
use http::header::{self, HeaderMap};
use verge_config::model::Cors;

use super::{ViewerRequestInfo, add_vary, set};

/// `Access-Control-Allow-Methods` when a policy allows `ALL`: CloudFront's seven methods.
const ALL_METHODS: &str = "GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT";

/// CORS headers, only for requests that carry `Origin` (Fetch standard §3.2).
pub(super) fn apply(cors: &Cors, request: ViewerRequestInfo<'_>, response: &mut HeaderMap) {
    let Some(origin) = request.headers.get(header::ORIGIN) else {
        return;
    };
    let Ok(origin) = origin.to_str() else {
        return;
    };

    // `*` cannot be combined with credentials, so a credentialed `*` echoes the viewer's origin.
    let any = cors.allow_origins.iter().any(|entry| entry == "*");
    if any && !cors.allow_credentials {
        set(
            response,
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            "*",
            cors.override_origin,
        );
    } else {
        add_vary(response, "Origin");
        let listed = cors
            .allow_origins
            .iter()
            .any(|entry| origin_matches(entry, origin));
        if !any && !listed {
            return;
        }
        set(
            response,
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            origin,
            cors.override_origin,
        );
    }

    let replace = cors.override_origin;
    if cors.allow_credentials {
        set(
            response,
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            "true",
            replace,
        );
    }
    if !cors.expose_headers.is_empty() {
        let exposed = cors.expose_headers.join(", ");
        set(
            response,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            &exposed,
            replace,
        );
    }

    let preflight = request.method == Method::OPTIONS
        && request
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !preflight {
        return;
    }
    if let Some(methods) = allow_methods(&cors.allow_methods) {
        set(
            response,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            &methods,
            replace,
        );
    }
    if let Some(headers) = allow_headers(cors, request.headers) {
        set(
            response,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &headers,
            replace,
        );
    }
    if let Some(max_age) = cors.max_age {
        let seconds = max_age.as_secs().to_string();
        set(response, header::ACCESS_CONTROL_MAX_AGE, &seconds, replace);
    }
}

/// Whether a viewer `origin` matches an `allow_origins` entry: exactly (ASCII case-insensitive),
/// or CloudFront's subdomain wildcard `scheme://*.domain[:port]`.
fn origin_matches(entry: &str, origin: &str) -> bool {
    if entry.eq_ignore_ascii_case(origin) {
        return true;
    }
    let Some((prefix, suffix)) = entry.split_once('*') else {
        return false;
    };
    if !prefix.ends_with("://") || !suffix.starts_with('.') || suffix.contains('*') {
        return false;
    }

    let origin = origin.as_bytes();
    let Some(middle_end) = origin.len().checked_sub(suffix.len()) else {
        return false;
    };
    let (Some(head), Some(middle), Some(tail)) = (
        origin.get(..prefix.len()),
        origin.get(prefix.len()..middle_end),
        origin.get(middle_end..),
    ) else {
        return false;
    };
    let subdomain = !middle.is_empty()
        && !middle.starts_with(b".")
        && middle
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.');
    subdomain
        && head.eq_ignore_ascii_case(prefix.as_bytes())
        && tail.eq_ignore_ascii_case(suffix.as_bytes())
}

fn allow_methods(methods: &[String]) -> Option<String> {
    if methods
        .iter()
        .any(|method| method.eq_ignore_ascii_case("ALL"))
    {
        return Some(ALL_METHODS.to_owned());
    }
    (!methods.is_empty()).then(|| methods.join(", "))
}

/// `*` is literal for credentialed requests, so the requested headers are echoed instead.
fn allow_headers(cors: &Cors, request: &HeaderMap) -> Option<String> {
    let any = cors.allow_headers.iter().any(|name| name == "*");
    if any && cors.allow_credentials {
        let requested = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS)?;
        return requested.to_str().ok().map(str::to_owned);
    }
    (!cors.allow_headers.is_empty()).then(|| cors.allow_headers.join(", "))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::HeaderValue;
    use verge_config::model::ResponseHeadersPolicy;

    use super::*;
    use crate::response_policy::apply as apply_policy;

    fn request(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).expect("test value"));
        }
        headers
    }

    fn cors(origins: &[&str]) -> ResponseHeadersPolicy {
        ResponseHeadersPolicy {
            cors: Some(Cors {
                allow_origins: origins.iter().map(|o| o.to_string()).collect(),
                allow_headers: vec!["content-type".into(), "x-token".into()],
                allow_methods: vec!["ALL".into()],
                expose_headers: vec!["x-request-id".into()],
                max_age: Some(Duration::from_secs(600)),
                ..Cors::default()
            }),
            ..ResponseHeadersPolicy::default()
        }
    }

    fn run(policy: &ResponseHeadersPolicy, method: &Method, req: &HeaderMap) -> HeaderMap {
        let mut response = HeaderMap::new();
        let info = ViewerRequestInfo {
            method,
            headers: req,
        };
        apply_policy(policy, info, &mut response, None);
        response
    }

    fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        headers.get(name).map(|v| v.to_str().expect("ascii"))
    }

    #[test]
    fn cors_star_for_simple_request() {
        let req = request(&[("origin", "https://a.test")]);
        let response = run(&cors(&["*"]), &Method::GET, &req);
        assert_eq!(get(&response, "access-control-allow-origin"), Some("*"));
        assert_eq!(
            get(&response, "access-control-expose-headers"),
            Some("x-request-id")
        );
        assert_eq!(get(&response, "access-control-allow-methods"), None);
        assert_eq!(get(&response, "vary"), None);
    }

    #[test]
    fn cors_preflight_lists_methods_headers_and_max_age() {
        let req = request(&[
            ("origin", "https://app.test"),
            ("access-control-request-method", "PUT"),
        ]);
        let response = run(&cors(&["https://app.test"]), &Method::OPTIONS, &req);
        assert_eq!(
            get(&response, "access-control-allow-origin"),
            Some("https://app.test")
        );
        assert_eq!(
            get(&response, "access-control-allow-methods"),
            Some(ALL_METHODS)
        );
        assert_eq!(
            get(&response, "access-control-allow-headers"),
            Some("content-type, x-token")
        );
        assert_eq!(get(&response, "access-control-max-age"), Some("600"));
        assert_eq!(get(&response, "vary"), Some("Origin"));
    }

    #[test]
    fn cors_options_without_request_method_is_not_preflight() {
        let req = request(&[("origin", "https://app.test")]);
        let response = run(&cors(&["https://app.test"]), &Method::OPTIONS, &req);
        assert!(response.contains_key("access-control-allow-origin"));
        assert!(!response.contains_key("access-control-allow-methods"));
    }

    #[test]
    fn cors_wildcard_subdomain() {
        let policy = cors(&["https://*.example.com"]);
        for (origin, allowed) in [
            ("https://a.example.com", true),
            ("https://a.b.example.com", true),
            ("HTTPS://A.EXAMPLE.COM", true),
            ("https://example.com", false),
            ("http://a.example.com", false),
            ("https://a.example.com:8443", false),
            ("https://evil.test/.example.com", false),
            ("https://.example.com", false),
        ] {
            let req = request(&[("origin", origin)]);
            let response = run(&policy, &Method::GET, &req);
            let got = get(&response, "access-control-allow-origin");
            assert_eq!(got.is_some(), allowed, "{origin}");
            assert_eq!(get(&response, "vary"), Some("Origin"), "{origin}");
        }
    }

    #[test]
    fn cors_needs_an_origin_header() {
        let req = request(&[]);
        let response = run(&cors(&["*"]), &Method::GET, &req);
        assert!(response.is_empty(), "{response:?}");
    }

    #[test]
    fn cors_credentials_echo_origin_instead_of_star() {
        let mut policy = cors(&["*"]);
        if let Some(cors) = policy.cors.as_mut() {
            cors.allow_credentials = true;
            cors.allow_headers = vec!["*".into()];
        }
        let req = request(&[
            ("origin", "https://app.test"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-a, x-b"),
        ]);
        let response = run(&policy, &Method::OPTIONS, &req);
        assert_eq!(
            get(&response, "access-control-allow-origin"),
            Some("https://app.test")
        );
        assert_eq!(
            get(&response, "access-control-allow-credentials"),
            Some("true")
        );
        assert_eq!(
            get(&response, "access-control-allow-headers"),
            Some("x-a, x-b")
        );
    }

    #[test]
    fn cors_override_false_keeps_origin_header() {
        let req = request(&[("origin", "https://app.test")]);
        let mut response = HeaderMap::new();
        response.insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://x"),
        );
        let info = ViewerRequestInfo {
            method: &Method::GET,
            headers: &req,
        };
        apply_policy(&cors(&["*"]), info, &mut response, None);
        assert_eq!(
            get(&response, "access-control-allow-origin"),
            Some("https://x")
        );

        let mut policy = cors(&["*"]);
        if let Some(cors) = policy.cors.as_mut() {
            cors.override_origin = true;
        }
        apply_policy(&policy, info, &mut response, None);
        assert_eq!(get(&response, "access-control-allow-origin"), Some("*"));
    }
}
