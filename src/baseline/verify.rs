//! The trust decision: [`UnverifiedBaseline`] (read from git) → [`UnverifiedBaseline::verify`]
//! → [`VerifiedBaseline`], the only form of a baseline regdrift compares against and writes back
//! in a remediation. [`UnverifiedBaseline::trust_unsigned`] is the explicit `--allow-unsigned`
//! way out; it gives an [`UnsignedBaseline`], a different type that cannot be used to remediate.
//!
//! Invariants: a `VerifiedBaseline` exists only if every signature the [`TrustPolicy`] requires
//! verified by an allowed signer, no detached signature present was bad (unless ignored), the
//! working copy was clean, and the allowed-signers file lies outside the repository. Its fields
//! are private and it has no public constructor, so no other module can make one.
//!
//! `verify` is pure: git was read by [`super::git::BaselineRepo::load`], and the clock comes in
//! as an argument.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::error::{
    CommitRole, DirtyPath, SignerLine, Subject, TimeSource, TrustError, UnsupportedKind,
};
use super::git::{Blob, BlobId, CommitId};
use super::policy::{Detached, SignedCommits, TrustPolicy};
use super::signers::AllowedSigners;
use super::sshsig::{self, DETACHED_NAMESPACE, GIT_NAMESPACE, SigFailure, SignatureFormat};
use super::time::Timestamp;

/// A commit as read from git: id, committer time, and its signature with the signed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CommitRecord {
    pub(super) id: CommitId,
    pub(super) time: Timestamp,
    /// `(armoured signature, signed payload)`, as `git2::Repository::extract_signature` gives.
    pub(super) signature: Option<(Vec<u8>, Vec<u8>)>,
}

/// A baseline read from git whose signatures have not been checked. Its content is not
/// exposed: call [`UnverifiedBaseline::verify`] (or, explicitly, `trust_unsigned`).
#[derive(Debug, Clone)]
pub struct UnverifiedBaseline {
    pub(super) repo_path: PathBuf,
    pub(super) repo_dirs: Vec<PathBuf>,
    pub(super) rev: String,
    pub(super) path: String,
    pub(super) blob: Blob,
    pub(super) file_commit: CommitRecord,
    pub(super) head_commit: CommitRecord,
    pub(super) signature_path: String,
    /// The detached signature's bytes; `Err` names what is there instead of a file.
    pub(super) detached: Option<Result<Vec<u8>, &'static str>>,
    pub(super) dirty: Vec<DirtyPath>,
}

impl UnverifiedBaseline {
    /// The repository as opened.
    pub fn repo_path(&self) -> &Path {
        &self.repo_path
    }

    /// The ref as given.
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// The file's path relative to the repository root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The git blob id of the file at the ref.
    pub fn blob_id(&self) -> BlobId {
        self.blob.id
    }

    /// The commit that last changed the file.
    pub fn file_commit(&self) -> CommitId {
        self.file_commit.id
    }

    /// The commit the ref points at.
    pub fn head_commit(&self) -> CommitId {
        self.head_commit.id
    }

    /// Whether `<path>.sig` exists at the ref.
    pub fn has_detached_signature(&self) -> bool {
        self.detached.is_some()
    }

    /// What makes the working copy dirty (empty when clean).
    pub fn dirty_paths(&self) -> &[DirtyPath] {
        &self.dirty
    }

    /// Checks the baseline against `policy`, with signers from `signers`; `now` is the time of
    /// the run, used for the validity of detached signatures (commit signatures are checked at
    /// their commit time, as git does).
    pub fn verify(
        self,
        signers: &AllowedSigners,
        policy: &TrustPolicy,
        now: SystemTime,
    ) -> Result<VerifiedBaseline, TrustError> {
        self.refuse_dirty()?;
        self.refuse_signers_inside(signers)?;
        let mut signatures = Vec::new();
        for (commit, role) in self.commits_to_check(policy.commits()) {
            signatures.push(self.verify_commit(commit, role, signers, policy)?);
        }
        let detached_verified = match (policy.detached(), &self.detached) {
            (Detached::Ignored, _) => false,
            (Detached::Required, None) => {
                return Err(TrustError::DetachedMissing {
                    path: self.path.clone(),
                    signature_path: self.signature_path.clone(),
                    commit: self.head_commit.id,
                });
            }
            (Detached::Optional, None) => false,
            (_, Some(sig)) => {
                signatures.push(self.verify_detached(sig, signers, now)?);
                true
            }
        };
        Ok(VerifiedBaseline {
            blake3: blake3::hash(&self.blob.bytes).to_hex().to_string(),
            content: self.blob.bytes,
            blob_id: self.blob.id,
            path: self.path,
            rev: self.rev,
            repo_path: self.repo_path,
            file_commit: self.file_commit.id,
            head_commit: self.head_commit.id,
            signatures,
            detached_verified,
        })
    }

    /// Uses the baseline without any signature check (`--allow-unsigned`).
    pub fn trust_unsigned(self) -> UnsignedBaseline {
        let mut warning = format!(
            "{}: used WITHOUT signature verification (--allow-unsigned) at `{}` (commit {}): \
             findings compare against content nobody vouched for, and no remediation will be \
             opened",
            self.path,
            self.rev,
            self.head_commit.id.short()
        );
        if !self.dirty.is_empty() {
            warning.push_str(&format!(
                "; the working copy also has uncommitted changes ({}), which are not used",
                super::error::list_dirty(&self.dirty)
            ));
        }
        UnsignedBaseline {
            blake3: blake3::hash(&self.blob.bytes).to_hex().to_string(),
            content: self.blob.bytes,
            blob_id: self.blob.id,
            path: self.path,
            rev: self.rev,
            file_commit: self.file_commit.id,
            head_commit: self.head_commit.id,
            warning,
        }
    }

    fn refuse_dirty(&self) -> Result<(), TrustError> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        Err(TrustError::DirtyWorkingCopy {
            path: self.path.clone(),
            repo: self.repo_path.clone(),
            head: self.head_commit.id,
            paths: self.dirty.clone(),
        })
    }

    /// The design keeps the allowed-signers file outside the baseline repository: otherwise
    /// whoever can commit a baseline can also commit their key.
    fn refuse_signers_inside(&self, signers: &AllowedSigners) -> Result<(), TrustError> {
        let Some(file) = signers.path() else {
            return Ok(());
        };
        let file = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        if self.repo_dirs.iter().any(|dir| file.starts_with(dir)) {
            return Err(TrustError::SignersInsideRepository {
                path: self.path.clone(),
                allowed_signers: signers.source().to_owned(),
                repo: self.repo_path.clone(),
            });
        }
        Ok(())
    }

    fn commits_to_check(&self, which: SignedCommits) -> Vec<(&CommitRecord, CommitRole)> {
        let same = self.file_commit.id == self.head_commit.id;
        match which {
            SignedCommits::FileCommit => vec![(&self.file_commit, CommitRole::FileCommit)],
            SignedCommits::Head => vec![(&self.head_commit, CommitRole::Head)],
            SignedCommits::Both if same => {
                vec![(&self.head_commit, CommitRole::FileCommitAndHead)]
            }
            SignedCommits::Both => vec![
                (&self.file_commit, CommitRole::FileCommit),
                (&self.head_commit, CommitRole::Head),
            ],
            SignedCommits::Neither => Vec::new(),
        }
    }

    fn verify_commit(
        &self,
        commit: &CommitRecord,
        role: CommitRole,
        signers: &AllowedSigners,
        policy: &TrustPolicy,
    ) -> Result<VerifiedSignature, TrustError> {
        let subject = Subject::Commit {
            id: commit.id,
            role,
            rev: self.rev.clone(),
        };
        let Some((armoured, payload)) = &commit.signature else {
            return Err(TrustError::Unsigned {
                path: self.path.clone(),
                subject: Box::new(subject),
                requirement: policy.commit_requirement(&self.rev),
                allowed_signers: signers.source().to_owned(),
            });
        };
        let checked = sshsig::verify(armoured, GIT_NAMESPACE, payload, signers, commit.time);
        let signer = checked.map_err(|failure| {
            self.failure(
                failure,
                subject.clone(),
                signers,
                commit.time,
                TimeSource::CommitTime,
                GIT_NAMESPACE,
            )
        })?;
        Ok(VerifiedSignature {
            subject,
            principals: signer.principals,
            fingerprint: signer.fingerprint,
        })
    }

    fn verify_detached(
        &self,
        sig: &Result<Vec<u8>, &'static str>,
        signers: &AllowedSigners,
        now: SystemTime,
    ) -> Result<VerifiedSignature, TrustError> {
        let subject = Subject::Detached {
            signature_path: self.signature_path.clone(),
            commit: self.head_commit.id,
        };
        let armoured = sig.as_ref().map_err(|what| TrustError::BadSignature {
            path: self.path.clone(),
            subject: Box::new(subject.clone()),
            reason: format!("it is {what}, not a signature file"),
        })?;
        let now = Timestamp::from_system_time(now);
        let checked = sshsig::verify(armoured, DETACHED_NAMESPACE, &self.blob.bytes, signers, now);
        let signer = checked.map_err(|failure| {
            self.failure(
                failure,
                subject.clone(),
                signers,
                now,
                TimeSource::Now,
                DETACHED_NAMESPACE,
            )
        })?;
        Ok(VerifiedSignature {
            subject,
            principals: signer.principals,
            fingerprint: signer.fingerprint,
        })
    }

    /// Turns a signature failure into the error naming this baseline and `subject`.
    fn failure(
        &self,
        failure: SigFailure,
        subject: Subject,
        signers: &AllowedSigners,
        at: Timestamp,
        time_source: TimeSource,
        namespace: &str,
    ) -> TrustError {
        let path = self.path.clone();
        let allowed_signers = signers.source().to_owned();
        let signer = |fingerprint, principals, line| {
            Box::new(SignerLine {
                fingerprint,
                principals,
                allowed_signers: allowed_signers.clone(),
                line,
            })
        };
        let detached = matches!(subject, Subject::Detached { .. });
        let subject = Box::new(subject);
        match failure {
            SigFailure::Unsupported(format) => TrustError::UnsupportedSignature {
                path,
                subject,
                kind: match format {
                    SignatureFormat::OpenPgp => UnsupportedKind::OpenPgp,
                    SignatureFormat::X509 => UnsupportedKind::X509,
                    SignatureFormat::Ssh | SignatureFormat::Unknown => UnsupportedKind::Unknown,
                },
            },
            SigFailure::Certificate => TrustError::UnsupportedSignature {
                path,
                subject,
                kind: UnsupportedKind::SshCertificate,
            },
            SigFailure::Malformed(reason) => TrustError::BadSignature {
                path,
                subject,
                reason,
            },
            SigFailure::Mismatch(reason) if detached => TrustError::DetachedMismatch {
                path,
                subject,
                reason,
            },
            SigFailure::Mismatch(reason) => TrustError::BadSignature {
                path,
                subject,
                reason: format!("the signature does not match the commit: {reason}"),
            },
            SigFailure::WrongNamespace { found } => TrustError::WrongNamespace {
                path,
                subject,
                found,
                expected: namespace.to_owned(),
                hint: if detached {
                    format!(
                        "re-sign with `ssh-keygen -Y sign -n {DETACHED_NAMESPACE} -f KEY {}`",
                        self.path
                    )
                } else {
                    "git signs commits for namespace `git`: this signature was not made by \
                     `git commit -S`; do not use this baseline"
                        .to_owned()
                },
            },
            SigFailure::SignerNotAllowed { fingerprint } => TrustError::SignerNotAllowed {
                path,
                subject,
                fingerprint,
                allowed_signers: allowed_signers.clone(),
            },
            SigFailure::NamespaceNotAllowed {
                fingerprint,
                principals,
                line,
                allowed,
            } => TrustError::NamespaceNotAllowed {
                path,
                subject,
                signer: signer(fingerprint, principals, line),
                namespace: namespace.to_owned(),
                allowed,
            },
            SigFailure::OutsideValidity {
                fingerprint,
                principals,
                line,
                bound,
            } => TrustError::OutsideValidity {
                path,
                subject,
                signer: signer(fingerprint, principals, line),
                bound,
                checked_at: at,
                time_source,
            },
        }
    }
}

/// One signature that verified: what it covers, who made it, with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    subject: Subject,
    principals: Vec<String>,
    fingerprint: String,
}

impl VerifiedSignature {
    /// The commit or detached signature verified.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The principals (as written in the allowed-signers file) of the entries that accepted it.
    pub fn principals(&self) -> &[String] {
        &self.principals
    }

    /// The key's fingerprint as `ssh-keygen -l` prints it: `SHA256:...`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// A baseline whose signatures verified under the trust policy: the only baseline regdrift
/// compares against and writes back in a remediation. Not constructible outside this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBaseline {
    content: Vec<u8>,
    blake3: String,
    blob_id: BlobId,
    path: String,
    rev: String,
    repo_path: PathBuf,
    file_commit: CommitId,
    head_commit: CommitId,
    signatures: Vec<VerifiedSignature>,
    detached_verified: bool,
}

impl VerifiedBaseline {
    /// The verified bytes, exactly as committed.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// blake3 of the content, lowercase hex.
    pub fn blake3_hex(&self) -> &str {
        &self.blake3
    }

    /// The git blob id of the content.
    pub fn blob_id(&self) -> BlobId {
        self.blob_id
    }

    /// Path relative to the repository root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The ref as given.
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// The repository as opened.
    pub fn repo_path(&self) -> &Path {
        &self.repo_path
    }

    /// The commit that last changed the file.
    pub fn commit(&self) -> CommitId {
        self.file_commit
    }

    /// The commit the ref pointed at.
    pub fn head_commit(&self) -> CommitId {
        self.head_commit
    }

    /// Every signature that verified, commits first, then the detached one.
    pub fn signatures(&self) -> &[VerifiedSignature] {
        &self.signatures
    }

    /// The principals of all verified signatures, deduplicated, in order.
    pub fn principals(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for p in self.signatures.iter().flat_map(|s| s.principals.iter()) {
            if !all.contains(&p.as_str()) {
                all.push(p);
            }
        }
        all
    }

    /// The fingerprints of the keys of all verified signatures, deduplicated, in order.
    pub fn fingerprints(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for s in &self.signatures {
            if !all.contains(&s.fingerprint.as_str()) {
                all.push(&s.fingerprint);
            }
        }
        all
    }

    /// Whether the detached signature `<path>.sig` was present and verified.
    pub fn detached_verified(&self) -> bool {
        self.detached_verified
    }
}

/// A baseline used without verification (`--allow-unsigned`). Deliberately not a
/// [`VerifiedBaseline`]: it can be compared against, but never used for a remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedBaseline {
    content: Vec<u8>,
    blake3: String,
    blob_id: BlobId,
    path: String,
    rev: String,
    file_commit: CommitId,
    head_commit: CommitId,
    warning: String,
}

impl UnsignedBaseline {
    /// The bytes at the ref, unverified.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// blake3 of the content, lowercase hex.
    pub fn blake3_hex(&self) -> &str {
        &self.blake3
    }

    /// The git blob id of the content.
    pub fn blob_id(&self) -> BlobId {
        self.blob_id
    }

    /// Path relative to the repository root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The ref as given.
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// The commit that last changed the file.
    pub fn commit(&self) -> CommitId {
        self.file_commit
    }

    /// The commit the ref pointed at.
    pub fn head_commit(&self) -> CommitId {
        self.head_commit
    }

    /// What to tell the user every time this baseline is used.
    pub fn warning(&self) -> &str {
        &self.warning
    }
}
