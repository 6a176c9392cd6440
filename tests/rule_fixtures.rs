//! Every rule of `regdrift::rules::RULES` has a fixture that fires it and one that does not.
//!
//! Layout: `tests/fixtures/rules/<RULE-ID>/{fires,quiet}/`, each directory holding:
//!
//! - `deployed.yml` (required): the registry config under test;
//! - `deployed.env` (optional): a docker `--env-file` (KEY=VALUE lines) applied to it;
//! - `baseline.yml` (optional, + optional `baseline.env`): when present the case runs as
//!   `regdrift diff` (baseline → deployed), otherwise as `regdrift lint` of deployed.yml;
//! - `case.txt` (optional): `key: value` lines (`#` starts a comment line), all optional:
//!   - `version: 2.8|3.0|3.1` — the registry version line (default 3.1);
//!   - `waivers: waivers.yml` — a waivers file in the same directory;
//!   - `today: YYYY-MM-DD` — the date waiver expiry is judged against (default 2026-06-01);
//!   - `location: file|env|default` — where the rule's findings must point in a `fires` case:
//!     `file` (the default) is a line of deployed.yml or of the waivers file, `env` is the
//!     deployed.env line that sets the variable, `default` is an unset key;
//!   - `line: N` — with `location: file`, the exact line the findings must point at (used where
//!     the location comes from a side table rather than the value tree: unknown keys, version
//!     notes, duplicates, ignored documents, waivers).
//!
//! A `fires` case asserts the rule is among the findings (at least once) and that every finding
//! of the rule points where `location` says. A `quiet` case asserts the rule is not among the
//! findings; other rules may fire in either. Waived findings count as findings. Waiver meta
//! findings (RD-WAIVER-*) are added after lint/diff, as the binary does.
//!
//! All failures are collected and reported together. `RULE_FIXTURES_VERBOSE=1 cargo test --test
//! rule_fixtures -- --nocapture` prints the findings of every case.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use regdrift::evaluate;
use regdrift::policy::{Date, Waivers};
use regdrift::registry::envfile::{self, Dialect, EnvVar};
use regdrift::registry::redact::Digester;
use regdrift::registry::{self, BuildOptions, EffectiveConfig, Version};
use regdrift::report::{Finding, Location};
use regdrift::rules::RULES;

const CASES: [&str; 2] = ["fires", "quiet"];

/// Rules only the live probe reports (RD-PROBE-*): no config fixture can fire them, so they
/// are proven by the tests that probe a running registry instead, each named here with the
/// test file that makes it fire and stay quiet. `probe_only_rules_are_proven_by_probe_tests`
/// checks this list against the table and the test files.
const PROBE_ONLY: [(&str, &str); 5] = [
    ("RD-PROBE-001", "tests/probe.rs"),
    ("RD-PROBE-002", "tests/real_registry.rs"),
    ("RD-PROBE-003", "tests/real_registry.rs"),
    ("RD-PROBE-004", "tests/real_registry.rs"),
    ("RD-PROBE-005", "tests/real_registry.rs"),
];

fn probe_only(id: &str) -> bool {
    PROBE_ONLY.iter().any(|(p, _)| *p == id)
}
const DEFAULT_TODAY: &str = "2026-06-01";

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    File,
    Env,
    Default,
}

/// The contents of `case.txt`.
#[derive(Debug)]
struct Meta {
    version: Version,
    waivers: Option<PathBuf>,
    today: Date,
    location: Expect,
    line: Option<u32>,
}

fn read_meta(dir: &Path) -> Result<Meta, String> {
    let mut meta = Meta {
        version: Version::V3_1,
        waivers: None,
        today: Date::parse(DEFAULT_TODAY).expect("default date"),
        location: Expect::File,
        line: None,
    };
    let path = dir.join("case.txt");
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(meta);
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |m: String| format!("{}:{}: {m}", path.display(), i + 1);
        let (k, v) = line
            .split_once(':')
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| err(format!("expected `key: value`, got {line:?}")))?;
        match k {
            "version" => meta.version = v.parse().map_err(|e: String| err(e))?,
            "waivers" => meta.waivers = Some(dir.join(v)),
            "today" => {
                meta.today = Date::parse(v).ok_or_else(|| err(format!("bad date {v:?}")))?;
            }
            "location" => {
                meta.location = match v {
                    "file" => Expect::File,
                    "env" => Expect::Env,
                    "default" => Expect::Default,
                    _ => return Err(err(format!("location {v:?}: use file, env or default"))),
                }
            }
            "line" => meta.line = Some(v.parse().map_err(|e| err(format!("line {v:?}: {e}")))?),
            _ => return Err(err(format!("unknown key {k:?}"))),
        }
    }
    Ok(meta)
}

fn env_vars(path: &Path) -> Result<Vec<EnvVar>, String> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let parsed = envfile::read_env_file(path, Dialect::Docker).map_err(|e| e.to_string())?;
    Ok(envfile::effective_env(&parsed.vars))
}

fn load(dir: &Path, stem: &str, version: Version) -> Result<EffectiveConfig, String> {
    let yml = dir.join(format!("{stem}.yml"));
    let bytes = fs::read(&yml).map_err(|e| format!("reading {}: {e}", yml.display()))?;
    let vars = env_vars(&dir.join(format!("{stem}.env")))?;
    let opts = BuildOptions {
        version,
        ..Default::default()
    };
    registry::build(&bytes, &yml.display().to_string(), &vars, &opts).map_err(|e| e.to_string())
}

/// A fleet case (`regdrift.yml` in the case directory): every target's findings.
fn run_fleet_case(dir: &Path) -> Result<Vec<Finding>, String> {
    let state = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut loaded =
        regdrift::config::load(&dir.join("regdrift.yml")).map_err(|e| e.to_string())?;
    loaded.config.state_dir = Some(state.path().to_path_buf());
    let opts = regdrift::fleet::CheckOptions {
        only: Vec::new(),
        shard: None,
        concurrency: 2,
        incremental: false,
    };
    let targets: Vec<_> = loaded.config.targets.iter().collect();
    let outcomes = regdrift::fleet::check(
        &loaded,
        &targets,
        &Digester::from_material("fixtures"),
        &Waivers::none(),
        &opts,
        &|_, _| {},
    )?
    .outcomes;
    for o in &outcomes {
        if let regdrift::report::Status::Error { message } = &o.report.status {
            return Err(format!("target {}: {message}", o.report.name));
        }
    }
    Ok(outcomes
        .into_iter()
        .flat_map(|o| o.report.findings)
        .collect())
}

/// Runs one case: its findings, meta findings included.
fn run_case(dir: &Path, meta: &Meta) -> Result<Vec<Finding>, String> {
    if dir.join("regdrift.yml").is_file() {
        return run_fleet_case(dir);
    }
    let waivers = match &meta.waivers {
        Some(p) => Waivers::load(p, meta.today).map_err(|e| e.to_string())?,
        None => Waivers::none(),
    };
    let digester = Digester::from_material("fixtures");
    let deployed = load(dir, "deployed", meta.version)?;
    let target = "fixture";
    let mut report = if dir.join("baseline.yml").exists() {
        let base = load(dir, "baseline", meta.version)?;
        evaluate::diff(target, &base, &deployed, &digester, &waivers)
    } else {
        evaluate::lint(target, &deployed, &digester, &waivers)
    };
    report.findings.extend(waivers.meta_findings());
    Ok(report.findings)
}

fn line_count(path: &str) -> usize {
    fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

/// Why a finding does not point where the case expects, if it does not.
fn location_problem(f: &Finding, expect: Expect, dir: &Path, meta: &Meta) -> Option<String> {
    let deployed = dir.join("deployed.yml").display().to_string();
    let waivers = meta.waivers.as_ref().map(|p| p.display().to_string());
    let env = dir.join("deployed.env").display().to_string();
    let ok = match (&f.location, expect) {
        (Location::File { path, line, .. }, Expect::File) => {
            (*path == deployed || Some(path) == waivers.as_ref())
                && *line >= 1
                && (*line as usize) <= line_count(path)
                && meta.line.is_none_or(|want| want == *line)
        }
        (
            Location::Env {
                var,
                file: Some(file),
                line: Some(line),
            },
            Expect::Env,
        ) => {
            *file == env
                && fs::read_to_string(&env).is_ok_and(|t| {
                    t.lines()
                        .nth((*line as usize).wrapping_sub(1))
                        .is_some_and(|l| l.trim_start().starts_with(&format!("{var}=")))
                })
        }
        (Location::Default { .. }, Expect::Default) => true,
        _ => false,
    };
    (!ok).then(|| {
        let want = match (expect, meta.line) {
            (Expect::File, Some(l)) => format!("File, line {l}"),
            _ => format!("{expect:?}"),
        };
        let root = format!("{}/", fixtures_root().display());
        format!(
            "finding at {:?} points to {} (expected {want})",
            f.path,
            f.location.label().replace(&root, "")
        )
    })
}

fn dirs_in(p: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A rule without fixtures, or a fixture directory for no rule, fails.
#[test]
fn every_rule_has_a_firing_and_a_quiet_fixture() {
    let root = fixtures_root();
    let mut missing = Vec::new();
    for r in RULES.iter().filter(|r| !probe_only(r.id)) {
        for case in CASES {
            let d = root.join(r.id).join(case);
            if !d.join("deployed.yml").is_file() && !d.join("regdrift.yml").is_file() {
                missing.push(format!("{}/{case}/deployed.yml (or regdrift.yml)", r.id));
            }
        }
    }
    let ids: BTreeSet<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !probe_only(id))
        .collect();
    let mut stray: Vec<String> = dirs_in(&root)
        .into_iter()
        .filter(|d| !ids.contains(d.as_str()))
        .collect();
    for r in RULES.iter().filter(|r| !probe_only(r.id)) {
        for d in dirs_in(&root.join(r.id)) {
            if !CASES.contains(&d.as_str()) {
                stray.push(format!("{}/{d}", r.id));
            }
        }
    }
    assert!(
        missing.is_empty() && stray.is_empty(),
        "under {}:\nmissing fixtures:\n  {}\ndirectories that match no rule or case:\n  {}",
        root.display(),
        missing.join("\n  "),
        stray.join("\n  ")
    );
}

#[test]
fn rule_fixtures_fire_and_stay_quiet() {
    let root = fixtures_root();
    let verbose = std::env::var_os("RULE_FIXTURES_VERBOSE").is_some();
    let mut failures = Vec::new();
    let mut ran = 0;
    for r in RULES.iter().filter(|r| !probe_only(r.id)) {
        for case in CASES {
            let dir = root.join(r.id).join(case);
            if !dir.join("deployed.yml").is_file() && !dir.join("regdrift.yml").is_file() {
                continue; // reported by every_rule_has_a_firing_and_a_quiet_fixture
            }
            ran += 1;
            let label = format!("{}/{case}", r.id);
            let meta = match read_meta(&dir) {
                Ok(m) => m,
                Err(e) => {
                    failures.push(format!("{label}: bad case.txt: {e}"));
                    continue;
                }
            };
            let findings = match run_case(&dir, &meta) {
                Ok(f) => f,
                Err(e) => {
                    failures.push(format!("{label}: could not run: {e}"));
                    continue;
                }
            };
            let fired: BTreeSet<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
            if verbose {
                eprintln!("{label}:");
                for f in &findings {
                    eprintln!(
                        "  {} {:?} @ {} — {}",
                        f.rule_id,
                        f.path,
                        f.location.label(),
                        f.message
                    );
                }
            }
            let fired_list = fired.iter().copied().collect::<Vec<_>>().join(", ");
            let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule_id == r.id).collect();
            match case {
                "fires" if mine.is_empty() => failures.push(format!(
                    "{label}: expected {} to fire; fired: [{fired_list}]",
                    r.id
                )),
                "fires" => {
                    for f in mine {
                        if let Some(p) = location_problem(f, meta.location, &dir, &meta) {
                            failures.push(format!("{label}: {p}"));
                        }
                    }
                }
                _ if !mine.is_empty() => failures.push(format!(
                    "{label}: expected {} not to fire, but it did at {}; fired: [{fired_list}]",
                    r.id,
                    mine.iter()
                        .map(|f| format!("{:?} ({})", f.path, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                _ => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} rule fixture cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The probe-only list is exactly the table's RD-PROBE-* rules, and each is asserted by its test
/// file: it appears there inside an expected rule set (`set(&[... "RD-PROBE-00N" ...])`) or an
/// equality on `rule_id`, so removing the proof fails here.
#[test]
fn probe_only_rules_are_proven_by_probe_tests() {
    let kinds: BTreeSet<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| id.starts_with("RD-PROBE-"))
        .collect();
    let listed: BTreeSet<&str> = PROBE_ONLY.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        kinds, listed,
        "PROBE_ONLY must list exactly the RD-PROBE-* rules"
    );
    for (id, file) in PROBE_ONLY {
        let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let asserted = text.lines().any(|l| {
            l.contains(&format!("\"{id}\"")) && (l.contains("set(&[") || l.contains("assert"))
        }) || text.contains(&format!("[\"rule_id\"], \"{id}\""));
        assert!(asserted, "{id}: {file} does not assert it fires");
        assert!(
            !fixtures_root().join(id).exists(),
            "{id} is probe-only: its proof is {file}, not tests/fixtures/rules/{id}"
        );
    }
}
