//! Fuzz target for the whole effective-config pipeline: YAML load, Go-type decode, the
//! `REGISTRY_*` env overlay, post-processing, and the canonical form / hash / flattening.
//!
//! Input layout (every part optional, so a plain YAML file is a valid input):
//!
//! ```text
//! CONFIG [0xFF VERSION_BYTE [ENV_FILE [0xFF DIRECT_VARS]]]
//! ```
//!
//! * `CONFIG`: the registry configuration bytes, up to the first 0xFF (0xFF never occurs in
//!   UTF-8, so no valid config is cut short).
//! * `VERSION_BYTE`: `% 3` selects 2.8 / 3.0 / 3.1; without it the version is 3.1.
//! * `ENV_FILE`: an env file read with the Docker dialect (errors are ignored).
//! * `DIRECT_VARS`: records `[name_lo, name_hi, flags, len, value bytes (len)]`, each giving one
//!   variable whose name comes from the fixed list below or from the key table, with `_0_`
//!   indices and `<KEY>`-style placeholders filled in from `flags`.
//!
//! A panic, stack overflow or timeout is a bug: `build` must return `Ok` or a `LoadError`
//! for any input.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use regdrift::registry::envfile::{Dialect, EnvSource, EnvVar, parse_env_file};
use regdrift::registry::keys::KeyTable;
use regdrift::registry::redact::Digester;
use regdrift::registry::{BuildOptions, Version, build};

/// Names whose handling is known to be intricate: whole-section replacement, driver switches,
/// list indices, freeform maps, secrets, version-specific keys.
const INTERESTING: &[&str] = &[
    "REGISTRY_AUTH",
    "REGISTRY_AUTH_HTPASSWD_PATH",
    "REGISTRY_AUTH_HTPASSWD_REALM",
    "REGISTRY_AUTH_TOKEN_REALM",
    "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE",
    "REGISTRY_STORAGE",
    "REGISTRY_STORAGE_DELETE_ENABLED",
    "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY",
    "REGISTRY_STORAGE_S3_SECRETKEY",
    "REGISTRY_STORAGE_S3_BUCKET",
    "REGISTRY_STORAGE_MAINTENANCE",
    "REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING",
    "REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED",
    "REGISTRY_STORAGE_MAINTENANCE_READONLY",
    "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR",
    "REGISTRY_HTTP",
    "REGISTRY_HTTP_TLS",
    "REGISTRY_HTTP_TLS_CERTIFICATE",
    "REGISTRY_HTTP_SECRET",
    "REGISTRY_HTTP_HEADERS",
    "REGISTRY_HTTP_HEADERS_X-CONTENT-TYPE-OPTIONS",
    "REGISTRY_NOTIFICATIONS_ENDPOINTS",
    "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL",
    "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS",
    "REGISTRY_LOG_HOOKS",
    "REGISTRY_LOG_HOOKS_1_TYPE",
    "REGISTRY_LOG_FIELDS",
    "REGISTRY_LOG_FIELDS_SERVICE",
    "REGISTRY_LOG_LEVEL",
    "REGISTRY_LOGLEVEL",
    "REGISTRY_MIDDLEWARE",
    "REGISTRY_MIDDLEWARE_STORAGE_0_NAME",
    "REGISTRY_MIDDLEWARE_STORAGE_0_OPTIONS",
    "REGISTRY_REDIS",
    "REGISTRY_REDIS_ADDR",
    "REGISTRY_REDIS_OPTIONS_ADDRS",
    "REGISTRY_REDIS_TLS",
    "REGISTRY_HEALTH_STORAGEDRIVER_ENABLED",
    "REGISTRY_HEALTH_HTTPCHECKERS_0_HEADERS",
    "REGISTRY_PROXY_REMOTEURL",
    "REGISTRY_VALIDATION_MANIFESTS_URLS_ALLOW",
    "REGISTRY_VERSION",
    "REGISTRY_",
    "REGISTRY__",
    "REGISTRY_STORAGE__",
    "REGISTRY_LOG_HOOKS_99999999999999999999_TYPE",
    "REGISTRY_NOTIFICATIONS_ENDPOINTS_-1_URL",
];

const KEY_WORDS: &[&str] = &["SERVICE", "environment", "Foo", "", "A_B"];
const DRIVERS: &[&str] = &[
    "FILESYSTEM",
    "S3",
    "AZURE",
    "GCS",
    "INMEMORY",
    "SWIFT",
    "OSS",
    "NOSUCH",
];
const KINDS: &[&str] = &["REGISTRY", "REPOSITORY", "STORAGE", "OTHER"];
const HEADER_NAMES: &[&str] = &["X-CONTENT-TYPE-OPTIONS", "AUTHORIZATION", "X_A", ""];

/// The fixed list followed by every env name of the key table.
fn names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<String> = INTERESTING.iter().map(|s| s.to_string()).collect();
        for k in KeyTable::get().all() {
            if let Some(env) = k.env {
                v.push(env.to_string());
            }
        }
        v
    })
}

fn pick<'a>(list: &[&'a str], b: u8) -> &'a str {
    list[usize::from(b) % list.len()]
}

/// A variable name from the list, with `_0_` indices and placeholders filled from `flags`.
fn make_name(idx: u16, flags: u8) -> String {
    let all = names();
    let base = &all[usize::from(idx) % all.len()];
    let index = ["0", "1", "2", "10"][usize::from(flags & 3)];
    let mut name = base.replace("_0_", &format!("_{index}_"));
    name = name.replace("<KEY>", pick(KEY_WORDS, flags >> 2));
    name = name.replace("<DRIVER>", pick(DRIVERS, flags >> 2));
    name = name.replace("<KIND>", pick(KINDS, flags >> 2));
    name = name.replace("<NAME>", pick(HEADER_NAMES, flags >> 2));
    if flags & 0x80 != 0 {
        name = name.to_ascii_lowercase();
    }
    name
}

fn version_of(b: u8) -> Version {
    Version::ALL[usize::from(b) % Version::ALL.len()]
}

fn digester() -> &'static Digester {
    static D: OnceLock<Digester> = OnceLock::new();
    D.get_or_init(|| Digester::from_material("fuzz-key"))
}

fuzz_target!(|data: &[u8]| {
    let (config, tail) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    // The loader's fast path for plain block YAML must build exactly the tree the event-based
    // loader builds, whenever it takes a document.
    {
        use regdrift::registry::yaml::{LoadOptions, load, load_full};
        let opts = LoadOptions::default();
        if let (Ok(fast), Ok(full)) = (load(config, "f", &opts), load_full(config, "f", &opts)) {
            assert_eq!(fast, full, "fast path and event loader disagree");
        }
        assert_eq!(
            load(config, "f", &opts).is_ok(),
            load_full(config, "f", &opts).is_ok(),
            "fast path accepted a document the event loader refuses"
        );
    }
    let mut version = Version::V3_1;
    let mut vars: Vec<EnvVar> = Vec::new();
    if let Some(tail) = tail
        && let Some((&vbyte, rest)) = tail.split_first()
    {
        version = version_of(vbyte);
        let (env_text, direct) = match rest.iter().position(|&b| b == 0xFF) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        if let Ok(parsed) = parse_env_file(env_text, Path::new("fuzz.env"), Dialect::Docker) {
            vars.extend(parsed.vars);
        }
        let mut d = direct;
        while d.len() >= 4 && vars.len() < 32 {
            let idx = u16::from_le_bytes([d[0], d[1]]);
            let flags = d[2];
            let len = usize::from(d[3]).min(d.len() - 4);
            let value = String::from_utf8_lossy(&d[4..4 + len]).into_owned();
            vars.push(EnvVar {
                name: make_name(idx, flags),
                value,
                source: EnvSource::Cli,
            });
            d = &d[4 + len..];
        }
    }
    let opts = BuildOptions {
        version,
        ..BuildOptions::default()
    };
    if let Ok(cfg) = build(config, "fuzz.yml", &vars, &opts) {
        let dg = digester();
        let h = cfg.effective_hash(dg);
        assert_eq!(h.len(), 64);
        let canon = cfg.canonical(dg);
        // The hash is a pure function of the canonical form.
        assert_eq!(h, cfg.effective_hash(dg));
        let flat = cfg.flatten(dg);
        std::hint::black_box((canon, flat, cfg.would_start()));
    }
});
