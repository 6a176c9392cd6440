//! The versioned report: one [`Report`] type (Serialize + Deserialize). JSON is that type;
//! [`human`], [`sarif`] and [`markdown`] are renderers of it. PR and issue bodies come from
//! the Markdown renderer. Nothing here holds a secret value: findings carry redacted
//! renderings and keyed digests only.

pub mod github;
pub mod human;
pub mod markdown;
pub mod sarif;
pub mod saved;

use serde::{Deserialize, Serialize};

use crate::rules::{Category, Direction, Severity};

/// Version of the report's JSON shape. Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Location {
    /// A position in a config file.
    File { path: String, line: u32, col: u32 },
    /// An environment variable, with the env file line that set it when known.
    Env {
        var: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    /// The key is unset; the registry's default applies (the config file is named).
    Default { path: String },
    /// A live probe of a running registry.
    Probe { url: String },
}

impl Location {
    /// `config.yml:12:5`, `env REGISTRY_AUTH (registry.env:3)`, ...
    pub fn label(&self) -> String {
        match self {
            Location::File { path, line, col } => format!("{path}:{line}:{col}"),
            Location::Env {
                var,
                file: Some(f),
                line: Some(l),
            } => format!("env {var} ({f}:{l})"),
            Location::Env { var, .. } => format!("env {var}"),
            Location::Default { path } => format!("{path} (default)"),
            Location::Probe { url } => format!("live probe {url}"),
        }
    }
}

/// A waiver applied to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRef {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Line of the waiver in its file.
    pub line: u32,
}

/// One classified finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub slug: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub direction: Direction,
    /// Key path (identity paths for lists with identity).
    pub path: String,
    pub location: Location,
    pub message: String,
    /// Redacted baseline value (diff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Redacted deployed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    pub why: String,
    pub fix: String,
    /// Stable across runs: rule, target, path and direction, not line numbers.
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<WaiverRef>,
    /// When this finding (by fingerprint) was first seen for this target (fleet history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
}

/// A finding of an earlier run that is gone now (fleet history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    pub fingerprint: String,
    pub rule_id: String,
    pub first_seen: String,
    /// The run in which it was no longer found.
    pub resolved_at: String,
}

/// What a target's configs were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigInfo {
    pub source: String,
    pub registry_version: String,
    pub raw_hash: String,
    pub effective_hash: String,
    /// False when the registry would refuse to start or crash with this config.
    pub would_start: bool,
}

/// Whether a target could be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Status {
    Checked,
    /// The run could not be completed for this target (exit status 2).
    Error {
        message: String,
    },
}

/// Whether the baseline was verified, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustInfo {
    /// True only when every signature the policy requires verified.
    pub verified: bool,
    pub repo: String,
    #[serde(rename = "ref")]
    pub rev: String,
    pub path: String,
    /// The commit that last changed the baseline file.
    pub commit: String,
    pub head_commit: String,
    pub blob: String,
    pub principals: Vec<String>,
    /// SHA256 key fingerprints of the signers.
    pub fingerprints: Vec<String>,
    pub detached_signature: bool,
    /// Set when trust was forced with --allow-unsigned: remediation is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// One target's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReport {
    pub name: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_trust: Option<TrustInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<ConfigInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed: Option<ConfigInfo>,
    pub findings: Vec<Finding>,
    /// Number of structural changes (diff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<usize>,
    /// Unified diff of the redacted canonical configs (diff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_diff: Option<String>,
    /// Findings of the previous run of this target that are gone (fleet history).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved: Vec<Resolved>,
    /// Group this target belongs to (replicas that must agree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// True when the result was reused from the previous run: the source bytes, env and
    /// baseline were unchanged (fleet incremental check).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
}

impl TargetReport {
    /// A report of `name` with `status` and nothing else yet (no configs, findings or diff).
    pub fn new(name: impl Into<String>, status: Status) -> TargetReport {
        TargetReport {
            name: name.into(),
            status,
            baseline_trust: None,
            baseline: None,
            deployed: None,
            findings: Vec::new(),
            changes: None,
            text_diff: None,
            resolved: Vec::new(),
            group: None,
            reused: false,
        }
    }
}

/// Counts by severity of findings that are not waived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl Counts {
    pub fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }

    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}

/// The run's summary and exit status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub counts: Counts,
    pub waived: usize,
    /// Highest severity among findings that are not waived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<Severity>,
    pub fail_on: Severity,
    /// Findings that are not waived and at or above `fail_on`.
    pub failing: usize,
    pub targets_failed: usize,
    /// 0, 1 or 2: the documented exit status.
    pub exit_code: u8,
}

/// The tool that produced the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// `lint`, `diff` or `check`.
    pub command: String,
    pub targets: Vec<TargetReport>,
    pub summary: Summary,
}

impl Report {
    /// Builds the report and its summary from target results under `fail_on`.
    pub fn new(command: &str, targets: Vec<TargetReport>, fail_on: Severity) -> Report {
        let mut counts = Counts::default();
        let mut waived = 0;
        let mut failing = 0;
        let mut worst: Option<Severity> = None;
        for f in targets.iter().flat_map(|t| &t.findings) {
            if f.waived.is_some() {
                waived += 1;
                continue;
            }
            counts.add(f.severity);
            worst = worst.max(Some(f.severity));
            if f.severity >= fail_on {
                failing += 1;
            }
        }
        let targets_failed = targets
            .iter()
            .filter(|t| matches!(t.status, Status::Error { .. }))
            .count();
        let exit_code = if targets_failed > 0 {
            2
        } else if failing > 0 {
            1
        } else {
            0
        };
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "regdrift".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            command: command.into(),
            targets,
            summary: Summary {
                counts,
                waived,
                worst,
                fail_on,
                failing,
                targets_failed,
                exit_code,
            },
        }
    }

    /// True when a finding counts toward the exit status (and is listed in SARIF).
    pub fn counts_toward_exit(&self, f: &Finding) -> bool {
        f.waived.is_none() && f.severity >= self.summary.fail_on
    }
}
