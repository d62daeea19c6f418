//! `admit`: protocol checks before routing. Request heads over the size limit get 431;
//! ambiguous framing (RFC 9112 §6.3: Content-Length with Transfer-Encoding, differing
//! Content-Length values) gets 400 and the connection closed, so nothing can desync.
//! For HTTP/1.1, hyper settles framing before this runs: it refuses differing lengths with
//! 400 itself, and drops Content-Length when Transfer-Encoding is present, so that case is
//! caught in the bytes read (`server::framing`) and flagged on the connection.

use http::request::Parts;
use http::{Version, header};

use super::ProxyError;
use crate::context::ConnInfo;

/// Checks one request head arriving on `conn`.
pub fn admit(parts: &Parts, conn: &ConnInfo, max_header_bytes: usize) -> Result<(), ProxyError> {
    let mut size = parts.method.as_str().len() + super::log::uri_len(parts) as usize + 12;
    for (name, value) in &parts.headers {
        size += name.as_str().len() + value.len() + 4;
    }
    if size > max_header_bytes {
        return Err(ProxyError::HeadersTooLarge(max_header_bytes));
    }

    if parts.version <= Version::HTTP_11 {
        if conn.framing_ambiguous() {
            return Err(ProxyError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        let lengths: Vec<&[u8]> = parts
            .headers
            .get_all(header::CONTENT_LENGTH)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(|v| v.trim_ascii())
            .collect();
        if !lengths.is_empty() && parts.headers.contains_key(header::TRANSFER_ENCODING) {
            return Err(ProxyError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        if lengths.windows(2).any(|pair| pair[0] != pair[1]) {
            return Err(ProxyError::BadRequest("conflicting Content-Length values"));
        }
        if lengths
            .iter()
            .any(|v| v.is_empty() || !v.iter().all(u8::is_ascii_digit))
        {
            return Err(ProxyError::BadRequest("invalid Content-Length"));
        }
        if parts.version == Version::HTTP_11 && !parts.headers.contains_key(header::HOST) {
            return Err(ProxyError::BadRequest("missing Host header"));
        }
    }
    if parts.headers.get_all(header::HOST).iter().count() > 1 {
        return Err(ProxyError::BadRequest("more than one Host header"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(version: Version, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().uri("/").version(version);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).expect("valid").into_parts().0
    }

    fn conn() -> ConnInfo {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 80));
        ConnInfo::new(addr, addr, "http", None)
    }

    #[test]
    fn size_limit() {
        let big = "x".repeat(2000);
        let request = parts(Version::HTTP_11, &[("host", "a"), ("x-big", &big)]);
        assert!(matches!(
            admit(&request, &conn(), 1024),
            Err(ProxyError::HeadersTooLarge(_))
        ));
        assert!(admit(&request, &conn(), 4096).is_ok());
    }

    #[test]
    fn framing() {
        let both = parts(
            Version::HTTP_11,
            &[
                ("host", "a"),
                ("content-length", "3"),
                ("transfer-encoding", "chunked"),
            ],
        );
        assert!(matches!(
            admit(&both, &conn(), 20_000),
            Err(ProxyError::BadRequest(_))
        ));
        let differing = parts(
            Version::HTTP_11,
            &[
                ("host", "a"),
                ("content-length", "3"),
                ("content-length", "4"),
            ],
        );
        assert!(matches!(
            admit(&differing, &conn(), 20_000),
            Err(ProxyError::BadRequest(_))
        ));
        let same = parts(
            Version::HTTP_11,
            &[("host", "a"), ("content-length", "3, 3")],
        );
        assert!(admit(&same, &conn(), 20_000).is_ok());
        let no_host = parts(Version::HTTP_11, &[]);
        assert!(matches!(
            admit(&no_host, &conn(), 20_000),
            Err(ProxyError::BadRequest(_))
        ));
        assert!(admit(&parts(Version::HTTP_2, &[]), &conn(), 20_000).is_ok());
    }

    #[test]
    fn ambiguous_connection_framing() {
        let request = parts(
            Version::HTTP_11,
            &[("host", "a"), ("transfer-encoding", "chunked")],
        );
        let conn = conn();
        assert!(admit(&request, &conn, 20_000).is_ok());
        conn.ambiguous_framing
            .store(true, std::sync::atomic::Ordering::Release);
        assert!(matches!(
            admit(&request, &conn, 20_000),
            Err(ProxyError::BadRequest(_))
        ));
    }
}
