//! Verge's web application firewall engine. It loads AWS WAF web ACLs, rule groups, IP sets
//! and regex pattern sets in AWS's own JSON, compiles them, and evaluates a plain request view
//! into a decision. It knows nothing of sockets: the edge's `waf_filter` phase calls it.
//!
//! ```text
//! let mut resources = Resources::new();
//! resources.add_ip_set(&model::parse_ip_set(ip_set_json)?)?;
//! let acl = WebAclEngine::from_json(acl_json, &resources)?;
//! let decision = acl.evaluate(&request, Env::default());
//! ```

pub mod arn;
pub mod cidr;
mod compile;
pub mod decision;
mod engine;
mod error;
pub mod field;
pub mod model;
pub mod pattern;
pub mod rate;
pub mod request;
pub mod resources;
mod statement;
pub mod transform;

pub use compile::INSERTED_HEADER_PREFIX;
pub use decision::{Action, BlockResponse, Decision, GroupResult, ResponseBody, RuleMatch};
pub use engine::WebAclEngine;
pub use error::{Error, Issue};
pub use request::{Env, GeoLookup, Request};
pub use resources::Resources;
