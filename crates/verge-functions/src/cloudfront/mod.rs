//! The `cloudfront` module's origin calls: `updateRequestOrigin`, `selectRequestOriginById`
//! and `createRequestOriginGroup`. Each checks its argument as CloudFront does and records an
//! [`OriginChange`] the edge applies after the function returns.

mod origin;

pub use origin::{OriginChange, OriginProtocol, OriginUpdate, group, select, update};
