//! Trust decisions on baselines in real git repositories, signed by real `git commit -S` and
//! `ssh-keygen -Y sign`: repositories and keys are created per test in a temporary directory,
//! with the machine's git configuration shut out (`GIT_CONFIG_GLOBAL=/dev/null`,
//! `GIT_CONFIG_NOSYSTEM=1`, `HOME` in the temporary directory).

use std::path::PathBuf;
use std::process::Command;
use std::time::SystemTime;

use regdrift::baseline::{
    AllowedSigners, AllowedSignersError, BaselineRepo, Detached, SignedCommits, Subject,
    TrustError, TrustPolicy, UnverifiedBaseline, VerifiedBaseline,
};
use tempfile::TempDir;

const BASELINE: &str = "baselines/prod.yml";
const CONTENT: &str = "version: 0.1\nhttp:\n  addr: :5000\n";
const PRINCIPAL: &str = "t@example.com";

/// A temporary directory with a repository in `repo/`; keys and allowed signers live beside it,
/// outside the repository.
struct Fixture {
    dir: TempDir,
}

struct Key {
    private: PathBuf,
    public: PathBuf,
}

impl Key {
    fn public_line(&self) -> String {
        std::fs::read_to_string(&self.public)
            .unwrap()
            .trim()
            .to_owned()
    }

    /// The SHA256 field of `ssh-keygen -lf key.pub`.
    fn fingerprint(&self) -> String {
        let out = run(Command::new("ssh-keygen").arg("-lf").arg(&self.public));
        out.split_whitespace().nth(1).unwrap().to_owned()
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl Fixture {
    fn new() -> Self {
        let fixture = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(fixture.repo()).unwrap();
        fixture.git(&["init", "-q", "-b", "main"]);
        fixture
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn git_cmd(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.repo())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.dir.path())
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"]);
        cmd
    }

    fn git(&self, args: &[&str]) -> String {
        run(self.git_cmd().args(args))
    }

    fn key(&self, name: &str, key_type: &str, bits: Option<&str>) -> Key {
        let private = self.dir.path().join(name);
        let mut cmd = Command::new("ssh-keygen");
        cmd.args(["-q", "-t", key_type, "-N", "", "-C", name, "-f"])
            .arg(&private);
        if let Some(bits) = bits {
            cmd.args(["-b", bits]);
        }
        run(&mut cmd);
        Key {
            public: private.with_extension("pub"),
            private,
        }
    }

    fn ed25519(&self, name: &str) -> Key {
        self.key(name, "ed25519", None)
    }

    fn write(&self, path: &str, content: &str) {
        let full = self.repo().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    /// Writes, stages and commits `path`; signed with `key` if given, at `date` if given.
    fn commit_file(
        &self,
        path: &str,
        content: &str,
        key: Option<&Key>,
        date: Option<&str>,
    ) -> String {
        self.write(path, content);
        self.git(&["add", path]);
        self.commit(key, date)
    }

    /// Commits what is staged; returns the full commit id.
    fn commit(&self, key: Option<&Key>, date: Option<&str>) -> String {
        let mut cmd = self.git_cmd();
        if let Some(date) = date {
            cmd.env("GIT_COMMITTER_DATE", date)
                .env("GIT_AUTHOR_DATE", date);
        }
        if let Some(key) = key {
            cmd.args(["-c", "gpg.format=ssh", "-c"])
                .arg(format!("user.signingkey={}", key.private.display()))
                .args(["commit", "-q", "-S", "-m", "signed"]);
        } else {
            cmd.args(["commit", "-q", "--no-gpg-sign", "-m", "unsigned"]);
        }
        run(&mut cmd);
        self.head()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// `ssh-keygen -Y sign -n <namespace>` over the working-copy file; writes `<path>.sig`.
    fn sign_detached(&self, path: &str, key: &Key, namespace: &str) {
        run(Command::new("ssh-keygen")
            .env("HOME", self.dir.path())
            .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
            .arg(&key.private)
            .arg(self.repo().join(path)));
    }

    /// Writes an allowed-signers file outside the repository and parses it.
    fn signers(&self, lines: &[String]) -> AllowedSigners {
        let path = self.dir.path().join("allowed_signers");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        AllowedSigners::from_file(&path).unwrap()
    }

    fn signers_for(&self, key: &Key) -> AllowedSigners {
        self.signers(&[format!("{PRINCIPAL} {}", key.public_line())])
    }

    fn load(&self, rev: &str, path: &str) -> Result<UnverifiedBaseline, TrustError> {
        BaselineRepo::open(&self.repo())?.load(rev, path)
    }

    fn verify(
        &self,
        signers: &AllowedSigners,
        policy: &TrustPolicy,
    ) -> Result<VerifiedBaseline, TrustError> {
        self.load("main", BASELINE)?
            .verify(signers, policy, SystemTime::now())
    }
}

fn short(id: &str) -> &str {
    &id[..7]
}

fn policy(commits: SignedCommits, detached: Detached) -> TrustPolicy {
    TrustPolicy::new(commits, detached).unwrap()
}

/// The error message, after checking it names each of `parts`.
fn message_with(err: &TrustError, parts: &[&str]) -> String {
    let message = err.to_string();
    for part in parts {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
    message
}

#[test]
fn signed_by_allowed_signer_passes_and_reports_principal_and_fingerprint() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let verified = f
        .verify(&f.signers_for(&key), &TrustPolicy::default())
        .unwrap();
    assert_eq!(verified.content(), CONTENT.as_bytes());
    assert_eq!(verified.path(), BASELINE);
    assert_eq!(verified.commit().to_string(), commit);
    assert_eq!(verified.head_commit().to_string(), commit);
    assert_eq!(verified.principals(), [PRINCIPAL]);
    assert_eq!(verified.fingerprints(), [key.fingerprint().as_str()]);
    assert!(verified.fingerprints()[0].starts_with("SHA256:"));
    assert_eq!(
        verified.blake3_hex(),
        blake3::hash(CONTENT.as_bytes()).to_hex().as_str()
    );
    let blob = f.git(&["rev-parse", &format!("main:{BASELINE}")]);
    assert_eq!(verified.blob_id().to_string(), blob.trim());
    assert!(!verified.detached_verified());
    assert_eq!(
        verified.signatures().len(),
        1,
        "file commit is HEAD: one check"
    );
}

#[test]
fn unsigned_commit_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, None, None);
    let signers = f.signers_for(&key);
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    assert!(matches!(err, TrustError::Unsigned { .. }), "{err:?}");
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            "is not signed",
            "the commit that last changed the file and the tip of `main`",
            signers.source(),
        ],
    );
}

#[test]
fn signed_by_key_not_in_allowed_signers_is_refused() {
    let f = Fixture::new();
    let alice = f.ed25519("alice");
    let mallory = f.ed25519("mallory");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&mallory), None);
    let err = f
        .verify(&f.signers_for(&alice), &TrustPolicy::default())
        .unwrap_err();
    assert!(
        matches!(err, TrustError::SignerNotAllowed { .. }),
        "{err:?}"
    );
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            &mallory.fingerprint(),
            "not in the allowed signers",
        ],
    );
}

#[test]
fn signer_whose_valid_before_is_before_the_commit_time_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), Some("2024-06-01T12:00:00Z"));
    let signers = f.signers(&[format!(
        "{PRINCIPAL} valid-before=\"20240101Z\" {}",
        key.public_line()
    )]);
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    assert!(matches!(err, TrustError::OutsideValidity { .. }), "{err:?}");
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            "valid only until 2024-01-01T00:00:00Z (valid-before)",
            "commit time is 2024-06-01T12:00:00Z",
            &format!("{}:1", signers.source()),
        ],
    );
}

#[test]
fn signer_whose_valid_after_is_after_the_commit_time_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let signers = f.signers(&[format!(
        "{PRINCIPAL} valid-after=\"20990101\" {}",
        key.public_line()
    )]);
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    assert!(matches!(err, TrustError::OutsideValidity { .. }), "{err:?}");
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            "valid only from 2099-01-01T00:00:00Z (valid-after)",
        ],
    );
}

#[test]
fn signer_valid_at_commit_time_passes_after_the_key_expired() {
    // Validity is checked at the commit time, as git does, not at the time of the run.
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), Some("2024-06-01T12:00:00Z"));
    let signers = f.signers(&[format!(
        "{PRINCIPAL} valid-after=\"20240101\",valid-before=\"20250101\" {}",
        key.public_line()
    )]);
    let verified = f.verify(&signers, &TrustPolicy::default()).unwrap();
    assert_eq!(verified.principals(), [PRINCIPAL]);
}

/// Signed commit of the baseline, unsigned change to it, then a signed commit elsewhere:
/// the file's last change is unsigned while HEAD is signed.
fn unsigned_file_commit_under_signed_head(f: &Fixture, key: &Key) -> (String, String) {
    f.commit_file(BASELINE, CONTENT, Some(key), None);
    let file_commit = f.commit_file(BASELINE, "version: 0.1\n", None, None);
    let head = f.commit_file("README.md", "baselines\n", Some(key), None);
    (file_commit, head)
}

#[test]
fn unsigned_file_commit_under_signed_head_fails_under_both() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let (file_commit, head) = unsigned_file_commit_under_signed_head(&f, &key);
    let unverified = f.load("main", BASELINE).unwrap();
    assert_eq!(unverified.file_commit().to_string(), file_commit);
    assert_eq!(unverified.head_commit().to_string(), head);
    let err = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Both, Detached::Optional),
        )
        .unwrap_err();
    assert!(
        matches!(&err, TrustError::Unsigned { subject, .. }
            if matches!(&**subject, Subject::Commit { id, .. } if id.to_string() == file_commit)),
        "{err:?}"
    );
    message_with(
        &err,
        &[
            BASELINE,
            short(&file_commit),
            "last changed the file",
            "is not signed",
        ],
    );
}

#[test]
fn unsigned_file_commit_under_signed_head_fails_under_file_commit() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let (file_commit, _) = unsigned_file_commit_under_signed_head(&f, &key);
    let err = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::FileCommit, Detached::Optional),
        )
        .unwrap_err();
    assert!(matches!(err, TrustError::Unsigned { .. }), "{err:?}");
    message_with(&err, &[BASELINE, short(&file_commit), "is not signed"]);
}

#[test]
fn unsigned_file_commit_under_signed_head_passes_under_head() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let (file_commit, head) = unsigned_file_commit_under_signed_head(&f, &key);
    let verified = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Head, Detached::Optional),
        )
        .unwrap();
    assert_eq!(verified.content(), b"version: 0.1\n");
    assert_eq!(verified.commit().to_string(), file_commit);
    assert_eq!(verified.head_commit().to_string(), head);
}

#[test]
fn unsigned_head_above_signed_file_commit_fails_under_both_and_names_head() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let head = f.commit_file("README.md", "x\n", None, None);
    let err = f
        .verify(&f.signers_for(&key), &TrustPolicy::default())
        .unwrap_err();
    message_with(
        &err,
        &[BASELINE, short(&head), "tip of `main`", "is not signed"],
    );
}

#[test]
fn detached_signature_verifies_and_is_reported() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.write(BASELINE, CONTENT);
    f.sign_detached(BASELINE, &key, "regdrift-baseline");
    f.git(&["add", "baselines"]);
    f.commit(Some(&key), None);
    let verified = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Both, Detached::Required),
        )
        .unwrap();
    assert!(verified.detached_verified());
    assert_eq!(verified.signatures().len(), 2);
    assert!(matches!(
        verified.signatures()[1].subject(),
        Subject::Detached { signature_path, .. } if signature_path == "baselines/prod.yml.sig"
    ));
}

#[test]
fn detached_signature_over_changed_content_is_a_mismatch() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.write(BASELINE, CONTENT);
    f.sign_detached(BASELINE, &key, "regdrift-baseline");
    f.git(&["add", "baselines"]);
    f.commit(Some(&key), None);
    let head = f.commit_file(BASELINE, "version: 0.1\nstorage: {}\n", Some(&key), None);
    let err = f
        .verify(&f.signers_for(&key), &TrustPolicy::default())
        .unwrap_err();
    assert!(
        matches!(err, TrustError::DetachedMismatch { .. }),
        "{err:?}"
    );
    message_with(
        &err,
        &[
            BASELINE,
            short(&head),
            "baselines/prod.yml.sig",
            "does not match the file's content",
            "ssh-keygen -Y sign -n regdrift-baseline",
        ],
    );
}

#[test]
fn detached_signature_required_but_missing_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let err = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Both, Detached::Required),
        )
        .unwrap_err();
    assert!(matches!(err, TrustError::DetachedMissing { .. }), "{err:?}");
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            "baselines/prod.yml.sig",
            "does not exist",
        ],
    );
}

#[test]
fn detached_signature_for_another_namespace_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.write(BASELINE, CONTENT);
    f.sign_detached(BASELINE, &key, "file");
    f.git(&["add", "baselines"]);
    let commit = f.commit(Some(&key), None);
    let err = f
        .verify(&f.signers_for(&key), &TrustPolicy::default())
        .unwrap_err();
    assert!(matches!(err, TrustError::WrongNamespace { .. }), "{err:?}");
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            "namespace `file`, not `regdrift-baseline`",
            "ssh-keygen -Y sign -n regdrift-baseline",
        ],
    );
}

#[test]
fn detached_signature_alone_suffices_when_policy_requires_no_commit_signature() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.write(BASELINE, CONTENT);
    f.sign_detached(BASELINE, &key, "regdrift-baseline");
    f.git(&["add", "baselines"]);
    f.commit(None, None);
    let signers = f.signers_for(&key);
    let verified = f
        .verify(
            &signers,
            &policy(SignedCommits::Neither, Detached::Required),
        )
        .unwrap();
    assert!(verified.detached_verified());
    assert_eq!(verified.fingerprints(), [key.fingerprint().as_str()]);
    // The same repository under the default policy: the commit must be signed.
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    assert!(matches!(err, TrustError::Unsigned { .. }), "{err:?}");
}

#[test]
fn detached_signature_is_ignored_when_policy_says_so() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.write(BASELINE, CONTENT);
    f.sign_detached(BASELINE, &key, "file");
    f.git(&["add", "baselines"]);
    f.commit(Some(&key), None);
    let verified = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Both, Detached::Ignored),
        )
        .unwrap();
    assert!(!verified.detached_verified());
}

#[test]
fn dirty_working_copy_with_modified_tracked_file_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    f.commit_file("other/notes.txt", "a\n", Some(&key), None);
    f.write("other/notes.txt", "b\n");
    let err = f
        .verify(&f.signers_for(&key), &TrustPolicy::default())
        .unwrap_err();
    assert!(
        matches!(err, TrustError::DirtyWorkingCopy { .. }),
        "{err:?}"
    );
    message_with(
        &err,
        &[BASELINE, "modified other/notes.txt", "uncommitted changes"],
    );
}

#[test]
fn untracked_file_beside_the_baseline_is_dirty_but_elsewhere_is_not() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    f.write("build/output.txt", "x\n");
    let signers = f.signers_for(&key);
    f.verify(&signers, &TrustPolicy::default())
        .expect("untracked files away from the baseline do not count");
    f.write("baselines/staging.yml", "version: 0.1\n");
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    message_with(&err, &[BASELINE, "untracked baselines/staging.yml"]);
}

#[test]
fn dirty_working_copy_lists_at_most_five_paths() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    for i in 0..7 {
        f.write(&format!("f{i}.txt"), "a\n");
    }
    f.write(BASELINE, CONTENT);
    f.git(&["add", "."]);
    f.commit(Some(&key), None);
    for i in 0..7 {
        f.write(&format!("f{i}.txt"), "b\n");
    }
    let err = f
        .verify(&f.signers_for(&key), &TrustPolicy::default())
        .unwrap_err();
    let message = message_with(&err, &["f4.txt", "and 2 more"]);
    assert!(!message.contains("f5.txt"), "{message}");
}

#[test]
fn file_missing_at_ref_is_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let err = f.load("main", "baselines/staging.yml").unwrap_err();
    assert!(
        matches!(err, TrustError::FileMissingAtRef { .. }),
        "{err:?}"
    );
    message_with(
        &err,
        &[
            "baselines/staging.yml",
            short(&commit),
            "does not exist",
            "`main`",
        ],
    );
    let err = f.load("main", "baselines").unwrap_err();
    message_with(&err, &["baselines", "is a directory"]);
    let err = f.load("main", "../etc/passwd").unwrap_err();
    assert!(matches!(err, TrustError::InvalidPath { .. }), "{err:?}");
}

#[test]
fn ref_not_found_and_not_a_repository_are_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let err = f.load("release-9", BASELINE).unwrap_err();
    assert!(matches!(err, TrustError::RefNotFound { .. }), "{err:?}");
    message_with(&err, &["`release-9`", "does not name a commit"]);
    let err = BaselineRepo::open(f.dir.path()).unwrap_err();
    assert!(matches!(err, TrustError::NotARepository { .. }), "{err:?}");
    message_with(&err, &["not a git repository"]);
}

#[test]
fn refs_resolve_by_tag_short_id_and_head() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    f.git(&["tag", "-a", "-m", "v1", "v1"]);
    f.commit_file("README.md", "x\n", Some(&key), None);
    let repo = BaselineRepo::open(&f.repo()).unwrap();
    for rev in ["v1", short(&commit), &commit, "HEAD~1"] {
        assert_eq!(repo.resolve(rev).unwrap().to_string(), commit, "{rev}");
    }
    assert_eq!(repo.resolve("HEAD").unwrap().to_string(), f.head());
    let unverified = repo.load("v1", BASELINE).unwrap();
    assert_eq!(unverified.head_commit().to_string(), commit);
}

#[test]
fn namespace_restriction_refuses_commit_signature() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let commit = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let signers = f.signers(&[format!(
        "{PRINCIPAL} namespaces=\"file\" {}",
        key.public_line()
    )]);
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    assert!(
        matches!(err, TrustError::NamespaceNotAllowed { .. }),
        "{err:?}"
    );
    message_with(
        &err,
        &[
            BASELINE,
            short(&commit),
            "namespace `git`",
            "only for namespaces=\"file\"",
            &format!("{}:1", signers.source()),
        ],
    );
}

fn assert_key_type_verifies(key_type: &str, bits: &str) {
    let f = Fixture::new();
    let key = f.key("signer", key_type, Some(bits));
    f.write(BASELINE, CONTENT);
    f.sign_detached(BASELINE, &key, "regdrift-baseline");
    f.git(&["add", "baselines"]);
    f.commit(Some(&key), None);
    let verified = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Both, Detached::Required),
        )
        .unwrap();
    assert_eq!(verified.fingerprints(), [key.fingerprint().as_str()]);
    assert!(verified.detached_verified());
}

#[test]
fn rsa_key_verifies() {
    assert_key_type_verifies("rsa", "3072");
}

#[test]
fn ecdsa_key_verifies() {
    assert_key_type_verifies("ecdsa", "256");
}

#[test]
fn ecdsa_p384_and_p521_keys_verify() {
    assert_key_type_verifies("ecdsa", "384");
    assert_key_type_verifies("ecdsa", "521");
}

#[test]
fn allowed_signers_file_with_a_bad_line_names_the_line() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let path = f.dir.path().join("allowed_signers");
    let text = format!(
        "# release signers\n{PRINCIPAL} {}\n\nbob@example.com namespaces=git {}\n",
        key.public_line(),
        key.public_line()
    );
    std::fs::write(&path, text).unwrap();
    let err = AllowedSigners::from_file(&path).unwrap_err();
    assert!(
        matches!(err, AllowedSignersError::Line { line: 4, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}:4: ", path.display())),
        "{message}"
    );
    assert!(message.contains("not double-quoted"), "{message}");
    let missing = AllowedSigners::from_file(&f.dir.path().join("nope")).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}

/// Replaces `main` with a commit on the same tree whose `gpgsig` is `signature`.
fn commit_with_raw_signature(f: &Fixture, signature: &str) -> String {
    let repo = git2::Repository::open(f.repo()).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree().unwrap();
    let who =
        git2::Signature::new("t", "t@example.com", &git2::Time::new(1_717_243_200, 0)).unwrap();
    let buffer = repo
        .commit_create_buffer(&who, &who, "crafted\n", &tree, &[&head])
        .unwrap();
    let oid = repo
        .commit_signed(buffer.as_str().unwrap(), signature, None)
        .unwrap();
    repo.reference("refs/heads/main", oid, true, "crafted")
        .unwrap();
    oid.to_string()
}

#[test]
fn openpgp_signed_commit_is_refused_with_a_clear_error() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let pgp = "-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQQAAAAAAAAAAAAAAAAAAAAAAAAAAAUCZmZmZgAKCRAAAAAAAAAA\n=AAAA\n-----END PGP SIGNATURE-----";
    let head = commit_with_raw_signature(&f, pgp);
    let err = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Head, Detached::Optional),
        )
        .unwrap_err();
    assert!(
        matches!(err, TrustError::UnsupportedSignature { .. }),
        "{err:?}"
    );
    message_with(
        &err,
        &[
            BASELINE,
            short(&head),
            "OpenPGP-signed commits are not supported; sign with SSH (gpg.format=ssh)",
        ],
    );
}

#[test]
fn commit_signature_moved_onto_another_commit_is_bad() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    let signed = f.commit_file(BASELINE, CONTENT, Some(&key), None);
    let repo = git2::Repository::open(f.repo()).unwrap();
    let oid = git2::Oid::from_str(&signed).unwrap();
    let (signature, _) = repo.extract_signature(&oid, None).unwrap();
    let head = commit_with_raw_signature(&f, signature.as_str().unwrap());
    let err = f
        .verify(
            &f.signers_for(&key),
            &policy(SignedCommits::Head, Detached::Optional),
        )
        .unwrap_err();
    assert!(matches!(err, TrustError::BadSignature { .. }), "{err:?}");
    message_with(
        &err,
        &[
            BASELINE,
            short(&head),
            "does not verify",
            "does not match the commit",
        ],
    );
}

#[test]
fn allowed_signers_inside_the_repository_are_refused() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    std::fs::write(
        f.repo().join(".git/allowed_signers"),
        format!("{PRINCIPAL} {}\n", key.public_line()),
    )
    .unwrap();
    let signers = AllowedSigners::from_file(&f.repo().join(".git/allowed_signers")).unwrap();
    let err = f.verify(&signers, &TrustPolicy::default()).unwrap_err();
    assert!(
        matches!(err, TrustError::SignersInsideRepository { .. }),
        "{err:?}"
    );
    message_with(&err, &[BASELINE, "inside the baseline repository"]);
}

#[test]
fn trust_unsigned_exposes_content_with_a_warning() {
    let f = Fixture::new();
    let commit = f.commit_file(BASELINE, CONTENT, None, None);
    let unsigned = f.load("main", BASELINE).unwrap().trust_unsigned();
    assert_eq!(unsigned.content(), CONTENT.as_bytes());
    assert_eq!(unsigned.commit().to_string(), commit);
    let warning = unsigned.warning();
    for part in [
        BASELINE,
        short(&commit),
        "WITHOUT signature verification",
        "no remediation",
    ] {
        assert!(warning.contains(part), "`{part}` missing from: {warning}");
    }
}

#[test]
fn last_change_is_found_on_first_parent_history() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    f.git(&["checkout", "-q", "-b", "side"]);
    f.commit_file(BASELINE, "version: 0.1\n# side\n", Some(&key), None);
    f.git(&["checkout", "-q", "main"]);
    f.commit_file("README.md", "x\n", Some(&key), None);
    let mut merge = f.git_cmd();
    merge
        .args(["-c", "gpg.format=ssh", "-c"])
        .arg(format!("user.signingkey={}", key.private.display()))
        .args(["merge", "-q", "-S", "--no-ff", "-m", "merge side", "side"]);
    run(&mut merge);
    let merge_commit = f.head();
    f.commit_file("README.md", "y\n", Some(&key), None);
    let unverified = f.load("main", BASELINE).unwrap();
    assert_eq!(unverified.file_commit().to_string(), merge_commit);
    let verified = unverified
        .verify(
            &f.signers_for(&key),
            &TrustPolicy::default(),
            SystemTime::now(),
        )
        .unwrap();
    assert_eq!(verified.signatures().len(), 2);
}

#[test]
fn verified_baseline_reads_committed_bytes_not_the_working_copy() {
    let f = Fixture::new();
    let key = f.ed25519("alice");
    f.commit_file(BASELINE, CONTENT, Some(&key), None);
    f.write(BASELINE, "tampered\n");
    let unverified = f.load("main", BASELINE).unwrap();
    assert_eq!(
        unverified.dirty_paths()[0].to_string(),
        format!("modified {BASELINE}")
    );
    let unsigned = unverified.trust_unsigned();
    assert_eq!(unsigned.content(), CONTENT.as_bytes());
    assert!(unsigned.warning().contains("uncommitted changes"));
}
