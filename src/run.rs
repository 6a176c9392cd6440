//! One fleet run, end to end: load waivers and the digest key, check every selected target,
//! annotate the report with history (first seen, resolved), and append the run to history.
//!
//! The CLI's `check`, the daemon's scheduled runs and the remediation step all start here, so
//! every way of running regdrift produces the same report from the same config. Printing is
//! left to the caller: warnings come back in [`RunOutput::warnings`].

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::config::Loaded;
use crate::fleet::{self, CheckOptions};
use crate::history::{self, History};
use crate::policy::{Date, Waivers};
use crate::registry::redact::Digester;
use crate::report::{Report, Status, TargetReport};
use crate::rules::Severity;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Targets by name (all when empty).
    pub only: Vec<String>,
    /// `(index, count)`: only the targets of this shard.
    pub shard: Option<(usize, usize)>,
    /// Targets checked at once (None: the config's `concurrency`, else the number of CPUs).
    pub concurrency: Option<usize>,
    /// Reuse previous results of targets whose inputs did not change.
    pub incremental: bool,
    /// `--fail-on` (None: the config's `defaults.fail_on`, else low).
    pub fail_on: Option<String>,
    /// The day waivers expire against (None: today, UTC).
    pub today: Option<Date>,
}

impl Default for RunRequest {
    fn default() -> Self {
        RunRequest {
            only: Vec::new(),
            shard: None,
            concurrency: None,
            incremental: true,
            fail_on: None,
            today: None,
        }
    }
}

/// A finished run.
pub struct RunOutput {
    pub report: Report,
    /// History, trust and waiver warnings, to print or log once.
    pub warnings: Vec<String>,
    /// The run id recorded in history.
    pub run_id: String,
    /// The history file the run was appended to.
    pub history: PathBuf,
    /// Per target name: the baseline bytes it was compared against, only when they were
    /// verified in this run and the target was checked. Remediation writes nothing else.
    pub verified_baselines: HashMap<String, std::sync::Arc<[u8]>>,
    /// Per baseline path of the selected targets: whether it verified in this run.
    pub baselines_verified: std::collections::BTreeMap<String, bool>,
}

/// The severity a run fails on: the request's, else the config's, else low.
pub fn fail_on(loaded: &Loaded, requested: Option<&str>) -> Result<Severity> {
    requested
        .or(loaded.config.defaults.fail_on.as_deref())
        .unwrap_or("low")
        .parse()
        .map_err(anyhow::Error::msg)
}

/// Runs the fleet check described by `loaded` and `req`; `progress(done, total)` is called
/// after each target. Errors are whole-run failures (bad waivers file, unusable state
/// directory, unreadable history); a failing target is recorded in the report instead.
pub fn run(
    loaded: &Loaded,
    req: &RunRequest,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<RunOutput> {
    let cfg = &loaded.config;
    if let Some(gh) = &cfg.github {
        crate::source::command::withhold_env(&gh.token_env);
    }
    let fail_on = fail_on(loaded, req.fail_on.as_deref())?;
    let opts = CheckOptions {
        only: req.only.clone(),
        shard: req.shard,
        concurrency: req
            .concurrency
            .or(cfg.concurrency)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        incremental: req.incremental,
    };
    let targets = fleet::select(&cfg.targets, &opts).map_err(anyhow::Error::msg)?;
    let today = req.today.unwrap_or_else(Date::today);
    let waivers = match &cfg.waivers {
        Some(p) => Waivers::load(&loaded.resolve(p), today)?,
        None => Waivers::none(),
    };
    let state = loaded.state_dir();
    let digester = Digester::from_state_dir(&state)
        .with_context(|| format!("state directory {}", state.display()))?;
    let history = History::open(&state)?;
    let previous = history.fold()?;
    let mut warnings = previous.warnings.clone();
    let fleet::Checked {
        outcomes,
        warnings: trust_warnings,
        baselines_verified,
    } = fleet::check(loaded, &targets, &digester, &waivers, &opts, progress)
        .map_err(anyhow::Error::msg)?;
    warnings.extend(trust_warnings);
    let hashes: HashMap<String, fleet::Hashes> = outcomes
        .iter()
        .map(|o| (o.report.name.clone(), o.hashes.clone()))
        .collect();
    let mut verified_baselines = HashMap::new();
    let mut reports: Vec<TargetReport> = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        if let Some(b) = o.verified_baseline {
            verified_baselines.insert(o.report.name.clone(), b);
        }
        reports.push(o.report);
    }
    let meta = waivers.meta_findings();
    if !meta.is_empty() {
        reports.push(TargetReport {
            findings: meta,
            ..TargetReport::new("waivers", Status::Checked)
        });
    }
    let mut report = Report::new("check", reports, fail_on);
    let run_id = history::new_run_id();
    let now = history::now_rfc3339();
    history::annotate_folded(&mut report, &previous, &now);
    let records = history::records_for(&report, &run_id, &now, |name| {
        let h = hashes.get(name).cloned().unwrap_or_default();
        history::TargetHashes {
            raw: h.raw,
            env: h.env,
            baseline: h.baseline,
            effective: h.effective,
        }
    });
    history.append(&records)?;
    Ok(RunOutput {
        report,
        warnings,
        run_id,
        history: history.path().to_path_buf(),
        verified_baselines,
        baselines_verified,
    })
}
