//! Response headers policies, as CloudFront applies them: on the response going to the viewer,
//! after the cache, the edge removes listed origin headers, then adds CORS, security, custom
//! and `Server-Timing` headers. Each added header honours the policy's `override` flag.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, request};
use verge_config::model::{Cors, ResponseHeadersPolicy, SecurityHeaders};

/// `Access-Control-Allow-Methods` when a policy allows `ALL`: CloudFront's seven methods.
const ALL_METHODS: &str = "GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT";

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

/// Prefix of the edge's own response headers (`X-Amz-Cf-Pop`, `X-Amz-Cf-Id`), never removed.
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
        ViewerRequestInfo { method: &parts.method, headers: &parts.headers }
    }
}

/// What the edge measured for one request, reported in `Server-Timing`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTiming {
    /// The POP that served the viewer, as in `X-Amz-Cf-Pop`.
    pub pop: String,
    /// The request id, as in `X-Amz-Cf-Id`.
    pub request_id: String,
    /// CloudFront's result type: `Hit`, `RefreshHit`, `Miss`; other values add no cache metric.
    pub cache_result: &'static str,
    /// Time to connect to the origin, when the edge connected.
    pub origin_connect_ms: Option<f64>,
    /// Time from the origin request to its first response byte, when the edge went to origin.
    pub origin_first_byte_ms: Option<f64>,
    /// Time from the viewer request to the edge's first response byte.
    pub edge_first_byte_ms: f64,
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
        apply_cors(cors, request, response);
    }
    if let Some(security) = &policy.security_headers {
        apply_security(security, response);
    }
    for custom in &policy.custom_headers {
        match HeaderName::from_bytes(custom.header.as_bytes()) {
            Ok(name) => set(response, name, &custom.value, custom.override_origin),
            Err(_) => tracing::debug!(header = %custom.header, "Invalid custom header name skipped"),
        }
    }

    let config = policy.server_timing.as_ref().filter(|config| config.enabled);
    if let (Some(config), Some(timing)) = (config, timing)
        && sampled(config.sampling_rate)
    {
        add_server_timing(response, timing);
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
        for token in text.split(',').map(str::trim).filter(|token| !token.is_empty()) {
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
        let protected = PROTECTED.contains(&name.as_str())
            || name.as_str().starts_with(PROTECTED_PREFIX);
        if !protected {
            response.remove(name);
        }
    }
}

/// CORS headers, only for requests that carry `Origin` (Fetch standard §3.2).
fn apply_cors(cors: &Cors, request: ViewerRequestInfo<'_>, response: &mut HeaderMap) {
    let Some(origin) = request.headers.get(header::ORIGIN) else {
        return;
    };
    let Ok(origin) = origin.to_str() else {
        return;
    };

    // `*` cannot be combined with credentials, so a credentialed `*` echoes the viewer's origin.
    let any = cors.allow_origins.iter().any(|entry| entry == "*");
    if any && !cors.allow_credentials {
        set(response, header::ACCESS_CONTROL_ALLOW_ORIGIN, "*", cors.override_origin);
    } else {
        add_vary(response, "Origin");
        let listed = cors.allow_origins.iter().any(|entry| origin_matches(entry, origin));
        if !any && !listed {
            return;
        }
        set(response, header::ACCESS_CONTROL_ALLOW_ORIGIN, origin, cors.override_origin);
    }

    let replace = cors.override_origin;
    if cors.allow_credentials {
        set(response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true", replace);
    }
    if !cors.expose_headers.is_empty() {
        let exposed = cors.expose_headers.join(", ");
        set(response, header::ACCESS_CONTROL_EXPOSE_HEADERS, &exposed, replace);
    }

    let preflight = request.method == Method::OPTIONS
        && request.headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !preflight {
        return;
    }
    if let Some(methods) = allow_methods(&cors.allow_methods) {
        set(response, header::ACCESS_CONTROL_ALLOW_METHODS, &methods, replace);
    }
    if let Some(headers) = allow_headers(cors, request.headers) {
        set(response, header::ACCESS_CONTROL_ALLOW_HEADERS, &headers, replace);
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
        && middle.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.');
    subdomain
        && head.eq_ignore_ascii_case(prefix.as_bytes())
        && tail.eq_ignore_ascii_case(suffix.as_bytes())
}

fn allow_methods(methods: &[String]) -> Option<String> {
    if methods.iter().any(|method| method.eq_ignore_ascii_case("ALL")) {
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

fn apply_security(security: &SecurityHeaders, response: &mut HeaderMap) {
    if let Some(hsts) = &security.strict_transport_security {
        let mut value = format!("max-age={}", hsts.max_age.as_secs());
        if hsts.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if hsts.preload {
            value.push_str("; preload");
        }
        set(response, header::STRICT_TRANSPORT_SECURITY, &value, hsts.override_origin);
    }
    if let Some(nosniff) = &security.content_type_options {
        set(response, header::X_CONTENT_TYPE_OPTIONS, "nosniff", nosniff.override_origin);
    }
    if let Some(frame) = &security.frame_options {
        set(response, header::X_FRAME_OPTIONS, &frame.value, frame.override_origin);
    }
    if let Some(referrer) = &security.referrer_policy {
        set(response, header::REFERRER_POLICY, &referrer.value, referrer.override_origin);
    }
    if let Some(csp) = &security.content_security_policy {
        set(response, header::CONTENT_SECURITY_POLICY, &csp.value, csp.override_origin);
    }
    if let Some(xss) = &security.xss_protection {
        let mut value = String::from(if xss.protection { "1" } else { "0" });
        if xss.protection && xss.mode_block {
            value.push_str("; mode=block");
        }
        if let Some(uri) = xss.report_uri.as_deref().filter(|_| xss.protection) {
            value.push_str("; report=");
            value.push_str(uri);
        }
        set(response, header::X_XSS_PROTECTION, &value, xss.override_origin);
    }
}

/// Whether this request is in the `rate` percent that get `Server-Timing`.
fn sampled(rate: f64) -> bool {
    rate > 0.0 && fastrand::f64() * 100.0 < rate
}

/// Appends the edge's metrics after any `Server-Timing` the origin sent (a list field,
/// RFC 9110 §5.3), in CloudFront's metric names.
fn add_server_timing(response: &mut HeaderMap, timing: &ServerTiming) {
    let mut metrics = Vec::new();
    let went_to_origin = timing.origin_connect_ms.is_some() || timing.origin_first_byte_ms.is_some();
    if went_to_origin {
        metrics.push("cdn-upstream-layer;desc=\"EDGE\"".to_owned());
    }
    if let Some(connect) = timing.origin_connect_ms {
        metrics.push(format!("cdn-upstream-connect;dur={}", millis(connect)));
    }
    if let Some(first_byte) = timing.origin_first_byte_ms {
        metrics.push(format!("cdn-upstream-fbl;dur={}", millis(first_byte)));
    }

    let cache = match timing.cache_result {
        "Hit" => Some("cdn-cache-hit"),
        "RefreshHit" => Some("cdn-cache-refresh"),
        "Miss" => Some("cdn-cache-miss"),
        _ => None,
    };
    metrics.extend(cache.map(str::to_owned));
    metrics.push(format!("cdn-pop;desc={}", quoted(&timing.pop)));
    metrics.push(format!("cdn-rid;desc={}", quoted(&timing.request_id)));
    if timing.cache_result == "Hit" {
        metrics.push("cdn-hit-layer;desc=\"EDGE\"".to_owned());
    }
    metrics.push(format!("cdn-downstream-fbl;dur={}", millis(timing.edge_first_byte_ms)));

    if let Ok(value) = HeaderValue::from_str(&metrics.join(",")) {
        response.append(HeaderName::from_static("server-timing"), value);
    }
}

/// Whole milliseconds; a negative or non-finite measure reads as 0.
fn millis(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 { ms.round() as u64 } else { 0 }
}

/// An RFC 9110 §5.6.4 quoted-string, dropping characters a header value cannot carry.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars().filter(|c| c.is_ascii_graphic() || *c == ' ') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use verge_config::model::{
        CustomHeader, ServerTiming as ServerTimingConfig, StrictTransportSecurity, Switch,
        ValueHeader, XssProtection,
    };

    use super::*;

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
        let info = ViewerRequestInfo { method, headers: req };
        apply(policy, info, &mut response, None);
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
        assert_eq!(get(&response, "access-control-expose-headers"), Some("x-request-id"));
        assert_eq!(get(&response, "access-control-allow-methods"), None);
        assert_eq!(get(&response, "vary"), None);
    }

    #[test]
    fn cors_preflight_lists_methods_headers_and_max_age() {
        let req = request(
            &[("origin", "https://app.test"), ("access-control-request-method", "PUT")],
        );
        let response = run(&cors(&["https://app.test"]), &Method::OPTIONS, &req);
        assert_eq!(get(&response, "access-control-allow-origin"), Some("https://app.test"));
        assert_eq!(get(&response, "access-control-allow-methods"), Some(ALL_METHODS));
        assert_eq!(get(&response, "access-control-allow-headers"), Some("content-type, x-token"));
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
        let req = request(
            &[
                ("origin", "https://app.test"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "x-a, x-b"),
            ],
        );
        let response = run(&policy, &Method::OPTIONS, &req);
        assert_eq!(get(&response, "access-control-allow-origin"), Some("https://app.test"));
        assert_eq!(get(&response, "access-control-allow-credentials"), Some("true"));
        assert_eq!(get(&response, "access-control-allow-headers"), Some("x-a, x-b"));
    }

    #[test]
    fn cors_override_false_keeps_origin_header() {
        let req = request(&[("origin", "https://app.test")]);
        let mut response = HeaderMap::new();
        response.insert("access-control-allow-origin", HeaderValue::from_static("https://x"));
        let info = ViewerRequestInfo { method: &Method::GET, headers: &req };
        apply(&cors(&["*"]), info, &mut response, None);
        assert_eq!(get(&response, "access-control-allow-origin"), Some("https://x"));

        let mut policy = cors(&["*"]);
        if let Some(cors) = policy.cors.as_mut() {
            cors.override_origin = true;
        }
        apply(&policy, info, &mut response, None);
        assert_eq!(get(&response, "access-control-allow-origin"), Some("*"));
    }

    fn security() -> ResponseHeadersPolicy {
        let value = |v: &str| Some(ValueHeader { value: v.into(), override_origin: false });
        ResponseHeadersPolicy {
            security_headers: Some(SecurityHeaders {
                strict_transport_security: Some(StrictTransportSecurity {
                    max_age: Duration::from_secs(31_536_000),
                    include_subdomains: true,
                    preload: true,
                    override_origin: true,
                }),
                content_type_options: Some(Switch { override_origin: false }),
                frame_options: value("DENY"),
                referrer_policy: value("same-origin"),
                content_security_policy: value("default-src 'self'"),
                xss_protection: Some(XssProtection {
                    protection: true,
                    mode_block: false,
                    report_uri: Some("https://r.test/x".into()),
                    override_origin: true,
                }),
            }),
            ..ResponseHeadersPolicy::default()
        }
    }

    #[test]
    fn security_headers_with_override() {
        let req = request(&[]);
        let mut response = HeaderMap::new();
        response.insert("strict-transport-security", HeaderValue::from_static("max-age=1"));
        response.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
        let info = ViewerRequestInfo { method: &Method::GET, headers: &req };
        apply(&security(), info, &mut response, None);

        let hsts = get(&response, "strict-transport-security");
        assert_eq!(hsts, Some("max-age=31536000; includeSubDomains; preload"));
        assert_eq!(get(&response, "x-frame-options"), Some("SAMEORIGIN"));
        assert_eq!(get(&response, "x-content-type-options"), Some("nosniff"));
        assert_eq!(get(&response, "referrer-policy"), Some("same-origin"));
        assert_eq!(get(&response, "content-security-policy"), Some("default-src 'self'"));
        assert_eq!(get(&response, "x-xss-protection"), Some("1; report=https://r.test/x"));
    }

    #[test]
    fn xss_protection_values() {
        let mut policy = security();
        let xss = |protection, mode_block| XssProtection {
            protection,
            mode_block,
            report_uri: None,
            override_origin: false,
        };
        for (setting, expected) in [(xss(false, false), "0"), (xss(true, true), "1; mode=block")] {
            if let Some(security) = policy.security_headers.as_mut() {
                security.xss_protection = Some(setting);
            }
            let response = run(&policy, &Method::GET, &request(&[]));
            assert_eq!(get(&response, "x-xss-protection"), Some(expected));
        }
    }

    #[test]
    fn custom_headers_and_removal() {
        let policy = ResponseHeadersPolicy {
            custom_headers: vec![
                CustomHeader { header: "X-Team".into(), value: "edge".into(), override_origin: true },
                CustomHeader { header: "X-Kept".into(), value: "ours".into(), override_origin: false },
                CustomHeader { header: "X-New".into(), value: "new".into(), override_origin: false },
                CustomHeader { header: "bad name".into(), value: "x".into(), override_origin: true },
            ],
            remove_headers: vec!["SERVER".into(), "x-powered-by".into(), "Content-Length".into()],
            ..ResponseHeadersPolicy::default()
        };
        let mut response = HeaderMap::new();
        for (name, value) in [
            ("server", "nginx"),
            ("x-powered-by", "php"),
            ("content-length", "10"),
            ("x-team", "origin"),
            ("x-kept", "origin"),
        ] {
            response.insert(name, HeaderValue::from_static(value));
        }
        let req = request(&[]);
        let info = ViewerRequestInfo { method: &Method::GET, headers: &req };
        apply(&policy, info, &mut response, None);

        assert!(!response.contains_key("server"));
        assert!(!response.contains_key("x-powered-by"));
        assert_eq!(get(&response, "content-length"), Some("10"));
        assert_eq!(get(&response, "x-team"), Some("edge"));
        assert_eq!(get(&response, "x-kept"), Some("origin"));
        assert_eq!(get(&response, "x-new"), Some("new"));
    }

    fn timing(cache_result: &'static str) -> ServerTiming {
        ServerTiming {
            pop: "dev1".into(),
            request_id: "abc\"1".into(),
            cache_result,
            origin_connect_ms: Some(3.2),
            origin_first_byte_ms: Some(11.6),
            edge_first_byte_ms: 13.0,
        }
    }

    fn timed(rate: f64, timing: &ServerTiming, response: &mut HeaderMap) {
        let policy = ResponseHeadersPolicy {
            server_timing: Some(ServerTimingConfig { enabled: true, sampling_rate: rate }),
            ..ResponseHeadersPolicy::default()
        };
        let req = request(&[]);
        let info = ViewerRequestInfo { method: &Method::GET, headers: &req };
        apply(&policy, info, response, Some(timing));
    }

    #[test]
    fn server_timing_miss_appends_to_origin() {
        let mut response = HeaderMap::new();
        response.insert("server-timing", HeaderValue::from_static("db;dur=5"));
        timed(100.0, &timing("Miss"), &mut response);
        let values: Vec<_> = response.get_all("server-timing").iter().collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0], "db;dur=5");
        assert_eq!(
            values[1],
            "cdn-upstream-layer;desc=\"EDGE\",cdn-upstream-connect;dur=3,cdn-upstream-fbl;dur=12,\
             cdn-cache-miss,cdn-pop;desc=\"dev1\",cdn-rid;desc=\"abc\\\"1\",cdn-downstream-fbl;dur=13"
        );
    }

    #[test]
    fn server_timing_hit() {
        let mut response = HeaderMap::new();
        let hit = ServerTiming {
            origin_connect_ms: None,
            origin_first_byte_ms: None,
            edge_first_byte_ms: f64::NAN,
            ..timing("Hit")
        };
        timed(100.0, &hit, &mut response);
        assert_eq!(
            get(&response, "server-timing"),
            Some(
                "cdn-cache-hit,cdn-pop;desc=\"dev1\",cdn-rid;desc=\"abc\\\"1\",\
                 cdn-hit-layer;desc=\"EDGE\",cdn-downstream-fbl;dur=0"
            )
        );
    }

    #[test]
    fn server_timing_sampling_zero_and_disabled() {
        for _ in 0..100 {
            let mut response = HeaderMap::new();
            timed(0.0, &timing("Miss"), &mut response);
            assert!(!response.contains_key("server-timing"));
        }
        let policy = ResponseHeadersPolicy {
            server_timing: Some(ServerTimingConfig { enabled: false, sampling_rate: 100.0 }),
            ..ResponseHeadersPolicy::default()
        };
        let req = request(&[]);
        let mut response = HeaderMap::new();
        let info = ViewerRequestInfo { method: &Method::GET, headers: &req };
        apply(&policy, info, &mut response, Some(&timing("Miss")));
        assert!(response.is_empty());
    }

    #[test]
    fn vary_merges_without_duplicates() {
        let mut headers = HeaderMap::new();
        add_vary(&mut headers, "Origin");
        assert_eq!(get(&headers, "vary"), Some("Origin"));
        headers.append("vary", HeaderValue::from_static("accept-language"));
        add_vary(&mut headers, "origin");
        add_vary(&mut headers, "Accept-Encoding");
        assert_eq!(get(&headers, "vary"), Some("Origin, accept-language, Accept-Encoding"));
        assert_eq!(headers.get_all("vary").iter().count(), 1);

        let mut star = HeaderMap::new();
        star.insert("vary", HeaderValue::from_static("*"));
        add_vary(&mut star, "Origin");
        assert_eq!(get(&star, "vary"), Some("*"));
    }
}
