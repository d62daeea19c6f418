//! Verge's telemetry: viewer access logs (CloudFront standard and JSON lines) and the
//! Prometheus metrics registry that `/metrics` serves.
//! The request path only calls cheap, non-blocking recorders; all I/O happens elsewhere.

pub mod access_log;
mod error;
pub mod metrics;

pub use access_log::{AccessLog, AccessLogRecord, LogDestination, LogFormat};
pub use error::TelemetryError;
pub use metrics::{DistributionMetrics, Metrics, TierSample};
