//! Audit: what the registry records and forwards about what happens to it.

use super::{Ctx, Hit, Severity};
use crate::registry::value::{VNode, Value};

fn strs(n: Option<&VNode>) -> Vec<String> {
    match n.map(|n| &n.value) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(VNode::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn disabled(ep: &VNode) -> bool {
    ep.get("disabled")
        .is_some_and(|v| v.value == Value::Bool(true))
}

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    if c.bool("log.accesslog.disabled") == Some(true) {
        out.push(Hit::new(
            "RD-AUD-001",
            "log.accesslog.disabled",
            "the access log is disabled",
        ));
    }
    match c.str("log.level") {
        Some(l @ ("error" | "warn")) => out.push(Hit::new(
            "RD-AUD-002",
            "log.level",
            format!("log.level is {l}"),
        )),
        Some("debug") => out.push(Hit::new("RD-AUD-003", "log.level", "log.level is debug")),
        _ => {}
    }
    for d in ["s3", "s3aws"] {
        let p = format!("storage.{d}.loglevel");
        if let Some(l) = c.str(&p) {
            let l = l.to_ascii_lowercase();
            if l.starts_with("debug") {
                let sev = if l == "debugwithhttpbody" || l == "debugwithsigning" {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                out.push(Hit::new("RD-AUD-003", p.clone(), format!("{p} is {l}")).severity(sev));
            }
        }
    }
    if !c.endpoints().iter().any(|(_, ep)| !disabled(ep)) {
        out.push(Hit::new(
            "RD-AUD-004",
            "notifications.endpoints",
            "no enabled notification endpoint",
        ));
    }
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    let after = d.endpoints();
    for (path, ep) in b.endpoints() {
        let Some((_, now)) = after.iter().find(|(p, _)| *p == path) else {
            out.push(Hit::new(
                "RD-AUD-005",
                path.clone(),
                format!("notification endpoint {path} was removed"),
            ));
            continue;
        };
        if !disabled(ep) && disabled(now) {
            out.push(Hit::new(
                "RD-AUD-005",
                format!("{path}.disabled"),
                format!("notification endpoint {path} was disabled"),
            ));
        }
        let (xa, ya) = (
            strs(ep.get("ignore").and_then(|i| i.get("actions"))),
            strs(now.get("ignore").and_then(|i| i.get("actions"))),
        );
        let new: Vec<&String> = ya.iter().filter(|a| !xa.contains(a)).collect();
        if !new.is_empty() {
            let sev = if new.iter().any(|a| *a == "push" || *a == "delete") {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(
                Hit::new(
                    "RD-AUD-005",
                    format!("{path}.ignore.actions"),
                    format!(
                        "{path} now ignores {}",
                        new.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .severity(sev),
            );
        }
        for key in ["ignoredmediatypes", "ignore.mediatypes"] {
            let get = |n: &VNode| match key.split_once('.') {
                Some((a, b2)) => strs(n.get(a).and_then(|x| x.get(b2))),
                None => strs(n.get(key)),
            };
            let (x, y) = (get(ep), get(now));
            if y.iter().any(|m| !x.contains(m)) {
                out.push(
                    Hit::new(
                        "RD-AUD-005",
                        format!("{path}.{key}"),
                        format!("{path} ignores more media types"),
                    )
                    .severity(Severity::Medium),
                );
            }
        }
        let (xu, yu) = (
            ep.get("url").and_then(VNode::as_str),
            now.get("url").and_then(VNode::as_str),
        );
        let r = crate::registry::redact::redact_url;
        // Only a different destination is RD-AUD-006; a rotated password in the URL is drift.
        if xu.map(r) != yu.map(r) {
            out.push(Hit::new(
                "RD-AUD-006",
                format!("{path}.url"),
                format!(
                    "{path}.url changed from {} to {}",
                    xu.map(r).unwrap_or_default(),
                    yu.map(r).unwrap_or_default()
                ),
            ));
        }
    }
    let (x, y) = (b.show("log.hooks"), d.show("log.hooks"));
    if y.is_some() && x != y {
        out.push(Hit::new(
            "RD-AUD-007",
            "log.hooks",
            "log hooks were added or changed",
        ));
    }
}
