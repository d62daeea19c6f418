//! Header rules shared by both directions: hop-by-hop headers (RFC 9110 §7.6.1), `Via`
//! (§7.6.3) and `X-Forwarded-For`.

use http::HeaderMap;
use http::header::{self, HeaderName, HeaderValue};

/// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1, plus the
/// legacy `Keep-Alive` and `Proxy-Connection`).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers and every header named in `Connection`.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

/// Appends `value` to a comma-separated header, creating it if absent.
pub fn append_list(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if !headers.contains_key(&name) {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
        return;
    }
    let joined = match headers
        .get_all(&name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
    {
        existing if existing.is_empty() => value.to_owned(),
        existing => format!("{}, {value}", existing.join(", ")),
    };
    if let Ok(joined) = HeaderValue::from_str(&joined) {
        headers.insert(name, joined);
    }
}

/// This node's `Via` entry: `1.1 <pop> (verge)`.
pub fn via_entry(pop: &str) -> String {
    format!("1.1 {pop} (verge)")
}

/// Whether the request already passed through this POP (a forwarding loop).
pub fn has_looped(headers: &HeaderMap, pop: &str) -> bool {
    let entry = via_entry(pop);
    headers
        .get_all(header::VIA)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|hop| hop.trim() == entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_listed_and_named_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("te", HeaderValue::from_static("trailers"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        remove_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-kept"));
    }

    #[test]
    fn appends_to_lists() {
        let mut headers = HeaderMap::new();
        append_list(&mut headers, header::VIA, "1.1 a (verge)");
        headers.append(header::VIA, HeaderValue::from_static("2 proxy"));
        append_list(&mut headers, header::VIA, "1.1 b (verge)");
        assert_eq!(
            headers[header::VIA],
            "1.1 a (verge), 2 proxy, 1.1 b (verge)"
        );
        assert!(has_looped(&headers, "b"));
        assert!(!has_looped(&headers, "c"));
    }
}
