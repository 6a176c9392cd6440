//! The `source:` and `env:` sections of a target in `regdrift.yml`: where a target's deployed
//! registry configuration and its `REGISTRY_*` environment come from.
//!
//! These types are pure data, deserialised strictly (`deny_unknown_fields`, so a misspelt key is
//! an error naming it) and described by their doc comments in the JSON Schema of `regdrift.yml`.
//! Relative paths are relative to the directory holding `regdrift.yml`; nothing here touches the
//! filesystem, the reading is done by [`super::fetch`] and [`super::fetch_env`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::registry::envfile::Dialect;

/// Where a target's deployed registry configuration comes from: exactly one of `file`,
/// `command`, `git` or `kubernetes`.
///
/// ```yaml
/// source: {file: /etc/distribution/config.yml}
/// source: {command: {argv: [ssh, reg1, cat, /etc/distribution/config.yml], timeout: 10s}}
/// source: {git: {repo: ../gitops, ref: main, path: registry/config.yml}}
/// source: {kubernetes: {manifests: k8s/registry.yaml}}
/// ```
///
/// (De)serialised as a map with one key, the kind, in any serde format. serde_yaml 0.9 reads a
/// derived enum only from a YAML tag (`!file ...`), so the impls go through
/// `serde_yaml::with::singleton_map`, which adapts any deserializer.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceSpec {
    /// A configuration file readable on this machine, e.g. `file: /etc/distribution/config.yml`
    /// (a relative path is relative to the directory of regdrift.yml).
    File(PathBuf),
    /// A program whose standard output is the configuration, e.g.
    /// `command: {argv: [ssh, reg1, cat, /etc/distribution/config.yml], timeout: 10s}`.
    Command(CommandSource),
    /// A file at a ref of a local git checkout (a GitOps repository), e.g.
    /// `git: {repo: ../gitops, ref: main, path: registry/config.yml}`.
    Git(GitSource),
    /// Kubernetes manifests, e.g. `kubernetes: {manifests: k8s/registry.yaml}`.
    Kubernetes(KubernetesSource),
}

/// The serde representation of [`SourceSpec`] (same shape, derived).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SourceRepr {
    File(PathBuf),
    Command(CommandSource),
    Git(GitSource),
    Kubernetes(KubernetesSource),
}

impl Serialize for SourceSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = match self.clone() {
            SourceSpec::File(path) => SourceRepr::File(path),
            SourceSpec::Command(c) => SourceRepr::Command(c),
            SourceSpec::Git(g) => SourceRepr::Git(g),
            SourceSpec::Kubernetes(k) => SourceRepr::Kubernetes(k),
        };
        serde_yaml::with::singleton_map::serialize(&repr, serializer)
    }
}

impl<'de> Deserialize<'de> for SourceSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr: SourceRepr = serde_yaml::with::singleton_map::deserialize(deserializer)?;
        Ok(match repr {
            SourceRepr::File(path) => SourceSpec::File(path),
            SourceRepr::Command(c) => SourceSpec::Command(c),
            SourceRepr::Git(g) => SourceSpec::Git(g),
            SourceRepr::Kubernetes(k) => SourceSpec::Kubernetes(k),
        })
    }
}

/// `source: {command: {argv: [...], timeout: 10s}}`: a program whose standard output is the
/// configuration. Typical programs: `ssh host cat ...`, `kubectl get configmap registry -o
/// jsonpath={.data.config\.yml}`, `docker exec registry cat ...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct CommandSource {
    /// The program and its arguments, run directly (no shell: no globbing, pipes or `$VAR`),
    /// with standard input closed and the directory of regdrift.yml as working directory. A
    /// program given with a relative path containing `/` is relative to that directory.
    pub argv: Vec<String>,
    /// How long the program may run, as a Go duration (`10s`, `1m30s`); it is killed after
    /// that. Default `30s`.
    #[serde(default = "default_timeout")]
    pub timeout: String,
}

/// `source: {git: {repo: ../gitops, ref: main, path: registry/config.yml}}`: a file read from
/// the committed objects at a ref, never from the working copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct GitSource {
    /// The top directory of the working copy, or a bare repository (relative to the directory
    /// of regdrift.yml). Not searched upwards.
    pub repo: PathBuf,
    /// A branch, tag, commit id or any revision git accepts. Default `HEAD`.
    #[serde(rename = "ref", default = "default_ref")]
    pub r#ref: String,
    /// The file's path relative to the repository root, `/`-separated, without `..`.
    pub path: String,
}

/// `source: {kubernetes: {manifests: k8s/registry.yaml}}`, or with everything named:
/// `kubernetes: {manifests: k8s/, workload: registry, container: registry, config_map:
/// registry-config, key: config.yml, namespace: registry}`. The configuration is a key of a
/// ConfigMap or Secret (Secret `data` is base64, `stringData` plain), and the container's
/// environment is collected too. Nothing is read from a cluster: a variable taken from a Secret
/// or ConfigMap that is not in the manifests is reported as a reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct KubernetesSource {
    /// A manifest file, or a directory whose `.yaml`, `.yml` and `.json` files (not its
    /// subdirectories, as `kubectl apply -f DIR`) are read; multi-document YAML and `kind:
    /// List` are understood.
    pub manifests: PathBuf,
    /// The name of the ConfigMap or Secret holding the configuration. Default: the one the
    /// workload mounts at the registry's configuration path, else the only ConfigMap or Secret
    /// that has `key`.
    #[serde(default)]
    pub config_map: Option<String>,
    /// The key holding the configuration, used with `config_map` and when the object is not
    /// found through the workload's mounts (a mount names its own key). Default `config.yml`.
    #[serde(default = "default_key")]
    pub key: String,
    /// The name of the Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod
    /// running the registry. Default: the only workload, else the only one with a container
    /// whose image contains `registry` or `distribution`.
    #[serde(default)]
    pub workload: Option<String>,
    /// The registry container's name. Default: the first container whose image contains
    /// `registry` or `distribution`, else the only container.
    #[serde(default)]
    pub container: Option<String>,
    /// Only objects in this namespace (objects without `metadata.namespace` always match).
    #[serde(default)]
    pub namespace: Option<String>,
}

impl KubernetesSource {
    /// A source reading `manifests` with every choice left to the defaults.
    pub fn new(manifests: impl Into<PathBuf>) -> Self {
        KubernetesSource {
            manifests: manifests.into(),
            config_map: None,
            key: default_key(),
            workload: None,
            container: None,
            namespace: None,
        }
    }
}

/// Where a target's `REGISTRY_*` environment comes from. All parts are optional and combined in
/// this order, a later value of a variable replacing an earlier one: the kubernetes container's
/// environment (`from_kubernetes`), `files` in order, the output of `command`, then `vars`.
///
/// ```yaml
/// env:
///   files: [/etc/distribution/registry.env]
///   dialect: systemd
///   command: [ssh, reg1, cat, /etc/distribution/registry.env]
///   vars: {REGISTRY_LOG_LEVEL: info}
/// env: {from_kubernetes: true}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct EnvSpec {
    /// Env files (relative to the directory of regdrift.yml), read with `dialect`.
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// How `files` and the output of `command` are read: `docker` (`docker run --env-file`,
    /// values literal) or `systemd` (`EnvironmentFile=`, quotes and escapes). Default `docker`.
    #[serde(default)]
    pub dialect: EnvDialect,
    /// Variables given inline.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// A program (argv, no shell) printing `KEY=VALUE` lines, e.g. `[ssh, reg1, cat,
    /// /etc/distribution/registry.env]` or `[docker, exec, registry, env]`.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// How long `command` may run, as a Go duration. Default `30s`.
    #[serde(default = "default_timeout")]
    pub command_timeout: String,
    /// Take the environment of the container found by the `kubernetes` source (values from the
    /// manifests; references to objects that are not in them are reported, not resolved).
    #[serde(default)]
    pub from_kubernetes: bool,
}

impl Default for EnvSpec {
    fn default() -> Self {
        EnvSpec {
            files: Vec::new(),
            dialect: EnvDialect::default(),
            vars: BTreeMap::new(),
            command: None,
            command_timeout: default_timeout(),
            from_kubernetes: false,
        }
    }
}

/// Which tool's rules env files are read with (see `registry::envfile`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EnvDialect {
    /// `docker run --env-file`: everything after the first `=` is the value, literally.
    #[default]
    Docker,
    /// systemd `EnvironmentFile=`: quotes, escapes, comments with `#` or `;`.
    Systemd,
}

impl From<EnvDialect> for Dialect {
    fn from(dialect: EnvDialect) -> Self {
        match dialect {
            EnvDialect::Docker => Dialect::Docker,
            EnvDialect::Systemd => Dialect::Systemd,
        }
    }
}

/// The default command timeout.
pub const DEFAULT_TIMEOUT: &str = "30s";

fn default_timeout() -> String {
    DEFAULT_TIMEOUT.to_owned()
}

fn default_ref() -> String {
    "HEAD".to_owned()
}

/// The default ConfigMap or Secret key of the configuration.
pub const DEFAULT_KEY: &str = "config.yml";

fn default_key() -> String {
    DEFAULT_KEY.to_owned()
}
