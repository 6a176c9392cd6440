//! regdrift: keeps every deployed distribution/distribution registry on the configuration its
//! owners approved.
//!
//! The library is pure: it loads, resolves, compares and classifies, and returns data. Only the
//! binary (`src/main.rs`) prints. [`registry`] rebuilds the configuration a registry actually
//! runs with, the way the registry itself reads it; [`show`] reports it.
#![forbid(unsafe_code)]

pub mod error;
pub mod registry;
pub mod show;
