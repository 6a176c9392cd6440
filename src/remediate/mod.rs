//! GitHub remediation: after a fleet run, open, update and close the pull requests and issues
//! that put each drifted target back on its verified baseline.
//!
//! Flow: `inputs` reads each target's settings (mode, repository, path, base, kubernetes
//! key) and the baseline verified in this run; `snapshot` reads what GitHub holds (GET only:
//! labels, issues and pull requests labelled `regdrift` and carrying the target's marker, the
//! base branch, the target's branch, the files at the GitOps path); [`plan::plan`] decides,
//! purely; `execute` performs the actions in order through [`github::Client`], which paces
//! writes and retries safely. A dry run stops after the plan.
//!
//! Invariants:
//! - Only baseline bytes verified in this run are written (see [`crate::run::RunOutput`]).
//! - Nothing is written when GitHub already matches the report.
//! - A run killed at any point converges on the next: every write is found again by the
//!   marker, the label or the branch name before anything is created.
//! - The library prints nothing: the caller gets a [`Summary`].
//! - Closed pull requests keep their branch: the branch is force-reset and reused on a
//!   recurrence (and deleting it would lose what a reviewer looked at).

pub mod body;
pub mod github;
pub mod kube;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::{GitHubSettings, Loaded, RemediationMode};
use crate::registry::Version;
use crate::run::RunOutput;
use crate::source::SourceSpec;

use self::github::Client;
use self::plan::{Action, GitState, RepoState, Snapshot, TargetInput};

/// Why remediation could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum RemediateError {
    #[error("`--remediate` needs a `github` section in regdrift.yml")]
    NotConfigured,
    #[error(
        "github: the environment variable {0} holding the token is not set; export a personal access token or a GitHub App installation token in it (github.token_env names the variable)"
    )]
    NoToken(String),
    #[error("github.write_interval {0:?} is not a duration")]
    Interval(String),
    #[error("github: cannot build a client for {url}: {message}")]
    Client { url: String, message: String },
    #[error("github: {method} {path}: HTTP {status}: {message}")]
    Refused {
        method: &'static str,
        path: String,
        status: u16,
        message: String,
    },
    #[error("github: {method} {path}: gave up after {attempts} attempts: {message}")]
    GaveUp {
        method: &'static str,
        path: String,
        attempts: u32,
        message: String,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

/// What remediation did (or, in a dry run, would do).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub dry_run: bool,
    /// The plan, one line per action, in order.
    pub planned: Vec<String>,
    /// Actions that were carried out.
    pub done: Vec<String>,
    /// Actions that failed, with the error; the run exits 2 when there is any.
    pub failed: Vec<String>,
    /// Things worth saying (a dry run without a token, skipped targets).
    pub notes: Vec<String>,
    /// Write requests sent (attempts included).
    pub writes: usize,
}

/// Per target: where its pull request and issue go.
struct Settings {
    target: String,
    mode: RemediationMode,
    repo: String,
    path: Option<String>,
    base: Option<String>,
    kubernetes: Option<kube::Selector>,
    version: Version,
}

fn settings(loaded: &Loaded, gh: &GitHubSettings, out: &RunOutput) -> Vec<Settings> {
    let cfg = &loaded.config;
    out.report
        .targets
        .iter()
        .filter_map(|tr| cfg.targets.iter().find(|t| t.name == tr.name))
        .filter_map(|t| {
            let mode = t.remediation_mode(&cfg.defaults);
            let r = t.remediation.clone().unwrap_or_default();
            let repo = r.repository.or_else(|| gh.repository.clone())?;
            (mode != RemediationMode::None).then(|| Settings {
                target: t.name.clone(),
                mode,
                repo,
                path: r.path,
                base: r.base,
                kubernetes: match &t.source {
                    SourceSpec::Kubernetes(k) => Some(kube::Selector {
                        config_map: k.config_map.clone(),
                        key: k.key.clone(),
                    }),
                    _ => None,
                },
                version: t
                    .registry_version
                    .as_deref()
                    .or(cfg.defaults.registry_version.as_deref())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn inputs<'a>(settings: &'a [Settings], out: &'a RunOutput) -> Vec<TargetInput<'a>> {
    settings
        .iter()
        .filter_map(|s| {
            let report = out.report.targets.iter().find(|t| t.name == s.target)?;
            Some(TargetInput {
                report,
                mode: s.mode,
                repo: s.repo.clone(),
                path: s.path.clone(),
                kubernetes: s.kubernetes.clone(),
                baseline: out.verified_baselines.get(&s.target).map(|b| &b[..]),
                version: s.version,
            })
        })
        .collect()
}

/// Reads what GitHub holds for these targets (GET requests only). A target whose GitOps
/// location cannot be read is left out of the plan and reported in `failed`; the others go on.
async fn snapshot(
    client: &Client,
    settings: &[Settings],
    failed: &mut BTreeMap<String, String>,
) -> Result<Snapshot, RemediateError> {
    let mut snap = Snapshot::default();
    let repos: BTreeSet<&str> = settings.iter().map(|s| s.repo.as_str()).collect();
    let mut default_branch: HashMap<&str, String> = HashMap::new();
    for repo in repos {
        let state = RepoState {
            labels: client.labels(repo).await?,
            items: client.items(repo).await?,
        };
        snap.repos.insert(repo.to_string(), state);
    }
    for s in settings
        .iter()
        .filter(|s| matches!(s.mode, RemediationMode::Pr | RemediationMode::Both))
    {
        let base = match &s.base {
            Some(b) => b.clone(),
            None => match default_branch.get(s.repo.as_str()) {
                Some(b) => b.clone(),
                None => {
                    let b = client.default_branch(&s.repo).await?;
                    default_branch.insert(&s.repo, b.clone());
                    b
                }
            },
        };
        match git_state(client, s, base).await {
            Ok(git) => {
                snap.git.insert(s.target.clone(), git);
            }
            Err(e) => {
                failed.insert(s.target.clone(), e.to_string());
            }
        }
    }
    Ok(snap)
}

/// The base branch, the target's branch, the files at its path and its pull request.
async fn git_state(
    client: &Client,
    s: &Settings,
    base: String,
) -> Result<GitState, RemediateError> {
    let Some(base_sha) = client.branch_sha(&s.repo, &base).await? else {
        return Err(RemediateError::Refused {
            method: "GET",
            path: format!("/repos/{}/git/ref/heads/{base}", s.repo),
            status: 404,
            message: format!(
                "base branch {base} of target {} not found (set remediation.base)",
                s.target
            ),
        });
    };
    let path = s.path.clone().unwrap_or_default();
    let branch = body::branch(&s.target);
    let branch_sha = client.branch_sha(&s.repo, &branch).await?;
    let branch_file = match &branch_sha {
        Some(_) => client.file(&s.repo, &path, &branch).await?,
        None => None,
    };
    Ok(GitState {
        base_file: client.file(&s.repo, &path, &base).await?,
        base,
        base_sha,
        branch_sha,
        branch_file,
        pull: client.pull_for(&s.repo, &branch).await?,
    })
}

/// Fills in the newest comment of every item the plan closes, so a close whose comment was
/// already left (a run killed between the comment and the close) does not comment twice.
async fn add_last_comments(
    client: &Client,
    snap: &mut Snapshot,
    actions: &[Action],
) -> Result<bool, RemediateError> {
    let mut added = false;
    for a in actions {
        let Action::Close {
            repo,
            target,
            number,
            pull,
            comment: Some(_),
        } = a
        else {
            continue;
        };
        let last = client.last_comment(repo, *number).await?;
        if *pull {
            if let Some(p) = snap.git.get_mut(target).and_then(|g| g.pull.as_mut()) {
                added |= p.last_comment.is_none() && last.is_some();
                p.last_comment = last;
            }
        } else if let Some(i) = snap
            .repos
            .get_mut(repo)
            .and_then(|r| r.items.iter_mut().find(|i| i.number == *number))
        {
            added |= i.last_comment.is_none() && last.is_some();
            i.last_comment = last;
        }
    }
    Ok(added)
}

/// Carries out one action.
async fn execute(client: &Client, a: &Action) -> Result<(), RemediateError> {
    match a {
        Action::CreateLabel {
            repo,
            name,
            color,
            description,
        } => client.create_label(repo, name, color, description).await,
        Action::CreateIssue {
            repo,
            target,
            title,
            body,
            labels,
        } => client
            .create_issue(repo, target, title, body, labels)
            .await
            .map(drop),
        Action::UpdateIssue {
            repo,
            number,
            title,
            body,
            labels,
            reopen,
            ..
        } => {
            let mut fields = serde_json::Map::new();
            if let Some(t) = title {
                fields.insert("title".into(), json!(t));
            }
            if let Some(b) = body {
                fields.insert("body".into(), json!(b));
            }
            if let Some(l) = labels {
                fields.insert("labels".into(), json!(l));
            }
            if *reopen {
                fields.insert("state".into(), json!("open"));
            }
            client
                .update_issue(repo, *number, Value::Object(fields))
                .await
        }
        Action::Close {
            repo,
            number,
            pull,
            comment,
            ..
        } => {
            if let Some(c) = comment {
                client.comment(repo, *number, c).await?;
            }
            let fields = if *pull {
                json!({"state": "closed"})
            } else {
                json!({"state": "closed", "state_reason": "completed"})
            };
            client.update_issue(repo, *number, fields).await
        }
        Action::CreateBranch {
            repo, branch, sha, ..
        } => client.create_branch(repo, branch, sha).await,
        Action::ResetBranch {
            repo, branch, sha, ..
        } => client.reset_branch(repo, branch, sha).await,
        Action::PutFile {
            repo,
            branch,
            path,
            content,
            sha,
            message,
            ..
        } => {
            client
                .put_file(repo, branch, path, content, sha.as_deref(), message)
                .await
        }
        Action::CreatePull {
            repo,
            head,
            base,
            title,
            body,
            labels,
            ..
        } => client
            .create_pull(repo, head, base, title, body, labels)
            .await
            .map(drop),
    }
}

/// Carries out the actions in order; after a failure, the rest of that target's actions are
/// skipped (the next run plans them again from what GitHub then holds).
async fn execute_all(client: &Client, actions: &[Action], summary: &mut Summary) {
    let mut failed_targets: BTreeSet<String> = BTreeSet::new();
    for a in actions {
        if a.target().is_some_and(|t| failed_targets.contains(t)) {
            continue;
        }
        match execute(client, a).await {
            Ok(()) => summary.done.push(a.describe()),
            Err(e) => {
                summary.failed.push(format!("{}: {e}", a.describe()));
                if let Some(t) = a.target() {
                    failed_targets.insert(t.to_string());
                }
            }
        }
    }
}

async fn remediate_with(
    loaded: &Loaded,
    out: &RunOutput,
    dry_run: bool,
    gh: &GitHubSettings,
    interval: Duration,
) -> Result<Summary, RemediateError> {
    let mut summary = Summary {
        dry_run,
        ..Summary::default()
    };
    let token = std::env::var(&gh.token_env).ok().filter(|t| !t.is_empty());
    let targets = settings(loaded, gh, out);
    let inputs = inputs(&targets, out);
    let fail_on = out.report.summary.fail_on;
    if targets.is_empty() {
        summary
            .notes
            .push("no target of this run has a remediation mode other than none".into());
        return Ok(summary);
    }
    let Some(token) = token else {
        if !dry_run {
            return Err(RemediateError::NoToken(gh.token_env.clone()));
        }
        summary.notes.push(format!(
            "dry run without a token (${} is not set): nothing was read from GitHub; the plan is made against an empty state, as for a first run, and pull requests show as issues because the GitOps files could not be read",
            gh.token_env
        ));
        summary.planned = plan::plan(&inputs, &Snapshot::default(), fail_on)
            .iter()
            .map(Action::describe)
            .collect();
        return Ok(summary);
    };
    let client = Client::new(&gh.api_url, token, interval, gh.max_retries)?;
    let mut unreadable = BTreeMap::new();
    let mut snap = snapshot(&client, &targets, &mut unreadable).await?;
    for (t, e) in &unreadable {
        summary.failed.push(format!(
            "{t}: left alone, its GitOps location could not be read: {e}"
        ));
    }
    let inputs: Vec<TargetInput<'_>> = inputs
        .into_iter()
        .filter(|i| !unreadable.contains_key(&i.report.name))
        .collect();
    let mut actions = plan::plan(&inputs, &snap, fail_on);
    if add_unlabelled_items(&client, &mut snap, &actions).await? {
        actions = plan::plan(&inputs, &snap, fail_on);
    }
    if add_last_comments(&client, &mut snap, &actions).await? {
        actions = plan::plan(&inputs, &snap, fail_on);
    }
    summary.planned = actions.iter().map(Action::describe).collect();
    if dry_run {
        return Ok(summary);
    }
    execute_all(&client, &actions, &mut summary).await;
    summary.writes = client.writes();
    Ok(summary)
}

/// Before anything is created: open items that carry a regdrift marker but lost the
/// `regdrift` label (removed by hand, or dropped by GitHub when the token may not label) are
/// added to the snapshot, so the plan updates them (labels included) instead of opening a
/// duplicate. Returns whether any was found. Only repositories with a planned creation are
/// read, so a run with nothing to create costs no extra request.
async fn add_unlabelled_items(
    client: &Client,
    snap: &mut Snapshot,
    actions: &[Action],
) -> Result<bool, RemediateError> {
    let repos: BTreeSet<&str> = actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateIssue { repo, .. } | Action::CreatePull { repo, .. } => {
                Some(repo.as_str())
            }
            _ => None,
        })
        .collect();
    let mut found = false;
    for repo in repos {
        let open = client.open_items(repo).await?;
        let Some(state) = snap.repos.get_mut(repo) else {
            continue;
        };
        for item in open {
            let ours = body::has_any_marker(&item.body);
            if ours && !state.items.iter().any(|i| i.number == item.number) {
                state.items.push(item);
                found = true;
            }
        }
    }
    Ok(found)
}

fn settings_of(loaded: &Loaded) -> Result<(&GitHubSettings, Duration), RemediateError> {
    let gh = loaded
        .config
        .github
        .as_ref()
        .ok_or(RemediateError::NotConfigured)?;
    let interval = crate::registry::resolve::positive_duration(&gh.write_interval)
        .ok_or_else(|| RemediateError::Interval(gh.write_interval.clone()))?;
    Ok((gh, interval))
}

/// Remediates after a run, inside a caller's async runtime (the daemon): plans against
/// GitHub's state and, unless `dry_run`, writes.
pub async fn remediate_async(
    loaded: &Loaded,
    out: &RunOutput,
    dry_run: bool,
) -> Result<Summary, RemediateError> {
    let (gh, interval) = settings_of(loaded)?;
    remediate_with(loaded, out, dry_run, gh, interval).await
}

/// Remediates after a run from synchronous code (`check --remediate`): starts its own
/// single-threaded runtime, so the check itself never needs one. Must not be called from
/// inside an async runtime; use [`remediate_async`] there.
pub fn remediate(
    loaded: &Loaded,
    out: &RunOutput,
    dry_run: bool,
) -> Result<Summary, RemediateError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RemediateError::Runtime(e.to_string()))?;
    rt.block_on(remediate_async(loaded, out, dry_run))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The daemon spawns remediation on a multi-threaded runtime: the future must be Send.
    #[test]
    fn the_async_entry_point_is_send() {
        let loaded: Option<&Loaded> = None;
        let out: Option<&RunOutput> = None;
        if let (Some(l), Some(o)) = (loaded, out) {
            assert_send(&remediate_async(l, o, true));
        }
    }
}
