//! Viewer access logs: one [`AccessLogRecord`] per viewer request, rendered as a CloudFront
//! standard log line or a JSON line, and written off the request path by [`AccessLog`].

mod cloudfront;
mod format;
mod handle;
mod json;
pub(crate) mod record;
mod timestamp;
mod writer;

pub use cloudfront::{FIELD_NAMES, header};
pub use format::LogFormat;
pub use handle::{AccessLog, DEFAULT_CAPACITY, LogDestination};
pub use record::AccessLogRecord;
