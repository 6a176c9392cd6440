//! The key table: every configuration key of distribution/distribution 2.8, 3.0 and 3.1, with its
//! environment variable, kind, boolean rule, default, versions, container and secret flag.
//!
//! The table is data, not code: it is `distribution-keys.tsv` (a verbatim copy of the reference
//! in `shared/reference/`), embedded with `include_str!` and parsed once. Tests check that the
//! copy equals the reference when the reference is present, that every row parses, and that the
//! table is sorted and unique by (path, versions). Nothing here is retyped by hand.

use std::sync::OnceLock;

use super::version::{Version, VersionSet};

/// The embedded copy of `shared/reference/distribution-keys.tsv`.
pub const KEYS_TSV: &str = include_str!("distribution-keys.tsv");

/// The value kind of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Struct,
    Map,
    List,
    Bool,
    Int,
    String,
    Duration,
    Path,
    Url,
    /// A map from header name to a list of strings.
    HeaderMap,
    Any,
    /// One of the listed (case-sensitive unless the notes say otherwise) words.
    Enum(Vec<&'static str>),
}

impl Kind {
    fn parse(s: &'static str) -> Result<Kind, String> {
        Ok(match s {
            "struct" => Kind::Struct,
            "map" => Kind::Map,
            "list" => Kind::List,
            "bool" => Kind::Bool,
            "int" => Kind::Int,
            "string" => Kind::String,
            "duration" => Kind::Duration,
            "path" => Kind::Path,
            "url" => Kind::Url,
            "header-map" => Kind::HeaderMap,
            "any" => Kind::Any,
            _ => match s.strip_prefix("enum:") {
                Some(words) => Kind::Enum(words.split('|').collect()),
                None => return Err(format!("unknown kind {s:?}")),
            },
        })
    }

    /// True for kinds that hold other keys.
    pub fn is_container(&self) -> bool {
        matches!(
            self,
            Kind::Struct | Kind::Map | Kind::List | Kind::HeaderMap
        )
    }

    /// The kind as written in the table.
    pub fn name(&self) -> String {
        match self {
            Kind::Struct => "struct".into(),
            Kind::Map => "map".into(),
            Kind::List => "list".into(),
            Kind::Bool => "bool".into(),
            Kind::Int => "int".into(),
            Kind::String => "string".into(),
            Kind::Duration => "duration".into(),
            Kind::Path => "path".into(),
            Kind::Url => "url".into(),
            Kind::HeaderMap => "header-map".into(),
            Kind::Any => "any".into(),
            Kind::Enum(words) => format!("enum:{}", words.join("|")),
        }
    }
}

/// How a boolean key is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolRule {
    /// Only a YAML 1.1 boolean works; anything else is ignored or fatal depending on the key.
    YamlBool,
    /// A YAML boolean or a string Go's `strconv.ParseBool` accepts.
    ParseBool,
    /// Not a boolean.
    None,
}

/// Whether the key is a Go struct field or lives in a free-form map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Struct,
    Freeform,
}

/// Whether the key's value is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    No,
    Yes,
    /// The value is a path to a file whose contents are secret.
    PathToSecret,
    /// An outbound URL that could carry userinfo.
    UrlMayEmbedCredentials,
}

/// One row of the key table.
#[derive(Debug, Clone)]
pub struct KeyDef {
    /// Dotted YAML path; `[]` marks a list element, `*` any key, `[name=X]` a named list entry.
    pub path: &'static str,
    /// The `REGISTRY_*` variable that reaches the key, if any (`_0_` stands for a list index,
    /// `<KEY>`-style placeholders for an upper-cased map key).
    pub env: Option<&'static str>,
    pub kind: Kind,
    pub bool_rule: BoolRule,
    /// The value the registry ends up using when the key is absent.
    pub default: Option<&'static str>,
    pub versions: VersionSet,
    pub container: Container,
    pub secret: Secret,
    pub notes: &'static str,
    /// 1-based line in the TSV, for messages.
    pub line: usize,
}

impl KeyDef {
    /// True when the value itself must never be shown.
    pub fn is_secret_value(&self) -> bool {
        self.secret == Secret::Yes
    }

    /// The path split into segments (`log.hooks[].type` → `log`, `hooks[]`, `type`).
    pub fn segments(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('.')
    }
}

/// The parsed key table, sorted by path then by oldest version.
#[derive(Debug)]
pub struct KeyTable {
    keys: Vec<KeyDef>,
}

const HEADER: &str =
    "yaml_path\tenv_path\tkind\tbool_rule\tdefault\tversions\tcontainer\tsecret\tnotes";

fn dash(s: &'static str) -> Option<&'static str> {
    if s == "-" { None } else { Some(s) }
}

fn parse_row(line: usize, row: &'static str) -> Result<KeyDef, String> {
    let cols: Vec<&'static str> = row.split('\t').collect();
    let [
        path,
        env,
        kind,
        bool_rule,
        default,
        versions,
        container,
        secret,
        notes,
    ] = cols[..]
    else {
        return Err(format!(
            "line {line}: expected 9 tab-separated columns, found {}",
            cols.len()
        ));
    };
    let bool_rule = match bool_rule {
        "yaml-bool" => BoolRule::YamlBool,
        "parsebool" => BoolRule::ParseBool,
        "-" => BoolRule::None,
        other => return Err(format!("line {line}: unknown bool_rule {other:?}")),
    };
    let container = match container {
        "struct" => Container::Struct,
        "freeform" => Container::Freeform,
        other => return Err(format!("line {line}: unknown container {other:?}")),
    };
    let secret = match secret {
        "no" => Secret::No,
        "yes" => Secret::Yes,
        "path-to-secret" => Secret::PathToSecret,
        "url-may-embed-credentials" => Secret::UrlMayEmbedCredentials,
        other => return Err(format!("line {line}: unknown secret flag {other:?}")),
    };
    Ok(KeyDef {
        path,
        env: dash(env),
        kind: Kind::parse(kind).map_err(|e| format!("line {line}: {e}"))?,
        bool_rule,
        default: dash(default),
        versions: VersionSet::parse(versions).map_err(|e| format!("line {line}: {e}"))?,
        container,
        secret,
        notes,
        line,
    })
}

/// Parses TSV text in the reference format. Used for the embedded table and by its tests.
pub fn parse_table(text: &'static str) -> Result<Vec<KeyDef>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h == HEADER => {}
        _ => return Err("line 1: header does not match the reference columns".into()),
    }
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_row(i + 1, l))
        .collect()
}

fn version_rank(v: VersionSet) -> u8 {
    Version::ALL
        .iter()
        .position(|x| v.contains(*x))
        .map_or(u8::MAX, |p| p as u8)
}

impl KeyTable {
    /// The embedded table, parsed once.
    pub fn get() -> &'static KeyTable {
        static TABLE: OnceLock<KeyTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The embedded file is checked by unit tests; a parse failure is a build defect.
            let mut keys = parse_table(KEYS_TSV).unwrap_or_default();
            keys.sort_by(|a, b| {
                (a.path, version_rank(a.versions)).cmp(&(b.path, version_rank(b.versions)))
            });
            KeyTable { keys }
        })
    }

    /// Every row, sorted by path.
    pub fn all(&self) -> &[KeyDef] {
        &self.keys
    }

    /// The row for a table path (as written in the table) in a version.
    pub fn lookup(&self, path: &str, version: Version) -> Option<&KeyDef> {
        self.rows(path)
            .iter()
            .find(|k| k.versions.contains(version))
    }

    /// Every row for a table path, whatever its versions.
    pub fn rows(&self, path: &str) -> &[KeyDef] {
        let start = self.keys.partition_point(|k| k.path < path);
        let end = self.keys.partition_point(|k| k.path <= path);
        &self.keys[start..end]
    }

    /// Rows present in `version`.
    pub fn in_version(&self, version: Version) -> impl Iterator<Item = &KeyDef> {
        self.keys
            .iter()
            .filter(move |k| k.versions.contains(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn embedded_table_is_a_verbatim_copy_of_the_reference() {
        let reference =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/distribution-keys.tsv");
        match std::fs::read_to_string(&reference) {
            Ok(text) => assert_eq!(
                text,
                KEYS_TSV,
                "src/registry/distribution-keys.tsv differs from {}: copy the reference over it",
                reference.display()
            ),
            // A checkout without shared/ beside it still checks the embedded copy below.
            Err(e) => eprintln!("reference not found at {}: {e}", reference.display()),
        }
    }

    #[test]
    fn every_row_of_the_reference_parses() {
        let rows = KEYS_TSV
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count();
        let parsed = parse_table(KEYS_TSV).expect("table parses");
        assert_eq!(parsed.len(), rows);
        assert_eq!(KeyTable::get().all().len(), rows);
    }

    #[test]
    fn table_is_sorted_and_unique_by_path_and_version() {
        let keys = KeyTable::get().all();
        for pair in keys.windows(2) {
            assert!(pair[0].path <= pair[1].path, "not sorted: {}", pair[1].path);
            if pair[0].path == pair[1].path {
                assert!(
                    !pair[0].versions.overlaps(pair[1].versions),
                    "{} has overlapping rows on lines {} and {}",
                    pair[0].path,
                    pair[0].line,
                    pair[1].line
                );
            }
        }
    }

    #[test]
    fn every_version_line_is_covered() {
        for v in Version::ALL {
            assert!(
                KeyTable::get()
                    .lookup("storage.delete.enabled", v)
                    .is_some()
            );
        }
        let t = KeyTable::get();
        assert!(t.lookup("tags.maxtags", Version::V3_0).is_none());
        assert!(t.lookup("tags.maxtags", Version::V3_1).is_some());
        assert!(
            t.lookup("compatibility.schema1.enabled", Version::V2_8)
                .is_some()
        );
        assert!(
            t.lookup("compatibility.schema1.enabled", Version::V3_1)
                .is_none()
        );
        let minimum = t.rows("http.tls.minimumtls");
        assert_eq!(minimum.len(), 2, "2.8 and 3.x rows differ");
    }

    #[test]
    fn every_parent_of_a_key_is_itself_a_key() {
        let t = KeyTable::get();
        for k in t.all() {
            if let Some((parent, _)) = k.path.rsplit_once('.') {
                let parent = parent.trim_end_matches("[]");
                let base = parent.split("[name=").next().unwrap_or(parent);
                let known =
                    !t.rows(parent).is_empty() || !t.rows(base).is_empty() || parent.contains('*');
                assert!(
                    known,
                    "{} (line {}) has no parent row {parent}",
                    k.path, k.line
                );
            }
        }
    }

    #[test]
    fn secret_keys_match_the_reference_section_3() {
        let t = KeyTable::get();
        for path in ["http.secret", "storage.s3.secretkey", "proxy.password"] {
            assert!(t.rows(path).iter().all(KeyDef::is_secret_value), "{path}");
        }
        assert_eq!(
            t.lookup("auth.htpasswd.path", Version::V3_1)
                .unwrap()
                .secret,
            Secret::PathToSecret
        );
    }
}
