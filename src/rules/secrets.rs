//! Secrets: sample credentials, plaintext secrets in the file, weak HMAC keys.
//!
//! Values are compared here but never copied into a finding: messages name keys only.

use super::{Ctx, Hit, Severity};
use crate::registry::redact::{self, Secrecy};
use crate::registry::schema::SchemaNode;
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
    let redis_v3 = c.cfg.version.is_v3() && !c.strs("redis.addrs").is_empty();
    let sev = if c.set("http.debug.addr") || redis_v3 {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut found = Vec::new();
    secrets_in_file(
        &c.cfg.root,
        Some(c.cfg.schema()),
        Secrecy::Public,
        "",
        &mut found,
    );
    for path in found {
        out.push(
            Hit::new(
                "RD-SEC-002",
                path.clone(),
                format!("{path} is written in plaintext in the config file"),
            )
            .severity(sev),
        );
    }
}

/// Paths of secret values (whole secret sections count once) that came from the file.
fn secrets_in_file(
    v: &VNode,
    schema: Option<&SchemaNode>,
    sec: Secrecy,
    path: &str,
    out: &mut Vec<String>,
) {
    if sec == Secrecy::Secret {
        if !v.is_zero() && matches!(v.origin, Origin::File { .. }) {
            out.push(path.to_string());
        }
        return;
    }
    match &v.value {
        Value::Map(_, entries) => {
            for (k, e) in entries {
                let p = crate::registry::value::join_key(path, k);
                secrets_in_file(
                    e,
                    schema.and_then(|s| s.child(k)),
                    redact::child_secrecy(schema, k, sec),
                    &p,
                    out,
                );
            }
        }
        Value::List(items) => {
            let elem = schema.and_then(|s| s.elem.as_deref());
            let is = redact::item_secrecy(schema, sec);
            for (i, item) in items.iter().enumerate() {
                secrets_in_file(
                    item,
                    elem.map(|e| e.for_item(item)),
                    is,
                    &crate::registry::value::join_index(path, i),
                    out,
                );
            }
        }
        _ => {}
    }
}
