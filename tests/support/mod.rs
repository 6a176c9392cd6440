//! A fleet in a temporary directory for the daemon and action tests: a baseline git repository
//! whose commit is signed with an SSH key `ssh-keygen` generates now, an allowed-signers file
//! outside it, deployed configs and a `regdrift.yml`. (The same shape as `tests/fleet.rs`.)
//! Also the fake GitHub and the OpenAPI validator it checks requests with (`github`, `openapi`).
#![allow(dead_code)]

pub mod github;
pub mod openapi;

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The approved baseline (hardened 3.x, no findings of its own).
pub const BASELINE: &str = include_str!("../fixtures/fleet/baseline.yml");
pub const PRINCIPAL: &str = "approver@example.com";

/// The debug listener on every interface: RD-EXP-001 (high).
pub fn debug_open(text: &str) -> String {
    let out = text.replace("addr: 127.0.0.1:5001", "addr: :5001");
    assert_ne!(out, text, "baseline fixture changed: no debug addr");
    out
}

/// Deletes through the API: RD-INT-001.
pub fn deletes_on(text: &str) -> String {
    let out = text.replace(
        "  delete:\n    enabled: false",
        "  delete:\n    enabled: true",
    );
    assert_ne!(out, text, "baseline fixture changed: no delete block");
    out
}

pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct Fleet {
    pub dir: TempDir,
}

impl Fleet {
    /// Keys, allowed signers and a baseline repository with `prod/registry.yml`, one signed
    /// commit.
    pub fn new() -> Fleet {
        let fleet = Fleet {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(fleet.path("keys")).unwrap();
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", PRINCIPAL, "-f"])
                .arg(fleet.path("keys/approver")),
        );
        let public = std::fs::read_to_string(fleet.path("keys/approver.pub")).unwrap();
        let public: Vec<&str> = public.split_whitespace().take(2).collect();
        fleet.write(
            "trust/allowed_signers",
            &format!(
                "{PRINCIPAL} namespaces=\"git,regdrift-baseline\" {}\n",
                public.join(" ")
            ),
        );
        std::fs::create_dir_all(fleet.path("baselines")).unwrap();
        fleet.git(&["init", "-q", "-b", "main"]);
        fleet.write("baselines/prod/registry.yml", BASELINE);
        fleet.git(&["add", "prod/registry.yml"]);
        let mut c = fleet.git_cmd();
        c.args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!(
                "user.signingkey={}",
                fleet.path("keys/approver").display()
            ))
            .args(["commit", "-q", "-S", "-m", "approve"]);
        run_ok(&mut c);
        fleet
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    fn git_cmd(&self) -> Command {
        let mut c = Command::new("git");
        c.current_dir(self.path("baselines"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.root())
            .args(["-c", "user.name=Approver", "-c"])
            .arg(format!("user.email={PRINCIPAL}"));
        c
    }

    fn git(&self, args: &[&str]) -> String {
        run_ok(self.git_cmd().args(args))
    }

    /// The `regdrift.yml` text with the standard header, `extra` top-level keys and these
    /// targets (YAML list items).
    pub fn config_text(&self, extra: &str, targets: &str) -> String {
        format!(
            "version: 1\n\
             state_dir: state\n\
             baseline:\n  repo: baselines\n  ref: main\n  allowed_signers: trust/allowed_signers\n\
             {extra}targets:\n{targets}"
        )
    }

    pub fn config(&self, extra: &str, targets: &str) {
        self.write("regdrift.yml", &self.config_text(extra, targets));
    }

    /// The binary, run in the fleet directory with a clean git and colour environment.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_regdrift"));
        c.current_dir(self.root())
            .env("HOME", self.root())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("REGDRIFT_DIGEST_KEY")
            .env_remove("RUST_LOG");
        c
    }
}

/// A `file` target.
pub fn file_target(name: &str, deployed: &str) -> String {
    format!("  - name: {name}\n    baseline: prod/registry.yml\n    source: {{file: {deployed}}}\n")
}

/// A `command` target running `sh SCRIPT ARGS...`.
pub fn command_target(name: &str, script: &str, args: &[&str]) -> String {
    let argv: Vec<String> = ["sh", script]
        .iter()
        .chain(args)
        .map(|a| format!("{a:?}"))
        .collect();
    format!(
        "  - name: {name}\n    baseline: prod/registry.yml\n    source:\n      command:\n        argv: [{}]\n        timeout: 30s\n",
        argv.join(", ")
    )
}

/// Whether a tool a test needs must be present (CI sets REGDRIFT_REQUIRE_VALIDATORS=1).
pub fn tool_required() -> bool {
    std::env::var("REGDRIFT_REQUIRE_VALIDATORS").as_deref() == Ok("1")
}
