//! `regdrift show`: the effective config of one registry, redacted, with provenance, then the
//! env outcomes, unknown keys, version notes and both hashes. The data is [`ShowReport`]
//! (serialised as JSON or YAML as is); [`render_text`] is the human rendering.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::error::Pos;
use crate::registry::decode::{StartupError, UnknownKey};
use crate::registry::effective::{Duplicate, EffectiveConfig, FlatEntry, VersionNote};
use crate::registry::env::{EnvOutcome, Outcome};
use crate::registry::redact::Digester;

/// Version of the JSON/YAML shape of [`ShowReport`].
pub const SHOW_SCHEMA_VERSION: u32 = 1;

/// Both hashes of a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    /// blake3 of the bytes read.
    pub raw: String,
    /// blake3 of the canonical effective config (secrets as keyed digests).
    pub effective: String,
    /// `REGDRIFT_DIGEST_KEY` when the digest key came from the environment, else `ephemeral`
    /// (secret digests, and the effective hash of a config with secrets, differ between runs).
    pub digest_key: String,
}

/// Everything `regdrift show` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowReport {
    pub schema_version: u32,
    pub source: String,
    pub registry_version: String,
    /// False when the registry would refuse to start or crash at start.
    pub would_start: bool,
    pub entries: Vec<FlatEntry>,
    pub env: Vec<EnvOutcome>,
    pub unknown_keys: Vec<UnknownKey>,
    pub version_notes: Vec<VersionNote>,
    pub duplicates: Vec<Duplicate>,
    pub ignored_documents: Vec<Pos>,
    pub startup_errors: Vec<StartupError>,
    pub hashes: Hashes,
    /// The canonical effective config (sorted, resolved, secrets as `secret:<digest>`).
    pub canonical: serde_json::Value,
}

impl ShowReport {
    pub fn new(cfg: &EffectiveConfig, digester: &Digester) -> ShowReport {
        ShowReport {
            schema_version: SHOW_SCHEMA_VERSION,
            source: cfg.source.clone(),
            registry_version: cfg.version.to_string(),
            would_start: cfg.would_start(),
            entries: cfg.flatten(digester),
            env: cfg.env.clone(),
            unknown_keys: cfg.unknown_keys.clone(),
            version_notes: cfg.version_notes.clone(),
            duplicates: cfg.duplicates.clone(),
            ignored_documents: cfg.ignored_documents.clone(),
            startup_errors: cfg.startup_errors.clone(),
            hashes: Hashes {
                raw: cfg.raw_hash.clone(),
                effective: cfg.effective_hash(digester),
                digest_key: if digester.ephemeral {
                    "ephemeral".into()
                } else {
                    "REGDRIFT_DIGEST_KEY".into()
                },
            },
            canonical: cfg.canonical(digester),
        }
    }
}

/// Terminal styling; all no-ops when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    pub fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
}

fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Applied {
            path,
            before,
            after,
            effect,
        } => {
            let verb = match effect {
                crate::registry::env::Effect::Set => "sets",
                crate::registry::env::Effect::Blanked => "BLANKS",
                crate::registry::env::Effect::Replaced => "REPLACES",
            };
            match before {
                Some(b) => format!("{verb} {path} = {after} (was {b})"),
                None => format!("{verb} {path} = {after}"),
            }
        }
        Outcome::Ignored { reason } => format!("ignored: {reason}"),
        Outcome::WouldCrash { path, reason } => {
            format!("WOULD CRASH the registry at start ({path}): {reason}")
        }
        Outcome::Nondeterministic { path, reason } => {
            format!("NONDETERMINISTIC ({path}): {reason}")
        }
    }
}

/// The human rendering of a show report.
pub fn render_text(r: &ShowReport, st: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} (registry {})",
        st.bold("Effective configuration of"),
        r.source,
        r.registry_version
    );
    if !r.would_start {
        let _ = writeln!(
            out,
            "{}",
            st.red("The registry would refuse to start with this configuration:")
        );
        for e in &r.startup_errors {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                e.origin.label(&r.source),
                e.path,
                e.message
            );
        }
        for e in &r.env {
            if let Outcome::WouldCrash { path, reason } = &e.outcome {
                let _ = writeln!(out, "  env {} ({path}): {reason}", e.var);
            }
        }
    }
    let width = r
        .entries
        .iter()
        .map(|e| e.path.len())
        .max()
        .unwrap_or(0)
        .min(48);
    let values: Vec<String> = r
        .entries
        .iter()
        .map(|e| match &e.digest {
            Some(d) => format!("{} (digest {d})", e.value),
            None if e.value == "null" => "(unset: removed)".to_string(),
            None => e.value.clone(),
        })
        .collect();
    let vwidth = values
        .iter()
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let _ = writeln!(out);
    for (e, value) in r.entries.iter().zip(&values) {
        let _ = writeln!(
            out,
            "  {:width$}  {:vwidth$}  {}",
            e.path,
            value,
            st.dim(&e.origin.label(&r.source))
        );
    }
    if !r.env.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            st.bold("Environment overrides (applied in this order)")
        );
        for e in &r.env {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                e.var,
                e.source,
                outcome_text(&e.outcome)
            );
        }
    }
    if !r.unknown_keys.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            st.bold("Unknown keys (the registry silently ignores them)")
        );
        for u in &r.unknown_keys {
            let hint = u
                .suggestion
                .as_ref()
                .map(|s| format!("; did you mean {s:?}?"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}:{} {}{}",
                r.source,
                u.pos,
                st.yellow(&u.path),
                hint
            );
        }
    }
    if !r.version_notes.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            st.bold(&format!(
                "Keys that registry {} does not have (ignored)",
                r.registry_version
            ))
        );
        for n in &r.version_notes {
            let _ = writeln!(
                out,
                "  {}:{} {} (exists in {})",
                r.source, n.pos, n.path, n.exists_in
            );
        }
    }
    if !r.duplicates.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            st.bold("Duplicate keys (the last one wins; struct sections merge)")
        );
        for d in &r.duplicates {
            let _ = writeln!(
                out,
                "  {}:{} {} (first at line {})",
                r.source, d.last, d.path, d.first.line
            );
        }
    }
    for p in &r.ignored_documents {
        let _ = writeln!(
            out,
            "\n{}:{} a second YAML document starts here: the registry ignores it",
            r.source, p
        );
    }
    let _ = writeln!(out, "\n{}", st.bold("Hashes"));
    let _ = writeln!(out, "  raw        blake3:{}", r.hashes.raw);
    let _ = writeln!(
        out,
        "  effective  blake3:{} (digest key: {})",
        r.hashes.effective, r.hashes.digest_key
    );
    out
}
