//! The security headers of a response headers policy: HSTS, `X-Content-Type-Options`,
//! `X-Frame-Options`, `Referrer-Policy`, `Content-Security-Policy` and `X-XSS-Protection`.

use http::header::{self, HeaderMap};
use verge_config::model::SecurityHeaders;

use super::set;

/// Adds the configured security headers, each honouring its own `override` flag.
pub(super) fn apply(security: &SecurityHeaders, response: &mut HeaderMap) {
    if let Some(hsts) = &security.strict_transport_security {
        let mut value = format!("max-age={}", hsts.max_age.as_secs());
        if hsts.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if hsts.preload {
            value.push_str("; preload");
        }
        set(
            response,
            header::STRICT_TRANSPORT_SECURITY,
            &value,
            hsts.override_origin,
        );
    }
    if let Some(nosniff) = &security.content_type_options {
        set(
            response,
            header::X_CONTENT_TYPE_OPTIONS,
            "nosniff",
            nosniff.override_origin,
        );
    }
    if let Some(frame) = &security.frame_options {
        set(
            response,
            header::X_FRAME_OPTIONS,
            &frame.value,
            frame.override_origin,
        );
    }
    if let Some(referrer) = &security.referrer_policy {
        set(
            response,
            header::REFERRER_POLICY,
            &referrer.value,
            referrer.override_origin,
        );
    }
    if let Some(csp) = &security.content_security_policy {
        set(
            response,
            header::CONTENT_SECURITY_POLICY,
            &csp.value,
            csp.override_origin,
        );
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
        set(
            response,
            header::X_XSS_PROTECTION,
            &value,
            xss.override_origin,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{HeaderValue, Method};
    use verge_config::model::{
        ResponseHeadersPolicy, StrictTransportSecurity, Switch, ValueHeader, XssProtection,
    };

    use crate::response_policy::{ViewerRequestInfo, apply as apply_policy};

    use super::*;

    fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        headers.get(name).map(|v| v.to_str().expect("ascii"))
    }

    fn run(policy: &ResponseHeadersPolicy, method: &Method, req: &HeaderMap) -> HeaderMap {
        let mut response = HeaderMap::new();
        apply_policy(
            policy,
            ViewerRequestInfo {
                method,
                headers: req,
            },
            &mut response,
            None,
        );
        response
    }

    fn security() -> ResponseHeadersPolicy {
        let value = |v: &str| {
            Some(ValueHeader {
                value: v.into(),
                override_origin: false,
            })
        };
        ResponseHeadersPolicy {
            security_headers: Some(SecurityHeaders {
                strict_transport_security: Some(StrictTransportSecurity {
                    max_age: Duration::from_secs(31_536_000),
                    include_subdomains: true,
                    preload: true,
                    override_origin: true,
                }),
                content_type_options: Some(Switch {
                    override_origin: false,
                }),
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
        let req = HeaderMap::new();
        let mut response = HeaderMap::new();
        response.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=1"),
        );
        response.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
        let info = ViewerRequestInfo {
            method: &Method::GET,
            headers: &req,
        };
        apply_policy(&security(), info, &mut response, None);

        let hsts = get(&response, "strict-transport-security");
        assert_eq!(hsts, Some("max-age=31536000; includeSubDomains; preload"));
        assert_eq!(get(&response, "x-frame-options"), Some("SAMEORIGIN"));
        assert_eq!(get(&response, "x-content-type-options"), Some("nosniff"));
        assert_eq!(get(&response, "referrer-policy"), Some("same-origin"));
        assert_eq!(
            get(&response, "content-security-policy"),
            Some("default-src 'self'")
        );
        assert_eq!(
            get(&response, "x-xss-protection"),
            Some("1; report=https://r.test/x")
        );
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
            let response = run(&policy, &Method::GET, &HeaderMap::new());
            assert_eq!(get(&response, "x-xss-protection"), Some(expected));
        }
    }
}
