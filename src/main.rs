//! The `regdrift` binary: parses arguments, calls the library, prints, and maps the result to
//! the exit status contract (0 ok, 1 findings at or above --fail-on, 2 could not complete).
#![forbid(unsafe_code)]

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Command, EnvArgs, EnvDialect, ShowArgs, ShowFormat};
use regdrift::registry::envfile::{self, Dialect, EnvVar};
use regdrift::registry::redact::Digester;
use regdrift::registry::{self, BuildOptions, Version};
use regdrift::show::{self, ShowReport};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Show(args) => run_show(&args),
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

fn collect_env(args: &EnvArgs) -> Result<Vec<EnvVar>> {
    let dialect = match args.env_dialect {
        EnvDialect::Docker => Dialect::Docker,
        EnvDialect::Systemd => Dialect::Systemd,
    };
    let mut vars = Vec::new();
    if let Some(pid) = args.env_from_pid {
        vars.extend(envfile::read_proc_environ(pid)?.vars);
    }
    for f in &args.env_files {
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
    for e in &args.env {
        vars.push(envfile::parse_cli_env(e)?);
    }
    Ok(envfile::effective_env(&vars))
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
