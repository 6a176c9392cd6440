//! Typed error kinds of the library. Every message names the object (file, line and column,
//! or variable) and says what to do; the binary adds context and maps kinds to exit status 2.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A position in a source file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Why a registry configuration could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadErrorKind {
    /// Larger than the configured size limit.
    TooLarge,
    /// Not UTF-8 text.
    NotUtf8,
    /// Binary data (NUL or other control bytes).
    Binary,
    /// Nothing but whitespace and comments.
    Empty,
    /// The YAML parser rejected the text.
    Syntax,
    /// Alias expansion exceeded the bound.
    AliasBomb,
    /// Nesting deeper than the bound.
    TooDeep,
    /// The top level is not a mapping.
    NotMapping,
    /// `version` is missing or not `0.1`: the registry refuses to start.
    Version,
    /// The file could not be read.
    Io,
}

/// An error loading a registry configuration, with where it happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct LoadError {
    pub kind: LoadErrorKind,
    /// The file (or other source label) being loaded.
    pub source_name: String,
    pub pos: Option<Pos>,
    pub message: String,
    /// What the user should do about it.
    pub hint: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}: {}", self.source_name, p, self.message)?,
            None => write!(f, "{}: {}", self.source_name, self.message)?,
        }
        if !self.hint.is_empty() {
            write!(f, " ({})", self.hint)?;
        }
        Ok(())
    }
}

/// Errors of the library's top-level operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    EnvFile(#[from] crate::registry::envfile::EnvFileError),
    #[error("{0}")]
    Usage(String),
}
