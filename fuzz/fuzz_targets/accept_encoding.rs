//! Accept-Encoding headers from the network: negotiation never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::ACCEPT_ENCODING, value);
        let _ = verge_edge::compress::negotiate(&headers);
    }
});
