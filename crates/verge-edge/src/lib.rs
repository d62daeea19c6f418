//! Verge's edge node: listeners (TCP, TLS), HTTP/1.1 and HTTP/2 serving, the request
//! pipeline from viewer to origin and back, the origin client, and the admin API.

pub mod body;
pub mod cache;
pub mod compress;
pub mod context;
pub mod error;
pub mod functions;
pub mod geo;
pub mod headers;
pub mod origin;
pub mod pipeline;
pub mod response_policy;
pub mod server;
pub mod snapshot;
pub mod state;
pub mod tls;
pub mod waf;

pub use error::EdgeError;
pub use server::{BoundListener, ConfigSource, Edge, ReloadError};
