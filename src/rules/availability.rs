//! Availability: what stops the registry from starting or serving.

use super::{Ctx, Hit};
use crate::registry::env::Outcome;

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    if !c.set("http.secret") {
        out.push(Hit::new(
            "RD-AVL-001",
            "http.secret",
            "http.secret is not set: each instance generates its own",
        ));
    }
    for e in c.env() {
        if let Outcome::WouldCrash { path, reason } = &e.outcome {
            out.push(Hit::new(
                "RD-AVL-002",
                path.clone(),
                format!("{} would crash the registry at start: {reason}", e.var),
            ));
        }
    }
    for e in &c.cfg.startup_errors {
        out.push(Hit::new("RD-AVL-003", e.path.clone(), e.message.clone()));
    }
    if c.driver().as_deref() == Some("inmemory") {
        out.push(Hit::new(
            "RD-AVL-004",
            "storage.inmemory",
            "storage is in memory: every image is lost at restart",
        ));
    }
    let cache = c
        .str("storage.cache.blobdescriptor")
        .or_else(|| c.str("storage.cache.layerinfo"));
    let redis = if c.cfg.version.is_v3() {
        !c.strs("redis.addrs").is_empty()
    } else {
        c.set("redis.addr")
    };
    if cache == Some("redis") && !redis {
        out.push(Hit::new("RD-AVL-006", "storage.cache.blobdescriptor", "the blob descriptor cache is redis but redis is not configured: the registry panics at start"));
    }
    if c.node("health.file").is_some_and(|n| !n.is_zero()) {
        out.push(Hit::new(
            "RD-AVL-007",
            "health.file",
            "a file health check is configured",
        ));
    }
    if c.bool("storage.maintenance.uploadpurging.enabled") == Some(false) {
        out.push(Hit::new(
            "RD-AVL-008",
            "storage.maintenance.uploadpurging.enabled",
            "upload purging is disabled",
        ));
    }
    if c.node("proxy.ttl").is_some() && c.int("proxy.ttl").is_some_and(|t| t <= 0) {
        out.push(Hit::new(
            "RD-AVL-009",
            "proxy.ttl",
            "proxy.ttl is 0 or negative: cached content never expires",
        ));
    }
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    let x = b
        .int("catalog.maxentries")
        .filter(|n| *n > 0)
        .unwrap_or(1000);
    let y = d
        .int("catalog.maxentries")
        .filter(|n| *n > 0)
        .unwrap_or(1000);
    if y > x {
        out.push(Hit::new(
            "RD-AVL-005",
            "catalog.maxentries",
            format!("catalog.maxentries raised from {x} to {y}"),
        ));
    }
}
