//! The streaming encoder: rewrites a response's headers for its new encoding and compresses
//! the body piece by piece as it flows to the viewer, never holding the whole body.

use std::fmt;
use std::io;
use std::pin::Pin;

use async_compression::Level;
use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZstdEncoder};
use futures_util::TryStreamExt;
use http::header::{self, HeaderValue};
use http::response;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use tokio::io::AsyncRead;
use tokio_util::io::{ReaderStream, StreamReader};

use super::Encoding;
use crate::body::{Body, BoxError, boxed};
use crate::response_policy::add_vary;

/// gzip level: zlib's default trade-off of speed and size.
const GZIP_LEVEL: i32 = 6;

/// Brotli quality: 11 is far too slow to compress while streaming.
const BROTLI_QUALITY: i32 = 5;

/// Brotli window, as a power of two: 1 MiB instead of the default 4 MiB bounds the memory
/// each stream holds.
const BROTLI_WINDOW: i32 = 20;

/// zstd level: the library's default.
const ZSTD_LEVEL: i32 = 3;

/// Largest piece of compressed output handed to the viewer at once.
const OUTPUT_CHUNK: usize = 16 * 1024;

/// Headers that describe the bytes of the uncompressed body and would be wrong after it.
const DIGESTS: [&str; 3] = ["content-md5", "content-digest", "repr-digest"];

/// Compresses a response in `encoding`: sets `Content-Encoding`, drops `Content-Length` (the
/// body is streamed) and `Accept-Ranges` (a range the viewer asked for next would address the
/// origin's bytes, not these), adds `Accept-Encoding` to `Vary`, weakens a strong `ETag` as
/// CloudFront does, and returns the body compressed as it streams. Errors of `body` end the
/// returned body with the same error; trailers are dropped. Call only when
/// [`should_compress`](super::should_compress) chose `encoding`.
pub fn compress_response(parts: &mut response::Parts, body: Body, encoding: Encoding) -> Body {
    let headers = &mut parts.headers;
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(encoding.as_str()),
    );
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::ACCEPT_RANGES);
    for digest in DIGESTS {
        headers.remove(digest);
    }
    add_vary(headers, "Accept-Encoding");
    weaken_etag(headers);

    encode(body, encoding)
}

/// A strong `ETag` gains `W/`, a weak one is kept, and one that is neither is removed, since
/// the compressed bytes differ from those the origin tagged (RFC 9110 §8.8.3).
fn weaken_etag(headers: &mut http::HeaderMap) {
    let Some(etag) = headers.get(header::ETAG) else {
        return;
    };
    let bytes = etag.as_bytes();
    if bytes.starts_with(b"W/") {
        return;
    }

    let mut weak = Vec::with_capacity(bytes.len() + 2);
    weak.extend_from_slice(b"W/");
    weak.extend_from_slice(bytes);
    match HeaderValue::from_bytes(&weak) {
        Ok(weak) if bytes.starts_with(b"\"") => {
            headers.insert(header::ETAG, weak);
        }
        _ => {
            headers.remove(header::ETAG);
        }
    }
}

fn encode(body: Body, encoding: Encoding) -> Body {
    let data = body
        .into_data_stream()
        .map_err(|error| io::Error::other(OriginBodyError(error)));
    let reader = StreamReader::new(data);

    let encoder: Pin<Box<dyn AsyncRead + Send>> = match encoding {
        Encoding::Gzip => Box::pin(GzipEncoder::with_quality(
            reader,
            Level::Precise(GZIP_LEVEL),
        )),
        Encoding::Brotli => {
            let params = async_compression::brotli::EncoderParams::default()
                .quality(Level::Precise(BROTLI_QUALITY))
                .window_size(BROTLI_WINDOW);
            Box::pin(BrotliEncoder::with_params(reader, params))
        }
        Encoding::Zstd => Box::pin(ZstdEncoder::with_quality(
            reader,
            Level::Precise(ZSTD_LEVEL),
        )),
    };

    // The encoder flushes whenever the inner body has nothing ready, so a slow origin's
    // pieces still reach the viewer promptly.
    let frames = ReaderStream::with_capacity(encoder, OUTPUT_CHUNK)
        .map_ok(Frame::data)
        .map_err(into_body_error);
    boxed(StreamBody::new(frames))
}

/// An error of the uncompressed body, carried through the encoder's `io::Error`.
#[derive(Debug)]
struct OriginBodyError(BoxError);

impl fmt::Display for OriginBodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for OriginBodyError {}

/// Gives back the inner body's own error, so callers can still tell which side failed; an
/// error of the encoder itself stays an `io::Error`.
fn into_body_error(error: io::Error) -> BoxError {
    if !error
        .get_ref()
        .is_some_and(|inner| inner.is::<OriginBodyError>())
    {
        return Box::new(error);
    }
    match error
        .into_inner()
        .map(|inner| inner.downcast::<OriginBodyError>())
    {
        Some(Ok(wrapped)) => wrapped.0,
        Some(Err(other)) => other,
        None => Box::new(io::Error::other("compressed body failed")),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};
    use bytes::Bytes;
    use http::Response;
    use tokio::io::AsyncReadExt;
    use tokio::sync::mpsc;

    use super::*;
    use crate::body::BodyTimeout;

    fn text(size: usize) -> Vec<u8> {
        let line = b"The viewer asked the edge for this line of text, again and again.\n";
        line.iter().copied().cycle().take(size).collect()
    }

    fn chunked(content: &[u8], pieces: usize) -> Body {
        let size = content.len().div_ceil(pieces);
        let frames: Vec<Result<Frame<Bytes>, BoxError>> = content
            .chunks(size)
            .map(|chunk| Ok(Frame::data(Bytes::copy_from_slice(chunk))))
            .collect();
        boxed(StreamBody::new(futures_util::stream::iter(frames)))
    }

    async fn decode(encoding: Encoding, compressed: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let read = match encoding {
            Encoding::Gzip => GzipDecoder::new(compressed).read_to_end(&mut out).await,
            Encoding::Brotli => BrotliDecoder::new(compressed).read_to_end(&mut out).await,
            Encoding::Zstd => ZstdDecoder::new(compressed).read_to_end(&mut out).await,
        };
        read.expect("valid compressed stream");
        out
    }

    fn parts(pairs: &[(&'static str, &'static str)]) -> response::Parts {
        let mut builder = Response::builder();
        for (name, value) in pairs {
            builder = builder.header(*name, *value);
        }
        builder
            .body(())
            .expect("valid test response")
            .into_parts()
            .0
    }

    #[tokio::test]
    async fn round_trip_each_encoding() {
        let content = text(100 * 1024);
        for encoding in [Encoding::Gzip, Encoding::Brotli, Encoding::Zstd] {
            let mut head = parts(&[
                ("content-type", "text/plain"),
                ("content-length", "102400"),
                ("vary", "Origin"),
                ("etag", "\"abc\""),
                ("content-digest", "sha-256=:x:"),
                ("accept-ranges", "bytes"),
            ]);
            let body = compress_response(&mut head, chunked(&content, 7), encoding);
            let compressed = body.collect().await.expect("body").to_bytes();

            assert!(
                compressed.len() < content.len() / 10,
                "{encoding:?}: {}",
                compressed.len()
            );
            assert_eq!(decode(encoding, &compressed).await, content, "{encoding:?}");
            assert_eq!(head.headers["content-encoding"], encoding.as_str());
            assert!(!head.headers.contains_key("content-length"));
            assert!(!head.headers.contains_key("content-digest"));
            assert!(!head.headers.contains_key("accept-ranges"));
            assert_eq!(head.headers["vary"], "Origin, Accept-Encoding");
            assert_eq!(head.headers["etag"], "W/\"abc\"");
        }
    }

    #[test]
    fn etag_conversion() {
        for (origin, expected) in [
            (Some("W/\"weak\""), Some("W/\"weak\"")),
            (Some("\"strong\""), Some("W/\"strong\"")),
            (Some("bare"), None),
            (None, None),
        ] {
            let mut head = parts(&[]);
            if let Some(origin) = origin {
                head.headers
                    .insert(header::ETAG, HeaderValue::from_static(origin));
            }
            weaken_etag(&mut head.headers);
            let etag = head
                .headers
                .get(header::ETAG)
                .map(|v| v.to_str().expect("ascii"));
            assert_eq!(etag, expected, "{origin:?}");
        }
    }

    #[tokio::test]
    async fn streams_before_the_body_ends() {
        let (sender, mut receiver) = mpsc::channel::<Bytes>(1);
        let frames = futures_util::stream::poll_fn(move |cx| {
            receiver
                .poll_recv(cx)
                .map(|data| data.map(|data| Ok::<_, BoxError>(Frame::data(data))))
        });
        let body = StreamBody::new(frames);
        let mut head = parts(&[("content-type", "text/plain")]);
        let mut compressed = compress_response(&mut head, boxed(body), Encoding::Gzip);

        sender
            .send(Bytes::from(text(4000)))
            .await
            .expect("receiver alive");
        let first = tokio::time::timeout(Duration::from_secs(10), compressed.frame())
            .await
            .expect("a frame arrives while the origin is still sending")
            .expect("not the end")
            .expect("no error");
        let mut all = first.into_data().expect("data frame").to_vec();

        sender
            .send(Bytes::from(text(3000)))
            .await
            .expect("receiver alive");
        drop(sender);
        all.extend_from_slice(&compressed.collect().await.expect("body").to_bytes());
        let mut expected = text(4000);
        expected.extend_from_slice(&text(3000));
        assert_eq!(decode(Encoding::Gzip, &all).await, expected);
    }

    #[tokio::test]
    async fn origin_errors_pass_through() {
        let frames: Vec<Result<Frame<Bytes>, BoxError>> = vec![
            Ok(Frame::data(Bytes::from(text(2000)))),
            Err(Box::new(BodyTimeout {
                what: "origin response body",
                seconds: 30.0,
            })),
        ];
        let body = boxed(StreamBody::new(futures_util::stream::iter(frames)));
        let mut head = parts(&[("content-type", "text/plain")]);
        let compressed = compress_response(&mut head, body, Encoding::Zstd);

        let error = compressed.collect().await.expect_err("the body fails");
        assert!(error.downcast_ref::<BodyTimeout>().is_some(), "{error}");
    }
}
