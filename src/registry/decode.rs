//! Decoding the node tree into the registry's Go types the way yaml.v2 (non-strict) does.
//!
//! The rules reproduced here, each verified against the real registry (reference §5):
//! - struct sections: unknown keys are ignored (we record them, with the nearest known key);
//!   a duplicate key decodes again into the same struct, so duplicates **merge field by field**;
//! - Go maps (`http.headers`, `log.fields`, `middleware`) given twice also merge their entries,
//!   but a duplicate entry inside one map is **replaced**; `storage` and `auth` have custom
//!   decoders that build a fresh map, so a later `storage:`/`auth:` **replaces** the earlier;
//! - merge keys (`<<`) decode the merged mapping into the same target **in document order**
//!   (a later explicit key wins, but so does a later merge), and in a merge list the **first**
//!   mapping wins (yaml.v2 walks the list backwards);
//! - typed string fields keep the literal text (`0123`, `yes`); free-form values keep the YAML
//!   1.1 resolution (`0777` → 511, `yes` → true); a scalar of the wrong type for a struct field
//!   is a type error, which makes the registry refuse to start; null sets the zero value.

use crate::error::Pos;
use crate::registry::value::{join_index, join_key as join};

use super::keys::KeyTable;
use super::resolve::{self, Scalar};
use super::schema::{SchemaNode, Ty};
use super::value::{MapKind, Origin, VNode, Value};
use super::version::Version;
use super::yaml::{Node, NodeKind, ScalarNode};

/// A key the registry ignores.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnknownKey {
    /// Concrete path of the key (`storage.delete.enabeld`).
    pub path: String,
    pub pos: Pos,
    /// The nearest known key at that level, if one is close.
    pub suggestion: Option<String>,
    /// Set when the key exists in other release lines only (e.g. `2.8`).
    pub other_versions: Option<String>,
}

/// A problem that makes the registry refuse to start (or crash) with this config.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StartupError {
    pub path: String,
    /// Where it comes from: a file position, or an env variable.
    pub origin: Origin,
    pub message: String,
}

/// The result of decoding one document.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub root: VNode,
    pub unknown: Vec<UnknownKey>,
    pub startup_errors: Vec<StartupError>,
    /// Keys given more than once in one mapping: (path, first position, last position).
    pub duplicates: Vec<(String, Pos, Pos)>,
}

/// Helper keys of `storage` that are not drivers (`tag` only from 3.0).
pub fn storage_helper_keys(version: Version) -> &'static [&'static str] {
    if version.is_v3() {
        &["maintenance", "cache", "delete", "redirect", "tag"]
    } else {
        &["maintenance", "cache", "delete", "redirect"]
    }
}

struct Decoder {
    version: Version,
    unknown: Vec<UnknownKey>,
    startup_errors: Vec<StartupError>,
    duplicates: Vec<(String, Pos, Pos)>,
}

fn is_null(s: &ScalarNode) -> bool {
    // Fast path: an untagged scalar is null only if plain and one of these spellings.
    if s.tag.is_none() {
        return s.style == resolve::Style::Plain
            && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL");
    }
    matches!(
        resolve::resolve(&s.text, s.style, s.tag.as_deref()),
        Ok(Scalar::Null)
    )
}

fn scalar_value(s: Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Uint(u) => Value::Uint(u),
        Scalar::Float(f) => Value::Float(f),
        Scalar::Str(s) => Value::Str(s),
    }
}

/// yaml.v2's name for a node's resolved tag, for type errors.
fn tag_name(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar(s) => {
            let t = match resolve::resolve(&s.text, s.style, s.tag.as_deref()) {
                Ok(Scalar::Bool(_)) => "!!bool",
                Ok(Scalar::Int(_) | Scalar::Uint(_)) => "!!int",
                Ok(Scalar::Float(_)) => "!!float",
                Ok(Scalar::Null) => "!!null",
                _ => "!!str",
            };
            format!("{t} `{}`", s.text.chars().take(40).collect::<String>())
        }
        _ => node.kind_name().to_string(),
    }
}

fn go_type_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Struct => "a section (mapping)",
        Ty::Storage | Ty::Auth | Ty::Params | Ty::StrMap | Ty::HeaderMap => "a mapping",
        Ty::List => "a list",
        Ty::Str => "string",
        Ty::Bool => "bool",
        Ty::Int => "int",
        Ty::Duration => "time.Duration",
        Ty::Any => "a value",
    }
}

/// Edit distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The known key nearest to `key` among `candidates`, when it is close enough to be a typo.
pub fn nearest<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = key.to_lowercase();
    let n = lower.chars().count();
    candidates
        // The length difference bounds the distance: skip what cannot be close enough.
        .filter(|c| n.abs_diff(c.chars().count()) <= 2.max(c.len() / 4))
        .map(|c| (edit_distance(&lower, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min()
        .map(|(_, c)| c.to_string())
}

impl Decoder {
    fn new(version: Version) -> Decoder {
        Decoder {
            version,
            unknown: Vec::new(),
            startup_errors: Vec::new(),
            duplicates: Vec::new(),
        }
    }

    /// True when messages about `path` must not quote the value written there: secret keys,
    /// URLs that may embed credentials, and any text that looks like it carries userinfo.
    fn must_redact(&self, path: &str, node: &Node) -> bool {
        let schema = super::schema::schema(self.version);
        let secret = super::redact::secrecy_at(schema, path) != super::redact::Secrecy::Public;
        let credential_like = path
            .rsplit('.')
            .next()
            .is_some_and(super::redact::credential_like);
        let text_risky = node
            .as_scalar()
            .is_some_and(|s| s.text.contains('@') || s.text.contains(' '));
        secret || credential_like || text_risky
    }

    fn type_error(&mut self, node: &Node, ty: Ty, path: &str) {
        let what = if self.must_redact(path, node) {
            format!(
                "a {} value (redacted)",
                node.kind_name().trim_start_matches("!!")
            )
        } else {
            tag_name(node)
        };
        self.startup_errors.push(StartupError {
            path: path.to_string(),
            origin: Origin::file(node.pos),
            message: format!("cannot unmarshal {what} into {}", go_type_name(ty)),
        });
    }

    fn error(&mut self, pos: Pos, path: &str, message: String) {
        self.startup_errors.push(StartupError {
            path: path.to_string(),
            origin: Origin::file(pos),
            message,
        });
    }

    fn unknown_key(&mut self, schema: &SchemaNode, path: &str, key: &str, pos: Pos) {
        let table = KeyTable::get();
        let table_path = join(&schema.path, key);
        let other_versions = table
            .rows(&table_path)
            .first()
            .map(|_| {
                table
                    .rows(&table_path)
                    .iter()
                    .map(|r| r.versions.to_string())
                    .collect::<Vec<_>>()
            })
            .map(|v| v.join("; "));
        let suggestion = if other_versions.is_some() {
            None
        } else {
            nearest(key, schema.fields.iter().map(|(k, _)| k.as_str()))
        };
        self.unknown.push(UnknownKey {
            path: join(path, key),
            pos,
            suggestion,
            other_versions,
        });
    }

    /// Decodes `node` into `slot` (the current value of the target, `None` when unset).
    fn decode(&mut self, node: &Node, schema: &SchemaNode, slot: &mut Option<VNode>, path: &str) {
        let origin = Origin::file(node.pos);
        if let NodeKind::Scalar(s) = &node.kind
            && is_null(s)
        {
            *slot = Some(VNode::new(Value::Null, origin));
            return;
        }
        match schema.ty {
            Ty::Struct => self.decode_map(node, schema, slot, path, MapKind::Struct, true),
            Ty::Params | Ty::StrMap | Ty::HeaderMap => {
                self.decode_map(node, schema, slot, path, MapKind::StrKeys, true)
            }
            Ty::Storage | Ty::Auth => self.decode_section(node, schema, slot, path),
            Ty::List => self.decode_list(node, schema, slot, path),
            Ty::Any => *slot = Some(self.decode_any(node, schema, path)),
            Ty::Str | Ty::Bool | Ty::Int | Ty::Duration => {
                if let Some(v) = self.decode_leaf(node, schema.ty, path) {
                    *slot = Some(VNode::new(v, origin));
                }
            }
        }
    }

    fn decode_leaf(&mut self, node: &Node, ty: Ty, path: &str) -> Option<Value> {
        let NodeKind::Scalar(s) = &node.kind else {
            self.type_error(node, ty, path);
            return None;
        };
        let tag = s.tag.as_deref();
        let result = match ty {
            Ty::Bool => resolve::decode_into_bool(&s.text, s.style, tag).map(Value::Bool),
            Ty::Int => resolve::decode_into_int(&s.text, s.style, tag).map(Value::Int),
            Ty::Duration => {
                resolve::decode_into_duration(&s.text, s.style, tag).map(Value::Duration)
            }
            _ => resolve::decode_into_string(&s.text, s.style, tag).map(Value::Str),
        };
        match result {
            Ok(v) => Some(v),
            Err(msg) => {
                let msg = if self.must_redact(path, node) {
                    format!(
                        "the value (redacted) cannot be decoded into {}",
                        go_type_name(ty)
                    )
                } else {
                    msg
                };
                self.error(node.pos, path, msg);
                None
            }
        }
    }

    /// A mapping into a struct or a Go map: merges into an existing value of the same kind.
    fn decode_map(
        &mut self,
        node: &Node,
        schema: &SchemaNode,
        slot: &mut Option<VNode>,
        path: &str,
        kind: MapKind,
        merge_existing: bool,
    ) {
        let NodeKind::Map(pairs) = &node.kind else {
            self.type_error(node, schema.ty, path);
            return;
        };
        let mut entries = match slot.take() {
            Some(VNode {
                value: Value::Map(k, e),
                ..
            }) if merge_existing && k == kind => e,
            _ => Vec::new(),
        };
        self.decode_pairs(pairs, schema, &mut entries, path, kind);
        *slot = Some(VNode::new(
            Value::Map(kind, entries),
            Origin::file(node.pos),
        ));
    }

    fn decode_pairs(
        &mut self,
        pairs: &[(Node, Node)],
        schema: &SchemaNode,
        entries: &mut Vec<(String, VNode)>,
        path: &str,
        kind: MapKind,
    ) {
        let mut seen: Vec<(&str, Pos)> = Vec::new();
        for (k, v) in pairs {
            let Some(ks) = k.as_scalar() else {
                self.error(
                    k.pos,
                    path,
                    format!("a {} cannot be a key here", k.kind_name()),
                );
                continue;
            };
            if resolve::is_merge_key(&ks.text, ks.style, ks.tag.as_deref()) {
                self.merge(v, schema, entries, path, kind);
                continue;
            }
            let key = self.key_text(ks, kind);
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == ks.text) {
                self.duplicates.push((join(path, &key), *first, k.pos));
            } else {
                seen.push((&ks.text, k.pos));
            }
            self.decode_entry(k.pos, &key, v, schema, entries, path, kind);
        }
    }

    /// Map keys: struct fields and `map[string]T` keys take the literal text; keys of
    /// `map[interface{}]interface{}` are resolved (`yes:` is the bool true) and printed as Go does.
    fn key_text(&self, ks: &ScalarNode, kind: MapKind) -> String {
        match kind {
            MapKind::AnyKeys => resolve::resolve(&ks.text, ks.style, ks.tag.as_deref())
                .map(|s| resolve::go_sprint(&s))
                .unwrap_or_else(|_| ks.text.clone()),
            _ => ks.text.clone(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn decode_entry(
        &mut self,
        key_pos: Pos,
        key: &str,
        value: &Node,
        schema: &SchemaNode,
        entries: &mut Vec<(String, VNode)>,
        path: &str,
        kind: MapKind,
    ) {
        let child_path = join(path, key);
        let child = match kind {
            MapKind::Struct => schema.field(key),
            _ => schema.child(key),
        };
        let Some(child) = child else {
            if kind == MapKind::Struct || (!schema.fields.is_empty() && schema.elem.is_none()) {
                self.unknown_key(schema, path, key, key_pos);
            }
            if kind == MapKind::Struct {
                return;
            }
            // A free-form map keeps unknown keys: they are passed to the driver or plugin.
            let mut slot = None;
            self.decode(value, &ANY, &mut slot, &child_path);
            if let Some(mut v) = slot {
                v.key_pos = Some(key_pos);
                super::value::set_entry(entries, key, v);
            }
            return;
        };
        let idx = entries.iter().position(|(k, _)| k == key);
        // Struct fields decode into the existing value (merge); map entries start fresh.
        let mut slot = match (kind, idx) {
            (MapKind::Struct, Some(i)) => Some(std::mem::replace(
                &mut entries[i].1,
                VNode::new(Value::Null, Origin::Default),
            )),
            _ => None,
        };
        let before = slot.is_some();
        if kind == MapKind::AnyKeys {
            // Inside an interface{} value everything is interface{}: the schema only names keys.
            slot = Some(self.decode_any(value, child, &child_path));
        } else {
            self.decode(value, child, &mut slot, &child_path);
        }
        match (slot, idx) {
            (Some(mut v), Some(i)) => {
                v.key_pos = Some(key_pos);
                entries[i].1 = v;
            }
            (Some(mut v), None) => {
                v.key_pos = Some(key_pos);
                entries.push((key.to_string(), v));
            }
            (None, Some(i)) if before => {
                entries.remove(i);
            }
            (None, _) => {}
        }
    }

    /// A `<<` merge: the merged mapping(s) decode into the same target, first of a list wins.
    fn merge(
        &mut self,
        value: &Node,
        schema: &SchemaNode,
        entries: &mut Vec<(String, VNode)>,
        path: &str,
        kind: MapKind,
    ) {
        match &value.kind {
            NodeKind::Map(pairs) => self.decode_pairs(pairs, schema, entries, path, kind),
            NodeKind::Seq(items) => {
                for item in items.iter().rev() {
                    match &item.kind {
                        NodeKind::Map(pairs) => {
                            self.decode_pairs(pairs, schema, entries, path, kind)
                        }
                        _ => self.merge_error(item.pos, path),
                    }
                }
            }
            NodeKind::Scalar(_) => self.merge_error(value.pos, path),
        }
    }

    fn merge_error(&mut self, pos: Pos, path: &str) {
        self.error(
            pos,
            path,
            "map merge requires map or sequence of maps as the value".into(),
        );
    }

    /// `storage` and `auth`: a fresh map of name → parameters, or a bare name.
    fn decode_section(
        &mut self,
        node: &Node,
        schema: &SchemaNode,
        slot: &mut Option<VNode>,
        path: &str,
    ) {
        let origin = Origin::file(node.pos);
        let entries = match &node.kind {
            NodeKind::Map(pairs) => {
                // The schema gives every value of these maps the parameters type (schema.rs).
                let mut entries = Vec::new();
                self.decode_pairs(pairs, schema, &mut entries, path, MapKind::StrKeys);
                entries
            }
            NodeKind::Scalar(s) => {
                let name = resolve::decode_into_string(&s.text, s.style, s.tag.as_deref())
                    .unwrap_or_else(|_| s.text.clone());
                let params = VNode::new(Value::Map(MapKind::StrKeys, Vec::new()), origin.clone());
                vec![(
                    name,
                    VNode {
                        key_pos: Some(node.pos),
                        ..params
                    },
                )]
            }
            NodeKind::Seq(_) => {
                self.type_error(node, schema.ty, path);
                return;
            }
        };
        self.check_section(&entries, schema.ty, node.pos, path);
        *slot = Some(VNode::new(Value::Map(MapKind::StrKeys, entries), origin));
    }

    fn check_section(&mut self, entries: &[(String, VNode)], ty: Ty, pos: Pos, path: &str) {
        let helpers = storage_helper_keys(self.version);
        let names: Vec<&str> = entries
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| ty == Ty::Auth || !helpers.contains(k))
            .collect();
        if names.len() > 1 {
            let what = if ty == Ty::Auth {
                "type"
            } else {
                "storage type"
            };
            self.error(
                pos,
                path,
                format!("must provide exactly one {what}. Provided: {names:?}"),
            );
        }
    }

    fn decode_list(
        &mut self,
        node: &Node,
        schema: &SchemaNode,
        slot: &mut Option<VNode>,
        path: &str,
    ) {
        let NodeKind::Seq(items) = &node.kind else {
            self.type_error(node, schema.ty, path);
            return;
        };
        let elem = schema.elem.as_deref().unwrap_or(&STR);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut s = None;
            let item_schema = named_item_schema(elem, item);
            self.decode(
                item,
                item_schema.as_ref().unwrap_or(elem),
                &mut s,
                &join_index(path, i),
            );
            out.push(s.unwrap_or_else(|| VNode::new(Value::Null, Origin::file(item.pos))));
        }
        *slot = Some(VNode::new(Value::List(out), Origin::file(node.pos)));
    }

    /// An `interface{}` value: YAML 1.1 types, nested maps with non-string keys.
    fn decode_any(&mut self, node: &Node, schema: &SchemaNode, path: &str) -> VNode {
        let origin = Origin::file(node.pos);
        match &node.kind {
            NodeKind::Scalar(s) => match resolve::resolve(&s.text, s.style, s.tag.as_deref()) {
                Ok(v) => VNode::new(scalar_value(v), origin),
                Err(msg) => {
                    let msg = if self.must_redact(path, node) {
                        "the value (redacted) does not fit its YAML tag".to_string()
                    } else {
                        msg
                    };
                    self.error(node.pos, path, msg);
                    VNode::new(Value::Str(s.text.clone()), origin)
                }
            },
            NodeKind::Seq(items) => {
                let elem = schema.elem.as_deref().unwrap_or(&ANY);
                let list = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.decode_any(item, elem, &join_index(path, i)))
                    .collect();
                VNode::new(Value::List(list), origin)
            }
            NodeKind::Map(pairs) => {
                let mut entries = Vec::new();
                self.decode_pairs(pairs, schema, &mut entries, path, MapKind::AnyKeys);
                VNode::new(Value::Map(MapKind::AnyKeys, entries), origin)
            }
        }
    }
}

/// For `middleware.storage[]` items: the schema including the options known for its `name`.
fn named_item_schema(elem: &SchemaNode, item: &Node) -> Option<SchemaNode> {
    if elem.by_name.is_empty() {
        return None;
    }
    let NodeKind::Map(pairs) = &item.kind else {
        return None;
    };
    let name = pairs.iter().find_map(|(k, v)| {
        (k.as_scalar()?.text == "name").then(|| v.as_scalar().map(|s| s.text.clone()))?
    })?;
    elem.by_name
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s.clone())
}

static ANY: SchemaNode = SchemaNode::leaf(Ty::Any);
static STR: SchemaNode = SchemaNode::leaf(Ty::Str);

/// Decodes the document root against the schema of `version`.
pub fn decode(root: &Node, schema: &SchemaNode, version: Version) -> Decoded {
    let mut d = Decoder::new(version);
    let mut slot = None;
    d.decode(root, schema, &mut slot, "");
    let root = match slot {
        Some(
            v @ VNode {
                value: Value::Map(..),
                ..
            },
        ) => v,
        _ => VNode::new(
            Value::Map(MapKind::Struct, Vec::new()),
            Origin::file(root.pos),
        ),
    };
    Decoded {
        root,
        unknown: d.unknown,
        startup_errors: d.startup_errors,
        duplicates: d.duplicates,
    }
}

/// A value decoded on its own (an env variable's payload), with any type errors.
#[derive(Debug, Clone)]
pub struct DecodedValue {
    pub value: Option<VNode>,
    pub startup_errors: Vec<StartupError>,
}

/// Decodes `node` into a fresh value of `schema`'s type, as `yaml.Unmarshal` into a new
/// variable of that type does.
pub fn decode_value(
    node: &Node,
    schema: &SchemaNode,
    version: Version,
    path: &str,
) -> DecodedValue {
    let mut d = Decoder::new(version);
    let mut slot = None;
    d.decode(node, schema, &mut slot, path);
    DecodedValue {
        value: slot,
        startup_errors: d.startup_errors,
    }
}
