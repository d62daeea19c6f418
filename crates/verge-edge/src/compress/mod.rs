//! Edge compression, as CloudFront's "compress objects automatically": which responses are
//! compressed ([`should_compress`]), in which encoding ([`negotiate`]), and the streaming
//! encoder itself ([`compress_response`]). Runs on the response going to the viewer.

mod negotiate;
mod stream;

use http::header::{self, HeaderMap};
use http::{Method, StatusCode};

pub use negotiate::{negotiate, negotiate_among};
pub use stream::compress_response;

/// Smallest body the edge compresses, in bytes (CloudFront's lower bound).
pub const MIN_SIZE: u64 = 1_000;

/// Largest body the edge compresses, in bytes (CloudFront's upper bound).
pub const MAX_SIZE: u64 = 10_000_000;

/// Media types compressed besides every `text/*`: CloudFront's list, plus a few common
/// structured-text types it omits (`atom+xml`, `wasm`, `manifest+json`, `ld+json`).
const COMPRESSIBLE: &[&str] = &[
    "application/atom+xml",
    "application/dash+xml",
    "application/eot",
    "application/font",
    "application/font-sfnt",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/manifest+json",
    "application/opentype",
    "application/otf",
    "application/pkcs7-mime",
    "application/protobuf",
    "application/rss+xml",
    "application/truetype",
    "application/ttf",
    "application/vnd.apple.mpegurl",
    "application/vnd.ms-fontobject",
    "application/wasm",
    "application/x-font-opentype",
    "application/x-font-truetype",
    "application/x-font-ttf",
    "application/x-httpd-cgi",
    "application/x-javascript",
    "application/x-mpegurl",
    "application/x-opentype",
    "application/x-otf",
    "application/x-perl",
    "application/x-ttf",
    "application/xhtml+xml",
    "application/xml",
    "font/eot",
    "font/opentype",
    "font/otf",
    "font/ttf",
    "image/svg+xml",
    "vnd.apple.mpegurl",
];

/// A content coding the edge compresses with (RFC 9110 §8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `gzip`, level 6.
    Gzip,
    /// `br`, quality 5.
    Brotli,
    /// `zstd`, level 3.
    Zstd,
}

impl Encoding {
    /// The coding named `name` (`gzip`, `br`, `zstd`), if the edge compresses with it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "gzip" => Some(Encoding::Gzip),
            "br" => Some(Encoding::Brotli),
            "zstd" => Some(Encoding::Zstd),
            _ => None,
        }
    }

    /// The coding's name in `Accept-Encoding` and `Content-Encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }
}

/// Whether a `Content-Type` value names a compressible media type; parameters after `;` are
/// ignored and the comparison is ASCII case-insensitive.
pub fn is_compressible(content_type: &str) -> bool {
    let media = content_type
        .split_once(';')
        .map_or(content_type, |(media, _)| media)
        .trim();
    let text = media.len() > 5
        && media
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("text/"));
    text || COMPRESSIBLE
        .iter()
        .any(|known| known.eq_ignore_ascii_case(media))
}

/// The encoding to compress a response in, or `None` to send it as is: the response is
/// [`eligible`] and the viewer accepts one of the encodings.
pub fn should_compress(
    method: &Method,
    request_headers: &HeaderMap,
    status: StatusCode,
    response_headers: &HeaderMap,
) -> Option<Encoding> {
    if !eligible(method, status, response_headers) {
        return None;
    }
    negotiate(request_headers)
}

/// Whether a response may be compressed, whatever the viewer accepts: a 2xx with a body (not
/// 204, 205 or 206, not to `HEAD`), no `Content-Encoding`, a compressible `Content-Type`, no
/// `Cache-Control: no-transform` (RFC 9111 §5.2.2.6), and a `Content-Length` (if any) from
/// [`MIN_SIZE`] to [`MAX_SIZE`]. Such a response varies by `Accept-Encoding` even when sent
/// as is.
pub fn eligible(method: &Method, status: StatusCode, response_headers: &HeaderMap) -> bool {
    let bodiless = matches!(
        status,
        StatusCode::NO_CONTENT | StatusCode::RESET_CONTENT | StatusCode::PARTIAL_CONTENT
    );
    if method == Method::HEAD || !status.is_success() || bodiless {
        return false;
    }

    // CloudFront leaves any encoded response alone, whatever the coding.
    if response_headers.contains_key(header::CONTENT_ENCODING)
        || response_headers.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }

    let content_type = response_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !content_type.is_some_and(is_compressible) || no_transform(response_headers) {
        return false;
    }

    // Limitation: CloudFront skips responses without Content-Length; the edge compresses
    // them, since it streams and never needs the whole body.
    match response_headers.get(header::CONTENT_LENGTH) {
        None => true,
        Some(length) => length
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .is_some_and(|length| (MIN_SIZE..=MAX_SIZE).contains(&length)),
    }
}

fn no_transform(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|directive| directive.trim().eq_ignore_ascii_case("no-transform"))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn compressible_types() {
        for yes in [
            "text/html",
            "text/html; charset=utf-8",
            "Text/CSS",
            "text/event-stream",
            "application/json",
            "APPLICATION/JavaScript ;charset=utf-8",
            "image/svg+xml",
            "font/ttf",
            "application/wasm",
        ] {
            assert!(is_compressible(yes), "{yes}");
        }
        for no in [
            "image/png",
            "video/mp4",
            "application/octet-stream",
            "text/",
            "",
            ";",
            "tëxt/a",
        ] {
            assert!(!is_compressible(no), "{no}");
        }
    }

    #[test]
    fn compresses_a_plain_text_response() {
        let request = headers(&[("accept-encoding", "gzip, br")]);
        let response = headers(&[("content-type", "text/html"), ("content-length", "5000")]);
        let chosen = should_compress(&Method::GET, &request, StatusCode::OK, &response);
        assert_eq!(chosen, Some(Encoding::Brotli));

        let no_length = headers(&[("content-type", "text/html")]);
        let chosen = should_compress(&Method::GET, &request, StatusCode::OK, &no_length);
        assert_eq!(chosen, Some(Encoding::Brotli));
    }

    #[test]
    fn skips_ineligible_responses() {
        let request = headers(&[("accept-encoding", "gzip")]);
        let ok = headers(&[("content-type", "text/html"), ("content-length", "5000")]);
        let get = Method::GET;
        for status in [
            StatusCode::NO_CONTENT,
            StatusCode::PARTIAL_CONTENT,
            StatusCode::NOT_MODIFIED,
            StatusCode::NOT_FOUND,
        ] {
            assert_eq!(
                should_compress(&get, &request, status, &ok),
                None,
                "{status}"
            );
        }
        assert_eq!(
            should_compress(&Method::HEAD, &request, StatusCode::OK, &ok),
            None
        );
        assert_eq!(
            should_compress(&get, &HeaderMap::new(), StatusCode::OK, &ok),
            None
        );

        for response in [
            headers(&[
                ("content-type", "text/html"),
                ("content-encoding", "identity"),
            ]),
            headers(&[("content-type", "image/png")]),
            headers(&[("content-length", "5000")]),
            headers(&[("content-type", "text/html"), ("content-length", "999")]),
            headers(&[
                ("content-type", "text/html"),
                ("content-length", "10000001"),
            ]),
            headers(&[("content-type", "text/html"), ("content-length", "many")]),
            headers(&[
                ("content-type", "text/html"),
                ("cache-control", "max-age=5, No-Transform"),
            ]),
        ] {
            let chosen = should_compress(&get, &request, StatusCode::OK, &response);
            assert_eq!(chosen, None, "{response:?}");
        }

        let bounds = headers(&[("content-type", "text/html"), ("content-length", "1000")]);
        let chosen = should_compress(&get, &request, StatusCode::OK, &bounds);
        assert_eq!(chosen, Some(Encoding::Gzip));
    }

    #[test]
    fn eligibility_ignores_what_the_viewer_accepts() {
        let ok = headers(&[("content-type", "text/html"), ("content-length", "5000")]);
        assert!(eligible(&Method::GET, StatusCode::OK, &ok));
        assert_eq!(
            should_compress(&Method::GET, &HeaderMap::new(), StatusCode::OK, &ok),
            None
        );
        assert!(!eligible(&Method::HEAD, StatusCode::OK, &ok));
        assert!(!eligible(
            &Method::GET,
            StatusCode::OK,
            &headers(&[("content-type", "image/png")])
        ));
    }

    #[test]
    fn encoding_names() {
        assert_eq!(Encoding::Gzip.as_str(), "gzip");
        assert_eq!(Encoding::Brotli.as_str(), "br");
        assert_eq!(Encoding::Zstd.as_str(), "zstd");
    }
}
