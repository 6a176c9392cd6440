//! Baselines kept in git, and whether to trust them: only a [`VerifiedBaseline`] can be compared
//! against or written back in a remediation.
//!
//! Flow: [`BaselineRepo::open`] → [`BaselineRepo::load`]`(rev, path)` →
//! [`UnverifiedBaseline`] → [`UnverifiedBaseline::verify`]`(&AllowedSigners, &TrustPolicy, now)`
//! → [`VerifiedBaseline`]. The explicit escape hatch `--allow-unsigned` is
//! [`UnverifiedBaseline::trust_unsigned`] → [`UnsignedBaseline`], a different type with a
//! warning, which remediation does not accept.
//!
//! Decisions, each explained where it is made:
//! - Signatures are SSH signatures (`sshsig`), checked against an OpenSSH allowed-signers file
//!   kept outside the baseline repository ([`signers`], [`sshsig`]). OpenPGP and X.509 commit
//!   signatures are refused by name: verifying OpenPGP costs 72–103 s of extra cold build
//!   (rPGP, sequoia) and the trust model does not need it. Not supported in this version.
//! - Commit signatures: namespace `git`, payload the commit object without its `gpgsig` header.
//!   A signer's `valid-after`/`valid-before` are checked at the commit's committer time, as git
//!   does (`ssh-keygen -Y verify -Overify-time=<commit time>`): a commit dated before
//!   `valid-after` or after `valid-before` is refused. Not also at the current time: expiring a
//!   key would otherwise invalidate every baseline it ever signed. The committer time is chosen
//!   by the signer, so `valid-before` does not stop a stolen key; to revoke a key, delete its
//!   line from the allowed-signers file.
//! - Detached signatures: `<baseline>.sig` beside the file, at the same ref, in the format
//!   `ssh-keygen -Y sign -n regdrift-baseline -f KEY FILE` writes, verified over the exact
//!   blob bytes at the ref. The namespace `regdrift-baseline` is regdrift's own, so no signature
//!   made for another purpose can be replayed as a baseline approval. A detached signature
//!   carries no time, so its signer's validity is checked at the current time (as
//!   `ssh-keygen -Y verify` does by default).
//! - Which signatures are required is the [`TrustPolicy`]: by default the commit that last
//!   changed the file and the ref's commit, plus the detached signature when present.
//! - A dirty working copy (any tracked change anywhere, or an untracked file beside the
//!   baseline) is refused ([`git`]): content is always read from the commit, and a dirty
//!   checkout means someone may be looking at, or about to commit, something else.

pub mod error;
pub mod git;
pub mod init;
pub mod policy;
pub mod sign;
pub mod signers;
pub mod sshsig;
pub mod time;
mod verify;

pub use error::{
    CommitRole, DirtyPath, SignerLine, Subject, TimeSource, TrustError, UnsupportedKind,
};
pub use git::{BaselineRepo, Blob, BlobId, CommitId, TreeEntry};
pub use policy::{Detached, PolicyError, SignedCommits, TrustPolicy};
pub use signers::{AllowedSigners, AllowedSignersError, SignerEntry, ValidityBound};
pub use sshsig::{DETACHED_NAMESPACE, GIT_NAMESPACE, SignatureFormat, signature_format};
pub use time::Timestamp;
pub use verify::{UnsignedBaseline, UnverifiedBaseline, VerifiedBaseline, VerifiedSignature};
