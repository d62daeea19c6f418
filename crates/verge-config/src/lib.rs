//! Verge's declarative model: the TOML configuration (CloudFront's concepts in snake_case),
//! its validation with file, line, column and field in every error, and its compilation into
//! the routing tables an edge node serves from.

pub mod bytesize;
pub mod compile;
pub mod domains;
pub mod duration;
mod error;
mod load;
pub mod managed;
pub mod model;
pub mod pattern;
pub mod quick;
mod validate;

pub use compile::{CompiledBehavior, CompiledDistribution, MethodSet, Routes, Target, compile};
pub use error::{ConfigError, ConfigErrors};
pub use load::{load_file, parse_str};
pub use model::Config;
pub use validate::{METHODS, valid_header_name, validate};
