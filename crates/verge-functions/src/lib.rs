//! CloudFront-Functions-compatible edge functions and the key-value stores they read. Plain
//! inputs in, decisions out: this crate knows nothing of sockets. The edge builds an [`Event`]
//! for each viewer-request or viewer-response, calls [`Function::invoke`], and acts on the
//! [`Output`] (continue with a changed request, answer with a response, send the request to
//! another origin); `verge function test` calls the same code.

pub mod cloudfront;
mod error;
pub mod event;
pub mod kvs;
mod ordered;
pub mod output;
pub mod runtime;
pub mod test_function;

pub use cloudfront::{OriginChange, OriginUpdate};
pub use error::FunctionError;
pub use event::{Event, EventType};
pub use kvs::{KeyValueStore, KvsError};
pub use ordered::OrderedMap;
pub use output::Output;
pub use runtime::{Environment, Function, Invocation, Limits};
