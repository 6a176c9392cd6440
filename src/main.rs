//! The `regdrift` binary: parses arguments, calls the library, prints, and maps the result to
//! the exit status contract (0 ok, 1 findings at or above --fail-on, 2 could not complete).
#![forbid(unsafe_code)]

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{
    BaselineCmd, BaselineInitArgs, BaselineSignArgs, BaselineVerifyArgs, CheckArgs, Cli, Command,
    DetachedMode, DiffArgs, EnvArgs, EnvDialect, HistoryArgs, InitArgs, LintArgs, ProbeArgs,
    ReportArgs, ReportFormat, RequireSigned, RulesArgs, RulesFormat, ShowArgs, ShowFormat,
    TrustArgs,
};
use cli::{DaemonArgs, LogFormat, ReportFileArgs};
use regdrift::baseline::{AllowedSigners, BaselineRepo, Detached, SignedCommits, TrustPolicy};
use regdrift::evaluate;
use regdrift::policy::{Date, Waivers};
use regdrift::registry::EffectiveConfig;
use regdrift::registry::envfile::{self, Dialect, EnvVar};
use regdrift::registry::redact::Digester;
use regdrift::registry::{self, BuildOptions, Version};
use regdrift::report::TrustInfo;
use regdrift::report::{self, Report};
use regdrift::rules::{self, Severity};
use regdrift::show::{self, ShowReport};

/// See Cargo.toml: allocation-heavy checks on several threads run markedly faster with it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Show(args) => run_show(&args),
        Command::Lint(args) => run_lint(&args),
        Command::Diff(args) => run_diff(&args),
        Command::Rules(args) => run_rules(&args),
        Command::Baseline(cmd) => run_baseline(cmd),
        Command::Check(args) => run_check(&args),
        Command::History(args) => run_history(&args),
        Command::Init(args) => run_init(&args),
        Command::Schema => {
            write_output(None, &regdrift::config::json_schema()).map(|()| ExitCode::SUCCESS)
        }
        Command::Explain { rule } => run_explain(&rule),
        Command::Daemon(args) => run_daemon(&args),
        Command::Report(args) => run_report(&args),
        Command::Probe(args) => run_probe(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("regdrift: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Colour only on a terminal and never with NO_COLOR.
fn use_color(to_file: bool) -> bool {
    !to_file
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn dialect(d: EnvDialect) -> Dialect {
    match d {
        EnvDialect::Docker => Dialect::Docker,
        EnvDialect::Systemd => Dialect::Systemd,
    }
}

fn collect_env(args: &EnvArgs) -> Result<Vec<EnvVar>> {
    let mut vars = Vec::new();
    if let Some(pid) = args.env_from_pid {
        vars.extend(envfile::read_proc_environ(pid)?.vars);
    }
    vars.extend(read_env_files(&args.env_files, dialect(args.env_dialect))?);
    for e in &args.env {
        vars.push(envfile::parse_cli_env(e)?);
    }
    Ok(envfile::effective_env(&vars))
}

fn read_env_files(files: &[std::path::PathBuf], dialect: Dialect) -> Result<Vec<EnvVar>> {
    let mut vars = Vec::new();
    for f in files {
        let parsed = envfile::read_env_file(f, dialect)?;
        for note in &parsed.notes {
            eprintln!("regdrift: note: {note}");
        }
        for (name, src) in &parsed.inherited {
            eprintln!(
                "regdrift: note: {src}: {name} takes its value from the registry's own environment, which regdrift cannot see; it is not applied"
            );
        }
        vars.extend(parsed.vars);
    }
    Ok(vars)
}

fn write_output(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).context("writing to stdout")
        }
    }
}

fn run_show(args: &ShowArgs) -> Result<ExitCode> {
    let version: Version = args.registry_version.parse().map_err(anyhow::Error::msg)?;
    let vars = collect_env(&args.env)?;
    let bytes = std::fs::read(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let mut opts = BuildOptions {
        version,
        ..BuildOptions::default()
    };
    opts.load.max_bytes = args.max_config_size;
    let source = args.config.display().to_string();
    let cfg = registry::build(&bytes, &source, &vars, &opts)?;
    let digester = Digester::from_env();
    let report = ShowReport::new(&cfg, &digester);
    let text = match args.format {
        ShowFormat::Text => show::render_text(
            &report,
            show::Style {
                color: use_color(args.output.is_some()),
            },
        ),
        ShowFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ShowFormat::Yaml => serde_yaml::to_string(&report)?,
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn load_config(path: &std::path::Path, vars: &[EnvVar], r: &ReportArgs) -> Result<EffectiveConfig> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    build_config(&bytes, &path.display().to_string(), vars, r)
}

fn policy(r: &ReportArgs) -> Result<(Severity, Waivers)> {
    let fail_on: Severity = r.fail_on.parse().map_err(anyhow::Error::msg)?;
    let today = match &r.today {
        Some(t) => Date::parse(t)
            .ok_or_else(|| anyhow::anyhow!("--today {t:?} is not a date; write YYYY-MM-DD"))?,
        None => Date::today(),
    };
    let waivers = match &r.waivers {
        Some(p) => Waivers::load(p, today)?,
        None => Waivers::none(),
    };
    Ok((fail_on, waivers))
}

/// Writes `value` as pretty JSON, streamed: a fleet's report can be tens of megabytes, and
/// building it as one string first would double the run's peak memory.
fn write_json<T: serde::Serialize>(path: Option<&std::path::Path>, value: &T) -> Result<()> {
    fn to<W: Write, T: serde::Serialize>(w: W, value: &T) -> std::io::Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
        serde_json::to_writer_pretty(&mut w, value).map_err(std::io::Error::other)?;
        w.write_all(b"\n")?;
        w.flush()
    }
    match path {
        Some(p) => std::fs::File::create(p)
            .and_then(|f| to(f, value))
            .with_context(|| format!("writing {}", p.display())),
        None => to(std::io::stdout().lock(), value).context("writing to stdout"),
    }
}

fn emit(report: &Report, r: &ReportArgs, with_diff: bool) -> Result<ExitCode> {
    render(report, r.format, r.output.as_deref(), with_diff)
}

/// Writes `report` in `format` to `output` (stdout when none); the exit status is the report's.
fn render(
    report: &Report,
    format: ReportFormat,
    output: Option<&std::path::Path>,
    with_diff: bool,
) -> Result<ExitCode> {
    let exit = ExitCode::from(report.summary.exit_code);
    let text = match format {
        ReportFormat::Json => return write_json(output, report).map(|()| exit),
        ReportFormat::Sarif => {
            return write_json(output, &report::sarif::render(report)).map(|()| exit);
        }
        ReportFormat::Human => report::human::render(
            report,
            show::Style {
                color: use_color(output.is_some()),
            },
            with_diff,
        ),
        ReportFormat::Markdown => {
            report::markdown::render(report, report::markdown::GITHUB_BODY_LIMIT)
        }
    };
    write_output(output, &text)?;
    Ok(exit)
}

fn with_meta(
    mut t: regdrift::report::TargetReport,
    waivers: &Waivers,
) -> regdrift::report::TargetReport {
    t.findings.extend(waivers.meta_findings());
    t
}

fn run_lint(args: &LintArgs) -> Result<ExitCode> {
    let (fail_on, waivers) = policy(&args.report)?;
    let vars = collect_env(&args.env)?;
    let cfg = load_config(&args.config, &vars, &args.report)?;
    let digester = Digester::from_env();
    let target = args.config.display().to_string();
    let t = with_meta(evaluate::lint(&target, &cfg, &digester, &waivers), &waivers);
    emit(&Report::new("lint", vec![t], fail_on), &args.report, false)
}

fn run_diff(args: &DiffArgs) -> Result<ExitCode> {
    let (fail_on, waivers) = policy(&args.report)?;
    let vars = collect_env(&args.env)?;
    let base_vars = envfile::effective_env(&read_env_files(
        &args.baseline_env_files,
        dialect(args.env.env_dialect),
    )?);
    let (base, trust) = match &args.baseline_repo {
        Some(repo) => {
            let baseline_path = args.baseline.display().to_string();
            let (bytes, trust) = baseline_from_git(
                repo,
                &args.baseline_ref,
                &baseline_path,
                &args.trust,
                args.allow_unsigned,
            )?;
            let label = format!("{}@{}:{}", repo.display(), args.baseline_ref, baseline_path);
            (
                build_config(&bytes, &label, &base_vars, &args.report)?,
                Some(trust),
            )
        }
        None => (load_config(&args.baseline, &base_vars, &args.report)?, None),
    };
    let dep = load_config(&args.deployed, &vars, &args.report)?;
    let digester = Digester::from_env();
    let target = args.deployed.display().to_string();
    let mut t = with_meta(
        evaluate::diff(&target, &base, &dep, &digester, &waivers),
        &waivers,
    );
    t.baseline_trust = trust;
    emit(
        &Report::new("diff", vec![t], fail_on),
        &args.report,
        !args.no_text_diff,
    )
}

fn build_config(
    bytes: &[u8],
    source: &str,
    vars: &[EnvVar],
    r: &ReportArgs,
) -> Result<EffectiveConfig> {
    let version: Version = r.registry_version.parse().map_err(anyhow::Error::msg)?;
    let mut opts = BuildOptions {
        version,
        ..BuildOptions::default()
    };
    opts.load.max_bytes = r.max_config_size;
    Ok(registry::build(bytes, source, vars, &opts)?)
}

fn trust_policy(t: &TrustArgs) -> Result<TrustPolicy> {
    let commits = match t.require_signed {
        RequireSigned::FileCommit => SignedCommits::FileCommit,
        RequireSigned::Head => SignedCommits::Head,
        RequireSigned::Both => SignedCommits::Both,
        RequireSigned::Neither => SignedCommits::Neither,
    };
    let detached = match t.detached {
        DetachedMode::Required => Detached::Required,
        DetachedMode::Optional => Detached::Optional,
        DetachedMode::Ignored => Detached::Ignored,
    };
    Ok(TrustPolicy::new(commits, detached)?)
}

/// Reads and verifies a baseline from git. With `allow_unsigned` an unverified baseline is
/// used with a warning (printed here, on every run) and marked unverified in the report, which
/// disables remediation from it.
fn baseline_from_git(
    repo: &std::path::Path,
    rev: &str,
    path: &str,
    t: &TrustArgs,
    allow_unsigned: bool,
) -> Result<(Vec<u8>, TrustInfo)> {
    let policy = trust_policy(t)?;
    let signers = match &t.allowed_signers {
        Some(f) => Some(AllowedSigners::from_file(f)?),
        None if allow_unsigned => None,
        None => anyhow::bail!(
            "{path}: no --allowed-signers given: a baseline from git is used only if its signatures verify (use --allow-unsigned for a first trial)"
        ),
    };
    let (bytes, info) =
        regdrift::fleet::load_trusted(repo, rev, path, signers.as_ref(), &policy, allow_unsigned)
            .map_err(anyhow::Error::msg)?;
    if let Some(w) = &info.warning {
        eprintln!("regdrift: WARNING: --allow-unsigned: {w}");
    }
    Ok((bytes, info))
}

fn run_baseline(cmd: BaselineCmd) -> Result<ExitCode> {
    match cmd {
        BaselineCmd::Verify(a) => run_baseline_verify(&a),
        BaselineCmd::Init(a) => run_baseline_init(&a),
        BaselineCmd::Sign(a) => run_baseline_sign(&a),
    }
}

fn run_baseline_verify(a: &BaselineVerifyArgs) -> Result<ExitCode> {
    let policy = trust_policy(&a.trust)?;
    let signers_path = a
        .trust
        .allowed_signers
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("--allowed-signers is required"))?;
    let signers = AllowedSigners::from_file(signers_path)?;
    let v = BaselineRepo::open(&a.repo)?.load(&a.rev, &a.path)?.verify(
        &signers,
        &policy,
        std::time::SystemTime::now(),
    )?;
    let info = regdrift::fleet::trust_info(&v, &a.repo);
    let text = match a.format {
        RulesFormat::Json => serde_json::to_string_pretty(&info)? + "\n",
        RulesFormat::Text => format!(
            "verified: {} at {} (commit {}, HEAD {})\n  blob {} (blake3 {})\n  signed by {} ({})\n  detached signature: {}\n",
            info.path,
            info.rev,
            info.commit,
            info.head_commit,
            info.blob,
            v.blake3_hex(),
            info.principals.join(", "),
            info.fingerprints.join(", "),
            if info.detached_signature {
                "verified"
            } else {
                "none"
            }
        ),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn run_baseline_init(a: &BaselineInitArgs) -> Result<ExitCode> {
    let vars = collect_env(&a.env)?;
    let version: Version = a.registry_version.parse().map_err(anyhow::Error::msg)?;
    let bytes = std::fs::read(&a.from).with_context(|| format!("reading {}", a.from.display()))?;
    let source = a.from.display().to_string();
    let opts = BuildOptions {
        version,
        ..BuildOptions::default()
    };
    let cfg = registry::build(&bytes, &source, &vars, &opts)?;
    let digester = Digester::from_env();
    let lint = evaluate::lint(&source, &cfg, &digester, &Waivers::none());
    let text = regdrift::baseline::init::baseline_yaml(&cfg, &lint.findings);
    std::fs::write(&a.out, &text).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "regdrift: wrote {} ({} lint findings noted as comments)",
        a.out.display(),
        lint.findings.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_baseline_sign(a: &BaselineSignArgs) -> Result<ExitCode> {
    let content =
        std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let sig = regdrift::baseline::sign::sign_detached(&content, &a.key)?;
    let out = a.out.clone().unwrap_or_else(|| {
        let mut p = a.file.clone().into_os_string();
        p.push(".sig");
        p.into()
    });
    std::fs::write(&out, sig).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("regdrift: wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn run_rules(args: &RulesArgs) -> Result<ExitCode> {
    let text = match args.format {
        RulesFormat::Json => serde_json::to_string_pretty(rules::RULES)? + "\n",
        RulesFormat::Text => rules::RULES
            .iter()
            .map(|r| {
                format!(
                    "{:<14} {:<32} {:<15} {:<9} {}\n",
                    r.id,
                    r.slug,
                    r.category.as_str(),
                    r.severity.as_str(),
                    r.title
                )
            })
            .collect(),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn run_explain(id: &str) -> Result<ExitCode> {
    let r = rules::rule(id)
        .ok_or_else(|| anyhow::anyhow!("no rule {id:?}; `regdrift rules` lists them"))?;
    let text = format!(
        "{} {} ({}, {}, {})\n\n{}\n\nWhy it matters: {}\n\nHow to fix: {}\n\nHow to waive: add to a waivers file\n  waivers:\n    - rule: {}\n      path: \"<key path glob>\"\n      reason: \"<why this is accepted>\"\n      expires: <YYYY-MM-DD>\n\nReferences: {}\n",
        r.id,
        r.slug,
        r.category.as_str(),
        r.severity,
        serde_json::to_value(r.kind)?.as_str().unwrap_or_default(),
        r.title,
        r.why,
        r.fix,
        r.id,
        r.references.join(", ")
    );
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn progress_printer() -> impl Fn(usize, usize) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |done: usize, total: usize| {
        if tty && total > 1 && (done == total || done % 25 == 0) {
            eprint!("\rregdrift: checked {done}/{total} targets");
            if done == total {
                eprintln!();
            }
        }
    }
}

fn run_check(a: &CheckArgs) -> Result<ExitCode> {
    let loaded = regdrift::config::load(&a.config)?;
    let fail_on = regdrift::run::fail_on(&loaded, a.fail_on.as_deref())?;
    let shard = a
        .shard
        .as_deref()
        .map(regdrift::fleet::parse_shard)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let today = match &a.today {
        Some(t) => Some(
            Date::parse(t)
                .ok_or_else(|| anyhow::anyhow!("--today {t:?} is not a date; write YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let req = regdrift::run::RunRequest {
        only: a.targets.clone(),
        shard,
        concurrency: a.concurrency,
        incremental: !a.no_incremental,
        fail_on: Some(fail_on.to_string()),
        today,
    };
    let out = regdrift::run::run(&loaded, &req, &progress_printer())?;
    for w in &out.warnings {
        eprintln!("regdrift: warning: {w}");
    }
    let code = render(&out.report, a.format, a.output.as_deref(), false)?;
    if !a.remediate {
        return Ok(code);
    }
    match regdrift::remediate::remediate(&loaded, &out, a.dry_run) {
        Ok(s) => {
            for n in &s.notes {
                eprintln!("regdrift: remediation: {n}");
            }
            let verb = if s.dry_run { "plan" } else { "done" };
            let lines = if s.dry_run { &s.planned } else { &s.done };
            if lines.is_empty() && s.failed.is_empty() {
                eprintln!("regdrift: remediation: nothing to change on GitHub");
            }
            for l in lines {
                eprintln!("regdrift: remediation {verb}: {l}");
            }
            for f in &s.failed {
                eprintln!("regdrift: remediation failed: {f}");
            }
            if !s.dry_run {
                eprintln!("regdrift: remediation: {} write requests", s.writes);
            }
            Ok(if s.failed.is_empty() {
                code
            } else {
                ExitCode::from(2)
            })
        }
        Err(e) => {
            eprintln!("regdrift: remediation failed: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

fn run_history(a: &HistoryArgs) -> Result<ExitCode> {
    let loaded = regdrift::config::load(&a.config)?;
    let history = regdrift::history::History::open(&loaded.state_dir())?;
    let l = history.read(a.target.as_deref())?;
    for w in &l.warnings {
        eprintln!("regdrift: warning: {w}");
    }
    let text = match a.format {
        RulesFormat::Json => serde_json::to_string_pretty(&l.records)? + "\n",
        RulesFormat::Text => l
            .records
            .iter()
            .map(|r| {
                let worst = r
                    .findings
                    .iter()
                    .filter(|f| !f.waived)
                    .map(|f| f.severity.as_str())
                    .max_by_key(|s| s.parse::<Severity>().ok())
                    .unwrap_or("-");
                format!(
                    "{}  {:<24} {:<8} {:>3} findings (worst {worst})  raw {}{}\n",
                    r.time,
                    r.target,
                    serde_json::to_value(r.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    r.findings.len(),
                    r.raw_hash.as_deref().map_or("-", |h| &h[..h.len().min(12)]),
                    r.error
                        .as_ref()
                        .map(|e| format!("  error: {e}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn run_init(a: &InitArgs) -> Result<ExitCode> {
    if a.output.exists() && !a.force {
        anyhow::bail!("{} exists; use --force to overwrite it", a.output.display());
    }
    std::fs::write(&a.output, regdrift::config::TEMPLATE)
        .with_context(|| format!("writing {}", a.output.display()))?;
    eprintln!(
        "regdrift: wrote {}; edit the baseline and targets, then run `regdrift check -c {}`",
        a.output.display(),
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Logs of the daemon: tracing on stderr, text or JSON lines, level from RUST_LOG (default
/// info; the scheduler crate's own logs from warn).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tokio_cron_scheduler=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run_daemon(a: &DaemonArgs) -> Result<ExitCode> {
    init_logging(a.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // schedule.remediate: GitHub remediation after each run (the daemon calls the hook only
    // when the config asks for it).
    let hook: std::sync::Arc<dyn regdrift::daemon::AfterRun> =
        std::sync::Arc::new(regdrift::daemon::GitHubRemediation);
    let daemon = regdrift::daemon::Daemon::new(a.config.clone(), a.once, Some(hook));
    match runtime.block_on(daemon.run()) {
        Ok(code) => Ok(ExitCode::from(code)),
        // Logged, not printed: with --log-format json every stderr line stays a JSON object.
        Err(e) => {
            tracing::error!(event = "start_failed", error = %format!("{e:#}"), "daemon could not start");
            Ok(ExitCode::from(2))
        }
    }
}

fn run_report(a: &ReportFileArgs) -> Result<ExitCode> {
    let report = report::saved::load(&a.report)?;
    if !a.github {
        render(&report, a.format, a.output.as_deref(), true)?;
        return Ok(ExitCode::SUCCESS);
    }
    let env_file = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--github: ${name} is not set; run it in a GitHub Actions step (or set {name} to a file)"
                )
            })
    };
    let output_file = env_file("GITHUB_OUTPUT")?;
    let summary_file = env_file("GITHUB_STEP_SUMMARY")?;
    if let Some(p) = &a.sarif {
        let sarif = serde_json::to_string_pretty(&report::sarif::render(&report))? + "\n";
        write_output(Some(p), &sarif)?;
    }
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let annotations = report::github::annotations(&report, &workspace);
    write_output(None, &report::github::render_annotations(&annotations))?;
    append(
        &summary_file,
        &report::github::summary(&report, a.summary_limit),
    )?;
    let sarif = a.sarif.as_ref().map(|p| p.display().to_string());
    let outputs =
        report::github::outputs(&report, &a.report.display().to_string(), sarif.as_deref());
    append(&output_file, &report::github::render_outputs(&outputs))?;
    Ok(ExitCode::SUCCESS)
}

/// Appends to a GitHub Actions file ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY).
fn append(path: &std::path::Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// `regdrift probe`: one live target. A registry that cannot be probed is reported as the
/// target's error (exit 2) in the chosen format, and said on stderr.
fn run_probe(a: &ProbeArgs) -> Result<ExitCode> {
    let (fail_on, waivers) = policy(&a.report)?;
    let baseline = match &a.baseline {
        Some(p) => Some(load_config(p, &[], &a.report)?),
        None => None,
    };
    let ca_pem = match &a.ca {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("reading --ca {}", p.display()))?),
        None => None,
    };
    let opts = regdrift::probe::ProbeOptions {
        timeout: regdrift::probe::parse_timeout(&a.timeout).map_err(anyhow::Error::msg)?,
        debug_addr: a.debug_addr.clone(),
        ca_pem,
        ..Default::default()
    };
    let result = regdrift::probe::probe(&a.url, &a.url, baseline.as_ref(), &opts);
    match &result {
        Err(
            e @ (regdrift::probe::ProbeError::BadUrl { .. }
            | regdrift::probe::ProbeError::Settings(_)),
        ) => {
            anyhow::bail!("{e}")
        }
        Err(e) => eprintln!("regdrift: error: {e}"),
        Ok(_) => {}
    }
    let t = with_meta(
        regdrift::probe::target_report(&a.url, result, &waivers),
        &waivers,
    );
    emit(&Report::new("probe", vec![t], fail_on), &a.report, false)
}
