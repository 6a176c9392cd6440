//! Exposure: listeners, headers, redirects and third parties that widen who can see what.

use super::ctx::{is_loopback_host, listen_host, url_host};
use super::{Ctx, Hit, Severity};

/// Secrets that the debug listener's /debug/vars would serve.
fn debug_leaks_secrets(c: &Ctx<'_>) -> bool {
    let redis_secret = c.set("redis.password") || c.set("redis.sentinelpassword");
    let header_secret = c
        .endpoints()
        .iter()
        .any(|(_, ep)| ep.get("headers").is_some_and(|h| !h.is_zero()));
    redis_secret || header_secret
}

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    if let Some(addr) = c.str("http.debug.addr") {
        let host = listen_host(addr);
        if !is_loopback_host(host) {
            let sev = if debug_leaks_secrets(c) {
                Severity::Critical
            } else {
                Severity::High
            };
            let where_ = if host.is_empty() || host == "0.0.0.0" || host == "[::]" {
                "every interface".to_string()
            } else {
                host.to_string()
            };
            out.push(Hit::new("RD-EXP-001", "http.debug.addr", format!("debug listener {addr} is reachable on {where_}: pprof and expvar without authentication")).severity(sev));
        }
    }
    if c.bool("http.debug.prometheus.enabled") == Some(true) {
        out.push(Hit::new(
            "RD-EXP-002",
            "http.debug.prometheus.enabled",
            "prometheus metrics are enabled on the debug listener",
        ));
    }
    for (path, mw) in c.list_with_identity("middleware.storage", "name") {
        let name = mw.get("name").and_then(|n| n.as_str()).unwrap_or("");
        if name == "redirect" || name == "rewrite" {
            out.push(Hit::new("RD-EXP-007", path, format!("storage middleware {name} sends blob downloads to another host with unsigned URLs")));
        }
    }
    for p in ["reporting.bugsnag.apikey", "reporting.newrelic.licensekey"] {
        if c.set(p) {
            let svc = p.split('.').nth(1).unwrap_or("");
            out.push(Hit::new(
                "RD-EXP-008",
                p.rsplit_once('.').map_or(p, |x| x.0),
                format!("reporting to {svc} is on"),
            ));
        }
    }
}

fn header<'a>(c: &Ctx<'a>, name: &str) -> Option<&'a crate::registry::value::VNode> {
    c.node("http.headers")?
        .entries()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    // An unset http.addr listens on every interface (with a random port).
    if let Some(x) = b.str("http.addr")
        && is_loopback_host(listen_host(x))
    {
        let y = d.str("http.addr").unwrap_or("");
        if !is_loopback_host(listen_host(y)) {
            let shown = if y.is_empty() {
                "unset (every interface)"
            } else {
                y
            };
            out.push(Hit::new(
                "RD-EXP-003",
                "http.addr",
                format!("http.addr widened from {x} to {shown}"),
            ));
        }
    }
    let (x, y) = (b.str("http.host"), d.str("http.host"));
    if x != y && x.map(url_host) != y.map(url_host) {
        out.push(Hit::new(
            "RD-EXP-004",
            "http.host",
            format!(
                "http.host changed from {} to {}",
                x.unwrap_or("unset"),
                y.unwrap_or("unset")
            ),
        ));
    }
    for h in ["X-Content-Type-Options", "Strict-Transport-Security"] {
        if header(b, h).is_some() && header(d, h).is_none() {
            out.push(Hit::new(
                "RD-EXP-005",
                format!("http.headers.{}", h.to_ascii_lowercase()),
                format!("response header {h} was removed"),
            ));
        }
    }
    if b.bool("storage.redirect.disable") == Some(true)
        && d.bool("storage.redirect.disable") != Some(true)
    {
        out.push(Hit::new("RD-EXP-006", "storage.redirect.disable", "storage.redirect.disable is no longer true: blob GETs redirect to presigned storage URLs"));
    }
    let before = b.list_with_identity("middleware.storage", "name");
    for (path, mw) in d.list_with_identity("middleware.storage", "name") {
        let name = mw.get("name").and_then(|n| n.as_str()).unwrap_or("");
        let old = before.iter().find(|(p, _)| *p == path);
        let changed = match old {
            None => true,
            Some((_, o)) => ["baseurl", "host", "scheme"].iter().any(|k| {
                o.get("options")
                    .and_then(|x| x.get(k))
                    .and_then(|v| v.as_str())
                    != mw
                        .get("options")
                        .and_then(|x| x.get(k))
                        .and_then(|v| v.as_str())
            }),
        };
        // redirect/rewrite being added is already a new posture finding.
        if changed && (old.is_some() || name == "cloudfront") {
            out.push(Hit::new(
                "RD-EXP-007",
                path.clone(),
                format!(
                    "storage middleware {name} was {}",
                    if old.is_some() { "changed" } else { "added" }
                ),
            ));
        }
    }
}
