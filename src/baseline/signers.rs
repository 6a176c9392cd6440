//! The OpenSSH allowed-signers file (`man ssh-keygen`, section ALLOWED SIGNERS): who may sign
//! baselines, with which key, for which namespaces and when.
//!
//! Line format: `principals [options] keytype base64-key [comment]`. Principals are a
//! comma-separated list of patterns (`*` and `?` wildcards, `!` negation), optionally in double
//! quotes. Options are comma-separated outside double quotes: `namespaces="git,file"`,
//! `valid-after="YYYYMMDD[HHMM[SS]][Z]"`, `valid-before="..."`; option names are
//! case-insensitive and values must be double-quoted, as `ssh-keygen` requires. Blank lines and
//! lines whose first non-blank character is `#` are ignored.
//!
//! Invariants: a parsed [`AllowedSigners`] holds at least one entry; every entry has at least one
//! principal and a public key; `valid-before`, when both bounds are given, is after
//! `valid-after`. A file that `ssh-keygen` would reject is rejected here too, with the file and
//! line; a file regdrift accepts means the same to `git log --show-signature`, except that times
//! without `Z` are read as UTC (see [`super::time`]).
//!
//! `cert-authority` lines are refused ("not supported yet"): verifying certificate-based
//! signatures needs the certificate carried inside the signature, which the `ssh-key` crate's
//! `SshSig` does not decode. Refusing the line is better than silently ignoring a signer the
//! owner meant to trust.

use std::fmt;
use std::path::{Path, PathBuf};

use ssh_key::{HashAlg, PublicKey, public::KeyData};

use super::time::Timestamp;

/// Why an allowed-signers file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AllowedSignersError {
    /// The file could not be read.
    #[error(
        "{path}: cannot read the allowed signers file: {source} (check the path in the \
         configuration, and that regdrift may read it)"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line does not follow the format.
    #[error("{file}:{line}: {message} ({hint})")]
    Line {
        file: String,
        line: usize,
        message: String,
        hint: String,
    },
    /// No line names a signer.
    #[error(
        "{file}: no allowed signers (every line is blank or a comment); add one line per \
         signer: `PRINCIPAL namespaces=\"git,regdrift-baseline\" ssh-ed25519 AAAA...`"
    )]
    Empty { file: String },
}

/// When an entry's key may be used, and which bound an instant falls outside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidityBound {
    /// The instant is before the entry's `valid-after`.
    NotYetValid { valid_after: Timestamp },
    /// The instant is after the entry's `valid-before`.
    Expired { valid_before: Timestamp },
}

impl fmt::Display for ValidityBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidityBound::NotYetValid { valid_after } => {
                write!(f, "the key is valid only from {valid_after} (valid-after)")
            }
            ValidityBound::Expired { valid_before } => {
                write!(
                    f,
                    "the key is valid only until {valid_before} (valid-before)"
                )
            }
        }
    }
}

/// One signer line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerEntry {
    line: usize,
    principals: Vec<String>,
    namespaces: Option<String>,
    valid_after: Option<Timestamp>,
    valid_before: Option<Timestamp>,
    key: PublicKey,
}

impl SignerEntry {
    /// 1-based line number in the file.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The principal patterns as written.
    pub fn principals(&self) -> &[String] {
        &self.principals
    }

    /// Whether `identity` matches the principal patterns (OpenSSH `match_pattern_list`).
    pub fn matches_principal(&self, identity: &str) -> bool {
        match_pattern_list(identity, self.principals.iter().map(String::as_str))
    }

    /// The `namespaces` option as written, if any (no option: every namespace is allowed).
    pub fn namespaces(&self) -> Option<&str> {
        self.namespaces.as_deref()
    }

    /// Whether a signature made for `namespace` may be accepted from this entry.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        match &self.namespaces {
            None => true,
            Some(list) => match_pattern_list(namespace, list.split(',')),
        }
    }

    /// The `valid-after` bound, if any.
    pub fn valid_after(&self) -> Option<Timestamp> {
        self.valid_after
    }

    /// The `valid-before` bound, if any.
    pub fn valid_before(&self) -> Option<Timestamp> {
        self.valid_before
    }

    /// Whether the key may be used at `at`: `valid-after <= at <= valid-before`, as ssh-keygen.
    pub fn check_validity(&self, at: Timestamp) -> Result<(), ValidityBound> {
        if let Some(valid_after) = self.valid_after.filter(|&va| at < va) {
            return Err(ValidityBound::NotYetValid { valid_after });
        }
        if let Some(valid_before) = self.valid_before.filter(|&vb| at > vb) {
            return Err(ValidityBound::Expired { valid_before });
        }
        Ok(())
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The key's fingerprint as `ssh-keygen -l` prints it: `SHA256:...`.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

/// A parsed allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigners {
    source: String,
    path: Option<PathBuf>,
    entries: Vec<SignerEntry>,
}

impl AllowedSigners {
    /// Reads and parses the file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, AllowedSignersError> {
        let text = std::fs::read_to_string(path).map_err(|source| AllowedSignersError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut signers = Self::parse(&path.display().to_string(), &text)?;
        signers.path = Some(path.to_path_buf());
        Ok(signers)
    }

    /// Parses `text`; `source` names it in messages (a path, or a label such as `<config>`).
    pub fn parse(source: &str, text: &str) -> Result<Self, AllowedSignersError> {
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.trim_start_matches([' ', '\t', '\r', '\n']);
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let entry =
                parse_line(content, line).map_err(|(message, hint)| AllowedSignersError::Line {
                    file: source.to_owned(),
                    line,
                    message,
                    hint,
                })?;
            entries.push(entry);
        }
        if entries.is_empty() {
            return Err(AllowedSignersError::Empty {
                file: source.to_owned(),
            });
        }
        Ok(AllowedSigners {
            source: source.to_owned(),
            path: None,
            entries,
        })
    }

    /// How messages name this file: its path, or the label given to [`AllowedSigners::parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The file's path when it was read with [`AllowedSigners::from_file`].
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[SignerEntry] {
        &self.entries
    }

    /// The entries whose key is `key`, in file order.
    pub fn entries_for_key<'a>(
        &'a self,
        key: &'a KeyData,
    ) -> impl Iterator<Item = &'a SignerEntry> + 'a {
        self.entries.iter().filter(move |e| e.key.key_data() == key)
    }
}

type LineError = (String, String);

fn line_error(message: impl Into<String>, hint: impl Into<String>) -> LineError {
    (message.into(), hint.into())
}

const FORMAT_HINT: &str =
    "each line is `principals [options] keytype base64-key [comment]`, see `man ssh-keygen`";

/// Parses one non-blank, non-comment line (leading blanks already removed).
fn parse_line(content: &str, line: usize) -> Result<SignerEntry, LineError> {
    let (principal_field, rest) = split_principals(content)?;
    let principals = parse_principals(&principal_field)?;
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err(line_error(
            format!("principals `{principal_field}` are not followed by a key"),
            FORMAT_HINT,
        ));
    }
    let (options, key_text) = match parse_key(rest) {
        Ok(key) => (Options::default(), Ok(key)),
        Err(key_error) => {
            let (option_text, after) = split_options(rest)?;
            if !looks_like_options(option_text) {
                return Err(key_error);
            }
            let options = parse_options(option_text)?;
            let after = after.trim_start_matches([' ', '\t']);
            if after.is_empty() {
                return Err(line_error("options are not followed by a key", FORMAT_HINT));
            }
            (options, parse_key(after))
        }
    };
    let key = key_text?;
    Ok(SignerEntry {
        line,
        principals,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key,
    })
}

/// The principals field: a double-quoted string, or everything up to the first blank.
fn split_principals(content: &str) -> Result<(String, &str), LineError> {
    if let Some(quoted) = content.strip_prefix('"') {
        let end = quoted.find('"').ok_or_else(|| {
            line_error(
                "the quoted principals have no closing `\"`",
                "close the quote after the last principal",
            )
        })?;
        return Ok((quoted[..end].to_owned(), &quoted[end + 1..]));
    }
    let end = content.find([' ', '\t']).unwrap_or(content.len());
    Ok((content[..end].to_owned(), &content[end..]))
}

fn parse_principals(field: &str) -> Result<Vec<String>, LineError> {
    let principals: Vec<String> = field.split(',').map(str::to_owned).collect();
    if principals.iter().any(String::is_empty) {
        return Err(line_error(
            format!("empty principal in `{field}`"),
            "separate principals with single commas, e.g. `alice@example.com,bob@example.com`",
        ));
    }
    Ok(principals)
}

const KEY_HINT: &str = "copy the key from the signer's `.pub` file: `keytype base64-key [comment]`";

fn parse_key(text: &str) -> Result<PublicKey, LineError> {
    let key_type = text.split([' ', '\t']).next().unwrap_or_default();
    if key_type.ends_with("-cert-v01@openssh.com") {
        return Err(line_error(
            format!("`{key_type}` is a certificate; certificates are not supported as signer keys"),
            "list the plain public key of the signer instead",
        ));
    }
    let key = PublicKey::from_openssh(text.trim_end()).map_err(|e| {
        line_error(
            format!("`{}` is not a valid public key: {e}", shorten(text)),
            KEY_HINT,
        )
    })?;
    Ok(key)
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    short
}

/// Splits the options field (up to the first blank outside double quotes) from the rest.
fn split_options(text: &str) -> Result<(&str, &str), LineError> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return Ok((&text[..i], &text[i..])),
            _ => {}
        }
    }
    if quoted {
        return Err(line_error(
            "an option value has no closing `\"`",
            "quote option values: namespaces=\"git\"",
        ));
    }
    Ok((text, ""))
}

const OPTION_NAMES: [&str; 4] = [
    "cert-authority",
    "namespaces=",
    "valid-after=",
    "valid-before=",
];

/// Whether a field that is not a key was meant as options (else the key itself is bad).
fn looks_like_options(field: &str) -> bool {
    let lower = field.to_ascii_lowercase();
    field.contains('=') || OPTION_NAMES.iter().any(|name| lower.starts_with(name))
}

#[derive(Debug, Default)]
struct Options {
    namespaces: Option<String>,
    valid_after: Option<Timestamp>,
    valid_before: Option<Timestamp>,
}

const OPTIONS_HINT: &str = "options are namespaces=\"...\", valid-after=\"YYYYMMDD[HHMM[SS]][Z]\" \
     and valid-before=\"...\", separated by commas without blanks";

fn parse_options(mut text: &str) -> Result<Options, LineError> {
    let mut options = Options::default();
    while !text.is_empty() {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("cert-authority")
            && matches!(text.as_bytes().get(14), None | Some(b','))
        {
            return Err(line_error(
                "`cert-authority` is not supported yet",
                "list each signer's own public key instead of the certificate authority",
            ));
        }
        let Some(name) = ["namespaces", "valid-after", "valid-before"]
            .into_iter()
            .find(|name| lower.starts_with(&format!("{name}=")))
        else {
            let unknown = text.split(',').next().unwrap_or(text);
            return Err(line_error(
                format!("unknown option `{unknown}`"),
                OPTIONS_HINT,
            ));
        };
        let (value, after) = dequote(&text[name.len() + 1..], name)?;
        set_option(&mut options, name, &value)?;
        text = match after.strip_prefix(',') {
            Some("") => {
                return Err(line_error("the options end with a comma", OPTIONS_HINT));
            }
            Some(next) => next,
            None if after.is_empty() => after,
            None => {
                return Err(line_error(
                    format!("unexpected `{after}` after option {name}"),
                    OPTIONS_HINT,
                ));
            }
        };
    }
    if let (Some(after), Some(before)) = (options.valid_after, options.valid_before) {
        if before <= after {
            return Err(line_error(
                format!("valid-before {before} is not after valid-after {after}"),
                "the key can never be valid; correct one of the two dates",
            ));
        }
    }
    Ok(options)
}

/// Reads a double-quoted value (`\"` escapes a quote); returns it and the text after it.
fn dequote<'t>(text: &'t str, name: &str) -> Result<(String, &'t str), LineError> {
    let Some(body) = text.strip_prefix('"') else {
        return Err(line_error(
            format!("the value of {name} is not double-quoted"),
            format!("write {name}=\"...\", as ssh-keygen requires"),
        ));
    };
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &body[i + 1..])),
            '\\' if body[i + 1..].starts_with('"') => {
                value.push('"');
                chars.next();
            }
            _ => value.push(c),
        }
    }
    Err(line_error(
        format!("the value of {name} has no closing `\"`"),
        format!("write {name}=\"...\""),
    ))
}

fn set_option(options: &mut Options, name: &str, value: &str) -> Result<(), LineError> {
    let repeated = || line_error(format!("{name} is given twice"), "give each option once");
    let time = || {
        Timestamp::parse_openssh(value)
            .map_err(|e| line_error(format!("{name}: {e}"), OPTIONS_HINT))
    };
    match name {
        "namespaces" => {
            if options.namespaces.is_some() {
                return Err(repeated());
            }
            if value.is_empty() || value.split(',').any(str::is_empty) {
                return Err(line_error(
                    format!("namespaces=\"{value}\" has an empty namespace"),
                    "list namespaces separated by commas, e.g. namespaces=\"git,regdrift-baseline\"",
                ));
            }
            options.namespaces = Some(value.to_owned());
        }
        "valid-after" => {
            if options.valid_after.is_some() {
                return Err(repeated());
            }
            options.valid_after = Some(time()?);
        }
        _ => {
            if options.valid_before.is_some() {
                return Err(repeated());
            }
            options.valid_before = Some(time()?);
        }
    }
    Ok(())
}

/// OpenSSH `match_pattern_list`: true if some pattern matches and no negated (`!`) pattern does.
pub(crate) fn match_pattern_list<'p>(
    subject: &str,
    patterns: impl IntoIterator<Item = &'p str>,
) -> bool {
    let mut matched = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if match_pattern(subject, negated) => return false,
            Some(_) => {}
            None => matched |= match_pattern(subject, pattern),
        }
    }
    matched
}

/// OpenSSH `match_pattern`: `*` matches any run of characters, `?` exactly one.
pub(crate) fn match_pattern(subject: &str, pattern: &str) -> bool {
    let s: Vec<char> = subject.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut si, mut pi) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, si));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            si = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    fn parse(text: &str) -> Result<AllowedSigners, AllowedSignersError> {
        AllowedSigners::parse("allowed_signers", text)
    }

    fn line_error_of(text: &str) -> (usize, String) {
        match parse(text) {
            Err(AllowedSignersError::Line { line, message, .. }) => (line, message),
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn parses_plain_line_with_comment_and_blank_lines() {
        let text = format!("# signers\n\n   \nalice@example.com {ED} alice laptop\n");
        let signers = parse(&text).unwrap();
        let [entry] = signers.entries() else {
            panic!("one entry expected")
        };
        assert_eq!(entry.line(), 4);
        assert_eq!(entry.principals(), ["alice@example.com"]);
        assert_eq!(entry.namespaces(), None);
        assert!(entry.allows_namespace("git"));
        assert_eq!(entry.public_key().comment(), "alice laptop");
        assert!(entry.fingerprint().starts_with("SHA256:"));
    }

    #[test]
    fn parses_options_in_any_case_with_quotes() {
        let text = format!(
            "a@x,b@x NAMESPACES=\"git,regdrift-*\",valid-after=\"20240101\",Valid-Before=\"20250101123000Z\" {ED}\n"
        );
        let signers = parse(&text).unwrap();
        let entry = &signers.entries()[0];
        assert_eq!(entry.principals(), ["a@x", "b@x"]);
        assert_eq!(entry.namespaces(), Some("git,regdrift-*"));
        assert!(entry.allows_namespace("git"));
        assert!(entry.allows_namespace("regdrift-baseline"));
        assert!(!entry.allows_namespace("file"));
        assert_eq!(
            entry.valid_after().unwrap().to_string(),
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(
            entry.valid_before().unwrap().to_string(),
            "2025-01-01T12:30:00Z"
        );
    }

    #[test]
    fn quoted_principals_may_hold_blanks() {
        let signers = parse(&format!("\"release team,ops@x\" {ED}")).unwrap();
        assert_eq!(signers.entries()[0].principals(), ["release team", "ops@x"]);
    }

    #[test]
    fn validity_bounds_are_inclusive() {
        let text = format!("a valid-after=\"20240101\",valid-before=\"20240201\" {ED}");
        let signers = parse(&text).unwrap();
        let entry = &signers.entries()[0];
        let after = entry.valid_after().unwrap();
        let before = entry.valid_before().unwrap();
        assert!(entry.check_validity(after).is_ok());
        assert!(entry.check_validity(before).is_ok());
        assert_eq!(
            entry.check_validity(Timestamp::from_unix(after.unix() - 1)),
            Err(ValidityBound::NotYetValid { valid_after: after })
        );
        assert_eq!(
            entry.check_validity(Timestamp::from_unix(before.unix() + 1)),
            Err(ValidityBound::Expired {
                valid_before: before
            })
        );
    }

    #[test]
    fn errors_name_the_line() {
        let text = format!("# ok\na@x {ED}\nb@x ssh-ed25519 not-base64!\n");
        let (line, message) = line_error_of(&text);
        assert_eq!(line, 3);
        assert!(message.contains("not a valid public key"), "{message}");
    }

    #[test]
    fn rejects_malformed_lines() {
        let cases = [
            ("a@x", "not followed by a key"),
            ("a@x,,b@x ", "empty principal"),
            ("\"a@x ", "closing"),
            (&format!("a@x foo=\"1\" {ED}"), "unknown option `foo=\"1\"`"),
            (&format!("a@x namespaces=git {ED}"), "not double-quoted"),
            (&format!("a@x namespaces=\"git {ED}"), "no closing"),
            (&format!("a@x namespaces=\"\" {ED}"), "empty namespace"),
            (&format!("a@x namespaces=\"git\", {ED}"), "end with a comma"),
            (
                &format!("a@x namespaces=\"git\",namespaces=\"file\" {ED}"),
                "given twice",
            ),
            (&format!("a@x valid-after=\"2024\" {ED}"), "not a time"),
            (
                &format!("a@x valid-after=\"20250101\",valid-before=\"20240101\" {ED}"),
                "is not after valid-after",
            ),
            (&format!("*@x cert-authority {ED}"), "not supported yet"),
            (
                &format!("*@x cert-authority,namespaces=\"git\" {ED}"),
                "not supported yet",
            ),
            ("a@x namespaces=\"git\"", "not followed by a key"),
            ("a@x ssh-foo AAAA", "not a valid public key"),
            ("a@x ssh-ed25519-cert-v01@openssh.com AAAA", "certificate"),
        ];
        for (text, expected) in cases {
            let (line, message) = line_error_of(text);
            assert_eq!(line, 1, "{text}");
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn empty_file_is_an_error() {
        assert!(matches!(
            parse("# nobody\n\n"),
            Err(AllowedSignersError::Empty { .. })
        ));
    }

    #[test]
    fn messages_name_file_and_line() {
        let err = parse("\n\na@x ssh-ed25519\n").unwrap_err().to_string();
        assert!(err.starts_with("allowed_signers:3: "), "{err}");
        assert!(
            err.contains("man ssh-keygen") || err.contains(".pub"),
            "{err}"
        );
    }

    #[test]
    fn patterns_follow_openssh() {
        assert!(match_pattern("alice@example.com", "*@example.com"));
        assert!(match_pattern("a", "?"));
        assert!(!match_pattern("ab", "?"));
        assert!(match_pattern("", "*"));
        assert!(match_pattern("abcabc", "a*c*c"));
        assert!(!match_pattern("abcab", "a*c*c"));
        assert!(match_pattern_list("git", ["file", "g*"]));
        assert!(!match_pattern_list("git", ["*", "!git"]));
        assert!(!match_pattern_list("git", ["!file"]));
        let signers = parse(&format!("*@example.com,!eve@example.com {ED}")).unwrap();
        let entry = &signers.entries()[0];
        assert!(entry.matches_principal("alice@example.com"));
        assert!(!entry.matches_principal("eve@example.com"));
        assert!(!entry.matches_principal("alice@example.org"));
    }

    #[test]
    fn finds_entries_by_key() {
        let text = format!("a@x {ED}\nb@x namespaces=\"file\" {ED}\n");
        let signers = parse(&text).unwrap();
        let key = signers.entries()[0].public_key().key_data().clone();
        assert_eq!(signers.entries_for_key(&key).count(), 2);
    }
}
