//! Verifies one SSH signature (the `sshsig` format of `ssh-keygen -Y sign` and of
//! `git -c gpg.format=ssh commit -S`) against an allowed-signers file, the way
//! `ssh-keygen -Y verify -Overify-time=...` does.
//!
//! Order of checks, each failure its own [`SigFailure`]: the armour is recognised (SSH, or a
//! format regdrift refuses by name); the signature decodes; it verifies cryptographically over
//! the message with the key it carries and the namespace it names; that namespace is the one
//! expected; some allowed-signers entry has that key; one of those allows the namespace; one of
//! those is valid at the given instant. Only then is the signer reported: the principals of every
//! entry that passed, and the key's SHA256 fingerprint.
//!
//! OpenPGP (`-----BEGIN PGP SIGNATURE-----`) and X.509 (`gpgsm`) signatures are refused by name.
//! Verifying OpenPGP would need rPGP or sequoia-openpgp, which measured 72 s and 103 s of extra
//! cold build here (see DEPENDENCIES.md) for a format the trust design does not need: SSH
//! signing is what git offers without a keyring, and what the allowed-signers file describes.
//! Not supported in this version.

use ssh_key::{HashAlg, PublicKey, SshSig};

use super::signers::{AllowedSigners, ValidityBound};
use super::time::Timestamp;

/// The sshsig namespace git uses for commit and tag signatures.
pub const GIT_NAMESPACE: &str = "git";

/// The sshsig namespace of detached baseline signatures:
/// `ssh-keygen -Y sign -n regdrift-baseline -f KEY FILE`. A namespace of regdrift's own, so that
/// a signature made for another purpose (a commit, a file shared with `-n file`) can never be
/// replayed as approval of a baseline.
pub const DETACHED_NAMESPACE: &str = "regdrift-baseline";

/// What kind of signature an armoured block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFormat {
    /// `-----BEGIN SSH SIGNATURE-----`
    Ssh,
    /// `-----BEGIN PGP SIGNATURE-----`
    OpenPgp,
    /// `-----BEGIN SIGNED MESSAGE-----` (gpgsm, gitsign)
    X509,
    /// Anything else.
    Unknown,
}

/// Recognises the armour of a signature block.
pub fn signature_format(armoured: &[u8]) -> SignatureFormat {
    let text = armoured.trim_ascii_start();
    if text.starts_with(b"-----BEGIN SSH SIGNATURE-----") {
        SignatureFormat::Ssh
    } else if text.starts_with(b"-----BEGIN PGP SIGNATURE-----") {
        SignatureFormat::OpenPgp
    } else if text.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
        SignatureFormat::X509
    } else {
        SignatureFormat::Unknown
    }
}

/// A signature that verified, by an allowed signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignerMatch {
    /// Principals of every allowed-signers entry that accepted the signature, deduplicated.
    pub principals: Vec<String>,
    /// `SHA256:...` of the signing key.
    pub fingerprint: String,
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigFailure {
    /// Not an SSH signature.
    Unsupported(SignatureFormat),
    /// Made with an SSH certificate.
    Certificate,
    /// Does not decode as sshsig.
    Malformed(String),
    /// Does not verify over the message (different bytes, or altered).
    Mismatch(String),
    /// Made for another namespace than the one expected.
    WrongNamespace { found: String },
    /// The key is in no allowed-signers entry.
    SignerNotAllowed { fingerprint: String },
    /// Entries hold the key but none allows the namespace.
    NamespaceNotAllowed {
        fingerprint: String,
        principals: Vec<String>,
        line: usize,
        allowed: String,
    },
    /// Entries hold the key and allow the namespace, but none is valid at the instant.
    OutsideValidity {
        fingerprint: String,
        principals: Vec<String>,
        line: usize,
        bound: ValidityBound,
    },
}

/// Verifies `armoured` over `message` for `namespace`, by an entry of `signers` valid at `at`.
pub(crate) fn verify(
    armoured: &[u8],
    namespace: &str,
    message: &[u8],
    signers: &AllowedSigners,
    at: Timestamp,
) -> Result<SignerMatch, SigFailure> {
    let format = signature_format(armoured);
    if format != SignatureFormat::Ssh {
        return Err(SigFailure::Unsupported(format));
    }
    let sig = SshSig::from_pem(armoured.trim_ascii())
        .map_err(|e| SigFailure::Malformed(format!("not a valid SSH signature: {e}")))?;
    if sig
        .public_key()
        .algorithm()
        .as_str()
        .ends_with("-cert-v01@openssh.com")
    {
        return Err(SigFailure::Certificate);
    }
    let signing_key = PublicKey::from(sig.public_key().clone());
    signing_key
        .verify(sig.namespace(), message, &sig)
        .map_err(|e| SigFailure::Mismatch(e.to_string()))?;
    if sig.namespace() != namespace {
        return Err(SigFailure::WrongNamespace {
            found: sig.namespace().to_owned(),
        });
    }
    let fingerprint = signing_key.fingerprint(HashAlg::Sha256).to_string();
    accept_signer(signers, sig.public_key(), namespace, at, fingerprint)
}

/// The allowed-signers half: which entries accept this key, for this namespace, at this instant.
fn accept_signer(
    signers: &AllowedSigners,
    key: &ssh_key::public::KeyData,
    namespace: &str,
    at: Timestamp,
    fingerprint: String,
) -> Result<SignerMatch, SigFailure> {
    let with_key: Vec<_> = signers.entries_for_key(key).collect();
    let Some(first) = with_key.first() else {
        return Err(SigFailure::SignerNotAllowed { fingerprint });
    };
    let in_namespace: Vec<_> = with_key
        .iter()
        .filter(|e| e.allows_namespace(namespace))
        .collect();
    let Some(first_in_namespace) = in_namespace.first() else {
        return Err(SigFailure::NamespaceNotAllowed {
            fingerprint,
            principals: first.principals().to_vec(),
            line: first.line(),
            allowed: first.namespaces().unwrap_or_default().to_owned(),
        });
    };
    let mut principals: Vec<String> = Vec::new();
    for entry in in_namespace.iter().filter(|e| e.check_validity(at).is_ok()) {
        for p in entry.principals() {
            if !principals.contains(p) {
                principals.push(p.clone());
            }
        }
    }
    if principals.is_empty() {
        let bound = first_in_namespace
            .check_validity(at)
            .expect_err("no entry valid at `at`, so this one is not");
        return Err(SigFailure::OutsideValidity {
            fingerprint,
            principals: first_in_namespace.principals().to_vec(),
            line: first_in_namespace.line(),
            bound,
        });
    }
    Ok(SignerMatch {
        principals,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_armour() {
        assert_eq!(
            signature_format(b"-----BEGIN SSH SIGNATURE-----\nU1NI\n"),
            SignatureFormat::Ssh
        );
        assert_eq!(
            signature_format(b" -----BEGIN PGP SIGNATURE-----\n"),
            SignatureFormat::OpenPgp
        );
        assert_eq!(
            signature_format(b"-----BEGIN SIGNED MESSAGE-----\n"),
            SignatureFormat::X509
        );
        assert_eq!(signature_format(b"hello"), SignatureFormat::Unknown);
    }

    #[test]
    fn refuses_garbage_inside_ssh_armour() {
        let signers = AllowedSigners::parse(
            "s",
            "a ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti",
        )
        .unwrap();
        let got = verify(
            b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
            GIT_NAMESPACE,
            b"msg",
            &signers,
            Timestamp::from_unix(0),
        );
        assert!(matches!(got, Err(SigFailure::Malformed(_))), "{got:?}");
    }
}
