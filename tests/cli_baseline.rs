//! `regdrift baseline verify|init|sign` and `regdrift diff --baseline-repo` against real git
//! repositories with real SSH signatures created at test time. Every trust failure must exit 2,
//! name the commit, the path and the reason, and make no comparison (nothing on stdout).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const BASELINE: &str = "baselines/prod.yml";
const PRINCIPAL: &str = "sec@example.com";

struct Fx {
    dir: TempDir,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn baseline_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("baselines/registry-3.x.yml"),
    )
    .unwrap()
}

impl Fx {
    fn new() -> Fx {
        let fx = Fx {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(fx.repo()).unwrap();
        fx.git(&["init", "-q", "-b", "main"]);
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "k", "-f"])
            .arg(fx.key("good")));
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "k", "-f"])
            .arg(fx.key("rogue")));
        fx.signers(&format!(
            "{PRINCIPAL} namespaces=\"git,regdrift-baseline\" {}",
            fx.pubkey("good")
        ));
        fx
    }
    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }
    fn key(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn pubkey(&self, name: &str) -> String {
        std::fs::read_to_string(self.key(name).with_extension("pub"))
            .unwrap()
            .trim()
            .to_string()
    }
    fn signers_path(&self) -> PathBuf {
        self.dir.path().join("allowed_signers")
    }
    fn signers(&self, text: &str) {
        std::fs::write(self.signers_path(), format!("{text}\n")).unwrap();
    }
    fn git_cmd(&self) -> Command {
        let mut c = Command::new("git");
        c.current_dir(self.repo())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"]);
        c
    }
    fn git(&self, args: &[&str]) -> String {
        run(self.git_cmd().args(args))
    }
    fn commit(&self, path: &str, content: &str, key: Option<&str>, date: Option<&str>) -> String {
        let full = self.repo().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
        self.git(&["add", path]);
        let mut c = self.git_cmd();
        if let Some(d) = date {
            c.env("GIT_COMMITTER_DATE", d).env("GIT_AUTHOR_DATE", d);
        }
        match key {
            Some(k) => c
                .args(["-c", "gpg.format=ssh", "-c"])
                .arg(format!("user.signingkey={}", self.key(k).display()))
                .args(["commit", "-q", "-S", "-m", "m"]),
            None => c.args(["commit", "-q", "--no-gpg-sign", "-m", "m"]),
        };
        run(&mut c);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }
    fn deployed(&self, text: &str) -> PathBuf {
        let p = self.dir.path().join("deployed.yml");
        std::fs::write(&p, text).unwrap();
        p
    }
    fn regdrift(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_regdrift"))
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .unwrap()
    }
    fn diff(&self, extra: &[&str]) -> Output {
        let dep = self.deployed(&baseline_text().replace("127.0.0.1:5001", ":5001"));
        let mut args = vec![
            "diff",
            "--baseline-repo",
            "repo",
            BASELINE,
            dep.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        self.regdrift(&args)
    }
}

fn signers_arg(fx: &Fx) -> String {
    fx.signers_path().display().to_string()
}

fn assert_refused(out: &Output, commit: &str, reason: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "a comparison was made: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains(BASELINE), "names the path: {err}");
    assert!(
        err.contains(&commit[..7]),
        "names the commit {}: {err}",
        &commit[..7]
    );
    assert!(
        err.to_lowercase().contains(reason),
        "says {reason:?}: {err}"
    );
}

#[test]
fn signed_by_an_allowed_signer_verifies_and_names_the_signer() {
    let fx = Fx::new();
    let c = fx.commit(BASELINE, &baseline_text(), Some("good"), None);
    let s = signers_arg(&fx);
    let out = fx.regdrift(&[
        "baseline",
        "verify",
        BASELINE,
        "--repo",
        "repo",
        "--allowed-signers",
        &s,
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["commit"], c);
    assert_eq!(v["principals"][0], PRINCIPAL);
    let fp = run(Command::new("ssh-keygen")
        .arg("-lf")
        .arg(fx.key("good").with_extension("pub")));
    assert_eq!(v["fingerprints"][0], fp.split_whitespace().nth(1).unwrap());
}

#[test]
fn diff_from_a_verified_baseline_reports_trust_and_drift() {
    let fx = Fx::new();
    fx.commit(BASELINE, &baseline_text(), Some("good"), None);
    let s = signers_arg(&fx);
    let out = fx.diff(&["--allowed-signers", &s]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &r["targets"][0];
    assert_eq!(t["baseline_trust"]["verified"], true);
    assert!(
        t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "RD-EXP-001")
    );
}

#[test]
fn unsigned_commit_is_refused() {
    let fx = Fx::new();
    let c = fx.commit(BASELINE, &baseline_text(), None, None);
    let s = signers_arg(&fx);
    assert_refused(&fx.diff(&["--allowed-signers", &s]), &c, "not signed");
}

#[test]
fn signer_not_in_allowed_signers_is_refused() {
    let fx = Fx::new();
    let c = fx.commit(BASELINE, &baseline_text(), Some("rogue"), None);
    let s = signers_arg(&fx);
    assert_refused(
        &fx.diff(&["--allowed-signers", &s]),
        &c,
        "not in the allowed signers",
    );
}

#[test]
fn allowed_signer_outside_its_validity_window_is_refused() {
    let fx = Fx::new();
    fx.signers(&format!(
        "{PRINCIPAL} valid-before=\"20200101Z\" {}",
        fx.pubkey("good")
    ));
    let c = fx.commit(BASELINE, &baseline_text(), Some("good"), None);
    let s = signers_arg(&fx);
    assert_refused(&fx.diff(&["--allowed-signers", &s]), &c, "valid");
}

#[test]
fn unsigned_last_change_under_a_signed_head_is_refused() {
    let fx = Fx::new();
    let c = fx.commit(BASELINE, &baseline_text(), None, None);
    fx.commit("README.md", "docs\n", Some("good"), None);
    let s = signers_arg(&fx);
    assert_refused(&fx.diff(&["--allowed-signers", &s]), &c, "not signed");
}

#[test]
fn content_changed_after_the_detached_signature_is_refused() {
    let fx = Fx::new();
    let sig_src = fx.dir.path().join("prod.yml");
    std::fs::write(&sig_src, baseline_text()).unwrap();
    let k = fx.key("good").display().to_string();
    let out = fx.regdrift(&["baseline", "sign", sig_src.to_str().unwrap(), "--key", &k]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = std::fs::read_to_string(fx.dir.path().join("prod.yml.sig")).unwrap();
    fx.commit(&format!("{BASELINE}.sig"), &sig, Some("good"), None);
    let c = fx.commit(
        BASELINE,
        &baseline_text().replace("level: info", "level: warn"),
        Some("good"),
        None,
    );
    let s = signers_arg(&fx);
    assert_refused(&fx.diff(&["--allowed-signers", &s]), &c, "signature");
}

#[test]
fn dirty_working_copy_is_refused() {
    let fx = Fx::new();
    let c = fx.commit(BASELINE, &baseline_text(), Some("good"), None);
    std::fs::write(
        fx.repo().join(BASELINE),
        "version: 0.1\nstorage: inmemory\n",
    )
    .unwrap();
    let s = signers_arg(&fx);
    let out = fx.diff(&["--allowed-signers", &s]);
    assert_refused(&out, &c, "uncommitted changes");
}

#[test]
fn allow_unsigned_warns_and_marks_the_report_unverified() {
    let fx = Fx::new();
    fx.commit(BASELINE, &baseline_text(), None, None);
    let out = fx.diff(&["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WARNING: --allow-unsigned"));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["targets"][0]["baseline_trust"]["verified"], false);
    assert!(
        r["targets"][0]["baseline_trust"]["warning"]
            .as_str()
            .unwrap()
            .contains("unverified")
    );
}

#[test]
fn regdrift_detached_signature_verifies_with_ssh_keygen_and_regdrift() {
    let fx = Fx::new();
    let f = fx.dir.path().join("prod.yml");
    std::fs::write(&f, baseline_text()).unwrap();
    let k = fx.key("good").display().to_string();
    assert_eq!(
        fx.regdrift(&["baseline", "sign", f.to_str().unwrap(), "--key", &k])
            .status
            .code(),
        Some(0)
    );
    let sig = fx.dir.path().join("prod.yml.sig");
    let ok = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(fx.signers_path())
        .args(["-I", PRINCIPAL, "-n", "regdrift-baseline", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    fx.commit(
        &format!("{BASELINE}.sig"),
        &std::fs::read_to_string(&sig).unwrap(),
        Some("good"),
        None,
    );
    fx.commit(BASELINE, &baseline_text(), Some("good"), None);
    let s = signers_arg(&fx);
    let out = fx.regdrift(&[
        "baseline",
        "verify",
        BASELINE,
        "--repo",
        "repo",
        "--allowed-signers",
        &s,
        "--detached",
        "required",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("detached signature: verified"));
}

#[test]
fn baseline_init_writes_a_clean_baseline_without_secrets() {
    let fx = Fx::new();
    let deployed = fx.deployed(
        "version: 0.1\nlog:\n  level: debug\nstorage:\n  s3:\n    bucket: b\n    region: eu-west-1\n    secretkey: S3CRET-INIT-s3key\n    secure: 'off'\nhttp:\n  addr: :5000\n  secret: S3CRET-INIT-http\n  debug:\n    addr: :5001\nversion_extra: 1\n",
    );
    let out_path = fx.dir.path().join("baseline.yml");
    let out = fx.regdrift(&[
        "baseline",
        "init",
        "--from",
        deployed.to_str().unwrap(),
        "--env",
        "REGISTRY_PROXY_PASSWORD=S3CRET-INIT-proxy",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_path).unwrap();
    assert!(!text.contains("S3CRET-INIT"), "{text}");
    assert!(text.contains("REGISTRY_HTTP_SECRET"), "{text}");
    assert!(text.contains("REGISTRY_STORAGE_S3_SECRETKEY"), "{text}");
    assert!(
        text.contains("# RD-EXP-001"),
        "lint findings as comments: {text}"
    );
    // The baseline reads back (as the registry reads it) to the same non-secret settings.
    let back = fx.regdrift(&[
        "diff",
        out_path.to_str().unwrap(),
        deployed.to_str().unwrap(),
        "--format",
        "json",
        "--env",
        "REGISTRY_HTTP_SECRET=x",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap();
    let drifted: Vec<&str> = r["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "RD-DRIFT-001")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        drifted.iter().all(|p| p.contains("secret")),
        "only secrets differ: {drifted:?}"
    );
}
