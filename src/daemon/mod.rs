//! `regdrift daemon`: runs the fleet check on the schedule of `regdrift.yml`, serves
//! `/healthz` and `/metrics`, reloads its config on SIGHUP and stops cleanly on SIGTERM/SIGINT.
//!
//! Each run is [`crate::run::run`] (synchronous, on a blocking thread), so a scheduled run
//! produces the same report and history as `regdrift check`.
//!
//! Invariants:
//! - **Never two runs at once.** tokio-cron-scheduler starts a job on every tick even while the
//!   previous one is still going, so the daemon guards the run itself: a tick takes the
//!   `running` flag or is skipped (logged as `tick skipped`, counted in
//!   `regdrift_skipped_ticks_total`). The flag is released only when the run, its history
//!   append and the after-run hook have finished.
//! - **History stays whole on shutdown.** `run::run` appends the run's records to history in one
//!   write at its very end. On SIGTERM/SIGINT the daemon stops scheduling, cancels a run still
//!   waiting out its jitter, lets a run in progress finish (history written), then exits 0.
//!   Nothing is cut mid-write; a second signal only logs that the daemon is still waiting.
//! - **A bad reload changes nothing.** On SIGHUP the config is read and checked completely
//!   (including the schedule); if anything is wrong the error is logged and the config in force
//!   stays, schedule and all. A run in progress finishes with the config it started with.
//! - The schedule is UTC (see [`schedule`] for the cron format).
//!
//! # The after-run hook (remediation)
//!
//! [`AfterRun`] is called after each successful run when `schedule.remediate` is true, with
//! the run's output and the config it ran with. It is the point where GitHub remediation
//! (pull requests and issues) plugs in: the binary passes [`GitHubRemediation`] to
//! [`Daemon::new`]. It runs
//! on the run's blocking thread while the run still holds the `running` flag, so remediation
//! never overlaps a run; an async implementation can use
//! `tokio::runtime::Handle::current().block_on(..)` there. A hook error is logged and counted
//! (`regdrift_after_run_hook_failures_total`); it never stops the daemon.

pub mod http;
pub mod metrics;
pub mod schedule;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::{self, Loaded};
use crate::run::{self, RunOutput, RunRequest};
use metrics::{Metrics, ReportFacts, RunFacts};
use schedule::Plan;

/// Called after each successful scheduled run when `schedule.remediate` is true.
pub trait AfterRun: Send + Sync {
    /// Acts on a finished run (open, update or close pull requests and issues). Runs on a
    /// blocking thread; an error is logged and counted, and the daemon goes on.
    fn after_run(&self, output: &RunOutput, loaded: &Loaded) -> Result<()>;
}

/// The after-run hook of `schedule.remediate`: GitHub remediation
/// ([`crate::remediate::remediate_async`]) on the daemon's runtime. Each action is logged; any
/// failed action makes the hook fail (logged and counted), and the next run converges.
pub struct GitHubRemediation;

impl AfterRun for GitHubRemediation {
    fn after_run(&self, output: &RunOutput, loaded: &Loaded) -> Result<()> {
        let handle = tokio::runtime::Handle::current();
        let s = handle.block_on(crate::remediate::remediate_async(loaded, output, false))?;
        for n in &s.notes {
            tracing::info!(event = "remediation_note", note = %n, "remediation");
        }
        for d in &s.done {
            tracing::info!(event = "remediation_done", action = %d, "remediation");
        }
        tracing::info!(
            event = "remediation_finished",
            writes = s.writes,
            done = s.done.len(),
            failed = s.failed.len(),
            "remediation finished"
        );
        if s.failed.is_empty() {
            Ok(())
        } else {
            anyhow::bail!(
                "{} remediation action(s) failed: {}",
                s.failed.len(),
                s.failed.join("; ")
            )
        }
    }
}

/// The config in force and its checked schedule.
#[derive(Debug, Clone)]
struct Active {
    loaded: Arc<Loaded>,
    plan: Plan,
}

/// Reads `regdrift.yml` and checks its schedule. `need_schedule`: refuse a config without one.
fn load(path: &Path, need_schedule: bool) -> Result<Active> {
    let loaded = config::load(path)?;
    let plan = match &loaded.config.schedule {
        Some(s) => {
            Plan::from_schedule(s).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None if need_schedule => anyhow::bail!(
            "{}: no `schedule` section: add one (schedule: {{cron: \"0 */15 * * * *\"}}) or run \
             `regdrift daemon --once`",
            path.display()
        ),
        None => Plan {
            cron: String::new(),
            jitter: None,
            listen: None,
            remediate: false,
        },
    };
    Ok(Active {
        loaded: Arc::new(loaded),
        plan,
    })
}

/// State shared by the scheduler's ticks, the run tasks, the HTTP endpoint and the signal loop.
struct Shared {
    active: RwLock<Active>,
    running: AtomicBool,
    stopping: AtomicBool,
    metrics: Mutex<Metrics>,
    hook: Option<Arc<dyn AfterRun>>,
    shutdown: watch::Receiver<bool>,
}

/// Releases the `running` flag when a run task ends, however it ends.
struct RunningGuard<'a>(&'a Shared);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.0.metrics.lock() {
            m.run_in_progress = false;
        }
        self.0.running.store(false, Ordering::SeqCst);
    }
}

impl Shared {
    fn active(&self) -> Active {
        self.active
            .read()
            .map(|a| a.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn with_metrics(&self, f: impl FnOnce(&mut Metrics)) {
        match self.metrics.lock() {
            Ok(mut m) => f(&mut m),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Takes the `running` flag, unless a run is going or the daemon is stopping.
    fn try_start(&self) -> Option<RunningGuard<'_>> {
        if self
            .running
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return None;
        }
        let guard = RunningGuard(self);
        // Checked after taking the flag (SeqCst on both sides): either shutdown sees the flag
        // and waits for this run, or this tick sees `stopping` and does not run.
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        self.with_metrics(|m| m.run_in_progress = true);
        Some(guard)
    }

    /// A schedule tick: start a run, or skip the tick if one is going.
    fn tick(self: &Arc<Self>) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        if self.running.load(Ordering::SeqCst) {
            self.with_metrics(|m| m.skipped_ticks_total += 1);
            tracing::warn!(
                event = "tick_skipped",
                "tick skipped: the previous run is still going"
            );
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            match me.try_start() {
                Some(guard) => {
                    me.run_once(true).await;
                    drop(guard);
                }
                None if !me.stopping.load(Ordering::SeqCst) => {
                    me.with_metrics(|m| m.skipped_ticks_total += 1);
                    tracing::warn!(
                        event = "tick_skipped",
                        "tick skipped: the previous run is still going"
                    );
                }
                None => {}
            }
        });
    }

    /// One run with the config in force; the caller holds the `running` flag. Returns the
    /// run's exit status (2 when it failed as a whole, None when shutdown cancelled it during
    /// its jitter delay).
    async fn run_once(&self, with_jitter: bool) -> Option<u8> {
        let active = self.active();
        if let Some(max) = active.plan.jitter.filter(|_| with_jitter) {
            let delay = schedule::jitter_delay(max);
            tracing::info!(
                event = "run_delayed",
                delay_ms = delay.as_millis() as u64,
                "jitter: the run starts after a random delay"
            );
            let mut shutdown = self.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|s| *s) => {
                    tracing::info!(event = "run_cancelled", "shutdown during the jitter delay: run not started");
                    return None;
                }
            }
        }
        let started = Instant::now();
        tracing::info!(
            event = "run_started",
            targets = active.loaded.config.targets.len(),
            "run started"
        );
        let hook = self.hook.clone().filter(|_| active.plan.remediate);
        let loaded = active.loaded.clone();
        let joined =
            tokio::task::spawn_blocking(move || blocking_run(&loaded, hook.as_deref())).await;
        let duration = started.elapsed();
        let finished_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let outcome = joined.unwrap_or_else(|e| Outcome {
            result: Err(anyhow::anyhow!("the run panicked: {e}")),
            baselines: Default::default(),
            hook_error: None,
        });
        let exit = log_outcome(&outcome, duration);
        self.with_metrics(|m| {
            if outcome.hook_error.is_some() {
                m.hook_failures_total += 1;
            }
            m.record(RunFacts {
                finished_unix,
                duration_secs: duration.as_secs_f64(),
                report: outcome.result.as_ref().ok().map(|r| r.facts.clone()),
                baselines: outcome.baselines,
            });
        });
        Some(exit)
    }
}

/// What a run returns to the async side.
struct Outcome {
    result: Result<Done>,
    baselines: std::collections::BTreeMap<String, bool>,
    hook_error: Option<String>,
}

struct Done {
    facts: ReportFacts,
    run_id: String,
    warnings: Vec<String>,
    worst: Option<String>,
}

/// The run itself, on a blocking thread: the check (history appended at its end), the
/// verification state of the fleet's baselines, then the after-run hook.
fn blocking_run(loaded: &Loaded, hook: Option<&dyn AfterRun>) -> Outcome {
    let result = run::run(loaded, &RunRequest::default(), &|_, _| {});
    // The run verified each baseline once; a run that failed as a whole says nothing of them.
    let baselines = result
        .as_ref()
        .map(|out| out.baselines_verified.clone())
        .unwrap_or_default();
    let hook_error = match (&result, hook) {
        (Ok(out), Some(h)) => h.after_run(out, loaded).err().map(|e| format!("{e:#}")),
        _ => None,
    };
    Outcome {
        result: result.map(|out| Done {
            facts: ReportFacts::of(&out.report),
            run_id: out.run_id.clone(),
            warnings: out.warnings.clone(),
            worst: out.report.summary.worst.map(|s| s.to_string()),
        }),
        baselines,
        hook_error,
    }
}

/// Logs a finished run; returns its exit status.
fn log_outcome(o: &Outcome, duration: Duration) -> u8 {
    let ms = duration.as_millis() as u64;
    let exit = match &o.result {
        Ok(d) => {
            for w in &d.warnings {
                tracing::warn!(event = "run_warning", run = %d.run_id, "{w}");
            }
            let findings = d.facts.totals.critical
                + d.facts.totals.high
                + d.facts.totals.medium
                + d.facts.totals.low
                + d.facts.totals.info;
            tracing::info!(
                event = "run_finished",
                run = %d.run_id,
                targets_checked = d.facts.targets_checked,
                target_errors = d.facts.target_errors,
                findings,
                worst = d.worst.as_deref().unwrap_or("none"),
                exit_code = d.facts.exit_code,
                duration_ms = ms,
                "run finished"
            );
            d.facts.exit_code
        }
        Err(e) => {
            tracing::error!(event = "run_failed", error = %format!("{e:#}"), duration_ms = ms, "run failed");
            2
        }
    };
    for (b, ok) in &o.baselines {
        if !ok {
            tracing::warn!(event = "baseline_unverified", baseline = %b, "baseline did not verify");
        }
    }
    if let Some(e) = &o.hook_error {
        tracing::error!(event = "after_run_failed", error = %e, "after-run hook (remediation) failed");
    }
    exit
}

/// What `regdrift daemon` was asked to do.
pub struct Daemon {
    config: PathBuf,
    once: bool,
    hook: Option<Arc<dyn AfterRun>>,
}

impl Daemon {
    /// A daemon for `config`; `once`: one run now, then exit. `hook`: see [`AfterRun`].
    pub fn new(config: PathBuf, once: bool, hook: Option<Arc<dyn AfterRun>>) -> Daemon {
        Daemon { config, once, hook }
    }

    /// Runs until SIGTERM/SIGINT (or, with `once`, one run). Returns the exit status: 0 after a
    /// clean stop; with `once`, the run's (0, 1 or 2). Errors: the config or schedule is bad at
    /// start, the listen address is taken, signals cannot be watched.
    pub async fn run(self) -> Result<u8> {
        let active = load(&self.config, !self.once)?;
        let mut term = signal(SignalKind::terminate()).context("watching SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("watching SIGINT")?;
        let mut hup = signal(SignalKind::hangup()).context("watching SIGHUP")?;
        let (stop_tx, stop_rx) = watch::channel(false);
        warn_if_no_hook(&active.plan, self.hook.is_some());
        let shared = Arc::new(Shared {
            metrics: Mutex::new(Metrics {
                targets_configured: active.loaded.config.targets.len(),
                ..Metrics::default()
            }),
            active: RwLock::new(active.clone()),
            running: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            hook: self.hook,
            shutdown: stop_rx.clone(),
        });
        if let Some(addr) = active.plan.listen.filter(|_| !self.once) {
            let listener = http::bind(addr).await.map_err(anyhow::Error::msg)?;
            let local = listener.local_addr().context("listen address")?;
            tracing::info!(event = "listening", addr = %local, "serving /healthz and /metrics on http://{local}");
            let s = shared.clone();
            let render: http::MetricsFn = Arc::new(move || {
                let mut text = String::new();
                s.with_metrics(|m| text = m.render());
                text
            });
            tokio::spawn(http::serve(listener, render, stop_rx.clone()));
        }
        if self.once {
            // Signals are watched here too, so SIGTERM lets the run finish as in the loop below.
            let _guard = shared.try_start();
            let run = shared.run_once(false);
            tokio::pin!(run);
            loop {
                tokio::select! {
                    code = &mut run => return Ok(code.unwrap_or(2)),
                    _ = term.recv() => tracing::info!(event = "signal", signal = "SIGTERM", "finishing the run in progress, then exiting"),
                    _ = int.recv() => tracing::info!(event = "signal", signal = "SIGINT", "finishing the run in progress, then exiting"),
                    _ = hup.recv() => tracing::info!(event = "signal", signal = "SIGHUP", "ignored with --once"),
                }
            }
        }
        let mut sched = scheduler(&active.plan.cron, &shared).await?;
        tracing::info!(
            event = "scheduled",
            cron = %active.plan.cron,
            targets = active.loaded.config.targets.len(),
            config = %self.config.display(),
            "daemon started: cron {} (UTC)",
            active.plan.cron
        );
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!(event = "signal", signal = "SIGTERM", "stopping"); break; }
                _ = int.recv() => { tracing::info!(event = "signal", signal = "SIGINT", "stopping"); break; }
                _ = hup.recv() => reload(&self.config, &shared, &mut sched).await,
            }
        }
        shared.stopping.store(true, Ordering::SeqCst);
        let _ = stop_tx.send(true);
        if let Err(e) = sched.shutdown().await {
            tracing::warn!(error = ?e, "scheduler shutdown");
        }
        if shared.running.load(Ordering::SeqCst) {
            tracing::info!(
                event = "waiting",
                "waiting for the run in progress to finish"
            );
        }
        while shared.running.load(Ordering::SeqCst) {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = term.recv() => tracing::info!("already stopping: waiting for the run in progress to finish"),
                _ = int.recv() => tracing::info!("already stopping: waiting for the run in progress to finish"),
            }
        }
        tracing::info!(event = "stopped", "daemon stopped");
        Ok(0)
    }
}

fn warn_if_no_hook(plan: &Plan, have_hook: bool) {
    if plan.remediate && !have_hook {
        tracing::warn!(
            event = "no_remediation",
            "schedule.remediate is true but this regdrift has no remediation hook: runs only check"
        );
    }
}

/// A started scheduler with one cron job: every tick calls [`Shared::tick`], which starts a
/// run or skips.
async fn scheduler(cron: &str, shared: &Arc<Shared>) -> Result<JobScheduler> {
    let s = shared.clone();
    let job = Job::new_async(cron, move |_id, _sched| {
        let s = s.clone();
        Box::pin(async move { s.tick() })
    })
    .map_err(|e| anyhow::anyhow!("schedule.cron {cron:?}: {e:?}"))?;
    let sched = JobScheduler::new()
        .await
        .map_err(|e| anyhow::anyhow!("starting the scheduler: {e:?}"))?;
    sched
        .add(job)
        .await
        .map_err(|e| anyhow::anyhow!("adding the schedule {cron:?}: {e:?}"))?;
    sched
        .start()
        .await
        .map_err(|e| anyhow::anyhow!("starting the scheduler: {e:?}"))?;
    Ok(sched)
}

/// SIGHUP: reads the config again; a bad one is refused and the one in force kept.
async fn reload(path: &Path, shared: &Arc<Shared>, sched: &mut JobScheduler) {
    let old = shared.active();
    let new = match load(path, true) {
        Ok(n) => n,
        Err(e) => {
            shared.with_metrics(|m| m.reloads_failed_total += 1);
            tracing::error!(event = "reload_failed", error = %format!("{e:#}"), "config reload refused; the previous config stays in force");
            return;
        }
    };
    if new.plan.cron != old.plan.cron {
        // A new scheduler replaces the old one only once it runs: a failure keeps the old.
        match scheduler(&new.plan.cron, shared).await {
            Ok(next) => {
                let mut previous = std::mem::replace(sched, next);
                if let Err(e) = previous.shutdown().await {
                    tracing::warn!(error = ?e, "stopping the previous schedule");
                }
            }
            Err(e) => {
                shared.with_metrics(|m| m.reloads_failed_total += 1);
                tracing::error!(event = "reload_failed", error = %format!("{e:#}"), "config reload refused; the previous config stays in force");
                return;
            }
        }
    }
    if new.plan.listen != old.plan.listen {
        tracing::warn!(
            event = "listen_unchanged",
            "schedule.listen changed: restart the daemon to move /healthz and /metrics"
        );
    }
    warn_if_no_hook(&new.plan, shared.hook.is_some());
    let targets = new.loaded.config.targets.len();
    let cron = new.plan.cron.clone();
    match shared.active.write() {
        Ok(mut a) => *a = new,
        Err(p) => *p.into_inner() = new,
    }
    shared.with_metrics(|m| {
        m.reloads_ok_total += 1;
        m.targets_configured = targets;
    });
    tracing::info!(event = "reloaded", targets, cron = %cron, "config reloaded");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::sync::atomic::AtomicUsize;

    /// Counts its calls; fails when asked to.
    struct Hook {
        calls: AtomicUsize,
        fail: bool,
    }

    impl AfterRun for Hook {
        fn after_run(&self, output: &RunOutput, loaded: &Loaded) -> Result<()> {
            assert_eq!(output.report.targets.len(), loaded.config.targets.len());
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                anyhow::bail!("remediation refused");
            }
            Ok(())
        }
    }

    /// A one-target fleet with an unsigned baseline (allow_unsigned) and `schedule.remediate`.
    fn fleet(remediate: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("b");
        std::fs::create_dir(&repo).unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .current_dir(&repo)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        let config = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n";
        git(&["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("base.yml"), config).unwrap();
        git(&["add", "base.yml"]);
        git(&["commit", "-q", "--no-gpg-sign", "-m", "base"]);
        std::fs::write(dir.path().join("deployed.yml"), config).unwrap();
        std::fs::write(
            dir.path().join("regdrift.yml"),
            format!(
                "version: 1\nstate_dir: state\nbaseline: {{repo: b, ref: main, allow_unsigned: true}}\n\
                 github: {{repository: org/gitops}}\n\
                 schedule: {{cron: \"0 0 * * * *\", listen: \"off\", remediate: {remediate}}}\n\
                 targets:\n  - name: t\n    baseline: base.yml\n    source: {{file: deployed.yml}}\n"
            ),
        )
        .unwrap();
        dir
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_after_run_hook_is_called_only_when_schedule_remediate_is_true() {
        for (remediate, fail, calls) in [(true, false, 1), (false, false, 0), (true, true, 1)] {
            let dir = fleet(remediate);
            let hook = Arc::new(Hook {
                calls: AtomicUsize::new(0),
                fail,
            });
            let daemon = Daemon::new(dir.path().join("regdrift.yml"), true, Some(hook.clone()));
            let code = daemon.run().await.expect("daemon --once runs");
            assert!(code <= 1, "a failing hook does not fail the run: {code}");
            assert_eq!(
                hook.calls.load(Ordering::SeqCst),
                calls,
                "remediate {remediate}"
            );
            let history = std::fs::read_to_string(dir.path().join("state/history.jsonl")).unwrap();
            assert_eq!(history.lines().count(), 1);
        }
    }

    #[test]
    fn a_run_reports_which_baselines_did_not_verify() {
        let dir = fleet(false);
        let loaded = config::load(&dir.path().join("regdrift.yml")).unwrap();
        let b = run::run(&loaded, &RunRequest::default(), &|_, _| {})
            .unwrap()
            .baselines_verified;
        assert_eq!(b, [("base.yml".to_string(), false)].into());
    }
}
