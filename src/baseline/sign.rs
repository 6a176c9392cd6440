//! Detached signatures of baseline files, written in the format `ssh-keygen -Y sign` writes
//! (an armoured `sshsig`), with the namespace `regdrift-baseline`, so either tool can make
//! them and [`super::UnverifiedBaseline::verify`] (or `ssh-keygen -Y verify`) can check them.

use std::path::Path;

use ssh_key::{HashAlg, LineEnding, PrivateKey, SshSig};

use super::DETACHED_NAMESPACE;

/// Why a file could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{path}: cannot read the private key: {message} (give an OpenSSH private key file)")]
    Key { path: String, message: String },
    #[error(
        "{path}: the key is passphrase-protected (sign with `ssh-keygen -Y sign -n {ns} -f {path} FILE` instead: it writes the same format)",
        ns = DETACHED_NAMESPACE
    )]
    Encrypted { path: String },
    #[error("{path}: signing failed: {message}")]
    Sign { path: String, message: String },
}

/// Signs `content` with the OpenSSH private key at `key_path`; returns the armoured signature.
pub fn sign_detached(content: &[u8], key_path: &Path) -> Result<String, SignError> {
    let path = key_path.display().to_string();
    let key = PrivateKey::read_openssh_file(key_path).map_err(|e| SignError::Key {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if key.is_encrypted() {
        return Err(SignError::Encrypted { path });
    }
    let sig = SshSig::sign(&key, DETACHED_NAMESPACE, HashAlg::Sha512, content).map_err(|e| {
        SignError::Sign {
            path: path.clone(),
            message: e.to_string(),
        }
    })?;
    sig.to_pem(LineEnding::LF).map_err(|e| SignError::Sign {
        path,
        message: e.to_string(),
    })
}
