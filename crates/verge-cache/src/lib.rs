//! Verge's shared HTTP cache. Plain inputs in, decisions out: this crate knows nothing of
//! sockets. It owns RFC 9111 semantics (what may be stored, for how long, what may be served),
//! cache keys, the memory and disk tiers, request collapsing and invalidation; the edge's
//! `cache_lookup` and store phases call it.

pub mod age;
pub mod collapse;
pub mod conditional;
pub mod dates;
pub mod directives;
pub mod entry;
mod error;
pub mod key;
pub mod range;
pub mod reuse;
pub mod storable;
pub mod store;
pub mod vary;

pub use entry::{Meta, TtlPolicy};
pub use error::CacheError;
