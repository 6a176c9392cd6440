//! Why a baseline could not be read or trusted. Every message names the baseline path, the
//! commit (short id) where one is involved, and the reason, and says what to do. The binary maps
//! every [`TrustError`] to exit status 2 and opens no remediation.

use std::fmt;
use std::path::PathBuf;

use super::git::CommitId;
use super::signers::{AllowedSignersError, ValidityBound};
use super::time::Timestamp;

/// Which commit of a baseline a signature check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitRole {
    /// The commit that last changed the file (first-parent history).
    FileCommit,
    /// The commit the ref points at.
    Head,
    /// Both at once: the ref's commit is the one that last changed the file.
    FileCommitAndHead,
}

/// What a signature failure is about: a commit, or the detached signature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Commit {
        id: CommitId,
        role: CommitRole,
        /// The ref as the user gave it.
        rev: String,
    },
    Detached {
        /// Repository path of the signature file (`<baseline>.sig`).
        signature_path: String,
        /// The commit it was read from.
        commit: CommitId,
    },
}

impl Subject {
    /// The commit involved.
    pub fn commit(&self) -> &CommitId {
        match self {
            Subject::Commit { id, .. } => id,
            Subject::Detached { commit, .. } => commit,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Commit { id, role, rev } => {
                let short = id.short();
                match role {
                    CommitRole::FileCommit => write!(f, "commit {short} (last changed the file)"),
                    CommitRole::Head => write!(f, "commit {short} (tip of `{rev}`)"),
                    CommitRole::FileCommitAndHead => {
                        write!(f, "commit {short} (tip of `{rev}`, last changed the file)")
                    }
                }
            }
            Subject::Detached {
                signature_path,
                commit,
            } => write!(
                f,
                "detached signature file {signature_path} (at commit {})",
                commit.short()
            ),
        }
    }
}

/// The instant a signer's validity was checked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// The committer time of the signed commit (as git: `-Overify-time`).
    CommitTime,
    /// The time of the run (detached signatures carry no time).
    Now,
}

impl fmt::Display for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeSource::CommitTime => "commit time",
            TimeSource::Now => "current time",
        })
    }
}

/// Which format of signature regdrift refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsupportedKind {
    OpenPgp,
    X509,
    SshCertificate,
    Unknown,
}

impl fmt::Display for UnsupportedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnsupportedKind::OpenPgp => {
                "an OpenPGP signature: OpenPGP-signed commits are not supported; sign with SSH \
                 (gpg.format=ssh)"
            }
            UnsupportedKind::X509 => {
                "an X.509 signature: X.509-signed commits are not supported; sign with SSH \
                 (gpg.format=ssh)"
            }
            UnsupportedKind::SshCertificate => {
                "a signature made with an SSH certificate: certificate signatures are not \
                 supported yet; sign with a plain SSH key listed in the allowed signers"
            }
            UnsupportedKind::Unknown => {
                "a signature in an unknown format; sign with SSH (gpg.format=ssh, or \
                 ssh-keygen -Y sign)"
            }
        })
    }
}

/// A working-copy path that makes the repository dirty, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyPath {
    /// Path relative to the repository root.
    pub path: String,
    /// `staged`, `modified`, `deleted`, `conflicted` or `untracked`.
    pub state: &'static str,
}

impl fmt::Display for DirtyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.state, self.path)
    }
}

/// Up to five dirty paths, then how many more.
pub(crate) fn list_dirty(paths: &[DirtyPath]) -> String {
    let mut text = paths
        .iter()
        .take(5)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > 5 {
        text.push_str(&format!(" and {} more", paths.len() - 5));
    }
    text
}

/// The allowed-signers line that holds a signature's key, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerLine {
    /// `SHA256:...` of the key.
    pub fingerprint: String,
    /// The line's principal patterns.
    pub principals: Vec<String>,
    /// The allowed-signers file, as [`super::AllowedSigners::source`] names it.
    pub allowed_signers: String,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for SignerLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (key {})",
            self.principals.join(","),
            self.fingerprint
        )
    }
}

/// Why a baseline could not be read from git or trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error(
        "{path}: not a git repository ({reason}); give the top directory of a git working copy \
         or a bare repository"
    )]
    NotARepository { path: PathBuf, reason: String },

    #[error(
        "{repo}: `{rev}` does not name a commit ({reason}); give a branch, tag, commit id or \
         HEAD that exists in the local repository (fetch it first)"
    )]
    RefNotFound {
        repo: PathBuf,
        rev: String,
        reason: String,
    },

    #[error(
        "{path}: not a path inside the repository; give it relative to the repository root, \
         without `..`"
    )]
    InvalidPath { path: String },

    #[error(
        "{path}: {problem} at `{rev}` (commit {}); give the path relative to the repository \
         root of a file that is committed there",
        .commit.short()
    )]
    FileMissingAtRef {
        path: String,
        rev: String,
        commit: CommitId,
        problem: String,
    },

    #[error(
        "{path}: the working copy {} at commit {} has uncommitted changes ({}); commit or \
         stash them: baselines are read only from committed, signed history",
        .repo.display(), .head.short(), list_dirty(.paths)
    )]
    DirtyWorkingCopy {
        path: String,
        repo: PathBuf,
        /// The commit checked out (HEAD of the working copy).
        head: CommitId,
        paths: Vec<DirtyPath>,
    },

    #[error(
        "{path}: {subject} is not signed (policy requires {requirement} to be signed by an \
         allowed signer; allowed signers: {allowed_signers})"
    )]
    Unsigned {
        path: String,
        subject: Box<Subject>,
        requirement: String,
        allowed_signers: String,
    },

    #[error(
        "{path}: {subject}: the signature does not verify ({reason}); the object or its \
         signature was altered after signing: do not use this baseline, and re-sign it from a \
         trusted checkout"
    )]
    BadSignature {
        path: String,
        subject: Box<Subject>,
        reason: String,
    },

    #[error(
        "{path}: {subject} was made for namespace `{found}`, not `{expected}`, so it does not \
         approve this baseline; {hint}"
    )]
    WrongNamespace {
        path: String,
        subject: Box<Subject>,
        found: String,
        expected: String,
        hint: String,
    },

    #[error(
        "{path}: {subject} is signed by key {fingerprint}, which is not in the allowed signers \
         {allowed_signers}; if that key is trusted, add a line `PRINCIPAL <public key>` for it"
    )]
    SignerNotAllowed {
        path: String,
        subject: Box<Subject>,
        fingerprint: String,
        allowed_signers: String,
    },

    #[error(
        "{path}: {subject} is signed by {signer}, but {}:{} says {bound}, and the {time_source} \
         is {checked_at}; re-sign with a currently valid key, or correct the key's validity if \
         it is wrong",
        .signer.allowed_signers, .signer.line
    )]
    OutsideValidity {
        path: String,
        subject: Box<Subject>,
        signer: Box<SignerLine>,
        bound: ValidityBound,
        checked_at: Timestamp,
        time_source: TimeSource,
    },

    #[error(
        "{path}: {subject} is signed for namespace `{namespace}` by {signer}, but {}:{} allows \
         that key only for namespaces=\"{allowed}\"; add {namespace} to its namespaces if the \
         key may sign baselines",
        .signer.allowed_signers, .signer.line
    )]
    NamespaceNotAllowed {
        path: String,
        subject: Box<Subject>,
        signer: Box<SignerLine>,
        namespace: String,
        allowed: String,
    },

    #[error(
        "{path}: {subject} does not match the file's content ({reason}): the signature was made \
         over different bytes, so the file changed after it was signed; review the change, then \
         re-sign with `ssh-keygen -Y sign -n regdrift-baseline -f KEY {path}` and commit the \
         new signature"
    )]
    DetachedMismatch {
        path: String,
        subject: Box<Subject>,
        reason: String,
    },

    #[error(
        "{path}: policy requires a detached signature, but {signature_path} does not exist at \
         commit {}; sign with `ssh-keygen -Y sign -n regdrift-baseline -f KEY {path}` and commit \
         {signature_path}",
        .commit.short()
    )]
    DetachedMissing {
        path: String,
        signature_path: String,
        commit: CommitId,
    },

    #[error("{path}: {subject} has {kind}")]
    UnsupportedSignature {
        path: String,
        subject: Box<Subject>,
        kind: UnsupportedKind,
    },

    #[error(
        "{path}: the allowed signers file {allowed_signers} is inside the baseline repository \
         {}; anyone who can commit there could add their own key: keep it outside, e.g. \
         /etc/regdrift/allowed_signers",
        .repo.display()
    )]
    SignersInsideRepository {
        path: String,
        allowed_signers: String,
        repo: PathBuf,
    },

    #[error(transparent)]
    AllowedSigners(#[from] AllowedSignersError),

    #[error(
        "{}: git failed while {action}: {source}; check the repository is intact (`git fsck`)",
        .repo.display()
    )]
    Git {
        repo: PathBuf,
        action: String,
        #[source]
        source: git2::Error,
    },
}
