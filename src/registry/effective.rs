//! `EffectiveConfig`: the configuration a registry actually runs with: the first YAML
//! document decoded as yaml.v2 does, the `REGISTRY_*` overlay applied, and the registry's
//! post-processing done; every value carries where it came from.
//!
//! Invariants: building never panics and never fails on anything the registry itself would
//! accept; what makes the registry refuse to start is recorded in
//! [`EffectiveConfig::startup_errors`] (and env crashes in the env outcomes), so drift in a
//! broken config is still reported. Only input regdrift cannot read at all (bad YAML, binary,
//! empty, not a mapping, `version` not `0.1`) is a [`LoadError`].

use serde::{Deserialize, Serialize};

use super::decode::{self, StartupError, UnknownKey};
use super::env::{self, EnvOutcome, Outcome};
use super::envfile::EnvVar;
use super::keys::{BoolRule, Kind};
use super::redact::{self, Digester, Secrecy};
use super::resolve::{self, Scalar};
use super::schema::{self, SchemaNode, Ty};
use super::value::{MapKind, Origin, VNode, Value};
use super::version::Version;
use super::yaml::{self, LoadOptions, NodeKind};
use crate::error::{LoadError, LoadErrorKind, Pos};

/// Options for building an effective config.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    pub version: Version,
    pub load: LoadOptions,
}

/// A key used in the file that the selected registry version does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionNote {
    pub path: String,
    pub pos: Pos,
    /// The versions that do have the key.
    pub exists_in: String,
}

/// A duplicated key in one mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    pub path: String,
    pub first: Pos,
    pub last: Pos,
}

/// The configuration a registry runs with.
#[derive(Debug, Clone)]
pub struct EffectiveConfig {
    /// Label of the source (file path) used in positions.
    pub source: String,
    pub version: Version,
    pub root: VNode,
    pub env: Vec<EnvOutcome>,
    pub unknown_keys: Vec<UnknownKey>,
    pub version_notes: Vec<VersionNote>,
    pub startup_errors: Vec<StartupError>,
    pub duplicates: Vec<Duplicate>,
    /// Documents after the first, which the registry ignores.
    pub ignored_documents: Vec<Pos>,
    /// blake3 of the bytes read.
    pub raw_hash: String,
}

fn load_error(
    source: &str,
    kind: LoadErrorKind,
    pos: Option<Pos>,
    message: String,
    hint: &str,
) -> LoadError {
    LoadError {
        kind,
        source_name: source.into(),
        pos,
        message,
        hint: hint.into(),
    }
}

/// Checks `version` as the registry's first pass does: it must be exactly `0.1`.
fn check_version(root: &yaml::Node, source: &str) -> Result<(), LoadError> {
    let NodeKind::Map(pairs) = &root.kind else {
        return Err(load_error(
            source,
            LoadErrorKind::NotMapping,
            Some(root.pos),
            format!(
                "top level is a {}, not a mapping",
                match root.kind {
                    NodeKind::Seq(_) => "list",
                    _ => "single value",
                }
            ),
            "a registry config is a mapping of sections: version, storage, http, auth, ...",
        ));
    };
    let last = pairs
        .iter()
        .rev()
        .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == "version"));
    let hint = "the registry accepts only `version: 0.1` and would refuse to start";
    let Some((k, v)) = last else {
        return Err(load_error(
            source,
            LoadErrorKind::Version,
            None,
            "has no `version` key".into(),
            hint,
        ));
    };
    let text = match &v.kind {
        NodeKind::Scalar(s) => {
            resolve::decode_into_string(&s.text, s.style, s.tag.as_deref()).unwrap_or_default()
        }
        _ => {
            return Err(load_error(
                source,
                LoadErrorKind::Version,
                Some(k.pos),
                "`version` is not a scalar".into(),
                hint,
            ));
        }
    };
    if text != "0.1" {
        return Err(load_error(
            source,
            LoadErrorKind::Version,
            Some(v.pos),
            format!("version is {text:?}, not \"0.1\""),
            hint,
        ));
    }
    Ok(())
}

/// Builds the effective config of `bytes` (named `source`) with `vars` applied.
pub fn build(
    bytes: &[u8],
    source: &str,
    vars: &[EnvVar],
    opts: &BuildOptions,
) -> Result<EffectiveConfig, LoadError> {
    let raw_hash = blake3::hash(bytes).to_hex().to_string();
    let doc = yaml::load(bytes, source, &opts.load)?;
    check_version(&doc.root, source)?;
    let schema = schema::schema(opts.version);
    let decoded = decode::decode(&doc.root, schema, opts.version);
    let mut root = decoded.root;
    let env = env::apply(&mut root, schema, opts.version, vars);
    let (unknown_keys, version_notes) = split_version_notes(decoded.unknown);
    let mut cfg = EffectiveConfig {
        source: source.to_string(),
        version: opts.version,
        root,
        env,
        unknown_keys,
        version_notes,
        startup_errors: decoded.startup_errors,
        duplicates: decoded
            .duplicates
            .into_iter()
            .map(|(path, first, last)| Duplicate { path, first, last })
            .collect(),
        ignored_documents: doc.ignored_documents,
        raw_hash,
    };
    post_process(&mut cfg);
    Ok(cfg)
}

fn split_version_notes(unknown: Vec<UnknownKey>) -> (Vec<UnknownKey>, Vec<VersionNote>) {
    let mut keys = Vec::new();
    let mut notes = Vec::new();
    for u in unknown {
        match &u.other_versions {
            Some(v) => notes.push(VersionNote {
                path: u.path.clone(),
                pos: u.pos,
                exists_in: v.clone(),
            }),
            None => keys.push(u),
        }
    }
    (keys, notes)
}

fn startup(cfg: &mut EffectiveConfig, path: &str, origin: Origin, message: String) {
    cfg.startup_errors.push(StartupError {
        path: path.into(),
        origin,
        message,
    });
}

fn origin_of(cfg: &EffectiveConfig, path: &str) -> Origin {
    cfg.root
        .at(path)
        .map_or(Origin::Default, |v| v.origin.clone())
}

/// The registry's conversion step plus the startup checks that depend only on the config.
fn post_process(cfg: &mut EffectiveConfig) {
    normalize_log_level(cfg);
    default_catalog_and_tags(cfg);
    check_storage(cfg);
    check_storage_helpers(cfg);
    check_auth(cfg);
    check_enums(cfg);
    check_middleware(cfg);
}

fn normalize_log_level(cfg: &mut EffectiveConfig) {
    let lower = |v: &mut VNode| {
        if let Value::Str(s) = &mut v.value {
            *s = s.to_lowercase();
        }
    };
    let Value::Map(_, top) = &mut cfg.root.value else {
        return;
    };
    let old = top
        .iter()
        .position(|(k, _)| k == "loglevel")
        .map(|i| top.remove(i).1);
    let log = match top.iter_mut().find(|(k, _)| k == "log") {
        Some((_, v)) => v,
        None => {
            top.push((
                "log".into(),
                VNode::new(Value::Map(MapKind::Struct, Vec::new()), Origin::Default),
            ));
            &mut top.last_mut().expect("just pushed").1
        }
    };
    if matches!(log.value, Value::Null) {
        log.value = Value::Map(MapKind::Struct, Vec::new());
    }
    let Value::Map(_, entries) = &mut log.value else {
        return;
    };
    match entries
        .iter_mut()
        .find(|(k, v)| k == "level" && !v.is_zero())
    {
        Some((_, v)) => lower(v),
        None => {
            let mut v = old
                .filter(|o| !o.is_zero())
                .unwrap_or_else(|| VNode::new(Value::Str("info".into()), Origin::Default));
            lower(&mut v);
            super::value::set_entry(entries, "level", v);
        }
    }
}

fn int_at(cfg: &EffectiveConfig, path: &str) -> Option<i64> {
    match cfg.root.at(path)?.value {
        Value::Int(i) => Some(i),
        _ => None,
    }
}

fn default_catalog_and_tags(cfg: &mut EffectiveConfig) {
    if int_at(cfg, "catalog.maxentries").is_some_and(|n| n <= 0) {
        set_default(cfg, "catalog", "maxentries", Value::Int(1000));
    }
    if cfg.version == Version::V3_1 {
        match int_at(cfg, "tags.maxtags") {
            Some(0) => set_default(cfg, "tags", "maxtags", Value::Int(1000)),
            Some(n) if n < 0 => {
                let o = origin_of(cfg, "tags.maxtags");
                startup(
                    cfg,
                    "tags.maxtags",
                    o,
                    format!("tags.maxtags is {n}: a negative value is an error"),
                );
            }
            _ => {}
        }
    }
}

fn set_default(cfg: &mut EffectiveConfig, section: &str, key: &str, v: Value) {
    let Value::Map(_, top) = &mut cfg.root.value else {
        return;
    };
    if let Some((_, s)) = top.iter_mut().find(|(k, _)| k == section)
        && let Value::Map(_, entries) = &mut s.value
        && let Some((_, slot)) = entries.iter_mut().find(|(k, _)| k == key)
    {
        slot.value = v;
        slot.origin = Origin::Default;
    }
}

/// Storage drivers each release line registers (2.8 also swift and oss).
fn known_drivers(v: Version) -> &'static [&'static str] {
    if v.is_v3() {
        &["azure", "filesystem", "gcs", "inmemory", "s3", "s3aws"]
    } else {
        &[
            "azure",
            "filesystem",
            "gcs",
            "inmemory",
            "oss",
            "s3",
            "s3aws",
            "swift",
        ]
    }
}

fn check_storage(cfg: &mut EffectiveConfig) {
    let drivers = env::storage_drivers(&cfg.root, cfg.version);
    let origin = origin_of(cfg, "storage");
    if drivers.is_empty() {
        startup(
            cfg,
            "storage",
            origin,
            "no storage configuration provided (a storage driver is required)".into(),
        );
        return;
    }
    for d in drivers {
        if !known_drivers(cfg.version).contains(&d.as_str()) {
            let o = origin_of(cfg, &format!("storage.{d}"));
            startup(
                cfg,
                &format!("storage.{d}"),
                o,
                format!("StorageDriver not registered: {d}"),
            );
        }
    }
}

/// The helper keys' consumers (reference §2.3): type checks that panic at start.
fn check_storage_helpers(cfg: &mut EffectiveConfig) {
    let mut errs = Vec::new();
    let need_bool =
        |cfg: &EffectiveConfig, path: &str, errs: &mut Vec<(String, Origin, String)>| {
            if let Some(v) = cfg.root.at(path)
                && !matches!(v.value, Value::Bool(_) | Value::Null)
            {
                errs.push((
                    path.to_string(),
                    v.origin.clone(),
                    format!("{path} must be a YAML bool: the registry panics at start"),
                ));
            }
        };
    need_bool(cfg, "storage.redirect.disable", &mut errs);
    need_bool(cfg, "storage.maintenance.readonly.enabled", &mut errs);
    for section in [
        "storage.maintenance.readonly",
        "storage.maintenance.uploadpurging",
    ] {
        if let Some(v) = cfg.root.at(section)
            && !matches!(v.value, Value::Map(MapKind::AnyKeys, _) | Value::Null)
            && !matches!(v.value, Value::Map(MapKind::StrKeys, _))
        {
            errs.push((
                section.into(),
                v.origin.clone(),
                format!("{section} must be a mapping: the registry panics at start"),
            ));
        }
    }
    if let Some(up) = cfg.root.at("storage.maintenance.uploadpurging")
        && let Value::Map(_, entries) = &up.value
    {
        let disabled = entries
            .iter()
            .any(|(k, v)| k == "enabled" && v.value == Value::Bool(false));
        if !disabled {
            for key in ["age", "interval", "dryrun"] {
                if !entries.iter().any(|(k, _)| k == key) {
                    errs.push((
                        format!("storage.maintenance.uploadpurging.{key}"),
                        up.origin.clone(),
                        format!("uploadpurging is present and enabled but has no {key}: the registry panics at start"),
                    ));
                }
            }
        }
    }
    if let Some(v) = cfg.root.at("storage.tag.concurrencylimit")
        && !matches!(v.value, Value::Int(n) if n >= 0)
    {
        errs.push((
            "storage.tag.concurrencylimit".into(),
            v.origin.clone(),
            "storage.tag.concurrencylimit must be an int >= 0: the registry panics at start".into(),
        ));
    }
    for (path, origin, msg) in errs {
        startup(cfg, &path, origin, msg);
    }
}

fn check_auth(cfg: &mut EffectiveConfig) {
    for p in env::auth_providers(&cfg.root) {
        if !["silly", "htpasswd", "token"].contains(&p.as_str()) && !p.eq_ignore_ascii_case("none")
        {
            let o = origin_of(cfg, &format!("auth.{p}"));
            startup(
                cfg,
                &format!("auth.{p}"),
                o,
                format!("no access controller registered with name: {p}"),
            );
        }
    }
}

/// Struct enums the registry validates at start.
fn check_enums(cfg: &mut EffectiveConfig) {
    let schema = schema::schema(cfg.version);
    for path in [
        "log.level",
        "log.formatter",
        "http.tls.minimumtls",
        "http.tls.clientauth",
        "http.net",
    ] {
        let Some(v) = cfg.root.at(path) else { continue };
        let Value::Str(s) = &v.value else { continue };
        if s.is_empty() {
            continue;
        }
        let Some(Kind::Enum(words)) = redact::schema_at(schema, path)
            .and_then(|n| n.def)
            .map(|d| &d.kind)
        else {
            continue;
        };
        if !words.contains(&s.as_str()) {
            let o = v.origin.clone();
            let msg = format!("{path} {s:?} is not one of {}", words.join(", "));
            startup(cfg, path, o, msg);
        }
    }
}

fn check_middleware(cfg: &mut EffectiveConfig) {
    let mut bad = Vec::new();
    if let Some(entries) = cfg.root.get("middleware").and_then(VNode::entries) {
        for (kind, list) in entries {
            let Value::List(items) = &list.value else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let name = item.get("name").and_then(VNode::as_str).unwrap_or("");
                let ok = kind == "storage"
                    && (["cloudfront", "redirect"].contains(&name)
                        || (name == "rewrite" && cfg.version.is_v3()));
                if !ok {
                    bad.push((
                        format!("middleware.{kind}[{i}]"),
                        item.origin.clone(),
                        name.to_string(),
                    ));
                }
            }
        }
    }
    for (path, origin, name) in bad {
        startup(
            cfg,
            &path,
            origin,
            format!("no {name:?} middleware is registered in the stock registry"),
        );
    }
}

impl EffectiveConfig {
    /// The schema of this config's version.
    pub fn schema(&self) -> &'static SchemaNode {
        schema::schema(self.version)
    }

    /// True when the registry would start with this config and env.
    pub fn would_start(&self) -> bool {
        self.startup_errors.is_empty()
            && !self
                .env
                .iter()
                .any(|e| matches!(e.outcome, Outcome::WouldCrash { .. }))
    }

    /// The value at a concrete path.
    pub fn get(&self, path: &str) -> Option<&VNode> {
        self.root.at(path)
    }

    /// The effective value as the registry interprets it, for a leaf of the key table.
    pub fn interpreted(&self, path: &str) -> Option<Value> {
        let v = self.root.at(path)?;
        let def = redact::schema_at(self.schema(), path).and_then(|s| s.def);
        Some(interpret(
            &v.value,
            def.map(|d| (&d.kind, d.bool_rule, d.default)),
        ))
    }

    /// The canonical form: sorted keys, scalars resolved by key kind, zero-valued struct fields
    /// dropped, secrets replaced by keyed digests. Two configs with equal canonical forms run
    /// the same.
    pub fn canonical(&self, digester: &Digester) -> serde_json::Value {
        canonical_node(&self.root, Some(self.schema()), Secrecy::Public, digester)
            .unwrap_or(serde_json::Value::Null)
    }

    /// blake3 of the canonical form (keyed digests stand in for secrets).
    pub fn effective_hash(&self, digester: &Digester) -> String {
        hash_canonical(&self.canonical(digester))
    }

    /// Every leaf with its concrete path, redacted rendering and origin, in key order.
    pub fn flatten(&self, digester: &Digester) -> Vec<FlatEntry> {
        let mut out = Vec::new();
        flatten_into(
            &mut out,
            "",
            &self.root,
            Some(self.schema()),
            Secrecy::Public,
            digester,
        );
        out
    }
}

/// blake3 of a canonical form (see [`EffectiveConfig::canonical`]).
pub fn hash_canonical(canonical: &serde_json::Value) -> String {
    let text = serde_json::to_string(canonical).unwrap_or_default();
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// What the registry makes of a free-form value of a given kind and boolean rule.
pub fn interpret(v: &Value, def: Option<(&Kind, BoolRule, Option<&str>)>) -> Value {
    let Some((kind, rule, default)) = def else {
        return v.clone();
    };
    match (kind, rule, v) {
        (Kind::Bool, BoolRule::YamlBool, Value::Bool(_)) => v.clone(),
        // Not a YAML bool: the registry's `== true` / `== false` checks both fail, so the
        // key keeps its default (delete stays off, uploadpurging stays on).
        (Kind::Bool, BoolRule::YamlBool, _) => Value::Bool(default == Some("true")),
        (Kind::Bool, BoolRule::ParseBool, Value::Str(s)) => {
            resolve::go_parse_bool(s).map_or_else(|| v.clone(), Value::Bool)
        }
        (Kind::Int, _, Value::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map_or_else(|_| v.clone(), Value::Int),
        _ => v.clone(),
    }
}

fn scalar_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Uint(u) => J::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or_else(
            || J::String(resolve::go_sprint(&Scalar::Float(*f))),
            J::Number,
        ),
        Value::Duration(ns) => J::String(resolve::go_format_duration(*ns)),
        Value::Str(s) => J::String(s.clone()),
        Value::List(_) | Value::Map(..) => J::Null,
    }
}

/// Text of a scalar for digests.
fn scalar_digest_text(v: &Value) -> String {
    redact::scalar_text(v).unwrap_or_default()
}

fn canonical_node(
    v: &VNode,
    schema: Option<&SchemaNode>,
    sec: Secrecy,
    d: &Digester,
) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    if sec == Secrecy::Secret {
        if v.is_zero() {
            return None;
        }
        return Some(J::String(format!("secret:{}", secret_digest(v, schema, d))));
    }
    match &v.value {
        Value::Map(kind, entries) => {
            let mut m = serde_json::Map::new();
            for (k, e) in entries {
                let cs = redact::child_secrecy(schema, k, sec);
                let child = schema.and_then(|s| s.child(k));
                if *kind == MapKind::Struct && e.is_zero() {
                    continue;
                }
                if let Some(j) = canonical_node(e, child, cs, d) {
                    m.insert(k.clone(), j);
                }
            }
            Some(J::Object(m))
        }
        Value::List(items) => {
            let s = redact::item_secrecy(schema, sec);
            let elem = schema.and_then(|s| s.elem.as_deref());
            Some(J::Array(
                items
                    .iter()
                    .map(|i| {
                        canonical_node(i, elem.map(|e| e.for_item(i)), s, d).unwrap_or(J::Null)
                    })
                    .collect(),
            ))
        }
        other => {
            let def = schema
                .and_then(|s| s.def)
                .map(|d| (&d.kind, d.bool_rule, d.default));
            let value = if schema.is_some_and(|s| s.ty == Ty::Any) {
                interpret(other, def)
            } else {
                other.clone()
            };
            let j = scalar_json(&value);
            Some(match (sec, &j) {
                (Secrecy::Url, J::String(s)) => J::String(redact::redact_url(s)),
                _ => j,
            })
        }
    }
}

/// The keyed digest of a secret value (a scalar or a whole secret section): changes whenever
/// any part of the value changes, says nothing about the value without the key.
pub fn secret_digest(v: &VNode, schema: Option<&SchemaNode>, d: &Digester) -> String {
    let text = match &v.value {
        Value::Map(..) | Value::List(_) => {
            serde_json::to_string(&canonical_node(v, schema, Secrecy::Public, d))
                .unwrap_or_default()
        }
        other => scalar_digest_text(other),
    };
    d.digest(&text)
}

/// One leaf of the effective config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatEntry {
    pub path: String,
    /// Redacted rendering (`<redacted>` for secrets).
    pub value: String,
    /// Keyed digest, for secrets only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub secret: bool,
    pub origin: Origin,
}

fn flatten_into(
    out: &mut Vec<FlatEntry>,
    path: &str,
    v: &VNode,
    schema: Option<&SchemaNode>,
    sec: Secrecy,
    d: &Digester,
) {
    let scalar_list = matches!(&v.value, Value::List(items) if items.iter().all(|i| !matches!(i.value, Value::Map(..) | Value::List(_))));
    let is_container =
        matches!(v.value, Value::Map(..)) || (matches!(v.value, Value::List(_)) && !scalar_list);
    if sec == Secrecy::Secret || !is_container || v.is_zero() {
        // An empty struct is Go's zero value, the same as absent.
        if path.is_empty() || matches!(&v.value, Value::Map(MapKind::Struct, e) if e.is_empty()) {
            return;
        }
        let secret = sec == Secrecy::Secret && !v.is_zero();
        let digest = secret.then(|| secret_digest(v, schema, d));
        out.push(FlatEntry {
            path: path.to_string(),
            value: redact::display_with(v, sec, schema),
            digest,
            secret,
            origin: v.origin.clone(),
        });
        return;
    }
    match &v.value {
        Value::Map(_, entries) => {
            let mut sorted: Vec<&(String, VNode)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, e) in sorted {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten_into(
                    out,
                    &p,
                    e,
                    schema.and_then(|s| s.child(k)),
                    redact::child_secrecy(schema, k, sec),
                    d,
                );
            }
        }
        Value::List(items) => {
            let s = redact::item_secrecy(schema, sec);
            let elem = schema.and_then(|s| s.elem.as_deref());
            for (i, item) in items.iter().enumerate() {
                flatten_into(
                    out,
                    &format!("{path}[{i}]"),
                    item,
                    elem.map(|e| e.for_item(item)),
                    s,
                    d,
                );
            }
        }
        _ => {}
    }
}
