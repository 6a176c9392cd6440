//! The live probe against the real registry (Debian `docker-registry` 2.8.2, started as
//! `docker-registry serve CONFIG` on free 127.0.0.1 ports): the hardened baseline shows no
//! finding, and each drifted config shows exactly the findings its drift should.
//!
//! The hardened config: htpasswd auth (tests/fixtures/probe/htpasswd: a bcrypt entry of a
//! test-only password), TLS with a CA and server certificate made by openssl now, minimum TLS
//! 1.2, security headers, debug listener on 127.0.0.1 only, deletes off, filesystem storage in
//! a temp dir. The probe reaches the debug port at 127.0.0.2 (also loopback): a listener bound
//! to 127.0.0.1 refuses it, one bound to every interface answers, which is what "exposed"
//! means without leaving the machine.
//!
//! Missing `docker-registry` or `openssl`: the tests say why and pass, unless
//! `REGDRIFT_REQUIRE_REGISTRY=1` (set by .ci/run), which makes them fail.

#[path = "fixtures/probe/harness.rs"]
mod harness;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use harness::{Registry, Started};
use regdrift::probe::{self, ProbeOptions, ProbeOutcome};
use regdrift::registry::{self, BuildOptions, EffectiveConfig, Version};

const HTPASSWD: &str = include_str!("fixtures/probe/htpasswd");

/// What differs from the hardened config.
#[derive(Debug, Clone, Copy, Default)]
struct Drift {
    no_auth: bool,
    debug_everywhere: bool,
    no_tls: bool,
    deletes: bool,
    weak_tls: bool,
    realm: Option<&'static str>,
    client_cas: bool,
}

fn config(d: Drift) -> String {
    let mut c = String::from(
        "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {DIR}/data\n  delete:\n",
    );
    c += &format!("    enabled: {}\n", d.deletes);
    if !d.no_auth {
        c += &format!(
            "auth:\n  htpasswd:\n    realm: {}\n    path: {{DIR}}/htpasswd\n",
            d.realm.unwrap_or("regdrift-test")
        );
    }
    c += "http:\n  addr: 127.0.0.1:{PORT}\n  secret: not-a-real-secret-only-for-this-test\n";
    if !d.no_tls {
        c += "  tls:\n    certificate: {DIR}/server.crt\n    key: {DIR}/server.key\n";
        if d.weak_tls {
            c += "    minimumtls: tls1.0\n    ciphersuites:\n      - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n      - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n";
        } else {
            c += "    minimumtls: tls1.2\n";
        }
        if d.client_cas {
            c += "    clientcas:\n      - {DIR}/ca.pem\n";
        }
    }
    c += "  headers:\n    X-Content-Type-Options: [nosniff]\n    Strict-Transport-Security: [max-age=63072000]\n";
    let debug_host = if d.debug_everywhere {
        "0.0.0.0"
    } else {
        "127.0.0.1"
    };
    c += &format!("  debug:\n    addr: {debug_host}:{{DEBUG}}\n");
    c
}

/// One registry with its files, ports and the baseline it should match.
struct Case {
    dir: tempfile::TempDir,
    port: u16,
    debug: u16,
    reg: Option<Registry>,
}

impl Case {
    fn new(cert_days: u32) -> Case {
        let dir = tempfile::tempdir().expect("tempdir");
        harness::tls_material(dir.path(), cert_days);
        std::fs::write(dir.path().join("htpasswd"), HTPASSWD).expect("htpasswd");
        let (port, debug) = harness::free_port_pair();
        Case {
            dir,
            port,
            debug,
            reg: None,
        }
    }

    fn fill(&self, text: &str) -> String {
        harness::fill(text, self.dir.path(), self.port, self.debug)
    }

    fn start(&mut self, bin: &Path, d: Drift) {
        let text = self.fill(&config(d));
        match harness::start(bin, self.dir.path(), &text, &[], self.port, self.debug) {
            Started::Running(r) => self.reg = Some(r),
            Started::Exited(status, log) => {
                panic!("the registry did not start ({status}) with\n{text}\nlog:\n{log}")
            }
            Started::NotListening(log) => {
                panic!(
                    "the registry did not listen on {} with\n{text}\nlog:\n{log}",
                    self.port
                )
            }
        }
    }

    fn baseline(&self, d: Drift) -> EffectiveConfig {
        let text = self.fill(&config(d));
        let opts = BuildOptions {
            version: Version::V2_8,
            ..BuildOptions::default()
        };
        registry::build(text.as_bytes(), "baseline.yml", &[], &opts).expect("baseline builds")
    }

    fn opts(&self, with_ca: bool) -> ProbeOptions {
        ProbeOptions {
            timeout: Duration::from_secs(3),
            debug_addr: Some(format!("127.0.0.2:{}", self.debug)),
            ca_pem: with_ca.then(|| std::fs::read(self.dir.path().join("ca.pem")).expect("ca.pem")),
            ..ProbeOptions::default()
        }
    }

    fn probe(&self, url_scheme: &str, baseline: Drift, with_ca: bool) -> ProbeOutcome {
        let url = format!("{url_scheme}://127.0.0.1:{}", self.port);
        let b = self.baseline(baseline);
        let out = probe::probe("real", &url, Some(&b), &self.opts(with_ca))
            .unwrap_or_else(|e| panic!("probe of {url} failed: {e}\nlog:\n{}", self.log()));
        println!("probe {url}: observed {:?}", out.observed);
        for f in &out.findings {
            println!(
                "  {} {} {} @ {}: {}",
                f.severity,
                f.rule_id,
                f.path,
                f.location.label(),
                f.message
            );
        }
        out
    }

    fn log(&self) -> String {
        self.reg
            .as_ref()
            .map(Registry::log_text)
            .unwrap_or_default()
    }
}

fn rules(o: &ProbeOutcome) -> BTreeSet<&str> {
    o.findings.iter().map(|f| f.rule_id.as_str()).collect()
}

fn set<'a>(ids: &[&'a str]) -> BTreeSet<&'a str> {
    ids.iter().copied().collect()
}

const HARDENED: Drift = Drift {
    no_auth: false,
    debug_everywhere: false,
    no_tls: false,
    deletes: false,
    weak_tls: false,
    realm: None,
    client_cas: false,
};

#[test]
fn the_hardened_baseline_running_shows_no_live_finding() {
    let Some(bin) = harness::tools_or_skip("the hardened baseline probe") else {
        return;
    };
    let mut c = Case::new(30);
    c.start(&bin, HARDENED);
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&[]), "{:#?}", o.findings);
    let seen = &o.observed;
    assert_eq!(seen.v2_status, Some(401));
    assert_eq!(
        seen.www_authenticate.as_deref(),
        Some("Basic realm=\"regdrift-test\"")
    );
    assert_eq!(seen.catalog_status, Some(401));
    assert_eq!(seen.lowest_tls.as_deref(), Some("1.2"));
    assert_eq!(seen.cert_trusted, Some(true));
    assert!(seen.debug_reachable.is_empty(), "{seen:?}");
    assert!(!seen.plain_http);
    // The same registry probed where its debug listener does listen (loopback) is reachable:
    // the check is real, and the baseline's own address is not a finding.
    let mut opts = c.opts(true);
    opts.debug_addr = Some(format!("127.0.0.1:{}", c.debug));
    let b = c.baseline(HARDENED);
    let at_home = probe::probe(
        "real",
        &format!("https://127.0.0.1:{}", c.port),
        Some(&b),
        &opts,
    )
    .expect("probe");
    assert_eq!(
        at_home.observed.debug_reachable.len(),
        2,
        "{:?}",
        at_home.observed
    );
    assert_eq!(rules(&at_home), set(&[]));
}

#[test]
fn auth_removed_shows_anonymous_v2_and_catalog() {
    let Some(bin) = harness::tools_or_skip("the auth-removed probe") else {
        return;
    };
    let mut c = Case::new(30);
    c.start(
        &bin,
        Drift {
            no_auth: true,
            ..HARDENED
        },
    );
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&["RD-AUTH-001", "RD-PROBE-003"]));
    assert_eq!(o.observed.v2_status, Some(200));
    assert_eq!(o.observed.catalog_status, Some(200));
    let auth = o
        .findings
        .iter()
        .find(|f| f.rule_id == "RD-AUTH-001")
        .unwrap();
    assert_eq!(auth.severity, regdrift::rules::Severity::Critical);
    assert_eq!(
        auth.location.label(),
        format!("live probe https://127.0.0.1:{}", c.port)
    );
}

#[test]
fn debug_listener_on_every_interface_is_reachable_beyond_loopback() {
    let Some(bin) = harness::tools_or_skip("the exposed-debug probe") else {
        return;
    };
    let mut c = Case::new(30);
    c.start(
        &bin,
        Drift {
            debug_everywhere: true,
            ..HARDENED
        },
    );
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&["RD-EXP-001"]));
    assert_eq!(
        o.observed.debug_reachable,
        [
            format!("127.0.0.2:{}/debug/vars", c.debug),
            format!("127.0.0.2:{}/debug/pprof/", c.debug)
        ]
    );
}

#[test]
fn tls_removed_is_plain_http_on_the_https_url() {
    let Some(bin) = harness::tools_or_skip("the TLS-removed probe") else {
        return;
    };
    let mut c = Case::new(30);
    c.start(
        &bin,
        Drift {
            no_tls: true,
            ..HARDENED
        },
    );
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&["RD-TLS-001"]));
    assert!(o.observed.plain_http);
    let f = &o.findings[0];
    assert_eq!(
        f.severity,
        regdrift::rules::Severity::Critical,
        "htpasswd credentials in clear"
    );
    // Probing the http:// URL says the same.
    let o = c.probe("http", HARDENED, true);
    assert_eq!(rules(&o), set(&["RD-TLS-001"]));
}

#[test]
fn weak_minimum_tls_is_seen_by_a_tls_1_0_handshake() {
    let Some(bin) = harness::tools_or_skip("the weak-TLS probe") else {
        return;
    };
    let mut c = Case::new(30);
    c.start(
        &bin,
        Drift {
            weak_tls: true,
            ..HARDENED
        },
    );
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&["RD-TLS-002"]));
    assert_eq!(o.observed.lowest_tls.as_deref(), Some("1.0"));
    // Against a baseline that itself allows TLS 1.0 the same server is no drift.
    let o = c.probe(
        "https",
        Drift {
            weak_tls: true,
            ..HARDENED
        },
        true,
    );
    assert_eq!(rules(&o), set(&[]));
}

#[test]
fn deletes_enabled_is_a_config_finding_the_read_only_probe_cannot_see() {
    let Some(bin) = harness::tools_or_skip("the deletes-enabled probe") else {
        return;
    };
    let mut c = Case::new(30);
    let drifted = Drift {
        deletes: true,
        ..HARDENED
    };
    c.start(&bin, drifted);
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&[]), "the probe never sends DELETE");
    // The fleet check of the same target: the config drift (RD-INT-001 at the file) and the
    // probe (nothing live) in one report.
    let fleet = Fleet::new(&c, &c.fill(&config(HARDENED)), &c.fill(&config(drifted)));
    let report = fleet.check(&c);
    let t = &report["targets"][0];
    assert_eq!(t["status"]["state"], "checked", "{report:#}");
    let findings = t["findings"].as_array().unwrap();
    let int = findings
        .iter()
        .find(|f| f["rule_id"] == "RD-INT-001")
        .expect("RD-INT-001 from the config");
    assert_eq!(int["location"]["kind"], "file");
    assert!(
        findings.iter().all(|f| f["location"]["kind"] != "probe"),
        "{findings:#?}"
    );
}

#[test]
fn a_different_realm_and_an_expiring_untrusted_certificate() {
    let Some(bin) = harness::tools_or_skip("the realm and certificate probe") else {
        return;
    };
    let mut c = Case::new(5);
    c.start(
        &bin,
        Drift {
            realm: Some("someone-else"),
            ..HARDENED
        },
    );
    let o = c.probe("https", HARDENED, true);
    assert_eq!(rules(&o), set(&["RD-PROBE-002", "RD-PROBE-004"]));
    let exp = o
        .findings
        .iter()
        .find(|f| f.rule_id == "RD-PROBE-004")
        .unwrap();
    // Made for 5 days a moment ago: its notAfter, as a date, is in the message (a date rather
    // than "in N days", so the message does not change from one day to the next).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let days = |d: i64| regdrift::history::format_rfc3339(now + d * 86_400)[..10].to_string();
    assert!(
        exp.message.contains(&format!("expires on {}", days(4)))
            || exp.message.contains(&format!("expires on {}", days(5))),
        "{}",
        exp.message
    );
    // Without the test CA the Mozilla roots do not trust it.
    let o = c.probe("https", HARDENED, false);
    assert_eq!(
        rules(&o),
        set(&["RD-PROBE-002", "RD-PROBE-004", "RD-PROBE-005"])
    );
    assert_eq!(o.observed.cert_trusted, Some(false));
}

#[test]
fn client_certificates_required_by_the_baseline() {
    let Some(bin) = harness::tools_or_skip("the client-certificate probe") else {
        return;
    };
    let with_cas = Drift {
        client_cas: true,
        ..HARDENED
    };
    let mut c = Case::new(30);
    c.start(&bin, with_cas);
    let o = c.probe("https", with_cas, true);
    assert_eq!(rules(&o), set(&[]));
    assert!(o.observed.client_cert_required, "{:?}", o.observed);
    assert_eq!(o.observed.v2_status, None);
    assert_eq!(o.observed.lowest_tls.as_deref(), Some("1.2"));
    assert_eq!(o.observed.cert_trusted, Some(true));
    drop(c);
    let mut c = Case::new(30);
    c.start(&bin, HARDENED);
    let o = c.probe("https", with_cas, true);
    assert_eq!(rules(&o), set(&["RD-AUTH-011"]));
}

/// A one-target fleet: baseline in a git repository (unsigned, allowed for the test), the
/// deployed config as a file, and `probe:` pointing at the running registry.
struct Fleet {
    root: tempfile::TempDir,
}

impl Fleet {
    fn new(c: &Case, baseline: &str, deployed: &str) -> Fleet {
        let root = tempfile::tempdir().expect("tempdir");
        let r = root.path();
        harness::unsigned_baseline_repo(&r.join("baselines"), baseline);
        std::fs::write(r.join("deployed.yml"), deployed).unwrap();
        std::fs::write(
            r.join("regdrift.yml"),
            format!(
                "version: 1\nstate_dir: state\nbaseline:\n  repo: baselines\n  ref: main\n  allow_unsigned: true\ndefaults:\n  registry_version: \"2.8\"\ntargets:\n  - name: live\n    baseline: registry.yml\n    source:\n      file: deployed.yml\n    probe:\n      url: https://127.0.0.1:{}\n      debug_addr: 127.0.0.2:{}\n      timeout: 3s\n      ca: {}\n",
                c.port,
                c.debug,
                c.dir.path().join("ca.pem").display()
            ),
        )
        .unwrap();
        Fleet { root }
    }

    fn check(&self, _c: &Case) -> serde_json::Value {
        let o = Command::new(env!("CARGO_BIN_EXE_regdrift"))
            .args(["check", "-c"])
            .arg(self.root.path().join("regdrift.yml"))
            .args(["--format", "json"])
            .output()
            .expect("run regdrift");
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "regdrift check: {e}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
    }
}
