//! Prometheus metrics for the edge: metric names, bounded label sets, and the [`Metrics`]
//! registry whose text exposition `/metrics` serves.

mod cache;
mod distribution;
mod functions;
mod labels;
pub mod names;
mod recorders;
mod registry;
mod waf;

pub use cache::TierSample;
pub use distribution::DistributionMetrics;
pub use registry::{CONTENT_TYPE, LATENCY_BUCKETS, Metrics};
