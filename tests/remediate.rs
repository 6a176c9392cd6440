//! `regdrift check --remediate` against a stateful fake GitHub (tests/support/github.rs) on
//! 127.0.0.1, driving the real binary. Every request the fake receives is validated against
//! GitHub's OpenAPI description; each scenario asserts there was no violation.
//!
//! The fleet: a baseline git repository with an SSH-signed commit (keys made by ssh-keygen at
//! run time), deployed configs that drifted, and a GitOps repository on the fake holding the
//! same drifted files. Targets: `web` (file, mode both), `k8s` (kubernetes manifest, mode pr),
//! `host` (file, mode issue).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::github::{Fake, FaultKind, Recorded, unb64};
use support::openapi::OpenApi;

const BASELINE: &str = include_str!("fixtures/fleet/baseline.yml");
const PRINCIPAL: &str = "approver@example.com";
const REPO: &str = "org/gitops";
const TOKEN: &str = "ghs_FAKEtokenVALUEthatMUSTneverBEprinted0001";

const K8S_HEAD: &str = "\
# the registry, deployed by Argo CD
apiVersion: apps/v1
kind: Deployment
metadata: {name: registry, namespace: registry}
spec:
  selector: {matchLabels: {app: registry}}
  template:
    metadata: {labels: {app: registry}}
    spec:
      containers:
        - name: registry
          image: registry:3.0.0
          volumeMounts:
            - {name: config, mountPath: /etc/distribution}
      volumes:
        - name: config
          configMap: {name: registry-config}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: registry-config, namespace: registry}
data:
  config.yml: |
";
const K8S_TAIL: &str = "  extra.txt: keep me\n---\n# trailing comment\n";

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn manifest(config: &str) -> String {
    format!("{K8S_HEAD}{}\n{K8S_TAIL}", indent(config, 4))
}

/// The debug listener on every interface: RD-EXP-001.
fn debug_open(text: &str) -> String {
    let out = text.replace("addr: 127.0.0.1:5001", "addr: :5001");
    assert_ne!(out, text);
    out
}

/// Deletes through the API: RD-INT-001.
fn deletes_on(text: &str) -> String {
    let out = text.replace(
        "  delete:\n    enabled: false",
        "  delete:\n    enabled: true",
    );
    assert_ne!(out, text);
    out
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Fleet {
    dir: tempfile::TempDir,
    fake: Fake,
}

impl Fleet {
    fn new() -> Fleet {
        let f = Fleet {
            dir: tempfile::tempdir().unwrap(),
            fake: Fake::start(),
        };
        std::fs::create_dir_all(f.path("keys")).unwrap();
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", PRINCIPAL, "-f"])
                .arg(f.path("keys/approver")),
        );
        let public = std::fs::read_to_string(f.path("keys/approver.pub")).unwrap();
        let public: Vec<&str> = public.split_whitespace().take(2).collect();
        f.write(
            "trust/allowed_signers",
            &format!("{PRINCIPAL} namespaces=\"git\" {}\n", public.join(" ")),
        );
        std::fs::create_dir_all(f.path("baselines")).unwrap();
        f.git(&["init", "-q", "-b", "main"]);
        f.write("baselines/prod/registry.yml", BASELINE);
        f.git(&["add", "."]);
        let key = f.path("keys/approver");
        f.git(&[
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={}", key.display()),
            "commit",
            "-q",
            "-S",
            "-m",
            "approve",
        ]);
        f
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn git(&self, args: &[&str]) {
        run_ok(
            Command::new("git")
                .current_dir(self.path("baselines"))
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", self.dir.path())
                .args(["-c", "user.name=Approver", "-c"])
                .arg(format!("user.email={PRINCIPAL}"))
                .args(args),
        );
    }

    /// `regdrift.yml` with the github section pointing at the fake and these targets.
    fn config(&self, max_retries: u32, targets: &str) {
        self.write(
            "regdrift.yml",
            &format!(
                "version: 1\nstate_dir: state\n\
                 baseline:\n  repo: baselines\n  ref: main\n  allowed_signers: trust/allowed_signers\n\
                 github:\n  api_url: {}\n  repository: {REPO}\n  write_interval: 1ms\n  max_retries: {max_retries}\n\
                 targets:\n{targets}",
                self.fake.url
            ),
        );
    }

    /// The standard three targets, their deployed files and the GitOps repository.
    fn standard(&self) {
        self.write("deployed/web.yml", &debug_open(BASELINE));
        self.write("deployed/host.yml", &deletes_on(BASELINE));
        self.write("deployed/k8s.yaml", &manifest(&debug_open(BASELINE)));
        self.fake.repo(
            REPO,
            "main",
            &[
                ("registry/web/config.yml", &debug_open(BASELINE)),
                ("k8s/registry.yaml", &manifest(&debug_open(BASELINE))),
                ("README.md", "GitOps\n"),
            ],
        );
        self.config(
            3,
            "  - name: web\n    baseline: prod/registry.yml\n    source: {file: deployed/web.yml}\n    remediation: {mode: both, path: registry/web/config.yml}\n\
             \x20 - name: k8s\n    baseline: prod/registry.yml\n    source: {kubernetes: {manifests: deployed/k8s.yaml}}\n    remediation: {mode: pr, path: k8s/registry.yaml}\n\
             \x20 - name: host\n    baseline: prod/registry.yml\n    source: {file: deployed/host.yml}\n    remediation: {mode: issue}\n",
        );
    }

    fn check(&self, extra: &[&str]) -> Run {
        self.check_with_token(Some(TOKEN), extra)
    }

    fn check_with_token(&self, token: Option<&str>, extra: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_regdrift"));
        match token {
            Some(t) => cmd.env("GITHUB_TOKEN", t),
            None => cmd.env_remove("GITHUB_TOKEN"),
        };
        let out = cmd
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("REGDRIFT_DIGEST_KEY")
            .args(["check", "-c", "regdrift.yml", "--format", "json"])
            .args(extra)
            .output()
            .expect("regdrift runs");
        let run = Run {
            code: out.status.code().expect("exited"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        assert!(
            !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
            "the token was printed"
        );
        run
    }

    /// Runs `check --remediate` and returns the run and the requests it made.
    fn remediate(&self, expect: i32) -> (Run, Vec<Recorded>) {
        let before = self.fake.log().len();
        let run = self.check(&["--remediate"]);
        assert_eq!(run.code, expect, "exit status\nstderr: {}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("the report is still written ({e}): {}", run.stderr));
        assert!(v["targets"].is_array());
        self.assert_valid();
        (run, self.fake.log()[before..].to_vec())
    }

    fn assert_valid(&self) {
        let v = self.fake.violations();
        assert!(
            v.is_empty(),
            "requests not matching GitHub's OpenAPI description:\n{}",
            v.join("\n")
        );
    }

    /// Issues and pull requests carrying the target's marker: (number, open, is pull).
    fn items(&self, target: &str) -> Vec<(u64, bool, bool)> {
        let marker = format!("<!-- regdrift:target={target} fingerprint=");
        self.fake
            .issues(REPO)
            .into_iter()
            .filter(|i| i.body.contains(&marker))
            .map(|i| (i.number, i.open, i.pull.is_some()))
            .collect()
    }

    fn issue_of(&self, target: &str) -> support::github::Issue {
        let marker = format!("<!-- regdrift:target={target} fingerprint=");
        let all: Vec<_> = self
            .fake
            .issues(REPO)
            .into_iter()
            .filter(|i| i.pull.is_none() && i.body.contains(&marker))
            .collect();
        assert_eq!(all.len(), 1, "{target}: exactly one issue: {all:#?}");
        all.into_iter().next().unwrap()
    }

    fn pull_of(&self, target: &str) -> support::github::Issue {
        let marker = format!("<!-- regdrift:target={target} fingerprint=");
        let all: Vec<_> = self
            .fake
            .issues(REPO)
            .into_iter()
            .filter(|i| i.pull.is_some() && i.body.contains(&marker))
            .collect();
        assert_eq!(all.len(), 1, "{target}: exactly one pull request: {all:#?}");
        all.into_iter().next().unwrap()
    }
}

fn writes(log: &[Recorded]) -> Vec<String> {
    log.iter()
        .filter(|r| r.is_write())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn gitops_branches(f: &Fleet) -> BTreeSet<String> {
    f.fake.branches(REPO).into_iter().collect()
}

#[test]
fn lifecycle_create_noop_update_close_and_reopen() {
    let f = Fleet::new();
    f.standard();

    // First run: one issue for web and host, one pull request for web and k8s.
    let (run, log) = f.remediate(1);
    assert!(run.stderr.contains("remediation done"), "{}", run.stderr);
    let web_issue = f.issue_of("web");
    let host_issue = f.issue_of("host");
    let web_pr = f.pull_of("web");
    let k8s_pr = f.pull_of("k8s");
    assert!(
        f.items("k8s").iter().all(|(_, _, pull)| *pull),
        "k8s is pr only"
    );
    assert!(web_issue.open && host_issue.open && web_pr.open && k8s_pr.open);
    assert!(
        web_issue.title.contains("web") && web_issue.title.contains("high"),
        "{}",
        web_issue.title
    );
    assert!(web_issue.labels.contains(&"regdrift".to_string()));
    assert!(
        web_issue.labels.iter().any(|l| l.starts_with("severity:")),
        "{:?}",
        web_issue.labels
    );
    assert!(
        web_pr.labels.contains(&"regdrift".to_string()),
        "{:?}",
        web_pr.labels
    );
    assert!(web_issue.body.contains("RD-EXP-001"), "{}", web_issue.body);
    assert!(
        host_issue.body.contains("RD-INT-001"),
        "{}",
        host_issue.body
    );
    assert!(f.fake.labels(REPO).contains("regdrift"));
    assert_eq!(
        gitops_branches(&f),
        ["main", "regdrift/restore/k8s", "regdrift/restore/web"]
            .into_iter()
            .map(String::from)
            .collect()
    );
    // The pull requests write the verified baseline; the manifest keeps every other byte.
    assert_eq!(
        f.fake
            .file(REPO, "regdrift/restore/web", "registry/web/config.yml")
            .unwrap(),
        BASELINE
    );
    assert_eq!(
        f.fake
            .file(REPO, "regdrift/restore/k8s", "k8s/registry.yaml")
            .unwrap(),
        manifest(BASELINE)
    );
    assert_eq!(
        f.fake
            .file(REPO, "main", "registry/web/config.yml")
            .unwrap(),
        debug_open(BASELINE)
    );
    assert!(!writes(&log).is_empty());

    // Second identical run: nothing is written.
    let (run, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new(), "{}", run.stderr);
    assert!(run.stderr.contains("nothing to change"), "{}", run.stderr);

    // Changed findings: the same issue and pull request are updated in place.
    f.write("deployed/web.yml", &deletes_on(&debug_open(BASELINE)));
    let (_, log) = f.remediate(1);
    let w = writes(&log);
    assert!(
        w.iter()
            .all(|x| x.starts_with("PATCH /repos/org/gitops/issues/")),
        "{w:?}"
    );
    let updated = f.issue_of("web");
    assert_eq!(updated.number, web_issue.number);
    assert!(updated.body.contains("RD-INT-001") && updated.body.contains("RD-EXP-001"));
    assert_eq!(f.pull_of("web").number, web_pr.number);
    assert!(f.pull_of("web").body.contains("RD-INT-001"));

    // Back in sync: the issue and the pull request are closed, each with a comment.
    f.write("deployed/web.yml", BASELINE);
    let (_, log) = f.remediate(1);
    assert!(
        !f.issue_of("web").open && !f.pull_of("web").open,
        "{:?}",
        writes(&log)
    );
    for n in [web_issue.number, web_pr.number] {
        let c = f.fake.comments(REPO, n);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(c[0].contains("back in sync"), "{c:?}");
    }
    assert!(f.issue_of("host").open, "other targets are untouched");
    let (_, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new(), "closed stays closed");

    // Recurrence: the same issue and pull request are reopened, never duplicated.
    f.write("deployed/web.yml", &debug_open(BASELINE));
    let (_, log) = f.remediate(1);
    assert!(
        !writes(&log)
            .iter()
            .any(|w| w.ends_with("/issues") || w.ends_with("/pulls")),
        "{:?}",
        writes(&log)
    );
    let again = f.issue_of("web");
    assert_eq!(again.number, web_issue.number);
    assert!(again.open);
    assert_eq!(f.pull_of("web").number, web_pr.number);
    assert!(f.pull_of("web").open);
    let (_, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new());
}

#[test]
fn a_changed_baseline_force_updates_the_branch() {
    let f = Fleet::new();
    f.standard();
    f.remediate(1);
    let pr = f.pull_of("web");
    let newer = BASELINE.replace("level: info", "level: warn");
    f.write("baselines/prod/registry.yml", &newer);
    f.git(&["add", "."]);
    let key = f.path("keys/approver");
    f.git(&[
        "-c",
        "gpg.format=ssh",
        "-c",
        &format!("user.signingkey={}", key.display()),
        "commit",
        "-q",
        "-S",
        "-m",
        "warn",
    ]);
    let (_, log) = f.remediate(1);
    let w = writes(&log);
    assert!(
        w.contains(&"PUT /repos/org/gitops/contents/registry/web/config.yml".to_string()),
        "{w:?}"
    );
    assert_eq!(
        f.fake
            .file(REPO, "regdrift/restore/web", "registry/web/config.yml")
            .unwrap(),
        newer
    );
    assert_eq!(f.pull_of("web").number, pr.number);

    // Closed while in sync, then the baseline changes and the drift recurs: the pull request
    // is reopened before its branch is force-reset (GitHub refuses the other order).
    f.write("deployed/web.yml", &newer);
    f.remediate(1);
    assert!(!f.pull_of("web").open);
    let newest = newer.replace("formatter: json", "formatter: text");
    f.write("baselines/prod/registry.yml", &newest);
    f.git(&["add", "."]);
    f.git(&[
        "-c",
        "gpg.format=ssh",
        "-c",
        &format!("user.signingkey={}", key.display()),
        "commit",
        "-q",
        "-S",
        "-m",
        "text",
    ]);
    f.fake
        .commit(REPO, "main", &[("README.md", "GitOps, moved on\n")]);
    let (_, log) = f.remediate(1);
    let w = writes(&log);
    let reopen = w
        .iter()
        .position(|x| x == &format!("PATCH /repos/org/gitops/issues/{}", pr.number));
    let reset = w
        .iter()
        .position(|x| x == "PATCH /repos/org/gitops/git/refs/heads/regdrift/restore/web");
    assert!(
        reopen.is_some() && reset.is_some() && reopen < reset,
        "{w:?}"
    );
    assert!(f.pull_of("web").open);
    assert_eq!(
        f.fake
            .file(REPO, "regdrift/restore/web", "registry/web/config.yml")
            .unwrap(),
        newest
    );
}

#[test]
fn faults_are_retried_without_duplicates() {
    let f = Fleet::new();
    f.standard();
    f.fake.inject(
        "POST",
        "/repos/org/gitops/issues",
        FaultKind::Status(500),
        1,
    );
    f.fake
        .inject("POST", "/repos/org/gitops/issues", FaultKind::DropAfter, 1);
    f.fake
        .inject("POST", "/repos/org/gitops/pulls", FaultKind::TooMany, 1);
    f.fake.inject(
        "PUT",
        "/contents/registry/web/config.yml",
        FaultKind::Secondary,
        1,
    );
    f.fake.inject(
        "POST",
        "/repos/org/gitops/git/refs",
        FaultKind::Status(502),
        1,
    );
    f.fake
        .inject("GET", "/repos/org/gitops/labels", FaultKind::Status(503), 1);
    let (run, log) = f.remediate(1);
    assert_eq!(
        f.fake.pending_faults(),
        Vec::<String>::new(),
        "every fault was hit"
    );
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    for s in [500, 429, 403, 502, 503, 0] {
        assert!(
            statuses.contains(&s),
            "fault {s} was not hit: {statuses:?}\n{}",
            run.stderr
        );
    }
    // Retry-After: 1 (429, secondary limit) and x-ratelimit-reset are waited for.
    for (i, r) in log
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.status, 429 | 403))
    {
        let next = log[i + 1..]
            .iter()
            .find(|n| n.method == r.method && n.path == r.path)
            .unwrap_or_else(|| panic!("{} {} was not retried", r.method, r.path));
        let gap = next.at.duration_since(r.at);
        assert!(
            gap >= std::time::Duration::from_millis(900),
            "{} {} retried after {gap:?}",
            r.method,
            r.path
        );
    }
    f.issue_of("web");
    f.issue_of("host");
    f.pull_of("web");
    f.pull_of("k8s");
    assert_eq!(f.fake.issues(REPO).len(), 4);
    let (_, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new());
}

#[test]
fn a_run_killed_between_branch_and_pull_request_converges() {
    let f = Fleet::new();
    f.standard();
    f.config(
        1,
        "  - name: web\n    baseline: prod/registry.yml\n    source: {file: deployed/web.yml}\n    remediation: {mode: pr, path: registry/web/config.yml}\n",
    );
    f.fake
        .inject("POST", "/repos/org/gitops/pulls", FaultKind::DropBefore, 2);
    let (run, _) = f.remediate(2);
    assert!(run.stderr.contains("remediation failed"), "{}", run.stderr);
    assert!(gitops_branches(&f).contains("regdrift/restore/web"));
    assert!(f.items("web").is_empty(), "no pull request yet");
    f.fake.clear_faults();
    let (_, log) = f.remediate(1);
    let w = writes(&log);
    assert!(
        !w.iter().any(|x| x.contains("/git/refs")),
        "the branch is reused: {w:?}"
    );
    f.pull_of("web");
    assert_eq!(gitops_branches(&f).len(), 2);
    let (_, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new());
}

#[test]
fn without_a_token_dry_run_reads_nothing_and_remediation_fails_clearly() {
    let f = Fleet::new();
    f.standard();
    let run = f.check_with_token(None, &["--remediate", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(f.fake.log().is_empty(), "no request without a token");
    assert!(
        run.stderr.contains("GITHUB_TOKEN is not set"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("remediation plan: org/gitops: host: open issue"),
        "{}",
        run.stderr
    );
    let run = f.check_with_token(None, &["--remediate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("GITHUB_TOKEN"), "{}", run.stderr);
    assert!(
        serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok(),
        "report still written"
    );
    assert!(f.fake.log().is_empty());
}

#[test]
fn writes_are_paced_by_write_interval() {
    let f = Fleet::new();
    f.standard();
    let cfg = std::fs::read_to_string(f.path("regdrift.yml")).unwrap();
    f.write(
        "regdrift.yml",
        &cfg.replace("write_interval: 1ms", "write_interval: 250ms"),
    );
    let (_, log) = f.remediate(1);
    let writes: Vec<&Recorded> = log.iter().filter(|r| r.is_write()).collect();
    assert!(writes.len() >= 8, "{}", writes.len());
    for pair in writes.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= std::time::Duration::from_millis(200),
            "{} {} then {} {} only {gap:?} apart",
            pair[0].method,
            pair[0].path,
            pair[1].method,
            pair[1].path
        );
    }
}

#[test]
fn a_target_whose_gitops_location_cannot_be_read_fails_alone() {
    let f = Fleet::new();
    f.standard();
    f.config(
        3,
        "  - name: web\n    baseline: prod/registry.yml\n    source: {file: deployed/web.yml}\n    remediation: {mode: pr, path: registry/web/config.yml, base: no-such-branch}\n\
         \x20 - name: host\n    baseline: prod/registry.yml\n    source: {file: deployed/host.yml}\n    remediation: {mode: issue}\n",
    );
    let (run, _) = f.remediate(2);
    assert!(
        run.stderr.contains("web: left alone") && run.stderr.contains("no-such-branch"),
        "{}",
        run.stderr
    );
    f.issue_of("host");
    assert!(
        f.items("web").is_empty(),
        "no fallback issue for an unreadable location"
    );
}

#[test]
fn huge_findings_give_bodies_under_the_limit_with_a_note() {
    let f = Fleet::new();
    f.standard();
    let mut huge = debug_open(BASELINE);
    for i in 0..1500 {
        huge.push_str(&format!(
            "unknown_section_{i:04}: {{nested_key_with_a_long_name: value-{i}}}\n"
        ));
    }
    f.write("deployed/host.yml", &huge);
    let (run, _) = f.remediate(1);
    let issue = f.issue_of("host");
    let n = issue.body.chars().count();
    assert!(n <= 65_536 && n > 30_000, "{n}\n{}", run.stderr);
    assert!(
        issue
            .body
            .starts_with("<!-- regdrift:target=host fingerprint=")
    );
    assert!(
        issue.body.contains("| Severity | Rule |"),
        "summary table first"
    );
    assert!(
        issue.body.contains("more findings are not listed"),
        "{}",
        &issue.body[n.saturating_sub(600)..]
    );
}

#[test]
fn issues_and_labels_are_found_across_pages() {
    let f = Fleet::new();
    f.standard();
    for i in 0..130 {
        f.fake.add_label(REPO, &format!("area-{i:03}"));
    }
    f.remediate(1);
    let host = f.issue_of("host");
    // 230 more labelled issues of other targets: the target's own is now on the third page.
    for i in 0..230 {
        let marker = format!("<!-- regdrift:target=old-{i} fingerprint=0 -->");
        f.fake
            .add_issue(REPO, "older", &marker, &["regdrift"], i % 2 == 0);
    }
    let (run, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new(), "{}", run.stderr);
    assert!(
        log.iter()
            .any(|r| r.path.ends_with("/issues") && r.query.contains("page=3"))
    );
    assert!(
        log.iter()
            .any(|r| r.path.ends_with("/labels") && r.query.contains("page=2"))
    );
    assert_eq!(f.issue_of("host").number, host.number);
}

#[test]
fn dry_run_reads_and_writes_nothing() {
    let f = Fleet::new();
    f.standard();
    let before = f.fake.log().len();
    let run = f.check(&["--remediate", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log = f.fake.log()[before..].to_vec();
    assert!(
        !log.is_empty() && writes(&log).is_empty(),
        "{:?}",
        writes(&log)
    );
    assert!(
        run.stderr
            .contains("remediation plan: org/gitops: web: open issue"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("open pull request regdrift/restore/k8s -> main"),
        "{}",
        run.stderr
    );
    assert!(f.fake.issues(REPO).is_empty());
    f.assert_valid();
}

const SECRETS: [&str; 6] = [
    "http-secret-VALUE-9f8e7d6c5b4a",
    "s3-SECRETKEY-value-0a1b2c3d4e5f",
    "redis-PASSWORD-value-77aa88bb",
    "Bearer notify-TOKEN-value-1234abcd",
    "env-http-secret-VALUE-5566",
    "env-s3-SECRETKEY-value-8899",
];

#[test]
fn secret_values_never_reach_github() {
    let f = Fleet::new();
    // A deployed config (and the same file in git) with secrets inline, and secrets in env.
    let with_secrets = BASELINE
        .replace(
            "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n",
            &format!("storage:\n  s3:\n    region: eu-west-1\n    bucket: images\n    accesskey: AKIAEXAMPLEKEYID\n    secretkey: {}\n", SECRETS[1]),
        )
        .replace("http:\n  addr: :5000\n", &format!("http:\n  addr: :5000\n  secret: {}\n", SECRETS[0]))
        .replace(
            "      backoff: 10s\n",
            &format!("      backoff: 10s\n      headers:\n        Authorization: [{}]\n", SECRETS[3]),
        )
        + &format!("redis:\n  addrs: [redis:6379]\n  password: {}\n", SECRETS[2]);
    assert!(SECRETS[..4].iter().all(|s| with_secrets.contains(s)));
    f.write("deployed/web.yml", &with_secrets);
    f.write(
        "deployed/web.env",
        &format!(
            "REGISTRY_HTTP_SECRET={}\nREGISTRY_STORAGE_S3_SECRETKEY={}\n",
            SECRETS[4], SECRETS[5]
        ),
    );
    f.write("deployed/k8s.yaml", &manifest(&with_secrets));
    f.fake.repo(
        REPO,
        "main",
        &[
            ("registry/web/config.yml", &with_secrets),
            ("k8s/registry.yaml", &manifest(&with_secrets)),
        ],
    );
    f.config(
        3,
        "  - name: web\n    baseline: prod/registry.yml\n    source: {file: deployed/web.yml}\n    env: {files: [deployed/web.env]}\n    remediation: {mode: pr, path: registry/web/config.yml}\n\
         \x20 - name: k8s\n    baseline: prod/registry.yml\n    source: {kubernetes: {manifests: deployed/k8s.yaml}}\n    remediation: {mode: both, path: k8s/registry.yaml}\n",
    );
    let (run, log) = f.remediate(1);
    // Restoring would drop secrets set inline in git: issues instead, saying why.
    let web = f.issue_of("web");
    assert!(
        web.body.contains("No pull request") && web.body.contains("http.secret"),
        "{}",
        web.body
    );
    assert!(f.items("k8s").iter().all(|(_, _, pull)| !pull));
    assert!(!log.is_empty());
    for r in &log {
        let decoded = serde_json::from_str::<serde_json::Value>(&r.body)
            .ok()
            .and_then(|v| v["content"].as_str().and_then(unb64))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        for s in SECRETS {
            for hay in [&r.path, &r.query, &r.body, &decoded] {
                assert!(
                    !hay.contains(s),
                    "secret {s} sent in {} {}",
                    r.method,
                    r.path
                );
            }
        }
    }
    for s in SECRETS {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "{s} printed"
        );
    }
}

#[test]
fn the_validator_rejects_requests_that_do_not_match() {
    let Some(api) = support::github::validator() else {
        return;
    };
    let ok = serde_json::json!({"ref": "refs/heads/x", "sha": "abc"});
    api.validate("POST", "/repos/o/r/git/refs", &[], Some(&ok))
        .unwrap();
    let bad = [
        (
            "POST",
            "/repos/o/r/git/refs",
            serde_json::json!({"ref": "refs/heads/x"}),
        ),
        (
            "PATCH",
            "/repos/o/r/issues/3",
            serde_json::json!({"state": "reopened"}),
        ),
        (
            "PATCH",
            "/repos/o/r/issues/3",
            serde_json::json!({"titel": "typo"}),
        ),
        (
            "POST",
            "/repos/o/r/pulls",
            serde_json::json!({"title": 3, "head": "a", "base": "b"}),
        ),
        (
            "PUT",
            "/repos/o/r/issues/3/labels",
            serde_json::json!({"labels": []}),
        ),
        ("POST", "/repos/o/r/no-such-thing", serde_json::json!({})),
        ("DELETE", "/repos/o/r/issues/3", serde_json::json!({})),
    ];
    for (m, p, b) in bad {
        assert!(
            api.validate(m, p, &[], Some(&b)).is_err(),
            "{m} {p} {b} was accepted"
        );
    }
    let q = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    assert!(
        api.validate("GET", "/repos/o/r/issues", &q("colour", "red"), None)
            .is_err()
    );
    assert!(
        api.validate("GET", "/repos/o/r/issues", &q("state", "all"), None)
            .is_ok()
    );
    assert!(
        api.validate("GET", "/repos/o/r/issues", &q("state", "sideways"), None)
            .is_err()
    );
    assert!(
        api.validate(
            "GET",
            "/repos/o/r/git/ref/heads/regdrift/restore/a",
            &[],
            None
        )
        .is_ok()
    );
    assert!(
        api.validate(
            "GET",
            "/repos/o/r/contents/a/b/c.yml",
            &q("ref", "main"),
            None
        )
        .is_ok()
    );
    let _: Option<&OpenApi> = Some(api);
    let _ = Path::new("");
}

/// `schedule.remediate: true`: the daemon remediates after its run exactly as
/// `check --remediate` does, and a `check --remediate` afterwards has nothing left to write.
#[test]
fn the_daemon_remediates_after_its_run_when_the_schedule_says_so() {
    let f = Fleet::new();
    f.standard();
    let text = std::fs::read_to_string(f.dir.path().join("regdrift.yml"))
        .unwrap()
        .replace(
            "targets:\n",
            "schedule: {cron: \"0 0 0 1 1 *\", listen: \"off\", remediate: true}\ntargets:\n",
        );
    f.write("regdrift.yml", &text);
    let out = Command::new(env!("CARGO_BIN_EXE_regdrift"))
        .current_dir(f.dir.path())
        .env("HOME", f.dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("REGDRIFT_DIGEST_KEY")
        .args([
            "daemon",
            "-c",
            "regdrift.yml",
            "--once",
            "--log-format",
            "json",
        ])
        .output()
        .expect("regdrift runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "drift found\n{stderr}");
    assert!(!stderr.contains(TOKEN), "the token was logged");
    assert!(stderr.contains("remediation_finished"), "{stderr}");
    f.assert_valid();
    // The same items as the first `check --remediate` of the lifecycle test.
    f.issue_of("web");
    f.issue_of("host");
    f.pull_of("web");
    f.pull_of("k8s");
    assert!(
        f.items("k8s").iter().all(|(_, _, pull)| *pull),
        "k8s is pr only"
    );
    // Converged: the CLI finds nothing to write.
    let (_, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new());
}

/// Someone removes the `regdrift` label from our issue and pull request: the next run finds them
/// by their marker (open items are read before anything is created), puts the labels back and
/// creates nothing. Regression: the label-filtered listing alone missed them and a duplicate
/// issue was opened.
#[test]
fn an_item_whose_label_was_removed_is_found_by_its_marker_not_duplicated() {
    let f = Fleet::new();
    f.standard();
    f.remediate(1);
    let issue = f.issue_of("web");
    let pull = f.pull_of("web");
    f.fake.strip_labels(REPO, issue.number);
    f.fake.strip_labels(REPO, pull.number);
    let (_, log) = f.remediate(1);
    let posts: Vec<String> = writes(&log)
        .into_iter()
        .filter(|w| w.starts_with("POST"))
        .collect();
    assert_eq!(posts, Vec::<String>::new(), "nothing is created again");
    let again = f.issue_of("web");
    assert_eq!(again.number, issue.number);
    assert!(
        again.labels.contains(&"regdrift".to_string()),
        "{:?}",
        again.labels
    );
    assert_eq!(f.pull_of("web").number, pull.number);
    // Converged: a further run writes nothing.
    let (_, log) = f.remediate(1);
    assert_eq!(writes(&log), Vec::<String>::new());
}
