//! `regdrift baseline init`: a clean baseline from a deployed config.
//!
//! The output is the deployed *effective* config (file plus env, as the registry runs it)
//! written as YAML that yaml.v2 reads back to the same values: strings that YAML 1.1 would
//! read as something else (`yes`, `0777`, `0.1`) are quoted. Secrets are left out and listed
//! at the top with the environment variable that supplies them; URLs lose their userinfo
//! password. Lint findings of the deployed config are written as comments above the keys
//! they concern, so nobody approves them by accident.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::registry::EffectiveConfig;
use crate::registry::redact::{self, Secrecy};
use crate::registry::schema::SchemaNode;
use crate::registry::value::{MapKind, VNode, Value};
use crate::report::Finding;

struct Emitter<'a> {
    out: String,
    secrets: Vec<String>,
    notes: BTreeMap<String, Vec<&'a Finding>>,
}

/// A scalar string as YAML that yaml.v2 reads back as the same string.
fn yaml_string(s: &str) -> String {
    crate::registry::yamlout::quote(s)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Str(s) => yaml_string(s),
        Value::Null => "null".into(),
        other => redact::scalar_text(other).unwrap_or_default(),
    }
}

/// The env variable that supplies a secret key, when one can.
fn env_hint(schema: Option<&SchemaNode>, path: &str) -> String {
    match schema.and_then(|s| s.def).and_then(|d| d.env) {
        Some(env) if !env.contains('<') && !env.contains("_0_") => format!("supply it as {env}"),
        _ => format!("supply {path} from your secret store (as one REGISTRY_* YAML value)"),
    }
}

fn strip_password(url: &str) -> String {
    redact::redact_url(url)
        .replace(":<redacted>@", "@")
        .replace("?<redacted>", "")
}

impl<'a> Emitter<'a> {
    fn notes_for(&mut self, path: &str, indent: usize) {
        if let Some(list) = self.notes.remove(path) {
            for f in list {
                let _ = writeln!(
                    self.out,
                    "{:indent$}# {} ({}): {}",
                    "",
                    f.rule_id,
                    f.severity,
                    f.message.replace('\n', " ")
                );
            }
        }
    }

    fn map(
        &mut self,
        entries: &[(String, VNode)],
        kind: MapKind,
        schema: Option<&SchemaNode>,
        sec: Secrecy,
        path: &str,
        indent: usize,
    ) {
        for (k, v) in entries {
            if kind == MapKind::Struct && v.is_zero() && !matches!(v.value, Value::Bool(false)) {
                continue;
            }
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let child = schema.and_then(|s| s.child(k));
            let cs = redact::child_secrecy(schema, k, sec);
            self.notes_for(&p, indent);
            if cs == Secrecy::Secret {
                let hint = env_hint(child, &p);
                let _ = writeln!(self.out, "{:indent$}# {k}: secret removed; {hint}", "");
                self.secrets.push(format!("{p}: {hint}"));
                continue;
            }
            let key = yaml_string(k);
            self.value(&key, v, child, cs, &p, indent);
        }
    }

    fn value(
        &mut self,
        key: &str,
        v: &VNode,
        schema: Option<&SchemaNode>,
        sec: Secrecy,
        path: &str,
        indent: usize,
    ) {
        match &v.value {
            Value::Map(kind, entries) if !entries.is_empty() => {
                let _ = writeln!(self.out, "{:indent$}{key}:", "");
                self.map(entries, *kind, schema, sec, path, indent + 2);
            }
            Value::Map(..) => {
                let _ = writeln!(self.out, "{:indent$}{key}: {{}}", "");
            }
            Value::List(items) if items.is_empty() => {
                let _ = writeln!(self.out, "{:indent$}{key}: []", "");
            }
            Value::List(items) => {
                let _ = writeln!(self.out, "{:indent$}{key}:", "");
                let elem = schema.and_then(|s| s.elem.as_deref());
                let is = redact::item_secrecy(schema, sec);
                for (i, item) in items.iter().enumerate() {
                    self.item(
                        item,
                        elem.map(|e| e.for_item(item)),
                        is,
                        &format!("{path}[{i}]"),
                        indent + 2,
                    );
                }
            }
            Value::Str(s) if sec == Secrecy::Url => {
                let _ = writeln!(
                    self.out,
                    "{:indent$}{key}: {}",
                    "",
                    yaml_string(&strip_password(s))
                );
            }
            other => {
                let _ = writeln!(self.out, "{:indent$}{key}: {}", "", scalar(other));
            }
        }
    }

    fn item(
        &mut self,
        item: &VNode,
        schema: Option<&SchemaNode>,
        sec: Secrecy,
        path: &str,
        indent: usize,
    ) {
        match &item.value {
            Value::Map(kind, entries) if !entries.is_empty() => {
                // Write the mapping indented under "- ", the first line sharing the dash.
                let mut sub = Emitter {
                    out: String::new(),
                    secrets: Vec::new(),
                    notes: std::mem::take(&mut self.notes),
                };
                sub.map(entries, *kind, schema, sec, path, indent + 2);
                self.notes = sub.notes;
                self.secrets.extend(sub.secrets);
                let text = sub.out;
                let mut lines = text.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(self.out, "{:indent$}- {}", "", first.trim_start());
                }
                for l in lines {
                    let _ = writeln!(self.out, "{l}");
                }
            }
            Value::Str(s) if sec == Secrecy::Url => {
                let _ = writeln!(
                    self.out,
                    "{:indent$}- {}",
                    "",
                    yaml_string(&strip_password(s))
                );
            }
            Value::Map(..) => {
                let _ = writeln!(self.out, "{:indent$}- {{}}", "");
            }
            Value::List(_) => {
                let _ = writeln!(
                    self.out,
                    "{:indent$}- {}",
                    "",
                    redact::display_with(item, sec, schema)
                );
            }
            other => {
                let _ = writeln!(self.out, "{:indent$}- {}", "", scalar(other));
            }
        }
    }
}

/// A baseline YAML document from `cfg`, with `findings` (its lint findings) as comments.
pub fn baseline_yaml(cfg: &EffectiveConfig, findings: &[Finding]) -> String {
    let mut notes: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    let mut general = Vec::new();
    for f in findings {
        if cfg.root.at(&f.path).is_some() {
            notes.entry(f.path.clone()).or_default().push(f);
        } else {
            general.push(f);
        }
    }
    let mut e = Emitter {
        out: String::new(),
        secrets: Vec::new(),
        notes,
    };
    let Value::Map(kind, entries) = &cfg.root.value else {
        return String::new();
    };
    e.map(entries, *kind, Some(cfg.schema()), Secrecy::Public, "", 0);
    let mut head = String::new();
    let _ = writeln!(
        head,
        "# regdrift baseline generated from {} (registry {}).",
        cfg.source, cfg.version
    );
    let _ = writeln!(
        head,
        "# Review it, fix the findings noted below, then commit it signed (see baselines/README.md)."
    );
    if !e.secrets.is_empty() {
        let _ = writeln!(
            head,
            "#\n# Secrets are not in this file; the deployment must supply them:"
        );
        for s in &e.secrets {
            let _ = writeln!(head, "#   {s}");
        }
    }
    let rest: Vec<&Finding> = general
        .into_iter()
        .chain(e.notes.values().flatten().copied())
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(head, "#\n# Lint findings of the deployed config:");
        for f in rest {
            let _ = writeln!(
                head,
                "#   {} ({}): {}",
                f.rule_id,
                f.severity,
                f.message.replace('\n', " ")
            );
        }
    }
    head + &e.out
}
