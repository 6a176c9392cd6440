//! Integration tests of `regdrift show` against the built binary: the exit status contract, the
//! JSON report shape, env provenance, secret redaction, hash semantics and output plumbing.
//!
//! These tests only use the binary (std::process::Command) and their own minimal view of the
//! JSON report; they never import regdrift's types.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/show")
        .join(name)
}

/// The binary with an environment that cannot influence the result: no digest key, no colour
/// preference, no backtrace setting (so a panic would print its usual `RUST_BACKTRACE` hint).
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

fn run_with_key(args: &[&str], key: &str) -> Output {
    regdrift()
        .env("REGDRIFT_DIGEST_KEY", key)
        .args(args)
        .output()
        .expect("run regdrift")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a successful run and returns stdout.
fn ok_stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected exit 0; stderr:\n{}",
        stderr_of(out)
    );
    stdout_of(out)
}

fn assert_no_panic_text(out: &Output) {
    for stream in [
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ] {
        assert!(
            !stream.contains("panicked"),
            "panic text in output:\n{stream}"
        );
        assert!(
            !stream.contains("RUST_BACKTRACE"),
            "panic text in output:\n{stream}"
        );
    }
}

/// The `line:col` right after `label:` in `line`, if there is one.
fn position_after(line: &str, label: &str) -> Option<(u32, u32)> {
    let rest = &line[line.find(&format!("{label}:"))? + label.len() + 1..];
    let mut parts = rest.splitn(3, ':');
    let l = parts.next()?.parse().ok()?;
    let c = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((l, c))
}

/// Exit status 2, nothing on stdout, no panic text, exactly one non-empty `regdrift: error:`
/// line on stderr containing every string of `mentions`. Returns that line.
fn assert_bad_input(out: &Output, mentions: &[&str]) -> String {
    assert_no_panic_text(out);
    let err = stderr_of(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2; stderr:\n{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "expected nothing on stdout, got:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one stderr line, got:\n{err}"
    );
    let line = lines[0];
    assert!(!line.trim().is_empty(), "stderr line is empty");
    assert!(
        line.starts_with("regdrift: error: "),
        "stderr line does not start with `regdrift: error: `: {line}"
    );
    for m in mentions {
        assert!(
            line.contains(m),
            "stderr line does not mention {m:?}: {line}"
        );
    }
    line.to_string()
}

/// [`assert_bad_input`] for a config file error at a position: the line names `path:line:col`.
fn assert_bad_input_at(out: &Output, path: &Path, mentions: &[&str]) -> (u32, u32) {
    let mut all = vec![p(path)];
    all.extend_from_slice(mentions);
    let line = assert_bad_input(out, &all);
    let pos = position_after(&line, p(path))
        .unwrap_or_else(|| panic!("no `{}:<line>:<col>:` in: {line}", p(path)));
    assert!(pos.0 >= 1 && pos.1 >= 1, "position is 1-based: {line}");
    pos
}

// ---------------------------------------------------------------------------------------------
// The test's own view of the JSON report (written from the documented shape, not imported).

#[derive(Debug, Deserialize)]
struct Report {
    schema_version: u32,
    registry_version: String,
    would_start: bool,
    entries: Vec<Entry>,
    env: Vec<EnvOutcome>,
    hashes: Hashes,
}

#[derive(Debug, Deserialize)]
struct Entry {
    path: String,
    value: String,
    #[serde(default)]
    digest: Option<String>,
    secret: bool,
    origin: Origin,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
enum Origin {
    File { line: u32, col: u32 },
    Env { var: String },
    Default,
}

#[derive(Debug, Deserialize)]
struct EnvOutcome {
    var: String,
    source: EnvSource,
    outcome: String,
    #[serde(default)]
    effect: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EnvSource {
    kind: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    line: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Hashes {
    raw: String,
    effective: String,
}

impl Report {
    fn entry(&self, path: &str) -> &Entry {
        self.entries
            .iter()
            .find(|e| e.path == path)
            .unwrap_or_else(|| panic!("no entry {path} in {:#?}", self.entries))
    }
}

fn show_json(args: &[&str], key: Option<&str>) -> Report {
    let mut all = vec!["show", "--format", "json"];
    all.extend_from_slice(args);
    let out = match key {
        Some(k) => run_with_key(&all, k),
        None => run(&all),
    };
    assert_no_panic_text(&out);
    let text = ok_stdout(&out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{text}"))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Deterministic pseudo-random bytes (xorshift64*), so a failure is reproducible.
fn pseudo_random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(n);
    out
}

// ---------------------------------------------------------------------------------------------
// 1. Bad inputs: exit 2, one stderr line naming the file (and line:col), no panic, no stdout.

#[test]
fn invalid_yaml_unclosed_flow_sequence_exits_2_naming_file_line_and_col() {
    // `addr: [:5000` on line 6 is never closed; the parser finds out at the `:` of the next
    // key (`net:` on line 7), which is where yaml.v2 reports it too.
    let f = fixture("invalid-unclosed-flow.yml");
    let out = run(&["show", p(&f)]);
    let (line, _col) = assert_bad_input_at(&out, &f, &["invalid YAML"]);
    assert_eq!(line, 7, "{}", stderr_of(&out));
}

#[test]
fn alias_bomb_is_refused_with_exit_2_and_a_position() {
    // Billion laughs: 9 levels of 9 aliases each would expand to 9^9 (387 million) scalars.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bomb.yml");
    let mut s = String::from("version: 0.1\nstorage:\n  inmemory: {}\n");
    s.push_str("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (prev, next) = (w[0], w[1]);
        let items = vec![format!("*{prev}"); 9].join(",");
        s.push_str(&format!("{next}: &{next} [{items}]\n"));
    }
    std::fs::write(&f, s).unwrap();
    let out = run(&["show", p(&f)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_bad_input_at(&out, &f, &["alias"]);
}

#[test]
fn config_over_the_4_mib_default_limit_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.yml");
    let mut s = String::from("version: 0.1\nstorage:\n  inmemory: {}\n");
    let pad = "# padding padding padding padding padding padding padding padding padding\n";
    while s.len() < 5 * 1024 * 1024 {
        s.push_str(pad);
    }
    std::fs::write(&f, s).unwrap();
    let out = run(&["show", p(&f)]);
    let line = assert_bad_input(&out, &[p(&f)]);
    assert!(
        line.contains("4194304") || line.contains("4 MiB"),
        "message does not state the limit: {line}"
    );
}

#[test]
fn binary_input_with_nul_bytes_is_refused_naming_line_and_col() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("blob.bin");
    let mut bytes = pseudo_random_bytes(64 * 1024, 0x5eed_1234_abcd_0001);
    bytes[100] = 0;
    std::fs::write(&f, &bytes).unwrap();
    let out = run(&["show", p(&f)]);
    assert_bad_input_at(&out, &f, &[]);
}

#[test]
fn latin1_input_is_refused_as_not_utf8_at_the_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("latin1.yml");
    // "José Müller" in Latin-1: é is the single byte 0xE9, invalid UTF-8, at line 4 column 15.
    let mut bytes = b"version: 0.1\nlog:\n  fields:\n    owner: Jos".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b" M\xFCller\nstorage:\n  inmemory: {}\n");
    std::fs::write(&f, &bytes).unwrap();
    let out = run(&["show", p(&f)]);
    let pos = assert_bad_input_at(&out, &f, &["UTF-8"]);
    assert_eq!(pos, (4, 15), "{}", stderr_of(&out));
}

#[test]
fn empty_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.yml");
    std::fs::write(&f, b"").unwrap();
    let out = run(&["show", p(&f)]);
    assert_bad_input(&out, &[p(&f), "empty"]);
}

#[test]
fn comment_only_file_is_refused_as_empty() {
    let f = fixture("comment-only.yml");
    let out = run(&["show", p(&f)]);
    assert_bad_input(&out, &[p(&f), "empty"]);
}

#[test]
fn top_level_list_is_refused_at_line_1_col_1() {
    let f = fixture("top-level-list.yml");
    let out = run(&["show", p(&f)]);
    let pos = assert_bad_input_at(&out, &f, &["mapping"]);
    assert_eq!(pos, (1, 1));
}

#[test]
fn version_0_2_is_refused_at_the_version_value() {
    let f = fixture("version-0.2.yml");
    let out = run(&["show", p(&f)]);
    let pos = assert_bad_input_at(&out, &f, &["0.2", "0.1"]);
    assert_eq!(pos, (1, 10));
}

#[test]
fn missing_version_is_refused_saying_the_registry_would_refuse_to_start() {
    let f = fixture("no-version.yml");
    let out = run(&["show", p(&f)]);
    assert_bad_input(&out, &[p(&f), "version", "refuse to start"]);
}

#[test]
fn missing_config_file_is_refused_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("does-not-exist.yml");
    let out = run(&["show", p(&f)]);
    assert_bad_input(&out, &[p(&f)]);
}

#[test]
fn env_file_line_without_a_name_is_refused_naming_env_file_and_line() {
    let cfg = fixture("minimal.yml");
    let env = fixture("bad-name.env");
    let out = run(&["show", p(&cfg), "--env-file", p(&env)]);
    // `=foo` is on line 2 of the env file.
    assert_bad_input(&out, &[&format!("{}:2:", p(&env))]);
}

#[test]
fn env_argument_without_equals_is_refused() {
    let cfg = fixture("minimal.yml");
    let out = run(&["show", p(&cfg), "--env", "NOEQUALS"]);
    assert_bad_input(&out, &["NOEQUALS", "--env"]);
}

#[test]
fn unsupported_registry_version_is_refused() {
    let cfg = fixture("minimal.yml");
    let out = run(&["show", p(&cfg), "--registry-version", "9.9"]);
    assert_bad_input(&out, &["9.9"]);
}

// ---------------------------------------------------------------------------------------------
// 2. The registry:3 image's default config.

#[test]
fn registry3_default_config_json_report_has_values_origins_and_hashes() {
    let f = fixture("registry3-default.yml");
    let r = show_json(&[p(&f)], None);
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.registry_version, "3.1");
    assert!(r.would_start);

    let delete = r.entry("storage.delete.enabled");
    assert_eq!(delete.value, "true");
    assert!(!delete.secret);
    // `    enabled: true` is line 8 of the fixture; the value starts at column 14.
    assert_eq!(delete.origin, Origin::File { line: 8, col: 14 });

    let level = r.entry("log.level");
    assert_eq!(level.value, "debug");
    assert_eq!(level.origin, Origin::File { line: 3, col: 10 });
    assert_eq!(r.entry("log.fields.service").value, "registry");
    assert_eq!(
        r.entry("storage.filesystem.rootdirectory").value,
        "/var/lib/registry"
    );
    assert_eq!(r.entry("storage.tag.concurrencylimit").value, "5");
    assert_eq!(r.entry("http.addr").value, ":5000");
    assert_eq!(r.entry("http.debug.prometheus.path").value, "/metrics");
    assert_eq!(r.entry("health.storagedriver.interval").value, "10s");
    assert!(r.env.is_empty());

    let bytes = std::fs::read(&f).unwrap();
    assert!(is_hex(&r.hashes.raw, 64), "raw hash: {}", r.hashes.raw);
    assert_eq!(r.hashes.raw, blake3::hash(&bytes).to_hex().as_str());
    assert!(
        is_hex(&r.hashes.effective, 64),
        "effective hash: {}",
        r.hashes.effective
    );

    // The text rendering of the same config succeeds too.
    let out = run(&["show", p(&f)]);
    assert_no_panic_text(&out);
    let text = ok_stdout(&out);
    assert!(text.contains("storage.delete.enabled"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 3. REGISTRY_AUTH= blanks authentication.

#[test]
fn blank_registry_auth_in_env_file_removes_htpasswd_auth() {
    let cfg = fixture("htpasswd-auth.yml");
    let env = fixture("blank-auth.env");
    let r = show_json(&[p(&cfg), "--env-file", p(&env)], None);

    assert!(
        !r.entries.iter().any(|e| e.path.starts_with("auth.")),
        "auth settings survived REGISTRY_AUTH=: {:#?}",
        r.entries
    );
    let auth = r.entry("auth");
    assert_eq!(
        auth.origin,
        Origin::Env {
            var: "REGISTRY_AUTH".into()
        }
    );

    let o = r
        .env
        .iter()
        .find(|e| e.var == "REGISTRY_AUTH")
        .expect("an env outcome for REGISTRY_AUTH");
    assert_eq!(o.outcome, "applied");
    assert_eq!(o.effect.as_deref(), Some("blanked"));
    assert_eq!(o.path.as_deref(), Some("auth"));
    assert_eq!(o.source.kind, "file");
    assert_eq!(o.source.path.as_deref(), Some(p(&env)));
    // Line 1 of the env file is a comment; the assignment is on line 2.
    assert_eq!(o.source.line, Some(2));

    let out = run(&["show", p(&cfg), "--env-file", p(&env)]);
    assert_no_panic_text(&out);
    let text = ok_stdout(&out);
    assert!(text.contains("BLANKS auth"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 4. Secrets are never printed.

/// Every secret value in secrets.yml, secrets.env and the `--env` below.
const SECRETS: [&str; 12] = [
    "SECRET-SMTP-PASSWORD-8c1f",
    "SECRET-S3-KEY-FILE-2b7d",
    "SECRET-HTTP-SECRET-FILE-91aa",
    "SECRET-REDIS-PASSWORD-5e3c",
    "SECRET-URL-PASSWORD-77d0",
    "SECRET-PROXY-PASSWORD-4f19",
    "SECRET-NOTIFY-BEARER-a3b6",
    "SECRET-HEALTH-HEADER-c0de",
    "SECRET-AUTH-APITOKEN-e5f2",
    "SECRET-S3-KEY-ENVFILE-6a4b",
    "SECRET-HTTP-SECRET-CLI-0b9e",
    // Catches partial leaks (truncated values) too: every value containing it is a secret.
    "SECRET-",
];

fn assert_no_secret(out: &Output, secrets: &[&str], what: &str) {
    for stream in [
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ] {
        for s in secrets {
            assert!(
                !stream.contains(s),
                "{what}: secret value {s:?} printed:\n{stream}"
            );
        }
    }
}

#[test]
fn secrets_are_never_printed_in_text_json_or_yaml() {
    let cfg = fixture("secrets.yml");
    let env = fixture("secrets.env");
    let with_env = [
        "--env-file",
        p(&env),
        "--env",
        "REGISTRY_HTTP_SECRET=SECRET-HTTP-SECRET-CLI-0b9e",
    ];
    for format in ["text", "json", "yaml"] {
        // With the env overrides (file values become the redacted "before" of each override)
        // and without them (file values are the effective ones).
        for env_args in [&with_env[..], &[][..]] {
            let mut args = vec!["show", p(&cfg), "--format", format];
            args.extend_from_slice(env_args);
            let out = run(&args);
            assert_no_panic_text(&out);
            let text = ok_stdout(&out);
            assert!(text.contains("http.secret"), "{format}: {text}");
            assert_no_secret(&out, &SECRETS, &format!("{format} {env_args:?}"));
        }
    }
}

#[test]
fn secret_entries_carry_a_16_hex_digest_keyed_by_regdrift_digest_key() {
    let cfg = fixture("secrets.yml");
    let r = show_json(&[p(&cfg)], Some("k"));
    let secret = r.entry("http.secret");
    assert!(secret.secret, "{secret:?}");
    assert_eq!(secret.value, "<redacted>");
    let d1 = secret.digest.clone().expect("a digest for http.secret");
    assert!(is_hex(&d1, 16), "digest {d1:?}");
    // Keyed: not simply the unkeyed blake3 of the value.
    let unkeyed = blake3::hash(b"SECRET-HTTP-SECRET-FILE-91aa").to_hex();
    assert_ne!(d1, &unkeyed.as_str()[..16]);
    for path in [
        "storage.s3.secretkey",
        "redis.password",
        "proxy.password",
        "log.hooks[0].options.smtp.password",
        "auth.token.apitoken",
    ] {
        let e = r.entry(path);
        assert!(e.secret, "{path} not marked secret: {e:?}");
        assert!(
            e.digest.as_deref().is_some_and(|d| is_hex(d, 16)),
            "{path}: {e:?}"
        );
    }
    assert!(!r.entry("storage.s3.accesskey").secret);

    let again = show_json(&[p(&cfg)], Some("k"));
    assert_eq!(again.entry("http.secret").digest.as_deref(), Some(&*d1));

    let other = show_json(&[p(&cfg)], Some("another key"));
    let d3 = other.entry("http.secret").digest.clone().unwrap();
    assert!(is_hex(&d3, 16));
    assert_ne!(d3, d1, "the digest does not depend on REGDRIFT_DIGEST_KEY");
}

#[test]
fn secrets_in_wrongly_typed_values_are_never_printed() {
    // Common mistakes: a header written as a scalar instead of a list, a section written as a
    // URL. The registry refuses these configs and regdrift explains why, but the explanation
    // must not quote the secret.
    let cfg = fixture("type-error-secrets.yml");
    let secrets = [
        "SECRET-TYPEERR-NOTIFY-1a2b",
        "SECRET-TYPEERR-HEALTH-3c4d",
        "SECRET-TYPEERR-PROXY-5e6f",
        // Catches truncated quotes of a value too.
        "SECRET-TYPEERR-",
    ];
    for format in ["text", "json", "yaml"] {
        let out = run(&["show", p(&cfg), "--format", format]);
        assert_no_panic_text(&out);
        let _ = ok_stdout(&out);
        assert_no_secret(&out, &secrets, format);
    }
}

#[test]
fn secrets_in_env_file_notes_are_never_printed() {
    // A quoted value in a docker env file gets a note on stderr; it must not quote the value.
    let cfg = fixture("minimal.yml");
    let env = fixture("quoted-secret.env");
    let out = run(&["show", p(&cfg), "--env-file", p(&env)]);
    assert_no_panic_text(&out);
    let _ = ok_stdout(&out);
    assert_no_secret(&out, &["SECRET-QUOTED-ENVFILE-7a8b"], "env-file note");
}

// ---------------------------------------------------------------------------------------------
// 5. Effective hash semantics.

#[test]
fn effective_hash_ignores_comments_order_and_spelling_but_not_values() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture("hash-a.yml");
    let b = fixture("hash-b.yml");
    let c = dir.path().join("hash-c.yml");
    let a_text = std::fs::read_to_string(&a).unwrap();
    assert!(a_text.contains("enabled: true"));
    std::fs::write(&c, a_text.replace("enabled: true", "enabled: false")).unwrap();

    let key = "hash-test-key";
    let ra = show_json(&[p(&a)], Some(key));
    let rb = show_json(&[p(&b)], Some(key));
    let rc = show_json(&[p(&c)], Some(key));
    assert_ne!(ra.hashes.raw, rb.hashes.raw);
    assert_eq!(
        ra.hashes.effective, rb.hashes.effective,
        "comments, key order, yes/true and \"0.1\"/0.1 changed the effective hash"
    );
    assert_eq!(rb.entry("storage.delete.enabled").value, "true");
    assert_ne!(
        ra.hashes.effective, rc.hashes.effective,
        "storage.delete.enabled true -> false did not change the effective hash"
    );
    // Stable across runs with the same key.
    let ra2 = show_json(&[p(&a)], Some(key));
    assert_eq!(ra.hashes.effective, ra2.hashes.effective);
}

// ---------------------------------------------------------------------------------------------
// 6. --version and --help.

#[test]
fn version_flag_prints_regdrift_0_1_0() {
    let out = run(&["--version"]);
    assert_no_panic_text(&out);
    assert_eq!(ok_stdout(&out).trim_end(), "regdrift 0.1.0");
}

#[test]
fn show_help_mentions_exit_status() {
    let out = run(&["show", "--help"]);
    assert_no_panic_text(&out);
    let text = ok_stdout(&out);
    assert!(text.contains("Exit status"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 7. -o FILE.

#[test]
fn output_flag_writes_the_report_to_the_file_and_nothing_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = fixture("registry3-default.yml");
    for format in ["text", "json", "yaml"] {
        let dest = dir.path().join(format!("report.{format}"));
        let out = run_with_key(&["show", p(&cfg), "--format", format, "-o", p(&dest)], "k");
        assert_no_panic_text(&out);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        assert!(
            out.stdout.is_empty(),
            "{format}: stdout not empty:\n{}",
            stdout_of(&out)
        );
        assert!(out.stderr.is_empty(), "{format}: {}", stderr_of(&out));
        let written = std::fs::read_to_string(&dest).expect("output file written");
        let direct = ok_stdout(&run_with_key(&["show", p(&cfg), "--format", format], "k"));
        assert_eq!(written, direct, "{format}: -o content differs from stdout");
    }
}

// ---------------------------------------------------------------------------------------------
// 8. No colour codes when stdout is not a terminal.

#[test]
fn text_output_has_no_escape_bytes_when_stdout_is_not_a_terminal() {
    // A config that uses every styled part: refusal to start, unknown key, env overrides.
    let cfg = fixture("styled.yml");
    let args = ["show", p(&cfg), "--env", "REGISTRY_LOG_LEVEL=debug"];
    for no_color in [None, Some("1")] {
        let mut c = regdrift();
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.args(args).output().expect("run regdrift");
        assert_no_panic_text(&out);
        let text = ok_stdout(&out);
        assert!(text.contains("Unknown keys"), "{text}");
        assert!(text.contains("refuse to start"), "{text}");
        assert!(
            !out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b),
            "ESC byte in output (NO_COLOR={no_color:?}):\n{text:?}"
        );
    }
}
