//! The `REGISTRY_*` environment overlay, reproduced from `configuration/parser.go`.
//!
//! Rules (reference §4, verified against the real binary and the v3 parser):
//! - only names starting with exactly `REGISTRY_` count; they are applied sorted by name,
//!   byte-wise, so `REGISTRY_STORAGE` comes before `REGISTRY_STORAGE_S3_BUCKET`;
//! - the rest of the name is split on `_`; struct fields match the **upper-cased Go field
//!   name** (`EVENTCONFIG`, `FILECHECKERS`, `MAILOPTIONS`, `TRUSTKEY`), never the YAML key;
//! - at the last segment the value is parsed as a YAML document into a fresh value of the
//!   field's type and replaces it: an empty value blanks the field (`REGISTRY_AUTH=` removes
//!   authentication), a section name replaces the section (`REGISTRY_STORAGE=s3`);
//! - string-keyed maps: an intermediate segment descends into an existing non-nil entry whose
//!   upper-cased key matches, else a new entry is created; the last segment always writes the
//!   **lower-cased** key; a nested map that came from YAML inside a free-form value has
//!   non-string keys and cannot be descended into (the variable is ignored);
//! - lists: 2.8 ignores the variable; 3.x needs a decimal index no larger than the length
//!   (equal appends), never stores scalar list items, and panics when appending to a list held
//!   inside a map;
//! - a second storage driver added by env crashes the registry at start; a second auth
//!   provider makes the provider chosen at each start nondeterministic.
//!
//! Every variable gets an [`EnvOutcome`]; nothing is silently dropped.

use crate::registry::value::join_key as join;
use serde::{Deserialize, Serialize};

use super::decode::{self, storage_helper_keys};
use super::envfile::{EnvSource, EnvVar};
use super::redact;
use super::schema::{SchemaNode, Ty};
use super::value::{MapKind, Origin, VNode, Value};
use super::version::Version;
use super::yaml::{self, LoadOptions};
use crate::error::LoadErrorKind;

/// What happened to one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The variable set a key.
    Applied {
        /// Concrete path set (`storage.delete.enabled`).
        path: String,
        /// Redacted rendering of the value before (None when it was unset).
        before: Option<String>,
        /// Redacted rendering of the value after.
        after: String,
        effect: Effect,
    },
    /// The registry ignores the variable.
    Ignored { reason: String },
    /// The registry would refuse to start or crash at start.
    WouldCrash { path: String, reason: String },
    /// Applied, but it leaves more than one auth provider: which one the registry uses
    /// changes from one start to the next.
    Nondeterministic { path: String, reason: String },
}

/// How an applied variable changed the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// A single key was set.
    Set,
    /// An empty value reset a key or a whole section to its zero value.
    Blanked,
    /// A whole section (struct, map or list) was replaced.
    Replaced,
}

/// One variable and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvOutcome {
    pub var: String,
    pub source: EnvSource,
    #[serde(flatten)]
    pub outcome: Outcome,
}

const PREFIX: &str = "REGISTRY_";

static ANY: SchemaNode = SchemaNode::leaf(Ty::Any);
static STR: SchemaNode = SchemaNode::leaf(Ty::Str);

/// Well-known `REGISTRY_`-prefixed variables that are not configuration (config path,
/// Kubernetes service links): the reason they are harmless, or `None`.
pub fn not_config_reason(name: &str) -> Option<&'static str> {
    if name == "REGISTRY_CONFIGURATION_PATH" {
        return Some("names the config file; the registry warns and ignores it as an override");
    }
    let k8s = name.ends_with("_SERVICE_HOST")
        || name.ends_with("_SERVICE_PORT")
        || name == "REGISTRY_PORT"
        || (name.starts_with("REGISTRY_PORT_")
            && (name.ends_with("_TCP") || name.contains("_TCP_")));
    k8s.then_some("a Kubernetes service link variable, not configuration; the registry ignores it")
}

struct Walk<'a> {
    root: &'a SchemaNode,
    version: Version,
    var: &'a str,
    payload: &'a str,
}

enum Step {
    Done {
        path: String,
        before: Option<String>,
        after: String,
        effect: Effect,
    },
    Ignored(String),
    Crash(String, String),
}

fn upper_hint(seg: &str) -> String {
    if seg.chars().any(|c| c.is_ascii_lowercase()) {
        format!(
            " (segment {seg:?} is not upper-case; the registry matches upper-cased Go field names)"
        )
    } else {
        String::new()
    }
}

fn is_map_ty(ty: Ty) -> bool {
    matches!(
        ty,
        Ty::Storage | Ty::Auth | Ty::Params | Ty::StrMap | Ty::HeaderMap
    )
}

fn empty_for(ty: Ty, origin: &Origin) -> Option<VNode> {
    match ty {
        Ty::Struct => Some(VNode::new(
            Value::Map(MapKind::Struct, Vec::new()),
            origin.clone(),
        )),
        t if is_map_ty(t) => Some(VNode::new(
            Value::Map(MapKind::StrKeys, Vec::new()),
            origin.clone(),
        )),
        Ty::List => Some(VNode::new(Value::List(Vec::new()), origin.clone())),
        _ => None,
    }
}

impl Walk<'_> {
    fn origin(&self) -> Origin {
        Origin::Env {
            var: self.var.to_string(),
        }
    }

    /// Parses the payload as yaml.Unmarshal into a fresh value of `schema`'s type.
    fn parse(&self, schema: &SchemaNode, path: &str) -> Result<VNode, String> {
        let origin = self.origin();
        let doc = match yaml::load(self.payload.as_bytes(), self.var, &LoadOptions::default()) {
            Ok(d) => d,
            Err(e) if e.kind == LoadErrorKind::Empty => {
                return Ok(VNode::new(Value::Null, origin));
            }
            Err(e) => return Err(format!("value is not valid YAML: {}", e.message)),
        };
        let d = decode::decode_value(&doc.root, schema, self.version, path);
        if let Some(err) = d.startup_errors.first() {
            return Err(format!("value does not fit {path}: {}", err.message));
        }
        let mut v = d
            .value
            .unwrap_or_else(|| VNode::new(Value::Null, origin.clone()));
        set_origin(&mut v, &origin);
        Ok(v)
    }

    fn set(&self, slot: &mut Option<VNode>, schema: &SchemaNode, path: &str) -> Step {
        let new = match self.parse(schema, path) {
            Ok(v) => v,
            Err(reason) => return Step::Crash(path.to_string(), reason),
        };
        let secrecy = redact::secrecy_at(self.root, path);
        let before = slot
            .as_ref()
            .map(|v| redact::display_with(v, secrecy, Some(schema)));
        let effect = if new.is_zero()
            && matches!(
                new.value,
                Value::Null | Value::Str(_) | Value::Map(..) | Value::List(_)
            )
            && self.payload_is_blank()
        {
            Effect::Blanked
        } else if matches!(new.value, Value::Map(..) | Value::List(_))
            || schema.ty == Ty::Struct
            || is_map_ty(schema.ty)
        {
            Effect::Replaced
        } else {
            Effect::Set
        };
        let after = redact::display_with(&new, secrecy, Some(schema));
        let key_pos = slot.as_ref().and_then(|v| v.key_pos);
        *slot = Some(VNode { key_pos, ..new });
        Step::Done {
            path: path.to_string(),
            before,
            after,
            effect,
        }
    }

    fn payload_is_blank(&self) -> bool {
        let t = self.payload.trim();
        t.is_empty()
            || t == "~"
            || t == "null"
            || t == "{}"
            || t == "[]"
            || t == "\"\""
            || t == "''"
    }

    fn walk_struct(
        &self,
        entries: &mut Vec<(String, VNode)>,
        schema: &SchemaNode,
        segs: &[&str],
        path: &str,
    ) -> Step {
        let Some(first) = segs.first() else {
            return Step::Crash(
                path.to_string(),
                "the name ends at a list item: index out of range".into(),
            );
        };
        let Some((name, field, used)) = schema.env_field(segs) else {
            let at = if path.is_empty() {
                "the top level".to_string()
            } else {
                path.to_string()
            };
            return Step::Ignored(format!("no field {first} in {at}{}", upper_hint(first)));
        };
        let fpath = join(path, name);
        let rest = &segs[used..];
        let idx = entries.iter().position(|(k, _)| k == name);
        let mut slot = idx.map(|i| {
            std::mem::replace(&mut entries[i].1, VNode::new(Value::Null, Origin::Default))
        });
        let step = if rest.is_empty() {
            self.set(&mut slot, field, &fpath)
        } else {
            if slot.as_ref().is_none_or(|v| matches!(v.value, Value::Null)) {
                // Go allocates nil maps before descending; structs are values and always exist.
                if let Some(e) = empty_for(field.ty, &self.origin()) {
                    slot = Some(e);
                }
            }
            self.walk_value(&mut slot, field, rest, &fpath, true)
        };
        match (slot, idx) {
            (Some(v), Some(i)) => entries[i].1 = v,
            (Some(v), None) => entries.push((name.to_string(), v)),
            (None, Some(i)) => {
                entries.remove(i);
            }
            (None, None) => {}
        }
        step
    }

    fn walk_value(
        &self,
        slot: &mut Option<VNode>,
        schema: &SchemaNode,
        segs: &[&str],
        path: &str,
        settable: bool,
    ) -> Step {
        let origin = self.origin();
        let ty = schema.ty;
        match slot.as_mut().map(|v| &mut v.value) {
            Some(Value::Map(MapKind::Struct, entries)) => {
                return self.walk_struct(entries, schema, segs, path);
            }
            Some(Value::Map(MapKind::StrKeys, entries)) => {
                return self.walk_map(entries, schema, segs, path);
            }
            Some(Value::Map(MapKind::AnyKeys, _)) => {
                return Step::Ignored(format!(
                    "{path} is a nested map from the file (non-string keys): the registry cannot set keys inside it from env; set the whole map as one YAML value"
                ));
            }
            Some(Value::List(items)) => return self.walk_list(items, schema, segs, path, settable),
            Some(Value::Null) | None => {}
            Some(_) => {
                return Step::Ignored(format!(
                    "{path} holds a single value, not a section: nothing below it can be set"
                ));
            }
        }
        match ty {
            Ty::Struct => {
                *slot = empty_for(Ty::Struct, &origin);
                self.walk_value(slot, schema, segs, path, settable)
            }
            Ty::List => {
                *slot = Some(VNode::new(Value::List(Vec::new()), origin));
                self.walk_value(slot, schema, segs, path, settable)
            }
            // A nil interface or map becomes an implicit map[string]interface{}.
            t if is_map_ty(t) || t == Ty::Any => {
                *slot = Some(VNode::new(Value::Map(MapKind::StrKeys, Vec::new()), origin));
                self.walk_value(slot, schema, segs, path, settable)
            }
            _ => Step::Ignored(format!(
                "{path} is a single value: nothing below it can be set"
            )),
        }
    }

    fn walk_map(
        &self,
        entries: &mut Vec<(String, VNode)>,
        schema: &SchemaNode,
        segs: &[&str],
        path: &str,
    ) -> Step {
        let Some(first) = segs.first() else {
            return Step::Ignored(format!("nothing to set in {path}"));
        };
        // Values of `storage` and `auth` are parameters maps (the schema says so).
        let child_schema = |key: &str| -> &SchemaNode { schema.child(key).unwrap_or(&ANY) };
        if segs.len() > 1
            && let Some(i) = entries
                .iter()
                .position(|(k, v)| k.to_uppercase() == *first && !matches!(v.value, Value::Null))
        {
            let key = entries[i].0.clone();
            let cs = child_schema(&key);
            let mut slot = Some(std::mem::replace(
                &mut entries[i].1,
                VNode::new(Value::Null, Origin::Default),
            ));
            let step = self.walk_value(&mut slot, cs, &segs[1..], &join(path, &key), false);
            if let Some(v) = slot {
                entries[i].1 = v;
            }
            return step;
        }
        let key = first.to_lowercase();
        let kpath = join(path, &key);
        let cs = child_schema(&key);
        let existing = entries.iter().position(|(k, _)| *k == key);
        let mut slot = if segs.len() > 1 {
            empty_for(cs.ty, &self.origin())
        } else {
            None
        };
        let before = existing.map(|i| entries[i].1.clone());
        let step = if segs.len() > 1 {
            self.walk_value(&mut slot, cs, &segs[1..], &kpath, true)
        } else {
            let mut s = before.clone();
            let step = self.set(&mut s, cs, &kpath);
            slot = s;
            step
        };
        if matches!(step, Step::Crash(..)) {
            return step;
        }
        let mut v = slot
            .unwrap_or_else(|| VNode::new(Value::Map(MapKind::StrKeys, Vec::new()), self.origin()));
        v.key_pos = before.and_then(|b| b.key_pos);
        match existing {
            Some(i) => entries[i].1 = v,
            None => entries.push((key, v)),
        }
        step
    }

    fn walk_list(
        &self,
        items: &mut Vec<VNode>,
        schema: &SchemaNode,
        segs: &[&str],
        path: &str,
        settable: bool,
    ) -> Step {
        if self.version == Version::V2_8 {
            return Step::Ignored(format!(
                "{path} is a list: 2.8 ignores list indexes in env names; set the whole list as one YAML value"
            ));
        }
        let Some(first) = segs.first() else {
            return Step::Ignored(format!("nothing to set in {path}"));
        };
        let Ok(idx) = first.parse::<usize>() else {
            return Step::Crash(
                path.to_string(),
                format!("non-numeric index {first:?} for list {path}"),
            );
        };
        if idx > items.len() {
            return Step::Crash(
                path.to_string(),
                format!("undefined index {idx}: {path} has {} items", items.len()),
            );
        }
        let elem = schema.elem.as_deref().unwrap_or(&STR);
        let ipath = format!("{path}[{idx}]");
        let appended = idx == items.len();
        if appended {
            if !settable {
                return Step::Crash(
                    ipath,
                    "appending to a list held inside a map panics in the registry".into(),
                );
            }
            let zero = empty_for(elem.ty, &self.origin()).unwrap_or_else(|| match elem.ty {
                Ty::Str => VNode::new(Value::Str(String::new()), self.origin()),
                _ => VNode::new(Value::Null, self.origin()),
            });
            items.push(zero);
        }
        let rest = &segs[1..];
        if rest.is_empty() {
            if elem.ty == Ty::Struct {
                return Step::Crash(
                    ipath,
                    "the name ends at a list item: index out of range".into(),
                );
            }
            let what = if appended {
                "an empty item was appended and "
            } else {
                ""
            };
            return Step::Ignored(format!(
                "{ipath} is a list item: {what}the registry never stores a value set this way; set the whole list as one YAML value"
            ));
        }
        let mut slot = Some(std::mem::replace(
            &mut items[idx],
            VNode::new(Value::Null, Origin::Default),
        ));
        let step = self.walk_value(&mut slot, elem, rest, &ipath, true);
        if let Some(v) = slot {
            items[idx] = v;
        }
        step
    }
}

fn set_origin(v: &mut VNode, origin: &Origin) {
    v.origin = origin.clone();
    match &mut v.value {
        Value::List(items) => items.iter_mut().for_each(|i| set_origin(i, origin)),
        Value::Map(_, entries) => entries.iter_mut().for_each(|(_, e)| {
            e.key_pos = None;
            set_origin(e, origin)
        }),
        _ => {}
    }
}

/// Names of storage drivers (non-helper keys) in the effective `storage` map.
pub fn storage_drivers(root: &VNode, version: Version) -> Vec<String> {
    let helpers = storage_helper_keys(version);
    root.get("storage")
        .and_then(VNode::entries)
        .map(|e| {
            e.iter()
                .map(|(k, _)| k.clone())
                .filter(|k| !helpers.contains(&k.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// Names of auth providers in the effective `auth` map.
pub fn auth_providers(root: &VNode) -> Vec<String> {
    root.get("auth")
        .and_then(VNode::entries)
        .map(|e| e.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

/// Maps the registry's consumers require to be YAML-decoded (non-string keys): a map created
/// by the env walk there crashes the registry at start.
const NEEDS_YAML_MAP: [&str; 2] = [
    "storage.maintenance.readonly",
    "storage.maintenance.uploadpurging",
];

fn env_created_yaml_map(root: &VNode, var: &str) -> Option<&'static str> {
    NEEDS_YAML_MAP.into_iter().find(|p| {
        root.at(p).is_some_and(|v| {
            matches!(v.value, Value::Map(MapKind::StrKeys, _))
                && v.origin
                    == Origin::Env {
                        var: var.to_string(),
                    }
        })
    })
}

/// Applies `vars` (any order; sorted here) to `root`, returning one outcome per variable.
/// Variables without the exact `REGISTRY_` prefix are not returned.
pub fn apply(
    root: &mut VNode,
    schema: &SchemaNode,
    version: Version,
    vars: &[EnvVar],
) -> Vec<EnvOutcome> {
    let mut sorted: Vec<&EnvVar> = vars.iter().filter(|v| v.name.starts_with(PREFIX)).collect();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let mut out = Vec::new();
    for var in sorted {
        let outcome = apply_one(root, schema, version, var);
        out.push(EnvOutcome {
            var: var.name.clone(),
            source: var.source.clone(),
            outcome,
        });
    }
    out
}

fn apply_one(root: &mut VNode, schema: &SchemaNode, version: Version, var: &EnvVar) -> Outcome {
    if let Some(reason) = not_config_reason(&var.name) {
        return Outcome::Ignored {
            reason: reason.into(),
        };
    }
    let rest = &var.name[PREFIX.len()..];
    let segs: Vec<&str> = rest.split('_').collect();
    let walk = Walk {
        root: schema,
        version,
        var: &var.name,
        payload: &var.value,
    };
    let drivers_before = storage_drivers(root, version).len();
    let Value::Map(MapKind::Struct, entries) = &mut root.value else {
        return Outcome::Ignored {
            reason: "the config has no top-level mapping".into(),
        };
    };
    match walk.walk_struct(entries, schema, &segs, "") {
        Step::Ignored(reason) => Outcome::Ignored { reason },
        Step::Crash(path, reason) => Outcome::WouldCrash { path, reason },
        Step::Done {
            path,
            before,
            after,
            effect,
        } => {
            if let Some(p) = env_created_yaml_map(root, &var.name) {
                let reason = format!(
                    "{p} set key by key from env is a map the registry cannot read: it panics at start; set it as one YAML value, e.g. {{enabled: true}}"
                );
                return Outcome::WouldCrash {
                    path: p.into(),
                    reason,
                };
            }
            let drivers = storage_drivers(root, version);
            if drivers.len() > 1 && drivers.len() > drivers_before {
                return Outcome::WouldCrash {
                    path,
                    reason: format!(
                        "multiple storage drivers specified in configuration or environment: {drivers:?}"
                    ),
                };
            }
            let providers = auth_providers(root);
            if providers.len() > 1 && path.starts_with("auth") {
                return Outcome::Nondeterministic {
                    path,
                    reason: format!(
                        "auth now has {} providers {providers:?}: the registry picks one at random at each start (or panics)",
                        providers.len()
                    ),
                };
            }
            Outcome::Applied {
                path,
                before,
                after,
                effect,
            }
        }
    }
}
