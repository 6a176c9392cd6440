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
    #[command(subcommand)]
    pub command: Command,
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

    /// Check every registry listed in regdrift.yml against its verified baseline: bounded
    /// concurrency, one failing target never stops the others, group consistency, history.
    /// Exit status is the worst: 2 if any target could not be checked. With --remediate,
    /// open, update and close the GitHub pull requests and issues that restore the baseline
    /// (2 if that fails).
    #[command(after_help = EXIT_STATUS_HELP)]
    Check(CheckArgs),

    /// Show the run history of the fleet (one line per target per run).
    History(HistoryArgs),

    /// Write a commented regdrift.yml template.
    Init(InitArgs),

    /// Print the JSON Schema of regdrift.yml.
    Schema,

    /// Signed baselines kept in git: verify one, create one from a deployed config, sign one.
    #[command(subcommand)]
    Baseline(BaselineCmd),

    /// Explain one rule: why it matters and how to fix it.
    Explain {
        /// Rule id (RD-AUTH-001) or slug (auth-disabled).
        rule: String,
    },

    /// Run the fleet check on the schedule of regdrift.yml until SIGTERM or SIGINT: never two
    /// runs at once (a tick during a run is skipped and logged), SIGHUP reloads the config (a
    /// bad one is refused and the old one kept), /healthz and Prometheus /metrics on
    /// schedule.listen (default 127.0.0.1:9465, `off` disables). Logs go to stderr.
    #[command(after_help = DAEMON_HELP)]
    Daemon(DaemonArgs),

    /// Render a saved JSON report (`check --format json -o FILE`) again as human, json, sarif
    /// or markdown; or, with --github, write GitHub Actions annotations (stdout), the job
    /// summary ($GITHUB_STEP_SUMMARY) and step outputs ($GITHUB_OUTPUT).
    #[command(after_help = REPORT_HELP)]
    Report(ReportFileArgs),

    /// Probe a running registry, read-only, and compare what it shows with its baseline:
    /// anonymous GET /v2/ (401 expected with auth; 200 means auth is off) and its
    /// WWW-Authenticate challenge, anonymous /v2/_catalog, plain HTTP where TLS is required,
    /// the lowest TLS version accepted (1.0 and 1.1 offered explicitly), client certificates,
    /// certificate trust and expiry, the debug listener, security headers. Only GET requests,
    /// never credentials, only to URL's host and --debug-addr, each bounded by --timeout.
    #[command(after_help = PROBE_EXIT_STATUS_HELP)]
    Probe(ProbeArgs),
}

/// Schedule format and exit status of `daemon`, shown in its `--help`.
pub const DAEMON_HELP: &str = "\
Schedule (regdrift.yml):
  schedule:
    cron: \"0 */15 * * * *\"   # six fields, seconds first, UTC: sec min hour day month weekday
    jitter: 30s               # optional random delay before each run
    listen: 127.0.0.1:9465    # /healthz and /metrics; `off` disables
    remediate: false          # call the remediation hook after each run (needs github:)

Exit status:
  0  stopped by SIGTERM/SIGINT after the run in progress finished
     (--once: the run's status, as for check: 0, 1 findings at or above fail_on, 2 errors)
  2  the daemon could not start: bad config or schedule, listen address taken";

/// Exit status of `report`, shown in its `--help`.
pub const REPORT_HELP: &str = "\
--github outputs: drift (true when any finding is not waived), worst-severity, findings,
failing, targets-failed, exit-code, report, sarif. At most 10 annotations of each type
(error, warning, notice), most severe first; the rest are counted in one notice. The job
summary stays under 1 MiB.

Exit status:
  0  rendered (the report's own status is in its summary.exit_code, and output exit-code)
  2  the report could not be read, or an output could not be written";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct DaemonArgs {
    /// The fleet configuration (needs a `schedule` section unless --once).
    #[arg(long, short = 'c', value_name = "FILE", default_value = "regdrift.yml")]
    pub config: PathBuf,

    /// Run the check once now and exit with its status (no schedule, no HTTP endpoint).
    #[arg(long)]
    pub once: bool,

    /// Log format on stderr: text, or json (one object per line). Level from RUST_LOG
    /// (default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct ReportFileArgs {
    /// The saved JSON report.
    pub report: PathBuf,

    /// Output format: human, json, sarif (2.1.0), markdown.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, conflicts_with = "github")]
    pub format: ReportFormat,

    /// Write the rendering to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "github")]
    pub output: Option<PathBuf>,

    /// GitHub Actions mode: annotations on stdout, the job summary appended to
    /// $GITHUB_STEP_SUMMARY, outputs appended to $GITHUB_OUTPUT.
    #[arg(long)]
    pub github: bool,

    /// With --github: also write the SARIF 2.1.0 rendering to this file (output `sarif`).
    #[arg(long, value_name = "FILE", requires = "github")]
    pub sarif: Option<PathBuf>,

    /// With --github: the most bytes of job summary written.
    #[arg(long, value_name = "BYTES", hide = true, default_value_t = regdrift::report::github::SUMMARY_LIMIT)]
    pub summary_limit: usize,
}

/// Exit status of `regdrift probe`, shown in its `--help`.
pub const PROBE_EXIT_STATUS_HELP: &str = "\
Exit status:
  0  the running registry shows nothing at or above --fail-on
  1  findings at or above --fail-on
  2  the registry could not be probed (nothing listening, no answer within --timeout, TLS
     refused, not a registry), or a usage error (bad URL, unreadable --baseline or --ca)";

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Base URL of the registry: https://HOST[:PORT] (or http:// for a plain-HTTP registry).
    pub url: String,

    /// The registry's approved config (config.yml) to compare with; without it the probe
    /// checks the absolute posture (auth on, TLS on, TLS 1.2 or later).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// HOST:PORT of the debug listener to try (default: the baseline's http.debug.addr port on
    /// the URL's host).
    #[arg(long, value_name = "HOST:PORT")]
    pub debug_addr: Option<String>,

    /// Time limit of each connection and its request (Go duration: 500ms, 5s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub timeout: String,

    /// PEM file of the CA certificates the registry's certificate must chain to (default: the
    /// Mozilla root store).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,
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

    /// Read BASELINE from this git repository (BASELINE is then a path inside it) and use it
    /// only if its signatures verify against --allowed-signers.
    #[arg(long, value_name = "DIR")]
    pub baseline_repo: Option<PathBuf>,

    /// Branch, tag or commit to read the baseline at (with --baseline-repo).
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub baseline_ref: String,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Use the baseline even if it is not signed (first trials only): prints a warning on
    /// every run and marks the report so no remediation is made from it.
    #[arg(long)]
    pub allow_unsigned: bool,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The fleet configuration.
    #[arg(long, short = 'c', value_name = "FILE", default_value = "regdrift.yml")]
    pub config: PathBuf,

    /// Check only this target (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,

    /// Check only shard I of N (I from 0): targets split by a hash of their group (else their
    /// name), for a GitHub Actions matrix (`--shard ${{ matrix.shard }}/4`) or a Kubernetes
    /// Indexed Job (`--shard $JOB_COMPLETION_INDEX/4`).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,

    /// Output format: human, json (the versioned Report), sarif (2.1.0), markdown.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest severity that fails the run (default: defaults.fail_on of the config, else low).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    /// Check every target again even if its source, env and baseline are unchanged.
    #[arg(long)]
    pub no_incremental: bool,

    /// How many targets to check at once (default: the config's, else the number of CPUs).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// The date waivers expire against (YYYY-MM-DD; default today, UTC).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,

    /// After the check, open, update and close GitHub pull requests and issues per target
    /// (`remediation:` in the config, token from the `github.token_env` variable, default
    /// GITHUB_TOKEN). What was done goes to stderr. The exit status is the check's, or 2 if
    /// remediation fails (the report is still written).
    #[arg(long)]
    pub remediate: bool,

    /// With --remediate: read GitHub (GET requests only), print the plan to stderr and write
    /// nothing. Without a token, nothing is read and the plan is made against an empty state.
    #[arg(long, requires = "remediate")]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The fleet configuration (its state directory holds the history).
    #[arg(long, short = 'c', value_name = "FILE", default_value = "regdrift.yml")]
    pub config: PathBuf,

    /// Only this target.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write the template.
    #[arg(long, short = 'o', value_name = "FILE", default_value = "regdrift.yml")]
    pub output: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCmd {
    /// Verify a baseline file in a git repository against allowed signers kept outside it:
    /// the commit that last changed the file and the ref's commit must carry valid SSH
    /// signatures (policy configurable), and a detached `<file>.sig` must verify if present.
    #[command(after_help = EXIT_STATUS_HELP)]
    Verify(BaselineVerifyArgs),

    /// Write a clean baseline from a deployed config: the effective config (env applied),
    /// secrets replaced by the env variables that must supply them, lint findings as comments.
    Init(BaselineInitArgs),

    /// Sign a baseline file (detached SSH signature, namespace `regdrift-baseline`), the same
    /// format as `ssh-keygen -Y sign -n regdrift-baseline -f KEY FILE`.
    Sign(BaselineSignArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequireSigned {
    /// The commit that last changed the baseline file.
    FileCommit,
    /// The commit the ref points at.
    Head,
    /// Both (default).
    Both,
    /// No commit signature; only with `--detached required`.
    Neither,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetachedMode {
    Required,
    Optional,
    Ignored,
}

/// How a baseline from git is trusted.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Allowed signers file (OpenSSH format), kept outside the baseline repository.
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,

    /// Which commits must be signed by an allowed signer.
    #[arg(long, value_enum, default_value_t = RequireSigned::Both)]
    pub require_signed: RequireSigned,

    /// Detached signature `<file>.sig`: required, optional (verified when present), ignored.
    #[arg(long, value_enum, default_value_t = DetachedMode::Optional)]
    pub detached: DetachedMode,
}

#[derive(Debug, Clone, Args)]
pub struct BaselineVerifyArgs {
    /// Path of the baseline file inside the repository.
    pub path: String,

    /// The baseline repository (a local git checkout or bare repository).
    #[arg(long, value_name = "DIR")]
    pub repo: PathBuf,

    /// Branch, tag or commit to read the baseline at.
    #[arg(long = "ref", value_name = "REF", default_value = "HEAD")]
    pub rev: String,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Args)]
pub struct BaselineInitArgs {
    /// The deployed config to start from.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,

    #[command(flatten)]
    pub env: EnvArgs,

    /// Registry release line: 2.8, 3.0 or 3.1.
    #[arg(long, value_name = "VERSION", default_value = "3.1")]
    pub registry_version: String,

    /// Where to write the baseline.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct BaselineSignArgs {
    /// The baseline file to sign.
    pub file: PathBuf,

    /// OpenSSH private key (unencrypted; for a passphrase-protected key use ssh-keygen -Y sign).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,

    /// Where to write the signature (default: FILE.sig).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
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
