//! Answering a viewer from a stored object: the stored status and headers with `Age`
//! (RFC 9111 §4.2.3), the viewer's preconditions (304, 412; RFC 9110 §13), a single byte
//! range (206, 416; RFC 9110 §14) and HEAD, with the body from memory or streamed from disk.

use std::io::SeekFrom;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body::Frame;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use verge_cache::conditional::{self, Precondition};
use verge_cache::range::{self, RangeRequest};
use verge_cache::store::DiskBody;
use verge_cache::{Meta, age};

use crate::body::{Body, boxed, empty};

/// A stored body, ready to send.
pub enum StoredBody {
    /// Held in memory.
    Memory(Bytes),
    /// Read whole from the disk tier (and now promoted to memory).
    ReadFromDisk(Bytes),
    /// On disk, streamed in chunks.
    Disk(DiskBody),
}

impl StoredBody {
    /// Which tier it comes from, for metrics.
    pub fn tier(&self) -> &'static str {
        match self {
            StoredBody::Memory(_) => "memory",
            StoredBody::ReadFromDisk(_) => "disk",
            StoredBody::Disk(_) => "disk",
        }
    }

    /// The body's length.
    pub fn len(&self) -> u64 {
        match self {
            StoredBody::Memory(bytes) | StoredBody::ReadFromDisk(bytes) => bytes.len() as u64,
            StoredBody::Disk(disk) => disk.len,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes `start..=end` as a body.
    fn slice(self, start: u64, end: u64) -> Body {
        match self {
            StoredBody::Memory(bytes) | StoredBody::ReadFromDisk(bytes) => {
                let (start, end) = (start as usize, (end as usize + 1).min(bytes.len()));
                crate::body::full(bytes.slice(start.min(end)..end))
            }
            StoredBody::Disk(disk) => disk_body(disk, start, end + 1 - start),
        }
    }

    /// The whole body.
    fn whole(self) -> Body {
        match self {
            StoredBody::Memory(bytes) | StoredBody::ReadFromDisk(bytes) => crate::body::full(bytes),
            StoredBody::Disk(disk) => {
                let len = disk.len;
                disk_body(disk, 0, len)
            }
        }
    }
}

fn disk_body(disk: DiskBody, start: u64, len: u64) -> Body {
    let offset = disk.offset + start;
    let file = tokio::fs::File::from_std(disk.file);
    let stream = futures_util::stream::once(async move {
        let mut file = file;
        file.seek(SeekFrom::Start(offset)).await?;
        Ok::<_, std::io::Error>(ReaderStream::with_capacity(file.take(len), 64 * 1024))
    })
    .try_flatten()
    .map_ok(Frame::data);
    boxed(http_body_util::StreamBody::new(stream))
}

/// The response a viewer gets for a stored object at `now`.
pub fn respond(meta: &Meta, body: StoredBody, parts: &Parts, now: SystemTime) -> Response<Body> {
    let mut headers = meta.headers.clone();
    headers.insert(header::AGE, age::age_header(meta.age(now)));
    let len = body.len();

    match conditional::evaluate(&parts.headers, &meta.headers, meta.status) {
        Precondition::NotModified => {
            let mut not_modified = conditional::not_modified_headers(&meta.headers);
            not_modified.insert(header::AGE, age::age_header(meta.age(now)));
            return with(StatusCode::NOT_MODIFIED, not_modified, empty());
        }
        Precondition::Failed => {
            let mut failed = http::HeaderMap::new();
            failed.insert(header::AGE, age::age_header(meta.age(now)));
            return with(StatusCode::PRECONDITION_FAILED, failed, empty());
        }
        Precondition::Serve => {}
    }

    let status = StatusCode::from_u16(meta.status).unwrap_or(StatusCode::OK);
    let head = parts.method == Method::HEAD;
    if status == StatusCode::OK && !headers.contains_key(header::CONTENT_RANGE) {
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        // RFC 9110 §14.2: GET is the only method range handling is defined for; a HEAD
        // gets the head of the whole representation.
        let ranges = if head {
            RangeRequest::Full
        } else {
            range::parse(&parts.headers, &meta.headers, len)
        };
        match ranges {
            RangeRequest::Partial { start, end } => {
                headers.insert(header::CONTENT_RANGE, range::content_range(start, end, len));
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end + 1 - start));
                return with(StatusCode::PARTIAL_CONTENT, headers, body.slice(start, end));
            }
            RangeRequest::Unsatisfiable => {
                let mut refused = http::HeaderMap::new();
                refused.insert(header::CONTENT_RANGE, range::unsatisfied_range(len));
                refused.insert(header::AGE, age::age_header(meta.age(now)));
                return with(StatusCode::RANGE_NOT_SATISFIABLE, refused, empty());
            }
            RangeRequest::Full => {}
        }
    }

    if !matches!(status.as_u16(), 204 | 304) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let body = if head { empty() } else { body.whole() };
    with(status, headers, body)
}

fn with(status: StatusCode, headers: http::HeaderMap, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
