//! [`SourceError`]: why a target's deployed configuration or environment could not be fetched.
//!
//! Every message names the object as written in `regdrift.yml` (a path, a command line, a
//! `repo@ref:path`, a manifest file and object) and says what to do. Values that may be secret
//! are never quoted: command lines and standard error are redacted (see `command`).

use std::io;
use std::path::PathBuf;

use crate::baseline::TrustError;
use crate::registry::envfile::EnvFileError;

/// Why a source could not be read. One target's error does not stop the others: the caller
/// records it for that target.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A `file` source could not be read.
    #[error(
        "cannot read {path}{}: {source}; check the path (relative to the directory of \
         regdrift.yml) and its permissions",
        resolved_suffix(path, resolved)
    )]
    FileRead {
        path: PathBuf,
        resolved: PathBuf,
        source: io::Error,
    },

    /// A command source or env command with an empty `argv`.
    #[error(
        "{field}: the command is empty; give the program and its arguments, e.g. [ssh, reg1, cat, \
         /etc/distribution/config.yml]"
    )]
    EmptyCommand { field: &'static str },

    /// A timeout that is not a positive Go duration.
    #[error(
        "command `{command}`: timeout `{timeout}` is not a positive duration; write it as a Go \
         duration such as 10s, 500ms or 1m30s"
    )]
    InvalidTimeout { command: String, timeout: String },

    /// The program could not be started.
    #[error(
        "command `{command}`: cannot run `{program}`: {source}; install it or give its full path \
         as the first element of argv"
    )]
    Spawn {
        command: String,
        program: String,
        source: io::Error,
    },

    /// Reading the program's output or waiting for it failed.
    #[error("command `{command}`: {action} failed: {source}; run the command by hand to check it")]
    CommandIo {
        command: String,
        action: &'static str,
        source: io::Error,
    },

    /// The program ran longer than its timeout and was killed.
    #[error("command `{command}` did not finish within {timeout}; check the host or raise timeout")]
    Timeout { command: String, timeout: String },

    /// The program exited unsuccessfully.
    #[error(
        "command `{command}` failed ({status}){}; run it by hand to see why",
        stderr_suffix(stderr)
    )]
    CommandFailed {
        command: String,
        status: String,
        /// The start of standard error, redacted.
        stderr: String,
    },

    /// The program printed more than the limit on standard output.
    #[error(
        "command `{command}` printed more than {limit_mib} MiB on standard output; make it print \
         only the registry configuration"
    )]
    OutputTooLarge { command: String, limit_mib: usize },

    /// A configuration command printed nothing.
    #[error(
        "command `{command}` succeeded but printed nothing; check that it prints the \
         configuration (a kubectl jsonpath that matches nothing prints nothing)"
    )]
    EmptyOutput { command: String },

    /// The repository could not be opened, the ref resolved, or git failed.
    #[error("git source {label}: {source}")]
    Git {
        label: String,
        #[source]
        source: Box<TrustError>,
    },

    /// The path of a git source is absolute, empty or uses `..`.
    #[error(
        "git source {label}: `{path}` is not a path inside the repository; give it relative to \
         the repository root, without `..`"
    )]
    GitPath { label: String, path: String },

    /// Nothing, or not a file, at the path at that ref.
    #[error(
        "git source {label}: {path} {problem} at `{rev}` (commit {commit}); give the path, \
         relative to the repository root, of a file committed at that ref"
    )]
    GitFile {
        label: String,
        path: String,
        problem: String,
        rev: String,
        commit: String,
    },

    /// A manifest file or directory could not be read.
    #[error(
        "cannot read kubernetes manifests {path}{}: {source}; check the path (relative to the \
         directory of regdrift.yml) and its permissions",
        resolved_suffix(path, resolved)
    )]
    ManifestRead {
        path: PathBuf,
        resolved: PathBuf,
        source: io::Error,
    },

    /// A manifest document is not valid YAML or JSON, or an object in it is malformed.
    #[error("{path}: {problem}; {fix}")]
    Manifest {
        /// The manifest file, as written (a directory's file is joined to it).
        path: PathBuf,
        problem: String,
        fix: String,
    },

    /// The manifests do not determine the configuration or the container unambiguously.
    #[error("kubernetes manifests {manifests}: {problem}; {fix}")]
    Kubernetes {
        manifests: PathBuf,
        problem: String,
        fix: String,
    },

    /// An env file or the output of an env command could not be parsed.
    #[error("{context}: {source}")]
    Env {
        /// `env.files` or `env.command`.
        context: String,
        #[source]
        source: EnvFileError,
    },

    /// An inline variable with a name no process environment can hold.
    #[error(
        "env.vars: `{name}` is not a valid variable name; use letters, digits and _, without `=`"
    )]
    VarName { name: String },

    /// `env.from_kubernetes` with a source that is not `kubernetes`.
    #[error(
        "env.from_kubernetes is set but the source is {label}, not kubernetes manifests; remove \
         from_kubernetes or use a kubernetes source"
    )]
    NotKubernetes { label: String },
}

fn resolved_suffix(path: &std::path::Path, resolved: &std::path::Path) -> String {
    if path == resolved {
        String::new()
    } else {
        format!(" ({})", resolved.display())
    }
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        "; it printed nothing on standard error".to_owned()
    } else {
        format!("; standard error: {stderr}")
    }
}
