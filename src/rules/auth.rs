//! Authentication and authorization: who may reach the registry, with what credentials.

use super::ctx::url_host;
use super::{Ctx, Hit, Severity};
use crate::registry::env::{Effect, Outcome};

fn auth_blanked_by_env(c: &Ctx<'_>) -> Option<String> {
    c.env().iter().find_map(|e| match &e.outcome {
        Outcome::Applied {
            path,
            effect: Effect::Blanked | Effect::Replaced,
            ..
        } if path == "auth" => Some(format!("{} ({})", e.var, e.source)),
        _ => None,
    })
}

/// A path that names a directory rather than a file (heuristic when it is not on this host).
fn looks_like_directory(p: &str) -> bool {
    if p.ends_with('/') {
        return true;
    }
    if [
        "/etc/registry",
        "/etc/docker/registry",
        "/etc/distribution",
        "/auth",
        "/etc",
    ]
    .contains(&p)
    {
        return true;
    }
    std::path::Path::new(p).is_dir()
}

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    let providers = c.auth_providers();
    if providers.is_empty() {
        let how = match auth_blanked_by_env(c) {
            Some(var) => format!("authentication is removed by {var}"),
            None if c.node("auth").is_some() => "auth is `none`".to_string(),
            None => "there is no auth section".to_string(),
        };
        out.push(Hit::new(
            "RD-AUTH-001",
            "auth",
            format!("{how}: anyone who reaches the registry can pull, push and list the catalog"),
        ));
    }
    if providers.iter().any(|p| p == "silly") {
        out.push(Hit::new(
            "RD-AUTH-002",
            "auth.silly",
            "auth.silly accepts any Authorization header",
        ));
    }
    if providers.len() > 1 {
        out.push(Hit::new(
            "RD-AUTH-003",
            "auth",
            format!(
                "{} auth providers ({}): the registry picks one at random at each start",
                providers.len(),
                providers.join(", ")
            ),
        ));
    }
    if c.bool("auth.token.autoredirect") == Some(true) {
        out.push(Hit::new(
            "RD-AUTH-006",
            "auth.token.autoredirect",
            "auth.token.autoredirect is true: the realm follows the request's Host header",
        ));
    }
    if let Some(p) = c.str("auth.htpasswd.path")
        && looks_like_directory(p)
    {
        out.push(Hit::new(
            "RD-AUTH-010",
            "auth.htpasswd.path",
            format!("auth.htpasswd.path {p:?} is a directory: every login fails with 400"),
        ));
    }
    if !c.strs("http.tls.clientcas").is_empty()
        && let Some(mode) = c.str("http.tls.clientauth")
    {
        let sev = match mode {
            "request-client-cert" | "require-any-client-cert" => Some(Severity::High),
            "verify-client-cert-if-given" => Some(Severity::Medium),
            _ => None,
        };
        if let Some(sev) = sev {
            out.push(
                Hit::new(
                    "RD-AUTH-012",
                    "http.tls.clientauth",
                    format!("http.tls.clientauth is {mode}"),
                )
                .severity(sev),
            );
        }
    }
    let proxy_creds = ["proxy.username", "proxy.password", "proxy.exec.command"]
        .iter()
        .any(|p| c.set(p));
    if c.set("proxy.remoteurl") && proxy_creds && !c.has_auth() {
        out.push(Hit::new("RD-AUTHZ-002", "proxy", "the pull-through cache has upstream credentials and no auth: anyone can pull what they open"));
    }
}

fn differs(b: &Ctx<'_>, d: &Ctx<'_>, path: &str) -> Option<(String, String)> {
    let (x, y) = (b.show(path), d.show(path));
    (x != y).then(|| {
        (
            x.unwrap_or_else(|| "unset".into()),
            y.unwrap_or_else(|| "unset".into()),
        )
    })
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    let (ba, da) = (b.auth(), d.auth());
    if ba.as_deref() == Some("token") && da.as_deref() == Some("token") {
        for key in ["rootcertbundle", "jwks"] {
            let p = format!("auth.token.{key}");
            if let Some((x, y)) = differs(b, d, &p) {
                out.push(Hit::new(
                    "RD-AUTH-004",
                    p.clone(),
                    format!("{p} changed from {x} to {y}"),
                ));
            }
        }
        if let (Some(x), Some(y)) = (b.str("auth.token.realm"), d.str("auth.token.realm"))
            && x != y
        {
            let host_changed =
                url_host(x) != url_host(y) || x.split("://").next() != y.split("://").next();
            let sev = if host_changed {
                Severity::Critical
            } else {
                Severity::Medium
            };
            out.push(
                Hit::new(
                    "RD-AUTH-005",
                    "auth.token.realm",
                    format!("auth.token.realm changed from {x} to {y}"),
                )
                .severity(sev),
            );
        }
        for key in ["issuer", "service"] {
            let p = format!("auth.token.{key}");
            if let Some((x, y)) = differs(b, d, &p) {
                out.push(Hit::new(
                    "RD-AUTH-007",
                    p.clone(),
                    format!("{p} changed from {x} to {y}"),
                ));
            }
        }
        let (xa, ya) = (
            b.strs("auth.token.signingalgorithms"),
            d.strs("auth.token.signingalgorithms"),
        );
        if !xa.is_empty() && (ya.is_empty() || ya.iter().any(|a| !xa.contains(a))) {
            let now = if ya.is_empty() {
                "removed (every default algorithm, HS* included)".to_string()
            } else {
                ya.join(", ")
            };
            out.push(Hit::new(
                "RD-AUTH-008",
                "auth.token.signingalgorithms",
                format!("signing algorithms widened from {} to {now}", xa.join(", ")),
            ));
        }
    }
    if ba.as_deref() == Some("htpasswd")
        && da.as_deref() == Some("htpasswd")
        && let Some((x, y)) = differs(b, d, "auth.htpasswd.path")
    {
        out.push(Hit::new(
            "RD-AUTH-009",
            "auth.htpasswd.path",
            format!("auth.htpasswd.path changed from {x} to {y}"),
        ));
    }
    if !b.strs("http.tls.clientcas").is_empty() && d.strs("http.tls.clientcas").is_empty() {
        out.push(Hit::new(
            "RD-AUTH-011",
            "http.tls.clientcas",
            "http.tls.clientcas was emptied: client certificates are no longer required",
        ));
    }
    if ba.as_deref() == Some("token") && da.as_deref() == Some("htpasswd") {
        out.push(Hit::new(
            "RD-AUTHZ-001",
            "auth",
            "auth changed from token to htpasswd: per-repository scopes are gone",
        ));
    }
    let (xc, yc) = (
        b.strs("policy.repository.classes"),
        d.strs("policy.repository.classes"),
    );
    if !xc.is_empty() && (yc.is_empty() || yc.iter().any(|c| !xc.contains(c))) {
        out.push(Hit::new(
            "RD-AUTHZ-003",
            "policy.repository.classes",
            format!(
                "allowed classes widened from {} to {}",
                xc.join(", "),
                if yc.is_empty() {
                    "any".into()
                } else {
                    yc.join(", ")
                }
            ),
        ));
    }
}
