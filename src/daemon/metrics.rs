//! The daemon's Prometheus metrics: what the last run found and how the daemon is doing,
//! rendered in the Prometheus text exposition format (version 0.0.4) for `/metrics`.
//!
//! Invariants:
//! - Counters (`_total`) only grow for the life of the process; gauges describe the last run
//!   that produced a report. A run that fails as a whole counts in `regdrift_run_errors_total`
//!   and updates the last-run time and duration, but keeps the findings of the last report.
//! - Findings are unwaived findings, per target and severity. A target with none of a severity
//!   has no series for it (a fleet of 10,000 targets would otherwise export 50,000 zeros);
//!   `regdrift_fleet_findings` always has all five severities.
//! - Labels hold target names and baseline paths from `regdrift.yml` only, escaped as the format
//!   requires; never a config value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report::{Counts, Report, Status};
use crate::rules::Severity;

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// What one finished run contributes to the metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    /// Unix time the run ended, in seconds.
    pub finished_unix: f64,
    pub duration_secs: f64,
    /// None: the run failed as a whole (no report).
    pub report: Option<ReportFacts>,
    /// Baseline path -> whether it verified (false: refused, or used unverified under
    /// `allow_unsigned`).
    pub baselines: BTreeMap<String, bool>,
}

/// The parts of a report the metrics keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFacts {
    pub targets_checked: usize,
    pub target_errors: usize,
    pub exit_code: u8,
    /// Unwaived findings by target.
    pub findings: BTreeMap<String, Counts>,
    pub totals: Counts,
}

impl ReportFacts {
    /// Extracts the facts of a report (the `waivers` pseudo-target holds waiver findings).
    pub fn of(report: &Report) -> ReportFacts {
        let mut findings: BTreeMap<String, Counts> = BTreeMap::new();
        for t in &report.targets {
            let c = findings.entry(t.name.clone()).or_default();
            for f in t.findings.iter().filter(|f| f.waived.is_none()) {
                c.add(f.severity);
            }
        }
        ReportFacts {
            targets_checked: report
                .targets
                .iter()
                .filter(|t| matches!(t.status, Status::Checked))
                .count(),
            target_errors: report.summary.targets_failed,
            exit_code: report.summary.exit_code,
            findings,
            totals: report.summary.counts.clone(),
        }
    }
}

/// Everything `/metrics` shows.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Targets in the config in force.
    pub targets_configured: usize,
    pub run_in_progress: bool,
    pub runs_total: u64,
    pub run_errors_total: u64,
    pub skipped_ticks_total: u64,
    pub reloads_ok_total: u64,
    pub reloads_failed_total: u64,
    pub hook_failures_total: u64,
    pub baseline_verification_failures_total: u64,
    pub last_run_unix: Option<f64>,
    pub last_run_duration: Option<f64>,
    pub last_run_ok: Option<bool>,
    pub last_report: Option<ReportFacts>,
    pub last_baselines: BTreeMap<String, bool>,
}

impl Metrics {
    /// Records a finished run.
    pub fn record(&mut self, run: RunFacts) {
        self.runs_total += 1;
        self.last_run_unix = Some(run.finished_unix);
        self.last_run_duration = Some(run.duration_secs);
        self.last_run_ok = Some(run.report.is_some());
        let failures = run.baselines.values().filter(|ok| !**ok).count();
        self.baseline_verification_failures_total += failures as u64;
        if !run.baselines.is_empty() || run.report.is_some() {
            self.last_baselines = run.baselines;
        }
        match run.report {
            Some(r) => self.last_report = Some(r),
            None => self.run_errors_total += 1,
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        gauge(
            &mut out,
            "regdrift_targets",
            "Targets in the config in force.",
            &[(String::new(), self.targets_configured as f64)],
        );
        gauge(
            &mut out,
            "regdrift_run_in_progress",
            "1 while a check run is going.",
            &[(String::new(), f64::from(u8::from(self.run_in_progress)))],
        );
        if let Some(r) = &self.last_report {
            let mut per_target = Vec::new();
            for (target, counts) in &r.findings {
                for s in SEVERITIES {
                    let n = counts.get(s);
                    if n > 0 {
                        per_target.push((
                            labels(&[("target", target), ("severity", s.as_str())]),
                            n as f64,
                        ));
                    }
                }
            }
            gauge(
                &mut out,
                "regdrift_findings",
                "Unwaived findings of the last run, by target and severity (no series when zero).",
                &per_target,
            );
            let fleet: Vec<(String, f64)> = SEVERITIES
                .iter()
                .map(|s| (labels(&[("severity", s.as_str())]), r.totals.get(*s) as f64))
                .collect();
            gauge(
                &mut out,
                "regdrift_fleet_findings",
                "Unwaived findings of the last run over the whole fleet, by severity.",
                &fleet,
            );
            gauge(
                &mut out,
                "regdrift_last_run_targets_checked",
                "Targets the last run checked.",
                &[(String::new(), r.targets_checked as f64)],
            );
            gauge(
                &mut out,
                "regdrift_last_run_target_errors",
                "Targets the last run could not check.",
                &[(String::new(), r.target_errors as f64)],
            );
            gauge(
                &mut out,
                "regdrift_last_run_exit_code",
                "Exit status of the last run: 0 clean, 1 findings at or above fail_on, 2 errors.",
                &[(String::new(), f64::from(r.exit_code))],
            );
        }
        if let (Some(t), Some(d), Some(ok)) =
            (self.last_run_unix, self.last_run_duration, self.last_run_ok)
        {
            gauge(
                &mut out,
                "regdrift_last_run_timestamp_seconds",
                "Unix time the last run ended.",
                &[(String::new(), t)],
            );
            gauge(
                &mut out,
                "regdrift_last_run_duration_seconds",
                "How long the last run took.",
                &[(String::new(), d)],
            );
            gauge(
                &mut out,
                "regdrift_last_run_success",
                "1 when the last run produced a report, 0 when it failed as a whole.",
                &[(String::new(), f64::from(u8::from(ok)))],
            );
        }
        let verified: Vec<(String, f64)> = self
            .last_baselines
            .iter()
            .map(|(b, ok)| (labels(&[("baseline", b)]), f64::from(u8::from(*ok))))
            .collect();
        gauge(
            &mut out,
            "regdrift_baseline_verified",
            "1 when the baseline verified against the allowed signers in the last run, else 0.",
            &verified,
        );
        gauge(
            &mut out,
            "regdrift_baseline_verification_failures",
            "Baselines that did not verify in the last run.",
            &[(
                String::new(),
                self.last_baselines.values().filter(|ok| !**ok).count() as f64,
            )],
        );
        counter(
            &mut out,
            "regdrift_baseline_verification_failures_total",
            "Baselines that did not verify, summed over runs.",
            &[(String::new(), self.baseline_verification_failures_total)],
        );
        counter(
            &mut out,
            "regdrift_runs_total",
            "Check runs started by the schedule that ended.",
            &[(String::new(), self.runs_total)],
        );
        counter(
            &mut out,
            "regdrift_run_errors_total",
            "Runs that failed as a whole (no report).",
            &[(String::new(), self.run_errors_total)],
        );
        counter(
            &mut out,
            "regdrift_skipped_ticks_total",
            "Schedule ticks skipped because a run was still going.",
            &[(String::new(), self.skipped_ticks_total)],
        );
        counter(
            &mut out,
            "regdrift_config_reloads_total",
            "Config reloads on SIGHUP, by result.",
            &[
                (labels(&[("result", "ok")]), self.reloads_ok_total),
                (labels(&[("result", "error")]), self.reloads_failed_total),
            ],
        );
        counter(
            &mut out,
            "regdrift_after_run_hook_failures_total",
            "Failures of the after-run hook (remediation).",
            &[(String::new(), self.hook_failures_total)],
        );
        out
    }
}

/// `{a="x",b="y"}` with label values escaped (backslash, double quote, newline).
fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    family(out, name, help, "gauge");
    for (l, v) in samples {
        let _ = writeln!(out, "{name}{l} {v}");
    }
}

fn counter(out: &mut String, name: &str, help: &str, samples: &[(String, u64)]) {
    family(out, name, help, "counter");
    for (l, v) in samples {
        let _ = writeln!(out, "{name}{l} {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("target", "a\"b\\c\nd")]),
            r#"{target="a\"b\\c\nd"}"#
        );
    }

    #[test]
    fn a_failed_run_keeps_the_last_findings_and_counts_an_error() {
        let mut m = Metrics::default();
        let mut c = Counts::default();
        c.add(Severity::High);
        let facts = ReportFacts {
            targets_checked: 1,
            target_errors: 0,
            exit_code: 1,
            findings: [("prod".to_string(), c.clone())].into(),
            totals: c,
        };
        m.record(RunFacts {
            finished_unix: 10.0,
            duration_secs: 2.5,
            report: Some(facts.clone()),
            baselines: [("prod/registry.yml".to_string(), false)].into(),
        });
        m.record(RunFacts {
            finished_unix: 20.0,
            duration_secs: 0.5,
            report: None,
            baselines: BTreeMap::new(),
        });
        assert_eq!(m.last_report, Some(facts));
        assert_eq!((m.runs_total, m.run_errors_total), (2, 1));
        assert_eq!(m.baseline_verification_failures_total, 1);
        let text = m.render();
        assert!(text.contains("regdrift_findings{target=\"prod\",severity=\"high\"} 1\n"));
        assert!(!text.contains("severity=\"low\"} 0\nregdrift_findings"));
        assert!(text.contains("regdrift_last_run_timestamp_seconds 20\n"));
        assert!(text.contains("regdrift_last_run_success 0\n"));
        assert!(text.contains("regdrift_baseline_verified{baseline=\"prod/registry.yml\"} 0\n"));
    }
}
