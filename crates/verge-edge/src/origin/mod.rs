//! Talking to origins: one pooled client per origin (HTTP/1.1 keep-alive or HTTP/2, TLS 1.3
//! to HTTPS origins), connection attempts, timeouts, and failover within an origin group.

mod client;
mod dynamic;
mod failover;
mod replay;
pub mod tfo;

pub use client::{OriginClient, OriginError, OriginResponse};
pub use dynamic::DynamicOrigins;
pub use failover::{FetchOutcome, fetch};
pub use replay::ReplayableBody;
