//! Content negotiation in the cache key (RFC 9111 §4.1): which request headers a response
//! varies on, and the secondary key built from them.

use http::header::VARY;
use http::{HeaderMap, HeaderName};

/// What a response's `Vary` field says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vary {
    /// No `Vary` (or only empty lines): one variant serves every request.
    None,
    /// `Vary: *` (RFC 9110 §12.5.5): no stored response can match a later request, so the
    /// response is not stored. Also the reading of a `Vary` naming something that is not a
    /// field name, since the cache cannot key on it.
    Any,
    /// The request fields the response varies on: lowercase, deduplicated, sorted.
    Names(Vec<HeaderName>),
}

/// Reads every `Vary` field line of a response.
pub fn vary(response_headers: &HeaderMap) -> Vary {
    let mut names: Vec<HeaderName> = Vec::new();
    for line in response_headers.get_all(VARY) {
        for element in line
            .as_bytes()
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
        {
            if element.is_empty() {
                continue;
            }
            if element == b"*" {
                return Vary::Any;
            }
            match HeaderName::from_bytes(element) {
                Ok(name) => names.push(name),
                Err(_) => return Vary::Any,
            }
        }
    }
    if names.is_empty() {
        return Vary::None;
    }
    names.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    names.dedup();
    Vary::Names(names)
}

/// Builds the secondary cache key: one line per name in `names`, in the given order, holding
/// that request field's normalised value.
///
/// RFC 9111 §4.1 lets a cache normalise before comparing: all field lines are combined into
/// one list joined by `", "`, whitespace around list commas (outside quoted strings) is
/// removed, empty list elements are dropped. An absent field (`name`) keys differently from a
/// present but empty one (`name=`). Bytes outside visible ASCII, and `%`, are written as `%XX`
/// so the key is valid UTF-8 and distinct inputs give distinct keys.
///
/// Accept-Encoding is keyed as sent: the edge keys its own normalised value instead.
pub fn secondary_key(names: &[HeaderName], request_headers: &HeaderMap) -> String {
    let mut key = String::new();
    for (index, name) in names.iter().enumerate() {
        if index > 0 {
            key.push('\n');
        }
        key.push_str(name.as_str());

        let mut lines = request_headers.get_all(name).iter().peekable();
        if lines.peek().is_none() {
            continue;
        }
        key.push('=');
        let mut first = true;
        for line in lines {
            for element in list_elements(line.as_bytes()) {
                if !first {
                    key.push_str(", ");
                }
                first = false;
                push_escaped(&mut key, element);
            }
        }
    }
    key
}

/// Splits a field value at commas outside quoted strings, trimming each element and dropping
/// empty ones.
fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut elements = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (at, &byte) in value.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match byte {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                elements.push(&value[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    elements.push(&value[start..]);
    elements
        .into_iter()
        .map(<[u8]>::trim_ascii)
        .filter(|element| !element.is_empty())
}

fn push_escaped(key: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        if (byte.is_ascii_graphic() && byte != b'%') || byte == b' ' {
            key.push(char::from(byte));
        } else {
            key.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::header::{ACCEPT_LANGUAGE, COOKIE, ORIGIN};

    use super::*;

    fn map(fields: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in fields {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("test name");
            headers.append(name, HeaderValue::from_str(value).expect("test value"));
        }
        headers
    }

    fn names(list: &[&str]) -> Vec<HeaderName> {
        list.iter()
            .map(|n| HeaderName::from_bytes(n.as_bytes()).expect("name"))
            .collect()
    }

    #[test]
    fn no_vary() {
        assert_eq!(vary(&HeaderMap::new()), Vary::None);
        assert_eq!(vary(&map(&[("vary", "")])), Vary::None);
        assert_eq!(vary(&map(&[("vary", " , ")])), Vary::None);
    }

    #[test]
    fn vary_star_anywhere_means_any() {
        // RFC 9110 §12.5.5.
        assert_eq!(vary(&map(&[("vary", "*")])), Vary::Any);
        assert_eq!(vary(&map(&[("vary", "accept-encoding, *")])), Vary::Any);
        assert_eq!(
            vary(&map(&[("vary", "origin"), ("vary", " * ")])),
            Vary::Any
        );
    }

    #[test]
    fn names_are_combined_lowercased_deduplicated_sorted() {
        let headers = map(&[
            ("vary", "Origin, Accept-Encoding"),
            ("vary", "accept-encoding,Cookie"),
        ]);
        assert_eq!(
            vary(&headers),
            Vary::Names(names(&["accept-encoding", "cookie", "origin"]))
        );
    }

    #[test]
    fn vary_with_an_invalid_name_cannot_be_keyed() {
        assert_eq!(vary(&map(&[("vary", "accept encoding")])), Vary::Any);
    }

    #[test]
    fn secondary_key_absent_differs_from_empty() {
        let list = names(&["accept-language"]);
        let absent = secondary_key(&list, &HeaderMap::new());
        let empty = secondary_key(&list, &map(&[("accept-language", "")]));
        assert_eq!(absent, "accept-language");
        assert_eq!(empty, "accept-language=");
        assert_ne!(absent, empty);
    }

    #[test]
    fn secondary_key_combines_lines_and_normalises_commas() {
        // RFC 9111 §4.1: these are equivalent requests for Vary's purpose.
        let list = names(&["accept-language"]);
        let one = secondary_key(&list, &map(&[("accept-language", "en-GB,  fr ;q=0.5 ,de")]));
        let split = map(&[
            ("accept-language", "en-GB"),
            ("accept-language", "fr ;q=0.5, de"),
        ]);
        assert_eq!(one, "accept-language=en-GB, fr ;q=0.5, de");
        assert_eq!(secondary_key(&list, &split), one);
    }

    #[test]
    fn secondary_key_keeps_quoted_commas() {
        let list = names(&["x-list"]);
        let key = secondary_key(&list, &map(&[("x-list", "\"a ,  b\" , c")]));
        assert_eq!(key, "x-list=\"a ,  b\", c");
    }

    #[test]
    fn secondary_key_distinguishes_values_and_follows_name_order() {
        let list = names(&["accept-encoding", "origin"]);
        let a = secondary_key(&list, &map(&[("origin", "https://a.example")]));
        let b = secondary_key(&list, &map(&[("origin", "https://b.example")]));
        assert_eq!(a, "accept-encoding\norigin=https://a.example");
        assert_ne!(a, b);
        assert_eq!(secondary_key(&[], &map(&[("origin", "x")])), "");
    }

    #[test]
    fn secondary_key_escapes_unusual_bytes() {
        let list = names(&["cookie"]);
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_bytes(b"a=\xff%\tb").expect("obs-text"),
        );
        assert_eq!(secondary_key(&list, &headers), "cookie=a=%FF%25%09b");
        let lookalike = map(&[("cookie", "a=%FF%25%09b")]);
        assert_ne!(
            secondary_key(&list, &lookalike),
            secondary_key(&list, &headers)
        );
    }

    #[test]
    fn secondary_key_uses_typed_names() {
        let list = vec![ORIGIN, ACCEPT_LANGUAGE];
        let headers = map(&[("Accept-Language", "en"), ("Origin", "o")]);
        assert_eq!(
            secondary_key(&list, &headers),
            "origin=o\naccept-language=en"
        );
    }
}
