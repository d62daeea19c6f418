//! A raw HTTP/1.1 request, as a file holds it (request line, headers, a blank line, the
//! body; CRLF or LF line ends), read into the WAF's request view.

use std::net::IpAddr;

use verge_waf::Request;

/// Reads `bytes` into a request from `client_ip`, the body cut to `body_limit` bytes.
pub fn parse(bytes: &[u8], client_ip: IpAddr, body_limit: usize) -> Result<Request, String> {
    let (head, body) = split_head(bytes);
    let head = std::str::from_utf8(head).map_err(|_| "the request head is not UTF-8".to_owned())?;
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r'));
    let request_line = lines
        .by_ref()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| "the request is empty".to_owned())?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(format!(
            "line 1: expected `METHOD /path HTTP/1.1`, got {request_line:?}"
        ));
    };
    if let Some(version) = parts.next()
        && !version.starts_with("HTTP/")
    {
        return Err(format!("line 1: {version:?} is not an HTTP version"));
    }
    let (path, query) = split_target(target);
    let mut request = Request::new(method, path, client_ip).with_query(query);
    for (index, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!(
                "line {}: a header needs `Name: value`, got {line:?}",
                index + 2
            ));
        };
        request = request.with_header(name.trim(), value.trim());
    }
    request.body_len = body.len() as u64;
    request.body = body[..body.len().min(body_limit)].to_vec();
    Ok(request)
}

/// The head and the body, at the first empty line.
fn split_head(bytes: &[u8]) -> (&[u8], &[u8]) {
    for (separator, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(at) = memchr::memmem::find(bytes, separator) {
            return (&bytes[..at], &bytes[at + len..]);
        }
    }
    (bytes, &[])
}

/// The path and the query string of an origin-form or absolute-form target.
fn split_target(target: &str) -> (&str, &str) {
    let without_authority = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => target,
    };
    match without_authority.split_once('?') {
        Some((path, query)) => (path, query),
        None => (without_authority, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> IpAddr {
        "192.0.2.1".parse().expect("ip")
    }

    #[test]
    fn a_request_with_headers_and_a_body_is_read() {
        let raw = b"POST /login?next=%2F HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser=a&pass=b";
        let request = parse(raw, ip(), 16).expect("parses");
        assert_eq!(request.method, "POST");
        assert_eq!(request.uri_path, "/login");
        assert_eq!(request.query_string, "next=%2F");
        assert_eq!(
            request.header_values("host").next(),
            Some(&b"shop.example"[..])
        );
        assert_eq!(request.body, b"user=a&pass=b");
        assert_eq!(request.body_len, 13);
    }

    #[test]
    fn lf_line_ends_absolute_targets_and_long_bodies() {
        let raw = b"GET http://shop.example/a/b?x=1 HTTP/1.1\nUser-Agent: curl/8\n\n0123456789";
        let request = parse(raw, ip(), 4).expect("parses");
        assert_eq!(request.uri_path, "/a/b");
        assert_eq!(request.query_string, "x=1");
        assert_eq!(request.body, b"0123");
        assert_eq!(request.body_len, 10, "the WAF knows the body was cut");
    }

    #[test]
    fn malformed_requests_say_which_line() {
        assert!(parse(b"", ip(), 8).is_err());
        let error = parse(b"GET\r\n\r\n", ip(), 8).expect_err("no target");
        assert!(error.contains("line 1"), "{error}");
        let error =
            parse(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", ip(), 8).expect_err("bad header");
        assert!(error.contains("line 2"), "{error}");
    }
}
