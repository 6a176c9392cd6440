//! How the config is read: keys the registry ignores, environment variables that replace,
//! blank or miss their target, duplicates, ignored documents, and booleans that are not.

use super::{Ctx, Hit, Severity};
use crate::registry::env::{Effect, Outcome, not_config_reason};
use crate::registry::keys::{BoolRule, Container, Kind};
use crate::registry::schema::SchemaNode;
use crate::registry::value::{VNode, Value};
use crate::registry::value::{join_index, join_key as join};

/// Top-level sections where an ignored key can silently turn a control off.
const SECURITY_SECTIONS: [&str; 9] = [
    "auth",
    "http",
    "storage",
    "notifications",
    "log",
    "proxy",
    "validation",
    "redis",
    "middleware",
];

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    for u in &c.cfg.unknown_keys {
        let top = u.path.split(['.', '[']).next().unwrap_or("");
        let sev = if SECURITY_SECTIONS.contains(&top) {
            Severity::Medium
        } else {
            Severity::Low
        };
        let hint = u
            .suggestion
            .as_ref()
            .map(|s| format!("; did you mean {s:?}?"))
            .unwrap_or_default();
        out.push(
            Hit::new(
                "RD-CFG-001",
                u.path.clone(),
                format!(
                    "{} is not a key the registry knows: it is ignored{hint}",
                    u.path
                ),
            )
            .severity(sev),
        );
    }
    for e in c.env() {
        match &e.outcome {
            Outcome::Applied {
                path,
                effect: effect @ (Effect::Blanked | Effect::Replaced),
                ..
            } => {
                let verb = if *effect == Effect::Blanked {
                    "blanks"
                } else {
                    "replaces"
                };
                out.push(Hit::new(
                    "RD-CFG-002",
                    path.clone(),
                    format!("{} {verb} {path}", e.var),
                ));
            }
            Outcome::Ignored { reason } if not_config_reason(&e.var).is_none() => {
                out.push(Hit::new(
                    "RD-CFG-003",
                    format!("env.{}", e.var),
                    format!("{} is ignored: {reason}", e.var),
                ));
            }
            _ => {}
        }
    }
    for n in &c.cfg.version_notes {
        out.push(Hit::new(
            "RD-CFG-004",
            n.path.clone(),
            format!(
                "{} does not exist in registry {} (only in {})",
                n.path, c.cfg.version, n.exists_in
            ),
        ));
    }
    for d in &c.cfg.duplicates {
        out.push(Hit::new(
            "RD-CFG-005",
            d.path.clone(),
            format!(
                "{} is given again (first at line {}); the last one wins",
                d.path, d.first.line
            ),
        ));
    }
    for p in &c.cfg.ignored_documents {
        out.push(Hit::new(
            "RD-CFG-006",
            format!("document@{}", p.line),
            format!(
                "a second YAML document starts at line {}: the registry ignores everything in it",
                p.line
            ),
        ));
    }
    let mut bools = Vec::new();
    ineffective_booleans(&c.cfg.root, Some(c.cfg.schema()), "", &mut bools);
    // Keys whose consumer panics on a non-bool are RD-AVL-003 (would not start) instead.
    bools.retain(|h| !c.cfg.startup_errors.iter().any(|e| e.path == h.path));
    out.extend(bools);
}

/// yaml-bool keys in free-form maps holding something other than a YAML bool.
fn ineffective_booleans(v: &VNode, schema: Option<&SchemaNode>, path: &str, out: &mut Vec<Hit>) {
    match &v.value {
        Value::Map(_, entries) => {
            for (k, e) in entries {
                let child = schema.and_then(|s| s.child(k));
                let p = join(path, k);
                if let Some(def) = child.and_then(|c| c.def)
                    && def.kind == Kind::Bool
                    && def.bool_rule == BoolRule::YamlBool
                    && def.container == Container::Freeform
                    && !matches!(e.value, Value::Bool(_) | Value::Null)
                {
                    let shown = match &e.value {
                        Value::Str(s) => format!("the string {s:?}"),
                        other => crate::registry::redact::scalar_text(other).unwrap_or_default(),
                    };
                    out.push(Hit::new(
                        "RD-CFG-007",
                        p.clone(),
                        format!(
                            "{p} is {shown}, not a YAML bool: the registry ignores it and uses {}",
                            def.default.unwrap_or("its default")
                        ),
                    ));
                }
                ineffective_booleans(e, child, &p, out);
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                let elem = schema
                    .and_then(|s| s.elem.as_deref())
                    .map(|e| e.for_item(item));
                ineffective_booleans(item, elem, &join_index(path, i), out);
            }
        }
        _ => {}
    }
}
