//! `regdrift.yml`: the fleet to check, parsed strictly.
//!
//! Unknown keys are errors (with line, column and the nearest valid key): a misspelled
//! setting in a security tool's own config must never be silently ignored, which is exactly
//! the registry failure mode regdrift exists to catch. Paths are relative to the directory
//! of `regdrift.yml`. The JSON Schema (`regdrift.schema.json`, generated from these types by
//! `regdrift schema` and tested to be current) documents every key for editors.
//!
//! ```yaml
//! version: 1
//! state_dir: .regdrift
//! baseline:
//!   repo: ../registry-baselines       # a git repository (or `dir:` with detached signatures)
//!   ref: main
//!   allowed_signers: /etc/regdrift/allowed_signers
//! defaults:
//!   registry_version: "3.1"
//!   fail_on: low
//! targets:
//!   - name: prod-eu-1
//!     group: prod-eu
//!     baseline: prod/registry.yml
//!     source: {file: /etc/distribution/config.yml}
//!     env: {files: [/etc/default/registry]}
//! ```

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::baseline::{Detached, SignedCommits};
use crate::registry::decode::nearest;
use crate::source::{EnvSpec, SourceSpec};

/// The whole `regdrift.yml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// Format version of this file; must be 1.
    pub version: u32,
    /// Directory for run history, previous results (incremental runs) and the secret-digest
    /// key. Default `.regdrift` beside this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
    /// Where approved baselines come from and how they are trusted.
    pub baseline: BaselineSource,
    /// Defaults for every target.
    #[serde(default)]
    pub defaults: Defaults,
    /// Waivers file (see `regdrift explain` for the format of an entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<PathBuf>,
    /// How many targets are checked at once (default: the number of CPUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// GitHub access for remediation (`check --remediate`, the daemon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<GitHubSettings>,
    /// When `regdrift daemon` runs the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// The registries to check.
    pub targets: Vec<Target>,
}

fn default_api_url() -> String {
    "https://api.github.com".into()
}

fn default_token_env() -> String {
    "GITHUB_TOKEN".into()
}

fn default_write_interval() -> String {
    "1s".into()
}

fn default_max_retries() -> u32 {
    5
}

/// GitHub access. The token is read from the environment variable `token_env`, never from
/// this file, and never printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitHubSettings {
    /// REST API base URL; GitHub Enterprise Server: `https://HOST/api/v3`.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Environment variable that holds the token (a PAT or a GitHub App installation token).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Repository (`owner/name`) for targets whose `remediation` names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Least time between two write requests (Go duration; default 1s).
    #[serde(default = "default_write_interval")]
    pub write_interval: String,
    /// Retries of one request on 5xx, 429 and secondary rate limits (default 5).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
}

/// What remediation does for a target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RemediationMode {
    /// A pull request that writes the verified baseline to the GitOps location.
    Pr,
    /// An issue describing the drift.
    Issue,
    /// Both a pull request and an issue.
    Both,
    /// Nothing on GitHub (the default).
    #[default]
    None,
}

/// Remediation of one target on GitHub.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// pr, issue, both or none (default: `defaults.remediation`, else none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RemediationMode>,
    /// Repository (`owner/name`) of the issue and of the GitOps location (default
    /// `github.repository`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Path of the deployed config.yml (or of the Kubernetes manifest holding it) in that
    /// repository: what the pull request rewrites. Required for pr and both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Base branch of the pull request (default: the repository's default branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

/// The daemon's schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Cron expression with six fields, seconds first, in UTC: `0 */15 * * * *` is every
    /// 15 minutes at second 0.
    pub cron: String,
    /// Random delay of up to this long before each run (Go duration, e.g. `30s`; default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<String>,
    /// Address of `/healthz` and `/metrics` (default `127.0.0.1:9465`; `off` disables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Open, update and close pull requests and issues after each run (needs `github`).
    #[serde(default)]
    pub remediate: bool,
}

/// Read-only live checks of the running registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// Base URL of the registry, e.g. `https://registry.example.com:5000`.
    pub url: String,
    /// `host:port` of the debug listener to try (default: the port of the baseline's
    /// `http.debug.addr` on the URL's host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_addr: Option<String>,
    /// Time limit of each connection and request (Go duration; default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// PEM file of the CA certificates that sign the registry's certificate (default: the
    /// Mozilla root store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
}

fn head() -> String {
    "HEAD".into()
}

/// Where baselines come from. Exactly one of `repo` (a git repository whose commits are
/// signed) or `dir` (a plain directory whose files each carry a detached `<file>.sig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineSource {
    /// A local git repository (checkout or bare) holding the baselines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<PathBuf>,
    /// Branch, tag or commit to read baselines at (with `repo`).
    #[serde(default = "head", rename = "ref")]
    pub rev: String,
    /// A plain directory of baselines; each file needs a detached signature `<file>.sig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// OpenSSH allowed-signers file, kept outside the baseline repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_signers: Option<PathBuf>,
    /// Which commits must be signed (with `repo`): file-commit, head, both, neither.
    #[serde(default)]
    pub require_signed: SignedCommits,
    /// Detached signatures: required, optional (verified when present), ignored.
    #[serde(default)]
    pub detached: Detached,
    /// Use baselines even if unverified (first trials only): warns on every run.
    #[serde(default)]
    pub allow_unsigned: bool,
}

/// Defaults for every target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Registry release line: "2.8", "3.0" or "3.1" (default "3.1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_version: Option<String>,
    /// Lowest severity that fails the run (default low); `--fail-on` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<String>,
    /// Remediation mode of targets that do not set one (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<RemediationMode>,
}

/// One registry to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Unique name (used in reports, history, shards, branch names).
    pub name: String,
    /// Replicas that must agree (same http.secret, storage location and auth realm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Registry release line of this target ("2.8", "3.0", "3.1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_version: Option<String>,
    /// Path of the baseline file inside the baseline repository or directory.
    pub baseline: String,
    /// Where the deployed config comes from.
    pub source: SourceSpec,
    /// Where the registry's REGISTRY_* environment comes from.
    #[serde(default)]
    pub env: EnvSpec,
    /// Group checks this target is exempt from: any of `http.secret`, `storage`, `auth.realm`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_exempt: Vec<String>,
    /// Pull requests and issues on GitHub for this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    /// Read-only live checks of the running registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeSpec>,
}

impl Target {
    /// The remediation mode in force: the target's, else the default, else none.
    pub fn remediation_mode(&self, defaults: &Defaults) -> RemediationMode {
        self.remediation
            .as_ref()
            .and_then(|r| r.mode)
            .or(defaults.remediation)
            .unwrap_or_default()
    }
}

fn positive_duration(s: &str, what: &str) -> Result<(), String> {
    match crate::registry::resolve::positive_duration(s) {
        Some(_) => Ok(()),
        None => Err(format!(
            "{what}: {s:?} is not a positive duration; write e.g. 500ms, 5s or 1m30s"
        )),
    }
}

fn repository_name(s: &str, what: &str) -> Result<(), String> {
    let ok = s.split_once('/').is_some_and(|(o, n)| {
        !o.is_empty() && !n.is_empty() && !n.contains('/') && !s.contains(char::is_whitespace)
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what}: {s:?} is not a repository; write owner/name"
        ))
    }
}

/// Why `regdrift.yml` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source} (check the path given with -c)")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}{hint}")]
    Invalid {
        path: String,
        line: usize,
        col: usize,
        message: String,
        hint: String,
    },
    #[error("{path}: {message}")]
    Semantic { path: String, message: String },
}

/// A loaded config and the directory its relative paths start from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: FleetConfig,
    pub path: PathBuf,
    pub base_dir: PathBuf,
}

impl Loaded {
    /// A path from the config, resolved against the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.resolve(
            self.config
                .state_dir
                .as_deref()
                .unwrap_or(Path::new(".regdrift")),
        )
    }
}

/// "did you mean" for serde's `unknown field `x`, expected one of `a`, `b``.
fn unknown_field_hint(message: &str) -> String {
    let Some(rest) = message.split_once("unknown field `").map(|(_, r)| r) else {
        return String::new();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return String::new();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match nearest(field, candidates.iter().copied()) {
        Some(n) => format!(" (did you mean `{n}`?)"),
        None => String::new(),
    }
}

/// Parses `regdrift.yml` text (named `path` in messages).
pub fn parse(text: &str, path: &Path) -> Result<FleetConfig, ConfigError> {
    let name = path.display().to_string();
    let config: FleetConfig = serde_yaml::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        ConfigError::Invalid {
            path: name.clone(),
            line,
            col,
            hint: unknown_field_hint(&message),
            message,
        }
    })?;
    validate(&config).map_err(|message| ConfigError::Semantic {
        path: name,
        message,
    })?;
    Ok(config)
}

fn validate(c: &FleetConfig) -> Result<(), String> {
    if c.version != 1 {
        return Err(format!(
            "version is {}, this regdrift reads version 1",
            c.version
        ));
    }
    match (&c.baseline.repo, &c.baseline.dir) {
        (Some(_), Some(_)) => return Err("baseline: give either `repo` or `dir`, not both".into()),
        (None, None) => return Err("baseline: give `repo` (a git repository) or `dir` (a directory with detached signatures)".into()),
        _ => {}
    }
    if c.baseline.allowed_signers.is_none() && !c.baseline.allow_unsigned {
        return Err(
            "baseline.allowed_signers is required (or allow_unsigned: true for a first trial)"
                .into(),
        );
    }
    let mut names = std::collections::BTreeSet::new();
    for t in &c.targets {
        if t.name.is_empty() || t.name.contains(['/', '\\', ' ']) {
            return Err(format!(
                "target name {:?} must be non-empty, without spaces or slashes",
                t.name
            ));
        }
        if !names.insert(t.name.as_str()) {
            return Err(format!("target name {:?} is used twice", t.name));
        }
        for v in c
            .defaults
            .registry_version
            .iter()
            .chain(t.registry_version.iter())
        {
            v.parse::<crate::registry::Version>()
                .map_err(|e| format!("target {}: {e}", t.name))?;
        }
        for e in &t.group_exempt {
            if !["http.secret", "storage", "auth.realm"].contains(&e.as_str()) {
                return Err(format!(
                    "target {}: group_exempt {e:?}: use http.secret, storage or auth.realm",
                    t.name
                ));
            }
        }
    }
    if let Some(g) = &c.github {
        positive_duration(&g.write_interval, "github.write_interval")?;
        if let Some(r) = &g.repository {
            repository_name(r, "github.repository")?;
        }
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| g.api_url.starts_with(p));
        if !g.api_url.starts_with("https://") && !loopback {
            return Err(format!(
                "github.api_url: {} must be an https URL (plain http only to 127.0.0.1, localhost or [::1]): the token travels with every request",
                crate::registry::redact::strip_userinfo(&g.api_url)
            ));
        }
        let name_ok = g.token_env.chars().enumerate().all(|(i, c)| {
            c == '_'
                || c.is_ascii_uppercase()
                || c.is_ascii_lowercase()
                || (i > 0 && c.is_ascii_digit())
        });
        let looks_like_a_token = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
            .iter()
            .any(|p| g.token_env.starts_with(p));
        if g.token_env.is_empty() || !name_ok || looks_like_a_token {
            // Never echo it: a token pasted here by mistake must not reach the logs.
            return Err(
                "github.token_env must name an environment variable (letters, digits, _), e.g. GITHUB_TOKEN; it is not the token itself"
                    .into(),
            );
        }
    }
    if let Some(s) = &c.schedule {
        crate::daemon::schedule::Plan::from_schedule(s)?;
        if let Some(j) = &s.jitter {
            positive_duration(j, "schedule.jitter")?;
        }
        if s.remediate && c.github.is_none() {
            return Err("schedule.remediate needs a `github` section".into());
        }
    }
    for t in &c.targets {
        let mode = t.remediation_mode(&c.defaults);
        let r = t.remediation.clone().unwrap_or_default();
        if let Some(repo) = &r.repository {
            repository_name(repo, &format!("target {}: remediation.repository", t.name))?;
        }
        if mode != RemediationMode::None {
            if c.github.is_none() {
                return Err(format!(
                    "target {}: remediation {mode:?} needs a `github` section",
                    t.name
                ));
            }
            if r.repository.is_none()
                && c.github
                    .as_ref()
                    .and_then(|g| g.repository.as_ref())
                    .is_none()
            {
                return Err(format!(
                    "target {}: remediation needs a repository (remediation.repository or github.repository)",
                    t.name
                ));
            }
        }
        if matches!(mode, RemediationMode::Pr | RemediationMode::Both) && r.path.is_none() {
            return Err(format!(
                "target {}: remediation mode {} needs `path` (the deployed config in the GitOps repository)",
                t.name,
                if mode == RemediationMode::Pr {
                    "pr"
                } else {
                    "both"
                }
            ));
        }
        if let Some(p) = &t.probe {
            if !p.url.starts_with("https://") && !p.url.starts_with("http://") {
                return Err(format!(
                    "target {}: probe.url {:?} must start with https:// or http://",
                    t.name, p.url
                ));
            }
            if let Some(to) = &p.timeout {
                positive_duration(to, &format!("target {}: probe.timeout", t.name))?;
            }
            if crate::registry::redact::strip_userinfo(&p.url) != p.url {
                return Err(format!(
                    "target {}: probe.url {} carries credentials: the probe never sends any; remove user:password@",
                    t.name,
                    crate::registry::redact::strip_userinfo(&p.url)
                ));
            }
        }
    }
    if let Some(f) = &c.defaults.fail_on {
        f.parse::<crate::rules::Severity>()
            .map_err(|e| format!("defaults.fail_on: {e}"))?;
    }
    Ok(())
}

/// Reads and parses `regdrift.yml`.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let config = parse(&text, path)?;
    let base_dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base_dir = if base_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base_dir
    };
    Ok(Loaded {
        config,
        path: path.to_path_buf(),
        base_dir,
    })
}

/// The JSON Schema of `regdrift.yml`, as committed in `regdrift.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(FleetConfig);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// The commented template `regdrift init` writes.
pub const TEMPLATE: &str = include_str!("config_template.yml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_strictly() {
        parse(TEMPLATE, Path::new("regdrift.yml")).expect("template is valid");
    }

    #[test]
    fn unknown_keys_are_errors_with_position_and_suggestion() {
        let text = TEMPLATE.replacen("targets:", "tagets:", 1);
        let e = parse(&text, Path::new("regdrift.yml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("regdrift.yml:"), "{e}");
        assert!(e.contains("did you mean `targets`?"), "{e}");
    }

    fn semantic_error(extra_top: &str, extra_target: &str) -> String {
        let text = format!(
            "version: 1\nbaseline: {{dir: b, allow_unsigned: true}}\n{extra_top}targets:\n  - name: t\n    baseline: b.yml\n    source: {{file: c.yml}}\n{extra_target}"
        );
        match parse(&text, Path::new("r.yml")) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn remediation_schedule_and_probe_settings_are_checked() {
        assert_eq!(semantic_error("", ""), "");
        let gh = "github: {repository: org/gitops}\n";
        assert!(
            semantic_error("", "    remediation: {mode: issue}\n")
                .contains("needs a `github` section")
        );
        assert!(semantic_error(gh, "    remediation: {mode: pr}\n").contains("needs `path`"));
        assert_eq!(
            semantic_error(gh, "    remediation: {mode: pr, path: r/c.yml}\n"),
            ""
        );
        assert!(
            semantic_error("github: {}\n", "    remediation: {mode: issue}\n")
                .contains("needs a repository")
        );
        assert!(semantic_error("github: {repository: nope}\n", "").contains("owner/name"));
        assert!(semantic_error("github: {write_interval: 0s}\n", "").contains("positive duration"));
        assert!(
            semantic_error("defaults: {remediation: both}\n", "")
                .contains("needs a `github` section")
        );
        assert!(
            semantic_error("schedule: {cron: '0 * * * * *', remediate: true}\n", "")
                .contains("schedule.remediate needs")
        );
        assert!(semantic_error("", "    probe: {url: registry:5000}\n").contains("probe.url"));
        let e = semantic_error("", "    probe: {url: 'https://bob:s3cr3t-token@r:5000'}\n");
        assert!(
            e.contains("carries credentials") && !e.contains("s3cr3t"),
            "{e}"
        );
        let e = semantic_error("github: {token_env: ghp_0123456789abcdef-xyz}\n", "");
        assert!(
            e.contains("token_env must name") && !e.contains("ghp_0123"),
            "{e}"
        );
        assert!(
            semantic_error(
                "github: {api_url: 'http://github.example.com/api/v3'}\n",
                ""
            )
            .contains("must be an https URL")
        );
        assert_eq!(
            semantic_error("github: {api_url: 'http://127.0.0.1:8080'}\n", ""),
            ""
        );
        assert!(
            semantic_error("", "    probe: {url: 'https://r:5000', timeout: soon}\n")
                .contains("probe.timeout")
        );
        assert!(
            semantic_error("", "    probe: {url: 'https://r:5000', tiemout: 5s}\n")
                .contains("did you mean `timeout`")
        );
    }

    #[test]
    fn committed_json_schema_is_current() {
        let committed = include_str!("../regdrift.schema.json");
        assert_eq!(
            committed,
            json_schema(),
            "regdrift.schema.json is stale: run `regdrift schema > regdrift.schema.json`"
        );
    }
}
