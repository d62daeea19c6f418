//! Integration tests for Verge's AWS managed rule groups: detection and false-positive rates
//! on the request corpus in `tests/corpus`, and a ported web ACL that uses the groups.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions unwrap fixtures; a panic is a failed test"
)]

mod corpus;
mod detection;
