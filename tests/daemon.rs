//! `regdrift daemon` against the built binary: a one-second schedule (`* * * * * *`) and a
//! deliberately slow target (a `command` source whose script sleeps 2.5 s and records when it
//! started and ended). The tests prove from the script's own record, the history file, the
//! JSON logs and `/metrics` (read with a strict parser of the Prometheus text format written
//! here) that ticks during a run are skipped and runs never overlap, that the metrics reflect
//! the findings, that a bad config on SIGHUP keeps the old one while a good one is applied, and
//! that SIGTERM during a run lets it finish with history whole, then exits 0.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Fleet, command_target, debug_open, deletes_on, file_target};

// ---------------------------------------------------------------------------------------------
// A running daemon whose JSON log lines are collected as they come.

struct Daemon {
    child: Child,
    logs: Arc<Mutex<Vec<Value>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    fn start(fleet: &Fleet, extra: &[&str]) -> Daemon {
        let mut cmd = fleet.command();
        cmd.args(["daemon", "-c", "regdrift.yml", "--log-format", "json"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("daemon starts");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let line = line.expect("stderr is UTF-8");
                // Structured logs: every line the daemon writes is one JSON object.
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
                sink.lock().unwrap().push(v);
            }
        });
        Daemon {
            child,
            logs,
            reader: Some(reader),
        }
    }

    fn logs(&self) -> Vec<Value> {
        self.logs.lock().unwrap().clone()
    }

    fn events(&self, event: &str) -> Vec<Value> {
        self.logs()
            .into_iter()
            .filter(|l| l["fields"]["event"] == event)
            .collect()
    }

    fn dump(&self) -> String {
        self.logs()
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until `done` holds (checked every 50 ms), or fails with the logs.
    fn wait_until(&self, what: &str, limit: Duration, done: impl Fn(&Daemon) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}; logs:\n{}",
                self.dump()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, event: &str) -> usize {
        self.events(event).len()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if let Some(r) = self.reader.take() {
                    r.join().expect("log reader");
                }
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "daemon did not exit within {limit:?}; logs:\n{}",
                self.dump()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address from the `listening` log event.
    fn addr(&self) -> String {
        self.wait_until("the listening event", Duration::from_secs(20), |d| {
            d.count("listening") > 0
        });
        self.events("listening")[0]["fields"]["addr"]
            .as_str()
            .expect("addr field")
            .to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP and a strict parser of the Prometheus text exposition format (0.0.4).

/// `GET path` over HTTP/1.1: (status code, content type, body).
fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: BTreeMap<String, String> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').expect("header");
            (k.to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let len: usize = headers["content-length"].parse().unwrap();
    assert_eq!(len, body.len(), "Content-Length");
    (status, headers["content-type"].clone(), body.to_string())
}

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(s: &str, colon: bool) -> bool {
    let mut chars = s.chars();
    let first_ok = |c: char| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':');
    matches!(chars.next(), Some(c) if first_ok(c))
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// `{a="x",b="y"}` → map, with the format's three escapes and nothing else.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = s.strip_prefix('{').ok_or("no {")?;
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let (name, r) = rest.split_once("=\"").ok_or("label without =\"")?;
        if !is_name(name, false) {
            return Err(format!("bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = r.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((i, '"')) => break i,
                Some((_, '\n')) | None => return Err("unterminated label value".into()),
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(name.to_string(), value).is_some() {
            return Err(format!("label {name} twice"));
        }
        rest = &r[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Parses the whole exposition strictly: HELP/TYPE before samples, one TYPE per family, every
/// sample in a declared family, no duplicate series, every line ends in a newline.
fn parse_prometheus(text: &str) -> Result<Vec<Sample>, String> {
    if !text.ends_with('\n') {
        return Err("does not end in a newline".into());
    }
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helps = BTreeSet::new();
    let mut with_samples = BTreeSet::new();
    let mut series = BTreeSet::new();
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", i + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(name), Some(_))
                    if !is_name(name, true) || !helps.insert(name.to_string()) =>
                {
                    return Err(at("bad or repeated HELP".into()));
                }
                (Some("TYPE"), Some(name), Some(kind)) => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(at(format!("unknown type {kind}")));
                    }
                    if with_samples.contains(name)
                        || types.insert(name.to_string(), kind.into()).is_some()
                    {
                        return Err(at("TYPE repeated or after samples".into()));
                    }
                }
                _ => {}
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            return Err(at("empty line or bad comment".into()));
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name, true) {
            return Err(at("bad metric name".into()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(at)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let mut fields = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("no space before value".into()))?
            .split(' ');
        let value = parse_value(fields.next().unwrap_or_default()).map_err(at)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| at("bad timestamp".into()))?;
        }
        if fields.next().is_some() {
            return Err(at("trailing fields".into()));
        }
        if !types.contains_key(name) {
            return Err(at("sample of an undeclared family".into()));
        }
        if types[name] == "counter" && value < 0.0 {
            return Err(at("negative counter".into()));
        }
        if !series.insert(format!("{name}{labels:?}")) {
            return Err(at("duplicate series".into()));
        }
        with_samples.insert(name.to_string());
        samples.push(Sample {
            name: name.into(),
            labels,
            value,
        });
    }
    Ok(samples)
}

fn metric(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == want)
        .map(|s| s.value)
}

fn metrics(addr: &str) -> Vec<Sample> {
    let (status, ctype, body) = get(addr, "/metrics");
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    parse_prometheus(&body)
        .unwrap_or_else(|e| panic!("/metrics is not Prometheus text: {e}\n{body}"))
}

#[test]
fn the_strict_parser_refuses_what_prometheus_refuses() {
    let ok = "# HELP a_total x\n# TYPE a_total counter\na_total{t=\"q\\\"\\\\\\n\"} 3\n";
    let s = parse_prometheus(ok).unwrap();
    assert_eq!(s[0].labels["t"], "q\"\\\n");
    for bad in [
        "a 1\n",                                 // no TYPE
        "# TYPE a gauge\na{t=\"x} 1\n",          // unterminated label
        "# TYPE a gauge\na{t=\"\\x\"} 1\n",      // bad escape
        "# TYPE a gauge\na 1\na 2\n",            // duplicate series
        "# TYPE a gauge\na one\n",               // bad value
        "# TYPE a gauge\na 1",                   // no final newline
        "# TYPE a gauge\na 1\n# TYPE a gauge\n", // TYPE twice
        "# TYPE a_total counter\na_total -1\n",  // negative counter
        "# TYPE 1a gauge\n1a 1\n",               // bad name
    ] {
        assert!(parse_prometheus(bad).is_err(), "accepted {bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The slow fleet.

/// Records its start and end (nanoseconds) in times.log, sleeps 2.5 s, prints the config.
const SLOW_SCRIPT: &str = "#!/bin/sh\n\
echo \"start $(date +%s%N)\" >> times.log\n\
sleep 2.5\n\
echo \"end $(date +%s%N)\" >> times.log\n\
cat \"$1\"\n";

fn slow_fleet(fast_name: &str, schedule: &str) -> (Fleet, String) {
    let fleet = Fleet::new();
    fleet.write("slow.sh", SLOW_SCRIPT);
    fleet.write("deployed/slow.yml", &debug_open(support::BASELINE));
    fleet.write("deployed/fast.yml", &deletes_on(support::BASELINE));
    let targets = command_target("slow", "slow.sh", &["deployed/slow.yml"])
        + &file_target(fast_name, "deployed/fast.yml");
    fleet.config(schedule, &targets);
    (fleet, targets)
}

/// (start, end) pairs of the slow script, checking that they strictly alternate: no run began
/// before the previous one ended. The last start may be open.
fn intervals(fleet: &Fleet) -> Vec<(u128, Option<u128>)> {
    let mut out: Vec<(u128, Option<u128>)> = Vec::new();
    for line in fleet.read("times.log").lines() {
        let (what, t) = line.split_once(' ').expect("times.log line");
        let t: u128 = t.parse().expect("nanoseconds");
        match what {
            "start" => {
                if let Some(last) = out.last() {
                    let end = last.1.unwrap_or_else(|| {
                        panic!("a run started while another was going: {out:?}")
                    });
                    assert!(end <= t, "overlapping runs: {out:?} then start {t}");
                }
                out.push((t, None));
            }
            "end" => {
                let last = out.last_mut().expect("end without start");
                assert!(last.1.is_none(), "two ends");
                last.1 = Some(t);
            }
            _ => panic!("bad times.log line {line}"),
        }
    }
    out
}

/// history.jsonl: every line is a whole JSON record; records grouped by run id, in file order.
fn history_runs(fleet: &Fleet) -> Vec<(String, Vec<Value>)> {
    let text = fleet.read("state/history.jsonl");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "history ends in a torn line"
    );
    let mut runs: Vec<(String, Vec<Value>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("history.jsonl:{}: not a record ({e}): {line}", i + 1));
        let run = v["run"].as_str().expect("run id").to_string();
        match runs.last_mut() {
            Some((id, recs)) if *id == run => recs.push(v),
            _ => {
                assert!(
                    runs.iter().all(|(id, _)| *id != run),
                    "the records of run {run} are not contiguous"
                );
                runs.push((run, vec![v]));
            }
        }
    }
    runs
}

fn targets_of(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Unwaived findings of a history record by severity.
fn severities(record: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for f in record["findings"].as_array().unwrap() {
        if f["waived"] == false {
            *out.entry(f["severity"].as_str().unwrap().to_string())
                .or_default() += 1.0;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------

#[test]
fn one_second_schedule_with_a_slow_target_skips_ticks_reloads_and_stops_with_history_whole() {
    let (fleet, targets) = slow_fleet(
        "fast",
        "schedule:\n  cron: \"* * * * * *\"\n  listen: 127.0.0.1:0\n",
    );
    let mut d = Daemon::start(&fleet, &[]);
    let addr = d.addr();
    assert_eq!(
        get(&addr, "/healthz"),
        (200, "text/plain; charset=utf-8".into(), "ok\n".into())
    );
    assert_eq!(get(&addr, "/nope").0, 404);

    // Three runs of a 2.5 s target on a 1 s schedule.
    d.wait_until("3 finished runs", Duration::from_secs(60), |d| {
        d.count("run_finished") >= 3
    });
    let skipped = d.count("tick_skipped");
    assert!(
        skipped >= 2,
        "ticks during runs must be skipped and logged; logs:\n{}",
        d.dump()
    );
    let runs = intervals(&fleet);
    assert!(runs.len() >= 3, "{runs:?}");

    // /metrics parses strictly and says what the last run found.
    let m = metrics(&addr);
    assert_eq!(metric(&m, "regdrift_targets", &[]), Some(2.0));
    assert!(metric(&m, "regdrift_runs_total", &[]).unwrap() >= 3.0);
    assert!(metric(&m, "regdrift_skipped_ticks_total", &[]).unwrap() >= 2.0);
    assert_eq!(metric(&m, "regdrift_run_errors_total", &[]), Some(0.0));
    assert!(metric(&m, "regdrift_last_run_duration_seconds", &[]).unwrap() >= 2.5);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let last = metric(&m, "regdrift_last_run_timestamp_seconds", &[]).unwrap();
    assert!((now - 60.0..=now + 1.0).contains(&last), "{last} vs {now}");
    assert_eq!(
        metric(
            &m,
            "regdrift_baseline_verified",
            &[("baseline", "prod/registry.yml")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&m, "regdrift_baseline_verification_failures", &[]),
        Some(0.0)
    );
    let history = history_runs(&fleet);
    let (_, latest) = history.last().unwrap();
    for target in ["slow", "fast"] {
        let record = latest.iter().find(|r| r["target"] == target).unwrap();
        let want = severities(record);
        assert!(!want.is_empty(), "{target} has findings");
        for sev in ["critical", "high", "medium", "low", "info"] {
            assert_eq!(
                metric(
                    &m,
                    "regdrift_findings",
                    &[("target", target), ("severity", sev)]
                ),
                want.get(sev).copied(),
                "{target} {sev}: metrics vs history"
            );
        }
    }
    assert!(
        metric(
            &m,
            "regdrift_findings",
            &[("target", "slow"), ("severity", "high")]
        )
        .unwrap()
            >= 1.0,
        "the debug listener on every interface (RD-EXP-001) is high"
    );

    // A bad config on SIGHUP (a five-field cron, renamed targets) is refused; runs go on with
    // the old targets.
    let bad = fleet.config_text(
        "schedule:\n  cron: \"* * * * *\"\n",
        &targets.replace("name: fast", "name: renamed"),
    );
    fleet.write("regdrift.yml", &bad);
    let finished_before = d.count("run_finished");
    d.signal("HUP");
    d.wait_until("reload_failed", Duration::from_secs(20), |d| {
        d.count("reload_failed") == 1
    });
    let err = d.events("reload_failed")[0]["fields"]["error"].to_string();
    assert!(
        err.contains("regdrift.yml") && err.contains("has 5 fields"),
        "{err}"
    );
    d.wait_until(
        "2 runs after the bad reload",
        Duration::from_secs(30),
        |d| d.count("run_finished") >= finished_before + 2,
    );
    let history = history_runs(&fleet);
    assert_eq!(
        targets_of(&history.last().unwrap().1),
        set(&["slow", "fast"])
    );
    let m = metrics(&addr);
    assert_eq!(
        metric(&m, "regdrift_config_reloads_total", &[("result", "error")]),
        Some(1.0)
    );

    // A good config on SIGHUP is applied to the next run.
    fleet.config(
        "schedule:\n  cron: \"* * * * * *\"\n  listen: 127.0.0.1:0\n",
        &targets.replace("name: fast", "name: fast-2"),
    );
    d.signal("HUP");
    d.wait_until("reloaded", Duration::from_secs(20), |d| {
        d.count("reloaded") == 1
    });
    let reloaded_at = d.count("run_finished");
    d.wait_until(
        "2 runs after the good reload",
        Duration::from_secs(30),
        |d| d.count("run_finished") >= reloaded_at + 2,
    );
    let history = history_runs(&fleet);
    assert_eq!(
        targets_of(&history.last().unwrap().1),
        set(&["slow", "fast-2"])
    );

    // SIGTERM while the slow target is running: the run finishes, history is whole, exit 0.
    d.wait_until("a run in progress", Duration::from_secs(20), |_| {
        matches!(intervals(&fleet).last(), Some((_, None)))
    });
    d.signal("TERM");
    let status = d.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "logs:\n{}", d.dump());
    let runs = intervals(&fleet);
    assert!(
        runs.iter().all(|(_, end)| end.is_some()),
        "the run in progress was cut: {runs:?}"
    );
    let history = history_runs(&fleet);
    assert_eq!(
        history.len(),
        runs.len(),
        "every run of the script is one whole run in history"
    );
    assert_eq!(history.len(), d.count("run_finished"));
    for (id, records) in &history {
        assert_eq!(records.len(), 2, "run {id} has all its records");
    }
    assert_eq!(d.count("stopped"), 1, "logs:\n{}", d.dump());
}

#[test]
fn once_runs_one_check_and_exits_with_its_status() {
    let fleet = Fleet::new();
    fleet.write("deployed/a.yml", &debug_open(support::BASELINE));
    fleet.config("", &file_target("a", "deployed/a.yml"));
    let mut d = Daemon::start(&fleet, &["--once"]);
    let status = d.wait_exit(Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(1),
        "findings at or above low; logs:\n{}",
        d.dump()
    );
    assert_eq!(d.count("run_finished"), 1);
    assert_eq!(d.count("listening"), 0, "--once serves no HTTP endpoint");
    let history = history_runs(&fleet);
    assert_eq!(history.len(), 1);
    assert_eq!(targets_of(&history[0].1), set(&["a"]));
}

#[test]
fn a_config_without_schedule_or_with_a_bad_one_does_not_start() {
    let fleet = Fleet::new();
    fleet.write("deployed/a.yml", support::BASELINE);
    fleet.config("", &file_target("a", "deployed/a.yml"));
    let mut d = Daemon::start(&fleet, &[]);
    assert_eq!(d.wait_exit(Duration::from_secs(30)).code(), Some(2));
    let err = d.events("start_failed")[0]["fields"]["error"].to_string();
    assert!(
        err.contains("no `schedule` section") && err.contains("--once"),
        "{err}"
    );

    fleet.config(
        "schedule:\n  cron: \"0 61 * * * *\"\n",
        &file_target("a", "deployed/a.yml"),
    );
    let mut d = Daemon::start(&fleet, &[]);
    assert_eq!(d.wait_exit(Duration::from_secs(30)).code(), Some(2));
    let err = d.events("start_failed")[0]["fields"]["error"].to_string();
    assert!(
        err.contains("schedule.cron") && err.contains("seconds first"),
        "{err}"
    );
}

#[test]
fn sigterm_during_the_jitter_delay_cancels_the_run_and_exits_at_once() {
    let fleet = Fleet::new();
    fleet.write("deployed/a.yml", support::BASELINE);
    fleet.config(
        "schedule:\n  cron: \"* * * * * *\"\n  jitter: 1h\n  listen: \"off\"\n",
        &file_target("a", "deployed/a.yml"),
    );
    let mut d = Daemon::start(&fleet, &[]);
    d.wait_until("a delayed run", Duration::from_secs(20), |d| {
        d.count("run_delayed") == 1
    });
    // The delayed run holds the no-overlap guard: later ticks are skipped.
    d.wait_until("a skipped tick", Duration::from_secs(20), |d| {
        d.count("tick_skipped") >= 1
    });
    let asked = Instant::now();
    d.signal("TERM");
    let status = d.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "logs:\n{}", d.dump());
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "waited out the jitter"
    );
    assert_eq!(d.count("run_cancelled"), 1, "logs:\n{}", d.dump());
    assert_eq!(d.count("run_started"), 0);
    assert_eq!(d.count("listening"), 0, "listen: off");
    assert!(history_runs(&fleet).is_empty());
}

#[test]
fn sigterm_during_a_once_run_lets_it_finish_with_its_status() {
    let (fleet, _) = slow_fleet("fast", "");
    let mut d = Daemon::start(&fleet, &["--once"]);
    d.wait_until("the slow target running", Duration::from_secs(20), |_| {
        matches!(intervals(&fleet).last(), Some((_, None)))
    });
    d.signal("TERM");
    let status = d.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(1),
        "the run's status (findings); logs:\n{}",
        d.dump()
    );
    assert!(intervals(&fleet).iter().all(|(_, end)| end.is_some()));
    let history = history_runs(&fleet);
    assert_eq!(history.len(), 1);
    assert_eq!(targets_of(&history[0].1), set(&["slow", "fast"]));
}
