//! `regdrift probe` and the fleet's `probe:` hook without the real registry: a registry that
//! cannot be reached (nothing listening: a port bound then closed) or never answers (a
//! listener that accepts and stays silent) ends within the timeout with a clear error and exit
//! status 2; in a fleet that target records RD-PROBE-001 and the other targets are checked as
//! if it were not there. A stand-in registry (a thread answering 200 to `GET /v2/`, as a
//! registry without auth does) gives the findings the report formats render, and the SARIF of
//! a probe is checked by Microsoft's SARIF Multitool when it is installed.

#[path = "fixtures/probe/harness.rs"]
mod harness;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn regdrift(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_regdrift"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run regdrift");
    (o, started.elapsed())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A port nothing listens on: bound, then closed.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// A server that accepts connections and never answers; stops on drop.
struct Silent {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Silent {
    fn start() -> Silent {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !s.load(Ordering::Relaxed) {
                if let Ok((c, _)) = l.accept() {
                    held.push(c);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Silent { port, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A stand-in for a registry without auth: every GET answers 200 `{}` with the registry's
/// API version header; stops on drop.
struct OpenRegistry {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
}

impl OpenRegistry {
    fn start() -> OpenRegistry {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, seen) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((c, _)) => serve_one(c, &seen),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        OpenRegistry {
            port,
            stop,
            requests,
        }
    }
}

fn serve_one(mut c: TcpStream, seen: &std::sync::Mutex<Vec<String>>) {
    c.set_nonblocking(false).ok();
    c.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    if let Ok(mut s) = seen.lock() {
        s.push(head.clone());
    }
    let answer = if head.starts_with("GET /v2/") {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    } else {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    };
    let _ = c.write_all(answer.as_bytes());
}

impl Drop for OpenRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The per-request timeout used here, and the most a failing probe may take: the first
/// contact is one connection (plus, for https, one plain-HTTP fallback), so twice the timeout
/// and process start-up is a generous bound that a probe without timeouts would still break.
const TIMEOUT: &str = "1s";
const BOUND: Duration = Duration::from_secs(5);

#[test]
fn nothing_listening_is_a_clear_error_and_exit_2() {
    let port = closed_port();
    for scheme in ["http", "https"] {
        let url = format!("{scheme}://127.0.0.1:{port}");
        let (o, took) = regdrift(&["probe", &url, "--timeout", TIMEOUT]);
        eprintln!(
            "{url}: exit {:?} after {took:?}: {}",
            o.status.code(),
            stderr(&o).trim()
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(took < BOUND, "{url} took {took:?}");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{url}: could not reach the registry"))
                && err.to_lowercase().contains("refused"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_server_that_never_answers_ends_at_the_timeout_with_exit_2() {
    let silent = Silent::start();
    for scheme in ["http", "https"] {
        let url = format!("{scheme}://127.0.0.1:{}", silent.port);
        let (o, took) = regdrift(&["probe", &url, "--timeout", TIMEOUT, "--format", "json"]);
        eprintln!(
            "{url}: exit {:?} after {took:?}: {}",
            o.status.code(),
            stderr(&o).trim()
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            took >= Duration::from_secs(1),
            "{url}: gave up before the timeout ({took:?})"
        );
        assert!(took < BOUND, "{url} took {took:?}");
        assert!(stderr(&o).contains("timed out"), "{}", stderr(&o));
        // The report is still written in the chosen format, with the target's error.
        let r: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON report");
        assert_eq!(r["command"], "probe");
        assert_eq!(r["summary"]["exit_code"], 2);
        assert_eq!(r["targets"][0]["status"]["state"], "error");
        assert!(
            r["targets"][0]["status"]["message"]
                .as_str()
                .unwrap()
                .contains("timed out")
        );
    }
}

/// A server that answers one byte every 200 ms, forever: every read succeeds, so only a
/// deadline on the whole request (not a per-read timeout) ends the probe.
#[test]
fn a_trickling_server_is_cut_off_at_the_request_deadline() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { break };
            let s = s.clone();
            std::thread::spawn(move || {
                let head = b"HTTP/1.1 200 OK\r\nX-Slow: ";
                let _ = c.write_all(head);
                while !s.load(Ordering::Relaxed) && c.write_all(b"a").is_ok() {
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let (o, took) = regdrift(&["probe", &url, "--timeout", TIMEOUT]);
    stop.store(true, Ordering::Relaxed);
    eprintln!(
        "{url}: exit {:?} after {took:?}: {}",
        o.status.code(),
        stderr(&o).trim()
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(took < BOUND, "took {took:?}");
    assert!(stderr(&o).contains("timed out"), "{}", stderr(&o));
}

#[test]
fn usage_errors_are_exit_2_with_what_to_do() {
    for (args, says) in [
        (vec!["probe", "registry:5000"], "write http://HOST[:PORT]"),
        (vec!["probe", "https://u:p@h:1"], "never sends credentials"),
        (
            vec!["probe", "http://127.0.0.1:1", "--timeout", "soon"],
            "not a positive duration",
        ),
        (
            vec!["probe", "http://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"],
            "reading --ca /nonexistent/ca.pem",
        ),
    ] {
        let (o, _) = regdrift(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn an_open_registry_gives_findings_in_every_format_and_exit_1() {
    let reg = OpenRegistry::start();
    let url = format!("http://127.0.0.1:{}", reg.port);
    let (o, _) = regdrift(&["probe", &url, "--timeout", TIMEOUT, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let findings = r["targets"][0]["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["RD-AUTH-001", "RD-TLS-001", "RD-PROBE-003"]);
    for f in findings {
        assert_eq!(f["location"]["kind"], "probe");
        assert_eq!(f["location"]["url"], url.as_str());
    }
    // Only GETs, never credentials, `Connection: close`.
    for req in reg.requests.lock().unwrap().iter() {
        assert!(req.starts_with("GET "), "{req}");
        assert!(!req.to_lowercase().contains("authorization"), "{req}");
        assert!(req.contains("Connection: close"), "{req}");
    }
    let (o, _) = regdrift(&["probe", &url, "--timeout", TIMEOUT]);
    let human = stdout(&o);
    assert!(human.contains(&format!("live probe {url}")), "{human}");
    let (o, _) = regdrift(&["probe", &url, "--timeout", TIMEOUT, "--format", "markdown"]);
    let md = stdout(&o);
    assert!(md.starts_with("## regdrift probe"), "{md}");
    assert!(md.contains(&format!("live probe {url}")), "{md}");
    let (o, _) = regdrift(&["probe", &url, "--timeout", TIMEOUT, "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("SARIF");
    let res = &s["runs"][0]["results"][0];
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        url.as_str()
    );
    assert_eq!(
        res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("live probe {url}")
    );
    // Waivers and --fail-on apply as in lint and diff.
    let (o, _) = regdrift(&["probe", &url, "--timeout", TIMEOUT, "--fail-on", "critical"]);
    assert_eq!(o.status.code(), Some(1));
}

fn multitool() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REGDRIFT_SARIF_MULTITOOL") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    p.is_file().then_some(p)
}

#[test]
fn probe_sarif_passes_the_sarif_multitool_with_github_rules() {
    let Some(tool) = multitool() else {
        let msg = "the SARIF validator is not installed (npm install --no-save @microsoft/sarif-multitool)";
        if std::env::var("REGDRIFT_REQUIRE_VALIDATORS").as_deref() == Ok("1") {
            panic!("REGDRIFT_REQUIRE_VALIDATORS=1: {msg}");
        }
        eprintln!("skipping probe SARIF validation: {msg}");
        return;
    };
    let reg = OpenRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("probe.sarif");
    let url = format!("http://127.0.0.1:{}", reg.port);
    let (o, _) = regdrift(&[
        "probe",
        &url,
        "--timeout",
        TIMEOUT,
        "--format",
        "sarif",
        "-o",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A canary the validator must reject (a driver without a name), so a validator that
    // checks nothing cannot pass.
    let canary = dir.path().join("canary.sarif");
    std::fs::write(
        &canary,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}"#,
    )
    .unwrap();
    for kind in [None, Some("Gh;Sarif")] {
        let out = dir.path().join("validation.sarif");
        let mut c = Command::new(&tool);
        c.arg("validate")
            .arg(&sarif)
            .arg(&canary)
            .arg("-o")
            .arg(&out)
            .args(["--log", "ForceOverwrite", "--level", "Error;Warning;Note"])
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        if let Some(k) = kind {
            c.args(["--rule-kind", k]);
        }
        let v = c.output().expect("run Sarif.Multitool");
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
        let log: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let (canary_errors, errors): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) =
            log["runs"][0]["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["level"] == "error")
                .partition(|r| {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .is_some_and(|u| u.ends_with("canary.sarif"))
                });
        assert!(
            !canary_errors.is_empty(),
            "{kind:?}: the canary was not rejected"
        );
        eprintln!(
            "Sarif.Multitool ({kind:?}): {} results, {} errors",
            log["runs"][0]["results"].as_array().map_or(0, Vec::len),
            errors.len()
        );
        assert!(errors.is_empty(), "{kind:?}: {errors:#?}");
    }
}

/// A fleet of four: two plain config targets, one probing a closed port, one probing a silent
/// server. The probed targets record RD-PROBE-001 and stay checked; the others have exactly
/// the findings they have in a fleet without the probed ones.
#[test]
fn in_a_fleet_an_unreachable_probe_is_one_finding_and_other_targets_are_unaffected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let silent = Silent::start();
    let closed = closed_port();
    let baseline = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nauth:\n  htpasswd:\n    realm: r\n    path: /etc/registry/htpasswd\nhttp:\n  addr: :5000\n";
    let drifted = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\nhttp:\n  addr: :5000\n";
    harness::unsigned_baseline_repo(&d.join("baselines"), baseline);
    std::fs::write(d.join("same.yml"), baseline).unwrap();
    std::fs::write(d.join("drifted.yml"), drifted).unwrap();
    let target = |name: &str, file: &str, probe: Option<String>| {
        let mut t = format!(
            "  - name: {name}\n    baseline: registry.yml\n    source:\n      file: {file}\n"
        );
        if let Some(url) = probe {
            t += &format!("    probe:\n      url: {url}\n      timeout: {TIMEOUT}\n");
        }
        t
    };
    let write_config = |file: &str, targets: &[String]| {
        std::fs::write(
            d.join(file),
            format!(
                "version: 1\nstate_dir: state-{file}\nbaseline:\n  repo: baselines\n  ref: main\n  allow_unsigned: true\ntargets:\n{}",
                targets.concat()
            ),
        )
        .unwrap();
    };
    let plain = [
        target("same", "same.yml", None),
        target("drifted", "drifted.yml", None),
    ];
    let mut all = plain.to_vec();
    all.push(target(
        "dead",
        "same.yml",
        Some(format!("http://127.0.0.1:{closed}")),
    ));
    all.push(target(
        "silent",
        "same.yml",
        Some(format!("https://127.0.0.1:{}", silent.port)),
    ));
    write_config("plain.yml", &plain);
    write_config("all.yml", &all);
    let run = |file: &str| {
        let path = d.join(file);
        let (o, took) = regdrift(&[
            "check",
            "-c",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--concurrency",
            "4",
        ]);
        let r: serde_json::Value =
            serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        (o, took, r)
    };
    let (_, _, alone) = run("plain.yml");
    let (o, took, r) = run("all.yml");
    eprintln!(
        "fleet with two failing probes: exit {:?} after {took:?}",
        o.status.code()
    );
    assert!(took < BOUND, "{took:?}");
    let by_name = |r: &serde_json::Value, n: &str| -> serde_json::Value {
        r["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no target {n}"))
    };
    for name in ["same", "drifted"] {
        // Run-specific: where the baseline was read, and when a finding was first seen.
        let strip = |mut t: serde_json::Value| {
            t.as_object_mut().unwrap().remove("baseline_trust");
            for f in t["findings"].as_array_mut().unwrap() {
                f.as_object_mut().unwrap().remove("first_seen");
            }
            t
        };
        assert_eq!(
            strip(by_name(&r, name)),
            strip(by_name(&alone, name)),
            "target {name} changed when failing probes joined the fleet"
        );
    }
    // A second run reuses the unchanged plain targets but probes the probed ones again: the
    // running registry can change while its config does not.
    let (_, _, again) = run("all.yml");
    assert_eq!(by_name(&again, "same")["reused"], true, "{again:#}");
    for name in ["dead", "silent"] {
        let t = by_name(&again, name);
        assert!(t.get("reused").is_none(), "{name} was reused: {t:#}");
        assert!(
            t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule_id"] == "RD-PROBE-001"),
            "{t:#}"
        );
    }
    for (name, says) in [("dead", "refused"), ("silent", "timed out")] {
        let t = by_name(&r, name);
        assert_eq!(t["status"]["state"], "checked", "{t:#}");
        let probe: Vec<&serde_json::Value> = t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["location"]["kind"] == "probe")
            .collect();
        assert_eq!(probe.len(), 1, "{probe:#?}");
        assert_eq!(probe[0]["rule_id"], "RD-PROBE-001");
        let msg = probe[0]["message"].as_str().unwrap().to_lowercase();
        assert!(
            msg.contains("could not reach the registry") && msg.contains(says),
            "{msg}"
        );
    }
}
