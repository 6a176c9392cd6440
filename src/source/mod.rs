//! Sources: fetching a target's deployed registry configuration and its `REGISTRY_*`
//! environment from where they live — a file, a program's output (`ssh host cat ...`,
//! `kubectl get ...`), a file at a ref of a local git checkout, or Kubernetes manifests.
//!
//! [`spec`] holds the `source:` and `env:` sections of a target in `regdrift.yml`; [`fetch`]
//! reads the configuration bytes (plus, for Kubernetes, the container's environment), and
//! [`fetch_env`] / [`collect_env`] combine every environment input into the environment the
//! registry process sees.
//!
//! # Invariants
//!
//! - Relative paths are relative to `base_dir`, the directory of `regdrift.yml`; labels and
//!   messages show them as written there.
//! - The configuration bytes are exactly what the source holds (no decoding, trimming or
//!   re-encoding; a Secret's base64 is decoded because the API stores it encoded).
//! - Nothing panics on any input, and nothing waits forever: programs have a timeout (see
//!   [`command`]). Every failure is a [`SourceError`] naming the object and what to do.
//! - Nothing is read from a live cluster or over the network by regdrift itself; a variable
//!   whose value would come from outside the manifests is reported as an [`EnvRef`], never
//!   guessed.
//! - Messages and labels never carry secrets: command lines and standard error are redacted.

pub mod base64;
pub mod command;
pub mod error;
pub mod git;
pub mod kubernetes;
pub mod spec;

use std::fmt;
use std::path::Path;

pub use error::SourceError;
pub use spec::{CommandSource, EnvDialect, EnvSpec, GitSource, KubernetesSource, SourceSpec};

use crate::registry::envfile::{self, Dialect, EnvSource, EnvVar, ParsedEnv};

/// Which kind of source produced a [`Fetched`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    File,
    Command,
    Git,
    Kubernetes,
}

/// What a source yielded for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The deployed configuration, byte for byte.
    pub bytes: Vec<u8>,
    /// Where it came from, for messages and report locations: the file path as written,
    /// `git:REPO@REF:PATH`, `command: ARGV...` (redacted) or
    /// `kubernetes:MANIFEST#ConfigMap/NAME:KEY`.
    pub label: String,
    /// The source kind.
    pub kind: SourceKind,
    /// Variables with known values from the Kubernetes container (service links, `envFrom` and
    /// `env`, in the order Kubernetes applies them; a later one wins); empty for other sources.
    pub env: Vec<EnvVar>,
    /// Kubernetes variables whose values are not in the manifests (see [`EnvRef`]).
    pub from_refs: Vec<EnvRef>,
    /// Things worth telling the user: what was chosen when there was a choice, what was
    /// skipped, what may surprise.
    pub notes: Vec<String>,
}

/// A Kubernetes variable whose value comes from outside the manifests and is not read
/// (regdrift does not talk to the cluster).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvRef {
    /// The variable; for `envFrom` the prefix followed by `*` (all keys of the object).
    pub name: String,
    /// `secretKeyRef`, `configMapKeyRef`, `fieldRef`, `resourceFieldRef`, `secretRef` and
    /// `configMapRef` (`envFrom`), `serviceLink` (a Service's link variable), or another
    /// `valueFrom` key as written.
    pub kind: String,
    /// `Secret/NAME`, `ConfigMap/NAME`, `Pod` (fieldRef), `Container/NAME` (resourceFieldRef),
    /// `Service/NAME`.
    pub object: String,
    /// The key in the object (`*` for `envFrom`), the field path, or the resource.
    pub key: String,
    /// `optional: true`: if the object or key is missing the variable is simply not set.
    pub optional: bool,
    /// The workload and container, e.g. `kubernetes Deployment/registry container/registry`.
    pub source: String,
}

impl fmt::Display for EnvRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.key == "*" {
            format!("all keys of {}", self.object)
        } else {
            format!("{} {}", self.object, self.key)
        };
        write!(
            f,
            "{} comes from {what} ({}{}; value not read)",
            self.name,
            self.kind,
            if self.optional { ", optional" } else { "" }
        )
    }
}

/// Reads the configuration a target's source points at. `base_dir` is the directory of
/// `regdrift.yml`.
pub fn fetch(spec: &SourceSpec, base_dir: &Path) -> Result<Fetched, SourceError> {
    let plain = |bytes: Vec<u8>, label: String, kind: SourceKind| Fetched {
        bytes,
        label,
        kind,
        env: Vec::new(),
        from_refs: Vec::new(),
        notes: Vec::new(),
    };
    match spec {
        SourceSpec::File(path) => {
            let resolved = base_dir.join(path);
            let bytes = std::fs::read(&resolved).map_err(|source| SourceError::FileRead {
                path: path.clone(),
                resolved,
                source,
            })?;
            Ok(plain(bytes, path.display().to_string(), SourceKind::File))
        }
        SourceSpec::Command(CommandSource { argv, timeout }) => {
            let bytes = command::run(argv, timeout, base_dir, "source.command.argv")?;
            let shown = command::display_command(argv);
            if bytes.is_empty() {
                return Err(SourceError::EmptyOutput { command: shown });
            }
            Ok(plain(
                bytes,
                format!("command: {shown}"),
                SourceKind::Command,
            ))
        }
        SourceSpec::Git(GitSource { repo, r#ref, path }) => {
            let bytes = git::read(repo, r#ref, path, base_dir)?;
            Ok(plain(bytes, git::label(repo, r#ref, path), SourceKind::Git))
        }
        SourceSpec::Kubernetes(spec) => kubernetes::fetch(spec, base_dir),
    }
}

/// A target's environment with what was learnt collecting it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectedEnv {
    /// The effective variables: last one wins, sorted by name ([`envfile::effective_env`]).
    pub vars: Vec<EnvVar>,
    /// Names an env file lists without a value (docker `NAME` form): the registry inherits
    /// them from whoever runs `docker run`, which regdrift cannot see.
    pub inherited: Vec<(String, EnvSource)>,
    /// Notes from the env readers (e.g. an `export` prefix the tool would not accept).
    pub notes: Vec<String>,
}

/// The environment the registry process sees, from every input of `spec` (see [`EnvSpec`] for
/// the order). Notes are dropped; use [`collect_env`] to keep them.
pub fn fetch_env(
    spec: &EnvSpec,
    base_dir: &Path,
    fetched: &Fetched,
) -> Result<Vec<EnvVar>, SourceError> {
    collect_env(spec, base_dir, fetched).map(|collected| collected.vars)
}

/// Like [`fetch_env`], keeping the readers' notes and the inherited names.
pub fn collect_env(
    spec: &EnvSpec,
    base_dir: &Path,
    fetched: &Fetched,
) -> Result<CollectedEnv, SourceError> {
    let mut parsed = ParsedEnv::default();
    if spec.from_kubernetes {
        if fetched.kind != SourceKind::Kubernetes {
            return Err(SourceError::NotKubernetes {
                label: fetched.label.clone(),
            });
        }
        parsed.vars.extend(fetched.env.iter().cloned());
    } else if !fetched.env.is_empty() || !fetched.from_refs.is_empty() {
        parsed.notes.push(format!(
            "{}: the container's environment is not used (set env.from_kubernetes: true to use \
             it)",
            fetched.label
        ));
    }
    let dialect = Dialect::from(spec.dialect);
    for file in &spec.files {
        let read = envfile::read_env_file(&base_dir.join(file), dialect).map_err(|source| {
            SourceError::Env {
                context: "env.files".to_owned(),
                source,
            }
        })?;
        parsed.append(read);
    }
    if let Some(argv) = &spec.command {
        parsed.append(command_env(argv, &spec.command_timeout, base_dir, dialect)?);
    }
    for (name, value) in &spec.vars {
        if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
            return Err(SourceError::VarName { name: name.clone() });
        }
        parsed.vars.push(EnvVar {
            name: name.clone(),
            value: value.clone(),
            source: EnvSource::Other {
                description: "regdrift.yml vars".to_owned(),
            },
        });
    }
    Ok(CollectedEnv {
        vars: envfile::effective_env(&parsed.vars),
        inherited: parsed.inherited,
        notes: parsed.notes,
    })
}

/// Runs `env.command` and parses its output as an env file; sources name the command and line.
fn command_env(
    argv: &[String],
    timeout: &str,
    base_dir: &Path,
    dialect: Dialect,
) -> Result<ParsedEnv, SourceError> {
    let output = command::run(argv, timeout, base_dir, "env.command")?;
    let shown = format!("command: {}", command::display_command(argv));
    let mut parsed =
        envfile::parse_env_file(&output, Path::new(&shown), dialect).map_err(|source| {
            SourceError::Env {
                context: "env.command".to_owned(),
                source,
            }
        })?;
    let relabel = |source: &mut EnvSource| {
        if let EnvSource::File { line, .. } = source {
            *source = EnvSource::Other {
                description: format!("{shown}, line {line}"),
            };
        }
    };
    for var in &mut parsed.vars {
        relabel(&mut var.source);
    }
    for (_, source) in &mut parsed.inherited {
        relabel(source);
    }
    Ok(parsed)
}
