//! The trust policy: which signatures a baseline needs before regdrift compares against it.
//!
//! The design's rule is "the file's commit and HEAD are signed by an allowed signer, or a
//! detached signature verifies". [`SignedCommits`] says which commits must be signed;
//! [`Detached`] what to do with `<baseline>.sig`. `SignedCommits::Neither` is the "or" of the
//! design: for repositories whose merge commits cannot carry an SSH signature (for example,
//! commits GitHub creates and signs with its own OpenPGP key), the detached signature alone
//! vouches for the content. It is only accepted together with `Detached::Required`, so a policy
//! that would trust an unsigned baseline cannot be built or deserialised.
//!
//! With `SignedCommits::FileCommit` alone, commits after the file's last change are unchecked:
//! someone who can push could point the ref at history where an older signed version of the
//! file is the latest (a rollback). `Both`, the default, prevents that.
//!
//! Serialised in kebab-case for regdrift's configuration file:
//! `trust: { commits: both, detached: optional }`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which commits must carry a signature by an allowed signer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SignedCommits {
    /// The commit that last changed the file (first-parent history).
    FileCommit,
    /// The commit the ref points at.
    Head,
    /// Both (one check when they are the same commit).
    #[default]
    Both,
    /// No commit; the detached signature must then be required.
    Neither,
}

/// What to do with the detached signature `<baseline>.sig`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Detached {
    /// It must exist and verify.
    Required,
    /// Verified if present; refused if present and not valid.
    #[default]
    Optional,
    /// Not read.
    Ignored,
}

/// A policy that would trust a baseline no one signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "trust policy commits: {commits}, detached: {detached} would accept a baseline that nobody \
     signed; with commits: neither, set detached: required"
)]
pub struct PolicyError {
    pub commits: SignedCommits,
    pub detached: Detached,
}

/// Which signatures a baseline needs. Construct with [`TrustPolicy::new`] or deserialise; both
/// refuse a policy that requires no signature at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawTrustPolicy", into = "RawTrustPolicy")]
pub struct TrustPolicy {
    commits: SignedCommits,
    detached: Detached,
}

impl TrustPolicy {
    /// A policy, unless it would require no signature at all.
    pub fn new(commits: SignedCommits, detached: Detached) -> Result<Self, PolicyError> {
        if commits == SignedCommits::Neither && detached != Detached::Required {
            return Err(PolicyError { commits, detached });
        }
        Ok(TrustPolicy { commits, detached })
    }

    /// Which commits must be signed.
    pub fn commits(&self) -> SignedCommits {
        self.commits
    }

    /// What to do with the detached signature.
    pub fn detached(&self) -> Detached {
        self.detached
    }

    /// The commit requirement in words, for messages: "the commit that last changed the file
    /// and the tip of `main` (HEAD)".
    pub(crate) fn commit_requirement(&self, rev: &str) -> String {
        let file = "the commit that last changed the file";
        let head = format!("the tip of `{rev}` (HEAD)");
        match self.commits {
            SignedCommits::FileCommit => file.to_owned(),
            SignedCommits::Head => head,
            SignedCommits::Both => format!("{file} and {head}"),
            SignedCommits::Neither => "no commit".to_owned(),
        }
    }
}

impl fmt::Display for SignedCommits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignedCommits::FileCommit => "file-commit",
            SignedCommits::Head => "head",
            SignedCommits::Both => "both",
            SignedCommits::Neither => "neither",
        })
    }
}

impl fmt::Display for Detached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Detached::Required => "required",
            Detached::Optional => "optional",
            Detached::Ignored => "ignored",
        })
    }
}

/// The serialised form, checked by [`TrustPolicy::new`] on the way in.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
struct RawTrustPolicy {
    commits: SignedCommits,
    detached: Detached,
}

impl TryFrom<RawTrustPolicy> for TrustPolicy {
    type Error = PolicyError;

    fn try_from(raw: RawTrustPolicy) -> Result<Self, PolicyError> {
        TrustPolicy::new(raw.commits, raw.detached)
    }
}

impl From<TrustPolicy> for RawTrustPolicy {
    fn from(policy: TrustPolicy) -> Self {
        RawTrustPolicy {
            commits: policy.commits,
            detached: policy.detached,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_requires_both_commits_and_checks_detached_if_present() {
        let policy = TrustPolicy::default();
        assert_eq!(policy.commits(), SignedCommits::Both);
        assert_eq!(policy.detached(), Detached::Optional);
    }

    #[test]
    fn serde_is_kebab_case_with_defaults() {
        let policy: TrustPolicy = serde_json::from_str(r#"{"commits":"file-commit"}"#).unwrap();
        assert_eq!(policy.commits(), SignedCommits::FileCommit);
        assert_eq!(policy.detached(), Detached::Optional);
        let json = serde_json::to_string(&TrustPolicy::default()).unwrap();
        assert_eq!(json, r#"{"commits":"both","detached":"optional"}"#);
        assert!(serde_json::from_str::<TrustPolicy>(r#"{"comits":"head"}"#).is_err());
    }

    #[test]
    fn a_policy_requiring_no_signature_cannot_be_built() {
        assert!(TrustPolicy::new(SignedCommits::Neither, Detached::Optional).is_err());
        assert!(TrustPolicy::new(SignedCommits::Neither, Detached::Ignored).is_err());
        assert!(TrustPolicy::new(SignedCommits::Neither, Detached::Required).is_ok());
        let err = serde_json::from_str::<TrustPolicy>(r#"{"commits":"neither"}"#).unwrap_err();
        assert!(err.to_string().contains("detached: required"), "{err}");
    }
}
