//! Verge's web application firewall engine. It loads AWS WAF web ACLs, rule groups, IP sets
//! and regex pattern sets in AWS's own JSON, compiles them, and evaluates a plain request view
//! into a decision. It knows nothing of sockets: the edge's `waf_filter` phase calls it.
//!
//! The edge loads the referenced objects into [`Resources`] (AWS's managed rule groups come
//! from [`managed::install`]), compiles the web ACL once per configuration snapshot, and
//! evaluates each viewer request. The body handed over is cut to
//! [`WebAclEngine::body_inspection_limit`]; [`Env`] carries the clock for rate-based rules and
//! a geo lookup for forwarded addresses.
//!
//! ```
//! use verge_waf::{Action, Env, Request, Resources, WebAclEngine, model};
//!
//! let ip_set = r#"{"IPSet": {"Name": "blocked", "IPAddressVersion": "IPV4",
//!     "Addresses": ["192.0.2.0/24"]}, "LockToken": "t"}"#;
//! let acl = r#"{"Name": "site", "DefaultAction": {"Allow": {}},
//!   "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true,
//!                        "MetricName": "site"},
//!   "Rules": [{"Name": "deny-list", "Priority": 0, "Action": {"Block": {}},
//!     "Statement": {"IPSetReferenceStatement":
//!       {"ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/blocked/1a2b"}},
//!     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true,
//!                          "MetricName": "deny-list"}}]}"#;
//!
//! let mut resources = Resources::new();
//! resources.add_ip_set(&model::parse_ip_set(ip_set)?)?;
//! let engine = WebAclEngine::from_json(acl, &resources)?;
//!
//! let request = Request::new("GET", "/", "192.0.2.7".parse()?);
//! let decision = engine.evaluate(&request, Env::default());
//! assert_eq!(decision.action, Action::Block);
//! assert_eq!(decision.terminating_rule.as_deref(), Some("deny-list"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod arn;
pub mod challenge;
pub mod cidr;
mod compile;
pub mod decision;
mod engine;
mod error;
pub mod field;
pub mod managed;
pub mod model;
pub mod pattern;
pub mod rate;
pub mod request;
pub mod resources;
mod statement;
pub mod token;
pub mod transform;

pub use compile::INSERTED_HEADER_PREFIX;
pub use decision::{Action, BlockResponse, Decision, GroupResult, ResponseBody, RuleMatch};
pub use engine::WebAclEngine;
pub use error::{Error, Issue};
pub use request::{Env, GeoLookup, Request};
pub use resources::Resources;
