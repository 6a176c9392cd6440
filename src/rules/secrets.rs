//! Secrets: sample credentials, plaintext secrets in the file, weak HMAC keys.
//!
//! Values are compared here but never copied into a finding: messages name keys only.

use super::{Ctx, Hit, Severity};
use crate::registry::redact::Digester;
use crate::registry::value::{Origin, VNode, Value};

/// Values published in upstream samples and docs (reference §3, §6).
const SAMPLE_HTTP_SECRETS: [&str; 5] = [
    "asecretforlocaldevelopment",
    "hmacsecret",
    "secret",
    "changeme",
    "placeholder",
];

fn header_values(ep: &VNode) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(entries) = ep.get("headers").and_then(VNode::entries) {
        for (_, v) in entries {
            if let Value::List(items) = &v.value {
                out.extend(items.iter().filter_map(VNode::as_str).map(str::to_string));
            }
        }
    }
    out
}

fn sample_header(v: &str) -> bool {
    v.contains("<your token") || v == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
}

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    if let Some(s) = c.str("http.secret") {
        if SAMPLE_HTTP_SECRETS.contains(&s) {
            out.push(Hit::new(
                "RD-SEC-001",
                "http.secret",
                "http.secret is a value published in upstream samples",
            ));
        } else if s.chars().count() < 16 {
            out.push(Hit::new(
                "RD-SEC-003",
                "http.secret",
                format!("http.secret has only {} characters", s.chars().count()),
            ));
        }
    }
    if c.str("redis.password") == Some("asecret") {
        out.push(Hit::new(
            "RD-SEC-001",
            "redis.password",
            "redis.password is the upstream sample value",
        ));
    }
    if c.str("proxy.username") == Some("username") && c.str("proxy.password") == Some("password") {
        out.push(Hit::new(
            "RD-SEC-001",
            "proxy.password",
            "proxy.username/password are the upstream placeholder values",
        ));
    }
    for (path, ep) in c
        .endpoints()
        .into_iter()
        .chain(c.list_with_identity("health.http", "uri"))
    {
        if header_values(ep).iter().any(|v| sample_header(v)) {
            out.push(Hit::new(
                "RD-SEC-001",
                format!("{path}.headers"),
                format!("{path} sends a header value copied from the upstream docs"),
            ));
        }
    }
    plaintext(c, out);
}

fn plaintext(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    // Only which keys are secret and where they came from are needed: any key works here.
    let d = Digester::from_material("regdrift plaintext check");
    let redis_v3 = c.cfg.version.is_v3() && !c.strs("redis.addrs").is_empty();
    let sev = if c.set("http.debug.addr") || redis_v3 {
        Severity::High
    } else {
        Severity::Medium
    };
    for e in c.cfg.flatten(&d) {
        if e.secret && matches!(e.origin, Origin::File { .. }) {
            out.push(
                Hit::new(
                    "RD-SEC-002",
                    e.path.clone(),
                    format!("{} is written in plaintext in the config file", e.path),
                )
                .severity(sev),
            );
        }
    }
}
