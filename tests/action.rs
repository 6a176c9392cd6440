//! The composite GitHub Action (`action.yml`) run locally, step by step, the way the runner
//! runs it: each `run:` script under `bash --noprofile --norc -eo pipefail`, its `env:` with
//! the action's `${{ }}` expressions evaluated (inputs, earlier steps' outputs, the action
//! path), `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` pointing at fresh temp files per step, and
//! the first failing step ending the action. The fleet is real (signed baseline repository,
//! deployed configs) and `regdrift` is the built binary, found on PATH as the install step
//! expects. Checked: outputs against the JSON report (read with independent types), the SARIF
//! file, annotations (file and line, at most 10 per type, the rest counted), the job summary
//! under 1 MiB with a truncation note, the exit status, and that the token never appears.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value as Yaml;
use support::{BASELINE, Fleet, debug_open, deletes_on, file_target};

const TOKEN: &str = "ghs_TESTTOKEN0123456789never-print-me";
const SUMMARY_LIMIT: usize = 1024 * 1024;

fn action() -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).expect("action.yml is YAML")
}

fn keys(v: &Yaml) -> BTreeSet<String> {
    v.as_mapping()
        .expect("a mapping")
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A local runner for composite actions.

struct StepRun {
    id: String,
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

struct ActionRun {
    steps: Vec<StepRun>,
    outputs: BTreeMap<String, String>,
    /// The exit status of the first failing step, else 0.
    code: i32,
    /// RUNNER_TEMP and the step files (the report lives there).
    _files: tempfile::TempDir,
}

impl ActionRun {
    fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("step {id} did not run"))
    }
    fn everything(&self) -> String {
        let mut all = String::new();
        for s in &self.steps {
            all += &format!(
                "--- {} (exit {})\n{}\n{}\n{:?}\n{}\n",
                s.id, s.code, s.stdout, s.stderr, s.outputs, s.summary
            );
        }
        all
    }
    /// Annotation commands (`::error ...`) written by any step.
    fn annotations(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| s.stdout.lines())
            .filter(|l| {
                l.starts_with("::error") || l.starts_with("::warning") || l.starts_with("::notice")
            })
            .map(str::to_string)
            .collect()
    }
}

/// `$GITHUB_OUTPUT`: `name=value` lines and `name<<DELIM` heredocs.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_string(), value.join("\n"));
        } else {
            let (name, value) = line.split_once('=').expect("name=value");
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

struct Context<'a> {
    inputs: &'a BTreeMap<String, String>,
    steps: &'a BTreeMap<String, BTreeMap<String, String>>,
    action_yml: &'a Yaml,
}

/// Evaluates the `${{ }}` expressions the action uses; any other expression fails the test,
/// so the action cannot depend on something this runner does not model.
fn eval(text: &str, cx: &Context) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unterminated expression") + start;
        let expr = rest[start + 3..end].trim();
        out.push_str(&eval_one(expr, cx));
        rest = &rest[end + 2..];
    }
    out + rest
}

fn eval_one(expr: &str, cx: &Context) -> String {
    if let Some(name) = expr.strip_prefix("inputs.") {
        if let Some(v) = cx.inputs.get(name) {
            return v.clone();
        }
        let default = cx.action_yml["inputs"][name]["default"]
            .as_str()
            .unwrap_or_else(|| panic!("no input {name} in action.yml"));
        return eval(default, cx);
    }
    if let Some(rest) = expr.strip_prefix("steps.") {
        let (id, output) = rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
        return cx
            .steps
            .get(id)
            .and_then(|o| o.get(output))
            .cloned()
            .unwrap_or_default();
    }
    match expr {
        "github.action_path" => env!("CARGO_MANIFEST_DIR").to_string(),
        "github.token" => TOKEN.to_string(),
        other => panic!("action.yml uses an expression this test does not model: {other}"),
    }
}

/// Runs the action's steps in `workspace` with these inputs.
fn run_action(fleet: &Fleet, inputs: &[(&str, &str)]) -> ActionRun {
    let yml = action();
    assert_eq!(yml["runs"]["using"].as_str(), Some("composite"));
    let inputs: BTreeMap<String, String> = inputs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for k in inputs.keys() {
        assert!(
            keys(&yml["inputs"]).contains(k),
            "input {k} is not declared"
        );
    }
    let files = tempfile::tempdir().unwrap();
    let runner_temp = files.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_regdrift")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut steps = Vec::new();
    let mut code = 0;
    for (i, step) in yml["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(
            step.get("uses").is_none() && step.get("if").is_none(),
            "step {i}: only run steps without if"
        );
        assert_eq!(step["shell"].as_str(), Some("bash"), "step {i}: shell bash");
        let id = step["id"]
            .as_str()
            .expect("every step has an id")
            .to_string();
        let script = step["run"].as_str().expect("run");
        assert!(
            !script.contains("${{"),
            "step {id}: inputs go through env, never into the script"
        );
        let cx = Context {
            inputs: &inputs,
            steps: &outputs,
            action_yml: &yml,
        };
        let env: Vec<(String, String)> = step
            .get("env")
            .and_then(Yaml::as_mapping)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().unwrap().to_string(),
                            eval(v.as_str().unwrap(), &cx),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let script_file = files.path().join(format!("{id}.sh"));
        std::fs::write(&script_file, script).unwrap();
        let output_file = files.path().join(format!("{id}.output"));
        let summary_file = files.path().join(format!("{id}.summary"));
        std::fs::write(&output_file, "").unwrap();
        std::fs::write(&summary_file, "").unwrap();
        let out = fleet
            .command_for("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("GITHUB_PATH", files.path().join("path"))
            .env("GITHUB_ENV", files.path().join("env"))
            .env("GITHUB_WORKSPACE", fleet.root())
            .env("RUNNER_TEMP", &runner_temp)
            .env_remove("GITHUB_TOKEN")
            .envs(env)
            .output()
            .unwrap();
        let run = StepRun {
            id: id.clone(),
            code: out.status.code().expect("exited"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            outputs: parse_outputs(&std::fs::read_to_string(&output_file).unwrap()),
            summary: std::fs::read_to_string(&summary_file).unwrap(),
        };
        outputs.insert(id, run.outputs.clone());
        let failed = run.code;
        steps.push(run);
        if failed != 0 {
            code = failed;
            break;
        }
    }
    let cx = Context {
        inputs: &inputs,
        steps: &outputs,
        action_yml: &yml,
    };
    let action_outputs = yml["outputs"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let value = v["value"].as_str().expect("output value");
            (k.as_str().unwrap().to_string(), eval(value, &cx))
        })
        .collect();
    ActionRun {
        steps,
        outputs: action_outputs,
        code,
        _files: files,
    }
}

trait CommandFor {
    fn command_for(&self, program: &str) -> Command;
}

impl CommandFor for Fleet {
    /// `program` with the fleet's clean environment, in the fleet directory (the workspace).
    fn command_for(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(self.root())
            .env("HOME", self.root())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("REGDRIFT_DIGEST_KEY");
        c
    }
}

// ---------------------------------------------------------------------------------------------
// The report and SARIF, read with our own types.

#[derive(Debug, Deserialize)]
struct ReportJ {
    targets: Vec<TargetJ>,
    summary: SummaryJ,
}

#[derive(Debug, Deserialize)]
struct TargetJ {
    name: String,
    findings: Vec<FindingJ>,
}

#[derive(Debug, Deserialize)]
struct FindingJ {
    rule_id: String,
}

#[derive(Debug, Deserialize)]
struct SummaryJ {
    counts: BTreeMap<String, usize>,
    #[serde(default)]
    worst: Option<String>,
    failing: usize,
    exit_code: i32,
}

fn report(path: &str) -> ReportJ {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written"))
        .expect("report is JSON")
}

/// A config far from its baseline: 3 high, 3 medium and 3 low findings.
fn drifted() -> String {
    let d = deletes_on(&debug_open(BASELINE));
    let mut out = d.clone();
    for (from, to) in [
        ("level: info", "level: debug"),
        (
            "    disabled: false\nstorage",
            "    disabled: true\nstorage",
        ),
        ("minimumtls: tls1.2", "minimumtls: tls1.0"),
        (
            "  redirect:\n    disable: true",
            "  redirect:\n    disable: false",
        ),
        ("relativeurls: false", "relativeurls: true"),
        (
            "validation:\n  disabled: false",
            "validation:\n  disabled: true",
        ),
    ] {
        let next = out.replace(from, to);
        assert_ne!(next, out, "baseline fixture changed: no {from:?}");
        out = next;
    }
    out
}

fn annotation_counts(lines: &[String]) -> (usize, usize, usize) {
    let n = |p: &str| lines.iter().filter(|l| l.starts_with(p)).count();
    (n("::error "), n("::warning "), n("::notice "))
}

// ---------------------------------------------------------------------------------------------

#[test]
fn action_yml_declares_the_inputs_and_outputs_its_steps_use() {
    let yml = action();
    assert_eq!(
        keys(&yml["inputs"]),
        [
            "config",
            "fail-on",
            "remediate",
            "github-token",
            "shard",
            "sarif"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    assert_eq!(
        keys(&yml["outputs"]),
        ["drift", "worst-severity", "findings", "sarif", "report"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    // Every input is read by some step, and every action output is a step output.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    for input in keys(&yml["inputs"]) {
        assert!(
            text.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input {input} is not used"
        );
    }
    for (name, v) in yml["outputs"].as_mapping().unwrap() {
        let value = v["value"].as_str().unwrap();
        assert!(
            value == format!("${{{{ steps.github.outputs.{} }}}}", name.as_str().unwrap()),
            "output {name:?} = {value}"
        );
    }
}

#[test]
fn the_action_writes_outputs_sarif_annotations_and_summary_then_fails_with_the_check() {
    let fleet = Fleet::new();
    fleet.write("deployed/a.yml", &debug_open(BASELINE));
    fleet.write("deployed/b.yml", &deletes_on(BASELINE));
    fleet.write("deployed/clean.yml", BASELINE);
    fleet.config(
        "",
        &(file_target("a", "deployed/a.yml")
            + &file_target("b", "deployed/b.yml")
            + &file_target("clean", "deployed/clean.yml")),
    );
    let run = run_action(
        &fleet,
        &[("sarif", "out/regdrift.sarif"), ("github-token", TOKEN)],
    );
    assert_eq!(
        run.code,
        1,
        "findings at or above low fail the action\n{}",
        run.everything()
    );
    assert_eq!(run.steps.len(), 4, "every step ran; the last one failed");
    assert_eq!(run.step("check").outputs["exit-code"], "1");

    let o = &run.outputs;
    let r = report(&o["report"]);
    let unwaived: usize = r.summary.counts.values().sum();
    assert_eq!(o["drift"], "true");
    assert_eq!(o["findings"], unwaived.to_string());
    assert_eq!(
        Some(o["worst-severity"].as_str()),
        r.summary.worst.as_deref()
    );
    assert_eq!(r.summary.exit_code, 1);
    assert_eq!(o["sarif"], "out/regdrift.sarif");

    // SARIF written where asked, with one result per failing finding.
    let sarif: serde_json::Value =
        serde_json::from_str(&fleet.read("out/regdrift.sarif")).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        r.summary.failing
    );

    // One annotation per failing finding, with a workspace-relative file and a line.
    let ann = run.annotations();
    assert_eq!(ann.len(), r.summary.failing, "{ann:#?}");
    let first_a = ann
        .iter()
        .find(|l| l.contains("RD-EXP-001"))
        .expect("RD-EXP-001 annotated");
    assert!(
        first_a.starts_with("::error file=deployed/a.yml,line="),
        "{first_a}"
    );
    // Highest severity first.
    let kinds: Vec<u8> = ann
        .iter()
        .map(|l| {
            if l.starts_with("::error") {
                0
            } else if l.starts_with("::warning") {
                1
            } else {
                2
            }
        })
        .collect();
    assert!(kinds.windows(2).all(|w| w[0] <= w[1]), "{ann:#?}");

    // The job summary is the Markdown report.
    let summary = &run.step("github").summary;
    assert!(summary.starts_with("## regdrift check"), "{summary}");
    for t in &r.targets {
        for f in &t.findings {
            assert!(
                summary.contains(&f.rule_id),
                "{} missing from the summary",
                f.rule_id
            );
        }
    }
    // Without remediate the token is not even in regdrift's environment; it is printed nowhere.
    assert!(!run.everything().contains(TOKEN));

    // fail-on critical: nothing fails, outputs still report the drift; shard selects targets.
    let run = run_action(&fleet, &[("fail-on", "critical"), ("shard", "0/1")]);
    assert_eq!(run.code, 0, "{}", run.everything());
    assert_eq!(run.outputs["drift"], "true");
    assert!(run.annotations().is_empty(), "nothing at or above critical");
    let r = report(&run.outputs["report"]);
    assert_eq!(r.targets.len(), 3);
    assert!(
        r.targets
            .iter()
            .any(|t| t.name == "clean" && t.findings.is_empty())
    );

    let run = run_action(&fleet, &[("shard", "1/2")]);
    let r = report(&run.outputs["report"]);
    let run0 = run_action(&fleet, &[("shard", "0/2")]);
    let r0 = report(&run0.outputs["report"]);
    let names = |r: &ReportJ| {
        r.targets
            .iter()
            .map(|t| t.name.clone())
            .collect::<BTreeSet<_>>()
    };
    assert!(names(&r).is_disjoint(&names(&r0)));
    assert_eq!(names(&r).len() + names(&r0).len(), 3);
}

#[test]
fn a_large_fleet_caps_annotations_and_bounds_the_summary() {
    let fleet = Fleet::new();
    fleet.write("deployed/drifted.yml", &drifted());
    let targets: String = (0..300)
        .map(|i| file_target(&format!("reg-{i:03}"), "deployed/drifted.yml"))
        .collect();
    fleet.config("", &targets);
    let run = run_action(&fleet, &[]);
    assert_eq!(run.code, 1, "{}", run.step("github").stderr);
    let r = report(&run.outputs["report"]);
    assert_eq!(r.targets.len(), 300);
    assert_eq!(r.summary.counts["high"], 900, "3 high findings per target");
    assert_eq!(r.summary.counts["medium"], 900);
    assert_eq!(r.summary.counts["low"], 900);

    let ann = run.annotations();
    let (e, w, n) = annotation_counts(&ann);
    assert_eq!((e, w, n), (10, 10, 10), "at most 10 of each type");
    let last = ann.last().unwrap();
    assert!(
        last.starts_with("::notice ")
            && last.contains("2671 more not annotated (890 errors, 890 warnings, 891 notices)"),
        "{last}"
    );

    let summary = &run.step("github").summary;
    assert!(summary.len() < SUMMARY_LIMIT, "{} bytes", summary.len());
    assert!(
        summary.len() > SUMMARY_LIMIT / 2,
        "the summary uses its room: {}",
        summary.len()
    );
    assert!(
        summary.contains("left out to stay under")
            || summary.contains("more findings are not listed"),
        "the summary says it was cut"
    );
    assert_eq!(run.outputs["findings"], "2700");
}

#[test]
fn a_run_that_cannot_start_reports_an_error_and_exits_2() {
    let fleet = Fleet::new();
    let run = run_action(&fleet, &[("config", "missing.yml")]);
    assert_eq!(run.code, 2, "{}", run.everything());
    assert_eq!(run.steps.len(), 4);
    let ann = run.annotations();
    assert!(
        ann.iter()
            .any(|l| l.starts_with("::error title=regdrift check failed::")),
        "{ann:#?}"
    );
    assert_eq!(run.outputs["drift"], "", "no report, no outputs");
    assert!(run.step("check").stderr.contains("missing.yml"));
}

// ---------------------------------------------------------------------------------------------
// The workflows.

fn workflow(name: &str) -> (String, Yaml) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".github/workflows")
            .join(name),
    )
    .unwrap();
    let yml = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, yml)
}

/// Every `uses:` of a workflow: local (`./`) or pinned to a full commit SHA with the tag named
/// in a comment.
fn check_pinned(name: &str, text: &str) -> Vec<String> {
    let mut uses = Vec::new();
    for line in text.lines() {
        let Some(u) = line.trim().trim_start_matches("- ").strip_prefix("uses: ") else {
            continue;
        };
        let (target, comment) = u.split_once(" # ").unwrap_or((u, ""));
        let target = target.trim();
        if target != "./" {
            let (_, sha) = target
                .split_once('@')
                .unwrap_or_else(|| panic!("{name}: {target} is not pinned"));
            assert!(
                sha.len() == 40
                    && sha
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{name}: {target} is not pinned to a full commit SHA"
            );
            assert!(
                comment.trim().starts_with('v'),
                "{name}: {target}: say which tag the SHA is"
            );
        }
        uses.push(target.to_string());
    }
    uses
}

#[test]
fn drift_check_workflow_is_scheduled_least_privilege_pinned_and_uploads_sarif() {
    let (text, yml) = workflow("drift-check.yml");
    let on = &yml["on"];
    assert!(on["schedule"][0]["cron"].as_str().is_some());
    assert!(on.get("workflow_dispatch").is_some());
    let paths = strings_of(&on["pull_request"]["paths"]);
    assert!(paths.iter().any(|p| p.contains("baselines")), "{paths:?}");
    assert_eq!(
        yml["permissions"],
        Yaml::Mapping(Default::default()),
        "nothing by default"
    );
    let job = &yml["jobs"]["drift"];
    let perms = job["permissions"].as_mapping().unwrap();
    let granted: BTreeMap<String, String> = perms
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect();
    assert_eq!(
        granted,
        [("contents", "read"), ("security-events", "write")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    );
    let uses = check_pinned("drift-check.yml", &text);
    assert!(uses.contains(&"./".to_string()), "uses this action");
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@"))
    );
    // The SARIF path given to the action is the one uploaded.
    let steps = job["steps"].as_sequence().unwrap();
    let action = steps
        .iter()
        .find(|s| s["uses"].as_str() == Some("./"))
        .unwrap();
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("upload-sarif"))
        })
        .unwrap();
    assert_eq!(action["with"]["sarif"], upload["with"]["sarif_file"]);
    assert!(
        upload["if"].as_str().unwrap().contains("always()"),
        "uploads also when drift fails the job"
    );
}

#[test]
fn ci_workflow_runs_the_ci_script_with_pinned_actions() {
    let (text, yml) = workflow("ci.yml");
    check_pinned("ci.yml", &text);
    assert_eq!(yml["permissions"]["contents"].as_str(), Some("read"));
    assert!(text.contains("bash .ci/run"), "ci.yml runs .ci/run");
}

fn strings_of(v: &Yaml) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// `regdrift report` on its own.

fn regdrift(fleet: &Fleet, args: &[&str]) -> std::process::Output {
    fleet
        .command_for(env!("CARGO_BIN_EXE_regdrift"))
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn report_renders_a_saved_report_again_and_refuses_bad_input() {
    let fleet = Fleet::new();
    fleet.write("deployed/a.yml", &debug_open(BASELINE));
    fleet.config("", &file_target("a", "deployed/a.yml"));
    let check = regdrift(&fleet, &["check", "--format", "json", "-o", "r.json"]);
    assert_eq!(check.status.code(), Some(1));
    // JSON round trip: every field of the report is read back.
    let again = regdrift(&fleet, &["report", "r.json", "--format", "json"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        String::from_utf8(again.stdout).unwrap(),
        fleet.read("r.json")
    );
    // SARIF of the saved report is the SARIF check writes for the same fleet.
    let direct = regdrift(&fleet, &["check", "--format", "sarif", "--no-incremental"]);
    let saved = regdrift(
        &fleet,
        &["report", "r.json", "--format", "sarif", "-o", "r.sarif"],
    );
    assert_eq!(saved.status.code(), Some(0));
    assert_eq!(
        fleet.read("r.sarif"),
        String::from_utf8(direct.stdout).unwrap()
    );

    // --github outside Actions says what is missing.
    let out = regdrift(&fleet, &["report", "r.json", "--github"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("$GITHUB_OUTPUT is not set"));
    // A file that is not a report: file, line, column and what to do.
    fleet.write(
        "bad.json",
        "{\n  \"schema_version\": 1,\n  \"targets\": 7\n}\n",
    );
    let out = regdrift(&fleet, &["report", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json:3:") && err.contains("regdrift check --format json"),
        "{err}"
    );
    fleet.write("v2.json", "{\"schema_version\": 2}");
    let err = String::from_utf8_lossy(&regdrift(&fleet, &["report", "v2.json"]).stderr).to_string();
    assert!(err.contains("schema_version 2"), "{err}");
}
