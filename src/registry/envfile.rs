//! Environment collection: the variables a distribution/distribution registry process would see,
//! gathered from what a regdrift user can point at — an env file (`--env-file F`), repeated
//! `--env KEY=VALUE` arguments, and a live process (`--env-from-pid PID`, Linux
//! `/proc/PID/environ`).
//!
//! # Invariants
//!
//! - Nothing here panics, whatever bytes it is given; every rejection is an [`EnvFileError`] whose
//!   message names where the problem is (file and 1-based line, `--env` argument, or pid), what is
//!   wrong, and what to do about it.
//! - A value is exactly the string the registry process would receive from the tool that reads the
//!   file (no trimming, unquoting or escaping beyond what that tool does). `NAME=` is a real empty
//!   value, never "absent".
//! - Variables are returned in input order with their [`EnvSource`]; for files the line is the line
//!   on which the assignment starts. Resolving duplicates is left to [`effective_env`], which keeps
//!   the last one, as `docker run` and systemd both do.
//! - Everything is split at the FIRST `=`: names never contain `=`, values may.
//! - A line that the real tool would reject, or would silently drop, is an error here rather than a
//!   guess, so regdrift never reports a variable the registry does not have (or misses one it has
//!   because a line was misread). Things the tool accepts but that are probably not meant are kept
//!   and explained in [`ParsedEnv::notes`].
//!
//! # Dialects (decision)
//!
//! `docker run --env-file` and systemd's `EnvironmentFile=` read the same-looking files
//! differently, and no file says which one it was written for, so the caller picks a [`Dialect`].
//! [`Dialect::Docker`] is the default because a containerised registry is the common deployment
//! and because its rules are the literal ones: what you see after `=` is what the process gets.
//!
//! [`Dialect::Docker`] follows docker/cli `pkg/kvfile`:
//! - lines are split at `\n`, a trailing `\r` is dropped, a UTF-8 byte-order mark on the first line
//!   is dropped, and every line must be valid UTF-8 (comments included);
//! - leading whitespace is removed; empty lines and lines starting with `#` are skipped (`;` is NOT
//!   a comment for docker — such a line is an error here);
//! - `NAME=VALUE`: the value is everything after the first `=`, literally: quotes, backslashes,
//!   `#` and trailing whitespace are all part of it (a note points out quoted values and trailing
//!   whitespace, which are usually written for a shell or systemd);
//! - a bare `NAME` means "copy NAME from the environment of whoever runs `docker run`", which
//!   regdrift cannot see: it is returned in [`ParsedEnv::inherited`], not as a value;
//! - names may not be empty or contain spaces or tabs (docker rejects those); other names docker
//!   passes through unchanged, with a note when the name is not a portable `[A-Za-z_][A-Za-z0-9_]*`.
//!
//! [`Dialect::Systemd`] follows systemd's `parse_env_file_internal` (src/basic/env-file.c) and the
//! name check applied before the service starts:
//! - `#` or `;` as the first non-blank character of a line starts a comment;
//! - whitespace around the name and around an unquoted value is removed; `\r` ends a line like
//!   `\n`, so CRLF files read as expected;
//! - at the start of a value (or right after a closing quote) `'...'` is taken verbatim and
//!   `"..."` removes the quotes and un-escapes `\"`, `\\`, `` \` `` and `\$`; any other backslash
//!   pair, `\n` included, is kept as the two characters, exactly as systemd does; quoted values may
//!   span lines and adjacent quoted/unquoted parts are concatenated (`A="x" 'y'` is `xy`);
//! - outside quotes a backslash takes the next character literally, and a backslash at the end of
//!   a line joins the next line (nothing is inserted between them);
//! - no `$VAR` expansion (`EnvironmentFile=` does not expand);
//! - a name must be letters, digits and `_`, not starting with a digit (systemd ignores the
//!   assignment otherwise); a line without `=` is ignored by systemd; an unterminated quote makes
//!   systemd swallow the rest of the file: all three are errors here.
//!
//! In both dialects an `export ` prefix (common in files also `source`d by a shell) is accepted and
//! stripped with a note, although docker rejects such a line and systemd ignores it: the note says
//! so, because then the registry does NOT see that variable. A NUL byte anywhere is an error.
//!
//! # Processes
//!
//! `/proc/PID/environ` is the NUL-separated environment the process was started with (later
//! `setenv` calls are not reflected; the registry makes none for its configuration). Entries that
//! are not UTF-8, have no `=` or have an empty name are skipped with a note. When a name repeats,
//! the FIRST entry is kept and the others are noted and dropped, because Go's `os.Getenv` and
//! `os.Environ` (which the registry's environment overlay reads) use the first occurrence.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Where a variable came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EnvSource {
    /// An env file; `line` is the 1-based line on which the assignment starts.
    File { path: PathBuf, line: u32 },
    /// A `--env KEY=VALUE` argument.
    Cli,
    /// The environment of a running process.
    Process { pid: u32 },
    /// A variable injected by another tool (kubernetes manifest, command); `description` says where.
    Other { description: String },
}

impl fmt::Display for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvSource::File { path, line } => write!(f, "{}:{line}", path.display()),
            EnvSource::Cli => f.write_str("--env"),
            EnvSource::Process { pid } => write!(f, "process {pid}"),
            EnvSource::Other { description } => f.write_str(description),
        }
    }
}

/// One environment variable with a known value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub source: EnvSource,
}

/// Which tool's rules an env file is read with. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// `docker run --env-file`: values are literal, a bare `NAME` is inherited.
    #[default]
    Docker,
    /// systemd `EnvironmentFile=`: quotes, escapes and line continuations.
    Systemd,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dialect::Docker => f.write_str("docker"),
            Dialect::Systemd => f.write_str("systemd"),
        }
    }
}

/// Why an environment input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    /// The env file could not be read at all.
    #[error(
        "cannot read env file {}: {source}; check the --env-file path and its permissions",
        path.display()
    )]
    Read { path: PathBuf, source: io::Error },
    /// A line the reading tool would reject or silently drop.
    #[error("{}:{line}: {problem}; {fix}", path.display())]
    Invalid {
        path: PathBuf,
        line: u32,
        problem: String,
        fix: String,
    },
    /// The file is not UTF-8.
    #[error(
        "{}:{line}: not valid UTF-8; env files must be UTF-8, re-save the file as UTF-8",
        path.display()
    )]
    NotUtf8 { path: PathBuf, line: u32 },
    /// A malformed `--env` argument.
    #[error("--env {arg:?}: {problem}; --env expects KEY=VALUE")]
    Cli { arg: String, problem: String },
    /// `/proc/PID/environ` does not exist.
    #[error(
        "no process {pid}: /proc/{pid}/environ does not exist; check the pid (--env-from-pid needs \
         Linux /proc), and if /proc is mounted with hidepid= run regdrift as the process's user or \
         as root"
    )]
    ProcessNotFound { pid: u32 },
    /// `/proc/PID/environ` exists but may not be read by this user.
    #[error(
        "cannot read the environment of process {pid} (/proc/{pid}/environ): permission denied; \
         run regdrift as the process's user or as root"
    )]
    ProcessDenied { pid: u32, source: io::Error },
    /// Any other failure reading `/proc/PID/environ`.
    #[error(
        "cannot read the environment of process {pid} (/proc/{pid}/environ): {source}; check that \
         the process is still running, and run regdrift as the process's user or as root"
    )]
    ProcessRead { pid: u32, source: io::Error },
}

/// Result of parsing: the variables in file order, plus names listed without a value (docker `KEY`
/// form) and notes (e.g. `export` stripped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedEnv {
    pub vars: Vec<EnvVar>,
    pub inherited: Vec<(String, EnvSource)>,
    pub notes: Vec<String>,
}

impl ParsedEnv {
    /// Appends `other` after `self` (later inputs override earlier ones in [`effective_env`]).
    pub fn append(&mut self, other: ParsedEnv) {
        self.vars.extend(other.vars);
        self.inherited.extend(other.inherited);
        self.notes.extend(other.notes);
    }
}

/// True for a portable variable name: `[A-Za-z_][A-Za-z0-9_]*`. This is also exactly the set of
/// names systemd accepts.
pub fn is_portable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses the contents of an env file read with `dialect`. `path` is only used in sources,
/// notes and errors.
pub fn parse_env_file(
    text: &[u8],
    path: &Path,
    dialect: Dialect,
) -> Result<ParsedEnv, EnvFileError> {
    if let Some(pos) = text.iter().position(|&b| b == 0) {
        let line = line_of(text, pos);
        return Err(invalid(
            path,
            line,
            "the line contains a NUL byte".to_string(),
            "remove it (an environment value cannot contain NUL)",
        ));
    }
    let mut out = ParsedEnv::default();
    match dialect {
        Dialect::Docker => parse_docker(text, path, &mut out)?,
        Dialect::Systemd => parse_systemd(text, path, &mut out)?,
    }
    Ok(out)
}

/// Reads and parses an env file.
pub fn read_env_file(path: &Path, dialect: Dialect) -> Result<ParsedEnv, EnvFileError> {
    let bytes = std::fs::read(path).map_err(|source| EnvFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_env_file(&bytes, path, dialect)
}

/// Parses one `--env KEY=VALUE` argument, split at the first `=`.
pub fn parse_cli_env(arg: &str) -> Result<EnvVar, EnvFileError> {
    let cli_err = |problem: String| EnvFileError::Cli {
        arg: masked(arg),
        problem,
    };
    let Some((name, value)) = arg.split_once('=') else {
        return Err(cli_err(
            "there is no \"=\" (regdrift cannot see the registry's own environment, so a bare \
             name cannot be resolved)"
                .to_string(),
        ));
    };
    if name.is_empty() {
        return Err(cli_err("the variable name is empty".to_string()));
    }
    if !is_portable_name(name) {
        return Err(cli_err(format!(
            "{name:?} is not a valid variable name (use letters, digits and _, not starting with a \
             digit)"
        )));
    }
    if value.contains('\0') {
        return Err(cli_err("the value contains a NUL byte".to_string()));
    }
    Ok(EnvVar {
        name: name.to_string(),
        value: value.to_string(),
        source: EnvSource::Cli,
    })
}

/// Parses the contents of `/proc/PID/environ` (NUL-separated `KEY=VALUE` entries). Bad entries are
/// skipped with a note naming their 0-based index; a repeated name keeps its first entry, as Go's
/// `os.Getenv` does. Never fails; the `Result` keeps the signature uniform with the other readers.
pub fn parse_proc_environ(bytes: &[u8], pid: u32) -> Result<ParsedEnv, EnvFileError> {
    let mut out = ParsedEnv::default();
    let mut seen: HashSet<String> = HashSet::new();
    for (index, entry) in bytes.split(|&b| b == 0).enumerate() {
        if entry.is_empty() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(entry) else {
            let name_part = entry.split(|&b| b == b'=').next().unwrap_or_default();
            out.notes.push(format!(
                "process {pid}: environment entry at index {index} ({}) is not valid UTF-8; \
                 skipped",
                String::from_utf8_lossy(name_part)
            ));
            continue;
        };
        let Some((name, value)) = text.split_once('=') else {
            out.notes.push(format!(
                "process {pid}: environment entry at index {index} ({}) has no \"=\"; skipped",
                masked(text)
            ));
            continue;
        };
        if name.is_empty() {
            out.notes.push(format!(
                "process {pid}: environment entry at index {index} ({}) has no variable name; \
                 skipped",
                masked(text)
            ));
            continue;
        }
        if !seen.insert(name.to_string()) {
            out.notes.push(format!(
                "process {pid}: environment entry at index {index} repeats {name}; the registry \
                 (Go os.Getenv) uses the first {name}, so this one is ignored"
            ));
            continue;
        }
        out.vars.push(EnvVar {
            name: name.to_string(),
            value: value.to_string(),
            source: EnvSource::Process { pid },
        });
    }
    Ok(out)
}

/// Reads `/proc/PID/environ` and parses it with [`parse_proc_environ`].
pub fn read_proc_environ(pid: u32) -> Result<ParsedEnv, EnvFileError> {
    let path = PathBuf::from(format!("/proc/{pid}/environ"));
    let bytes = std::fs::read(&path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => EnvFileError::ProcessNotFound { pid },
        io::ErrorKind::PermissionDenied => EnvFileError::ProcessDenied { pid, source },
        _ => EnvFileError::ProcessRead { pid, source },
    })?;
    let mut parsed = parse_proc_environ(&bytes, pid)?;
    if bytes.is_empty() {
        parsed.notes.push(format!(
            "process {pid} has an empty environment (a zombie or kernel thread has none; a \
             process owned by another user may also read as empty)"
        ));
    }
    Ok(parsed)
}

/// Environment as the process sees it: later entries with the same name override earlier ones
/// (last wins), returned sorted by name byte-wise (the order the registry applies them in). Keeps
/// the source of the winner.
pub fn effective_env(vars: &[EnvVar]) -> Vec<EnvVar> {
    let mut by_name: BTreeMap<&str, &EnvVar> = BTreeMap::new();
    for var in vars {
        by_name.insert(var.name.as_str(), var);
    }
    by_name.into_values().cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by both dialects.

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

fn to_line(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// 1-based line of byte offset `pos`.
fn line_of(text: &[u8], pos: usize) -> u32 {
    let end = pos.min(text.len());
    to_line(text[..end].iter().filter(|&&b| b == b'\n').count() + 1)
}

/// The text of 1-based `line`, trimmed and shortened, for quoting in messages.
fn line_text(text: &[u8], line: u32) -> String {
    let index = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
    let raw = text.split(|&b| b == b'\n').nth(index).unwrap_or_default();
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    masked(String::from_utf8_lossy(raw).trim())
}

/// A line as it may be quoted in a message: its value is never shown (it may be a secret),
/// only the name before `=`; a line without `=` is shown only if it looks like a name.
fn masked(s: &str) -> String {
    match s.split_once('=') {
        Some((k, _)) => format!("{}=…", shorten(k)),
        None if s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ';' || c == ' ') =>
        {
            s.to_string()
        }
        None => format!("<a line of {} characters>", s.chars().count()),
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

fn invalid(path: &Path, line: u32, problem: String, fix: &str) -> EnvFileError {
    EnvFileError::Invalid {
        path: path.to_path_buf(),
        line,
        problem,
        fix: fix.to_string(),
    }
}

fn not_utf8(path: &Path, line: u32) -> EnvFileError {
    EnvFileError::NotUtf8 {
        path: path.to_path_buf(),
        line,
    }
}

fn file_source(path: &Path, line: u32) -> EnvSource {
    EnvSource::File {
        path: path.to_path_buf(),
        line,
    }
}

/// Splits `export NAME` into `NAME` when the key starts with `export` and blanks.
fn strip_export(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("export")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    (!rest.is_empty()).then_some(rest)
}

// ---------------------------------------------------------------------------------------------
// Docker: docker/cli pkg/kvfile.

fn parse_docker(text: &[u8], path: &Path, out: &mut ParsedEnv) -> Result<(), EnvFileError> {
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = to_line(index + 1);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(mut s) = std::str::from_utf8(raw) else {
            return Err(not_utf8(path, line));
        };
        if index == 0 {
            s = s.strip_prefix('\u{feff}').unwrap_or(s);
        }
        let t = s.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let here = || format!("{}:{line}", path.display());
        if t.starts_with(';') {
            return Err(invalid(
                path,
                line,
                format!(
                    "{:?} starts with \";\", which docker run --env-file does not treat as a comment",
                    masked(t)
                ),
                "start comments with \"#\", or read the file with the systemd dialect if systemd \
                 reads it",
            ));
        }
        let (mut key, value) = match t.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (t, None),
        };
        if let Some(stripped) = strip_export(key) {
            out.notes.push(format!(
                "{}: stripped \"export \" before {stripped}; docker run --env-file would reject \
                 this line (the name \"{key}\" contains whitespace), so the registry does not get \
                 {stripped} from it — remove \"export \" from the file",
                here()
            ));
            key = stripped;
        }
        if key.is_empty() {
            return Err(invalid(
                path,
                line,
                format!("{:?} has no variable name", masked(t)),
                "write NAME=VALUE",
            ));
        }
        if key.contains([' ', '\t']) {
            return Err(invalid(
                path,
                line,
                // Only the first word: what follows the space may be a value (a secret).
                format!(
                    "variable name {:?} is followed by whitespace and more text, which docker run \
                     --env-file rejects",
                    shorten(key.split_whitespace().next().unwrap_or(""))
                ),
                "write NAME=VALUE with no spaces in the name or before \"=\"",
            ));
        }
        if !is_portable_name(key) {
            out.notes.push(format!(
                "{}: {key:?} is not a portable variable name (letters, digits and _, not starting \
                 with a digit); docker passes it through, but the registry only reads REGISTRY_* \
                 names",
                here()
            ));
        }
        let source = file_source(path, line);
        let Some(value) = value else {
            out.inherited.push((key.to_string(), source));
            continue;
        };
        let quoted = value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')));
        if quoted {
            out.notes.push(format!(
                "{}: the value of {key} keeps its quotes (they are part of the value), because docker run \
                 --env-file takes values literally; remove the quotes, or use the systemd dialect \
                 if systemd reads this file",
                here()
            ));
        }
        if value.ends_with(char::is_whitespace) {
            out.notes.push(format!(
                "{}: the value of {key} ends with whitespace, which docker run --env-file keeps",
                here()
            ));
        }
        out.vars.push(EnvVar {
            name: key.to_string(),
            value: value.to_string(),
            source,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// systemd: src/basic/env-file.c parse_env_file_internal, byte for byte.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    PreKey,
    Key,
    PreValue,
    Value,
    ValueEscape,
    SingleQuote,
    DoubleQuote,
    DoubleQuoteEscape,
    Comment,
    CommentEscape,
}

fn is_sd_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_sd_newline(c: u8) -> bool {
    matches!(c, b'\n' | b'\r')
}

/// systemd's SHELL_NEED_ESCAPE: the characters `\` un-escapes inside double quotes.
fn is_sd_shell_escape(c: u8) -> bool {
    matches!(c, b'"' | b'\\' | b'`' | b'$')
}

struct SystemdParser<'a> {
    text: &'a [u8],
    path: &'a Path,
    key: Vec<u8>,
    /// Start of the trailing whitespace run of `key`, if any.
    key_ws: Option<usize>,
    value: Vec<u8>,
    /// Start of the trailing whitespace run of an unquoted `value`, if any.
    value_ws: Option<usize>,
    start_line: u32,
    quote_line: u32,
}

impl SystemdParser<'_> {
    fn quoted_line(&self) -> String {
        line_text(self.text, self.start_line)
    }

    fn key_error(&self, no_equals: bool) -> EnvFileError {
        let shown = self.quoted_line();
        if self.key.starts_with(UTF8_BOM) {
            return invalid(
                self.path,
                self.start_line,
                "the file starts with a UTF-8 byte-order mark, which systemd reads as part of the \
                 first line"
                    .to_string(),
                "save the file as UTF-8 without a BOM",
            );
        }
        if self.key.starts_with(b"=") {
            return invalid(
                self.path,
                self.start_line,
                format!("{shown:?} has no variable name"),
                "write NAME=VALUE",
            );
        }
        if no_equals {
            return invalid(
                self.path,
                self.start_line,
                format!("{shown:?} has no \"=\", so systemd ignores the line"),
                "write NAME=VALUE (or start the line with \"#\" to make it a comment)",
            );
        }
        invalid(
            self.path,
            self.start_line,
            format!(
                "variable name {:?} is not valid for systemd, which ignores the assignment",
                shorten(&String::from_utf8_lossy(self.trimmed_key()))
            ),
            "use only letters, digits and _ in the name, not starting with a digit",
        )
    }

    fn trimmed_key(&self) -> &[u8] {
        match self.key_ws {
            Some(end) => self.key.get(..end).unwrap_or(&self.key),
            None => &self.key,
        }
    }

    /// Completes one assignment (systemd's `push`).
    fn push(&mut self, trim_value: bool, out: &mut ParsedEnv) -> Result<(), EnvFileError> {
        if let (true, Some(end)) = (trim_value, self.value_ws) {
            self.value.truncate(end);
        }
        if self.key.starts_with(UTF8_BOM) || self.key.starts_with(b"=") {
            return Err(self.key_error(false));
        }
        let Ok(full_key) = std::str::from_utf8(self.trimmed_key()) else {
            return Err(not_utf8(self.path, self.start_line));
        };
        let mut name = full_key;
        if let Some(stripped) = strip_export(full_key) {
            out.notes.push(format!(
                "{}:{}: stripped \"export \" before {stripped}; systemd would ignore this line \
                 (\"{full_key}\" is not a valid name), so the registry does not get {stripped} \
                 from it — remove \"export \" from the file",
                self.path.display(),
                self.start_line
            ));
            name = stripped;
        }
        if !is_portable_name(name) {
            return Err(self.key_error(false));
        }
        let Ok(value) = std::str::from_utf8(&self.value) else {
            return Err(not_utf8(self.path, self.start_line));
        };
        out.vars.push(EnvVar {
            name: name.to_string(),
            value: value.to_string(),
            source: file_source(self.path, self.start_line),
        });
        self.key.clear();
        self.key_ws = None;
        self.value.clear();
        self.value_ws = None;
        Ok(())
    }
}

fn parse_systemd(text: &[u8], path: &Path, out: &mut ParsedEnv) -> Result<(), EnvFileError> {
    let mut p = SystemdParser {
        text,
        path,
        key: Vec::new(),
        key_ws: None,
        value: Vec::new(),
        value_ws: None,
        start_line: 1,
        quote_line: 1,
    };
    let mut state = State::PreKey;
    let mut line: u32 = 1;

    for &c in text {
        state = match state {
            State::PreKey => {
                if c == b'#' || c == b';' {
                    State::Comment
                } else if is_sd_whitespace(c) {
                    State::PreKey
                } else {
                    p.key.clear();
                    p.key_ws = None;
                    p.value.clear();
                    p.value_ws = None;
                    p.key.push(c);
                    p.start_line = line;
                    State::Key
                }
            }
            State::Key => {
                if is_sd_newline(c) {
                    return Err(p.key_error(true));
                } else if c == b'=' {
                    p.value_ws = None;
                    State::PreValue
                } else {
                    if !is_sd_whitespace(c) {
                        p.key_ws = None;
                    } else if p.key_ws.is_none() {
                        p.key_ws = Some(p.key.len());
                    }
                    p.key.push(c);
                    State::Key
                }
            }
            State::PreValue => {
                if is_sd_newline(c) {
                    p.push(false, out)?;
                    State::PreKey
                } else if c == b'\'' {
                    p.quote_line = line;
                    State::SingleQuote
                } else if c == b'"' {
                    p.quote_line = line;
                    State::DoubleQuote
                } else if c == b'\\' {
                    State::ValueEscape
                } else if is_sd_whitespace(c) {
                    State::PreValue
                } else {
                    p.value.push(c);
                    State::Value
                }
            }
            State::Value => {
                if is_sd_newline(c) {
                    p.push(true, out)?;
                    State::PreKey
                } else if c == b'\\' {
                    p.value_ws = None;
                    State::ValueEscape
                } else {
                    if !is_sd_whitespace(c) {
                        p.value_ws = None;
                    } else if p.value_ws.is_none() {
                        p.value_ws = Some(p.value.len());
                    }
                    p.value.push(c);
                    State::Value
                }
            }
            State::ValueEscape => {
                // An escaped newline is a continuation and is dropped entirely.
                if !is_sd_newline(c) {
                    p.value.push(c);
                }
                State::Value
            }
            State::SingleQuote => {
                if c == b'\'' {
                    State::PreValue
                } else {
                    p.value.push(c);
                    State::SingleQuote
                }
            }
            State::DoubleQuote => {
                if c == b'"' {
                    State::PreValue
                } else if c == b'\\' {
                    State::DoubleQuoteEscape
                } else {
                    p.value.push(c);
                    State::DoubleQuote
                }
            }
            State::DoubleQuoteEscape => {
                if is_sd_shell_escape(c) {
                    p.value.push(c);
                } else if c != b'\n' {
                    // Like the shell, other pairs keep their backslash.
                    p.value.push(b'\\');
                    p.value.push(c);
                }
                State::DoubleQuote
            }
            State::Comment => {
                if c == b'\\' {
                    State::CommentEscape
                } else if is_sd_newline(c) {
                    State::PreKey
                } else {
                    State::Comment
                }
            }
            State::CommentEscape => {
                // Since systemd v254 a backslash does not continue a comment line.
                if is_sd_newline(c) {
                    State::PreKey
                } else {
                    State::Comment
                }
            }
        };
        if c == b'\n' {
            line = line.saturating_add(1);
        }
    }

    match state {
        State::PreKey | State::Comment | State::CommentEscape => Ok(()),
        State::Key => Err(p.key_error(true)),
        State::Value => p.push(true, out),
        State::PreValue | State::ValueEscape => p.push(false, out),
        State::SingleQuote | State::DoubleQuote | State::DoubleQuoteEscape => {
            let quote = if state == State::SingleQuote {
                "single"
            } else {
                "double"
            };
            Err(invalid(
                path,
                p.quote_line,
                format!(
                    "the {quote} quote opened here is never closed, so systemd would take the \
                     rest of the file as the value of {}",
                    String::from_utf8_lossy(p.trimmed_key())
                ),
                "close the quote",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docker(text: &str) -> Result<ParsedEnv, EnvFileError> {
        parse_env_file(text.as_bytes(), Path::new("registry.env"), Dialect::Docker)
    }

    fn systemd(text: &str) -> Result<ParsedEnv, EnvFileError> {
        parse_env_file(text.as_bytes(), Path::new("registry.env"), Dialect::Systemd)
    }

    fn pairs(parsed: &ParsedEnv) -> Vec<(&str, &str)> {
        parsed
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect()
    }

    fn ok(r: Result<ParsedEnv, EnvFileError>) -> ParsedEnv {
        match r {
            Ok(p) => p,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn err(r: Result<ParsedEnv, EnvFileError>) -> String {
        match r {
            Ok(p) => panic!("expected an error, got {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn var(name: &str, value: &str, source: EnvSource) -> EnvVar {
        EnvVar {
            name: name.to_string(),
            value: value.to_string(),
            source,
        }
    }

    #[test]
    fn default_dialect_is_docker() {
        assert_eq!(Dialect::default(), Dialect::Docker);
    }

    #[test]
    fn docker_keeps_quotes_backslashes_and_hashes_literally() {
        let p = ok(docker(
            "A=\"quoted\"\nB='single'\nC=a\\nb\nD=x # not a comment\n",
        ));
        assert_eq!(
            pairs(&p),
            vec![
                ("A", "\"quoted\""),
                ("B", "'single'"),
                ("C", "a\\nb"),
                ("D", "x # not a comment"),
            ]
        );
        assert!(p.notes.iter().any(|n| n.contains("keeps its quotes")));
    }

    #[test]
    fn docker_keeps_leading_and_trailing_value_whitespace() {
        let p = ok(docker("  A= spaced \n"));
        assert_eq!(pairs(&p), vec![("A", " spaced ")]);
        assert!(p.notes.iter().any(|n| n.contains("ends with whitespace")));
    }

    #[test]
    fn systemd_removes_single_and_double_quotes() {
        let p = ok(systemd(
            "A=\"quoted value\"\nB='single $x \\n'\nC=\"x\" 'y' z\nD=foo\"bar\"\n",
        ));
        assert_eq!(
            pairs(&p),
            vec![
                ("A", "quoted value"),
                ("B", "single $x \\n"),
                ("C", "xyz"),
                // Quotes after the value started are literal, as in systemd.
                ("D", "foo\"bar\""),
            ]
        );
    }

    #[test]
    fn systemd_double_quote_escapes_follow_systemd() {
        let p = ok(systemd(r#"A="q\" b\\ d\$ t\` n\n x\y""#));
        assert_eq!(pairs(&p), vec![("A", "q\" b\\ d$ t` n\\n x\\y")]);
    }

    #[test]
    fn systemd_unquoted_backslash_takes_next_char_literally() {
        let p = ok(systemd("A=foo\\ \nB=a\\#b\n"));
        assert_eq!(pairs(&p), vec![("A", "foo "), ("B", "a#b")]);
    }

    #[test]
    fn systemd_trailing_backslash_continues_the_line() {
        let p = ok(systemd("A=one\\\ntwo\nB=\"x\\\ny\"\nC=after\n"));
        assert_eq!(
            pairs(&p),
            vec![("A", "onetwo"), ("B", "xy"), ("C", "after")]
        );
        assert_eq!(p.vars[1].source, file_source(Path::new("registry.env"), 3));
        assert_eq!(p.vars[2].source, file_source(Path::new("registry.env"), 5));
    }

    #[test]
    fn systemd_multiline_quoted_value_keeps_newline() {
        let p = ok(systemd("A='line1\nline2'\nB=b\n"));
        assert_eq!(pairs(&p), vec![("A", "line1\nline2"), ("B", "b")]);
    }

    #[test]
    fn systemd_strips_whitespace_around_name_and_unquoted_value() {
        let p = ok(systemd("  A  =   spaced value  \t\nB=\"  kept  \"\n"));
        assert_eq!(pairs(&p), vec![("A", "spaced value"), ("B", "  kept  ")]);
    }

    #[test]
    fn first_equals_splits_name_from_value() {
        let text = "URL=postgres://u:p@h/db?sslmode=require&a==b\n";
        for parsed in [ok(docker(text)), ok(systemd(text))] {
            assert_eq!(
                pairs(&parsed),
                vec![("URL", "postgres://u:p@h/db?sslmode=require&a==b")]
            );
        }
        let v = parse_cli_env("A=b=c").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((v.name.as_str(), v.value.as_str()), ("A", "b=c"));
    }

    #[test]
    fn comments_and_blank_lines_are_ignored() {
        let text = "# comment\n\n   \n   # indented comment\nA=1\n\t\nB=2";
        assert_eq!(pairs(&ok(docker(text))), vec![("A", "1"), ("B", "2")]);
        assert_eq!(pairs(&ok(systemd(text))), vec![("A", "1"), ("B", "2")]);
    }

    #[test]
    fn systemd_ignores_semicolon_comments_docker_rejects_them() {
        let text = "; a comment\nA=1\n";
        assert_eq!(pairs(&ok(systemd(text))), vec![("A", "1")]);
        let message = err(docker(text));
        assert!(message.starts_with("registry.env:1: "), "{message}");
        assert!(message.contains("\"#\""), "{message}");
    }

    #[test]
    fn systemd_hash_inside_value_is_not_a_comment() {
        let p = ok(systemd("A=b # c\n"));
        assert_eq!(pairs(&p), vec![("A", "b # c")]);
    }

    #[test]
    fn crlf_line_endings_are_stripped() {
        let text = "# c\r\nA=1\r\nB=\r\nC=\"q\"\r\n";
        let d = ok(docker(text));
        assert_eq!(pairs(&d), vec![("A", "1"), ("B", ""), ("C", "\"q\"")]);
        let s = ok(systemd(text));
        assert_eq!(pairs(&s), vec![("A", "1"), ("B", ""), ("C", "q")]);
        assert_eq!(s.vars[2].source, file_source(Path::new("registry.env"), 4));
    }

    #[test]
    fn empty_value_is_a_real_empty_value_not_absent() {
        for parsed in [
            ok(docker("REGISTRY_AUTH=\n")),
            ok(systemd("REGISTRY_AUTH=\n")),
        ] {
            assert_eq!(pairs(&parsed), vec![("REGISTRY_AUTH", "")]);
            assert!(parsed.inherited.is_empty());
        }
        let eff = effective_env(&ok(systemd("REGISTRY_AUTH=x\nREGISTRY_AUTH=")).vars);
        assert_eq!(eff.len(), 1);
        assert_eq!(eff[0].value, "");
    }

    #[test]
    fn docker_bare_name_is_inherited_not_a_value() {
        let p = ok(docker("A=1\nFROM_HOST\n"));
        assert_eq!(pairs(&p), vec![("A", "1")]);
        assert_eq!(
            p.inherited,
            vec![(
                "FROM_HOST".to_string(),
                file_source(Path::new("registry.env"), 2)
            )]
        );
    }

    #[test]
    fn systemd_line_without_equals_is_an_error() {
        let message = err(systemd("A=1\nFROM_HOST\n"));
        assert_eq!(
            message,
            "registry.env:2: \"FROM_HOST\" has no \"=\", so systemd ignores the line; write \
             NAME=VALUE (or start the line with \"#\" to make it a comment)"
        );
        assert!(err(systemd("A=1\nFROM_HOST")).starts_with("registry.env:2: "));
    }

    #[test]
    fn error_messages_contain_path_and_line() {
        let text = "A=1\n# comment\n=foo\n";
        // The value is never quoted back: it may be a secret.
        assert_eq!(
            err(docker(text)),
            "registry.env:3: \"=…\" has no variable name; write NAME=VALUE"
        );
        assert_eq!(
            err(systemd(text)),
            "registry.env:3: \"=…\" has no variable name; write NAME=VALUE"
        );
        assert_eq!(
            err(systemd("A=1\n=foo=bar\n")),
            "registry.env:2: \"=…\" has no variable name; write NAME=VALUE"
        );
    }

    #[test]
    fn invalid_names_are_errors_naming_the_line() {
        let message = err(docker("A=1\nMY VAR=x\n"));
        assert!(message.starts_with("registry.env:2: "), "{message}");
        assert!(message.contains("whitespace"), "{message}");
        let message = err(docker("A =x\n"));
        assert!(message.starts_with("registry.env:1: "), "{message}");
        let message = err(systemd("A=1\n\nMY-VAR=x\n"));
        assert!(message.starts_with("registry.env:3: "), "{message}");
        assert!(message.contains("\"MY-VAR\""), "{message}");
        assert!(err(systemd("1A=x\n")).starts_with("registry.env:1: "));
    }

    #[test]
    fn docker_accepts_non_portable_names_with_a_note() {
        let p = ok(docker("with.dots=working\n"));
        assert_eq!(pairs(&p), vec![("with.dots", "working")]);
        assert!(p.notes.iter().any(|n| n.contains("not a portable")));
    }

    #[test]
    fn export_prefix_is_stripped_with_a_note() {
        for parsed in [
            ok(docker("export REGISTRY_HTTP_ADDR=:5000\n")),
            ok(systemd("export  REGISTRY_HTTP_ADDR=:5000\n")),
        ] {
            assert_eq!(pairs(&parsed), vec![("REGISTRY_HTTP_ADDR", ":5000")]);
            assert_eq!(parsed.notes.len(), 1, "{:?}", parsed.notes);
            assert!(parsed.notes[0].contains("export"));
            assert!(parsed.notes[0].starts_with("registry.env:1: "));
        }
        // A variable that is merely named like the keyword is untouched.
        assert_eq!(pairs(&ok(systemd("exporter=1\n"))), vec![("exporter", "1")]);
    }

    #[test]
    fn non_utf8_file_is_an_error_naming_file_and_line() {
        let text = b"A=1\nB=\xff\xfe\n";
        for dialect in [Dialect::Docker, Dialect::Systemd] {
            let message = match parse_env_file(text, Path::new("conf/registry.env"), dialect) {
                Ok(p) => panic!("expected error, got {p:?}"),
                Err(e) => e.to_string(),
            };
            assert!(message.starts_with("conf/registry.env:2: "), "{message}");
            assert!(message.contains("UTF-8"), "{message}");
        }
    }

    #[test]
    fn nul_byte_is_an_error() {
        let message = match parse_env_file(b"A=1\nB=x\0y\n", Path::new("e"), Dialect::Systemd) {
            Ok(p) => panic!("expected error, got {p:?}"),
            Err(e) => e.to_string(),
        };
        assert!(message.starts_with("e:2: "), "{message}");
    }

    #[test]
    fn byte_order_mark_docker_strips_systemd_rejects() {
        let text = "\u{feff}A=1\n";
        assert_eq!(pairs(&ok(docker(text))), vec![("A", "1")]);
        let message = err(systemd(text));
        assert!(message.contains("byte-order mark"), "{message}");
    }

    #[test]
    fn systemd_unterminated_quote_is_an_error_at_the_opening_line() {
        let message = err(systemd("A=1\nB=\"open\nC=2\n"));
        assert!(message.starts_with("registry.env:2: "), "{message}");
        assert!(message.contains("never closed"), "{message}");
    }

    #[test]
    fn systemd_file_may_end_without_newline_or_value() {
        let p = ok(systemd("A=1\nB="));
        assert_eq!(pairs(&p), vec![("A", "1"), ("B", "")]);
        let p = ok(systemd("A=x  "));
        assert_eq!(pairs(&p), vec![("A", "x")]);
    }

    #[test]
    fn last_duplicate_wins_and_result_is_sorted_by_name() {
        let file = Path::new("registry.env");
        let vars = vec![
            var("REGISTRY_B", "file", file_source(file, 1)),
            var("REGISTRY_A", "first", file_source(file, 2)),
            var("REGISTRY_A", "cli", EnvSource::Cli),
            var("REGISTRY_AA", "x", file_source(file, 3)),
            var("Z_lower", "z", file_source(file, 4)),
        ];
        let eff = effective_env(&vars);
        let names: Vec<&str> = eff.iter().map(|v| v.name.as_str()).collect();
        // Byte-wise: "REGISTRY_A" < "REGISTRY_AA" < "REGISTRY_B" < "Z_lower".
        assert_eq!(
            names,
            vec!["REGISTRY_A", "REGISTRY_AA", "REGISTRY_B", "Z_lower"]
        );
        assert_eq!(eff[0].value, "cli");
        assert_eq!(eff[0].source, EnvSource::Cli);
    }

    #[test]
    fn cli_env_without_equals_is_an_error() {
        let message = match parse_cli_env("REGISTRY_HTTP_ADDR") {
            Ok(v) => panic!("expected error, got {v:?}"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains("--env expects KEY=VALUE"), "{message}");
        assert!(message.contains("REGISTRY_HTTP_ADDR"), "{message}");
        assert!(parse_cli_env("=x").is_err());
        assert!(parse_cli_env("A B=x").is_err());
    }

    #[test]
    fn cli_env_allows_empty_value() {
        let v = parse_cli_env("REGISTRY_AUTH=").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v, var("REGISTRY_AUTH", "", EnvSource::Cli));
    }

    #[test]
    fn proc_environ_is_nul_separated_key_value_entries() {
        let bytes = b"PATH=/usr/bin\0REGISTRY_HTTP_ADDR=:5000\0EMPTY=\0WITH_EQ=a=b\0";
        let p = parse_proc_environ(bytes, 42).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            pairs(&p),
            vec![
                ("PATH", "/usr/bin"),
                ("REGISTRY_HTTP_ADDR", ":5000"),
                ("EMPTY", ""),
                ("WITH_EQ", "a=b"),
            ]
        );
        assert!(
            p.vars
                .iter()
                .all(|v| v.source == EnvSource::Process { pid: 42 })
        );
        assert!(p.notes.is_empty());
    }

    #[test]
    fn proc_environ_skips_bad_entries_with_a_note_naming_the_index() {
        let bytes = b"A=1\0BAD=\xff\0NOEQUALS\0=x\0B=2";
        let p = parse_proc_environ(bytes, 7).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pairs(&p), vec![("A", "1"), ("B", "2")]);
        assert_eq!(p.notes.len(), 3, "{:?}", p.notes);
        assert!(p.notes[0].contains("index 1") && p.notes[0].contains("UTF-8"));
        assert!(p.notes[1].contains("index 2"));
        assert!(p.notes[2].contains("index 3"));
    }

    #[test]
    fn proc_environ_first_duplicate_wins_like_go() {
        let p = parse_proc_environ(b"A=first\0A=second\0", 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pairs(&p), vec![("A", "first")]);
        assert_eq!(effective_env(&p.vars)[0].value, "first");
        assert!(p.notes[0].contains("index 1"));
    }

    #[test]
    fn missing_process_error_names_the_pid() {
        let message = match read_proc_environ(u32::MAX) {
            Ok(p) => panic!("expected error, got {p:?}"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains(&u32::MAX.to_string()), "{message}");
        assert!(message.contains("root"), "{message}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn own_process_environment_is_readable() {
        let p = read_proc_environ(std::process::id()).unwrap_or_else(|e| panic!("{e}"));
        let pid = std::process::id();
        assert!(
            p.vars
                .iter()
                .all(|v| v.source == EnvSource::Process { pid })
        );
    }

    #[test]
    fn missing_env_file_error_names_the_path() {
        let message = match read_env_file(Path::new("/nonexistent/regdrift.env"), Dialect::Docker) {
            Ok(p) => panic!("expected error, got {p:?}"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains("/nonexistent/regdrift.env"), "{message}");
    }

    #[test]
    fn env_source_serializes_with_kind_tag() {
        let file = EnvSource::File {
            path: PathBuf::from("r.env"),
            line: 3,
        };
        let json = serde_json::to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json, r#"{"kind":"file","path":"r.env","line":3}"#);
        let json = serde_json::to_string(&EnvSource::Cli).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json, r#"{"kind":"cli"}"#);
        let back: EnvSource =
            serde_json::from_str(r#"{"kind":"process","pid":9}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, EnvSource::Process { pid: 9 });
    }

    #[test]
    fn env_source_display_names_the_origin() {
        let file = EnvSource::File {
            path: PathBuf::from("r.env"),
            line: 3,
        };
        assert_eq!(file.to_string(), "r.env:3");
        assert_eq!(EnvSource::Cli.to_string(), "--env");
        assert_eq!(EnvSource::Process { pid: 9 }.to_string(), "process 9");
        let other = EnvSource::Other {
            description: "k8s deployment registry".to_string(),
        };
        assert_eq!(other.to_string(), "k8s deployment registry");
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        // Deterministic pseudo-random inputs drawn mostly from the characters the parsers treat
        // specially.
        const ALPHABET: &[u8] = b"AZ_09=#; \t\r\n\"'\\$`ex\xff\xc3\xa9\0";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = usize::try_from(state >> 58).unwrap_or(0);
            let mut input = Vec::with_capacity(len);
            for _ in 0..len {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let i = usize::try_from(state >> 33).unwrap_or(0) % ALPHABET.len();
                input.push(ALPHABET[i]);
            }
            let _ = parse_env_file(&input, Path::new("f"), Dialect::Docker);
            let _ = parse_env_file(&input, Path::new("f"), Dialect::Systemd);
            let _ = parse_proc_environ(&input, 1);
            if let Ok(s) = std::str::from_utf8(&input) {
                let _ = parse_cli_env(s);
            }
        }
    }
}
