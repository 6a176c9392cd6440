//! Every flag and subcommand of the `regdrift` binary. Help text lives in the doc comments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit status contract, shown in `--help`.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success: nothing at or above --fail-on (show: the config was read)
  1  findings at or above --fail-on
  2  the run could not be completed: unreadable or invalid input (bad YAML, binary, empty,
     not a mapping, version other than 0.1, bad env file), or a usage error";

/// Keeps every deployed container registry (distribution/distribution, registry:2 and
/// registry:3) on the configuration its owners approved.
#[derive(Debug, Parser)]
#[command(name = "regdrift", version, about, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the configuration a registry actually runs with: config.yml read the way the
    /// registry reads it (yaml.v2, YAML 1.1) plus its REGISTRY_* environment, each value with
    /// where it came from, secrets redacted; then what each env variable did, unknown keys,
    /// keys the version does not have, and the raw and effective blake3 hashes.
    #[command(after_help = EXIT_STATUS_HELP)]
    Show(ShowArgs),

    /// Check the absolute security posture of one registry config (no baseline): no or
    /// `silly` auth, sample credentials, TLS off or weak, debug listener exposed, deletes on,
    /// S3 in clear or public, audit turned down, plaintext secrets, unknown keys, env
    /// variables that blank sections, are ignored or would crash the registry.
    #[command(after_help = EXIT_STATUS_HELP)]
    Lint(LintArgs),

    /// Compare a deployed config with its baseline: every change classified (rule id,
    /// severity, weakens or strengthens), plus the posture findings that are new in the
    /// deployed config, and a redacted unified diff.
    #[command(after_help = EXIT_STATUS_HELP)]
    Diff(DiffArgs),

    /// List every rule: id, slug, category, default severity, title.
    Rules(RulesArgs),

    /// Explain one rule: why it matters and how to fix it.
    Explain {
        /// Rule id (RD-AUTH-001) or slug (auth-disabled).
        rule: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
    Sarif,
    Markdown,
}

/// Options shared by commands that produce a report.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Output format: human, json (the versioned Report), sarif (2.1.0), markdown.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest severity that fails the run (exit status 1): info, low, medium, high, critical.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub fail_on: String,

    /// Waivers file (YAML): rule, path glob, optional target, required reason, optional expires.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// The date waivers expire against (YYYY-MM-DD; default today, UTC).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,

    /// Registry release line whose rules apply: 2.8, 3.0 or 3.1 (3.1 also covers main).
    #[arg(long, value_name = "VERSION", default_value = "3.1")]
    pub registry_version: String,

    /// Largest config accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = regdrift::registry::yaml::DEFAULT_MAX_BYTES)]
    pub max_config_size: usize,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// The registry config file (config.yml).
    pub config: PathBuf,

    #[command(flatten)]
    pub env: EnvArgs,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The approved baseline config.
    pub baseline: PathBuf,

    /// The deployed config.
    pub deployed: PathBuf,

    /// Environment of the deployed registry.
    #[command(flatten)]
    pub env: EnvArgs,

    /// Env file of the baseline (KEY=VALUE lines); repeatable.
    #[arg(long = "baseline-env-file", value_name = "FILE")]
    pub baseline_env_files: Vec<PathBuf>,

    /// Leave the redacted unified diff out of the human output.
    #[arg(long)]
    pub no_text_diff: bool,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
}

/// Where the registry's environment comes from.
#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// An env file (KEY=VALUE lines) as given to `docker run --env-file` or systemd
    /// `EnvironmentFile=`; repeatable, later files win.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,

    /// How to read env files: docker (values literal) or systemd (quotes and escapes).
    #[arg(long, value_enum, default_value_t = EnvDialect::Docker)]
    pub env_dialect: EnvDialect,

    /// One variable, KEY=VALUE; repeatable, applied after env files.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Read the environment of a running registry process (Linux: /proc/PID/environ).
    #[arg(long, value_name = "PID")]
    pub env_from_pid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvDialect {
    Docker,
    Systemd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    Yaml,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The registry config file (config.yml).
    pub config: PathBuf,

    #[command(flatten)]
    pub env: EnvArgs,

    /// Registry release line whose rules apply: 2.8, 3.0 or 3.1 (3.1 also covers main).
    #[arg(long, value_name = "VERSION", default_value = "3.1")]
    pub registry_version: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,

    /// Write the output to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Largest config accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = regdrift::registry::yaml::DEFAULT_MAX_BYTES)]
    pub max_config_size: usize,
}
