//! The pure planning step: from the run's report, the targets' remediation settings, the
//! baselines verified in this run and a snapshot of what exists on GitHub, decide what to
//! write. No network, no clock, no randomness: the same inputs give the same actions, and a
//! snapshot that already matches the report gives no action at all (a second identical run
//! writes nothing).
//!
//! A target has drifted when it has a finding that fails the run (not waived, at or above
//! `fail_on`); it is in sync otherwise. Per target (targets that could not be checked are left
//! alone: their state is unknown):
//! - **Issue** (mode `issue` or `both`, or `pr` when a pull request cannot restore the target):
//!   drift and no issue → create; drift and an open issue → update title, body and labels
//!   where they differ; drift and a closed issue → reopen it (never a second one); in sync
//!   and an open issue → comment that the target is back in sync, then close.
//! - **Pull request** (mode `pr` or `both`): the branch `regdrift/restore/<target>` holds one
//!   commit on the base branch that writes the verified baseline (or, for a `kubernetes`
//!   source, the ConfigMap manifest with only the configuration's block replaced). It is
//!   created when missing, force-reset to the base and committed again when its content is
//!   not the wanted one, and left alone when it is. The pull request is created, updated or
//!   reopened like an issue; it is closed with a comment when no longer needed. A merged pull
//!   request cannot be reopened, so a recurrence after a merge opens a new one.
//! - **No pull request, an issue instead** when restoring would need a secret value (the
//!   baseline carries one, or the file in git sets one inline that the baseline has no value
//!   for), when the baseline was not verified in this run, when the GitOps file already
//!   holds the baseline (the drift is outside GitOps), or when the manifest cannot be
//!   rewritten exactly. The issue says why, never with a value.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::RemediationMode;
use crate::registry::redact::Digester;
use crate::registry::{self, BuildOptions, Version};
use crate::report::{Status, TargetReport};
use crate::rules::Severity;

use super::body;
use super::kube::{self, Selector};

/// What one target asks of remediation.
#[derive(Debug, Clone)]
pub struct TargetInput<'a> {
    pub report: &'a TargetReport,
    pub mode: RemediationMode,
    /// `owner/name` of the issue and the GitOps location.
    pub repo: String,
    /// Path in that repository (pr and both).
    pub path: Option<String>,
    /// Set for a `kubernetes` source: which ConfigMap key holds the configuration.
    pub kubernetes: Option<Selector>,
    /// The baseline bytes verified in this run (None: not verified, no pull request).
    pub baseline: Option<&'a [u8]>,
    pub version: Version,
}

/// An issue or pull request found on GitHub by label and marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub open: bool,
    pub labels: Vec<String>,
    pub pull: bool,
    /// Body of the newest comment (fetched for open items of targets in sync only).
    pub last_comment: Option<String>,
}

/// A file on a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub content: Vec<u8>,
    /// Blob sha GitHub needs to replace it.
    pub sha: String,
}

/// A pull request of a target's branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullState {
    pub number: u64,
    pub open: bool,
    pub merged: bool,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub last_comment: Option<String>,
}

/// What GitHub holds for one target's pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitState {
    /// The base branch and its tip.
    pub base: String,
    pub base_sha: String,
    /// The file at `path` on the base branch (None: absent).
    pub base_file: Option<FileState>,
    /// Tip of `regdrift/restore/<target>` (None: no such branch).
    pub branch_sha: Option<String>,
    pub branch_file: Option<FileState>,
    /// The newest pull request from that branch.
    pub pull: Option<PullState>,
}

/// What GitHub holds for one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoState {
    /// Labels that exist.
    pub labels: BTreeSet<String>,
    /// Issues and pull requests carrying the `regdrift` label.
    pub items: Vec<Item>,
}

/// The snapshot the plan is made against.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub repos: BTreeMap<String, RepoState>,
    /// Per target with a pull request mode.
    pub git: BTreeMap<String, GitState>,
}

/// One write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    CreateLabel {
        repo: String,
        name: String,
        color: String,
        description: String,
    },
    CreateIssue {
        repo: String,
        target: String,
        title: String,
        body: String,
        labels: Vec<String>,
    },
    /// Update an issue or pull request (both are issues to the API); `None` keeps a field.
    UpdateIssue {
        repo: String,
        target: String,
        number: u64,
        pull: bool,
        title: Option<String>,
        body: Option<String>,
        labels: Option<Vec<String>>,
        reopen: bool,
    },
    /// Comment (unless already said) and close an issue or pull request.
    Close {
        repo: String,
        target: String,
        number: u64,
        pull: bool,
        comment: Option<String>,
    },
    CreateBranch {
        repo: String,
        target: String,
        branch: String,
        sha: String,
    },
    ResetBranch {
        repo: String,
        target: String,
        branch: String,
        sha: String,
    },
    PutFile {
        repo: String,
        target: String,
        branch: String,
        path: String,
        content: Vec<u8>,
        /// The blob replaced (None: the file is created).
        sha: Option<String>,
        message: String,
    },
    CreatePull {
        repo: String,
        target: String,
        head: String,
        base: String,
        title: String,
        body: String,
        labels: Vec<String>,
    },
}

impl Action {
    /// The target the action is for (labels: none).
    pub fn target(&self) -> Option<&str> {
        match self {
            Action::CreateLabel { .. } => None,
            Action::CreateIssue { target, .. }
            | Action::UpdateIssue { target, .. }
            | Action::Close { target, .. }
            | Action::CreateBranch { target, .. }
            | Action::ResetBranch { target, .. }
            | Action::PutFile { target, .. }
            | Action::CreatePull { target, .. } => Some(target),
        }
    }

    /// One line for the plan printout (never a body or file content).
    pub fn describe(&self) -> String {
        match self {
            Action::CreateLabel { repo, name, .. } => format!("{repo}: create label {name}"),
            Action::CreateIssue {
                repo,
                target,
                title,
                ..
            } => format!("{repo}: {target}: open issue \"{title}\""),
            Action::UpdateIssue {
                repo,
                target,
                number,
                pull,
                title,
                body,
                labels,
                reopen,
            } => {
                let mut what = Vec::new();
                if *reopen {
                    what.push("reopen");
                }
                if title.is_some() {
                    what.push("title");
                }
                if body.is_some() {
                    what.push("body");
                }
                if labels.is_some() {
                    what.push("labels");
                }
                let kind = if *pull { "pull request" } else { "issue" };
                format!(
                    "{repo}: {target}: update {kind} #{number} ({})",
                    what.join(", ")
                )
            }
            Action::Close {
                repo,
                target,
                number,
                pull,
                comment,
            } => format!(
                "{repo}: {target}: close {} #{number}{}",
                if *pull { "pull request" } else { "issue" },
                if comment.is_some() {
                    " with a comment"
                } else {
                    ""
                }
            ),
            Action::CreateBranch {
                repo, branch, sha, ..
            } => format!("{repo}: create branch {branch} at {}", short(sha)),
            Action::ResetBranch {
                repo, branch, sha, ..
            } => format!("{repo}: force-reset branch {branch} to {}", short(sha)),
            Action::PutFile {
                repo,
                branch,
                path,
                content,
                ..
            } => format!(
                "{repo}: commit {path} ({} bytes, the verified baseline) to {branch}",
                content.len()
            ),
            Action::CreatePull {
                repo,
                target,
                head,
                base,
                ..
            } => format!("{repo}: {target}: open pull request {head} -> {base}"),
        }
    }
}

fn short(sha: &str) -> &str {
    // A sha comes from the server: never slice inside a character.
    sha.get(..12).unwrap_or(sha)
}

/// Why a pull request cannot restore a target (said in the issue instead).
fn restore_content(input: &TargetInput<'_>, git: &GitState) -> Result<Vec<u8>, String> {
    let path = input.path.as_deref().unwrap_or_default();
    let baseline = input.baseline.ok_or(
        "the baseline was not verified in this run, and a pull request writes only verified baseline content",
    )?;
    let opts = BuildOptions {
        version: input.version,
        ..BuildOptions::default()
    };
    let base_secrets = secret_keys(baseline, &opts)
        .map_err(|e| format!("the baseline does not load as a registry configuration ({e})"))?;
    if !base_secrets.is_empty() {
        return Err(format!(
            "restoring would write secret values held by the baseline ({}) into the GitOps repository; keep them out of the baseline and supply them through the environment",
            base_secrets.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let (current, desired) = match &input.kubernetes {
        Some(sel) => {
            let file = git
                .base_file
                .as_ref()
                .ok_or_else(|| format!("the manifest {path} does not exist on {}", git.base))?;
            let text = std::str::from_utf8(&file.content)
                .map_err(|_| format!("the manifest {path} is not UTF-8"))?;
            let config = std::str::from_utf8(baseline)
                .map_err(|_| "the baseline is not UTF-8 text".to_string())?;
            let current = current_config(text, sel);
            let desired =
                kube::replace_config(text, sel, config).map_err(|e| format!("{path}: {e}"))?;
            (current, desired.into_bytes())
        }
        None => (
            git.base_file.as_ref().map(|f| f.content.clone()),
            baseline.to_vec(),
        ),
    };
    if let Some(cur) = current {
        if let Ok(inline) = secret_keys(&cur, &opts) {
            if !inline.is_empty() {
                return Err(format!(
                    "the file in git sets secret values inline ({}) that the baseline has no value for; restoring it would drop them or need them written into git. Move them to the environment (REGISTRY_* from a secret store), then the pull request can follow",
                    inline.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(desired)
}

/// The configuration block currently held by the manifest (for the inline-secret check).
fn current_config(manifest: &str, sel: &Selector) -> Option<Vec<u8>> {
    for doc in serde_yaml::Deserializer::from_str(manifest) {
        let Ok(v) = <serde_yaml::Value as serde::Deserialize>::deserialize(doc) else {
            continue;
        };
        let name = v
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str());
        if v.get("kind").and_then(|k| k.as_str()) != Some("ConfigMap")
            || sel.config_map.as_deref().is_some_and(|n| Some(n) != name)
        {
            continue;
        }
        if let Some(s) = v
            .get("data")
            .and_then(|d| d.get(sel.key.as_str()))
            .and_then(|s| s.as_str())
        {
            return Some(s.as_bytes().to_vec());
        }
    }
    None
}

/// Paths of keys holding a secret value in `bytes` (read as a registry config, no env).
fn secret_keys(bytes: &[u8], opts: &BuildOptions) -> Result<BTreeSet<String>, String> {
    let cfg = registry::build(bytes, "remediation", &[], opts).map_err(|e| e.to_string())?;
    Ok(cfg
        .flatten(&Digester::ephemeral())
        .into_iter()
        .filter(|e| e.secret)
        .map(|e| e.path)
        .collect())
}

/// GitHub compares label names without regard to case (`Regdrift` is `regdrift`).
fn managed(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l == body::LABEL || l.starts_with(body::SEVERITY_PREFIX)
}

/// The labels to set when the managed ones differ from `want` (others are kept). Names are
/// compared without regard to case, as GitHub does.
fn label_update(have: &[String], want: &[String]) -> Option<Vec<String>> {
    let have_managed: BTreeSet<String> = have
        .iter()
        .filter(|l| managed(l))
        .map(|l| l.to_ascii_lowercase())
        .collect();
    let want_set: BTreeSet<String> = want.iter().map(|l| l.to_ascii_lowercase()).collect();
    if have_managed == want_set {
        return None;
    }
    let mut out: Vec<String> = have.iter().filter(|l| !managed(l)).cloned().collect();
    out.extend(want.iter().cloned());
    out.sort();
    out.dedup();
    Some(out)
}

fn changed(have: &str, want: &str) -> Option<String> {
    (have != want).then(|| want.to_string())
}

/// Wanted state of an issue or pull request of a target.
struct Want<'a> {
    repo: &'a str,
    target: &'a str,
    title: String,
    body: String,
    labels: Vec<String>,
}

/// Update (and reopen) an existing item so it matches `want`; nothing when it does.
fn update(
    want: &Want<'_>,
    number: u64,
    pull: bool,
    have: (&str, &str, &[String], bool),
) -> Option<Action> {
    let (title, body, labels, open) = have;
    let a = Action::UpdateIssue {
        repo: want.repo.into(),
        target: want.target.into(),
        number,
        pull,
        title: changed(title, &want.title),
        body: changed(body, &want.body),
        labels: label_update(labels, &want.labels),
        reopen: !open,
    };
    match &a {
        Action::UpdateIssue {
            title: None,
            body: None,
            labels: None,
            reopen: false,
            ..
        } => None,
        _ => Some(a),
    }
}

/// The close action for an open item, with the comment unless it was already left.
fn close(
    repo: &str,
    target: &str,
    number: u64,
    pull: bool,
    last: Option<&str>,
    comment: String,
) -> Action {
    Action::Close {
        repo: repo.into(),
        target: target.into(),
        number,
        pull,
        comment: (last != Some(comment.as_str())).then_some(comment),
    }
}

/// Plans one target's issue and pull request.
fn plan_target(input: &TargetInput<'_>, snap: &Snapshot, fail_on: Severity, out: &mut Vec<Action>) {
    let t = input.report;
    if !matches!(t.status, Status::Checked) || input.mode == RemediationMode::None {
        return;
    }
    let repo = input.repo.as_str();
    let empty = RepoState::default();
    let rs = snap.repos.get(repo).unwrap_or(&empty);
    // Drift is what fails the run: a finding that is not waived and at or above `fail_on`.
    // Below it (an informational note that can never go away, say) nothing is opened.
    let drift = t
        .findings
        .iter()
        .any(|f| f.waived.is_none() && f.severity >= fail_on);
    let fp = body::drift_fingerprint(t);
    let labels = body::labels(body::worst(t));
    let wants_pr = matches!(input.mode, RemediationMode::Pr | RemediationMode::Both);
    let wants_issue = matches!(input.mode, RemediationMode::Issue | RemediationMode::Both);
    let git = snap.git.get(&t.name);

    // The pull request: what it would write, or why there is none.
    let mut pr_reason = None;
    let mut pr_content = None;
    if wants_pr && drift {
        match git {
            None => {
                pr_reason = Some(
                    "the GitOps repository was not read in this run (a dry run without a token)"
                        .to_string(),
                )
            }
            Some(g) => match restore_content(input, g) {
                Ok(c) if g.base_file.as_ref().is_some_and(|f| f.content == c) => {
                    pr_reason = Some(format!(
                        "{} on {} already holds the verified baseline, so the drift comes from outside GitOps (the host, its environment, or a deployment that did not apply); re-deploy from git",
                        input.path.as_deref().unwrap_or_default(),
                        g.base
                    ));
                }
                Ok(c) => pr_content = Some(c),
                Err(e) => pr_reason = Some(e),
            },
        }
    }

    let pr_planned = pr_content.is_some();
    if let (Some(g), Some(content)) = (git, pr_content) {
        let branch = body::branch(&t.name);
        let path = input.path.clone().unwrap_or_default();
        let on_branch = g.branch_file.as_ref().map(|f| &f.content);
        let mut branch_actions = Vec::new();
        if g.branch_sha.is_none() || on_branch != Some(&content) {
            match &g.branch_sha {
                None => branch_actions.push(Action::CreateBranch {
                    repo: repo.into(),
                    target: t.name.clone(),
                    branch: branch.clone(),
                    sha: g.base_sha.clone(),
                }),
                Some(sha) if sha != &g.base_sha => branch_actions.push(Action::ResetBranch {
                    repo: repo.into(),
                    target: t.name.clone(),
                    branch: branch.clone(),
                    sha: g.base_sha.clone(),
                }),
                Some(_) => {}
            }
            branch_actions.push(Action::PutFile {
                repo: repo.into(),
                target: t.name.clone(),
                branch: branch.clone(),
                path: path.clone(),
                content,
                sha: g.base_file.as_ref().map(|f| f.sha.clone()),
                message: body::commit_message(&t.name, &path, t.baseline_trust.as_ref()),
            });
        }
        let want = Want {
            repo,
            target: &t.name,
            title: body::pr_title(&t.name),
            body: body::pr_body(t, fail_on, &fp, &path, input.kubernetes.is_some()),
            labels: labels.clone(),
        };
        match g.pull.as_ref().filter(|p| !p.merged) {
            // GitHub refuses to reopen a pull request whose branch was force-pushed while it
            // was closed: reopen first, then move the branch.
            Some(p) if !p.open => {
                out.extend(update(
                    &want,
                    p.number,
                    true,
                    (&p.title, &p.body, &p.labels, p.open),
                ));
                out.extend(branch_actions);
            }
            Some(p) => {
                out.extend(branch_actions);
                out.extend(update(
                    &want,
                    p.number,
                    true,
                    (&p.title, &p.body, &p.labels, p.open),
                ));
            }
            None => {
                out.extend(branch_actions);
                out.push(Action::CreatePull {
                    repo: repo.into(),
                    target: t.name.clone(),
                    head: branch,
                    base: g.base.clone(),
                    title: want.title,
                    body: want.body,
                    labels: want.labels,
                });
            }
        }
    } else if let Some(p) = git.and_then(|g| g.pull.as_ref()).filter(|p| p.open) {
        let comment = if drift {
            format!(
                "{}\nregdrift: this pull request is no longer the way to restore **{}**: {}",
                body::marker(&t.name, "superseded"),
                t.name,
                pr_reason
                    .as_deref()
                    .unwrap_or("remediation no longer asks for one")
            )
        } else {
            body::in_sync_comment(&t.name)
        };
        out.push(close(
            repo,
            &t.name,
            p.number,
            true,
            p.last_comment.as_deref(),
            comment,
        ));
    }

    // The issue.
    let needs_issue = drift && (wants_issue || pr_reason.is_some());
    let mine: Vec<&Item> = rs
        .items
        .iter()
        .filter(|i| !i.pull && body::has_marker(&i.body, &t.name))
        .collect();
    let existing = mine
        .iter()
        .filter(|i| i.open)
        .min_by_key(|i| i.number)
        .or_else(|| mine.iter().max_by_key(|i| i.number))
        .copied();
    if needs_issue {
        let want = Want {
            repo,
            target: &t.name,
            title: body::issue_title(t),
            body: body::issue_body(
                t,
                fail_on,
                &fp,
                pr_reason.as_deref(),
                pr_planned.then(|| body::branch(&t.name)).as_deref(),
            ),
            labels,
        };
        match existing {
            Some(i) => out.extend(update(
                &want,
                i.number,
                false,
                (&i.title, &i.body, &i.labels, i.open),
            )),
            None => out.push(Action::CreateIssue {
                repo: repo.into(),
                target: t.name.clone(),
                title: want.title,
                body: want.body,
                labels: want.labels,
            }),
        }
    } else if let Some(i) = existing.filter(|i| i.open) {
        let comment = if drift {
            format!(
                "{}\nregdrift: the drift of **{}** is now restored by its pull request (branch `{}`); closing this issue.",
                body::marker(&t.name, "superseded"),
                t.name,
                body::branch(&t.name)
            )
        } else {
            body::in_sync_comment(&t.name)
        };
        out.push(close(
            repo,
            &t.name,
            i.number,
            false,
            i.last_comment.as_deref(),
            comment,
        ));
    }
}

/// Plans every target; labels that are used but missing come first.
pub fn plan(inputs: &[TargetInput<'_>], snap: &Snapshot, fail_on: Severity) -> Vec<Action> {
    let mut actions = Vec::new();
    for input in inputs {
        plan_target(input, snap, fail_on, &mut actions);
    }
    let mut needed: BTreeSet<(String, String)> = BTreeSet::new();
    for a in &actions {
        let (repo, labels) = match a {
            Action::CreateIssue { repo, labels, .. } | Action::CreatePull { repo, labels, .. } => {
                (repo, labels)
            }
            Action::UpdateIssue {
                repo,
                labels: Some(labels),
                ..
            } => (repo, labels),
            _ => continue,
        };
        for l in labels.iter().filter(|l| managed(l)) {
            let exists = snap
                .repos
                .get(repo)
                .is_some_and(|r| r.labels.iter().any(|have| have.eq_ignore_ascii_case(l)));
            if !exists {
                needed.insert((repo.clone(), l.clone()));
            }
        }
    }
    let mut labels: Vec<Action> = needed
        .into_iter()
        .map(|(repo, name)| {
            let (color, description) = body::label_style(&name);
            Action::CreateLabel {
                repo,
                name,
                color: color.into(),
                description,
            }
        })
        .collect();
    labels.extend(actions);
    labels
}

#[cfg(test)]
mod tests {

    /// GitHub compares label names without case: `Regdrift` already is `regdrift`, so no
    /// create or update request follows (regression: every run re-sent the labels).
    #[test]
    fn labels_that_differ_only_in_case_need_no_update() {
        let have = vec![
            "Regdrift".to_string(),
            "Severity:High".to_string(),
            "team".to_string(),
        ];
        let want = vec!["regdrift".to_string(), "severity:high".to_string()];
        assert_eq!(super::label_update(&have, &want), None);
        assert!(super::label_update(&have, &["regdrift".into(), "severity:low".into()]).is_some());
        assert_eq!(
            super::short("é"),
            "é",
            "a server's sha is never sliced inside a character"
        );
    }
    use super::*;
    use crate::report::{Finding, Location, TrustInfo, WaiverRef};
    use crate::rules::{Category, Direction};

    const BASE: &str = "version: 0.1\nhttp:\n  addr: :5000\n";
    const DRIFTED: &str = "version: 0.1\nhttp:\n  addr: :5000\n  debug: {addr: ':5001'}\n";
    const REPO: &str = "org/gitops";

    fn finding(rule: &str, severity: Severity) -> Finding {
        Finding {
            rule_id: rule.into(),
            slug: "slug".into(),
            title: "A title".into(),
            category: Category::Exposure,
            severity,
            direction: Direction::Weakens,
            path: "http.debug.addr".into(),
            location: Location::File {
                path: "deployed.yml".into(),
                line: 4,
                col: 3,
            },
            message: "debug listener on every interface".into(),
            before: Some("127.0.0.1:5001".into()),
            after: Some(":5001".into()),
            why: "why".into(),
            fix: "fix".into(),
            fingerprint: format!("fp-{rule}"),
            waived: None,
            first_seen: None,
        }
    }

    fn report(name: &str, findings: Vec<Finding>) -> TargetReport {
        TargetReport {
            baseline_trust: Some(TrustInfo {
                verified: true,
                repo: "baselines".into(),
                rev: "main".into(),
                path: "prod/registry.yml".into(),
                commit: "0123456789abcdef0123".into(),
                head_commit: "0123456789abcdef0123".into(),
                blob: "b".into(),
                principals: vec!["approver@example.com".into()],
                fingerprints: Vec::new(),
                detached_signature: false,
                warning: None,
            }),
            findings,
            ..TargetReport::new(name, Status::Checked)
        }
    }

    fn input<'a>(
        r: &'a TargetReport,
        mode: RemediationMode,
        baseline: Option<&'a [u8]>,
    ) -> TargetInput<'a> {
        TargetInput {
            report: r,
            mode,
            repo: REPO.into(),
            path: Some("registry/config.yml".into()),
            kubernetes: None,
            baseline,
            version: Version::default(),
        }
    }

    fn git(base_content: &str) -> GitState {
        GitState {
            base: "main".into(),
            base_sha: "basesha".into(),
            base_file: Some(FileState {
                content: base_content.as_bytes().to_vec(),
                sha: "blob0".into(),
            }),
            branch_sha: None,
            branch_file: None,
            pull: None,
        }
    }

    fn snapshot(target: &str, base_content: &str) -> Snapshot {
        let mut s = Snapshot::default();
        s.repos.insert(REPO.into(), RepoState::default());
        s.git.insert(target.into(), git(base_content));
        s
    }

    /// What GitHub would hold after the actions (the model the plan is checked against).
    fn apply(snap: &mut Snapshot, actions: &[Action]) {
        for a in actions {
            let repo = snap.repos.entry(REPO.into()).or_default();
            match a.clone() {
                Action::CreateLabel { name, .. } => {
                    repo.labels.insert(name);
                }
                Action::CreateIssue {
                    title,
                    body,
                    labels,
                    ..
                } => {
                    let number = repo.items.len() as u64 + 100;
                    repo.items.push(Item {
                        number,
                        title,
                        body,
                        open: true,
                        labels,
                        pull: false,
                        last_comment: None,
                    });
                }
                Action::UpdateIssue {
                    target,
                    number,
                    pull,
                    title,
                    body,
                    labels,
                    reopen,
                    ..
                } => {
                    if pull {
                        let p = snap.git.get_mut(&target).unwrap().pull.as_mut().unwrap();
                        p.title = title.unwrap_or(p.title.clone());
                        p.body = body.unwrap_or(p.body.clone());
                        p.labels = labels.unwrap_or(p.labels.clone());
                        p.open |= reopen;
                    } else {
                        let i = repo.items.iter_mut().find(|i| i.number == number).unwrap();
                        i.title = title.unwrap_or(i.title.clone());
                        i.body = body.unwrap_or(i.body.clone());
                        i.labels = labels.unwrap_or(i.labels.clone());
                        i.open |= reopen;
                    }
                }
                Action::Close {
                    target,
                    number,
                    pull,
                    comment,
                    ..
                } => {
                    if pull {
                        let p = snap.git.get_mut(&target).unwrap().pull.as_mut().unwrap();
                        p.open = false;
                        p.last_comment = comment.or(p.last_comment.clone());
                    } else {
                        let i = repo.items.iter_mut().find(|i| i.number == number).unwrap();
                        i.open = false;
                        i.last_comment = comment.or(i.last_comment.clone());
                    }
                }
                Action::CreateBranch { target, sha, .. }
                | Action::ResetBranch { target, sha, .. } => {
                    let g = snap.git.get_mut(&target).unwrap();
                    g.branch_sha = Some(sha);
                    g.branch_file = g.base_file.clone();
                }
                Action::PutFile {
                    target, content, ..
                } => {
                    let g = snap.git.get_mut(&target).unwrap();
                    g.branch_sha = Some("restored".into());
                    g.branch_file = Some(FileState {
                        content,
                        sha: "blob1".into(),
                    });
                }
                Action::CreatePull {
                    target,
                    title,
                    body,
                    labels,
                    ..
                } => {
                    snap.git.get_mut(&target).unwrap().pull = Some(PullState {
                        number: 7,
                        open: true,
                        merged: false,
                        title,
                        body,
                        labels,
                        last_comment: None,
                    });
                }
            }
        }
    }

    fn kinds(actions: &[Action]) -> Vec<&'static str> {
        actions
            .iter()
            .map(|a| match a {
                Action::CreateLabel { .. } => "label",
                Action::CreateIssue { .. } => "issue",
                Action::UpdateIssue { reopen: true, .. } => "reopen",
                Action::UpdateIssue { .. } => "update",
                Action::Close {
                    comment: Some(_), ..
                } => "comment+close",
                Action::Close { .. } => "close",
                Action::CreateBranch { .. } => "branch",
                Action::ResetBranch { .. } => "reset",
                Action::PutFile { .. } => "put",
                Action::CreatePull { .. } => "pull",
            })
            .collect()
    }

    #[test]
    fn first_run_creates_then_an_identical_run_plans_nothing() {
        let r = report("web", vec![finding("RD-EXP-001", Severity::High)]);
        let inputs = [input(&r, RemediationMode::Both, Some(BASE.as_bytes()))];
        let mut snap = snapshot("web", DRIFTED);
        let first = plan(&inputs, &snap, Severity::Low);
        assert_eq!(
            kinds(&first),
            ["label", "label", "branch", "put", "pull", "issue"],
            "{first:#?}"
        );
        let Action::PutFile { content, sha, .. } = &first[3] else {
            unreachable!()
        };
        assert_eq!(content, BASE.as_bytes());
        assert_eq!(sha.as_deref(), Some("blob0"));
        let Action::CreateIssue { body, .. } = &first[5] else {
            unreachable!()
        };
        assert!(body.contains("branch `regdrift/restore/web`"), "{body}");
        apply(&mut snap, &first);
        assert_eq!(plan(&inputs, &snap, Severity::Low), Vec::new());
    }

    #[test]
    fn changed_findings_update_in_place_and_labels_keep_others() {
        let r = report("web", vec![finding("RD-EXP-001", Severity::High)]);
        let inputs = [input(&r, RemediationMode::Issue, None)];
        let mut snap = snapshot("web", DRIFTED);
        let first = plan(&inputs, &snap, Severity::Low);
        apply(&mut snap, &first);
        snap.repos.get_mut(REPO).unwrap().items[0]
            .labels
            .push("team:registry".into());
        let r2 = report(
            "web",
            vec![
                finding("RD-EXP-001", Severity::High),
                finding("RD-AUTH-001", Severity::Critical),
            ],
        );
        let inputs = [input(&r2, RemediationMode::Issue, None)];
        let next = plan(&inputs, &snap, Severity::Low);
        assert_eq!(kinds(&next), ["label", "update"], "{next:#?}");
        let Action::UpdateIssue {
            number,
            title,
            body,
            labels,
            ..
        } = &next[1]
        else {
            unreachable!()
        };
        assert_eq!(*number, 100);
        assert!(title.as_deref().unwrap().contains("critical"));
        assert!(body.as_deref().unwrap().contains("RD-AUTH-001"));
        assert_eq!(
            labels.clone().unwrap(),
            ["regdrift", "severity:critical", "team:registry"]
        );
    }

    #[test]
    fn in_sync_closes_once_with_a_comment_and_recurrence_reopens() {
        let drifted = report("web", vec![finding("RD-EXP-001", Severity::High)]);
        let mut snap = snapshot("web", DRIFTED);
        let inputs = [input(
            &drifted,
            RemediationMode::Both,
            Some(BASE.as_bytes()),
        )];
        let first = plan(&inputs, &snap, Severity::Low);
        apply(&mut snap, &first);

        let clean = report("web", Vec::new());
        let inputs = [input(&clean, RemediationMode::Both, Some(BASE.as_bytes()))];
        let close = plan(&inputs, &snap, Severity::Low);
        assert_eq!(
            kinds(&close),
            ["comment+close", "comment+close"],
            "{close:#?}"
        );
        assert!(
            matches!(&close[0], Action::Close { pull: true, comment: Some(c), .. } if c.contains("back in sync"))
        );
        // Killed after the comments, before the closes: comment once only.
        let mut half = snap.clone();
        half.git
            .get_mut("web")
            .unwrap()
            .pull
            .as_mut()
            .unwrap()
            .last_comment = Some(body::in_sync_comment("web"));
        half.repos.get_mut(REPO).unwrap().items[0].last_comment =
            Some(body::in_sync_comment("web"));
        assert_eq!(
            kinds(&plan(&inputs, &half, Severity::Low)),
            ["close", "close"]
        );
        apply(&mut snap, &close);
        assert_eq!(plan(&inputs, &snap, Severity::Low), Vec::new());

        let inputs = [input(
            &drifted,
            RemediationMode::Both,
            Some(BASE.as_bytes()),
        )];
        let again = plan(&inputs, &snap, Severity::Low);
        assert_eq!(kinds(&again), ["reopen", "reopen"], "{again:#?}");
    }

    #[test]
    fn findings_below_fail_on_are_in_sync() {
        let r = report("web", vec![finding("RD-CFG-008", Severity::Info)]);
        let snap = snapshot("web", DRIFTED);
        let inputs = [input(&r, RemediationMode::Both, Some(BASE.as_bytes()))];
        assert_eq!(plan(&inputs, &snap, Severity::Low), Vec::new());
        let r = report("web", vec![finding("RD-EXP-001", Severity::Medium)]);
        let inputs = [input(&r, RemediationMode::Issue, None)];
        assert_eq!(plan(&inputs, &snap, Severity::High), Vec::new());
        assert_eq!(
            kinds(&plan(&inputs, &snap, Severity::Medium)),
            ["label", "label", "issue"]
        );
    }

    #[test]
    fn waived_findings_are_in_sync_and_errors_are_left_alone() {
        let mut waived = finding("RD-EXP-001", Severity::High);
        waived.waived = Some(WaiverRef {
            reason: "accepted".into(),
            expires: None,
            line: 1,
        });
        let r = report("web", vec![waived]);
        let snap = snapshot("web", DRIFTED);
        let inputs = [input(&r, RemediationMode::Both, Some(BASE.as_bytes()))];
        assert_eq!(plan(&inputs, &snap, Severity::Low), Vec::new());
        let mut err = report("web", vec![finding("RD-EXP-001", Severity::High)]);
        err.status = Status::Error {
            message: "unreachable".into(),
        };
        let inputs = [input(&err, RemediationMode::Both, Some(BASE.as_bytes()))];
        assert_eq!(plan(&inputs, &snap, Severity::Low), Vec::new());
    }

    fn issue_reason(actions: &[Action]) -> String {
        assert!(
            !actions
                .iter()
                .any(|a| matches!(a, Action::CreatePull { .. } | Action::PutFile { .. })),
            "{actions:#?}"
        );
        actions
            .iter()
            .find_map(|a| match a {
                Action::CreateIssue { body, .. } => Some(body.clone()),
                _ => None,
            })
            .expect("an issue instead")
    }

    #[test]
    fn an_issue_instead_of_a_pull_request_says_why() {
        let r = report("web", vec![finding("RD-EXP-001", Severity::High)]);
        // Not verified in this run.
        let snap = snapshot("web", DRIFTED);
        let b = issue_reason(&plan(
            &[input(&r, RemediationMode::Pr, None)],
            &snap,
            Severity::Low,
        ));
        assert!(b.contains("not verified in this run"), "{b}");
        // GitOps already holds the baseline: the drift is outside GitOps.
        let snap = snapshot("web", BASE);
        let b = issue_reason(&plan(
            &[input(&r, RemediationMode::Pr, Some(BASE.as_bytes()))],
            &snap,
            Severity::Low,
        ));
        assert!(b.contains("outside GitOps"), "{b}");
        // Mode both: the issue says why there is no pull request too.
        let b = issue_reason(&plan(
            &[input(&r, RemediationMode::Both, Some(BASE.as_bytes()))],
            &snap,
            Severity::Low,
        ));
        assert!(
            b.contains("No pull request") && b.contains("outside GitOps"),
            "{b}"
        );
        // The baseline carries a secret value.
        let secret_base = "version: 0.1\nhttp:\n  addr: :5000\n  secret: baseline-SECRET-value\n";
        let snap = snapshot("web", DRIFTED);
        let b = issue_reason(&plan(
            &[input(&r, RemediationMode::Pr, Some(secret_base.as_bytes()))],
            &snap,
            Severity::Low,
        ));
        assert!(
            b.contains("http.secret") && !b.contains("baseline-SECRET-value"),
            "{b}"
        );
        // The file in git sets a secret inline that the baseline has no value for.
        let inline = "version: 0.1\nhttp:\n  addr: :5001\n  secret: deployed-SECRET-value\n";
        let snap = snapshot("web", inline);
        let b = issue_reason(&plan(
            &[input(&r, RemediationMode::Pr, Some(BASE.as_bytes()))],
            &snap,
            Severity::Low,
        ));
        assert!(
            b.contains("inline") && !b.contains("deployed-SECRET-value"),
            "{b}"
        );
    }

    #[test]
    fn a_merged_pull_request_is_not_reopened_and_a_stale_branch_is_reset() {
        let r = report("web", vec![finding("RD-EXP-001", Severity::High)]);
        let mut snap = snapshot("web", DRIFTED);
        snap.repos.get_mut(REPO).unwrap().labels =
            ["regdrift".to_string(), "severity:high".to_string()].into();
        let g = snap.git.get_mut("web").unwrap();
        g.branch_sha = Some("old".into());
        g.branch_file = Some(FileState {
            content: b"version: 0.1\n".to_vec(),
            sha: "blobx".into(),
        });
        g.pull = Some(PullState {
            number: 3,
            open: false,
            merged: true,
            title: String::new(),
            body: String::new(),
            labels: Vec::new(),
            last_comment: None,
        });
        let a = plan(
            &[input(&r, RemediationMode::Pr, Some(BASE.as_bytes()))],
            &snap,
            Severity::Low,
        );
        assert_eq!(kinds(&a), ["reset", "put", "pull"], "{a:#?}");
    }
}
