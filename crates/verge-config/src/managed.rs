//! CloudFront's managed cache, origin request and response headers policies, under their
//! names, so a behavior can say `cache_policy = "CachingOptimized"` as it would on CloudFront.

use std::time::Duration;

use crate::model::{
    CachePolicy, Cors, HeaderBehavior, HeadersConfig, ItemBehavior, ItemsConfig, KeyHeaderBehavior,
    KeyHeaders, OriginRequestPolicy, ResponseHeadersPolicy, SecurityHeaders,
    StrictTransportSecurity, Switch, ValueHeader, XssProtection,
};

/// CloudFront viewer headers an `allViewerAndWhitelistCloudFront` policy may name.
pub const CLOUDFRONT_VIEWER_HEADERS: &[&str] = &[
    "cloudfront-viewer-address",
    "cloudfront-forwarded-proto",
    "cloudfront-viewer-http-version",
    "cloudfront-viewer-tls",
    "cloudfront-viewer-country",
    "cloudfront-viewer-asn",
    "cloudfront-is-desktop-viewer",
    "cloudfront-is-mobile-viewer",
    "cloudfront-is-tablet-viewer",
    "cloudfront-is-smarttv-viewer",
    "cloudfront-is-android-viewer",
    "cloudfront-is-ios-viewer",
];

/// Names of the managed cache policies.
pub const CACHE_POLICIES: &[&str] = &[
    "CachingOptimized",
    "CachingOptimizedForUncompressedObjects",
    "CachingDisabled",
    "UseOriginCacheControlHeaders",
    "UseOriginCacheControlHeaders-QueryStrings",
    "Elemental-MediaPackage",
];

/// The cache policy a behavior without one uses: it follows the origin's headers.
pub const DEFAULT_CACHE_POLICY: &str = "UseOriginCacheControlHeaders";

/// The managed cache policy of that name, with CloudFront's TTLs and cache keys.
pub fn cache_policy(name: &str) -> Option<CachePolicy> {
    const DAY: u64 = 86_400;
    const YEAR: u64 = 31_536_000;
    let method_override = &[
        "host",
        "origin",
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
    ];
    let (ttls, key_headers, cookies, query_strings, gzip, brotli) = match name {
        "CachingOptimized" => ((1, DAY, YEAR), &[][..], none(), none(), true, true),
        "CachingOptimizedForUncompressedObjects" => {
            ((1, DAY, YEAR), &[][..], none(), none(), false, false)
        }
        "CachingDisabled" => ((0, 0, 0), &[][..], none(), none(), false, false),
        "UseOriginCacheControlHeaders" => (
            (0, 0, YEAR),
            &method_override[..],
            all_items(),
            none(),
            true,
            true,
        ),
        "UseOriginCacheControlHeaders-QueryStrings" => (
            (0, 0, YEAR),
            &method_override[..],
            all_items(),
            all_items(),
            true,
            true,
        ),
        "Elemental-MediaPackage" => (
            (0, DAY, YEAR),
            &["origin"][..],
            none(),
            ItemsConfig {
                behavior: ItemBehavior::Whitelist,
                items: strings(&["aws.manifestfilter", "start", "end", "m"]),
            },
            true,
            false,
        ),
        _ => return None,
    };
    let (min, default, max) = ttls;
    Some(CachePolicy {
        comment: Some(format!("managed policy {name}")),
        min_ttl: Duration::from_secs(min),
        default_ttl: Duration::from_secs(default),
        max_ttl: Duration::from_secs(max),
        headers: KeyHeaders {
            behavior: if key_headers.is_empty() {
                KeyHeaderBehavior::None
            } else {
                KeyHeaderBehavior::Whitelist
            },
            items: strings(key_headers),
        },
        cookies,
        query_strings,
        enable_accept_encoding_gzip: gzip,
        enable_accept_encoding_brotli: brotli,
        // A Verge addition: wherever CloudFront's policy caches gzip and brotli, zstd too.
        enable_accept_encoding_zstd: gzip && brotli,
    })
}

fn none() -> ItemsConfig {
    ItemsConfig::default()
}

/// Names of the managed origin request policies.
pub const ORIGIN_REQUEST_POLICIES: &[&str] = &[
    "AllViewer",
    "AllViewerExceptHostHeader",
    "AllViewerAndCloudFrontHeaders-2022-06",
    "CORS-CustomOrigin",
    "CORS-S3Origin",
    "UserAgentRefererHeaders",
];

/// Names of the managed response headers policies.
pub const RESPONSE_HEADERS_POLICIES: &[&str] = &[
    "SimpleCORS",
    "CORS-Allow-All-Origins",
    "CORS-With-Preflight",
    "SecurityHeadersPolicy",
    "CORS-and-SecurityHeadersPolicy",
    "CORS-With-Preflight-and-SecurityHeadersPolicy",
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn all_items() -> ItemsConfig {
    ItemsConfig {
        behavior: ItemBehavior::All,
        items: Vec::new(),
    }
}

fn headers(behavior: HeaderBehavior, items: &[&str]) -> HeadersConfig {
    HeadersConfig {
        behavior,
        items: strings(items),
    }
}

/// The managed origin request policy of that name.
pub fn origin_request_policy(name: &str) -> Option<OriginRequestPolicy> {
    let (headers, cookies, query_strings) = match name {
        "AllViewer" => (
            headers(HeaderBehavior::AllViewer, &[]),
            all_items(),
            all_items(),
        ),
        "AllViewerExceptHostHeader" => (
            headers(HeaderBehavior::AllExcept, &["host"]),
            all_items(),
            all_items(),
        ),
        "AllViewerAndCloudFrontHeaders-2022-06" => (
            headers(
                HeaderBehavior::AllViewerAndWhitelistCloudFront,
                CLOUDFRONT_VIEWER_HEADERS,
            ),
            all_items(),
            all_items(),
        ),
        "CORS-CustomOrigin" => (
            headers(HeaderBehavior::Whitelist, &["origin"]),
            ItemsConfig::default(),
            ItemsConfig::default(),
        ),
        "CORS-S3Origin" => (
            headers(
                HeaderBehavior::Whitelist,
                &[
                    "origin",
                    "access-control-request-headers",
                    "access-control-request-method",
                ],
            ),
            ItemsConfig::default(),
            ItemsConfig::default(),
        ),
        "UserAgentRefererHeaders" => (
            headers(HeaderBehavior::Whitelist, &["user-agent", "referer"]),
            ItemsConfig::default(),
            all_items(),
        ),
        _ => return None,
    };
    Some(OriginRequestPolicy {
        comment: Some(format!("managed policy {name}")),
        headers,
        cookies,
        query_strings,
    })
}

const ALL_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

fn simple_cors() -> Cors {
    Cors {
        allow_origins: strings(&["*"]),
        allow_headers: Vec::new(),
        allow_methods: Vec::new(),
        allow_credentials: false,
        expose_headers: Vec::new(),
        max_age: None,
        override_origin: false,
    }
}

fn all_origins_cors() -> Cors {
    Cors {
        allow_headers: strings(&["*"]),
        allow_methods: strings(ALL_METHODS),
        ..simple_cors()
    }
}

fn preflight_cors() -> Cors {
    Cors {
        expose_headers: strings(&["*"]),
        max_age: Some(Duration::from_secs(600)),
        ..all_origins_cors()
    }
}

fn security_headers() -> SecurityHeaders {
    SecurityHeaders {
        strict_transport_security: Some(StrictTransportSecurity {
            max_age: Duration::from_secs(31_536_000),
            include_subdomains: false,
            preload: false,
            override_origin: false,
        }),
        content_type_options: Some(Switch {
            override_origin: false,
        }),
        frame_options: Some(ValueHeader {
            value: "SAMEORIGIN".to_owned(),
            override_origin: false,
        }),
        referrer_policy: Some(ValueHeader {
            value: "strict-origin-when-cross-origin".to_owned(),
            override_origin: false,
        }),
        content_security_policy: None,
        xss_protection: Some(XssProtection {
            protection: true,
            mode_block: true,
            report_uri: None,
            override_origin: false,
        }),
    }
}

/// The managed response headers policy of that name.
pub fn response_headers_policy(name: &str) -> Option<ResponseHeadersPolicy> {
    let (cors, security) = match name {
        "SimpleCORS" => (Some(simple_cors()), None),
        "CORS-Allow-All-Origins" => (Some(all_origins_cors()), None),
        "CORS-With-Preflight" => (Some(preflight_cors()), None),
        "SecurityHeadersPolicy" => (None, Some(security_headers())),
        "CORS-and-SecurityHeadersPolicy" => (Some(simple_cors()), Some(security_headers())),
        "CORS-With-Preflight-and-SecurityHeadersPolicy" => {
            (Some(preflight_cors()), Some(security_headers()))
        }
        _ => return None,
    };
    Some(ResponseHeadersPolicy {
        comment: Some(format!("managed policy {name}")),
        cors,
        security_headers: security,
        ..ResponseHeadersPolicy::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves() {
        for name in ORIGIN_REQUEST_POLICIES {
            assert!(origin_request_policy(name).is_some(), "{name}");
        }
        for name in RESPONSE_HEADERS_POLICIES {
            assert!(response_headers_policy(name).is_some(), "{name}");
        }
        assert!(origin_request_policy("Nope").is_none());
    }
}
