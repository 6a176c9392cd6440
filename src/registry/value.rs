//! The decoded configuration tree: values as the registry's Go structs hold them, each with
//! where it came from.
//!
//! Invariants: a struct section is a [`Value::Map`] of [`MapKind::Struct`] whose keys are YAML
//! field names in first-set order; Go maps keep their keys as strings with the map flavour that
//! decides env-overlay behaviour ([`MapKind::StrKeys`] vs [`MapKind::AnyKeys`]); scalars are
//! already resolved for their Go type (typed string fields keep the literal text, free-form
//! values hold the YAML 1.1 resolution). `Null` means "set to the zero value here".

use serde::{Deserialize, Serialize};

use crate::error::Pos;

/// `path.key`, or `key` at the top. Key paths are built for every node of every config, so
/// this avoids `format!` (its argument parsing and growth reallocations show in profiles).
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        return key.to_owned();
    }
    let mut s = String::with_capacity(path.len() + 1 + key.len());
    s.push_str(path);
    s.push('.');
    s.push_str(key);
    s
}

/// `path[i]`: the path of list item `i`.
pub fn join_index(path: &str, i: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(path.len() + 6);
    s.push_str(path);
    s.push('[');
    let _ = write!(s, "{i}");
    s.push(']');
    s
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum Origin {
    /// Written in the config file at this position (the value's position).
    File { line: u32, col: u32 },
    /// Set by this environment variable.
    Env { var: String },
    /// Not set: the registry's default applies.
    Default,
}

impl Origin {
    pub fn file(pos: Pos) -> Origin {
        Origin::File {
            line: pos.line,
            col: pos.col,
        }
    }

    /// The file position, if the value came from the file.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            Origin::File { line, col } => Some(Pos {
                line: *line,
                col: *col,
            }),
            _ => None,
        }
    }

    /// A short label: `config.yml:12:5`, `env REGISTRY_AUTH` or `default`.
    pub fn label(&self, source: &str) -> String {
        match self {
            Origin::File { line, col } => format!("{source}:{line}:{col}"),
            Origin::Env { var } => format!("env {var}"),
            Origin::Default => "default".into(),
        }
    }
}

/// Which Go map type a map is: it decides how the env overlay treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKind {
    /// A Go struct: fixed fields, keys are YAML field names.
    Struct,
    /// A Go `map[string]T` (sections such as `storage`, `auth`, driver parameters, headers).
    StrKeys,
    /// A `map[interface{}]interface{}` that yaml.v2 builds for a nested mapping inside a
    /// free-form value: the env overlay cannot descend into it.
    AnyKeys,
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    /// A Go `time.Duration` struct field, in nanoseconds.
    Duration(i64),
    List(Vec<VNode>),
    Map(MapKind, Vec<(String, VNode)>),
}

/// A value with its origin and, when it sits under a key, the key's position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VNode {
    pub value: Value,
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_pos: Option<Pos>,
}

impl VNode {
    pub fn new(value: Value, origin: Origin) -> VNode {
        VNode {
            value,
            origin,
            key_pos: None,
        }
    }

    /// The entries of a map value.
    pub fn entries(&self) -> Option<&[(String, VNode)]> {
        match &self.value {
            Value::Map(_, e) => Some(e),
            _ => None,
        }
    }

    /// The entry `key` of a map value.
    pub fn get(&self, key: &str) -> Option<&VNode> {
        self.entries()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The node at a dotted path of map keys (`http.tls.certificate`).
    pub fn at(&self, path: &str) -> Option<&VNode> {
        path.split('.').try_fold(self, |n, k| n.get(k))
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// True for `Null`, an empty string, and an empty map or list: what Go treats as unset.
    pub fn is_zero(&self) -> bool {
        match &self.value {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Map(_, e) => e.is_empty(),
            Value::Bool(b) => !b,
            Value::Int(i) | Value::Duration(i) => *i == 0,
            Value::Uint(u) => *u == 0,
            Value::Float(f) => *f == 0.0,
        }
    }
}

/// Sets `key` in a map's entries, replacing an existing entry in place.
pub fn set_entry(entries: &mut Vec<(String, VNode)>, key: &str, node: VNode) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some((_, slot)) => *slot = node,
        None => entries.push((key.to_string(), node)),
    }
}
