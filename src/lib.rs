//! regdrift: keeps every deployed distribution/distribution registry on the configuration its
//! owners approved.
//!
//! The library is pure: it loads, resolves, compares and classifies, and returns data. Only the
//! binary (`src/main.rs`) prints. [`registry`] rebuilds the configuration a registry actually
//! runs with, the way the registry itself reads it; [`show`] reports it.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod config;
pub mod daemon;
pub mod drift;
pub mod error;
pub mod evaluate;
pub mod fleet;
pub mod history;
pub mod policy;
pub mod probe;
pub mod registry;
pub mod remediate;
pub mod report;
pub mod rules;
pub mod run;
pub mod show;
pub mod source;
