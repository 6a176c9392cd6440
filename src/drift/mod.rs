//! Structural and text diff of two effective configs (baseline → deployed).
//!
//! Paths are *identity paths*: list items that have an identity are addressed by it, so
//! reordering is not drift: notification endpoints and middleware by `name`, health checks by
//! `file`/`uri`/`addr`; lists of scalars (`http.tls.clientcas`, `letsencrypt.hosts`,
//! cipher suites, URL allow/deny lists, ...) compare as sets; header names compare
//! case-insensitively (`http.headers.x-content-type-options`). Values compare in canonical
//! form (resolved by key kind: `yes` and `true` for a yaml-bool key are equal), so a change
//! only in bytes (comments, order, quoting) is no change; [`Drift::cosmetic`] says when the
//! bytes differ but the effective config does not. Secrets compare by keyed digest and are
//! only ever rendered as `<redacted>`.

use crate::registry::value::join_key as join;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::registry::effective::{EffectiveConfig, interpret, secret_digest};
use crate::registry::redact::{self, Digester, Secrecy};
use crate::registry::schema::SchemaNode;
use crate::registry::value::{Origin, VNode, Value};

/// One side of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// Redacted rendering.
    pub display: String,
    /// Canonical value used for comparison (secrets as `secret:<digest>`).
    pub canonical: serde_json::Value,
    pub origin: Origin,
    pub secret: bool,
}

/// What happened at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One structural difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Identity path (`notifications.endpoints[name=audit].url`).
    pub path: String,
    pub kind: ChangeKind,
    pub before: Option<Side>,
    pub after: Option<Side>,
}

/// The comparison of a baseline and a deployed config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub changes: Vec<Change>,
    /// True when the raw bytes differ but the effective configs are the same.
    pub cosmetic: bool,
    /// Unified diff of the redacted canonical YAML, for people.
    pub text_diff: String,
}

/// Leaves of a config keyed by identity path.
pub fn leaves(cfg: &EffectiveConfig, d: &Digester) -> BTreeMap<String, Side> {
    let mut out = BTreeMap::new();
    walk(
        &mut out,
        "",
        &cfg.root,
        Some(cfg.schema()),
        Secrecy::Public,
        d,
        false,
    );
    out
}

/// The identity key of a list item, if the list has one.
fn identity(list_path: &str, item: &VNode) -> Option<String> {
    let field = match list_path {
        "notifications.endpoints" => "name",
        p if p.starts_with("middleware.") => "name",
        "health.file" => "file",
        "health.http" => "uri",
        "health.tcp" => "addr",
        _ => return None,
    };
    let v = item.get(field)?.as_str()?;
    let v = if field == "uri" {
        redact::redact_url(v)
    } else {
        v.to_string()
    };
    Some(format!("[{field}={v}]"))
}

fn scalar_canonical(v: &VNode, schema: Option<&SchemaNode>) -> serde_json::Value {
    let def = schema
        .and_then(|s| s.def)
        .map(|d| (&d.kind, d.bool_rule, d.default));
    let value = interpret(&v.value, def);
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(b),
        Value::Int(i) => i.into(),
        Value::Uint(u) => u.into(),
        other => serde_json::Value::String(redact::scalar_text(&other).unwrap_or_default()),
    }
}

fn secret_side(v: &VNode, schema: Option<&SchemaNode>, d: &Digester) -> Side {
    Side {
        display: "<redacted>".into(),
        canonical: serde_json::Value::String(format!("secret:{}", secret_digest(v, schema, d))),
        origin: v.origin.clone(),
        secret: true,
    }
}

fn is_scalar(v: &VNode) -> bool {
    !matches!(v.value, Value::Map(..) | Value::List(_))
}

fn walk(
    out: &mut BTreeMap<String, Side>,
    path: &str,
    v: &VNode,
    schema: Option<&SchemaNode>,
    sec: Secrecy,
    d: &Digester,
    case_insensitive_keys: bool,
) {
    if sec == Secrecy::Secret {
        if !v.is_zero() {
            out.insert(path.to_string(), secret_side(v, schema, d));
        }
        return;
    }
    match &v.value {
        Value::Map(kind, entries) => {
            for (k, e) in entries {
                if *kind == crate::registry::value::MapKind::Struct && e.is_zero() {
                    continue;
                }
                let key = if case_insensitive_keys {
                    k.to_ascii_lowercase()
                } else {
                    k.clone()
                };
                let child = schema.and_then(|s| s.child(k));
                let headers = child.is_some_and(|c| c.ty == crate::registry::schema::Ty::HeaderMap);
                let cs = redact::child_secrecy(schema, k, sec);
                walk(out, &join(path, &key), e, child, cs, d, headers);
            }
        }
        Value::List(items) if items.iter().all(is_scalar) => {
            let elem = schema.and_then(|s| s.elem.as_deref());
            let mut set: Vec<serde_json::Value> =
                items.iter().map(|i| scalar_canonical(i, elem)).collect();
            set.sort_by_key(|a| a.to_string());
            set.dedup();
            if set.is_empty() {
                return;
            }
            let display_items: Vec<String> = set
                .iter()
                .map(|j| match j {
                    serde_json::Value::String(s) if sec == Secrecy::Url => redact::redact_url(s),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            out.insert(
                path.to_string(),
                Side {
                    display: format!("[{}]", display_items.join(", ")),
                    canonical: serde_json::Value::Array(set),
                    origin: v.origin.clone(),
                    secret: false,
                },
            );
        }
        Value::List(items) => {
            let elem = schema.and_then(|s| s.elem.as_deref());
            let is = redact::item_secrecy(schema, sec);
            for (i, item) in items.iter().enumerate() {
                let id = identity(&strip_ids(path), item).unwrap_or_else(|| format!("[{i}]"));
                walk(
                    out,
                    &format!("{path}{id}"),
                    item,
                    elem.map(|e| e.for_item(item)),
                    is,
                    d,
                    false,
                );
            }
        }
        _ => {
            if matches!(v.value, Value::Null) {
                out.insert(
                    path.to_string(),
                    Side {
                        display: "null".into(),
                        canonical: serde_json::Value::Null,
                        origin: v.origin.clone(),
                        secret: false,
                    },
                );
                return;
            }
            let canonical = scalar_canonical(v, schema);
            let display = match (&canonical, sec) {
                (serde_json::Value::String(s), Secrecy::Url) => redact::redact_url(s),
                (serde_json::Value::String(s), _) => s.clone(),
                (other, _) => other.to_string(),
            };
            let canonical =
                match (canonical, sec) {
                    (serde_json::Value::String(s), Secrecy::Url) => serde_json::Value::String(
                        format!("{}#{}", redact::redact_url(&s), d.digest(&s)),
                    ),
                    (c, _) => c,
                };
            out.insert(
                path.to_string(),
                Side {
                    display,
                    canonical,
                    origin: v.origin.clone(),
                    secret: false,
                },
            );
        }
    }
}

/// `middleware.storage[name=x].options` → `middleware.storage.options` (table-style path
/// without identities), used to pick identity rules.
pub fn strip_ids(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Compares `baseline` with `deployed`.
pub fn compare(baseline: &EffectiveConfig, deployed: &EffectiveConfig, d: &Digester) -> Drift {
    let changes = compare_leaves(&leaves(baseline, d), &leaves(deployed, d));
    let cosmetic = changes.is_empty() && baseline.raw_hash != deployed.raw_hash;
    Drift {
        text_diff: text_diff(baseline, deployed, d),
        changes,
        cosmetic,
    }
}

/// Structural changes between two sets of leaves, sorted by path.
///
/// A secret the deployment supplies where the baseline has none is not drift: baselines
/// never hold secret values (they come from the environment at deploy time). A secret that
/// the baseline's environment gives and the deployment lacks or changes is.
pub fn compare_leaves(a: &BTreeMap<String, Side>, b: &BTreeMap<String, Side>) -> Vec<Change> {
    let mut changes = Vec::new();
    for (path, before) in a {
        match b.get(path) {
            None => changes.push(Change {
                path: path.clone(),
                kind: ChangeKind::Removed,
                before: Some(before.clone()),
                after: None,
            }),
            Some(after) if after.canonical != before.canonical => changes.push(Change {
                path: path.clone(),
                kind: ChangeKind::Changed,
                before: Some(before.clone()),
                after: Some(after.clone()),
            }),
            Some(_) => {}
        }
    }
    for (path, after) in b {
        if !a.contains_key(path) && !after.secret {
            changes.push(Change {
                path: path.clone(),
                kind: ChangeKind::Added,
                before: None,
                after: Some(after.clone()),
            });
        }
    }
    changes.sort_by(|x, y| x.path.cmp(&y.path));
    changes
}

/// A unified diff of two texts with the given labels.
pub fn unified(a: &str, b: &str, a_label: &str, b_label: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header(a_label, b_label)
        .to_string()
}

/// The redacted canonical config as YAML, the form people read diffs in.
pub fn canonical_yaml(cfg: &EffectiveConfig, d: &Digester) -> String {
    crate::registry::yamlout::to_yaml(&cfg.canonical(d))
}

/// Unified diff (via `similar`) of the redacted canonical YAML of both configs.
pub fn text_diff(baseline: &EffectiveConfig, deployed: &EffectiveConfig, d: &Digester) -> String {
    let a = canonical_yaml(baseline, d);
    let b = canonical_yaml(deployed, d);
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("baseline {}", baseline.source),
            &format!("deployed {}", deployed.source),
        )
        .to_string()
}
