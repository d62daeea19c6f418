//! Metadata fixtures shared by the tiers' unit tests.

use std::path::Path;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use http::header::{CONTENT_TYPE, SET_COOKIE, VARY};

use crate::Meta;

/// Plain metadata for `key` with one header and one tag.
pub(crate) fn meta(key: &str) -> Meta {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, "text/plain".parse().expect("valid value"));
    Meta {
        key: key.to_owned(),
        status: 200,
        headers,
        request_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        response_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_001),
        initial_age: Duration::ZERO,
        fresh_for: Duration::from_secs(60),
        stale_while_revalidate: Duration::ZERO,
        stale_if_error: Duration::ZERO,
        must_revalidate: false,
        no_cache: false,
        tags: vec!["product".to_owned()],
        body_len: 0,
    }
}

/// Metadata with every field away from its default, multi-valued and custom headers, odd
/// bytes in a value and sub-second times.
pub(crate) fn full_meta(key: &str, body_len: u64) -> Meta {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, "image/png".parse().expect("valid value"));
    headers.append(SET_COOKIE, "a=1; Path=/".parse().expect("valid value"));
    headers.append(SET_COOKIE, "b=2; Secure".parse().expect("valid value"));
    headers.insert(VARY, "accept-encoding".parse().expect("valid value"));
    let odd = http::HeaderValue::from_bytes(b"caf\xe9\tbar").expect("obs-text is allowed");
    headers.insert("x-odd", odd);
    headers.append("x-empty", http::HeaderValue::from_static(""));
    Meta {
        key: key.to_owned(),
        status: 206,
        headers,
        request_time: SystemTime::UNIX_EPOCH + Duration::new(1_712_345_678, 123_456_789),
        response_time: SystemTime::UNIX_EPOCH + Duration::new(1_712_345_679, 987_654_321),
        initial_age: Duration::new(17, 5),
        fresh_for: Duration::from_secs(86_400 * 365),
        stale_while_revalidate: Duration::from_millis(1500),
        stale_if_error: Duration::new(u64::from(u32::MAX) + 3, 999_999_999),
        must_revalidate: true,
        no_cache: true,
        tags: vec![
            "product-42".to_owned(),
            "catégorie".to_owned(),
            String::new(),
        ],
        body_len,
    }
}

/// Counts the entry files of a disk tier under `root` (`xx/yy/<name>`).
pub(crate) fn count_entry_files(root: &Path) -> usize {
    let mut count = 0;
    for first in std::fs::read_dir(root).expect("readable").flatten() {
        if first.file_name() == "tmp" || !first.path().is_dir() {
            continue;
        }
        for second in std::fs::read_dir(first.path()).expect("readable").flatten() {
            count += std::fs::read_dir(second.path()).expect("readable").count();
        }
    }
    count
}
