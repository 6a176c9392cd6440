//! Benchmark of `regdrift diff` over 10,000 config pairs of about 3 KB each.
//!
//! Run: `cargo bench --bench diff`. For each pair it does what `regdrift diff` does: build
//! both effective configs (YAML load, yaml.v2 decoding, env overlay), run every posture and
//! drift check, the structural and text diff, and serialise the JSON report. Prints pairs/s,
//! MB/s of input and peak RSS. Best of 3 timed runs after one warm-up.

use std::hint::black_box;
use std::time::Instant;

use regdrift::evaluate;
use regdrift::policy::Waivers;
use regdrift::registry::envfile::{EnvSource, EnvVar};
use regdrift::registry::redact::Digester;
use regdrift::registry::{BuildOptions, build};
use regdrift::report::Report;
use regdrift::rules::Severity;

/// Pairs per run; `REGDRIFT_BENCH_PAIRS` overrides it (for profiling).
fn pair_count() -> usize {
    std::env::var("REGDRIFT_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn config(r: &mut Rng, i: usize, drift: bool) -> String {
    let level = if drift {
        r.pick(&["info", "debug", "warn"])
    } else {
        "info"
    };
    let delete = if drift {
        r.pick(&["false", "true", "yes"])
    } else {
        "false"
    };
    let debug = if drift {
        r.pick(&["127.0.0.1:5001", ":5001"])
    } else {
        "127.0.0.1:5001"
    };
    let mut s = format!(
        "# registry {i}\nversion: 0.1\nlog:\n  level: {level}\n  formatter: json\n  fields:\n    service: registry-{i}\n    region: eu-{}\n  accesslog:\n    disabled: false\n",
        i % 7
    );
    s.push_str(&format!(
        "storage:\n  s3:\n    bucket: images-{i}\n    region: eu-west-1\n    rootdirectory: /r{}\n    encrypt: true\n    secure: true\n    chunksize: 10485760\n  delete:\n    enabled: {delete}\n  cache:\n    blobdescriptor: inmemory\n  maintenance:\n    uploadpurging:\n      enabled: true\n      age: 168h\n      interval: 24h\n      dryrun: false\n",
        i % 3
    ));
    s.push_str(&format!(
        "auth:\n  token:\n    realm: https://auth{}.example.com/token\n    service: registry\n    issuer: auth\n    rootcertbundle: /etc/distribution/root.crt\n",
        if drift && r.next() % 5 == 0 { 9 } else { 1 }
    ));
    s.push_str(&format!(
        "http:\n  addr: :5000\n  host: https://r{i}.example.com\n  tls:\n    certificate: /c.pem\n    key: /k.pem\n    minimumtls: tls1.2\n  debug:\n    addr: {debug}\n  headers:\n    X-Content-Type-Options: [nosniff]\n    Strict-Transport-Security: [max-age=63072000]\n"
    ));
    s.push_str("notifications:\n  endpoints:\n");
    for e in 0..3 {
        s.push_str(&format!(
            "    - name: hook{e}\n      url: https://hooks{e}.example.com/r{i}\n      timeout: 2s\n      threshold: 5\n      backoff: 10s\n      headers:\n        Authorization: [Bearer t{i}x{e}]\n"
        ));
    }
    s.push_str("health:\n  storagedriver:\n    enabled: true\n    interval: 10s\n    threshold: 3\n  http:\n    - uri: https://upstream.example.com/health\n      timeout: 3s\n");
    s.push_str(
        "validation:\n  manifests:\n    urls:\n      allow: ['^https://mcr\\.microsoft\\.com/']\n",
    );
    while s.len() < 3000 {
        s.push_str("# padding comment to reach about three kilobytes per config file\n");
    }
    s
}

fn env(i: usize, drift: bool) -> Vec<EnvVar> {
    let mut v = vec![
        (
            "REGISTRY_HTTP_SECRET",
            format!("s3cr3t-{i}-abcdefghijklmnopqrstuvwxyz"),
        ),
        ("REGISTRY_STORAGE_S3_SECRETKEY", format!("k{i}")),
        ("REGISTRY_STORAGE_S3_ACCESSKEY", format!("AKIA{i}")),
    ];
    if drift && i % 4 == 0 {
        v.push(("REGISTRY_AUTH", String::new()));
    }
    v.into_iter()
        .map(|(n, value)| EnvVar {
            name: n.into(),
            value,
            source: EnvSource::Cli,
        })
        .collect()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let pairs: Vec<(String, String, Vec<EnvVar>, Vec<EnvVar>)> = (0..pair_count())
        .map(|i| {
            (
                config(&mut r, i, false),
                config(&mut r, i, true),
                env(i, false),
                env(i, true),
            )
        })
        .collect();
    let bytes: usize = pairs.iter().map(|p| p.0.len() + p.1.len()).sum();
    let d = Digester::from_material("bench");
    let waivers = Waivers::none();
    let opts = BuildOptions::default();
    let run = || {
        let mut findings = 0usize;
        for (i, (b, dep, be, de)) in pairs.iter().enumerate() {
            let base = build(b.as_bytes(), "baseline.yml", be, &opts).expect("baseline loads");
            let cfg = build(dep.as_bytes(), "deployed.yml", de, &opts).expect("deployed loads");
            let t = evaluate::diff(&format!("t{i}"), &base, &cfg, &d, &waivers);
            findings += t.findings.len();
            let report = Report::new("diff", vec![t], Severity::Low);
            black_box(serde_json::to_vec(&report).expect("serialises"));
        }
        findings
    };
    black_box(run());
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..3 {
        let t = Instant::now();
        findings = black_box(run());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "diff benchmark: {} pairs, {mb:.1} MB of config, {findings} findings",
        pair_count()
    );
    println!(
        "  best of 3: {best:.3} s  ->  {:.0} pairs/s, {:.1} MB/s, {:.1} us/pair",
        pair_count() as f64 / best,
        mb / best,
        best * 1e6 / pair_count() as f64
    );
    println!("  peak RSS: {:.1} MB", peak_rss_mb());
}
