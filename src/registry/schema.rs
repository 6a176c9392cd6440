//! The registry's Go configuration types, derived from the key table for one release line.
//!
//! yaml.v2 decodes differently depending on the Go type it decodes into (struct fields merge on
//! duplicate keys, maps replace entries, `interface{}` values keep YAML 1.1 types, typed strings
//! keep the literal text), and the env overlay walks Go field names, not YAML keys. This module
//! turns the rows of [`super::keys`] into a tree of [`SchemaNode`]s carrying that Go type. The
//! few places where the Go type is not visible in the table (`storage` and `auth` have custom
//! decoders; driver and middleware parameters are `map[string]interface{}`; `middleware` is a
//! map of lists) are named explicitly in [`go_type`].

use std::collections::HashMap;
use std::sync::OnceLock;

use super::keys::{Container, KeyDef, KeyTable, Kind};
use super::version::Version;

/// The Go type a node decodes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A Go struct with the fields in [`SchemaNode::fields`].
    Struct,
    /// `configuration.Storage`: map of driver/helper name to parameters, custom decoder.
    Storage,
    /// `configuration.Auth`: map of provider name to parameters, custom decoder.
    Auth,
    /// `map[string]interface{}` (driver, provider and middleware parameters, `log.fields`).
    Params,
    /// `map[string]T` with T given by [`SchemaNode::elem`].
    StrMap,
    /// `http.Header`: `map[string][]string`.
    HeaderMap,
    /// A slice of [`SchemaNode::elem`].
    List,
    /// Go `string`.
    Str,
    /// Go `bool`.
    Bool,
    /// Go `int`.
    Int,
    /// Go `time.Duration`.
    Duration,
    /// `interface{}`: whatever YAML gives.
    Any,
}

/// One node of the schema tree.
#[derive(Debug, Clone)]
pub struct SchemaNode {
    /// The table path of this node (`log.hooks[]`, `storage.s3.secure`).
    pub path: String,
    pub ty: Ty,
    /// The key table row, when the node has one.
    pub def: Option<&'static KeyDef>,
    /// Env segment sequences that select this struct field (Go field names upper-cased);
    /// several when a field is reachable two ways (3.1 redis options).
    pub env_names: Vec<Vec<String>>,
    /// Struct fields, or the known keys of a free-form map, by YAML name.
    pub fields: Vec<(String, SchemaNode)>,
    /// Element type of a list or value type of a map (`*` / `[]` rows).
    pub elem: Option<Box<SchemaNode>>,
    /// Keys known only for a named list entry (`middleware.storage[name=cloudfront].options`).
    pub by_name: Vec<(String, SchemaNode)>,
}

impl SchemaNode {
    /// A node with no table row and no children (used for `interface{}` and `[]string` items).
    pub const fn leaf(ty: Ty) -> SchemaNode {
        SchemaNode {
            path: String::new(),
            ty,
            def: None,
            env_names: Vec::new(),
            fields: Vec::new(),
            elem: None,
            by_name: Vec::new(),
        }
    }

    fn new(path: String, ty: Ty) -> SchemaNode {
        SchemaNode {
            path,
            ..SchemaNode::leaf(ty)
        }
    }

    /// The schema of one list item under this list-element schema: for a named middleware
    /// entry, the schema that knows that middleware's options; otherwise `self`.
    pub fn for_item(&self, item: &crate::registry::value::VNode) -> &SchemaNode {
        if self.by_name.is_empty() {
            return self;
        }
        item.get("name")
            .and_then(|n| n.as_str())
            .and_then(|name| self.by_name.iter().find(|(n, _)| n == name))
            .map_or(self, |(_, s)| s)
    }

    /// The field or known key `name`.
    pub fn field(&self, name: &str) -> Option<&SchemaNode> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The schema for the value under key `name`: a known field, else the wildcard element.
    pub fn child(&self, name: &str) -> Option<&SchemaNode> {
        self.field(name).or(self.elem.as_deref())
    }

    /// The struct field whose env name matches the start of `segs`; returns it and how many
    /// segments it consumed.
    pub fn env_field(&self, segs: &[&str]) -> Option<(&str, &SchemaNode, usize)> {
        self.fields.iter().find_map(|(name, node)| {
            node.env_names.iter().find_map(|alt| {
                let n = alt.len();
                (segs.len() >= n && alt.iter().zip(segs).all(|(a, s)| a == s)).then_some((
                    name.as_str(),
                    node,
                    n,
                ))
            })
        })
    }

    fn child_mut(&mut self, seg: &str, make: impl FnOnce(String) -> SchemaNode) -> &mut SchemaNode {
        let (slot, key) = match seg {
            "*" | "[]" => (None, String::new()),
            _ => (Some(()), seg.to_string()),
        };
        if slot.is_none() {
            let path = format!("{}{}", self.path, if seg == "[]" { "[]" } else { ".*" });
            return self.elem.get_or_insert_with(|| Box::new(make(path)));
        }
        if let Some(i) = self.fields.iter().position(|(k, _)| *k == key) {
            return &mut self.fields[i].1;
        }
        let path = if self.path.is_empty() {
            key.clone()
        } else {
            format!("{}.{key}", self.path)
        };
        self.fields.push((key, make(path)));
        let last = self.fields.len() - 1;
        &mut self.fields[last].1
    }
}

/// Splits a table path into walk steps: `log.hooks[].type` → `log`, `hooks`, `[]`, `type`;
/// `middleware.storage[name=redirect].options` → `middleware`, `storage`, `[]`,
/// `=redirect`, `options`.
fn steps(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for seg in path.split('.') {
        match seg.split_once('[') {
            Some((name, rest)) => {
                out.push(name.to_string());
                out.push("[]".into());
                if let Some(n) = rest.strip_prefix("name=") {
                    out.push(format!("={}", n.trim_end_matches(']')));
                }
            }
            None => out.push(seg.to_string()),
        }
    }
    out
}

/// The Go type of the node at table path `path` described by `def`.
fn go_type(path: &str, def: &KeyDef, parent: Ty) -> Ty {
    match path {
        "storage" => return Ty::Storage,
        "auth" => return Ty::Auth,
        "middleware" => return Ty::StrMap,
        "log.fields" => return Ty::Params,
        "middleware.*[].options" => return Ty::Params,
        _ => {}
    }
    if matches!(parent, Ty::Storage | Ty::Auth) {
        return Ty::Params;
    }
    if matches!(parent, Ty::Params | Ty::Any) || def.container == Container::Freeform {
        // Inside map[string]interface{}: header names map to []string in header maps only.
        return if parent == Ty::HeaderMap {
            Ty::List
        } else {
            Ty::Any
        };
    }
    match def.kind {
        Kind::Struct => Ty::Struct,
        Kind::Map => Ty::Params,
        Kind::HeaderMap => Ty::HeaderMap,
        Kind::List => Ty::List,
        Kind::Bool => Ty::Bool,
        Kind::Int => Ty::Int,
        Kind::Duration => Ty::Duration,
        Kind::Any => Ty::Any,
        Kind::String | Kind::Path | Kind::Url | Kind::Enum(_) => Ty::Str,
    }
}

/// Env names of a struct field: its env column minus the parent's, split on `_`.
fn env_names(def: &KeyDef, parent_env: Option<&str>, version: Version) -> Vec<Vec<String>> {
    let (Some(env), Some(parent)) = (def.env, parent_env) else {
        let last = def.path.rsplit('.').next().unwrap_or(def.path);
        return vec![vec![last.to_uppercase()]];
    };
    let rest = env
        .strip_prefix(parent)
        .unwrap_or(env)
        .trim_start_matches('_');
    let rest = rest.strip_prefix("0_").unwrap_or(rest);
    let segs: Vec<String> = rest.split('_').map(str::to_string).collect();
    // 3.1 matches fields of the inlined go-redis options directly under REDIS as well.
    if version == Version::V3_1 && segs.first().is_some_and(|s| s == "OPTIONS") && segs.len() > 1 {
        return vec![segs[1..].to_vec(), segs];
    }
    vec![segs]
}

/// The env column of the nearest struct ancestor that has one.
fn parent_env(table: &KeyTable, path: &str, version: Version) -> Option<&'static str> {
    let parent = path.rsplit_once('.').map(|(p, _)| p)?;
    let parent = parent.trim_end_matches("[]");
    table.lookup(parent, version).and_then(|d| d.env)
}

/// Builds the schema for one version.
fn build(version: Version) -> SchemaNode {
    let table = KeyTable::get();
    let mut root = SchemaNode::new(String::new(), Ty::Struct);
    let defs: HashMap<&str, &KeyDef> = table
        .in_version(version)
        .filter(|d| !d.versions.main_only())
        .map(|d| (d.path, d))
        .collect();
    let mut rows: Vec<&&KeyDef> = defs.values().collect();
    rows.sort_by_key(|d| d.path);
    for def in rows {
        let mut node = &mut root;
        let steps = steps(def.path);
        let n = steps.len();
        for (i, step) in steps.iter().enumerate() {
            let parent_ty = node.ty;
            if let Some(name) = step.strip_prefix('=') {
                let idx = match node.by_name.iter().position(|(k, _)| k == name) {
                    Some(i) => i,
                    None => {
                        let path = format!("{}[name={name}]", node.path);
                        node.by_name
                            .push((name.to_string(), SchemaNode::new(path, Ty::Struct)));
                        node.by_name.len() - 1
                    }
                };
                node = &mut node.by_name[idx].1;
                continue;
            }
            let is_leaf = i + 1 == n;
            node = node.child_mut(step, |path| {
                let ty = if step == "[]" {
                    if is_leaf { Ty::Any } else { Ty::Struct }
                } else if parent_ty == Ty::HeaderMap {
                    Ty::List
                } else {
                    Ty::Any
                };
                SchemaNode::new(path, ty)
            });
            if is_leaf {
                node.ty = go_type(def.path, def, parent_ty);
                node.def = Some(def);
                if parent_ty == Ty::Struct {
                    node.env_names = env_names(def, parent_env(table, def.path, version), version);
                }
            }
        }
    }
    fix_lists(&mut root);
    root
}

/// A list with struct items gets a `[]` element; a list of scalars gets a `Str` element
/// (Go `[]string`), a free-form list keeps `Any`.
fn fix_lists(node: &mut SchemaNode) {
    if node.ty == Ty::List && node.elem.is_none() {
        node.elem = Some(Box::new(SchemaNode::new(
            format!("{}[]", node.path),
            Ty::Str,
        )));
    }
    if node.ty == Ty::HeaderMap && node.elem.is_none() {
        node.elem = Some(Box::new(SchemaNode::new(
            format!("{}.*", node.path),
            Ty::List,
        )));
    }
    if node.path == "middleware" {
        fix_middleware(node);
    }
    if matches!(node.ty, Ty::Storage | Ty::Auth) {
        // Every value of `storage` and `auth` is a parameters map, named or not.
        for (_, f) in &mut node.fields {
            f.ty = Ty::Params;
        }
        let elem = node.elem.get_or_insert_with(|| {
            Box::new(SchemaNode::new(format!("{}.*", node.path), Ty::Params))
        });
        elem.ty = Ty::Params;
    }
    for (_, f) in &mut node.fields {
        fix_lists(f);
    }
    for (_, f) in &mut node.by_name {
        fix_lists(f);
    }
    if let Some(e) = &mut node.elem {
        fix_lists(e);
    }
}

/// `middleware` is a `map[string][]Middleware`: every key, named or not, holds a list of
/// middleware structs; the table describes the struct under `middleware.*[]` and per-name
/// options under `middleware.storage[name=X]`.
fn fix_middleware(node: &mut SchemaNode) {
    let mut star = node
        .elem
        .take()
        .map_or_else(|| SchemaNode::new("middleware.*".into(), Ty::List), |b| *b);
    star.ty = Ty::List;
    let item = star
        .elem
        .get_or_insert_with(|| Box::new(SchemaNode::new("middleware.*[]".into(), Ty::Struct)))
        .as_ref()
        .clone();
    for (_, field) in &mut node.fields {
        let by_name = field.elem.take().map(|e| e.by_name).unwrap_or_default();
        field.ty = Ty::List;
        let mut elem = item.clone();
        elem.path = format!("{}[]", field.path);
        // Each named entry becomes a whole item schema whose options know that middleware's keys.
        elem.by_name = by_name
            .into_iter()
            .map(|(name, named)| {
                let mut full = item.clone();
                full.path = format!("{}[name={name}]", field.path);
                if let (Some(opts), Some(known)) = (
                    full.fields.iter_mut().find(|(k, _)| k == "options"),
                    named.field("options"),
                ) {
                    opts.1.fields = known.fields.clone();
                }
                (name, full)
            })
            .collect();
        field.elem = Some(Box::new(elem));
    }
    node.elem = Some(Box::new(star));
}

/// The schema of a release line, built once.
pub fn schema(version: Version) -> &'static SchemaNode {
    static SCHEMAS: OnceLock<[SchemaNode; 3]> = OnceLock::new();
    let all = SCHEMAS.get_or_init(|| Version::ALL.map(build));
    match version {
        Version::V2_8 => &all[0],
        Version::V3_0 => &all[1],
        Version::V3_1 => &all[2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(root: &'a SchemaNode, path: &str) -> &'a SchemaNode {
        path.split('.').fold(root, |n, k| {
            n.child(k)
                .unwrap_or_else(|| panic!("no {k} under {}", n.path))
        })
    }

    #[test]
    fn go_types_follow_the_registry_structs() {
        let s = schema(Version::V3_1);
        assert_eq!(at(s, "http").ty, Ty::Struct);
        assert_eq!(at(s, "http.secret").ty, Ty::Str);
        assert_eq!(at(s, "http.relativeurls").ty, Ty::Bool);
        assert_eq!(at(s, "http.draintimeout").ty, Ty::Duration);
        assert_eq!(at(s, "http.headers").ty, Ty::HeaderMap);
        assert_eq!(at(s, "storage").ty, Ty::Storage);
        assert_eq!(at(s, "storage.s3").ty, Ty::Params);
        assert_eq!(at(s, "storage.s3.secure").ty, Ty::Any);
        assert_eq!(at(s, "storage.delete").ty, Ty::Params);
        assert_eq!(at(s, "auth.htpasswd").ty, Ty::Params);
        assert_eq!(at(s, "log.fields").ty, Ty::Params);
        assert_eq!(at(s, "http.tls.clientcas").ty, Ty::List);
    }

    #[test]
    fn lists_of_structs_have_struct_elements() {
        let s = schema(Version::V3_1);
        let ep = at(s, "notifications.endpoints");
        assert_eq!(ep.ty, Ty::List);
        let item = ep.elem.as_deref().unwrap();
        assert_eq!(item.ty, Ty::Struct);
        assert_eq!(item.field("url").unwrap().ty, Ty::Str);
        assert_eq!(item.field("headers").unwrap().ty, Ty::HeaderMap);
        let mw = at(s, "middleware");
        assert_eq!(mw.ty, Ty::StrMap);
        let list = mw.elem.as_deref().unwrap();
        assert_eq!(list.ty, Ty::List);
        assert_eq!(
            list.elem.as_deref().unwrap().field("options").unwrap().ty,
            Ty::Params
        );
    }

    #[test]
    fn env_names_are_go_field_names_not_yaml_keys() {
        let s = schema(Version::V3_1);
        let n = at(s, "notifications");
        assert_eq!(n.env_field(&["EVENTCONFIG"]).unwrap().0, "events");
        assert!(n.env_field(&["EVENTS"]).is_none());
        let h = at(s, "health");
        assert_eq!(h.env_field(&["FILECHECKERS"]).unwrap().0, "file");
        let hook = at(s, "log.hooks").elem.as_deref().unwrap();
        assert_eq!(
            hook.env_field(&["MAILOPTIONS", "SMTP"]).unwrap().0,
            "options"
        );
        let old = schema(Version::V2_8);
        assert_eq!(
            at(old, "compatibility.schema1")
                .env_field(&["TRUSTKEY"])
                .unwrap()
                .0,
            "signingkeyfile"
        );
    }

    #[test]
    fn redis_options_env_names_depend_on_version() {
        let r30 = at(schema(Version::V3_0), "redis");
        assert!(
            r30.env_field(&["ADDRS"]).is_none(),
            "3.0 ignores REGISTRY_REDIS_ADDRS"
        );
        assert_eq!(r30.env_field(&["OPTIONS", "ADDRS"]).unwrap().0, "addrs");
        let r31 = at(schema(Version::V3_1), "redis");
        assert_eq!(r31.env_field(&["ADDRS"]).unwrap().0, "addrs");
        assert_eq!(r31.env_field(&["OPTIONS", "ADDRS"]).unwrap().2, 2);
        let r28 = at(schema(Version::V2_8), "redis");
        assert_eq!(r28.env_field(&["ADDR"]).unwrap().0, "addr");
    }

    #[test]
    fn version_specific_keys_exist_only_in_their_versions() {
        assert!(schema(Version::V2_8).field("tags").is_none());
        assert!(schema(Version::V3_1).field("tags").is_some());
        assert!(schema(Version::V3_1).field("compatibility").is_none());
        assert!(
            at(schema(Version::V3_1), "storage.s3")
                .field("redirectendpoint")
                .is_none()
        );
    }
}
