//! Cache keys as CloudFront builds them from a cache policy: the distribution, the path, and
//! the query strings, headers and cookies the policy names, plus the normalised encoding when
//! compressed objects are cached. Distributions never share a key.

use std::fmt::Write;

use http::HeaderMap;
use http::header::COOKIE;
use verge_config::model::{CachePolicy, ItemBehavior, KeyHeaderBehavior};

/// The parts of a viewer request that may enter a cache key.
#[derive(Debug, Clone, Copy)]
pub struct KeyInput<'a> {
    /// The distribution id.
    pub distribution: &'a str,
    /// The request path (after the default root object is applied).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// The host the viewer asked for (`Host`, or `:authority` over HTTP/2), lowercase, used
    /// when the policy keys on `host`.
    pub host: &'a str,
    /// The viewer's request headers.
    pub headers: &'a HeaderMap,
    /// The normalised content coding (`br`, `gzip`, ...) when the policy keys on it.
    pub encoding: Option<&'a str>,
}

/// Builds the primary cache key. Lines are separated by `\n`, which no path, query or
/// header value can contain, so distinct inputs never collide.
pub fn primary_key(policy: &CachePolicy, input: &KeyInput<'_>) -> String {
    let mut key = String::with_capacity(64 + input.path.len());
    key.push_str(input.distribution);
    key.push('\n');
    key.push_str(input.path);
    key.push('\n');
    if let Some(query) = filter_query(
        policy.query_strings.behavior,
        &policy.query_strings.items,
        input.query,
    ) {
        key.push_str(&query);
    }

    if policy.headers.behavior == KeyHeaderBehavior::Whitelist {
        let mut names: Vec<String> = policy
            .headers
            .items
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            key.push_str("\nh:");
            key.push_str(&name);
            if name == "host" {
                // HTTP/2 carries the host in `:authority`: key on the host, however it came.
                key.push('=');
                key.push_str(input.host);
                continue;
            }
            let mut values = input.headers.get_all(name.as_str()).iter().peekable();
            if values.peek().is_some() {
                key.push('=');
            }
            for (index, value) in values.enumerate() {
                if index > 0 {
                    key.push_str(", ");
                }
                key.push_str(&String::from_utf8_lossy(value.as_bytes()));
            }
        }
    }

    if policy.cookies.behavior != ItemBehavior::None {
        let mut cookies = cookie_pairs(input.headers);
        cookies.retain(|(name, _)| keeps(policy.cookies.behavior, &policy.cookies.items, name));
        // CloudFront orders cookies by name, so the viewer's order does not split the cache.
        cookies.sort();
        for (name, value) in cookies {
            let _ = write!(key, "\nc:{name}={value}");
        }
    }

    if let Some(encoding) = input.encoding {
        key.push_str("\ne:");
        key.push_str(encoding);
    }
    key
}

/// The distribution and path a key was built from, for invalidation by path.
pub fn key_path(key: &str) -> Option<(&str, &str)> {
    let mut lines = key.splitn(3, '\n');
    Some((lines.next()?, lines.next()?))
}

/// The query string a policy keeps, in the viewer's order (CloudFront does not reorder query
/// parameters), or `None` when nothing is kept.
pub fn filter_query(
    behavior: ItemBehavior,
    items: &[String],
    query: Option<&str>,
) -> Option<String> {
    let query = query.filter(|q| !q.is_empty())?;
    match behavior {
        ItemBehavior::None => None,
        ItemBehavior::All => Some(query.to_owned()),
        ItemBehavior::Whitelist | ItemBehavior::AllExcept => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    let name = pair.split('=').next().unwrap_or("");
                    keeps(behavior, items, name)
                })
                .collect();
            if kept.is_empty() {
                None
            } else {
                Some(kept.join("&"))
            }
        }
    }
}

fn keeps(behavior: ItemBehavior, items: &[String], name: &str) -> bool {
    match behavior {
        ItemBehavior::None => false,
        ItemBehavior::All => true,
        ItemBehavior::Whitelist => items.iter().any(|item| item == name),
        ItemBehavior::AllExcept => !items.iter().any(|item| item == name),
    }
}

/// `name=value` pairs of every `Cookie` header line (RFC 6265 §5.4), malformed pairs skipped.
fn cookie_pairs(headers: &HeaderMap) -> Vec<(&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (!name.is_empty()).then_some((name.trim(), value.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use verge_config::managed;
    use verge_config::model::ItemsConfig;

    use super::*;

    fn key(policy: &CachePolicy, path: &str, query: Option<&str>, headers: &HeaderMap) -> String {
        primary_key(
            policy,
            &KeyInput {
                distribution: "shop",
                path,
                query,
                host: "shop.example.com",
                headers,
                encoding: None,
            },
        )
    }

    #[test]
    fn optimized_policy_ignores_query_headers_and_cookies() {
        let policy = managed::cache_policy("CachingOptimized").expect("managed");
        let mut headers = HeaderMap::new();
        let bare = key(&policy, "/a.css", None, &headers);
        headers.insert(COOKIE, HeaderValue::from_static("session=1"));
        headers.insert("x-device", HeaderValue::from_static("mobile"));
        assert_eq!(bare, key(&policy, "/a.css", Some("v=2"), &headers));
        assert_ne!(bare, key(&policy, "/b.css", None, &headers));
    }

    #[test]
    fn distributions_never_share_keys() {
        let policy = managed::cache_policy("CachingOptimized").expect("managed");
        let headers = HeaderMap::new();
        let mut input = KeyInput {
            distribution: "a",
            path: "/x",
            query: None,
            host: "shop.example.com",
            headers: &headers,
            encoding: None,
        };
        let first = primary_key(&policy, &input);
        input.distribution = "b";
        assert_ne!(first, primary_key(&policy, &input));
        assert_eq!(key_path(&first), Some(("a", "/x")));
    }

    #[test]
    fn whitelisted_query_headers_and_cookies_split_the_key() {
        let mut policy = managed::cache_policy("CachingOptimized").expect("managed");
        policy.query_strings = ItemsConfig {
            behavior: ItemBehavior::Whitelist,
            items: vec!["v".to_owned()],
        };
        policy.headers.behavior = KeyHeaderBehavior::Whitelist;
        policy.headers.items = vec!["X-Device".to_owned()];
        policy.cookies = ItemsConfig {
            behavior: ItemBehavior::AllExcept,
            items: vec!["tracking".to_owned()],
        };

        let mut headers = HeaderMap::new();
        let base = key(&policy, "/p", Some("v=1&utm=x"), &headers);
        assert_eq!(base, key(&policy, "/p", Some("utm=y&v=1"), &headers));
        assert_ne!(base, key(&policy, "/p", Some("v=2"), &headers));

        headers.insert("x-device", HeaderValue::from_static("mobile"));
        let mobile = key(&policy, "/p", Some("v=1"), &headers);
        assert_ne!(base, mobile);

        headers.insert(COOKIE, HeaderValue::from_static("tracking=abc"));
        assert_eq!(mobile, key(&policy, "/p", Some("v=1"), &headers));
        headers.insert(COOKIE, HeaderValue::from_static("b=2; a=1"));
        let sorted = key(&policy, "/p", Some("v=1"), &headers);
        headers.insert(COOKIE, HeaderValue::from_static("a=1; b=2; tracking=z"));
        assert_eq!(sorted, key(&policy, "/p", Some("v=1"), &headers));
    }

    #[test]
    fn absent_and_empty_headers_differ() {
        let mut policy = managed::cache_policy("CachingOptimized").expect("managed");
        policy.headers.behavior = KeyHeaderBehavior::Whitelist;
        policy.headers.items = vec!["origin".to_owned()];
        let mut headers = HeaderMap::new();
        let absent = key(&policy, "/", None, &headers);
        headers.insert("origin", HeaderValue::from_static(""));
        assert_ne!(absent, key(&policy, "/", None, &headers));
    }

    #[test]
    fn encoding_is_part_of_the_key() {
        let policy = managed::cache_policy("CachingOptimized").expect("managed");
        let headers = HeaderMap::new();
        let mut input = KeyInput {
            distribution: "shop",
            path: "/app.js",
            query: None,
            host: "shop.example.com",
            headers: &headers,
            encoding: Some("br"),
        };
        let br = primary_key(&policy, &input);
        input.encoding = Some("gzip");
        assert_ne!(br, primary_key(&policy, &input));
    }
}
