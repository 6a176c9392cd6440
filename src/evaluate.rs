//! From effective configs to findings: runs the checks, locates each hit in the config it
//! came from, attaches rule text and a stable fingerprint, and applies waivers.
//!
//! `lint` reports the posture of one config. `diff` reports (a) posture findings new in the
//! deployed config (weakens) or gone from it (strengthens, severity info), (b) drift checks,
//! and (c) RD-DRIFT-001 for every structural change no other finding explains, so no drift is
//! silent; RD-DRIFT-002 says when only the bytes differ.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use crate::drift::{self, Change};
use crate::policy::Waivers;
use crate::registry::EffectiveConfig;
use crate::registry::env::Outcome;
use crate::registry::envfile::EnvSource;
use crate::registry::redact::Digester;
use crate::registry::value::Origin;
use crate::report::{ConfigInfo, Finding, Location, Status, TargetReport};
use crate::rules::{self, Ctx, Direction, Hit, Severity, path};

/// Summary of a config for reports.
pub fn config_info(cfg: &EffectiveConfig, d: &Digester) -> ConfigInfo {
    ConfigInfo {
        source: cfg.source.clone(),
        registry_version: cfg.version.to_string(),
        raw_hash: cfg.raw_hash.clone(),
        effective_hash: cfg.effective_hash(d),
        would_start: cfg.would_start(),
    }
}

/// Where in `cfg` the key at `p` comes from.
pub fn locate(cfg: &EffectiveConfig, p: &str) -> Location {
    if let Some(var) = p.strip_prefix("env.") {
        return env_location(cfg, var);
    }
    if let Some(line) = p.strip_prefix("document@").and_then(|l| l.parse().ok()) {
        return Location::File {
            path: cfg.source.clone(),
            line,
            col: 1,
        };
    }
    if let Some(u) = cfg.unknown_keys.iter().find(|u| u.path == p) {
        return Location::File {
            path: cfg.source.clone(),
            line: u.pos.line,
            col: u.pos.col,
        };
    }
    if let Some(n) = cfg.version_notes.iter().find(|n| n.path == p) {
        return Location::File {
            path: cfg.source.clone(),
            line: n.pos.line,
            col: n.pos.col,
        };
    }
    if let Some(d) = cfg.duplicates.iter().find(|d| d.path == p) {
        return Location::File {
            path: cfg.source.clone(),
            line: d.last.line,
            col: d.last.col,
        };
    }
    let env_made = |path: &str| path == p || path.starts_with(&format!("{p}."));
    if let Some(e) = cfg.env.iter().find(|e| match &e.outcome {
        Outcome::WouldCrash { path, .. } | Outcome::Nondeterministic { path, .. } => env_made(path),
        _ => false,
    }) {
        return env_location(cfg, &e.var);
    }
    let node = path::get(&cfg.root, p).unwrap_or_else(|| path::nearest(&cfg.root, p));
    match &node.origin {
        Origin::File { line, col } => {
            let pos = node
                .key_pos
                .filter(|_| matches!(node.value, crate::registry::value::Value::Map(..)));
            let (line, col) = pos.map_or((*line, *col), |k| (k.line, k.col));
            Location::File {
                path: cfg.source.clone(),
                line,
                col,
            }
        }
        Origin::Env { var } => env_location(cfg, var),
        Origin::Default => Location::Default {
            path: cfg.source.clone(),
        },
    }
}

fn env_location(cfg: &EffectiveConfig, var: &str) -> Location {
    let src = cfg.env.iter().find(|e| e.var == var).map(|e| &e.source);
    match src {
        Some(EnvSource::File { path, line }) => Location::Env {
            var: var.into(),
            file: Some(path.display().to_string()),
            line: Some(*line),
        },
        _ => Location::Env {
            var: var.into(),
            file: None,
            line: None,
        },
    }
}

/// A fingerprint stable across runs: not based on line numbers.
pub fn fingerprint(target: &str, rule: &str, path: &str, direction: Direction) -> String {
    let dir = match direction {
        Direction::Weakens => "w",
        Direction::Strengthens => "s",
        Direction::Neutral => "n",
    };
    let h = blake3::hash(format!("regdrift/v1\0{target}\0{rule}\0{path}\0{dir}").as_bytes());
    h.to_hex()[..32].to_string()
}

pub(crate) fn finding(
    target: &str,
    hit: &Hit,
    location: Location,
    before: Option<String>,
    after: Option<String>,
) -> Finding {
    let rule = rules::rule(hit.rule);
    let severity = if hit.direction == Direction::Strengthens {
        Severity::Info
    } else {
        hit.effective_severity()
    };
    Finding {
        rule_id: hit.rule.to_string(),
        slug: rule.map_or("", |r| r.slug).to_string(),
        title: rule.map_or("", |r| r.title).to_string(),
        category: rule.map_or(rules::Category::Config, |r| r.category),
        severity,
        direction: hit.direction,
        path: hit.path.clone(),
        location,
        message: hit.message.clone(),
        before,
        after,
        why: rule.map_or("", |r| r.why).to_string(),
        fix: rule.map_or("", |r| r.fix).to_string(),
        fingerprint: fingerprint(target, hit.rule, &hit.path, hit.direction),
        waived: None,
        first_seen: None,
    }
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.rule_id.cmp(&b.rule_id))
            .then(a.path.cmp(&b.path))
    });
}

/// Posture findings of one config.
pub fn lint(target: &str, cfg: &EffectiveConfig, d: &Digester, waivers: &Waivers) -> TargetReport {
    let c = Ctx::new(cfg);
    let mut findings: Vec<Finding> = rules::posture(&c)
        .iter()
        .map(|h| finding(target, h, locate(cfg, &h.path), None, c.show(&h.path)))
        .collect();
    sort(&mut findings);
    let findings = waivers.apply(target, findings);
    TargetReport {
        deployed: Some(config_info(cfg, d)),
        findings,
        ..TargetReport::new(target, Status::Checked)
    }
}

fn key(h: &Hit) -> (&'static str, String) {
    (h.rule, h.path.clone())
}

/// Does a finding at `fpath` explain a change at `cpath`?
/// Finding paths (identities stripped), for asking whether a finding at a path explains a
/// change at another: the same key, an ancestor, or a descendant. Linear in the path depth
/// per change, so a huge drift stays fast.
struct Explained {
    paths: std::collections::BTreeSet<String>,
}

impl Explained {
    fn new(findings: &[Finding]) -> Explained {
        Explained {
            paths: findings.iter().map(|f| drift::strip_ids(&f.path)).collect(),
        }
    }

    fn explains(&self, change_path: &str) -> bool {
        let c = drift::strip_ids(change_path);
        let ancestor = std::iter::once(c.as_str())
            .chain(
                c.char_indices()
                    .filter(|(_, ch)| *ch == '.')
                    .map(|(i, _)| &c[..i]),
            )
            .any(|p| self.paths.contains(p));
        let prefix = format!("{c}.");
        let descendant = self
            .paths
            .range(prefix.clone()..)
            .next()
            .is_some_and(|f| f.starts_with(&prefix));
        ancestor || descendant
    }
}

/// Drift findings between a baseline and a deployed config.
/// A config with everything a comparison needs computed once: a fleet check prepares each
/// baseline once and compares many deployed configs against it.
pub struct Prepared<'a> {
    pub cfg: Cow<'a, EffectiveConfig>,
    pub info: ConfigInfo,
    /// The redacted canonical form; its YAML is rendered only when a text diff is needed.
    pub canonical: serde_json::Value,
    yaml: std::sync::OnceLock<String>,
    pub posture: Vec<Hit>,
    pub leaves: BTreeMap<String, drift::Side>,
}

impl<'a> Prepared<'a> {
    /// The redacted canonical config as YAML (computed once, on first use).
    pub fn yaml(&self) -> &str {
        self.yaml
            .get_or_init(|| crate::registry::yamlout::to_yaml(&self.canonical))
    }

    pub fn new(cfg: Cow<'a, EffectiveConfig>, d: &Digester) -> Prepared<'a> {
        let canonical = cfg.canonical(d);
        let info = ConfigInfo {
            source: cfg.source.clone(),
            registry_version: cfg.version.to_string(),
            raw_hash: cfg.raw_hash.clone(),
            effective_hash: crate::registry::effective::hash_canonical(&canonical),
            would_start: cfg.would_start(),
        };
        let posture = rules::posture(&Ctx::new(&cfg));
        let leaves = drift::leaves(&cfg, d);
        Prepared {
            cfg,
            info,
            canonical,
            yaml: std::sync::OnceLock::new(),
            posture,
            leaves,
        }
    }
}

/// Drift findings between a baseline and a deployed config.
pub fn diff(
    target: &str,
    base: &EffectiveConfig,
    dep: &EffectiveConfig,
    d: &Digester,
    waivers: &Waivers,
) -> TargetReport {
    let b = Prepared::new(Cow::Borrowed(base), d);
    let c = Prepared::new(Cow::Borrowed(dep), d);
    diff_prepared(target, &b, &c, waivers)
}

/// Drift findings between a prepared baseline and a prepared deployed config.
pub fn diff_prepared(
    target: &str,
    pbase: &Prepared<'_>,
    pdep: &Prepared<'_>,
    waivers: &Waivers,
) -> TargetReport {
    let (base, dep) = (pbase.cfg.as_ref(), pdep.cfg.as_ref());
    let (b, c) = (Ctx::new(base), Ctx::new(dep));
    let (pb, pd) = (&pbase.posture, &pdep.posture);
    let kb: HashSet<_> = pb.iter().map(key).collect();
    let kd: HashSet<_> = pd.iter().map(key).collect();
    // A finding at its key's location in the deployed config, with both sides' values.
    let located = |h: &Hit| {
        finding(
            target,
            h,
            locate(dep, &h.path),
            b.show(&h.path),
            c.show(&h.path),
        )
    };
    let mut findings = Vec::new();
    for h in pd.iter().filter(|h| !kb.contains(&key(h))) {
        findings.push(located(h));
    }
    // Baselines never hold secret values (the deployment supplies them), so "secret missing
    // in the baseline, present in the deployment" is not a hardening worth reporting.
    let schema = base.schema();
    let secret = |p: &str| {
        crate::registry::redact::secrecy_at(schema, p) == crate::registry::redact::Secrecy::Secret
    };
    for h in pb.iter().filter(|h| {
        !(kd.contains(&key(h))
            || h.rule == "RD-AVL-001"
            || secret(&h.path) && h.rule.starts_with("RD-SEC"))
    }) {
        let mut h = h.clone();
        h.direction = Direction::Strengthens;
        h.message = format!("resolved in the deployed config: {}", h.message);
        findings.push(located(&h));
    }
    for h in rules::drift(&b, &c) {
        findings.push(located(&h));
    }
    let changes = drift::compare_leaves(&pbase.leaves, &pdep.leaves);
    let explained = Explained::new(&findings);
    for ch in &changes {
        if explained.explains(&ch.path) {
            continue;
        }
        findings.push(change_finding(target, dep, ch));
    }
    if changes.is_empty() && base.raw_hash != dep.raw_hash {
        let h = Hit::new("RD-DRIFT-002", "", "the config file differs from the baseline only in comments, order, quoting or spelling")
            .direction(Direction::Neutral);
        findings.push(finding(
            target,
            &h,
            Location::File {
                path: dep.source.clone(),
                line: 1,
                col: 1,
            },
            None,
            None,
        ));
    }
    sort(&mut findings);
    let findings = waivers.apply(target, findings);
    // Equal canonical forms have no text diff: skip rendering both as YAML.
    let text_diff = if pbase.info.effective_hash == pdep.info.effective_hash {
        String::new()
    } else {
        drift::unified(
            pbase.yaml(),
            pdep.yaml(),
            &format!("baseline {}", base.source),
            &format!("deployed {}", dep.source),
        )
    };
    TargetReport {
        baseline: Some(pbase.info.clone()),
        deployed: Some(pdep.info.clone()),
        findings,
        changes: Some(changes.len()),
        text_diff: Some(text_diff),
        ..TargetReport::new(target, Status::Checked)
    }
}

fn change_finding(target: &str, dep: &EffectiveConfig, ch: &Change) -> Finding {
    let verb = match ch.kind {
        drift::ChangeKind::Added => "added",
        drift::ChangeKind::Removed => "removed",
        drift::ChangeKind::Changed => "changed",
    };
    let before = ch.before.as_ref().map(|s| s.display.clone());
    let after = ch.after.as_ref().map(|s| s.display.clone());
    let secret = ch
        .before
        .as_ref()
        .or(ch.after.as_ref())
        .is_some_and(|s| s.secret);
    let message = if secret {
        format!("{} {verb} (redacted)", ch.path)
    } else {
        match (&before, &after) {
            (Some(x), Some(y)) if x == y => format!(
                "{} changed (credentials or query string differ; both redacted)",
                ch.path
            ),
            (Some(x), Some(y)) => format!("{} changed from {x} to {y}", ch.path),
            (None, Some(y)) => format!("{} added: {y}", ch.path),
            (Some(x), None) => format!("{} removed (was {x})", ch.path),
            (None, None) => format!("{} {verb}", ch.path),
        }
    };
    let location = match ch.after.as_ref().map(|s| &s.origin) {
        Some(Origin::File { line, col }) => Location::File {
            path: dep.source.clone(),
            line: *line,
            col: *col,
        },
        Some(Origin::Env { var }) => env_location(dep, var),
        _ => locate(dep, &ch.path),
    };
    let (before, after) = if secret {
        let digest = |s: &Option<crate::drift::Side>| {
            s.as_ref().map(|s| {
                format!(
                    "<redacted> ({})",
                    s.canonical
                        .as_str()
                        .unwrap_or("")
                        .trim_start_matches("secret:")
                )
            })
        };
        (digest(&ch.before), digest(&ch.after))
    } else {
        (before, after)
    };
    let hit = Hit::new("RD-DRIFT-001", ch.path.clone(), message).direction(Direction::Neutral);
    finding(target, &hit, location, before, after)
}
