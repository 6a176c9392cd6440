//! The deployment examples in `examples/deploy/` are valid: the systemd units pass
//! `systemd-analyze verify` with no complaint (the binary path pointed at the built regdrift),
//! the Kubernetes manifests parse as YAML with the expected kinds and the fields the README
//! promises (CronJob that forbids overlap; Indexed Job whose pods check `--shard INDEX/N`), and
//! the crontab line has five valid cron fields and a regdrift command. Every regdrift command
//! line in them is also parsed by the built binary's own argument parser (`--help` after the
//! arguments), so a renamed flag breaks this test, not a deployment.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

fn deploy(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/deploy")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(deploy(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Checks that regdrift's argument parser accepts `args` (appending `--help` stops before
/// anything runs, after every argument was parsed).
fn regdrift_accepts(args: &[String]) {
    assert_eq!(
        args.first()
            .map(String::as_str)
            .map(|p| p.ends_with("regdrift")),
        Some(true),
        "{args:?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_regdrift"))
        .args(&args[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "regdrift refuses {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// systemd

const UNITS: [&str; 3] = [
    "systemd/regdrift.service",
    "systemd/regdrift.timer",
    "systemd/regdrift-daemon.service",
];

/// `Key=value` of a unit file (last one wins), ignoring comments.
fn unit_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .rev()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_string())
        .next()
}

#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        let msg = "systemd-analyze is not installed (apt-get install systemd): units not verified";
        assert!(
            !support::tool_required(),
            "REGDRIFT_REQUIRE_VALIDATORS=1: {msg}"
        );
        eprintln!("skipped: {msg}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_regdrift");
    let mut paths = Vec::new();
    for unit in UNITS {
        let text = read(unit).replace("/usr/local/bin/regdrift", bin);
        let p = dir.path().join(Path::new(unit).file_name().unwrap());
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );

    // It does complain when a unit is wrong (so silence above means something).
    let bad = dir.path().join("regdrift.service");
    let text = std::fs::read_to_string(&bad).unwrap() + "Restart=sometimes\n";
    std::fs::write(&bad, text).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).trim().is_empty());
}

#[test]
fn systemd_units_say_what_the_readme_says() {
    let oneshot = read("systemd/regdrift.service");
    assert_eq!(unit_value(&oneshot, "Type").as_deref(), Some("oneshot"));
    let timer = read("systemd/regdrift.timer");
    assert_eq!(
        unit_value(&timer, "Unit").as_deref(),
        Some("regdrift.service")
    );
    let daemon = read("systemd/regdrift-daemon.service");
    assert_eq!(
        unit_value(&daemon, "ExecReload").as_deref(),
        Some("/bin/kill -HUP $MAINPID")
    );
    assert_eq!(
        unit_value(&daemon, "KillSignal").as_deref(),
        Some("SIGTERM")
    );
    for text in [&oneshot, &daemon] {
        let exec: Vec<String> = unit_value(text, "ExecStart")
            .unwrap()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        regdrift_accepts(&exec);
    }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

fn manifests(rel: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(&read(rel))
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{rel}: not YAML: {e}")))
        .collect()
}

fn manifest(rel: &str) -> Value {
    let docs = manifests(rel);
    assert_eq!(docs.len(), 1, "{rel}: one document");
    docs.into_iter().next().unwrap()
}

use serde::Deserialize;

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

/// The regdrift container of a pod spec: its args parse, its mounts exist as volumes.
fn check_pod(pod: &Value, what: &str) -> Vec<String> {
    let containers = pod["containers"].as_sequence().expect("containers");
    assert_eq!(containers.len(), 1, "{what}");
    let c = &containers[0];
    assert_eq!(
        c["securityContext"]["allowPrivilegeEscalation"],
        Value::Bool(false),
        "{what}"
    );
    assert_eq!(
        c["securityContext"]["readOnlyRootFilesystem"],
        Value::Bool(true),
        "{what}"
    );
    assert_eq!(
        pod["securityContext"]["runAsNonRoot"],
        Value::Bool(true),
        "{what}"
    );
    let volumes: Vec<&str> = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for m in c["volumeMounts"].as_sequence().unwrap() {
        assert!(
            volumes.contains(&m["name"].as_str().unwrap()),
            "{what}: mount {m:?}"
        );
    }
    strings(&c["args"])
}

#[test]
fn kubernetes_cronjob_checks_the_fleet_without_overlap() {
    let m = manifest("kubernetes/cronjob.yaml");
    assert_eq!(m["apiVersion"].as_str(), Some("batch/v1"));
    assert_eq!(m["kind"].as_str(), Some("CronJob"));
    assert_eq!(m["spec"]["concurrencyPolicy"].as_str(), Some("Forbid"));
    let schedule = m["spec"]["schedule"].as_str().unwrap();
    cron_fields(schedule).unwrap_or_else(|e| panic!("CronJob schedule {schedule:?}: {e}"));
    let pod = &m["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    let args = check_pod(pod, "cronjob");
    assert_eq!(args[0], "check");
    let mut argv = vec!["regdrift".to_string()];
    argv.extend(args);
    regdrift_accepts(&argv);
}

#[test]
fn kubernetes_indexed_job_checks_one_shard_per_pod() {
    let m = manifest("kubernetes/indexed-job.yaml");
    assert_eq!(m["apiVersion"].as_str(), Some("batch/v1"));
    assert_eq!(m["kind"].as_str(), Some("Job"));
    assert_eq!(m["spec"]["completionMode"].as_str(), Some("Indexed"));
    let n = m["spec"]["completions"].as_u64().unwrap();
    let pod = &m["spec"]["template"]["spec"];
    let args = check_pod(pod, "indexed job");
    let shard = args
        .iter()
        .position(|a| a == "--shard")
        .map(|i| args[i + 1].clone())
        .expect("--shard");
    assert_eq!(shard, format!("$(JOB_COMPLETION_INDEX)/{n}"));
    // JOB_COMPLETION_INDEX is declared in the container's env (Kubernetes expands $(VAR) in
    // args only for declared variables), from the completion-index annotation.
    let env = pod["containers"][0]["env"].as_sequence().unwrap();
    let index = env
        .iter()
        .find(|e| e["name"].as_str() == Some("JOB_COMPLETION_INDEX"))
        .expect("JOB_COMPLETION_INDEX in env");
    assert_eq!(
        index["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        Some("metadata.annotations['batch.kubernetes.io/job-completion-index']")
    );
    // Every index's command line parses.
    for i in 0..n {
        let mut argv = vec!["regdrift".to_string()];
        argv.extend(
            args.iter()
                .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string())),
        );
        regdrift_accepts(&argv);
    }
}

#[test]
fn kubernetes_daemon_is_one_replica_probed_on_healthz_and_scrapable() {
    let docs = manifests("kubernetes/daemon.yaml");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Deployment", "Service"]);
    let (deploy, service) = (&docs[0], &docs[1]);
    assert_eq!(deploy["apiVersion"].as_str(), Some("apps/v1"));
    assert_eq!(deploy["spec"]["replicas"].as_u64(), Some(1));
    assert_eq!(
        deploy["spec"]["strategy"]["type"].as_str(),
        Some("Recreate"),
        "never two daemons"
    );
    let pod = &deploy["spec"]["template"]["spec"];
    let args = check_pod(pod, "daemon");
    assert_eq!(args[0], "daemon");
    let mut argv = vec!["regdrift".to_string()];
    argv.extend(args);
    regdrift_accepts(&argv);
    let c = &pod["containers"][0];
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(
            c[probe]["httpGet"]["path"].as_str(),
            Some("/healthz"),
            "{probe}"
        );
        assert_eq!(
            c[probe]["httpGet"]["port"].as_str(),
            Some("metrics"),
            "{probe}"
        );
    }
    assert_eq!(c["ports"][0]["containerPort"].as_u64(), Some(9465));
    assert_eq!(
        service["spec"]["selector"], deploy["spec"]["selector"]["matchLabels"],
        "the Service selects the daemon's pods"
    );
    assert_eq!(
        service["spec"]["ports"][0]["targetPort"].as_str(),
        Some("metrics")
    );
}

// ---------------------------------------------------------------------------------------------
// cron

/// Checks five crontab fields with croner (the cron parser regdrift already depends on), seconds
/// disallowed as in crontab.
fn cron_fields(fields: &str) -> Result<(), String> {
    if fields.split_whitespace().count() != 5 {
        return Err("not five fields".into());
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(fields)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn the_crontab_line_has_five_fields_and_a_regdrift_command() {
    let text = read("cron/regdrift.crontab");
    let jobs: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| {
            // NAME=value environment lines
            !l.split_whitespace().next().unwrap().contains('=')
        })
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let words: Vec<&str> = jobs[0].split_whitespace().collect();
    cron_fields(&words[..5].join(" ")).unwrap();
    assert!(!jobs[0].contains('%'), "% is a newline in crontab commands");
    let command: Vec<String> = words[5..]
        .iter()
        .take_while(|w| !w.starts_with("2>") && !w.starts_with('>'))
        .map(|s| s.to_string())
        .collect();
    let at = command
        .iter()
        .position(|w| w.ends_with("/regdrift"))
        .expect("regdrift in the command");
    assert!(
        command[..at].iter().any(|w| w.ends_with("flock")),
        "runs under flock"
    );
    regdrift_accepts(&command[at..]);
    assert!(cron_fields("*/15 * * * * *").is_err() && cron_fields("61 * * * *").is_err());
}
