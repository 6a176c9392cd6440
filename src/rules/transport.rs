//! Transport: TLS on the registry's listener and on its connections to storage, redis and
//! notification endpoints.

use super::{Ctx, Hit, Severity};

fn weak_cipher(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.contains("RC4") || n.contains("3DES") || n.contains("_CBC_") || n.starts_with("TLS_RSA_")
}

fn tls_rank(v: &str) -> u8 {
    match v {
        "tls1.0" => 0,
        "tls1.1" => 1,
        "tls1.3" => 3,
        _ => 2,
    }
}

const S3_DRIVERS: [&str; 2] = ["s3", "s3aws"];

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    if !c.tls_on() {
        let auth = c.auth();
        let sev = match auth.as_deref() {
            Some("htpasswd" | "silly") => Severity::Critical,
            _ => Severity::High,
        };
        let what = match auth.as_deref() {
            Some(a) => format!("plain HTTP with {a} auth: credentials travel in clear"),
            None => "plain HTTP".to_string(),
        };
        out.push(Hit::new("RD-TLS-001", "http.tls", format!("TLS is off: {what}")).severity(sev));
    }
    if let Some(v) = c.str("http.tls.minimumtls")
        && tls_rank(v) < 2
    {
        out.push(Hit::new(
            "RD-TLS-002",
            "http.tls.minimumtls",
            format!("http.tls.minimumtls is {v}"),
        ));
    }
    let weak: Vec<&str> = c
        .strs("http.tls.ciphersuites")
        .into_iter()
        .filter(|s| weak_cipher(s))
        .collect();
    if !weak.is_empty() {
        out.push(Hit::new(
            "RD-TLS-003",
            "http.tls.ciphersuites",
            format!("weak suites allowed: {}", weak.join(", ")),
        ));
    }
    if c.bool("http.h2c.enabled") == Some(true) {
        out.push(Hit::new(
            "RD-TLS-004",
            "http.h2c.enabled",
            "http.h2c.enabled is true",
        ));
    }
    if !c.cfg.version.is_v3()
        && c.set("http.tls.letsencrypt.cachefile")
        && c.strs("http.tls.letsencrypt.hosts").is_empty()
    {
        out.push(Hit::new(
            "RD-TLS-005",
            "http.tls.letsencrypt.hosts",
            "letsencrypt.hosts is empty: 2.8 requests certificates for any host name",
        ));
    }
    for d in S3_DRIVERS {
        let p = format!("storage.{d}");
        if c.node(&p).is_none() {
            continue;
        }
        if c.bool(&format!("{p}.secure")) == Some(false) {
            out.push(Hit::new(
                "RD-TLS-006",
                format!("{p}.secure"),
                format!(
                    "{p}.secure is {}: S3 traffic is plain HTTP",
                    c.show(&format!("{p}.secure")).unwrap_or_default()
                ),
            ));
        }
        if c.bool(&format!("{p}.v4auth")) == Some(false) {
            out.push(Hit::new(
                "RD-TLS-008",
                format!("{p}.v4auth"),
                format!("{p}.v4auth is false"),
            ));
        }
    }
    for p in [
        "storage.s3.skipverify",
        "storage.s3aws.skipverify",
        "storage.azure.skipverify",
        "storage.swift.insecureskipverify",
    ] {
        if c.bool(p) == Some(true) {
            out.push(Hit::new("RD-TLS-007", p, format!("{p} is true")));
        }
    }
    redis(c, out);
    for (path, ep) in c.endpoints() {
        let url = ep.get("url").and_then(|u| u.as_str()).unwrap_or("");
        let disabled = ep
            .get("disabled")
            .is_some_and(|v| v.value == crate::registry::value::Value::Bool(true));
        if !disabled && url.to_ascii_lowercase().starts_with("http://") {
            out.push(Hit::new(
                "RD-TLS-010",
                format!("{path}.url"),
                format!(
                    "{path}.url is plain HTTP: {}",
                    crate::registry::redact::redact_url(url)
                ),
            ));
        }
    }
}

fn redis(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    if c.cfg.version.is_v3() {
        if c.strs("redis.addrs").is_empty() {
            return;
        }
        let tls = [
            "redis.tls.certificate",
            "redis.tls.key",
            "redis.tls.rootcas",
            "redis.tls.clientcas",
        ]
        .iter()
        .any(|p| c.set(p));
        if !tls {
            out.push(Hit::new(
                "RD-TLS-009",
                "redis",
                "redis is configured without redis.tls",
            ));
        }
    } else if c.set("redis.addr") {
        out.push(Hit::new(
            "RD-TLS-009",
            "redis",
            "redis is configured and 2.8 cannot use TLS to redis",
        ));
    }
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    if let (true, true) = (b.tls_on(), d.tls_on()) {
        let x = b.str("http.tls.minimumtls").unwrap_or("tls1.2");
        let y = d.str("http.tls.minimumtls").unwrap_or("tls1.2");
        // Lowered to 1.0/1.1 is a posture finding; 1.3 → 1.2 is only visible as drift.
        if tls_rank(y) < tls_rank(x) && tls_rank(y) >= 2 {
            out.push(
                Hit::new(
                    "RD-TLS-002",
                    "http.tls.minimumtls",
                    format!("http.tls.minimumtls lowered from {x} to {y}"),
                )
                .severity(Severity::Low),
            );
        }
    }
}
