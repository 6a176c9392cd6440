//! SARIF 2.1.0 for GitHub code scanning and other consumers.
//!
//! Every rule of the table is declared (with `fullDescription` and `help`, which code
//! scanning requires); results are the findings that count toward the exit status (not
//! waived, at or above `--fail-on`) plus waived ones at or above it, which carry an external
//! suppression. Levels: critical/high → error, medium → warning, low/info → note; the
//! numeric `security-severity` property lets code scanning rank them. `partialFingerprints`
//! use regdrift's line-independent fingerprint, so alerts survive edits above them.

use serde_json::{Value, json};

use super::{Finding, Location, Report};
use crate::rules::{RULES, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rules_json() -> Vec<Value> {
    RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.slug,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.why },
                "help": { "text": r.fix, "markdown": format!("**{}**\n\n{}\n\n**Fix:** {}", r.title, r.why, r.fix) },
                "helpUri": r.references.first().copied().unwrap_or("https://distribution.github.io/distribution/about/configuration/"),
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": ["security", r.category.as_str()],
                    "security-severity": security_severity(r.severity),
                    "precision": "very-high"
                }
            })
        })
        .collect()
}

/// A relative URI for SARIF (absolute paths become file URIs).
/// A URI reference for a file path (RFC 3986): relative paths stay relative, so code
/// scanning maps them to repository files; absolute paths under the working directory are
/// made relative; others become `file://` URIs. Everything outside the unreserved set and `/`
/// is percent-encoded.
fn uri(path: &str) -> String {
    let mut p = path.trim_start_matches("./").to_string();
    if p.starts_with('/')
        && let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = std::path::Path::new(&p).strip_prefix(&cwd)
    {
        p = rel.display().to_string();
    }
    let encoded = percent_encode(&p);
    if p.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location_json(loc: &Location, fallback: &str) -> Value {
    if let Location::Probe { url } = loc {
        // A live observation has no file: the registry's URL is the artifact, and the
        // logical location says it was probed.
        return json!({
            "physicalLocation": { "artifactLocation": { "uri": url } },
            "logicalLocations": [{
                "name": url,
                "fullyQualifiedName": loc.label(),
                "kind": "resource"
            }]
        });
    }
    let (file, line, col) = match loc {
        Location::File { path, line, col } => (path.as_str(), (*line).max(1), (*col).max(1)),
        Location::Env {
            file: Some(f),
            line: Some(l),
            ..
        } => (f.as_str(), (*l).max(1), 1),
        _ => (fallback, 1, 1),
    };
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(file) },
            "region": { "startLine": line, "startColumn": col }
        }
    })
}

fn result_json(f: &Finding, fallback: &str, target: &str) -> Value {
    let index = RULES.iter().position(|r| r.id == f.rule_id).unwrap_or(0);
    let mut text = format!("{}: {}", f.title, f.message);
    if let Location::Env { var, .. } = &f.location {
        text.push_str(&format!(" (set by environment variable {var})"));
    }
    let mut v = json!({
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [location_json(&f.location, fallback)],
        "partialFingerprints": { "regdrift/v1": f.fingerprint },
        "properties": {
            "target": target,
            "path": f.path,
            "severity": f.severity.as_str(),
            "direction": f.direction,
            "category": f.category.as_str()
        }
    });
    if let Some(w) = &f.waived {
        v["suppressions"] = json!([{ "kind": "external", "justification": w.reason }]);
    }
    v
}

/// Renders a report as a SARIF 2.1.0 log.
pub fn render(r: &Report) -> Value {
    let mut results = Vec::new();
    for t in &r.targets {
        let fallback = t
            .deployed
            .as_ref()
            .map_or(t.name.as_str(), |d| d.source.as_str());
        for f in &t.findings {
            if f.severity >= r.summary.fail_on {
                results.push(result_json(f, fallback, &t.name));
            }
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "regdrift",
                    "version": r.tool.version,
                    "semanticVersion": r.tool.version,
                    "informationUri": "https://github.com/regdrift/regdrift",
                    "rules": rules_json()
                }
            },
            "automationDetails": { "id": format!("regdrift/{}/", r.command) },
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    })
}
