//! Integration tests of `regdrift lint`, `diff`, `rules` and `explain` against the built binary:
//! every report format, the exit status contract, waivers, the JSON report as a consumer reads
//! it, SARIF 2.1.0 (validated with Microsoft's SARIF Multitool when it is installed), the Markdown
//! size limit, and that no secret value ever reaches any output.
//!
//! These tests only run the binary and read its outputs with their own minimal types; they never
//! import regdrift's. Small fixtures live in tests/fixtures/reports/; large and secret-laden
//! configs are generated in temporary directories at test time.
//!
//! The SARIF validator: `npm install --no-save @microsoft/sarif-multitool` at the repository root
//! puts it at node_modules/@microsoft/sarif-multitool-<os>/Sarif.Multitool (or point
//! REGDRIFT_SARIF_MULTITOOL at the executable). Without it the validator test says why and
//! passes, unless REGDRIFT_REQUIRE_VALIDATORS=1, in which case it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Running the binary

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name)
}

/// The binary with an environment that cannot influence the result: no digest key, no colour
/// preference, no backtrace setting.
fn regdrift() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_regdrift"));
    c.env_remove("REGDRIFT_DIGEST_KEY")
        .env_remove("NO_COLOR")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    c
}

fn run(args: &[&str]) -> Output {
    regdrift().args(args).output().expect("run regdrift")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn fx(name: &str) -> String {
    p(&fixture(name)).to_string()
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("regdrift was killed by a signal: {out:?}"))
}

fn head(s: &str) -> String {
    s.chars().take(3000).collect()
}

/// Asserts the exit status, showing both streams when it is not the expected one.
fn expect_code(out: &Output, want: i32, what: &str) {
    assert_eq!(
        code(out),
        want,
        "{what}: expected exit status {want}\n--- stderr:\n{}\n--- stdout:\n{}",
        stderr_of(out),
        head(&String::from_utf8_lossy(&out.stdout))
    );
    assert_no_panic(out);
}

fn assert_no_panic(out: &Output) {
    let err = stderr_of(out);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic text on stderr:\n{err}"
    );
}

/// An exit status 2 run: nothing on stdout (no half report), one error on stderr that names
/// `names` (the file, flag or value at fault).
fn expect_error(out: &Output, names: &[&str], what: &str) -> String {
    expect_code(out, 2, what);
    assert!(
        out.stdout.is_empty(),
        "{what}: a run that could not complete printed a report:\n{}",
        head(&stdout_of(out))
    );
    let err = stderr_of(out);
    assert!(
        err.starts_with("regdrift: error: "),
        "{what}: stderr does not start with `regdrift: error: `:\n{err}"
    );
    for n in names {
        assert!(
            err.contains(n),
            "{what}: stderr does not name {n:?}:\n{err}"
        );
    }
    err
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create temp dir")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// The JSON report as a consumer sees it (our own types, strict where the shape is a contract)

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sev {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Sev {
    fn as_str(self) -> &'static str {
        match self {
            Sev::Info => "info",
            Sev::Low => "low",
            Sev::Medium => "medium",
            Sev::High => "high",
            Sev::Critical => "critical",
        }
    }

    /// The SARIF level a severity maps to (documented in src/report/sarif.rs).
    fn sarif_level(self) -> &'static str {
        match self {
            Sev::Critical | Sev::High => "error",
            Sev::Medium => "warning",
            Sev::Low | Sev::Info => "note",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Dir {
    Weakens,
    Strengthens,
    Neutral,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonReport {
    schema_version: u32,
    tool: JsonTool,
    command: String,
    targets: Vec<JsonTarget>,
    summary: JsonSummary,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTool {
    name: String,
    version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTarget {
    name: String,
    status: JsonStatus,
    baseline: Option<JsonConfigInfo>,
    deployed: Option<JsonConfigInfo>,
    findings: Vec<JsonFinding>,
    changes: Option<u64>,
    text_diff: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
enum JsonStatus {
    Checked,
    #[allow(dead_code)]
    Error {
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonConfigInfo {
    source: String,
    registry_version: String,
    raw_hash: String,
    effective_hash: String,
    #[allow(dead_code)]
    would_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFinding {
    rule_id: String,
    slug: String,
    title: String,
    category: String,
    severity: Sev,
    direction: Dir,
    path: String,
    location: JsonLocation,
    message: String,
    before: Option<String>,
    after: Option<String>,
    why: String,
    fix: String,
    fingerprint: String,
    waived: Option<JsonWaiver>,
}

/// Where a finding points. `lint` and `diff` only ever point into a file, an env variable or a
/// default; anything else fails to deserialize.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum JsonLocation {
    File {
        path: String,
        line: u32,
        col: u32,
    },
    Env {
        var: String,
        file: Option<String>,
        line: Option<u32>,
    },
    Default {
        path: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonWaiver {
    reason: String,
    expires: Option<String>,
    line: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSummary {
    counts: JsonCounts,
    waived: usize,
    worst: Option<Sev>,
    fail_on: Sev,
    failing: usize,
    targets_failed: usize,
    exit_code: i32,
}

#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCounts {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

impl JsonCounts {
    fn add(&mut self, s: Sev) {
        match s {
            Sev::Critical => self.critical += 1,
            Sev::High => self.high += 1,
            Sev::Medium => self.medium += 1,
            Sev::Low => self.low += 1,
            Sev::Info => self.info += 1,
        }
    }
}

impl JsonReport {
    fn findings(&self) -> impl Iterator<Item = &JsonFinding> {
        self.targets.iter().flat_map(|t| &t.findings)
    }

    fn rule_ids(&self) -> Vec<&str> {
        self.findings().map(|f| f.rule_id.as_str()).collect()
    }

    fn only(&self, rule: &str) -> &JsonFinding {
        let hits: Vec<_> = self.findings().filter(|f| f.rule_id == rule).collect();
        assert_eq!(
            hits.len(),
            1,
            "expected exactly one {rule} finding, got {:?}",
            self.rule_ids()
        );
        hits[0]
    }
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses a JSON report strictly and checks everything a consumer may rely on: the schema
/// version, the tool, the summary recomputed from the findings, and that the process exit status
/// is `summary.exit_code`.
fn check_json(out: &Output, command: &str) -> JsonReport {
    let text = stdout_of(out);
    let r: JsonReport = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "the JSON report does not match the consumer's schema: {e}\n{}",
            head(&text)
        )
    });
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.tool.name, "regdrift");
    assert!(!r.tool.version.is_empty());
    assert_eq!(r.command, command);
    assert_eq!(r.targets.len(), 1, "lint and diff report one target");
    for t in &r.targets {
        assert!(matches!(t.status, JsonStatus::Checked), "{:?}", t.status);
        let dep = t
            .deployed
            .as_ref()
            .expect("a checked target has a deployed config");
        assert_eq!(dep.source, t.name);
        for info in t.baseline.iter().chain(t.deployed.iter()) {
            assert!(["2.8", "3.0", "3.1"].contains(&info.registry_version.as_str()));
            assert!(!info.raw_hash.is_empty() && !info.effective_hash.is_empty());
        }
        if command == "diff" {
            assert!(t.baseline.is_some() && t.changes.is_some() && t.text_diff.is_some());
        } else {
            assert!(t.baseline.is_none() && t.changes.is_none() && t.text_diff.is_none());
        }
        for f in &t.findings {
            assert!(f.rule_id.starts_with("RD-"), "{f:?}");
            assert!(
                !f.slug.is_empty()
                    && !f.title.is_empty()
                    && !f.category.is_empty()
                    && !f.message.is_empty()
                    && !f.why.is_empty()
                    && !f.fix.is_empty(),
                "a finding with empty text: {f:?}"
            );
            assert!(is_fingerprint(&f.fingerprint), "fingerprint {f:?}");
            if f.direction == Dir::Strengthens {
                assert_eq!(f.severity, Sev::Info, "strengthening is info: {f:?}");
            }
            if let JsonLocation::File { line, col, path } = &f.location {
                assert!(*line >= 1 && *col >= 1 && !path.is_empty(), "{f:?}");
            }
            if let Some(w) = &f.waived {
                assert!(!w.reason.is_empty() && w.line >= 1, "{w:?}");
            }
        }
    }
    // The summary, recomputed from the findings.
    let s = &r.summary;
    let mut counts = JsonCounts::default();
    let (mut waived, mut failing, mut worst) = (0, 0, None);
    for f in r.findings() {
        if f.waived.is_some() {
            waived += 1;
            continue;
        }
        counts.add(f.severity);
        worst = worst.max(Some(f.severity));
        if f.severity >= s.fail_on {
            failing += 1;
        }
    }
    assert_eq!(s.counts, counts, "summary.counts");
    assert_eq!(s.waived, waived, "summary.waived");
    assert_eq!(s.worst, worst, "summary.worst");
    assert_eq!(s.failing, failing, "summary.failing");
    assert_eq!(s.targets_failed, 0);
    assert_eq!(s.exit_code, i32::from(failing > 0), "summary.exit_code");
    assert_eq!(
        code(out),
        s.exit_code,
        "the process exit status is summary.exit_code"
    );
    r
}

fn json_run(args: &[&str], command: &str) -> (Output, JsonReport) {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let out = run(&a);
    assert_no_panic(&out);
    assert_ne!(code(&out), 2, "run failed: {}", stderr_of(&out));
    let r = check_json(&out, command);
    (out, r)
}

// ---------------------------------------------------------------------------------------------
// The rule table as `regdrift rules --format json` gives it

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    id: String,
    slug: String,
    category: String,
    severity: Sev,
    kind: String,
    title: String,
    why: String,
    fix: String,
    references: Vec<String>,
}

fn rules_json() -> Vec<RuleDoc> {
    let out = run(&["rules", "--format", "json"]);
    expect_code(&out, 0, "rules --format json");
    serde_json::from_str(&stdout_of(&out)).expect("rules JSON matches the consumer's schema")
}

// ---------------------------------------------------------------------------------------------
// 1. Every format of every report command, to stdout and to -o

const FORMATS: [&str; 4] = ["human", "json", "sarif", "markdown"];

fn check_shape(format: &str, command: &str, text: &str, out: &Output) {
    match format {
        "human" => {
            assert!(
                text.starts_with(&format!("regdrift {command}: ")),
                "{}",
                head(text)
            );
            assert!(text.contains("Summary: "), "{}", head(text));
            assert!(
                text.contains(&format!("exit status {}", code(out))),
                "{}",
                head(text)
            );
            assert!(!text.contains('\u{1b}'), "colour codes when not a terminal");
        }
        "json" => {
            let r: JsonReport = serde_json::from_str(text).expect("JSON report");
            assert_eq!(r.command, command);
            assert_eq!(r.summary.exit_code, code(out));
        }
        "sarif" => {
            let v: Value = serde_json::from_str(text).expect("SARIF is JSON");
            assert_eq!(v["version"], "2.1.0");
        }
        "markdown" => {
            assert!(
                text.starts_with(&format!("## regdrift {command}\n")),
                "{}",
                head(text)
            );
        }
        _ => unreachable!(),
    }
}

fn every_format_to_stdout_and_file(command: &str, inputs: &[&str]) {
    let dir = tempdir();
    for format in FORMATS {
        let mut args = vec![command];
        args.extend(inputs);
        args.extend(["--format", format]);
        let to_stdout = run(&args);
        expect_code(&to_stdout, 1, &format!("{command} --format {format}"));
        let text = stdout_of(&to_stdout);
        check_shape(format, command, &text, &to_stdout);

        let file = dir.path().join(format!("report.{format}"));
        args.extend(["-o", p(&file)]);
        let to_file = run(&args);
        expect_code(&to_file, 1, &format!("{command} --format {format} -o"));
        assert!(
            to_file.stdout.is_empty(),
            "-o still printed to stdout:\n{}",
            head(&stdout_of(&to_file))
        );
        assert_eq!(
            read(&file),
            text,
            "{command} --format {format}: -o wrote something else than stdout shows"
        );
    }
}

#[test]
fn lint_renders_human_json_sarif_and_markdown_to_stdout_and_to_o_file() {
    every_format_to_stdout_and_file("lint", &[&fx("drifted.yml")]);
}

#[test]
fn diff_renders_human_json_sarif_and_markdown_to_stdout_and_to_o_file() {
    every_format_to_stdout_and_file("diff", &[&fx("good.yml"), &fx("drifted.yml")]);
}

#[test]
fn human_diff_shows_the_redacted_text_diff_unless_no_text_diff() {
    let out = run(&["diff", &fx("good.yml"), &fx("drifted.yml")]);
    expect_code(&out, 1, "diff");
    let text = stdout_of(&out);
    assert!(text.contains("Diff of the effective configs (redacted):"));
    assert!(text.contains("-  level: info\n+  level: debug\n"), "{text}");
    let out = run(&[
        "diff",
        &fx("good.yml"),
        &fx("drifted.yml"),
        "--no-text-diff",
    ]);
    expect_code(&out, 1, "diff --no-text-diff");
    assert!(!stdout_of(&out).contains("Diff of the effective configs"));
}

// ---------------------------------------------------------------------------------------------
// 2. Exit statuses

#[test]
fn exit_0_when_every_finding_is_below_fail_on() {
    // good.yml has one low finding (http.secret not set) and nothing above it.
    let (_, r) = json_run(&["lint", &fx("good.yml")], "lint");
    assert_eq!(r.summary.worst, Some(Sev::Low), "{:?}", r.rule_ids());
    for (fail_on, want) in [
        ("info", 1),
        ("low", 1),
        ("medium", 0),
        ("high", 0),
        ("critical", 0),
    ] {
        let out = run(&["lint", &fx("good.yml"), "--fail-on", fail_on]);
        expect_code(&out, want, &format!("lint good.yml --fail-on {fail_on}"));
        let (_, r) = json_run(&["lint", &fx("good.yml"), "--fail-on", fail_on], "lint");
        assert_eq!(r.summary.fail_on.as_str(), fail_on);
        assert_eq!(
            r.summary.counts.low, 1,
            "findings below --fail-on still count"
        );
    }
    // Severity names are case-insensitive.
    expect_code(
        &run(&["lint", &fx("good.yml"), "--fail-on", "CRITICAL"]),
        0,
        "--fail-on CRITICAL",
    );
}

#[test]
fn exit_0_for_a_diff_of_identical_files() {
    let out = run(&["diff", &fx("good.yml"), &fx("good.yml")]);
    expect_code(&out, 0, "diff of a file with itself");
    assert!(stdout_of(&out).contains("no findings"));

    let dir = tempdir();
    let copy = write(dir.path(), "deployed.yml", &read(&fixture("good.yml")));
    let (out, r) = json_run(&["diff", &fx("good.yml"), p(&copy)], "diff");
    expect_code(&out, 0, "diff of identical copies");
    assert!(r.findings().next().is_none(), "{:?}", r.rule_ids());
    assert_eq!(r.targets[0].changes, Some(0));
    assert_eq!(r.targets[0].text_diff.as_deref(), Some(""));
    assert_eq!(
        r.targets[0].baseline.as_ref().unwrap().raw_hash,
        r.targets[0].deployed.as_ref().unwrap().raw_hash
    );
}

#[test]
fn exit_0_for_a_diff_that_only_adds_comments_which_is_an_info_finding() {
    let dir = tempdir();
    let deployed = write(
        dir.path(),
        "deployed.yml",
        &format!(
            "# deployed by the pipeline\n{}",
            read(&fixture("good.yml")).replace("level: info", "level: info   # as approved")
        ),
    );
    let (out, r) = json_run(&["diff", &fx("good.yml"), p(&deployed)], "diff");
    expect_code(&out, 0, "cosmetic diff");
    assert_eq!(r.rule_ids(), ["RD-DRIFT-002"]);
    assert_eq!(r.only("RD-DRIFT-002").severity, Sev::Info);
    assert_eq!(r.targets[0].changes, Some(0));
    expect_code(
        &run(&["diff", &fx("good.yml"), p(&deployed), "--fail-on", "info"]),
        1,
        "cosmetic diff with --fail-on info",
    );
}

#[test]
fn exit_1_when_a_finding_is_at_or_above_fail_on() {
    // drifted.yml's worst finding is critical (no auth), so every --fail-on fails it.
    for fail_on in ["info", "low", "medium", "high", "critical"] {
        let (out, r) = json_run(&["lint", &fx("drifted.yml"), "--fail-on", fail_on], "lint");
        expect_code(&out, 1, &format!("lint drifted.yml --fail-on {fail_on}"));
        assert_eq!(r.summary.worst, Some(Sev::Critical));
        let (out, _) = json_run(
            &[
                "diff",
                &fx("good.yml"),
                &fx("drifted.yml"),
                "--fail-on",
                fail_on,
            ],
            "diff",
        );
        expect_code(&out, 1, &format!("diff --fail-on {fail_on}"));
    }
    // The default is low.
    let (out, r) = json_run(&["lint", &fx("good.yml")], "lint");
    expect_code(&out, 1, "lint good.yml with the default --fail-on");
    assert_eq!(r.summary.fail_on, Sev::Low);
}

#[test]
fn exit_2_for_invalid_yaml_in_lint_and_either_side_of_diff() {
    let bad = fx("bad-yaml.yml");
    let good = fx("good.yml");
    for (args, what) in [
        (vec!["lint", &bad], "lint bad-yaml.yml"),
        (vec!["diff", &bad, &good], "diff with a bad baseline"),
        (vec!["diff", &good, &bad], "diff with a bad deployed config"),
    ] {
        for format in FORMATS {
            let mut a = args.clone();
            a.extend(["--format", format]);
            let err = expect_error(&run(&a), &[&bad], what);
            assert!(err.contains("bad-yaml.yml:4:"), "the line is named: {err}");
        }
    }
}

#[test]
fn exit_2_for_a_missing_file() {
    let dir = tempdir();
    let missing = dir.path().join("no-such.yml");
    let missing = p(&missing);
    let good = fx("good.yml");
    expect_error(
        &run(&["lint", missing]),
        &[missing],
        "lint of a missing file",
    );
    expect_error(
        &run(&["diff", missing, &good]),
        &[missing],
        "missing baseline",
    );
    expect_error(
        &run(&["diff", &good, missing]),
        &[missing],
        "missing deployed",
    );
    expect_error(
        &run(&["lint", &good, "--env-file", missing]),
        &[missing],
        "missing env file",
    );
    expect_error(
        &run(&["diff", &good, &good, "--baseline-env-file", missing]),
        &[missing],
        "missing baseline env file",
    );
    expect_error(
        &run(&["lint", &good, "--waivers", missing]),
        &[missing],
        "missing waivers file",
    );
}

#[test]
fn exit_2_for_an_unknown_fail_on() {
    for bad in ["severe", "", "warning"] {
        let err = expect_error(
            &run(&["lint", &fx("good.yml"), "--fail-on", bad]),
            &[&format!("{bad:?}")],
            &format!("--fail-on {bad:?}"),
        );
        assert!(
            err.contains("info, low, medium, high or critical"),
            "the message lists the severities: {err}"
        );
        expect_error(
            &run(&[
                "diff",
                &fx("good.yml"),
                &fx("drifted.yml"),
                "--fail-on",
                bad,
            ]),
            &[&format!("{bad:?}")],
            &format!("diff --fail-on {bad:?}"),
        );
    }
}

#[test]
fn exit_2_for_a_bad_waivers_file_naming_the_file_and_line() {
    let dir = tempdir();
    let cases: [(&str, &str, u32, &str); 5] = [
        (
            "no-reason.yml",
            "waivers:\n  - rule: RD-AVL-001\n    reason: fine\n  - rule: RD-TLS-001\n    path: http.tls\n",
            4,
            "reason",
        ),
        (
            "unknown-rule.yml",
            "waivers:\n  - rule: RD-AVL-001\n    reason: fine\n\n  - rule: RD-NOPE-001\n    reason: x\n",
            5,
            "RD-NOPE-001",
        ),
        (
            "unknown-field.yml",
            "waivers:\n  - rule: RD-AVL-001\n    reasn: typo\n",
            3,
            "reasn",
        ),
        (
            "bad-date.yml",
            "# waivers for prod\nwaivers:\n  - rule: RD-AVL-001\n    reason: fine\n    expires: next week\n",
            3,
            "next week",
        ),
        (
            "syntax.yml",
            "waivers:\n  - rule: RD-AVL-001\n    reason: \"unterminated\n",
            0,
            "",
        ),
    ];
    for (name, text, line, word) in cases {
        let file = write(dir.path(), name, text);
        let file = p(&file);
        for args in [
            vec!["lint", &fx("good.yml")],
            vec!["diff", &fx("good.yml"), &fx("drifted.yml")],
        ] {
            let mut a = args.clone();
            a.extend(["--waivers", file, "--format", "json"]);
            let err = expect_error(&run(&a), &[file, word], name);
            if line > 0 {
                assert!(
                    err.contains(&format!("{file}:{line}:")),
                    "{name}: the message names line {line}: {err}"
                );
            } else {
                let named = err
                    .strip_prefix(&format!("regdrift: error: {file}:"))
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|n| n.parse::<u32>().ok());
                assert!(
                    named.is_some_and(|n| n >= 1),
                    "{name}: the message names a line: {err}"
                );
            }
        }
    }
}

#[test]
fn exit_2_when_the_output_file_cannot_be_written() {
    let dir = tempdir();
    let target = dir.path().join("no-such-dir").join("report.json");
    expect_error(
        &run(&[
            "lint",
            &fx("good.yml"),
            "--format",
            "json",
            "-o",
            p(&target),
        ]),
        &[p(&target)],
        "-o into a missing directory",
    );
}

// Waivers

#[test]
fn a_waived_finding_does_not_count_toward_the_exit_status() {
    let waivers = fx("waiver-http-secret.yml");
    expect_code(&run(&["lint", &fx("good.yml")]), 1, "without the waiver");
    let (out, r) = json_run(&["lint", &fx("good.yml"), "--waivers", &waivers], "lint");
    expect_code(&out, 0, "with the waiver");
    let f = r.only("RD-AVL-001");
    let w = f.waived.as_ref().expect("the finding stays, marked waived");
    assert_eq!(
        w.reason,
        "every replica sits behind one sticky load balancer"
    );
    assert_eq!(w.line, 2, "the waiver's line in its file");
    assert_eq!(w.expires, None);
    assert_eq!(r.summary.waived, 1);
    assert_eq!(r.summary.counts, JsonCounts::default());
    assert_eq!(r.summary.worst, None);

    let human = run(&["lint", &fx("good.yml"), "--waivers", &waivers]);
    expect_code(&human, 0, "human with the waiver");
    assert!(stdout_of(&human).contains("[waived: every replica sits behind"));
    let md = run(&[
        "lint",
        &fx("good.yml"),
        "--waivers",
        &waivers,
        "--format",
        "markdown",
    ]);
    expect_code(&md, 0, "markdown with the waiver");
    assert!(stdout_of(&md).contains("| low (waived) | `RD-AVL-001` |"));
}

fn waiver_with_expiry(dir: &Path, expires: &str) -> PathBuf {
    write(
        dir,
        "waivers.yml",
        &format!(
            "waivers:\n  - rule: RD-AVL-001\n    path: http.*\n    reason: until the secret store is live\n    expires: {expires}\n"
        ),
    )
}

#[test]
fn an_expired_waiver_is_reported_and_the_finding_counts_again() {
    let dir = tempdir();
    let waivers = waiver_with_expiry(dir.path(), "2026-01-31");
    let base = ["lint", &fx("good.yml"), "--waivers", p(&waivers)];

    // Valid through its expiry day.
    for today in ["2025-12-01", "2026-01-31"] {
        let mut a = base.to_vec();
        a.extend(["--today", today]);
        let (out, r) = json_run(&a, "lint");
        expect_code(&out, 0, &format!("waiver before expiry, today {today}"));
        let w = r.only("RD-AVL-001").waived.clone().expect("waived");
        assert_eq!(w.expires.as_deref(), Some("2026-01-31"));
        assert!(!r.rule_ids().contains(&"RD-WAIVER-001"));
    }

    // The day after, it waives nothing and is itself a finding.
    let mut a = base.to_vec();
    a.extend(["--today", "2026-02-01"]);
    let (out, r) = json_run(&a, "lint");
    expect_code(&out, 1, "expired waiver");
    assert!(
        r.only("RD-AVL-001").waived.is_none(),
        "expired waivers waive nothing"
    );
    let e = r.only("RD-WAIVER-001");
    assert_eq!(e.severity, Sev::Medium);
    assert!(e.message.contains("2026-01-31"), "{}", e.message);
    assert_eq!(
        e.location,
        JsonLocation::File {
            path: p(&waivers).to_string(),
            line: 2,
            col: 1
        }
    );
    assert_eq!(r.summary.waived, 0);
    assert!(!r.rule_ids().contains(&"RD-WAIVER-002"));
}

#[test]
fn an_unmatched_waiver_is_an_info_finding() {
    let dir = tempdir();
    let waivers = write(
        dir.path(),
        "waivers.yml",
        "waivers:\n  - rule: RD-AVL-001\n    path: http.secret\n    reason: shared by design\n  - rule: tls-disabled\n    path: http.tls\n    reason: TLS ends at the load balancer\n",
    );
    let (out, r) = json_run(&["lint", &fx("good.yml"), "--waivers", p(&waivers)], "lint");
    expect_code(&out, 0, "an unmatched waiver does not fail --fail-on low");
    let u = r.only("RD-WAIVER-002");
    assert_eq!(u.severity, Sev::Info);
    assert!(u.waived.is_none());
    assert!(u.message.contains("RD-TLS-001"), "{}", u.message);
    assert_eq!(
        u.location,
        JsonLocation::File {
            path: p(&waivers).to_string(),
            line: 5,
            col: 1
        }
    );
    assert_eq!(r.summary.counts.info, 1);
    expect_code(
        &run(&[
            "lint",
            &fx("good.yml"),
            "--waivers",
            p(&waivers),
            "--fail-on",
            "info",
        ]),
        1,
        "an unmatched waiver fails --fail-on info",
    );
}

// ---------------------------------------------------------------------------------------------
// 3. JSON from the consumer's side

#[test]
fn json_report_deserializes_strictly_for_lint_and_diff() {
    let (_, lint) = json_run(&["lint", &fx("drifted.yml")], "lint");
    assert!(
        lint.rule_ids().contains(&"RD-AUTH-001"),
        "{:?}",
        lint.rule_ids()
    );
    assert!(
        lint.findings().all(|f| f.before.is_none()),
        "lint has no baseline"
    );

    let (_, diff) = json_run(&["diff", &fx("good.yml"), &fx("drifted.yml")], "diff");
    let t = &diff.targets[0];
    assert_eq!(t.name, fx("drifted.yml"));
    assert_eq!(t.baseline.as_ref().unwrap().source, fx("good.yml"));
    assert!(t.changes.unwrap() > 0);
    assert!(t.text_diff.as_ref().unwrap().contains("+  level: debug"));
    let auth = diff.only("RD-AUTH-001");
    assert_eq!(auth.direction, Dir::Weakens);
    assert_eq!(auth.severity, Sev::Critical);
    assert!(
        auth.before.as_deref().unwrap().contains("htpasswd"),
        "{auth:?}"
    );
    let url = diff.only("RD-AUD-006");
    assert_eq!(url.path, "notifications.endpoints[name=audit].url");
    assert_eq!(
        url.before.as_deref().map(|s| s.trim_matches('"')),
        Some("https://audit.example.com/events")
    );
    assert_eq!(
        url.after.as_deref().map(|s| s.trim_matches('"')),
        Some("https://collector.example.net/events")
    );
    match &url.location {
        JsonLocation::File { path, line, .. } => {
            assert_eq!(path, &fx("drifted.yml"));
            assert_eq!(*line, 16);
        }
        other => panic!("{other:?}"),
    }
    // A strengthening finding in the other direction.
    let (_, back) = json_run(&["diff", &fx("drifted.yml"), &fx("good.yml")], "diff");
    let resolved = back.only("RD-AUTH-001");
    assert_eq!(resolved.direction, Dir::Strengthens);
    assert_eq!(resolved.severity, Sev::Info);
}

#[test]
fn json_locations_are_file_env_or_default() {
    let dir = tempdir();
    let env = write(
        dir.path(),
        "registry.env",
        "# debug listener for the on-call\nREGISTRY_HTTP_DEBUG_ADDR=0.0.0.0:5001\n",
    );
    let (_, r) = json_run(
        &[
            "lint",
            &fx("good.yml"),
            "--env-file",
            p(&env),
            "--env",
            "REGISTRY_AUTH=",
            "--env",
            "REGISTRY_LOG_LEVEL=",
        ],
        "lint",
    );
    let debug = r.only("RD-EXP-001");
    assert_eq!(
        debug.location,
        JsonLocation::Env {
            var: "REGISTRY_HTTP_DEBUG_ADDR".into(),
            file: Some(p(&env).to_string()),
            line: Some(2)
        }
    );
    assert_eq!(
        r.only("RD-AUTH-001").location,
        JsonLocation::Env {
            var: "REGISTRY_AUTH".into(),
            file: None,
            line: None
        }
    );
    assert!(
        r.findings().any(|f| f.location
            == JsonLocation::Default {
                path: fx("good.yml")
            }),
        "REGISTRY_LOG_LEVEL= leaves log.level to its default: {:#?}",
        r.targets[0].findings
    );
    assert!(r.findings().any(
        |f| matches!(&f.location, JsonLocation::File { path, .. } if *path == fx("good.yml"))
    ));
}

#[test]
fn the_exit_status_is_summary_exit_code_in_every_json_run() {
    let dir = tempdir();
    let expired = waiver_with_expiry(dir.path(), "2020-01-01");
    let (good, drifted) = (fx("good.yml"), fx("drifted.yml"));
    let waived = fx("waiver-http-secret.yml");
    let expired = p(&expired);
    let scenarios: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["lint", &good], "lint", 1),
        (vec!["lint", &good, "--fail-on", "medium"], "lint", 0),
        (vec!["lint", &good, "--waivers", &waived], "lint", 0),
        (vec!["lint", &good, "--waivers", expired], "lint", 1),
        (vec!["lint", &drifted], "lint", 1),
        (vec!["diff", &good, &good], "diff", 0),
        (vec!["diff", &good, &drifted], "diff", 1),
        // Back from drifted to good: auth and TLS come back (info), but the audit URL and the
        // storage root change again (high, medium).
        (vec!["diff", &drifted, &good], "diff", 1),
        (
            vec!["diff", &drifted, &good, "--fail-on", "critical"],
            "diff",
            0,
        ),
    ];
    for (args, command, want) in scenarios {
        let (out, r) = json_run(&args, command);
        expect_code(&out, want, &format!("{args:?}"));
        assert_eq!(r.summary.exit_code, want);
    }
}

fn fingerprints(r: &JsonReport) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = r
        .findings()
        .map(|f| (f.rule_id.clone(), f.path.clone(), f.fingerprint.clone()))
        .collect();
    v.sort();
    v
}

fn file_lines(r: &JsonReport) -> BTreeMap<String, u32> {
    r.findings()
        .filter_map(|f| match &f.location {
            JsonLocation::File { line, .. } => Some((f.fingerprint.clone(), *line)),
            _ => None,
        })
        .collect()
}

#[test]
fn fingerprints_are_stable_across_runs_and_line_shifts() {
    const SHIFT: u32 = 7;
    let dir = tempdir();
    let baseline = write(dir.path(), "baseline.yml", &read(&fixture("good.yml")));
    let deployed_text = read(&fixture("drifted.yml"));
    let deployed = write(dir.path(), "deployed.yml", &deployed_text);
    let diff = ["diff", p(&baseline), p(&deployed)];
    let lint = ["lint", p(&deployed)];

    let (_, d1) = json_run(&diff, "diff");
    let (_, d2) = json_run(&diff, "diff");
    let (_, l1) = json_run(&lint, "lint");
    let (_, l2) = json_run(&lint, "lint");
    assert!(d1.findings().count() >= 5 && l1.findings().count() >= 4);
    assert_eq!(fingerprints(&d1), fingerprints(&d2), "diff, two runs");
    assert_eq!(fingerprints(&l1), fingerprints(&l2), "lint, two runs");
    for r in [&d1, &l1] {
        let unique: BTreeSet<_> = r.findings().map(|f| &f.fingerprint).collect();
        assert_eq!(
            unique.len(),
            r.findings().count(),
            "fingerprints are unique in a report: {:#?}",
            fingerprints(r)
        );
    }

    // Only line numbers move: comments inserted at the top of the deployed file.
    let comments: String = (0..SHIFT)
        .map(|i| format!("# change ticket OPS-{i}\n"))
        .collect();
    std::fs::write(&deployed, format!("{comments}{deployed_text}")).unwrap();
    let (_, d3) = json_run(&diff, "diff");
    let (_, l3) = json_run(&lint, "lint");
    assert_eq!(
        fingerprints(&d1),
        fingerprints(&d3),
        "diff after a line shift"
    );
    assert_eq!(
        fingerprints(&l1),
        fingerprints(&l3),
        "lint after a line shift"
    );
    for (before, after) in [(&d1, &d3), (&l1, &l3)] {
        let (b, a) = (file_lines(before), file_lines(after));
        assert_eq!(b.len(), a.len());
        for (fp, line) in &b {
            assert_eq!(
                a[fp],
                line + SHIFT,
                "finding {fp} moved by the inserted comment lines"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. SARIF

fn sarif_run(args: &[&str]) -> (Output, Value) {
    let mut a = args.to_vec();
    a.extend(["--format", "sarif"]);
    let out = run(&a);
    assert_no_panic(&out);
    assert_ne!(code(&out), 2, "run failed: {}", stderr_of(&out));
    let v = serde_json::from_str(&stdout_of(&out)).expect("SARIF is JSON");
    (out, v)
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"]
        .as_array()
        .expect("runs[0].results is an array")
}

/// The structure code scanning relies on, and agreement with the JSON report of the same run.
fn check_sarif(args: &[&str], rules: &[RuleDoc]) -> (i32, Value) {
    let (out, sarif) = sarif_run(args);
    let command = args[0];
    let (json_out, json) = json_run(args, command);
    assert_eq!(code(&out), code(&json_out), "SARIF and JSON runs agree");

    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0")),
        "$schema"
    );
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "regdrift");
    assert!(driver["version"].is_string());

    // Every rule declared once, in the table's order, with what code scanning requires.
    let declared = driver["rules"].as_array().expect("driver.rules");
    let ids: Vec<&str> = declared.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, expected, "driver.rules declares every rule once");
    for (d, rule) in declared.iter().zip(rules) {
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(
                d[field]["text"]
                    .as_str()
                    .is_some_and(|t| !t.trim().is_empty()),
                "{} has no {field}.text",
                rule.id
            );
        }
        assert_eq!(d["name"], rule.slug.as_str());
        assert_eq!(
            d["defaultConfiguration"]["level"],
            rule.severity.sarif_level(),
            "{}",
            rule.id
        );
        let sec: f64 = d["properties"]["security-severity"]
            .as_str()
            .expect("security-severity is a string")
            .parse()
            .expect("security-severity is a number");
        assert!((0.0..=10.0).contains(&sec), "{}", rule.id);
    }

    // Results: the JSON findings at or above --fail-on, waived ones suppressed.
    let fail_on = json.summary.fail_on;
    let mut want: Vec<(String, String, &str, bool)> = json
        .findings()
        .filter(|f| f.severity >= fail_on)
        .map(|f| {
            (
                f.fingerprint.clone(),
                f.rule_id.clone(),
                f.severity.sarif_level(),
                f.waived.is_some(),
            )
        })
        .collect();
    want.sort();
    let mut got = Vec::new();
    for r in results(&sarif) {
        let rule_id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            declared.get(index).map(|d| &d["id"]),
            Some(&Value::from(rule_id)),
            "ruleIndex {index} points at {rule_id}"
        );
        let level = r["level"].as_str().expect("level");
        let sev: Sev = serde_json::from_value(r["properties"]["severity"].clone())
            .expect("properties.severity");
        assert_eq!(level, sev.sarif_level(), "level of {rule_id} ({sev:?})");
        assert!(
            sev >= fail_on,
            "{rule_id} ({sev:?}) is below --fail-on {fail_on:?}"
        );
        assert!(
            r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()),
            "message.text"
        );
        let locs = r["locations"].as_array().expect("locations");
        assert!(!locs.is_empty());
        for l in locs {
            let pl = &l["physicalLocation"];
            let uri = pl["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(
                !uri.is_empty() && is_uri_reference(uri),
                "artifactLocation.uri {uri:?}"
            );
            let line = pl["region"]["startLine"].as_u64().expect("startLine");
            assert!(line >= 1, "startLine {line}");
            if let Some(col) = pl["region"]["startColumn"].as_u64() {
                assert!(col >= 1, "startColumn {col}");
            }
        }
        let pf = r["partialFingerprints"]
            .as_object()
            .expect("partialFingerprints");
        assert!(
            !pf.is_empty()
                && pf
                    .values()
                    .all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        );
        let fp = pf["regdrift/v1"].as_str().expect("regdrift/v1").to_string();
        let suppressed = r["suppressions"].as_array().is_some_and(|s| !s.is_empty());
        got.push((fp, rule_id.to_string(), level, suppressed));
    }
    got.sort();
    assert_eq!(
        got, want,
        "SARIF results are the JSON findings at or above --fail-on"
    );

    let unsuppressed = got.iter().filter(|r| !r.3).count();
    assert_eq!(
        code(&out),
        i32::from(unsuppressed > 0),
        "exit status 1 iff some unsuppressed result"
    );
    (code(&out), sarif)
}

#[test]
fn sarif_declares_every_rule_and_its_results_match_the_json_report() {
    let rules = rules_json();
    let dir = tempdir();
    let env = write(
        dir.path(),
        "registry.env",
        "REGISTRY_HTTP_DEBUG_ADDR=0.0.0.0:5001\n\nREGISTRY_LOG_LEVEL=\n",
    );
    let good = fx("good.yml");
    let drifted = fx("drifted.yml");
    let waivers = fx("waiver-http-secret.yml");
    let (_, s) = check_sarif(&["lint", &drifted, "--fail-on", "info"], &rules);
    assert!(!results(&s).is_empty());
    check_sarif(&["diff", &good, &drifted], &rules);
    check_sarif(&["diff", &drifted, &good, "--fail-on", "info"], &rules);
    let (_, s) = check_sarif(
        &[
            "lint",
            &good,
            "--env-file",
            p(&env),
            "--env",
            "REGISTRY_AUTH=",
        ],
        &rules,
    );
    // An env-file finding points into the env file, at the variable's line.
    let debug = results(&s)
        .iter()
        .find(|r| r["ruleId"] == "RD-EXP-001")
        .expect("RD-EXP-001 result");
    let pl = &debug["locations"][0]["physicalLocation"];
    assert_eq!(pl["region"]["startLine"], 1);
    assert!(
        pl["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("registry.env")
    );
    assert!(
        debug["message"]["text"]
            .as_str()
            .unwrap()
            .contains("REGISTRY_HTTP_DEBUG_ADDR")
    );
    // A waived finding is a suppressed result and does not fail the run.
    let (exit, s) = check_sarif(&["lint", &good, "--waivers", &waivers], &rules);
    assert_eq!(exit, 0);
    assert_eq!(results(&s).len(), 1);
    assert_eq!(results(&s)[0]["suppressions"][0]["kind"], "external");
}

#[test]
fn sarif_results_follow_fail_on_consistently_with_the_exit_status() {
    let rules = rules_json();
    let good = fx("good.yml");
    let drifted = fx("drifted.yml");
    for fail_on in ["info", "low", "medium", "high", "critical"] {
        let (exit, s) = check_sarif(&["lint", &drifted, "--fail-on", fail_on], &rules);
        assert_eq!(exit, 1);
        let floor: Sev = serde_json::from_value(Value::from(fail_on)).unwrap();
        for r in results(&s) {
            let sev: Sev = serde_json::from_value(r["properties"]["severity"].clone()).unwrap();
            assert!(sev >= floor, "--fail-on {fail_on} listed a {sev:?} result");
        }
        check_sarif(&["diff", &good, &drifted, "--fail-on", fail_on], &rules);
    }
    // Nothing at or above critical: no results and exit status 0.
    let (exit, s) = check_sarif(&["lint", &good, "--fail-on", "critical"], &rules);
    assert_eq!(exit, 0);
    assert!(results(&s).is_empty());
    // With --fail-on high, no result is below high.
    let (_, s) = check_sarif(&["diff", &good, &drifted, "--fail-on", "high"], &rules);
    let levels: BTreeSet<&str> = results(&s)
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, BTreeSet::from(["error"]));
}

/// An RFC 3986 URI reference to a file, as code scanning and the SARIF validator accept it: only
/// characters of the URI grammar, `%` only as a percent-escape, and no `?` or `#` (they would turn
/// the rest of a file name into a query or a fragment).
fn is_uri_reference(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
            | b',' | b';' | b'=' | b':' | b'@' | b'/' => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

#[test]
fn sarif_artifact_uris_are_percent_encoded_uri_references() {
    let dir = tempdir();
    let sub = dir.path().join("team configs");
    std::fs::create_dir(&sub).unwrap();
    let deployed = write(&sub, "deployed #2 100%.yml", &read(&fixture("drifted.yml")));
    for path in [
        "team configs/deployed #2 100%.yml".to_string(),
        p(&deployed).to_string(),
    ] {
        let out = regdrift()
            .current_dir(dir.path())
            .args(["lint", &path, "--format", "sarif"])
            .output()
            .unwrap();
        expect_code(&out, 1, "lint with a path that needs escaping");
        let sarif: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
        let uris: BTreeSet<String> = results(&sarif)
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert!(!uris.is_empty());
        for uri in uris {
            assert!(
                is_uri_reference(&uri),
                "artifactLocation.uri {uri:?} (for the file {path:?}) is not a valid URI \
                 reference: spaces, '#' and '%' in a path must be percent-encoded \
                 (Sarif.Multitool reports SARIF1002 Error_UrisMustConformToRfc3986)"
            );
        }
    }
}

// The SARIF Multitool (Microsoft's validator: the SARIF 2.1.0 JSON schema plus SARIF and GitHub
// ingestion rules).

fn multitool() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("REGDRIFT_SARIF_MULTITOOL") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "REGDRIFT_SARIF_MULTITOOL={} is not a file",
                p.display()
            ))
        };
    }
    let os = if cfg!(target_os = "macos") {
        "darwin"
    } else if cfg!(windows) {
        "win32"
    } else {
        "linux"
    };
    let exe = if cfg!(windows) {
        "Sarif.Multitool.exe"
    } else {
        "Sarif.Multitool"
    };
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("node_modules/@microsoft")
        .join(format!("sarif-multitool-{os}"))
        .join(exe);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} does not exist", p.display()))
    }
}

/// One validator finding: (ruleId, level, message arguments, the file it is about).
type Diagnostic = (String, String, String, String);

fn validate(
    tool: &Path,
    files: &[PathBuf],
    rule_kind: Option<&str>,
    out: &Path,
) -> Vec<Diagnostic> {
    let mut c = Command::new(tool);
    c.arg("validate")
        .args(files)
        .arg("-o")
        .arg(out)
        .args(["--log", "ForceOverwrite", "--level", "Error;Warning;Note"])
        // A fresh machine may lack libicu; the validator does not need culture data.
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
    if let Some(k) = rule_kind {
        c.args(["--rule-kind", k]);
    }
    let o = c.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {}: {e} (npm 11 skips the package's `chmod u+x` postinstall; if the file \
             is not executable, chmod u+x it)",
            tool.display()
        )
    });
    assert!(
        o.status.success(),
        "Sarif.Multitool validate failed ({:?}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let log: Value = serde_json::from_str(&read(out)).expect("validator output is JSON");
    let run = &log["runs"][0];
    for inv in run["invocations"].as_array().into_iter().flatten() {
        assert_eq!(
            inv["executionSuccessful"], true,
            "the validator did not run to completion: {inv:#}"
        );
        for key in [
            "toolExecutionNotifications",
            "toolConfigurationNotifications",
        ] {
            for n in inv[key].as_array().into_iter().flatten() {
                assert_ne!(n["level"], "error", "validator {key}: {n:#}");
            }
        }
    }
    run["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let file = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let args = r["message"]["arguments"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or("").to_string())
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .or_else(|| r["message"]["text"].as_str().map(str::to_string))
                .unwrap_or_default();
            (
                r["ruleId"].as_str().unwrap_or("?").to_string(),
                r["level"].as_str().unwrap_or("warning").to_string(),
                args,
                file,
            )
        })
        .collect()
}

#[test]
fn sarif_is_valid_sarif_2_1_0_for_the_sarif_multitool_and_github_rules() {
    let tool = match multitool() {
        Ok(t) => t,
        Err(why) => {
            let msg = format!(
                "the SARIF validator is not installed ({why}); run `npm install --no-save \
                 @microsoft/sarif-multitool` at the repository root, or set \
                 REGDRIFT_SARIF_MULTITOOL to the Sarif.Multitool executable"
            );
            if std::env::var("REGDRIFT_REQUIRE_VALIDATORS").as_deref() == Ok("1") {
                panic!("REGDRIFT_REQUIRE_VALIDATORS=1: {msg}");
            }
            eprintln!("skipping SARIF schema validation: {msg}");
            return;
        }
    };
    let dir = tempdir();
    let d = dir.path();
    let env = write(d, "registry.env", "REGISTRY_HTTP_DEBUG_ADDR=0.0.0.0:5001\n");
    let expired = waiver_with_expiry(d, "2020-01-01");
    let secrets_pair = {
        let mut s = Secrets::default();
        let pair = secret_pairs(&mut s).remove(0);
        pair.write(d)
    };
    let good = fx("good.yml");
    let drifted = fx("drifted.yml");
    let reports: Vec<(&str, Vec<String>)> = vec![
        (
            "lint-drifted",
            vec![
                "lint".into(),
                drifted.clone(),
                "--fail-on".into(),
                "info".into(),
            ],
        ),
        ("diff", vec!["diff".into(), good.clone(), drifted.clone()]),
        (
            "diff-back",
            vec![
                "diff".into(),
                drifted.clone(),
                good.clone(),
                "--fail-on".into(),
                "info".into(),
            ],
        ),
        (
            "lint-env",
            vec![
                "lint".into(),
                good.clone(),
                "--env-file".into(),
                p(&env).into(),
                "--env".into(),
                "REGISTRY_LOG_LEVEL=".into(),
            ],
        ),
        (
            "lint-waived",
            vec![
                "lint".into(),
                good.clone(),
                "--waivers".into(),
                fx("waiver-http-secret.yml"),
                "--fail-on".into(),
                "info".into(),
            ],
        ),
        (
            "lint-expired",
            vec![
                "lint".into(),
                good.clone(),
                "--waivers".into(),
                p(&expired).into(),
            ],
        ),
        (
            "lint-empty",
            vec![
                "lint".into(),
                good.clone(),
                "--fail-on".into(),
                "critical".into(),
            ],
        ),
        (
            "diff-secrets",
            secrets_pair.diff_args(&["--fail-on", "info"]),
        ),
    ];
    let mut files = Vec::new();
    for (name, args) in &reports {
        let file = d.join(format!("{name}.sarif"));
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--format", "sarif", "-o", p(&file)]);
        let out = run(&a);
        assert!([0, 1].contains(&code(&out)), "{name}: {}", stderr_of(&out));
        files.push(file);
    }
    // A canary the validator must reject (a driver without a name), so a validator that checks
    // nothing cannot pass this test.
    let canary = write(
        d,
        "canary.sarif",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}"#,
    );
    files.push(canary);

    let started = std::time::Instant::now();
    for rule_kind in [None, Some("Gh;Sarif")] {
        let out = d.join("validation.sarif");
        let diags = validate(&tool, &files, rule_kind, &out);
        let label = rule_kind.unwrap_or("default rules");
        let (canary_diags, diags): (Vec<_>, Vec<_>) = diags
            .into_iter()
            .partition(|x| x.3.ends_with("canary.sarif"));
        assert!(
            canary_diags.iter().any(|x| x.1 == "error"),
            "{label}: the validator did not reject the canary: {canary_diags:?}"
        );
        let errors: Vec<_> = diags.iter().filter(|x| x.1 == "error").collect();
        let mut by_rule: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
        for (rule, level, args, _) in &diags {
            let e = by_rule
                .entry((level.clone(), rule.clone()))
                .or_insert((0, args.clone()));
            e.0 += 1;
        }
        eprintln!("Sarif.Multitool ({label}) on {} reports:", files.len() - 1);
        for ((level, rule), (n, example)) in &by_rule {
            eprintln!("  {level:<7} {rule:<10} x{n:<4} e.g. {example}");
        }
        assert!(
            errors.is_empty(),
            "Sarif.Multitool ({label}) found errors:\n{errors:#?}"
        );
    }
    eprintln!("validation took {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// 5. Markdown

const BODY_LIMIT: usize = 65_536;

#[test]
fn markdown_puts_the_summary_table_first_then_details_and_the_diff() {
    let out = run(&[
        "diff",
        &fx("good.yml"),
        &fx("drifted.yml"),
        "--format",
        "markdown",
    ]);
    expect_code(&out, 1, "markdown diff");
    let md = stdout_of(&out);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "## regdrift diff");
    assert!(
        lines[2].starts_with("**2** critical, **2** high, **1** medium, **1** low, **0** info"),
        "{}",
        lines[2]
    );
    let table = md
        .find("| Severity | Rule | Target | Key | Location | Finding |")
        .expect("table");
    let details = md.find("### ").expect("details");
    let diff = md.find("<details>").expect("the redacted diff");
    assert!(
        table < details && details < diff,
        "table, then details, then diff"
    );
    assert!(md.contains("### RD-AUTH-001 Authentication is off (critical)"));
    assert!(md.contains("```diff\n"));
    assert!(!md.contains("more findings are not listed") && !md.contains("are left out"));
}

fn huge_config(tag: &str, fields: usize, endpoints: usize) -> String {
    let mut s = String::from("version: 0.1\nlog:\n  level: info\n  fields:\n");
    for i in 0..fields {
        s.push_str(&format!("    field{i:05}: {tag}-value-{i}\n"));
    }
    s.push_str(
        "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\nnotifications:\n  endpoints:\n",
    );
    for i in 0..endpoints {
        s.push_str(&format!(
            "    - name: endpoint{i:05}\n      url: https://{tag}-{i}.example.com/events\n      timeout: 1s\n      threshold: 5\n      backoff: 1s\n"
        ));
    }
    s
}

#[test]
fn markdown_stays_under_the_github_body_limit_for_a_huge_drift_and_says_it_truncated() {
    // 2,000 changed keys, enough for a body several times the limit. Not more: `diff` takes time
    // quadratic in the number of changes (about 6 s for 2,000 in a debug build).
    const FIELDS: usize = 1500;
    const ENDPOINTS: usize = 500;
    let dir = tempdir();
    let base = write(
        dir.path(),
        "baseline.yml",
        &huge_config("base", FIELDS, ENDPOINTS),
    );
    let dep = write(
        dir.path(),
        "deployed.yml",
        &huge_config("deployed", FIELDS, ENDPOINTS),
    );
    let (md_out, json) = std::thread::scope(|s| {
        let md = s.spawn(|| run(&["diff", p(&base), p(&dep), "--format", "markdown"]));
        let json = s.spawn(|| json_run(&["diff", p(&base), p(&dep)], "diff").1);
        (md.join().unwrap(), json.join().unwrap())
    });
    expect_code(&md_out, 1, "markdown of a huge drift");
    assert!(json.findings().count() >= FIELDS + ENDPOINTS);
    let md = stdout_of(&md_out);
    assert!(
        md.chars().count() <= BODY_LIMIT,
        "{} characters",
        md.chars().count()
    );
    assert!(md.len() <= BODY_LIMIT, "{} bytes", md.len());
    assert!(md.len() > BODY_LIMIT / 2, "the budget is used, not wasted");
    let note = md
        .find("more findings are not listed")
        .or_else(|| md.find("are left out"))
        .expect("the Markdown says it truncated");
    assert!(md[note..].contains(&BODY_LIMIT.to_string()));
    // Summary first: title, counts (all of them, not just the listed ones), then the table.
    let c = &json.summary.counts;
    let counts = format!(
        "**{}** critical, **{}** high, **{}** medium, **{}** low, **{}** info; {} at or above `low`.",
        c.critical, c.high, c.medium, c.low, c.info, json.summary.failing
    );
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "## regdrift diff");
    assert_eq!(lines[2], counts);
    assert_eq!(
        lines[4],
        "| Severity | Rule | Target | Key | Location | Finding |"
    );
    let rows = md.lines().filter(|l| l.starts_with("| ")).count() - 1;
    assert!(rows > 50, "{rows} rows");
    assert!(
        note > md.rfind("\n| ").unwrap(),
        "the note follows the table"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Secrets never reach any output

/// Distinct, recognisable secret values: `S3CRET-<key>-<random>`; the random part uses letters
/// that never occur in hex digests.
#[derive(Default)]
struct Secrets(Vec<String>);

fn random_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let mut x = h.finish();
    const ALPHABET: &[u8] = b"GHJKLMNPQRSTUVWXYZ";
    (0..12)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize];
            x /= ALPHABET.len() as u64;
            c as char
        })
        .collect()
}

impl Secrets {
    fn plant(&mut self, key: &str) -> String {
        let v = format!("S3CRET-{key}-{}", random_tag());
        self.0.push(v.clone());
        v
    }

    fn assert_absent(&self, what: &str, text: &str) {
        let show = |at: usize| {
            let start = text[..at]
                .char_indices()
                .rev()
                .nth(100)
                .map_or(0, |(i, _)| i);
            text[start..].chars().take(250).collect::<String>()
        };
        if let Some(at) = text.find("S3CRET") {
            panic!(
                "{what}: a secret value is in the output:\n...{}...",
                show(at)
            );
        }
        for s in &self.0 {
            let tail = s.rsplit('-').next().unwrap();
            if let Some(at) = text.find(tail) {
                panic!(
                    "{what}: part of the secret {s} is in the output:\n...{}...",
                    show(at)
                );
            }
        }
    }
}

/// A baseline and a deployed config (and their environments) full of secrets that differ.
struct SecretPair {
    name: &'static str,
    version: &'static str,
    baseline: String,
    deployed: String,
    baseline_env: String,
    deployed_env: String,
    /// `--env` assignments for the deployed registry.
    cli_env: Vec<String>,
}

struct WrittenPair {
    version: &'static str,
    baseline: PathBuf,
    deployed: PathBuf,
    baseline_env: PathBuf,
    deployed_env: PathBuf,
    cli_env: Vec<String>,
}

impl SecretPair {
    fn write(&self, dir: &Path) -> WrittenPair {
        let n = self.name;
        WrittenPair {
            version: self.version,
            baseline: write(dir, &format!("{n}-baseline.yml"), &self.baseline),
            deployed: write(dir, &format!("{n}-deployed.yml"), &self.deployed),
            baseline_env: write(dir, &format!("{n}-baseline.env"), &self.baseline_env),
            deployed_env: write(dir, &format!("{n}-deployed.env"), &self.deployed_env),
            cli_env: self.cli_env.clone(),
        }
    }
}

impl WrittenPair {
    fn version_args(&self) -> Vec<String> {
        vec!["--registry-version".into(), self.version.into()]
    }

    fn deployed_env_args(&self) -> Vec<String> {
        let mut a = vec!["--env-file".to_string(), p(&self.deployed_env).into()];
        for e in &self.cli_env {
            a.extend(["--env".to_string(), e.clone()]);
        }
        a
    }

    fn lint_baseline_args(&self) -> Vec<String> {
        let mut a = vec![
            "lint".to_string(),
            p(&self.baseline).into(),
            "--env-file".into(),
            p(&self.baseline_env).into(),
        ];
        a.extend(self.version_args());
        a
    }

    fn lint_deployed_args(&self) -> Vec<String> {
        let mut a = vec!["lint".to_string(), p(&self.deployed).into()];
        a.extend(self.deployed_env_args());
        a.extend(self.version_args());
        a
    }

    fn diff_args(&self, extra: &[&str]) -> Vec<String> {
        let mut a = vec![
            "diff".to_string(),
            p(&self.baseline).into(),
            p(&self.deployed).into(),
            "--baseline-env-file".into(),
            p(&self.baseline_env).into(),
        ];
        a.extend(self.deployed_env_args());
        a.extend(self.version_args());
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    fn show_args(&self, deployed: bool) -> Vec<String> {
        let mut a = vec!["show".to_string()];
        if deployed {
            a.push(p(&self.deployed).into());
            a.extend(self.deployed_env_args());
        } else {
            a.push(p(&self.baseline).into());
            a.extend(["--env-file".to_string(), p(&self.baseline_env).into()]);
        }
        a.extend(self.version_args());
        a
    }
}

/// registry:3 with S3, redis, proxy, notifications, health checks, a mail hook and token auth.
fn s3_config(s: &mut Secrets, side: &str) -> String {
    format!(
        r#"version: 0.1
log:
  level: info
  fields:
    service: registry
    apitoken: {logtoken}
  hooks:
    - type: mail
      levels: [panic]
      options:
        smtp:
          addr: mail.example.com:25
          username: mailuser
          password: {smtp}
        from: registry@example.com
        to: [ops@example.com]
storage:
  s3:
    region: us-east-1
    bucket: registry-bucket
    accesskey: AKIAEXAMPLEACCESS
    secretkey: {s3}
    regionendpoint: https://minio:{s3url}@minio.example.com:9000
http:
  addr: :5000
  secret: {http}
  tls:
    certificate: /certs/domain.crt
    key: /certs/domain.key
redis:
  addrs: [redis:6379]
  password: {redis}
  sentinelpassword: {sentinel}
proxy:
  remoteurl: https://proxyuser:{remoteurl}@upstream.example.com
  username: proxyuser
  password: {proxy}
notifications:
  endpoints:
    - name: audit
      url: https://hook:{notifyurl}@listener.example.com/event?token={notifyquery}
      headers:
        Authorization: [Bearer {notifyhdr}]
        X-Api-Key: [{notifykey}]
      timeout: 1s
      threshold: 10
      backoff: 1s
health:
  storagedriver:
    enabled: true
  http:
    - uri: https://probe:{healthurl}@health.example.com/ping?key={healthquery}
      headers:
        Authorization: [Basic {healthhdr}]
      statuscode: 200
auth:
  token:
    realm: https://auth.example.com/token
    service: registry
    issuer: auth.example.com
    rootcertbundle: /certs/bundle.pem
    clientsecret: {clientsecret}
"#,
        logtoken = s.plant(&format!("logfield-{side}")),
        smtp = s.plant(&format!("smtp-{side}")),
        s3 = s.plant(&format!("s3-{side}")),
        s3url = s.plant(&format!("s3url-{side}")),
        http = s.plant(&format!("http-{side}")),
        redis = s.plant(&format!("redis-{side}")),
        sentinel = s.plant(&format!("sentinel-{side}")),
        remoteurl = s.plant(&format!("remoteurl-{side}")),
        proxy = s.plant(&format!("proxy-{side}")),
        notifyurl = s.plant(&format!("notifyurl-{side}")),
        notifyquery = s.plant(&format!("notifyquery-{side}")),
        notifyhdr = s.plant(&format!("notifyhdr-{side}")),
        notifykey = s.plant(&format!("notifykey-{side}")),
        healthurl = s.plant(&format!("healthurl-{side}")),
        healthquery = s.plant(&format!("healthquery-{side}")),
        healthhdr = s.plant(&format!("healthhdr-{side}")),
        clientsecret = s.plant(&format!("clientsecret-{side}")),
    )
}

fn azure_config(s: &mut Secrets, side: &str) -> String {
    format!(
        r#"version: 0.1
storage:
  azure:
    accountname: registryacct
    accountkey: {key}
    container: registry
    realm: core.windows.net
    serviceurl: https://registryacct:{url}@registryacct.blob.core.windows.net
    connectionstring: DefaultEndpointsProtocol=https;AccountName=registryacct;AccountKey={conn};EndpointSuffix=core.windows.net
    credentials:
      type: client_secret
      clientid: 00000000-0000-0000-0000-000000000000
      tenantid: 11111111-1111-1111-1111-111111111111
      secret: {secret}
http:
  addr: :5000
  secret: {http}
auth:
  htpasswd:
    realm: basic-realm
    path: /auth/htpasswd
"#,
        key = s.plant(&format!("azkey-{side}")),
        url = s.plant(&format!("azurl-{side}")),
        conn = s.plant(&format!("azconn-{side}")),
        secret = s.plant(&format!("azsecret-{side}")),
        http = s.plant(&format!("http-{side}")),
    )
}

fn gcs_config(s: &mut Secrets, side: &str) -> String {
    format!(
        r#"version: 0.1
storage:
  gcs:
    bucket: registry-bucket
    rootdirectory: /registry
    credentials:
      type: service_account
      project_id: example-project
      private_key_id: {keyid}
      private_key: |
        -----BEGIN PRIVATE KEY-----
        {key}
        -----END PRIVATE KEY-----
      client_email: registry@example-project.iam.gserviceaccount.com
      client_id: "{clientid}"
      token_uri: https://oauth2.googleapis.com/token
http:
  addr: :5000
  secret: {http}
"#,
        keyid = s.plant(&format!("gcskeyid-{side}")),
        key = s.plant(&format!("gcskey-{side}")),
        clientid = s.plant(&format!("gcsclient-{side}")),
        http = s.plant(&format!("http-{side}")),
    )
}

/// registry:2.8 with swift, redis, bugsnag and New Relic.
fn v28_config(s: &mut Secrets, side: &str) -> String {
    format!(
        r#"version: 0.1
storage:
  swift:
    username: swiftuser
    password: {swiftpw}
    authurl: https://swiftuser:{swifturl}@keystone.example.com/v3
    tenant: registry
    container: registry
    secretkey: {swiftsecret}
http:
  addr: :5000
  secret: {http}
redis:
  addr: redis:6379
  password: {redis}
reporting:
  bugsnag:
    apikey: {bugsnag}
    releasestage: production
    endpoint: https://bug:{bugurl}@bugsnag.example.com/notify
  newrelic:
    licensekey: {newrelic}
    name: registry
proxy:
  remoteurl: https://proxyuser:{remoteurl}@upstream.example.com
  username: proxyuser
  password: {proxy}
notifications:
  endpoints:
    - name: audit
      url: https://listener.example.com/event
      headers:
        Authorization: [Bearer {notifyhdr}]
      timeout: 1s
      threshold: 10
      backoff: 1s
"#,
        swiftpw = s.plant(&format!("swiftpw-{side}")),
        swifturl = s.plant(&format!("swifturl-{side}")),
        swiftsecret = s.plant(&format!("swiftsecret-{side}")),
        http = s.plant(&format!("http-{side}")),
        redis = s.plant(&format!("redis-{side}")),
        bugsnag = s.plant(&format!("bugsnag-{side}")),
        bugurl = s.plant(&format!("bugurl-{side}")),
        newrelic = s.plant(&format!("newrelic-{side}")),
        remoteurl = s.plant(&format!("remoteurl-{side}")),
        proxy = s.plant(&format!("proxy-{side}")),
        notifyhdr = s.plant(&format!("notifyhdr-{side}")),
    )
}

fn oss_config(s: &mut Secrets, side: &str) -> String {
    format!(
        "version: 0.1\nstorage:\n  oss:\n    accesskeyid: LTAIEXAMPLE\n    accesskeysecret: {oss}\n    region: oss-cn-hangzhou\n    bucket: registry\nhttp:\n  addr: :5000\n  secret: {http}\n",
        oss = s.plant(&format!("oss-{side}")),
        http = s.plant(&format!("http-{side}")),
    )
}

fn env_file(s: &mut Secrets, side: &str, vars: &[&str]) -> String {
    let mut text = format!("# {side} registry environment\n");
    for v in vars {
        let value = s.plant(&format!(
            "env-{}-{side}",
            v.to_ascii_lowercase().replace('_', "")
        ));
        if v.ends_with("_HEADERS_AUTHORIZATION") {
            text.push_str(&format!("REGISTRY_{v}=[Bearer {value}]\n"));
        } else {
            text.push_str(&format!("REGISTRY_{v}={value}\n"));
        }
    }
    text
}

fn cli_env(s: &mut Secrets, vars: &[&str]) -> Vec<String> {
    vars.iter()
        .map(|v| {
            let value = s.plant(&format!("cli-{}", v.to_ascii_lowercase().replace('_', "")));
            // Some values are not valid YAML for their key: the registry would crash on them,
            // and the message about it must not quote them either.
            if let Some(name) = v.strip_prefix('[') {
                format!("REGISTRY_{name}=[{value}")
            } else {
                format!("REGISTRY_{v}={value}")
            }
        })
        .collect()
}

fn secret_pairs(s: &mut Secrets) -> Vec<SecretPair> {
    let env31 = [
        "HTTP_SECRET",
        "STORAGE_S3_SECRETKEY",
        "NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION",
    ];
    vec![
        SecretPair {
            name: "s3",
            version: "3.1",
            baseline: s3_config(s, "b"),
            deployed: s3_config(s, "d"),
            baseline_env: env_file(s, "b", &env31),
            deployed_env: env_file(s, "d", &env31),
            cli_env: cli_env(
                s,
                &[
                    "PROXY_PASSWORD",
                    "AUTH_TOKEN_CLIENTSECRET",
                    "HEALTH_HTTPCHECKERS_0_HEADERS_AUTHORIZATION",
                    "[REDIS_SENTINELPASSWORD",
                ],
            ),
        },
        SecretPair {
            name: "azure",
            version: "3.1",
            baseline: azure_config(s, "b"),
            deployed: azure_config(s, "d"),
            baseline_env: env_file(s, "b", &["HTTP_SECRET", "STORAGE_AZURE_ACCOUNTKEY"]),
            deployed_env: env_file(s, "d", &["HTTP_SECRET", "STORAGE_AZURE_ACCOUNTKEY"]),
            cli_env: cli_env(
                s,
                &[
                    "STORAGE_AZURE_CREDENTIALS_SECRET",
                    "NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION",
                ],
            ),
        },
        SecretPair {
            name: "gcs",
            version: "3.1",
            baseline: gcs_config(s, "b"),
            deployed: gcs_config(s, "d"),
            baseline_env: env_file(s, "b", &["HTTP_SECRET"]),
            deployed_env: env_file(s, "d", &["HTTP_SECRET"]),
            cli_env: cli_env(s, &["STORAGE_GCS_CREDENTIALS_PRIVATE_KEY", "[HTTP_SECRET"]),
        },
        SecretPair {
            name: "v28",
            version: "2.8",
            baseline: v28_config(s, "b"),
            deployed: v28_config(s, "d"),
            baseline_env: env_file(s, "b", &["HTTP_SECRET", "REDIS_PASSWORD"]),
            deployed_env: env_file(
                s,
                "d",
                &[
                    "HTTP_SECRET",
                    "REDIS_PASSWORD",
                    "REPORTING_NEWRELIC_LICENSEKEY",
                ],
            ),
            cli_env: cli_env(s, &["REPORTING_BUGSNAG_APIKEY", "STORAGE_SWIFT_PASSWORD"]),
        },
        SecretPair {
            name: "oss",
            version: "2.8",
            baseline: oss_config(s, "b"),
            deployed: oss_config(s, "d"),
            baseline_env: env_file(s, "b", &["STORAGE_OSS_ACCESSKEYSECRET"]),
            deployed_env: env_file(s, "d", &["HTTP_SECRET"]),
            cli_env: cli_env(s, &["STORAGE_OSS_ACCESSKEYSECRET"]),
        },
    ]
}

/// Runs `args` to stdout and again with `-o`, and checks neither stream nor the file holds a
/// secret. Returns the stdout of the first run.
fn run_without_leaks(secrets: &Secrets, dir: &Path, args: &[String], what: &str) -> String {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&a);
    assert_no_panic(&out);
    assert!(
        [0, 1].contains(&code(&out)),
        "{what}: the run did not complete:\n{}",
        stderr_of(&out)
    );
    let text = stdout_of(&out);
    assert!(!text.is_empty(), "{what}: no output");
    secrets.assert_absent(&format!("{what}: stdout"), &text);
    secrets.assert_absent(&format!("{what}: stderr"), &stderr_of(&out));

    let file = dir.join("output");
    let mut a = a.clone();
    a.extend(["-o", p(&file)]);
    let out = run(&a);
    assert!(
        [0, 1].contains(&code(&out)),
        "{what} -o: {}",
        stderr_of(&out)
    );
    secrets.assert_absent(&format!("{what} -o: stdout"), &stdout_of(&out));
    secrets.assert_absent(&format!("{what} -o: stderr"), &stderr_of(&out));
    secrets.assert_absent(&format!("{what}: the -o file"), &read(&file));
    text
}

#[test]
fn no_secret_value_reaches_stdout_stderr_or_the_output_file_in_any_format() {
    let mut secrets = Secrets::default();
    let pairs = secret_pairs(&mut secrets);
    assert!(secrets.0.len() > 80, "{} secrets planted", secrets.0.len());
    let dir = tempdir();
    let mut runs = 0;
    for pair in &pairs {
        let w = pair.write(dir.path());
        for (what, args) in [
            ("lint baseline", w.lint_baseline_args()),
            ("lint deployed", w.lint_deployed_args()),
            ("diff", w.diff_args(&["--fail-on", "info"])),
        ] {
            for format in FORMATS {
                let mut a = args.clone();
                a.extend(["--format".into(), format.into()]);
                let label = format!("{} {what} --format {format}", pair.name);
                let text = run_without_leaks(&secrets, dir.path(), &a, &label);
                if format == "json" && what == "diff" {
                    let r: JsonReport = serde_json::from_str(&text).unwrap();
                    assert!(
                        r.findings()
                            .any(|f| f.before.as_deref().is_some_and(|b| b.contains("redacted"))),
                        "{label}: the changed secrets show as redacted changes"
                    );
                }
                runs += 1;
            }
        }
        for deployed in [false, true] {
            for format in ["text", "json", "yaml"] {
                let mut a = w.show_args(deployed);
                a.extend(["--format".into(), format.into()]);
                let label = format!(
                    "{} show (deployed: {deployed}) --format {format}",
                    pair.name
                );
                run_without_leaks(&secrets, dir.path(), &a, &label);
                runs += 1;
            }
        }
    }
    assert_eq!(runs, pairs.len() * (3 * 4 + 2 * 3));
}

#[test]
fn a_changed_secret_is_visible_as_a_redacted_change() {
    let mut secrets = Secrets::default();
    let dir = tempdir();
    let config = |secret: &str| {
        format!(
            "{}http:\n  addr: :5000\n  secret: {secret}\n  tls:\n    certificate: /certs/domain.crt\n    key: /certs/domain.key\n",
            read(&fixture("good.yml")).split("http:\n").next().unwrap()
        )
    };
    let same = secrets.plant("http-same");
    let base = write(
        dir.path(),
        "baseline.yml",
        &config(&secrets.plant("http-b")),
    );
    let dep = write(
        dir.path(),
        "deployed.yml",
        &config(&secrets.plant("http-d")),
    );
    let unchanged = write(dir.path(), "unchanged-baseline.yml", &config(&same));
    let unchanged_dep = write(dir.path(), "unchanged-deployed.yml", &config(&same));

    let args = vec!["diff".to_string(), p(&base).into(), p(&dep).into()];
    let text = run_without_leaks(
        &secrets,
        dir.path(),
        &[args.clone(), vec!["--format".into(), "json".into()]].concat(),
        "diff of a changed http.secret",
    );
    let r: JsonReport = serde_json::from_str(&text).unwrap();
    let f = r
        .findings()
        .find(|f| f.path == "http.secret")
        .unwrap_or_else(|| panic!("no finding for http.secret: {:?}", fingerprints(&r)));
    let (before, after) = (f.before.as_deref().unwrap(), f.after.as_deref().unwrap());
    assert!(before.contains("redacted"), "before: {before}");
    assert!(after.contains("redacted"), "after: {after}");
    assert_ne!(before, after, "a changed secret shows as a change");
    assert!(
        matches!(f.location, JsonLocation::File { line: 10, .. }),
        "{:?}",
        f.location
    );

    // Through env files on both sides.
    let benv = write(
        dir.path(),
        "b.env",
        &format!("REGISTRY_HTTP_SECRET={}\n", secrets.plant("env-b")),
    );
    let denv = write(
        dir.path(),
        "d.env",
        &format!("\nREGISTRY_HTTP_SECRET={}\n", secrets.plant("env-d")),
    );
    let text = run_without_leaks(
        &secrets,
        dir.path(),
        &[
            "diff".into(),
            p(&unchanged).into(),
            p(&unchanged_dep).into(),
            "--baseline-env-file".into(),
            p(&benv).into(),
            "--env-file".into(),
            p(&denv).into(),
            "--format".into(),
            "json".into(),
        ],
        "diff of http.secret changed through env files",
    );
    let r: JsonReport = serde_json::from_str(&text).unwrap();
    let f = r
        .findings()
        .find(|f| f.path == "http.secret")
        .expect("http.secret finding");
    assert_ne!(f.before, f.after);
    assert!(f.before.as_deref().unwrap().contains("redacted"));
    assert_eq!(
        f.location,
        JsonLocation::Env {
            var: "REGISTRY_HTTP_SECRET".into(),
            file: Some(p(&denv).into()),
            line: Some(2)
        }
    );

    // An unchanged secret is not a change.
    let (out, r) = json_run(&["diff", p(&unchanged), p(&unchanged_dep)], "diff");
    expect_code(&out, 0, "identical secrets");
    assert!(
        r.findings().all(|f| f.path != "http.secret"),
        "{:?}",
        r.rule_ids()
    );
}

#[test]
fn malformed_env_lines_are_refused_without_echoing_their_values() {
    let mut secrets = Secrets::default();
    let dir = tempdir();
    let cases = [
        (
            "semicolon.env",
            format!(";REGISTRY_HTTP_SECRET={}\n", secrets.plant("semicolon")),
        ),
        ("no-name.env", format!("={}\n", secrets.plant("noname"))),
    ];
    for (name, text) in &cases {
        let file = write(dir.path(), name, text);
        let out = run(&["lint", &fx("good.yml"), "--env-file", p(&file)]);
        expect_error(&out, &[&format!("{}:1", p(&file))], name);
        secrets.assert_absent(&format!("{name}: stderr"), &stderr_of(&out));
    }
    let bad = format!("={}", secrets.plant("cli"));
    let out = run(&["lint", &fx("good.yml"), "--env", &bad]);
    expect_error(&out, &["--env"], "--env with no name");
    secrets.assert_absent("--env with no name: stderr", &stderr_of(&out));
}

// ---------------------------------------------------------------------------------------------
// 7. Rules and explain

#[test]
fn rules_lists_every_rule_id_exactly_once() {
    let rules = rules_json();
    assert!(rules.len() >= 70, "{} rules", rules.len());
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rules.len(), "rule ids are unique");
    let slugs: BTreeSet<&str> = rules.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs.len(), rules.len(), "slugs are unique");
    for r in &rules {
        assert!(
            !r.title.is_empty()
                && !r.why.is_empty()
                && !r.fix.is_empty()
                && !r.references.is_empty(),
            "{}",
            r.id
        );
        assert!(
            ["posture", "drift", "meta"].contains(&r.kind.as_str()),
            "{}",
            r.kind
        );
        assert!(!r.category.is_empty());
    }
    for id in [
        "RD-AUTH-001",
        "RD-DRIFT-001",
        "RD-DRIFT-002",
        "RD-WAIVER-001",
        "RD-WAIVER-002",
    ] {
        assert!(ids.contains(id), "{id}");
    }

    let out = run(&["rules"]);
    expect_code(&out, 0, "rules");
    let text = stdout_of(&out);
    let listed: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(listed.len(), rules.len(), "one line per rule");
    let json_ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(listed, json_ids, "the text list and the JSON list agree");
    for r in &rules {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{} ", r.id)))
            .unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            &words[1..4],
            &[r.slug.as_str(), r.category.as_str(), r.severity.as_str()]
        );
        assert!(line.ends_with(&r.title), "{line}");
    }
}

#[test]
fn explain_prints_a_rule_by_id_or_by_slug() {
    let by_id = run(&["explain", "RD-AUTH-001"]);
    expect_code(&by_id, 0, "explain RD-AUTH-001");
    let by_slug = run(&["explain", "auth-disabled"]);
    expect_code(&by_slug, 0, "explain auth-disabled");
    let text = stdout_of(&by_id);
    assert_eq!(
        text,
        stdout_of(&by_slug),
        "id and slug explain the same rule"
    );
    let rules = rules_json();
    let rule = rules.iter().find(|r| r.id == "RD-AUTH-001").unwrap();
    assert!(
        text.starts_with("RD-AUTH-001 auth-disabled (authentication, critical"),
        "{text}"
    );
    for part in [&rule.title, &rule.why, &rule.fix, &rule.references[0]] {
        assert!(
            text.contains(part.as_str()),
            "explain lacks {part:?}:\n{text}"
        );
    }
    assert!(text.contains("Why it matters:") && text.contains("How to fix:"));
    assert!(text.contains("- rule: RD-AUTH-001"), "how to waive it");
    // Ids are case-insensitive.
    let lower = run(&["explain", "rd-auth-001"]);
    expect_code(&lower, 0, "explain rd-auth-001");
    assert_eq!(stdout_of(&lower), text);
}

#[test]
fn explain_of_an_unknown_rule_exits_2() {
    for id in ["RD-NOPE", "auth-disable", ""] {
        let err = expect_error(&run(&["explain", id]), &[&format!("{id:?}")], id);
        assert!(err.contains("regdrift rules"), "points at the list: {err}");
    }
}
