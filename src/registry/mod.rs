//! What distribution/distribution does with a configuration: its key table, its YAML dialect,
//! its environment overlay, and the effective configuration that results.
//!
//! Data flow: bytes → [`yaml::load`] (events → node tree with positions) → [`decode`] (Go types,
//! yaml.v2 semantics, guided by [`schema`] derived from [`keys`]) → [`env::apply`] (the
//! `REGISTRY_*` overlay) → [`effective::EffectiveConfig`] (post-processing, provenance,
//! canonical form and hashes; [`redact`] keeps secrets out of every rendering).

pub mod decode;
pub mod effective;
pub mod env;
pub mod envfile;
pub mod keys;
pub mod redact;
pub mod resolve;
pub mod schema;
pub mod value;
pub mod version;
pub mod yaml;
mod yaml_fast;
pub mod yamlout;

pub use effective::{BuildOptions, EffectiveConfig, build};
pub use version::Version;

#[cfg(test)]
mod quirks_tests;
