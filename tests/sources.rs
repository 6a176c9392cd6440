//! Sources of a target's deployed configuration and environment, against real files,
//! processes, git repositories (made with the git CLI at run time) and manifest fixtures
//! (`tests/fixtures/sources/`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use regdrift::registry::envfile::{EnvSource, EnvVar};
use regdrift::source::{
    CommandSource, EnvDialect, EnvRef, EnvSpec, Fetched, GitSource, KubernetesSource, SourceError,
    SourceKind, SourceSpec, collect_env, fetch, fetch_env,
};

/// Writing an executable while another thread forks can make exec fail with ETXTBSY (the
/// child briefly holds the write descriptor); tests that write scripts or start processes hold
/// this lock.
static PROCESSES: Mutex<()> = Mutex::new(());

fn processes() -> MutexGuard<'static, ()> {
    PROCESSES.lock().unwrap_or_else(|e| e.into_inner())
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sources")
}

fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn command(words: &[&str], timeout: &str) -> SourceSpec {
    SourceSpec::Command(CommandSource {
        argv: argv(words),
        timeout: timeout.to_owned(),
    })
}

const CONFIG: &str = "version: 0.1\nhttp:\n  addr: :5000\n";

// ---------------------------------------------------------------------------------------------
// Spec parsing

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    source: SourceSpec,
    #[serde(default)]
    env: EnvSpec,
}

fn target(yaml: &str) -> Result<Target, serde_yaml::Error> {
    serde_yaml::from_str(yaml)
}

#[test]
fn parses_the_documented_yaml() {
    let t = target("source: {file: /etc/distribution/config.yml}").unwrap();
    assert_eq!(
        t.source,
        SourceSpec::File("/etc/distribution/config.yml".into())
    );
    assert_eq!(t.env, EnvSpec::default());

    let t = target(
        "source: {command: {argv: [ssh, reg1, cat, /etc/distribution/config.yml], timeout: 10s}}",
    )
    .unwrap();
    assert_eq!(
        t.source,
        command(
            &["ssh", "reg1", "cat", "/etc/distribution/config.yml"],
            "10s"
        )
    );
    let t = target("source: {command: {argv: [cat, c.yml]}}").unwrap();
    assert_eq!(t.source, command(&["cat", "c.yml"], "30s"));

    let t =
        target("source: {git: {repo: ../gitops, ref: main, path: registry/config.yml}}").unwrap();
    assert_eq!(
        t.source,
        SourceSpec::Git(GitSource {
            repo: "../gitops".into(),
            r#ref: "main".to_owned(),
            path: "registry/config.yml".to_owned(),
        })
    );
    let t = target("source: {git: {repo: ../gitops, path: c.yml}}").unwrap();
    assert!(matches!(t.source, SourceSpec::Git(GitSource { r#ref, .. }) if r#ref == "HEAD"));

    let t = target("source: {kubernetes: {manifests: k8s/registry.yaml}}").unwrap();
    assert_eq!(
        t.source,
        SourceSpec::Kubernetes(KubernetesSource::new("k8s/registry.yaml"))
    );

    let t = target(
        "source:\n  kubernetes:\n    manifests: k8s/\n    config_map: reg\n    key: c.yaml\n    \
         workload: registry\n    container: registry\n    namespace: ops\n\
         env:\n  files: [a.env, b.env]\n  dialect: systemd\n  vars: {REGISTRY_LOG_LEVEL: info}\n  \
         command: [ssh, reg1, cat, /etc/registry.env]\n  command_timeout: 5s\n  \
         from_kubernetes: true\n",
    )
    .unwrap();
    assert!(
        matches!(t.source, SourceSpec::Kubernetes(KubernetesSource { namespace: Some(ns), .. }) if ns == "ops")
    );
    assert_eq!(
        t.env,
        EnvSpec {
            files: vec!["a.env".into(), "b.env".into()],
            dialect: EnvDialect::Systemd,
            vars: BTreeMap::from([("REGISTRY_LOG_LEVEL".to_owned(), "info".to_owned())]),
            command: Some(argv(&["ssh", "reg1", "cat", "/etc/registry.env"])),
            command_timeout: "5s".to_owned(),
            from_kubernetes: true,
        }
    );
}

#[test]
fn rejects_unknown_keys_naming_them() {
    let cases = [
        ("source: {command: {argv: [a], timout: 5s}}", "timout"),
        ("source: {git: {repo: r, path: p, branch: main}}", "branch"),
        (
            "source: {kubernetes: {manifests: k, configmap: x}}",
            "configmap",
        ),
        ("source: {file: c.yml}\nenv: {file: [a.env]}", "file"),
        ("source: {http: {url: x}}", "http"),
        ("source: {file: c.yml}\nenv: {dialect: bash}", "bash"),
    ];
    for (yaml, name) in cases {
        let err = target(yaml).unwrap_err().to_string();
        assert!(err.contains(&format!("`{name}`")), "{yaml}: {err}");
    }
    let err = target("source: {file: a, git: {repo: r, path: p}}").unwrap_err();
    assert!(
        err.to_string().contains("expected map with a single key"),
        "{err}"
    );
}

#[test]
fn source_spec_round_trips_as_a_single_key_map() {
    for yaml in [
        "file: /etc/distribution/config.yml\n",
        "command:\n  argv:\n  - ssh\n  - reg1\n  timeout: 10s\n",
        "git:\n  repo: ../gitops\n  ref: main\n  path: registry/config.yml\n",
    ] {
        let spec: SourceSpec = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(serde_yaml::to_string(&spec).unwrap(), yaml);
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            serde_json::from_str::<SourceSpec>(&json).unwrap(),
            spec,
            "{json}"
        );
    }
}

#[test]
fn spec_types_have_a_json_schema() {
    let schema = schemars::schema_for!(SourceSpec);
    let text = serde_json::to_string(&schema).unwrap();
    for word in ["file", "command", "git", "kubernetes", "ssh, reg1, cat"] {
        assert!(text.contains(word), "{word} missing from {text}");
    }
    let env = serde_json::to_string(&schemars::schema_for!(EnvSpec)).unwrap();
    assert!(env.contains("from_kubernetes") && env.contains("systemd"));
}

// ---------------------------------------------------------------------------------------------
// File

#[test]
fn file_source_reads_relative_to_base_dir() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::write(dir.path().join("conf/config.yml"), CONFIG).unwrap();
    let fetched = fetch(&SourceSpec::File("conf/config.yml".into()), dir.path()).unwrap();
    assert_eq!(fetched.bytes, CONFIG.as_bytes());
    assert_eq!(fetched.label, "conf/config.yml");
    assert_eq!(fetched.kind, SourceKind::File);
    assert!(fetched.env.is_empty() && fetched.from_refs.is_empty());

    let err = fetch(&SourceSpec::File("conf/missing.yml".into()), dir.path()).unwrap_err();
    assert!(matches!(err, SourceError::FileRead { .. }));
    let message = err.to_string();
    assert!(
        message.starts_with("cannot read conf/missing.yml ("),
        "{message}"
    );
    assert!(
        message.contains("relative to the directory of regdrift.yml"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// Command

#[test]
fn command_source_captures_stdout_of_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let _guard = processes();
    script(
        dir.path(),
        "print.sh",
        &format!("echo 'noise on stderr' >&2\nprintf '%s' '{CONFIG}'\n"),
    );
    let fetched = fetch(&command(&["./print.sh", "reg1"], "10s"), dir.path()).unwrap();
    assert_eq!(fetched.bytes, CONFIG.as_bytes());
    assert_eq!(fetched.label, "command: ./print.sh reg1");
    assert_eq!(fetched.kind, SourceKind::Command);
}

#[test]
fn command_failure_quotes_redacted_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let _guard = processes();
    script(
        dir.path(),
        "fail.sh",
        "echo 'REGISTRY_HTTP_SECRET=hunter2' >&2\necho 'ssh: Could not resolve hostname reg1' >&2\n\
         echo 'partial output'\nexit 3\n",
    );
    let err = fetch(&command(&["sh", "fail.sh"], "10s"), dir.path()).unwrap_err();
    let SourceError::CommandFailed { stderr, status, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(status.contains('3'), "{status}");
    assert!(
        stderr.contains("Could not resolve hostname reg1"),
        "{stderr}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("command `sh fail.sh` failed"),
        "{message}"
    );
    assert!(
        message.contains("REGISTRY_HTTP_SECRET=<redacted>"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn command_stderr_is_cut_to_300_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let _guard = processes();
    script(
        dir.path(),
        "loud.sh",
        "i=0\nwhile [ $i -lt 100 ]; do echo \"line $i of a long error\" >&2; i=$((i+1)); done\nexit 1\n",
    );
    let err = fetch(&command(&["sh", "loud.sh"], "10s"), dir.path()).unwrap_err();
    let SourceError::CommandFailed { stderr, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(stderr.len() <= 300 + "…".len(), "{}", stderr.len());
    assert!(stderr.starts_with("line 0 of a long error") && stderr.ends_with('…'));
}

#[test]
fn command_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let _guard = processes();
    script(dir.path(), "slow.sh", "echo started\nsleep 5\necho done\n");
    let start = Instant::now();
    let err = fetch(&command(&["./slow.sh"], "300ms"), dir.path()).unwrap_err();
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(matches!(err, SourceError::Timeout { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "command `./slow.sh` did not finish within 300ms; check the host or raise timeout"
    );
}

#[test]
fn command_errors_name_the_program_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let _guard = processes();
    let err = fetch(&command(&[], "10s"), dir.path()).unwrap_err();
    assert!(matches!(err, SourceError::EmptyCommand { .. }), "{err:?}");

    let err = fetch(&command(&["regdrift-no-such-program"], "10s"), dir.path()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cannot run `regdrift-no-such-program`"),
        "{message}"
    );
    assert!(
        message.contains("install it or give its full path"),
        "{message}"
    );

    let err = fetch(&command(&["true"], "ten seconds"), dir.path()).unwrap_err();
    assert!(matches!(err, SourceError::InvalidTimeout { .. }), "{err:?}");

    let err = fetch(&command(&["true"], "5s"), dir.path()).unwrap_err();
    assert!(matches!(err, SourceError::EmptyOutput { .. }), "{err:?}");
}

#[test]
fn command_output_over_8_mib_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let _guard = processes();
    let err = fetch(
        &command(&["head", "-c", "9000000", "/dev/zero"], "20s"),
        dir.path(),
    )
    .unwrap_err();
    assert!(matches!(err, SourceError::OutputTooLarge { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Git

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn git_source_reads_committed_files_at_a_ref() {
    let base = tempfile::tempdir().unwrap();
    let repo = base.path().join("gitops");
    fs::create_dir_all(repo.join("registry")).unwrap();
    let _guard = processes();
    git(&repo, &["init", "-q"]);
    fs::write(repo.join("registry/config.yml"), "version: 0.1\n# old\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "old"]);
    let old = git(&repo, &["rev-parse", "HEAD"]);
    fs::write(repo.join("registry/config.yml"), CONFIG).unwrap();
    git(&repo, &["commit", "-q", "-am", "new"]);
    // An uncommitted edit is not what is deployed.
    fs::write(repo.join("registry/config.yml"), "dirty\n").unwrap();

    let spec = |r: &str, path: &str| {
        SourceSpec::Git(GitSource {
            repo: "gitops".into(),
            r#ref: r.to_owned(),
            path: path.to_owned(),
        })
    };
    let fetched = fetch(&spec("main", "registry/config.yml"), base.path()).unwrap();
    assert_eq!(fetched.bytes, CONFIG.as_bytes());
    assert_eq!(fetched.label, "git:gitops@main:registry/config.yml");
    assert_eq!(fetched.kind, SourceKind::Git);
    let fetched = fetch(&spec(&old, "./registry/config.yml"), base.path()).unwrap();
    assert_eq!(fetched.bytes, b"version: 0.1\n# old\n");
    let fetched = fetch(&spec("HEAD~1", "registry/config.yml"), base.path()).unwrap();
    assert_eq!(fetched.bytes, b"version: 0.1\n# old\n");

    let err = fetch(&spec("main", "registry/missing.yml"), base.path()).unwrap_err();
    assert!(matches!(err, SourceError::GitFile { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(
            "git source git:gitops@main:registry/missing.yml: registry/missing.yml does not exist \
             at `main` (commit "
        ),
        "{message}"
    );
    let err = fetch(&spec("main", "registry"), base.path()).unwrap_err();
    assert!(
        err.to_string().contains("is a directory, not a file"),
        "{err}"
    );
    let err = fetch(&spec("main", "../etc/passwd"), base.path()).unwrap_err();
    assert!(matches!(err, SourceError::GitPath { .. }), "{err:?}");
    let err = fetch(&spec("no-such-branch", "registry/config.yml"), base.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("`no-such-branch` does not name a commit"),
        "{err}"
    );
    let err = fetch(
        &SourceSpec::Git(GitSource {
            repo: "nowhere".into(),
            r#ref: "HEAD".to_owned(),
            path: "c.yml".to_owned(),
        }),
        base.path(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a git repository"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

fn kubernetes(manifests: &str) -> SourceSpec {
    SourceSpec::Kubernetes(KubernetesSource::new(manifests))
}

fn var<'a>(fetched: &'a [EnvVar], name: &str) -> Option<&'a EnvVar> {
    fetched.iter().rev().find(|v| v.name == name)
}

fn other(description: &str) -> EnvSource {
    EnvSource::Other {
        description: description.to_owned(),
    }
}

#[test]
fn kubernetes_configmap_mounted_by_the_deployment() {
    let fetched = fetch(&kubernetes("k8s-configmap/registry.yaml"), &fixtures()).unwrap();
    let text = String::from_utf8(fetched.bytes.clone()).unwrap();
    assert!(text.starts_with("version: 0.1\nstorage:\n"), "{text}");
    assert!(text.ends_with("  addr: :5000\n"), "{text}");
    assert_eq!(
        fetched.label,
        "kubernetes:k8s-configmap/registry.yaml#ConfigMap/registry-config:config.yml"
    );
    assert_eq!(fetched.kind, SourceKind::Kubernetes);

    let origin = "kubernetes Deployment/registry container/registry";
    let names: Vec<&str> = fetched.env.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "PORT",
            "REGISTRY_HTTP_ADDR",
            "REGISTRY_LOG_LEVEL",
            "REGISTRY_LOG_LEVEL"
        ]
    );
    assert_eq!(
        var(&fetched.env, "REGISTRY_HTTP_ADDR").unwrap(),
        &EnvVar {
            name: "REGISTRY_HTTP_ADDR".to_owned(),
            value: ":5000".to_owned(),
            source: other(origin),
        }
    );
    assert_eq!(
        var(&fetched.env, "REGISTRY_LOG_LEVEL").unwrap().value,
        "debug"
    );
    assert!(var(&fetched.env, "REGISTRY_NOT_THIS_ONE").is_none());

    let refs: Vec<(&str, &str, &str, &str, bool)> = fetched
        .from_refs
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.kind.as_str(),
                r.object.as_str(),
                r.key.as_str(),
                r.optional,
            )
        })
        .collect();
    assert_eq!(
        refs,
        [
            ("*", "secretRef", "Secret/registry-env-secret", "*", false),
            (
                "REGISTRY_*",
                "configMapRef",
                "ConfigMap/registry-extra",
                "*",
                true
            ),
            (
                "REGISTRY_HTTP_SECRET",
                "secretKeyRef",
                "Secret/registry-secrets",
                "http-secret",
                false
            ),
            ("POD_NAME", "fieldRef", "Pod", "metadata.name", false),
        ]
    );
    assert!(fetched.from_refs.iter().all(|r| r.source == origin));
    assert_eq!(
        fetched.from_refs[2].to_string(),
        "REGISTRY_HTTP_SECRET comes from Secret/registry-secrets http-secret (secretKeyRef; value \
         not read)"
    );
    assert!(
        fetched
            .notes
            .iter()
            .any(|n| n.contains("using Deployment/registry container registry")),
        "{:?}",
        fetched.notes
    );

    // With the env spec: kubernetes first, then files, command and vars.
    let env = fetch_env(
        &EnvSpec {
            from_kubernetes: true,
            ..EnvSpec::default()
        },
        &fixtures(),
        &fetched,
    )
    .unwrap();
    let effective: Vec<(&str, &str)> = env
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        effective,
        [
            ("PORT", "5000"),
            ("REGISTRY_HTTP_ADDR", ":5000"),
            ("REGISTRY_LOG_LEVEL", "debug")
        ]
    );
}

#[test]
fn kubernetes_names_select_the_objects() {
    let spec = KubernetesSource {
        config_map: Some("old-registry-config".to_owned()),
        container: Some("exporter".to_owned()),
        namespace: Some("registry".to_owned()),
        ..KubernetesSource::new("k8s-configmap/registry.yaml")
    };
    let fetched = fetch(&SourceSpec::Kubernetes(spec.clone()), &fixtures()).unwrap();
    assert_eq!(
        fetched.bytes,
        b"version: 0.1\n# not mounted by the workload\n"
    );
    assert_eq!(
        fetched.env,
        [EnvVar {
            name: "REGISTRY_NOT_THIS_ONE".to_owned(),
            value: "from the sidecar".to_owned(),
            source: other("kubernetes Deployment/registry container/exporter"),
        }]
    );

    let wrong = KubernetesSource {
        namespace: Some("elsewhere".to_owned()),
        ..spec.clone()
    };
    let err = fetch(&SourceSpec::Kubernetes(wrong), &fixtures())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no ConfigMap or Secret named old-registry-config"),
        "{err}"
    );

    let wrong = KubernetesSource {
        container: Some("nginx".to_owned()),
        ..spec
    };
    let err = fetch(&SourceSpec::Kubernetes(wrong), &fixtures())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "Deployment/registry has no container named nginx (containers: exporter, registry)"
        ),
        "{err}"
    );
    assert!(err.contains("set container"), "{err}");
}

#[test]
fn kubernetes_secret_config_in_a_manifest_directory() {
    let fetched = fetch(&kubernetes("k8s-secret"), &fixtures()).unwrap();
    eprintln!("{:#?}", fetched.notes);
    assert_eq!(fetched.bytes, b"version: 0.1\nstorage:\n  inmemory: {}\n");
    assert_eq!(
        fetched.label,
        "kubernetes:k8s-secret/secret.json#Secret/registry-config:config.yml"
    );
    // envFrom a ConfigMap in the manifests is resolved; env overrides it.
    let delete = var(&fetched.env, "REGISTRY_STORAGE_DELETE_ENABLED").unwrap();
    assert_eq!(delete.value, "false");
    let formatter = var(&fetched.env, "REGISTRY_LOG_FORMATTER").unwrap();
    assert_eq!(formatter.value, "json");
    assert_eq!(
        formatter.source,
        other(
            "kubernetes ConfigMap/registry-env key REGISTRY_LOG_FORMATTER (kubernetes \
             StatefulSet/registry container/registry)"
        )
    );
    // Service `registry` gives REGISTRY_* link variables; the cluster IP is not known.
    assert_eq!(
        var(&fetched.env, "REGISTRY_SERVICE_PORT").unwrap().value,
        "5000"
    );
    assert_eq!(
        var(&fetched.env, "REGISTRY_SERVICE_PORT_HTTP")
            .unwrap()
            .value,
        "5000"
    );
    assert_eq!(
        var(&fetched.env, "REGISTRY_PORT_5000_TCP_PROTO")
            .unwrap()
            .value,
        "tcp"
    );
    let link_refs: Vec<&str> = fetched
        .from_refs
        .iter()
        .filter(|r| r.kind == "serviceLink")
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        link_refs,
        [
            "REGISTRY_SERVICE_HOST",
            "REGISTRY_PORT",
            "REGISTRY_PORT_5000_TCP",
            "REGISTRY_PORT_5000_TCP_ADDR"
        ]
    );
    let notes = fetched.notes.join("\n");
    assert!(notes.contains("enableServiceLinks: false"), "{notes}");
    assert!(notes.contains("skipped 1 document"), "{notes}");
}

#[test]
fn kubernetes_secret_string_data_and_fallback_to_the_only_object_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: reg}\n\
         data: {config.yml: aWdub3JlZA==, other: eA==}\n\
         stringData:\n  config.yml: |\n    version: 0.1\n",
    )
    .unwrap();
    let fetched = fetch(&kubernetes("secret.yaml"), dir.path()).unwrap();
    assert_eq!(fetched.bytes, b"version: 0.1\n");
    assert!(fetched.env.is_empty());
    assert!(fetched.notes.iter().any(|n| n.contains("no workload")));

    fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: reg}\ndata: {config.yml: 'not base64!'}\n",
    )
    .unwrap();
    let err = fetch(&kubernetes("bad.yaml"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("bad.yaml: document 1, Secret/reg: data.config.yml is not base64"),
        "{err}"
    );
}

#[test]
fn kubernetes_errors_name_the_manifest_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
    write(
        "two.yaml",
        "kind: ConfigMap\nmetadata: {name: a}\ndata: {config.yml: x}\n---\n\
         kind: ConfigMap\nmetadata: {name: b}\ndata: {config.yml: y}\n",
    );
    let err = fetch(&kubernetes("two.yaml"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("kubernetes manifests two.yaml: several ConfigMaps or Secrets"),
        "{err}"
    );
    assert!(err.contains("ConfigMap/a (two.yaml, document 1)"), "{err}");
    assert!(
        err.ends_with("set config_map to the one the registry reads"),
        "{err}"
    );

    write("broken.yaml", "kind: ConfigMap\n---\nkind: [unclosed\n");
    let err = fetch(&kubernetes("broken.yaml"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("broken.yaml: document 2: "), "{err}");

    write(
        "number.yaml",
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: registry\n    \
         image: registry:3\n    env:\n    - {name: REGISTRY_HTTP_ADDR, value: 5000}\n",
    );
    let err = fetch(&kubernetes("number.yaml"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("number.yaml: document 1, Pod/p: invalid type: integer"),
        "{err}"
    );

    write(
        "none.yaml",
        "kind: ConfigMap\nmetadata: {name: a}\ndata: {other: x}\n",
    );
    let err = fetch(&kubernetes("none.yaml"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no ConfigMap or Secret has a key config.yml"),
        "{err}"
    );

    let err = fetch(&kubernetes("missing.yaml"), dir.path()).unwrap_err();
    assert!(matches!(err, SourceError::ManifestRead { .. }), "{err:?}");

    fs::create_dir(dir.path().join("empty")).unwrap();
    let err = fetch(&kubernetes("empty"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no .yaml, .yml or .json files"), "{err}");

    write(
        "unlisted.yaml",
        "kind: Deployment\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers:\n\
         \x20     - name: registry\n        image: registry:3\n        volumeMounts:\n\
         \x20       - {name: c, mountPath: /etc/distribution}\n      volumes:\n\
         \x20     - name: c\n        configMap: {name: generated-abc123}\n",
    );
    let err = fetch(&kubernetes("unlisted.yaml"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("reads its configuration from ConfigMap/generated-abc123 key config.yml"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Environment

#[test]
fn env_merges_in_order_and_the_last_value_wins() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.env"),
        "REGISTRY_A=file-a\nREGISTRY_B=file-a\nREGISTRY_C=file-a\nREGISTRY_K=file\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("b.env"),
        "# systemd\nREGISTRY_B=\"file b\"\nREGISTRY_C=file-b\n",
    )
    .unwrap();
    let _guard = processes();
    script(
        dir.path(),
        "env.sh",
        "printf 'REGISTRY_C=command\\nREGISTRY_D=command\\n'\n",
    );
    let fetched = Fetched {
        bytes: Vec::new(),
        label: "kubernetes:k.yaml#ConfigMap/c:config.yml".to_owned(),
        kind: SourceKind::Kubernetes,
        env: vec![
            EnvVar {
                name: "REGISTRY_K".to_owned(),
                value: "kubernetes".to_owned(),
                source: other("kubernetes Deployment/r container/r"),
            },
            EnvVar {
                name: "REGISTRY_A".to_owned(),
                value: "kubernetes".to_owned(),
                source: other("kubernetes Deployment/r container/r"),
            },
        ],
        from_refs: Vec::<EnvRef>::new(),
        notes: Vec::new(),
    };
    let spec = EnvSpec {
        files: vec!["a.env".into(), "b.env".into()],
        dialect: EnvDialect::Systemd,
        vars: BTreeMap::from([
            ("REGISTRY_D".to_owned(), "vars".to_owned()),
            ("REGISTRY_E".to_owned(), "vars".to_owned()),
        ]),
        command: Some(argv(&["sh", "env.sh"])),
        command_timeout: "10s".to_owned(),
        from_kubernetes: true,
    };
    let env = fetch_env(&spec, dir.path(), &fetched).unwrap();
    let got: Vec<(&str, &str)> = env
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("REGISTRY_A", "file-a"),
            ("REGISTRY_B", "file b"),
            ("REGISTRY_C", "command"),
            ("REGISTRY_D", "vars"),
            ("REGISTRY_E", "vars"),
            ("REGISTRY_K", "file"),
        ]
    );
    let source = |name: &str| env.iter().find(|v| v.name == name).unwrap().source.clone();
    assert_eq!(
        source("REGISTRY_B"),
        EnvSource::File {
            path: dir.path().join("b.env"),
            line: 2
        }
    );
    assert_eq!(source("REGISTRY_C"), other("command: sh env.sh, line 1"));
    assert_eq!(source("REGISTRY_E"), other("regdrift.yml vars"));

    // Without from_kubernetes the container's variables are left out, with a note.
    let collected = collect_env(
        &EnvSpec {
            files: vec!["a.env".into()],
            ..EnvSpec::default()
        },
        dir.path(),
        &fetched,
    )
    .unwrap();
    assert_eq!(collected.vars.len(), 4);
    assert!(
        collected
            .vars
            .iter()
            .all(|v| v.value == "file-a" || v.value == "file")
    );
    assert!(
        collected.notes[0].contains("env.from_kubernetes"),
        "{:?}",
        collected.notes
    );
}

#[test]
fn env_errors_name_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Fetched {
        bytes: CONFIG.as_bytes().to_vec(),
        label: "config.yml".to_owned(),
        kind: SourceKind::File,
        env: Vec::new(),
        from_refs: Vec::new(),
        notes: Vec::new(),
    };
    let err = fetch_env(
        &EnvSpec {
            from_kubernetes: true,
            ..EnvSpec::default()
        },
        dir.path(),
        &plain,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("the source is config.yml, not kubernetes"),
        "{err}"
    );

    let err = fetch_env(
        &EnvSpec {
            files: vec!["missing.env".into()],
            ..EnvSpec::default()
        },
        dir.path(),
        &plain,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("env.files: cannot read env file"), "{err}");

    let err = fetch_env(
        &EnvSpec {
            vars: BTreeMap::from([("A=B".to_owned(), "x".to_owned())]),
            ..EnvSpec::default()
        },
        dir.path(),
        &plain,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`A=B` is not a valid variable name"), "{err}");

    let _guard = processes();
    let err = fetch_env(
        &EnvSpec {
            command: Some(argv(&["sh", "-c", "echo 'BAD NAME=1'"])),
            ..EnvSpec::default()
        },
        dir.path(),
        &plain,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "env.command: command: sh -c \"echo 'BAD NAME=1'\":1: variable name \"BAD\" is followed by whitespace"
        ),
        "{err}"
    );
}
