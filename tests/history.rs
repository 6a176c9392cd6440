//! The fleet run history (`<state_dir>/history.jsonl`): append and read back across runs,
//! tolerance of torn and garbage lines, first-seen and resolved dating, and concurrent appends.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use regdrift::history::{
    self, History, Loaded, Record, RecordStatus, TargetHashes, annotate, records_for,
};
use regdrift::report::{Finding, Location, Report, Resolved, Status, TargetReport, WaiverRef};
use regdrift::rules::{Category, Direction, Severity};

fn finding(fingerprint: &str) -> Finding {
    Finding {
        rule_id: "RD-TLS-001".into(),
        slug: "tls-disabled".into(),
        title: "TLS is disabled".into(),
        category: Category::Transport,
        severity: Severity::High,
        direction: Direction::Weakens,
        path: format!("http.{fingerprint}"),
        location: Location::Default {
            path: "config.yml".into(),
        },
        message: "plaintext".into(),
        before: None,
        after: None,
        why: "why".into(),
        fix: "fix".into(),
        fingerprint: fingerprint.into(),
        waived: None,
        first_seen: None,
    }
}

fn target(name: &str, fingerprints: &[&str]) -> TargetReport {
    TargetReport {
        findings: fingerprints.iter().map(|fp| finding(fp)).collect(),
        ..TargetReport::new(name, Status::Checked)
    }
}

fn failed(name: &str) -> TargetReport {
    TargetReport {
        status: Status::Error {
            message: "cannot read /etc/registry/config.yml: permission denied".into(),
        },
        ..target(name, &[])
    }
}

fn report(targets: Vec<TargetReport>) -> Report {
    Report::new("check", targets, Severity::High)
}

fn no_hashes(_: &str) -> TargetHashes {
    TargetHashes::default()
}

/// One scheduled run, the way `regdrift check` does it: read the history, date the findings,
/// append this run's records. Returns the annotated report.
fn run(history: &History, time: &str, targets: Vec<TargetReport>) -> Report {
    let loaded = history.read(None).unwrap();
    let mut report = report(targets);
    annotate(&mut report, &loaded, time);
    let run_id = history::run_id_at(time);
    history
        .append(&records_for(&report, &run_id, time, no_hashes))
        .unwrap();
    report
}

fn first_seen(report: &Report, name: &str) -> HashMap<String, String> {
    let t = report.targets.iter().find(|t| t.name == name).unwrap();
    t.findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.first_seen.clone().unwrap()))
        .collect()
}

fn resolved(report: &Report, name: &str) -> Vec<Resolved> {
    let t = report.targets.iter().find(|t| t.name == name).unwrap();
    t.resolved.clone()
}

fn gone(fingerprint: &str, first_seen: &str, resolved_at: &str) -> Resolved {
    Resolved {
        fingerprint: fingerprint.into(),
        rule_id: "RD-TLS-001".into(),
        first_seen: first_seen.into(),
        resolved_at: resolved_at.into(),
    }
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

const T1: &str = "2026-12-01T06:00:00Z";
const T2: &str = "2026-12-02T06:00:00Z";
const T3: &str = "2026-12-03T06:00:00Z";
const T4: &str = "2026-12-04T06:00:00Z";
const T5: &str = "2026-12-05T06:00:00Z";

#[test]
fn append_and_read_back_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state").join("regdrift");
    let history = History::open(&state).unwrap();
    assert_eq!(history.path(), state.join("history.jsonl"));
    assert!(history.read(None).unwrap().records.is_empty());

    run(
        &history,
        T1,
        vec![target("prod-eu", &["a", "b"]), failed("prod-us")],
    );
    run(
        &history,
        T2,
        vec![target("prod-eu", &["a"]), target("prod-us", &[])],
    );

    let loaded = History::open(&state).unwrap().read(None).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let seen: Vec<(&str, &str, RecordStatus)> = loaded
        .records
        .iter()
        .map(|r| (r.time.as_str(), r.target.as_str(), r.status))
        .collect();
    assert_eq!(
        seen,
        [
            (T1, "prod-eu", RecordStatus::Checked),
            (T1, "prod-us", RecordStatus::Error),
            (T2, "prod-eu", RecordStatus::Checked),
            (T2, "prod-us", RecordStatus::Checked),
        ]
    );
    assert_eq!(loaded.records[0].findings.len(), 2);
    assert_eq!(loaded.records[0].run, loaded.records[1].run);
    assert_ne!(loaded.records[0].run, loaded.records[2].run);
    assert!(
        loaded.records[1]
            .error
            .as_deref()
            .unwrap()
            .contains("permission denied")
    );

    let eu = history.read(Some("prod-eu")).unwrap();
    assert_eq!(eu.records.len(), 2);
    assert!(eu.records.iter().all(|r| r.target == "prod-eu"));
    assert_eq!(loaded.latest("prod-eu").unwrap().time, T2);
    assert_eq!(lines(history.path()).len(), 4);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}

#[test]
fn the_file_is_json_lines_of_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    let mut t = target("prod-eu", &["fp1"]);
    t.findings[0].after = Some("s3cr3t-deployed-value".into());
    t.findings[0].waived = Some(WaiverRef {
        reason: "TLS terminates at the load balancer".into(),
        expires: None,
        line: 3,
    });
    let report = report(vec![t, failed("prod-us")]);
    let records = records_for(&report, "20261203T140509Z-abc", T3, |name| TargetHashes {
        raw: Some(format!("raw-{name}")),
        env: Some("keyed-env".into()),
        baseline: Some("base".into()),
        effective: Some("eff".into()),
    });
    history.append(&records).unwrap();

    let text = fs::read_to_string(history.path()).unwrap();
    assert!(
        !text.contains("s3cr3t"),
        "a value reached the history: {text}"
    );
    assert!(text.ends_with('\n'));
    // Read from the consumer's side, with no regdrift types.
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({
            "v": 1,
            "run": "20261203T140509Z-abc",
            "time": T3,
            "target": "prod-eu",
            "status": "checked",
            "raw_hash": "raw-prod-eu",
            "env_hash": "keyed-env",
            "baseline_hash": "base",
            "effective_hash": "eff",
            "findings": [
                {"fingerprint": "fp1", "rule_id": "RD-TLS-001", "severity": "high", "waived": true}
            ]
        })
    );
    assert_eq!(lines[1]["status"], "error");
    assert_eq!(
        lines[1]["error"],
        "cannot read /etc/registry/config.yml: permission denied"
    );

    let mut reused = target("prod-eu", &[]);
    reused.reused = true;
    let records = records_for(&report_of(reused), "r", T4, no_hashes);
    assert_eq!(records[0].status, RecordStatus::Reused);
    assert_eq!(records[0].error, None);
}

fn report_of(t: TargetReport) -> Report {
    report(vec![t])
}

/// A run killed while writing leaves half a record and no newline. It is reported with its line
/// number, the next append starts on a new line, and nothing recorded before or after is lost.
#[test]
fn a_torn_last_line_is_reported_and_the_next_append_works() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    run(
        &history,
        T1,
        vec![target("prod-eu", &["a"]), target("prod-us", &[])],
    );
    let before = history.read(None).unwrap();

    let whole = serde_json::to_string(&before.records[0]).unwrap();
    let torn = &whole[..whole.len() / 2];
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(history.path())
        .unwrap();
    file.write_all(torn.as_bytes()).unwrap();
    drop(file);

    let loaded = history.read(None).unwrap();
    assert_eq!(loaded.records, before.records);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0].contains("history.jsonl:3: torn last line"),
        "{}",
        loaded.warnings[0]
    );

    let report = run(
        &history,
        T2,
        vec![target("prod-eu", &["a"]), target("prod-us", &[])],
    );
    assert_eq!(first_seen(&report, "prod-eu"), map(&[("a", T1)]));

    let after = history.read(None).unwrap();
    assert_eq!(after.records.len(), 4);
    assert_eq!(after.records[..2], before.records[..]);
    assert!(after.records[2..].iter().all(|r| r.time == T2));
    assert_eq!(after.warnings.len(), 1, "{:?}", after.warnings);
    assert!(
        after.warnings[0].contains("history.jsonl:3:"),
        "{}",
        after.warnings[0]
    );
    let text = lines(history.path());
    assert_eq!(text.len(), 5);
    assert_eq!(text[2], torn, "the torn line stays as it was");
}

#[test]
fn garbage_lines_in_the_middle_are_skipped_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    run(&history, T1, vec![target("prod-eu", &["a"])]);
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(history.path())
        .unwrap();
    file.write_all(
        b"not json at all\n{\"v\":1,\"run\":\"x\"}\n\xff\xfe\n\
          {\"v\":7,\"run\":\"x\",\"from\":\"the future\"}\n",
    )
    .unwrap();
    drop(file);
    run(&history, T2, vec![target("prod-eu", &["a"])]);

    let loaded = history.read(None).unwrap();
    let times: Vec<&str> = loaded.records.iter().map(|r| r.time.as_str()).collect();
    assert_eq!(times, [T1, T2]);
    let at: Vec<&str> = loaded
        .warnings
        .iter()
        .map(|w| {
            let start = w.find("history.jsonl:").unwrap();
            w[start..].split(' ').next().unwrap()
        })
        .collect();
    assert_eq!(
        at,
        [
            "history.jsonl:2:",
            "history.jsonl:3:",
            "history.jsonl:4:",
            "history.jsonl:5:"
        ]
    );
    assert!(loaded.warnings[3].contains("record version 7"));
}

#[test]
fn first_seen_is_stable_resolved_appears_and_recurrence_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();

    let r1 = run(&history, T1, vec![target("prod-eu", &["a", "b"])]);
    assert_eq!(first_seen(&r1, "prod-eu"), map(&[("a", T1), ("b", T1)]));
    assert!(resolved(&r1, "prod-eu").is_empty());

    let r2 = run(&history, T2, vec![target("prod-eu", &["a", "b"])]);
    assert_eq!(first_seen(&r2, "prod-eu"), map(&[("a", T1), ("b", T1)]));
    assert!(resolved(&r2, "prod-eu").is_empty());

    let r3 = run(&history, T3, vec![target("prod-eu", &["a"])]);
    assert_eq!(first_seen(&r3, "prod-eu"), map(&[("a", T1)]));
    assert_eq!(resolved(&r3, "prod-eu"), [gone("b", T1, T3)]);

    // Resolved is reported once, in the run it went away.
    let r4 = run(&history, T4, vec![target("prod-eu", &["a"])]);
    assert!(resolved(&r4, "prod-eu").is_empty());

    // b comes back: a recurrence is dated from its return.
    let r5 = run(&history, T5, vec![target("prod-eu", &["a", "b"])]);
    assert_eq!(first_seen(&r5, "prod-eu"), map(&[("a", T1), ("b", T5)]));

    // Other targets have their own history.
    let r6 = run(
        &history,
        "2026-12-06T06:00:00Z",
        vec![target("prod-us", &["a"]), target("prod-eu", &["b"])],
    );
    assert_eq!(
        first_seen(&r6, "prod-us"),
        map(&[("a", "2026-12-06T06:00:00Z")])
    );
    assert_eq!(first_seen(&r6, "prod-eu"), map(&[("b", T5)]));
    assert_eq!(
        resolved(&r6, "prod-eu"),
        [gone("a", T1, "2026-12-06T06:00:00Z")]
    );
}

#[test]
fn error_records_do_not_reset_streaks() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    run(&history, T1, vec![target("prod-eu", &["a", "b"])]);

    // The target cannot be checked: no resolved list (nobody knows), and its record is an
    // error record.
    let mut down = failed("prod-eu");
    down.resolved = vec![gone("stale", T1, T1)];
    let r2 = run(&history, T2, vec![down]);
    assert!(resolved(&r2, "prod-eu").is_empty());

    // The error record is neither presence nor absence: a keeps its first-seen, and b is
    // resolved against the last record that was checked.
    let r3 = run(&history, T3, vec![target("prod-eu", &["a"])]);
    assert_eq!(first_seen(&r3, "prod-eu"), map(&[("a", T1)]));
    assert_eq!(resolved(&r3, "prod-eu"), [gone("b", T1, T3)]);

    // A reused result counts like a checked one.
    let mut reused = target("prod-eu", &["a"]);
    reused.reused = true;
    run(&history, T4, vec![reused]);
    run(&history, T5, vec![failed("prod-eu")]);
    let loaded = history.read(Some("prod-eu")).unwrap();
    assert_eq!(loaded.latest("prod-eu").unwrap().time, T4);
    let r6 = run(
        &history,
        "2026-12-06T06:00:00Z",
        vec![target("prod-eu", &["a"])],
    );
    assert_eq!(first_seen(&r6, "prod-eu"), map(&[("a", T1)]));
}

#[test]
fn annotate_with_no_history_dates_everything_now() {
    let mut report = report(vec![target("prod-eu", &["a"]), failed("prod-us")]);
    annotate(&mut report, &Loaded::default(), T3);
    assert_eq!(first_seen(&report, "prod-eu"), map(&[("a", T3)]));
    assert!(resolved(&report, "prod-eu").is_empty());
}

/// Two writers append at once: the file holds whole lines only, and the records of each run
/// are contiguous.
#[test]
fn concurrent_appends_keep_whole_lines_and_contiguous_runs() {
    const RUNS: usize = 20;
    const TARGETS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    // Big runs (about 100 KiB each), so that interleaving would show.
    let fingerprints: Vec<String> = (0..300).map(|i| format!("{i:0>64}")).collect();
    let fps: Vec<&str> = fingerprints.iter().map(String::as_str).collect();
    std::thread::scope(|s| {
        for writer in 0..2 {
            let fps = &fps;
            let state = dir.path();
            s.spawn(move || {
                let history = History::open(state).unwrap();
                for i in 0..RUNS {
                    let targets = (0..TARGETS)
                        .map(|t| target(&format!("w{writer}-t{t}"), fps))
                        .collect();
                    let report = report(targets);
                    let run = format!("writer{writer}-run{i}");
                    history
                        .append(&records_for(&report, &run, T1, no_hashes))
                        .unwrap();
                }
            });
        }
    });

    let history = History::open(dir.path()).unwrap();
    let loaded = history.read(None).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.records.len(), 2 * RUNS * TARGETS);
    assert!(loaded.records.iter().all(|r| r.findings.len() == fps.len()));
    let runs: Vec<&Record> = loaded.records.iter().collect();
    for chunk in runs.chunks(TARGETS) {
        let run = &chunk[0].run;
        assert!(chunk.iter().all(|r| &r.run == run), "a run was split");
        // `writerW-runI` holds the targets `wW-t0`, `wW-t1`, ... in order.
        let writer = run
            .strip_prefix("writer")
            .unwrap()
            .split('-')
            .next()
            .unwrap();
        let names: Vec<&str> = chunk.iter().map(|r| r.target.as_str()).collect();
        let expected: Vec<String> = (0..TARGETS).map(|t| format!("w{writer}-t{t}")).collect();
        assert_eq!(names, expected);
    }
    assert!(fs::read(history.path()).unwrap().ends_with(b"\n"));
}

#[test]
fn open_names_a_state_dir_that_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state");
    fs::write(&file, "").unwrap();
    let err = History::open(&file).unwrap_err().to_string();
    assert!(err.starts_with(&file.display().to_string()), "{err}");
    assert!(err.contains("not a directory"), "{err}");
}
