//! Integration tests for `verge-waf`: a realistic AWS-format web ACL with a rule group, IP sets
//! and a regex pattern set loaded from `tests/data`, and focused checks of evaluation rules.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions unwrap fixtures; a panic is a failed test"
)]

mod rate;
mod realistic;
mod semantics;
mod tokens;
