//! Shared test support: the fake GitHub and the OpenAPI validator it checks requests with.
#![allow(dead_code)]

pub mod github;
pub mod openapi;
