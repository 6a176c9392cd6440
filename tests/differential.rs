//! Differential tests of the effective-config engine against the real registry: each case (a
//! config file plus `REGISTRY_*` env, from sections 4 and 5 of the reference: YAML 1.1
//! booleans, quoted "true", duplicate keys, merge keys, `REGISTRY_AUTH=`, `REGISTRY_STORAGE=`
//! replacement, unknown keys, a second document, env list indexes in 2.8, ...) is started for
//! real (`docker-registry serve`, Debian 2.8.2, so regdrift builds with 2.8 semantics), and
//! what the registry does is compared with what regdrift's effective config predicts:
//!
//! | observed | predicted from |
//! | --- | --- |
//! | starts, or exits before listening | `registry::build` fails or `would_start()` is false |
//! | TLS handshake on the port | TLS on (`http.tls.certificate` set) |
//! | anonymous `GET /v2/`: 401 or 200 | an auth provider in effect |
//! | `DELETE` of a manifest by digest: 405 (unsupported) or not | `storage.delete.enabled` is a true YAML bool |
//! | `POST` of a blob upload: 405 (read-only) or 202 | `storage.maintenance.readonly.enabled` |
//! | `GET /debug/vars` on the debug port: 200 | `http.debug.addr` set |
//!
//! DELETE and POST are observed only where `/v2/` is anonymous (with auth they answer 401).
//! The agreement table is printed; any disagreement fails the test (a disagreement is a
//! regdrift bug: fix the engine and name the bug here). Cases run two at a time.
//!
//! Missing `docker-registry` or `openssl`: the test says why and passes, unless
//! `REGDRIFT_REQUIRE_REGISTRY=1` (set by .ci/run), which makes it fail.

#[path = "fixtures/probe/harness.rs"]
mod harness;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use harness::Started;
use regdrift::registry::envfile::{EnvSource, EnvVar};
use regdrift::registry::{self, BuildOptions, Version};
use regdrift::rules::Ctx;

const HTPASSWD: &str = include_str!("fixtures/probe/htpasswd");

/// One config + env pair.
struct Case {
    name: &'static str,
    /// Reference section it exercises.
    section: &'static str,
    config: String,
    env: Vec<(&'static str, &'static str)>,
}

/// What the registry does (observed) or should do (predicted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Behaviour {
    starts: bool,
    tls: Option<bool>,
    v2: Option<u16>,
    delete: Option<bool>,
    readonly: Option<bool>,
    debug: Option<bool>,
}

impl Behaviour {
    fn show(&self) -> String {
        if !self.starts {
            return "no start".into();
        }
        let b = |v: Option<bool>, y: &str| match v {
            Some(true) => y.to_string(),
            Some(false) => format!("-{y}"),
            None => format!("?{y}"),
        };
        format!(
            "{} v2={} {} {} {}",
            b(self.tls, "tls"),
            self.v2.map_or("?".into(), |s| s.to_string()),
            b(self.delete, "del"),
            b(self.readonly, "ro"),
            b(self.debug, "dbg")
        )
    }

    /// Equal where both sides know.
    fn agrees(&self, o: &Behaviour) -> bool {
        fn eq<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
            a.zip(b).is_none_or(|(a, b)| a == b)
        }
        self.starts == o.starts
            && (!self.starts
                || (eq(self.tls, o.tls)
                    && eq(self.v2, o.v2)
                    && eq(self.delete, o.delete)
                    && eq(self.readonly, o.readonly)
                    && eq(self.debug, o.debug)))
    }
}

const HEAD: &str = "version: 0.1\nlog:\n  level: info\n";
const HTTP: &str = "http:\n  addr: 127.0.0.1:{PORT}\n";
const HTTP_TLS: &str = "http:\n  addr: 127.0.0.1:{PORT}\n  tls:\n    certificate: {TLS}/server.crt\n    key: {TLS}/server.key\n";
const AUTH: &str = "auth:\n  htpasswd:\n    realm: r\n    path: {DIR}/htpasswd\n";

/// `storage: filesystem` under the case dir, with `extra` lines (indented 2) after it.
fn storage(extra: &str) -> String {
    format!("storage:\n  filesystem:\n    rootdirectory: {{DIR}}/data\n{extra}")
}

fn with(parts: &[&str]) -> String {
    let mut s = HEAD.to_string();
    for p in parts {
        s.push_str(p);
    }
    s
}

fn delete_is(value: &str) -> String {
    with(&[
        &storage(&format!("  delete:\n    enabled: {value}\n")),
        HTTP,
    ])
}

fn case(
    name: &'static str,
    section: &'static str,
    config: String,
    env: &[(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        section,
        config,
        env: env.to_vec(),
    }
}

fn cases() -> Vec<Case> {
    let plain = with(&[&storage(""), HTTP]);
    let del_on = storage("  delete:\n    enabled: true\n");
    let anchors = "x-on: &on {enabled: true}\nx-off: &off {enabled: false}\n";
    let mut v = vec![
        // 5.2 YAML 1.1 booleans where a real YAML bool is required (storage.delete.enabled).
        case("delete yes", "5.2", delete_is("yes"), &[]),
        case("delete Yes", "5.2", delete_is("Yes"), &[]),
        case("delete on", "5.2", delete_is("on"), &[]),
        case("delete ON", "5.2", delete_is("ON"), &[]),
        case("delete y", "5.2", delete_is("y"), &[]),
        case("delete Y", "5.2", delete_is("Y"), &[]),
        case("delete true", "5.2", delete_is("true"), &[]),
        case(
            "delete \"true\" (quoted)",
            "5.2",
            delete_is("\"true\""),
            &[],
        ),
        case("delete 1", "5.2", delete_is("1"), &[]),
        case("delete yES (mixed case)", "5.3", delete_is("yES"), &[]),
        case(
            "delete !!bool \"true\"",
            "5.3",
            delete_is("!!bool \"true\""),
            &[],
        ),
        case("delete !!str true", "5.3", delete_is("!!str true"), &[]),
        case("delete enable", "5.2", delete_is("enable"), &[]),
        case("delete off", "5.2", delete_is("off"), &[]),
        case(
            "readonly on",
            "5.2",
            with(&[
                &storage("  maintenance:\n    readonly:\n      enabled: on\n"),
                HTTP,
            ]),
            &[],
        ),
        case(
            "readonly yes",
            "5.2",
            with(&[
                &storage("  maintenance:\n    readonly:\n      enabled: yes\n"),
                HTTP,
            ]),
            &[],
        ),
        case(
            "readonly \"true\" (quoted: panic)",
            "5.2",
            with(&[
                &storage("  maintenance:\n    readonly:\n      enabled: \"true\"\n"),
                HTTP,
            ]),
            &[],
        ),
        case(
            "redirect disable yes",
            "5.2",
            with(&[&storage("  redirect:\n    disable: yes\n"), HTTP]),
            &[],
        ),
        case(
            "redirect disable \"true\" (panic)",
            "5.2",
            with(&[&storage("  redirect:\n    disable: \"true\"\n"), HTTP]),
            &[],
        ),
        // 5.3 duplicate keys: struct sections merge, storage/auth replace, last wins.
        case(
            "duplicate http merges",
            "5.3",
            with(&[
                &storage(""),
                HTTP,
                "http:\n  debug:\n    addr: 127.0.0.1:{DEBUG}\n",
            ]),
            &[],
        ),
        case(
            "duplicate auth: later none replaces htpasswd",
            "5.3",
            with(&[&storage(""), HTTP, AUTH, "auth: none\n"]),
            &[],
        ),
        case(
            "duplicate auth: later htpasswd replaces none",
            "5.3",
            with(&[&storage(""), HTTP, "auth: none\n", AUTH]),
            &[],
        ),
        case(
            "duplicate storage replaces (delete gone)",
            "5.3",
            with(&[&del_on, &storage(""), HTTP]),
            &[],
        ),
        case(
            "duplicate enabled: true then false",
            "5.3",
            with(&[
                &storage("  delete:\n    enabled: true\n    enabled: false\n"),
                HTTP,
            ]),
            &[],
        ),
        case(
            "duplicate enabled: false then yes",
            "5.3",
            with(&[
                &storage("  delete:\n    enabled: false\n    enabled: yes\n"),
                HTTP,
            ]),
            &[],
        ),
        // 5.3 anchors, aliases and merge keys (yaml.v2 applies merges in document order).
        case(
            "merge <<: *on then enabled: false",
            "5.3",
            with(&[
                anchors,
                &storage("  delete:\n    <<: *on\n    enabled: false\n"),
                HTTP,
            ]),
            &[],
        ),
        case(
            "merge enabled: false then <<: *on",
            "5.3",
            with(&[
                anchors,
                &storage("  delete:\n    enabled: false\n    <<: *on\n"),
                HTTP,
            ]),
            &[],
        ),
        case(
            "merge list [*off, *on]: first wins",
            "5.3",
            with(&[anchors, &storage("  delete:\n    <<: [*off, *on]\n"), HTTP]),
            &[],
        ),
        case(
            "alias delete: *on",
            "5.3",
            with(&[anchors, &storage("  delete: *on\n"), HTTP]),
            &[],
        ),
        case(
            "merge into http from an unknown top-level key",
            "5.3",
            with(&[
                &storage(""),
                "x-debug: &dbg\n  debug:\n    addr: 127.0.0.1:{DEBUG}\n",
                "http:\n  <<: *dbg\n  addr: 127.0.0.1:{PORT}\n",
            ]),
            &[],
        ),
        // 1.1 / 5.3 documents and version.
        case(
            "second document with auth is ignored",
            "1.1",
            with(&[&storage(""), HTTP, "---\n", AUTH]),
            &[],
        ),
        case(
            "version quoted \"0.1\"",
            "1.1",
            format!("version: \"0.1\"\n{}{HTTP}", storage("")),
            &[],
        ),
        case(
            "version 0.2 refused",
            "1.1",
            format!("version: 0.2\n{}{HTTP}", storage("")),
            &[],
        ),
        case(
            "REGISTRY_VERSION=0.9 applied after the check",
            "1.1",
            plain.clone(),
            &[("REGISTRY_VERSION", "0.9")],
        ),
        // 5.1 unknown keys, case sensitivity, fatal type errors.
        case(
            "misspelled delete.enabeld: true",
            "5.1",
            with(&[&storage("  delete:\n    enabeld: true\n"), HTTP]),
            &[],
        ),
        case(
            "unknown top-level and log keys",
            "5.1",
            with(&["foo: bar\nlog:\n  levle: debug\n", &storage(""), HTTP]),
            &[],
        ),
        case(
            "HTTP: (upper case) is not http:",
            "5.1",
            with(&[
                &storage(""),
                HTTP,
                "HTTP:\n  debug:\n    addr: 127.0.0.1:{DEBUG}\n",
            ]),
            &[],
        ),
        case(
            "log.level verbose refused",
            "5.1",
            format!(
                "version: 0.1\nlog:\n  level: verbose\n{}{HTTP}",
                storage("")
            ),
            &[],
        ),
        case(
            "relativeurls: maybe refused",
            "5.1",
            with(&[&storage(""), HTTP, "  relativeurls: maybe\n"]),
            &[],
        ),
        case(
            "storage: inmemory (scalar form)",
            "2.3",
            with(&["storage: inmemory\n", HTTP]),
            &[],
        ),
        // 4.3 whole-section replacement and deletion from env.
        case(
            "REGISTRY_AUTH= removes htpasswd",
            "4.3",
            with(&[&storage(""), HTTP, AUTH]),
            &[("REGISTRY_AUTH", "")],
        ),
        case(
            "REGISTRY_AUTH=none",
            "4.3",
            with(&[&storage(""), HTTP, AUTH]),
            &[("REGISTRY_AUTH", "none")],
        ),
        case(
            "REGISTRY_AUTH={}",
            "4.3",
            with(&[&storage(""), HTTP, AUTH]),
            &[("REGISTRY_AUTH", "{}")],
        ),
        case(
            "control: htpasswd from the file",
            "4.3",
            with(&[&storage(""), HTTP, AUTH]),
            &[],
        ),
        case(
            "REGISTRY_STORAGE=inmemory replaces storage (delete gone)",
            "4.3",
            with(&[&del_on, HTTP]),
            &[("REGISTRY_STORAGE", "inmemory")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE_ENABLED=true",
            "4.3",
            plain.clone(),
            &[("REGISTRY_STORAGE_DELETE_ENABLED", "true")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE_ENABLED=on",
            "4.3",
            plain.clone(),
            &[("REGISTRY_STORAGE_DELETE_ENABLED", "on")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE_ENABLED=\"true\" (quoted)",
            "4.2",
            plain.clone(),
            &[("REGISTRY_STORAGE_DELETE_ENABLED", "\"true\"")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE_ENABLED=yes over file false",
            "4.3",
            delete_is("false"),
            &[("REGISTRY_STORAGE_DELETE_ENABLED", "yes")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE={} over file true",
            "4.3",
            with(&[&del_on, HTTP]),
            &[("REGISTRY_STORAGE_DELETE", "{}")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE_ENABLED= (empty) over file true",
            "4.2",
            with(&[&del_on, HTTP]),
            &[("REGISTRY_STORAGE_DELETE_ENABLED", "")],
        ),
        case(
            "REGISTRY_STORAGE_MAINTENANCE_READONLY={enabled: true}",
            "4.3",
            plain.clone(),
            &[("REGISTRY_STORAGE_MAINTENANCE_READONLY", "{enabled: true}")],
        ),
        case(
            "READONLY_ENABLED leaf with no maintenance block (panic)",
            "4.5",
            plain.clone(),
            &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
        ),
        case(
            "READONLY_ENABLED leaf, maintenance block without readonly (panic)",
            "4.5",
            with(&[
                &storage("  maintenance:\n    uploadpurging:\n      enabled: false\n"),
                HTTP,
            ]),
            &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
        ),
        case(
            "READONLY_ENABLED leaf over a file readonly map (ignored)",
            "4.5",
            with(&[
                &storage("  maintenance:\n    readonly:\n      enabled: false\n"),
                HTTP,
            ]),
            &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
        ),
        case(
            "REGISTRY_STORAGE_DELETE={enabled: yes}",
            "4.3",
            plain.clone(),
            &[("REGISTRY_STORAGE_DELETE", "{enabled: yes}")],
        ),
        case(
            "REGISTRY_STORAGE_REDIRECT_DISABLE=true",
            "4.3",
            plain.clone(),
            &[("REGISTRY_STORAGE_REDIRECT_DISABLE", "true")],
        ),
        case(
            "REGISTRY_STORAGE_REDIRECT_DISABLE=\"true\" (panic)",
            "4.3",
            plain.clone(),
            &[("REGISTRY_STORAGE_REDIRECT_DISABLE", "\"true\"")],
        ),
        case(
            "REGISTRY_STORAGE_S3_REGION adds a second driver (panic)",
            "4.4",
            plain.clone(),
            &[("REGISTRY_STORAGE_S3_REGION", "us-east-1")],
        ),
        case(
            "auth from env alone (REGISTRY_AUTH=htpasswd + params)",
            "4.3",
            plain.clone(),
            &[
                ("REGISTRY_AUTH", "htpasswd"),
                ("REGISTRY_AUTH_HTPASSWD_REALM", "r"),
                ("REGISTRY_AUTH_HTPASSWD_PATH", "{DIR}/htpasswd"),
            ],
        ),
        case(
            "silly params from env create auth",
            "4.1",
            plain.clone(),
            &[
                ("REGISTRY_AUTH_SILLY_REALM", "r"),
                ("REGISTRY_AUTH_SILLY_SERVICE", "s"),
            ],
        ),
        case(
            "REGISTRY_HTTP_DEBUG_ADDR",
            "4.1",
            plain.clone(),
            &[("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:{DEBUG}")],
        ),
        case(
            "REGISTRY_HTTP_DEBUG_ADDR with a YAML comment",
            "4.2",
            plain.clone(),
            &[("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:{DEBUG} #note")],
        ),
        case(
            "lower-case registry_http_debug_addr is ignored",
            "4.1",
            plain.clone(),
            &[("registry_http_debug_addr", "127.0.0.1:{DEBUG}")],
        ),
        case(
            "REGISTRY_HTTP_Debug_ADDR (mixed case segment) is ignored",
            "4.1",
            plain.clone(),
            &[("REGISTRY_HTTP_Debug_ADDR", "127.0.0.1:{DEBUG}")],
        ),
        case(
            "REGISTRY_LOG_LEVEL=debug",
            "4.1",
            plain.clone(),
            &[("REGISTRY_LOG_LEVEL", "debug")],
        ),
        case(
            "REGISTRY_LOG_LEVEL=loud refused",
            "4.1",
            plain.clone(),
            &[("REGISTRY_LOG_LEVEL", "loud")],
        ),
        // TLS from file and env.
        case(
            "control: TLS from the file",
            "4.3",
            with(&[&storage(""), HTTP_TLS]),
            &[],
        ),
        case(
            "REGISTRY_HTTP_TLS_CERTIFICATE= turns TLS off",
            "4.3",
            with(&[&storage(""), HTTP_TLS]),
            &[("REGISTRY_HTTP_TLS_CERTIFICATE", "")],
        ),
        case(
            "REGISTRY_HTTP_TLS= turns TLS off",
            "4.3",
            with(&[&storage(""), HTTP_TLS]),
            &[("REGISTRY_HTTP_TLS", "")],
        ),
        case(
            "TLS from env alone",
            "4.1",
            plain.clone(),
            &[
                ("REGISTRY_HTTP_TLS_CERTIFICATE", "{TLS}/server.crt"),
                ("REGISTRY_HTTP_TLS_KEY", "{TLS}/server.key"),
            ],
        ),
        case(
            "2.8 ignores list indexes: REGISTRY_HTTP_TLS_CLIENTCAS_0",
            "4.5",
            with(&[&storage(""), HTTP_TLS]),
            &[("REGISTRY_HTTP_TLS_CLIENTCAS_0", "{DIR}/no-such-ca.pem")],
        ),
        case(
            "2.8 ignores list indexes: notifications endpoint 0",
            "4.5",
            plain.clone(),
            &[(
                "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL",
                "http://127.0.0.1:9/x",
            )],
        ),
    ];
    v.sort_by_key(|c| c.section);
    v
}

/// Replaces placeholders: {PORT}, {DEBUG}, {DIR} (the case's dir), {TLS} (shared certificates).
fn fill(text: &str, dir: &Path, tls: &Path, port: u16, debug: u16) -> String {
    harness::fill(
        &text.replace("{TLS}", &tls.display().to_string()),
        dir,
        port,
        debug,
    )
}

fn predict(config: &str, env: &[(String, String)]) -> Behaviour {
    let vars: Vec<EnvVar> = env
        .iter()
        .map(|(k, v)| EnvVar {
            name: k.clone(),
            value: v.clone(),
            source: EnvSource::Cli,
        })
        .collect();
    let opts = BuildOptions {
        version: Version::V2_8,
        ..BuildOptions::default()
    };
    let Ok(cfg) = registry::build(config.as_bytes(), "config.yml", &vars, &opts) else {
        return Behaviour::default();
    };
    if !cfg.would_start() {
        return Behaviour::default();
    }
    let c = Ctx::new(&cfg);
    Behaviour {
        starts: true,
        tls: Some(c.tls_on()),
        v2: Some(if c.has_auth() { 401 } else { 200 }),
        delete: Some(c.bool("storage.delete.enabled") == Some(true)),
        readonly: Some(c.bool("storage.maintenance.readonly.enabled") == Some(true)),
        debug: Some(c.str("http.debug.addr").is_some()),
    }
}

const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn request(port: u16, tls: bool, method: &str, path: &str) -> Option<u16> {
    if !tls {
        return harness::plain_status(port, method, path);
    }
    let rec = std::sync::Arc::new(regdrift::probe::tls::Recorder::default());
    let deadline = regdrift::probe::http::Deadline::after(std::time::Duration::from_secs(5));
    let mut s = regdrift::probe::tls::connect("127.0.0.1", port, &rec, deadline).ok()?;
    harness::status_over(&mut s, port, method, path)
}

fn observe(bin: &Path, c: &Case, tls_dir: &Path) -> (Behaviour, Behaviour, String) {
    for _attempt in 0..3 {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("htpasswd"), HTPASSWD).expect("htpasswd");
        let (port, debug) = harness::free_port_pair();
        let config = fill(&c.config, dir.path(), tls_dir, port, debug);
        let env: Vec<(String, String)> = c
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), fill(v, dir.path(), tls_dir, port, debug)))
            .collect();
        let predicted = predict(&config, &env);
        let mut reg = match harness::start(bin, dir.path(), &config, &env, port, debug) {
            Started::Exited(_, log) if log.contains("address already in use") => continue,
            Started::Exited(status, log) => {
                return (
                    Behaviour::default(),
                    predicted,
                    format!("{status}: {}", last_line(&log)),
                );
            }
            Started::NotListening(log) => {
                let seen = Behaviour {
                    starts: true,
                    ..Behaviour::default()
                };
                return (
                    seen,
                    predicted,
                    format!("did not listen on {port}: {}", last_line(&log)),
                );
            }
            Started::Running(r) => r,
        };
        let rec = std::sync::Arc::new(regdrift::probe::tls::Recorder::default());
        let deadline = regdrift::probe::http::Deadline::after(std::time::Duration::from_secs(5));
        let tls = regdrift::probe::tls::connect("127.0.0.1", port, &rec, deadline).is_ok();
        let v2 = request(port, tls, "GET", "/v2/");
        let open = v2 == Some(200);
        let delete = open
            .then(|| {
                request(
                    port,
                    tls,
                    "DELETE",
                    &format!("/v2/probe/manifests/{DIGEST}"),
                )
            })
            .flatten()
            .map(|s| s != 405);
        let readonly = open
            .then(|| request(port, tls, "POST", "/v2/probe/blobs/uploads/"))
            .flatten()
            .map(|s| s == 405);
        let debug_up = harness::plain_status(debug, "GET", "/debug/vars") == Some(200);
        let alive = reg.alive();
        let seen = Behaviour {
            starts: alive,
            tls: Some(tls),
            v2,
            delete,
            readonly,
            debug: Some(debug_up),
        };
        return (seen, predicted, String::new());
    }
    panic!("{}: no free port pair in 3 attempts", c.name);
}

fn last_line(log: &str) -> String {
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("panic") || l.contains("error") || l.contains("configuration"))
        .or_else(|| log.lines().last())
        .unwrap_or("");
    line.chars().take(110).collect()
}

#[test]
fn the_engine_predicts_what_the_real_registry_does() {
    let Some(bin) = harness::tools_or_skip("the differential tests") else {
        return;
    };
    let tls_dir = tempfile::tempdir().expect("tempdir");
    harness::tls_material(tls_dir.path(), 30);
    let cases = cases();
    assert!(cases.len() >= 40, "at least 40 pairs ({})", cases.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<(Behaviour, Behaviour, String)>>> =
        Mutex::new(cases.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(c) = cases.get(i) else { break };
                    let r = observe(&bin, c, tls_dir.path());
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut table = format!(
        "{:<4} {:<66} {:<30} {:<30} {}\n",
        "sec", "case", "observed (real 2.8.2)", "predicted (regdrift)", "agree"
    );
    let mut disagree = Vec::new();
    for (c, r) in cases.iter().zip(&results) {
        let (seen, predicted, note) = r.clone().expect("every case ran");
        let ok = seen.agrees(&predicted);
        table += &format!(
            "{:<4} {:<66} {:<30} {:<30} {}{}\n",
            c.section,
            c.name,
            seen.show(),
            predicted.show(),
            if ok { "yes" } else { "NO" },
            if note.is_empty() {
                String::new()
            } else {
                format!("  [{note}]")
            }
        );
        if !ok {
            disagree.push(c.name);
        }
    }
    table += &format!(
        "agreement: {}/{} pairs\n",
        cases.len() - disagree.len(),
        cases.len()
    );
    println!("{table}");
    assert!(
        disagree.is_empty(),
        "regdrift's effective config disagrees with the real registry on {}:\n{table}",
        disagree.join(", ")
    );
}
