//! `regdrift check`: every target of `regdrift.yml`, with bounded concurrency; one target's
//! failure (unreachable source, bad YAML, unverifiable baseline) is recorded in the report and
//! never stops the others.
//!
//! Per target: fetch the deployed config and its env ([`crate::source`]), load the target's
//! baseline (verified once per baseline path and shared by every target that uses it), build
//! both effective configs and diff them ([`crate::evaluate::diff`]). With a previous result in
//! the state directory and unchanged raw bytes, env and baseline, the previous result is reused
//! and marked so. Afterwards, targets of one group are checked for agreement: `http.secret`
//! (compared by keyed digest, never by value), storage location and auth realm.
//!
//! Sharding (`--shard I/N`, I from 0): a target belongs to shard `blake3(name) mod N`, so the
//! split is deterministic, needs no coordination between shards, and adding a target never
//! moves the others.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::baseline::{AllowedSigners, BaselineRepo, TrustPolicy, VerifiedBaseline};
use crate::config::{Loaded, Target};
use crate::evaluate;
use crate::policy::Waivers;
use crate::registry::effective::secret_digest;
use crate::registry::envfile::EnvVar;
use crate::registry::redact::{self, Digester};
use crate::registry::{self, BuildOptions, EffectiveConfig, Version};
use crate::report::{Finding, Location, Status, TargetReport, TrustInfo};
use crate::rules::{Direction, Hit};
use crate::source;

/// How a check runs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Only these targets (all when empty).
    pub only: Vec<String>,
    /// `(index, count)`: only targets of this shard.
    pub shard: Option<(usize, usize)>,
    pub concurrency: usize,
    /// Reuse previous results of unchanged targets.
    pub incremental: bool,
}

/// Parses `I/N` (I from 0 to N-1).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let err = || format!("--shard {s:?}: write I/N with 0 <= I < N (e.g. 0/4)");
    let (i, n) = s.split_once('/').ok_or_else(err)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| err())?,
        n.trim().parse().map_err(|_| err())?,
    );
    if n == 0 || i >= n {
        return Err(err());
    }
    Ok((i, n))
}

/// The name a target is sharded by: its group when it has one (so replicas that must agree
/// are always checked in the same shard and group consistency sees all of them), else its
/// own name.
pub fn shard_key(t: &Target) -> &str {
    t.group.as_deref().map_or(t.name.as_str(), |g| g)
}

/// The shard a target (by [`shard_key`]) belongs to among `n`.
pub fn shard_of(name: &str, n: usize) -> usize {
    let h = blake3::hash(name.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    (u64::from_le_bytes(b) % n as u64) as usize
}

/// The targets selected by `--target` and `--shard`, in config order.
pub fn select<'a>(targets: &'a [Target], opts: &CheckOptions) -> Result<Vec<&'a Target>, String> {
    for name in &opts.only {
        if !targets.iter().any(|t| &t.name == name) {
            let near = registry::decode::nearest(name, targets.iter().map(|t| t.name.as_str()));
            let hint = near
                .map(|n| format!("; did you mean {n:?}?"))
                .unwrap_or_default();
            return Err(format!("--target {name:?} is not in the config{hint}"));
        }
    }
    Ok(targets
        .iter()
        .filter(|t| opts.only.is_empty() || opts.only.contains(&t.name))
        .filter(|t| {
            opts.shard
                .is_none_or(|(i, n)| shard_of(shard_key(t), n) == i)
        })
        .collect())
}

/// A baseline as loaded for this run: its bytes and how it was trusted, or why not.
/// The bytes are shared (`Arc`): every target of a baseline, and the run's output for
/// remediation, refer to one copy.
type BaselineEntry = Result<(Arc<[u8]>, TrustInfo), String>;

/// A baseline built and prepared for comparison, or why it could not be built.
type PreparedEntry = Result<Arc<evaluate::Prepared<'static>>, String>;

/// Loads and verifies baselines, once per path.
pub struct Baselines<'a> {
    loaded: &'a Loaded,
    signers: Option<AllowedSigners>,
    policy: Result<TrustPolicy, String>,
    cache: Mutex<HashMap<String, BaselineEntry>>,
    /// Each baseline built and prepared once per registry version, shared by its targets.
    prepared: Mutex<HashMap<(String, Version), PreparedEntry>>,
    /// Warnings to print once (allow_unsigned).
    pub warnings: Mutex<Vec<String>>,
}

impl<'a> Baselines<'a> {
    pub fn new(loaded: &'a Loaded) -> Result<Baselines<'a>, String> {
        let b = &loaded.config.baseline;
        let signers = match &b.allowed_signers {
            Some(p) => {
                Some(AllowedSigners::from_file(&loaded.resolve(p)).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        Ok(Baselines {
            loaded,
            signers,
            policy: TrustPolicy::new(b.require_signed, b.detached).map_err(|e| e.to_string()),
            cache: Mutex::new(HashMap::new()),
            prepared: Mutex::new(HashMap::new()),
            warnings: Mutex::new(Vec::new()),
        })
    }

    fn load_uncached(&self, path: &str) -> BaselineEntry {
        let b = &self.loaded.config.baseline;
        let repo_path = self
            .loaded
            .resolve(b.repo.as_deref().ok_or("baseline.repo is not set")?);
        let policy = self.policy.clone()?;
        let trusted = load_trusted(
            &repo_path,
            &b.rev,
            path,
            self.signers.as_ref(),
            &policy,
            b.allow_unsigned,
        )?;
        if let (Some(w), Ok(mut all)) = (&trusted.1.warning, self.warnings.lock()) {
            all.push(w.clone());
        }
        Ok((Arc::from(trusted.0), trusted.1))
    }

    /// The baseline at `path` built for `version` and prepared for comparison (cached).
    pub fn prepared(
        &self,
        path: &str,
        version: Version,
        bytes: &[u8],
        label: &str,
        d: &Digester,
    ) -> PreparedEntry {
        let key = (path.to_string(), version);
        if let Some(hit) = self.prepared.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return hit;
        }
        let opts = BuildOptions {
            version,
            ..BuildOptions::default()
        };
        let entry = registry::build(bytes, label, &[], &opts)
            .map(|cfg| Arc::new(evaluate::Prepared::new(std::borrow::Cow::Owned(cfg), d)))
            .map_err(|e| e.to_string());
        if let Ok(mut c) = self.prepared.lock() {
            c.insert(key, entry.clone());
        }
        entry
    }

    /// The baseline at `path`, verified (cached for the run).
    pub fn get(&self, path: &str) -> BaselineEntry {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(path).cloned()) {
            return hit;
        }
        let entry = self.load_uncached(path);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(path.to_string(), entry.clone());
        }
        entry
    }
}

/// How a verified baseline was trusted, for reports.
pub fn trust_info(v: &VerifiedBaseline, repo: &Path) -> TrustInfo {
    TrustInfo {
        verified: true,
        repo: repo.display().to_string(),
        rev: v.rev().to_string(),
        path: v.path().to_string(),
        commit: v.commit().to_string(),
        head_commit: v.head_commit().to_string(),
        blob: v.blob_id().to_string(),
        principals: v.principals().into_iter().map(str::to_string).collect(),
        fingerprints: v.fingerprints().into_iter().map(str::to_string).collect(),
        detached_signature: v.detached_verified(),
        warning: None,
    }
}

/// Reads the baseline `path` at `rev` in `repo` and verifies it. With `allow_unsigned`, a
/// baseline that does not verify (or has no signers to check against) is still returned, with
/// `verified: false` and a warning: the report then disables remediation from it.
pub fn load_trusted(
    repo: &Path,
    rev: &str,
    path: &str,
    signers: Option<&AllowedSigners>,
    policy: &TrustPolicy,
    allow_unsigned: bool,
) -> Result<(Vec<u8>, TrustInfo), String> {
    let unverified = BaselineRepo::open(repo)
        .map_err(|e| e.to_string())?
        .load(rev, path)
        .map_err(|e| e.to_string())?;
    let attempt = signers.map(|s| {
        unverified
            .clone()
            .verify(s, policy, std::time::SystemTime::now())
    });
    let reason = match attempt {
        Some(Ok(v)) => {
            let info = trust_info(&v, repo);
            return Ok((v.content().to_vec(), info));
        }
        Some(Err(e)) if !allow_unsigned => return Err(e.to_string()),
        Some(Err(e)) => e.to_string(),
        None if !allow_unsigned => {
            return Err(format!(
                "{path}: no allowed signers given: a baseline is used only if its signatures verify"
            ));
        }
        None => "no allowed signers given".to_string(),
    };
    let u = unverified.trust_unsigned();
    let warning = format!(
        "UNVERIFIED baseline {path}: an unverified baseline is used because unsigned baselines are allowed ({reason}); {}",
        u.warning()
    );
    let info = TrustInfo {
        verified: false,
        repo: repo.display().to_string(),
        rev: u.rev().to_string(),
        path: u.path().to_string(),
        commit: u.commit().to_string(),
        head_commit: u.head_commit().to_string(),
        blob: u.blob_id().to_string(),
        principals: Vec::new(),
        fingerprints: Vec::new(),
        detached_signature: false,
        warning: Some(warning),
    };
    Ok((u.content().to_vec(), info))
}

/// Facts of a checked target that its group must agree on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupFacts {
    /// Keyed digest of http.secret (never the value), if set.
    pub http_secret: Option<String>,
    /// Storage driver and its location keys.
    pub storage: Option<String>,
    pub auth_realm: Option<String>,
}

fn group_facts(cfg: &EffectiveConfig, d: &Digester) -> GroupFacts {
    let driver = registry::env::storage_drivers(&cfg.root, cfg.version)
        .into_iter()
        .next();
    let storage = driver.map(|drv| {
        let keys = [
            "bucket",
            "region",
            "regionendpoint",
            "rootdirectory",
            "accountname",
            "container",
        ];
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                cfg.get(&format!("storage.{drv}.{k}"))
                    .map(|v| format!("{k}={}", redact::display(v, redact::Secrecy::Public)))
            })
            .collect();
        format!("{drv}({})", parts.join(", "))
    });
    let realm = registry::env::auth_providers(&cfg.root)
        .into_iter()
        .find_map(|p| {
            cfg.get(&format!("auth.{p}.realm"))
                .and_then(|v| v.as_str().map(str::to_string))
        });
    GroupFacts {
        http_secret: cfg
            .get("http.secret")
            .filter(|v| !v.is_zero())
            .map(|v| secret_digest(v, None, d)),
        storage,
        auth_realm: realm,
    }
}

/// What the state directory keeps of a target's last result, for incremental runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    #[serde(flatten)]
    pub key: SavedKey,
    pub report: TargetReport,
}

/// What decides whether a previous result can be reused, and the group facts it had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedKey {
    pub raw_hash: String,
    pub env_hash: String,
    pub baseline_hash: String,
    pub version: String,
    /// Hash of the target's own entry in regdrift.yml (source, env, group, baseline path,
    /// exemptions) and of the env references the source yields: any change checks again.
    #[serde(default)]
    pub spec_hash: String,
    pub facts: GroupFacts,
}

/// A saved result written without copying the report.
#[derive(Serialize)]
struct SavedRef<'a> {
    #[serde(flatten)]
    key: &'a SavedKey,
    report: &'a TargetReport,
}

/// Previous results by target name, for incremental runs.
pub type SavedMap = HashMap<String, Saved>;

/// One file for all targets, written once per run (tmp + rename): per-target files cost more
/// in file creation than the checks themselves on a large fleet.
fn saved_path(state: &Path) -> PathBuf {
    state.join("last-results.json")
}

fn load_saved(state: &Path) -> SavedMap {
    std::fs::read(saved_path(state))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes this run's results (and the previous ones of targets not checked now), streamed
/// to a temporary file and renamed into place, so a killed run leaves the old file whole.
fn store_saved(state: &Path, previous: &SavedMap, now: &[(&SavedKey, &TargetReport)]) {
    let mut all: BTreeMap<&str, SavedRef<'_>> = previous
        .iter()
        .map(|(name, s)| {
            (
                name.as_str(),
                SavedRef {
                    key: &s.key,
                    report: &s.report,
                },
            )
        })
        .collect();
    for (key, report) in now {
        all.insert(report.name.as_str(), SavedRef { key, report });
    }
    let path = saved_path(state);
    let tmp = path.with_extension("tmp");
    let written = std::fs::File::create(&tmp).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer(&mut w, &all).map_err(std::io::Error::other)?;
        std::io::Write::flush(&mut w)
    });
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
}

/// The hashes recorded in history for a target.
#[derive(Debug, Clone, Default)]
pub struct Hashes {
    pub raw: Option<String>,
    pub env: Option<String>,
    pub baseline: Option<String>,
    pub effective: Option<String>,
}

/// One target's outcome.
pub struct Outcome {
    pub report: TargetReport,
    pub facts: Option<GroupFacts>,
    pub hashes: Hashes,
    /// What to keep for the next incremental run (None: keep the previous entry).
    pub saved: Option<SavedKey>,
    /// The baseline bytes this target was compared against, only when they were verified in
    /// this run and the target was checked (what a remediation pull request may write).
    pub verified_baseline: Option<Arc<[u8]>>,
}

fn env_hash(vars: &[EnvVar], d: &Digester) -> String {
    let mut text = String::new();
    for v in vars {
        text.push_str(&v.name);
        text.push('\0');
        text.push_str(&v.value);
        text.push('\n');
    }
    d.keyed_hash(text.as_bytes())
}

impl Outcome {
    /// A target that could not be checked: its error, and the hashes known so far.
    fn failed(t: &Target, message: String, hashes: Hashes) -> Outcome {
        Outcome {
            report: TargetReport {
                group: t.group.clone(),
                ..TargetReport::new(t.name.clone(), Status::Error { message })
            },
            facts: None,
            hashes,
            saved: None,
            verified_baseline: None,
        }
    }
}

fn version_of(loaded: &Loaded, t: &Target) -> Version {
    t.registry_version
        .as_deref()
        .or(loaded.config.defaults.registry_version.as_deref())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// Checks one target.
pub fn check_target(
    loaded: &Loaded,
    t: &Target,
    baselines: &Baselines<'_>,
    d: &Digester,
    waivers: &Waivers,
    previous: Option<&Mutex<SavedMap>>,
) -> Outcome {
    let fetched = match source::fetch(&t.source, &loaded.base_dir) {
        Ok(f) => f,
        Err(e) => {
            return Outcome::failed(t, e.to_string(), Hashes::default());
        }
    };
    let vars = match source::fetch_env(&t.env, &loaded.base_dir, &fetched) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::failed(t, e.to_string(), Hashes::default());
        }
    };
    let version = version_of(loaded, t);
    let raw = blake3::hash(&fetched.bytes).to_hex().to_string();
    let envh = env_hash(&vars, d);
    let spec_hash = {
        let spec = serde_json::to_string(t).unwrap_or_default();
        let refs: Vec<String> = fetched.from_refs.iter().map(|r| r.to_string()).collect();
        blake3::hash(format!("{spec}\0{}\0{}", refs.join("\n"), fetched.label).as_bytes())
            .to_hex()
            .to_string()
    };
    let mut hashes = Hashes {
        raw: Some(raw.clone()),
        env: Some(envh.clone()),
        ..Hashes::default()
    };
    let (base_bytes, trust) = match baselines.get(&t.baseline) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::failed(t, e, hashes);
        }
    };
    let base_hash = blake3::hash(&base_bytes).to_hex().to_string();
    hashes.baseline = Some(base_hash.clone());
    // A probed target is always checked again: the running registry can change while its
    // config does not.
    if let Some(previous) = previous.filter(|_| t.probe.is_none()) {
        // A reusable result is moved out of the map (not cloned): the run then holds each
        // report once, which is what bounds an incremental run's memory.
        let reusable = previous.lock().ok().and_then(|mut m| {
            let s = m.get(&t.name)?;
            let same = s.key.raw_hash == raw
                && s.key.spec_hash == spec_hash
                && s.key.env_hash == envh
                && s.key.baseline_hash == base_hash
                && s.key.version == version.as_str();
            if same { m.remove(&t.name) } else { None }
        });
        if let Some(s) = reusable {
            let mut report = s.report;
            report.reused = true;
            report.findings = waivers.apply(
                &t.name,
                report
                    .findings
                    .into_iter()
                    .map(|mut f| {
                        f.waived = None;
                        f
                    })
                    .collect(),
            );
            hashes.effective = report.deployed.as_ref().map(|i| i.effective_hash.clone());
            return Outcome {
                report,
                facts: Some(s.key.facts.clone()),
                hashes,
                saved: Some(s.key),
                verified_baseline: None,
            };
        }
    }
    let opts = BuildOptions {
        version,
        ..BuildOptions::default()
    };
    let label = format!("{}@{}:{}", trust.repo, trust.rev, t.baseline);
    let base = match baselines.prepared(&t.baseline, version, &base_bytes, &label, d) {
        Ok(p) => p,
        Err(e) => {
            return Outcome::failed(t, format!("baseline {e}"), hashes);
        }
    };
    let dep = match registry::build(&fetched.bytes, &fetched.label, &vars, &opts) {
        Ok(c) => c,
        Err(e) => {
            return Outcome::failed(t, e.to_string(), hashes);
        }
    };
    let prepared = evaluate::Prepared::new(std::borrow::Cow::Borrowed(&dep), d);
    let mut report = evaluate::diff_prepared(&t.name, &base, &prepared, waivers);
    report.baseline_trust = Some(trust);
    report.group = t.group.clone();
    for r in fetched.from_refs.iter().filter(|_| t.env.from_kubernetes) {
        report
            .findings
            .push(env_ref_finding(&t.name, &fetched.label, r));
    }
    if let Some(spec) = &t.probe {
        report
            .findings
            .extend(probe_findings(&t.name, spec, &base.cfg, loaded));
    }
    hashes.effective = report.deployed.as_ref().map(|i| i.effective_hash.clone());
    let facts = group_facts(&dep, d);
    let saved = SavedKey {
        raw_hash: raw,
        env_hash: envh,
        baseline_hash: base_hash,
        version: version.as_str().into(),
        spec_hash,
        facts: facts.clone(),
    };
    Outcome {
        report,
        facts: Some(facts),
        hashes,
        saved: Some(saved),
        verified_baseline: None,
    }
}

/// The live probe of a target (`probe:`) against its verified baseline. A probe that cannot
/// be completed is one RD-PROBE-001 finding: the config check of the target stands, and the
/// other targets are not affected.
fn probe_findings(
    target: &str,
    spec: &crate::config::ProbeSpec,
    baseline: &EffectiveConfig,
    loaded: &Loaded,
) -> Vec<Finding> {
    let mut opts = crate::probe::ProbeOptions {
        debug_addr: spec.debug_addr.clone(),
        ..Default::default()
    };
    let prepared = spec
        .timeout
        .as_deref()
        .map(crate::probe::parse_timeout)
        .transpose()
        .map_err(crate::probe::ProbeError::Settings)
        .and_then(|t| {
            opts.timeout = t.unwrap_or(crate::probe::DEFAULT_TIMEOUT);
            let path = spec.ca.as_ref().map(|p| loaded.resolve(p));
            opts.ca_pem = path
                .map(|p| {
                    std::fs::read(&p).map_err(|e| {
                        crate::probe::ProbeError::Settings(format!(
                            "reading CA file {}: {e}",
                            p.display()
                        ))
                    })
                })
                .transpose()?;
            Ok(())
        });
    match prepared.and_then(|()| crate::probe::probe(target, &spec.url, Some(baseline), &opts)) {
        Ok(o) => o.findings,
        Err(e) => vec![crate::probe::error_finding(target, &spec.url, &e)],
    }
}

/// An env variable that comes from a Secret or ConfigMap reference: its value was not read.
fn env_ref_finding(target: &str, label: &str, r: &source::EnvRef) -> Finding {
    let message = format!("{r}: its effect is not in the effective config");
    let hit =
        Hit::new("RD-CFG-008", format!("env.{}", r.name), message).direction(Direction::Neutral);
    evaluate::finding(
        target,
        &hit,
        Location::Default { path: label.into() },
        None,
        None,
    )
}

/// Reads one fact of a target's group facts.
type FactGetter = fn(&GroupFacts) -> Option<String>;

/// Group agreement: adds RD-GRP-001 findings to targets whose facts differ from their group.
pub fn group_consistency(targets: &[&Target], outcomes: &mut [Outcome]) {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        if let (Some(g), Some(_)) = (&t.group, &outcomes[i].facts) {
            groups.entry(g.as_str()).or_default().push(i);
        }
    }
    for (group, members) in groups {
        if members.len() < 2 {
            continue;
        }
        let checks: [(&str, FactGetter); 3] = [
            ("http.secret", |f| f.http_secret.clone()),
            ("storage", |f| f.storage.clone()),
            ("auth.realm", |f| f.auth_realm.clone()),
        ];
        for (key, get) in checks {
            let relevant: Vec<usize> = members
                .iter()
                .copied()
                .filter(|i| !targets[*i].group_exempt.iter().any(|e| e == key))
                .collect();
            let values: Vec<Option<String>> = relevant
                .iter()
                .map(|i| outcomes[*i].facts.as_ref().and_then(get))
                .collect();
            let mut distinct = values.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                continue;
            }
            let names: Vec<&str> = relevant.iter().map(|i| targets[*i].name.as_str()).collect();
            for (pos, i) in relevant.iter().enumerate() {
                let shown = if key == "http.secret" {
                    match &values[pos] {
                        Some(_) => "set (digest differs from others)".to_string(),
                        None => "not set".to_string(),
                    }
                } else {
                    values[pos].clone().unwrap_or_else(|| "unset".into())
                };
                let msg = format!(
                    "{key} differs within group {group} ({}): here {shown}",
                    names.join(", ")
                );
                let hit = Hit::new("RD-GRP-001", key, msg);
                let t = &mut outcomes[*i].report;
                let location = t.deployed.as_ref().map_or(
                    Location::Default {
                        path: t.name.clone(),
                    },
                    |d| Location::Default {
                        path: d.source.clone(),
                    },
                );
                let f = evaluate::finding(&t.name, &hit, location, None, None);
                t.findings.push(f);
            }
        }
    }
}

/// A finished fleet check.
pub struct Checked {
    /// One per selected target, in order.
    pub outcomes: Vec<Outcome>,
    /// Trust warnings to print once (unverified baselines used with allow_unsigned).
    pub warnings: Vec<String>,
    /// Whether each baseline of the selected targets verified, by path: from this run's cache,
    /// so each baseline is verified once per run (metrics count the failures).
    pub baselines_verified: BTreeMap<String, bool>,
}

/// Checks every selected target with bounded concurrency; `progress` is called after each.
pub fn check(
    loaded: &Loaded,
    targets: &[&Target],
    d: &Digester,
    waivers: &Waivers,
    opts: &CheckOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Checked, String> {
    let baselines = Baselines::new(loaded)?;
    let state = loaded.state_dir();
    let _ = std::fs::create_dir_all(&state);
    let saved_map = Mutex::new(load_saved(&state));
    let previous = opts.incremental.then_some(&saved_map);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> =
        Mutex::new((0..targets.len()).map(|_| None).collect());
    let workers = opts.concurrency.clamp(1, targets.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = targets.get(i) else { break };
                    let o = check_target(loaded, t, &baselines, d, waivers, previous);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(o);
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, targets.len());
                }
            });
        }
    });
    let mut outcomes: Vec<Outcome> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(targets)
        .map(|(o, t)| {
            o.unwrap_or_else(|| Outcome::failed(t, "internal: no result".into(), Hashes::default()))
        })
        .collect();
    let now: Vec<(&SavedKey, &TargetReport)> = outcomes
        .iter()
        .filter_map(|o| o.saved.as_ref().map(|k| (k, &o.report)))
        .collect();
    store_saved(&state, &saved_map.into_inner().unwrap_or_default(), &now);
    drop(now);
    // Env-reference and group findings come after each target's diff: waive them too
    // (applying waivers again is idempotent).
    group_consistency(targets, &mut outcomes);
    for o in &mut outcomes {
        let findings = std::mem::take(&mut o.report.findings);
        o.report.findings = waivers.apply(&o.report.name, findings);
    }
    // Hand out the verified bytes each checked target was compared against (this run's cached
    // entry), for remediation; none for unverified baselines or failed targets.
    for (o, t) in outcomes.iter_mut().zip(targets) {
        if matches!(o.report.status, Status::Checked) {
            if let Ok((bytes, trust)) = baselines.get(&t.baseline) {
                o.verified_baseline = trust.verified.then_some(bytes);
            }
        }
    }
    // Baselines of targets that stopped before theirs (an unreadable source) are verified
    // here, so the map covers every selected target; the others come from the cache.
    let paths: std::collections::BTreeSet<&str> =
        targets.iter().map(|t| t.baseline.as_str()).collect();
    let baselines_verified = paths
        .into_iter()
        .map(|p| {
            let ok = matches!(baselines.get(p), Ok((_, trust)) if trust.verified);
            (p.to_owned(), ok)
        })
        .collect();
    let warnings = baselines.warnings.into_inner().unwrap_or_default();
    Ok(Checked {
        outcomes,
        warnings,
        baselines_verified,
    })
}
