//! Which values are secret, and how values are shown without them.
//!
//! A value is secret when its key table row says `secret=yes`, when it sits under such a key
//! (the whole `storage.gcs.credentials` map, every notification and health-check header), or
//! when it is an unknown key inside a free-form section (`storage.<driver>`, `auth.<provider>`,
//! middleware options, `log.fields`) whose name looks like a credential (`pass`, `secret`,
//! `key`, `token`, `credential`, `private`). URL-valued keys that may embed credentials are
//! shown with the userinfo password and query string removed. `http.headers` (response headers
//! such as `X-Content-Type-Options`) are not secret: rules need to see them.
//!
//! Invariant: nothing in this crate renders a secret value except through [`Digester`], which
//! prints a keyed blake3 digest, never the value.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use super::keys::Secret;
use super::schema::{SchemaNode, Ty};
use super::value::{VNode, Value};

/// How a value must be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    Public,
    /// Never shown; a keyed digest stands in.
    Secret,
    /// A URL: shown without userinfo password or query.
    Url,
}

const CREDENTIAL_WORDS: [&str; 6] = ["pass", "secret", "key", "token", "credential", "private"];

/// True when a free-form key's name looks like it holds a credential.
pub fn credential_like(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|w| k.contains(w))
}

/// Secrecy of the value under `key`, given the schema of its parent and the parent's secrecy.
pub fn child_secrecy(parent_schema: Option<&SchemaNode>, key: &str, parent: Secrecy) -> Secrecy {
    if parent == Secrecy::Secret {
        return Secrecy::Secret;
    }
    let Some(ps) = parent_schema else {
        return if credential_like(key) {
            Secrecy::Secret
        } else {
            Secrecy::Public
        };
    };
    match ps.field(key) {
        Some(field) => of_schema(field),
        None => {
            let elem = ps.elem.as_deref();
            match elem.map(of_schema) {
                Some(Secrecy::Public) | None if freeform(ps) && credential_like(key) => {
                    Secrecy::Secret
                }
                Some(s) => s,
                None => Secrecy::Public,
            }
        }
    }
}

/// Secrecy of a list item under a list with this schema.
pub fn item_secrecy(list_schema: Option<&SchemaNode>, parent: Secrecy) -> Secrecy {
    if parent == Secrecy::Secret {
        return Secrecy::Secret;
    }
    list_schema
        .and_then(|s| s.elem.as_deref())
        .map_or(parent, of_schema)
}

/// Secrecy declared for a schema node itself.
pub fn of_schema(s: &SchemaNode) -> Secrecy {
    match s.def.map(|d| d.secret) {
        Some(Secret::Yes) => Secrecy::Secret,
        Some(Secret::UrlMayEmbedCredentials) => Secrecy::Url,
        _ => Secrecy::Public,
    }
}

fn freeform(s: &SchemaNode) -> bool {
    matches!(s.ty, Ty::Params | Ty::Any | Ty::Storage | Ty::Auth)
}

/// `url` with its whole userinfo (`user:token@`, a token alone as the user too) replaced by
/// `***@`, for messages about a URL refused for carrying credentials. Unlike [`redact_url`],
/// which keeps the user name, nothing of the userinfo is left.
pub fn strip_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// A URL without the password of its userinfo and without its query string.
pub fn redact_url(s: &str) -> String {
    let (base, had_query) = match s.split_once('?') {
        Some((b, _)) => (b, true),
        None => (s, false),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    let pw = if userinfo.contains(':') {
                        ":<redacted>"
                    } else {
                        ""
                    };
                    format!("{scheme}://{user}{pw}@{host}{path}")
                }
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    if had_query {
        out.push_str("?<redacted>");
    }
    out
}

/// Keyed digests of secret values: the same value gives the same digest under one key, so a
/// change is visible, and without the key the digest says nothing about the value.
#[derive(Clone)]
pub struct Digester {
    key: [u8; 32],
    /// True when the key was generated for this run only (digests not comparable across runs).
    pub ephemeral: bool,
}

impl std::fmt::Debug for Digester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Digester")
            .field("ephemeral", &self.ephemeral)
            .finish_non_exhaustive()
    }
}

/// The environment variable that carries the digest key (64 hex digits or any passphrase).
pub const DIGEST_KEY_ENV: &str = "REGDRIFT_DIGEST_KEY";

impl Digester {
    /// A digester with a key derived from `material` (a passphrase or hex key).
    pub fn from_material(material: &str) -> Digester {
        Digester {
            key: blake3::derive_key("regdrift 2026 secret digest key", material.as_bytes()),
            ephemeral: false,
        }
    }

    /// A digester with a fresh random key for this run.
    pub fn ephemeral() -> Digester {
        let mut seed = Vec::with_capacity(32);
        for _ in 0..4 {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(std::process::id().into());
            seed.extend_from_slice(&h.finish().to_le_bytes());
        }
        Digester {
            key: blake3::derive_key("regdrift 2026 ephemeral digest key", &seed),
            ephemeral: true,
        }
    }

    /// From `REGDRIFT_DIGEST_KEY` if set, else ephemeral.
    pub fn from_env() -> Digester {
        match std::env::var(DIGEST_KEY_ENV) {
            Ok(m) if !m.is_empty() => Digester::from_material(&m),
            _ => Digester::ephemeral(),
        }
    }

    /// From `REGDRIFT_DIGEST_KEY` if set, else the key file `<state_dir>/digest.key`, created
    /// (mode 0600, random) on first use: digests then stay comparable across runs, and the key
    /// never leaves the state directory (never git).
    pub fn from_state_dir(state_dir: &std::path::Path) -> std::io::Result<Digester> {
        if let Ok(m) = std::env::var(DIGEST_KEY_ENV)
            && !m.is_empty()
        {
            return Ok(Digester::from_material(&m));
        }
        let path = state_dir.join("digest.key");
        match std::fs::read_to_string(&path) {
            Ok(k) if !k.trim().is_empty() => return Ok(Digester::from_material(k.trim())),
            _ => {}
        }
        std::fs::create_dir_all(state_dir)?;
        let fresh = Digester::ephemeral();
        let material = blake3::keyed_hash(&fresh.key, b"regdrift digest key file")
            .to_hex()
            .to_string();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&path) {
            Ok(mut f) => std::io::Write::write_all(&mut f, material.as_bytes())?,
            // Another run created it meanwhile: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let k = std::fs::read_to_string(&path)?;
        Ok(Digester::from_material(k.trim()))
    }

    /// The keyed digest of a secret value (first 16 hex digits).
    pub fn digest(&self, value: &str) -> String {
        let h = blake3::keyed_hash(&self.key, value.as_bytes());
        h.to_hex()[..16].to_string()
    }

    /// Keyed hash of arbitrary bytes, full length.
    pub fn keyed_hash(&self, bytes: &[u8]) -> String {
        blake3::keyed_hash(&self.key, bytes).to_hex().to_string()
    }
}

/// A scalar as text (Go-style for numbers and bools).
pub fn scalar_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Duration(ns) => super::resolve::go_format_duration(*ns),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Float(f) => super::resolve::go_sprint(&super::resolve::Scalar::Float(*f)),
        Value::Str(s) => s.clone(),
        Value::List(_) | Value::Map(..) => return None,
    })
}

/// Secrecy of the value at a concrete path (`notifications.endpoints[0].headers.Authorization`).
pub fn secrecy_at(root: &SchemaNode, path: &str) -> Secrecy {
    let mut schema = Some(root);
    let mut sec = Secrecy::Public;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (key, rest) = seg.split_at(seg.find('[').unwrap_or(seg.len()));
        if !key.is_empty() {
            sec = child_secrecy(schema, key, sec);
            schema = schema.and_then(|s| s.child(key));
        }
        for _ in rest.matches('[') {
            sec = item_secrecy(schema, sec);
            schema = schema.and_then(|s| s.elem.as_deref());
        }
    }
    sec
}

/// The schema node at a concrete path, if the path is known.
pub fn schema_at<'a>(root: &'a SchemaNode, path: &str) -> Option<&'a SchemaNode> {
    let mut schema = root;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (key, rest) = seg.split_at(seg.find('[').unwrap_or(seg.len()));
        if !key.is_empty() {
            schema = schema.child(key)?;
        }
        for _ in rest.matches('[') {
            schema = schema.elem.as_deref()?;
        }
    }
    Some(schema)
}

/// One-line rendering of a value with secrets replaced by `<redacted>`.
pub fn display(v: &VNode, secrecy: Secrecy) -> String {
    let mut out = String::new();
    write_display(&mut out, v, secrecy, None);
    out
}

/// Like [`display`], descending with the schema so nested secrets are found.
pub fn display_with(v: &VNode, secrecy: Secrecy, schema: Option<&SchemaNode>) -> String {
    let mut out = String::new();
    write_display(&mut out, v, secrecy, schema);
    out
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+".contains(c))
        && super::resolve::resolve(s, super::resolve::Style::Plain, None)
            .is_ok_and(|r| matches!(r, super::resolve::Scalar::Str(_)));
    if plain {
        s.to_string()
    } else {
        format!("{s:?}")
    }
}

fn write_display(out: &mut String, v: &VNode, secrecy: Secrecy, schema: Option<&SchemaNode>) {
    if secrecy == Secrecy::Secret && !matches!(v.value, Value::Null) {
        out.push_str("<redacted>");
        return;
    }
    match &v.value {
        Value::List(items) => {
            out.push('[');
            let s = item_secrecy(schema, secrecy);
            let elem = schema.and_then(|s| s.elem.as_deref());
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(out, item, s, elem.map(|e| e.for_item(item)));
            }
            out.push(']');
        }
        Value::Map(_, entries) => {
            out.push('{');
            for (i, (k, e)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(k));
                out.push_str(": ");
                let cs = child_secrecy(schema, k, secrecy);
                write_display(out, e, cs, schema.and_then(|s| s.child(k)));
            }
            out.push('}');
        }
        Value::Str(s) if secrecy == Secrecy::Url => out.push_str(&quote(&redact_url(s))),
        Value::Str(s) => out.push_str(&quote(s)),
        other => out.push_str(&scalar_text(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_userinfo_password_and_query_are_removed() {
        assert_eq!(
            redact_url("https://u:p4ss@host/x?token=abc"),
            "https://u:<redacted>@host/x?<redacted>"
        );
        assert_eq!(redact_url("https://host/x"), "https://host/x");
    }

    #[test]
    fn digests_are_keyed_and_stable_per_key() {
        let a = Digester::from_material("k1");
        let b = Digester::from_material("k2");
        assert_eq!(a.digest("s3cret"), a.digest("s3cret"));
        assert_ne!(a.digest("s3cret"), b.digest("s3cret"));
        assert_ne!(
            Digester::ephemeral().digest("x"),
            Digester::ephemeral().digest("x")
        );
    }

    #[test]
    fn credential_like_names_in_free_form_maps_are_secret() {
        assert!(credential_like("apiToken"));
        assert!(credential_like("PRIVATE_KEY"));
        assert!(!credential_like("region"));
    }
}
