//! Policy: what fails a run and what is waived. Severity is the rule's; policy decides.
//!
//! A waivers file is YAML, validated completely before anything runs (a bad file is exit
//! status 2 naming the file and line):
//!
//! ```yaml
//! waivers:
//!   - rule: RD-TLS-001          # rule id (or slug)
//!     path: "http.tls*"         # glob over the finding's key path (* and ?); default *
//!     target: prod-eu           # optional: only this target
//!     reason: TLS terminates at the load balancer   # required
//!     expires: 2027-06-30       # optional; after this date the waiver no longer applies
//! ```
//!
//! A waived finding stays in every report, marked waived, and does not count toward the exit
//! status. An expired waiver is itself a finding (RD-WAIVER-001) and waives nothing; a waiver
//! that matches no finding is an info finding (RD-WAIVER-002).

use std::path::Path;
use std::sync::Mutex;

use serde::Deserialize;

use crate::evaluate::fingerprint;
use crate::registry::yaml::{self, LoadOptions, NodeKind};
use crate::report::{Finding, Location, WaiverRef};
use crate::rules::{self, Direction, Severity};

/// A calendar date (UTC), compared as (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let year = it.next()?.parse().ok()?;
        let month: u32 = it.next()?.parse().ok()?;
        let day: u32 = it.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `*` matches any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waivers: Vec<RawWaiver>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    expires: Option<serde_yaml::Value>,
}

/// One validated waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: &'static str,
    pub path: String,
    pub target: Option<String>,
    pub reason: String,
    pub expires: Option<Date>,
    pub line: u32,
}

/// A set of waivers with the file they came from and which of them matched.
#[derive(Debug, Default)]
pub struct Waivers {
    pub file: Option<String>,
    pub list: Vec<Waiver>,
    today: Option<Date>,
    used: Mutex<Vec<bool>>,
}

/// Why a waivers file was refused.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message} (fix the waivers file; nothing was checked)")]
pub struct WaiverError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

fn item_lines(text: &str, file: &str) -> Vec<u32> {
    let Ok(doc) = yaml::load(text.as_bytes(), file, &LoadOptions::default()) else {
        return Vec::new();
    };
    let NodeKind::Map(pairs) = &doc.root.kind else {
        return Vec::new();
    };
    pairs
        .iter()
        .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == "waivers"))
        .and_then(|(_, v)| match &v.kind {
            NodeKind::Seq(items) => Some(items.iter().map(|i| i.pos.line).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

impl Waivers {
    /// No waivers.
    pub fn none() -> Waivers {
        Waivers::default()
    }

    /// Loads and validates a waivers file; `today` decides expiry.
    pub fn load(path: &Path, today: Date) -> Result<Waivers, WaiverError> {
        let file = path.display().to_string();
        let err = |line: u32, message: String| WaiverError {
            file: file.clone(),
            line,
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
        Waivers::parse(&text, &file, today)
    }

    /// Parses waivers text (named `file` in messages).
    pub fn parse(text: &str, file: &str, today: Date) -> Result<Waivers, WaiverError> {
        let err = |line: u32, message: String| WaiverError {
            file: file.to_string(),
            line,
            message,
        };
        let raw: WaiverFile = serde_yaml::from_str(text).map_err(|e| {
            let line = e
                .location()
                .map_or(0, |l| u32::try_from(l.line()).unwrap_or(0));
            err(line, e.to_string())
        })?;
        let lines = item_lines(text, file);
        let mut list = Vec::new();
        for (i, w) in raw.waivers.into_iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(0);
            let rule = rules::rule(&w.rule).ok_or_else(|| {
                err(
                    line,
                    format!("unknown rule {:?}; `regdrift rules` lists them", w.rule),
                )
            })?;
            let reason = w
                .reason
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| err(line, "a waiver needs a non-empty `reason`".into()))?;
            let expires = match w.expires {
                None => None,
                Some(v) => {
                    let s = match &v {
                        serde_yaml::Value::String(s) => s.clone(),
                        other => serde_yaml::to_string(other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    Some(Date::parse(&s).ok_or_else(|| {
                        err(
                            line,
                            format!("`expires` {s:?} is not a date; write YYYY-MM-DD"),
                        )
                    })?)
                }
            };
            list.push(Waiver {
                rule: rule.id,
                path: w.path.unwrap_or_else(|| "*".into()),
                target: w.target,
                reason,
                expires,
                line,
            });
        }
        let n = list.len();
        Ok(Waivers {
            file: Some(file.to_string()),
            list,
            today: Some(today),
            used: Mutex::new(vec![false; n]),
        })
    }

    fn expired(&self, w: &Waiver) -> bool {
        matches!((w.expires, self.today), (Some(e), Some(t)) if e < t)
    }

    /// Marks findings of `target` that a live waiver covers.
    pub fn apply(&self, target: &str, mut findings: Vec<Finding>) -> Vec<Finding> {
        for f in &mut findings {
            let hit = self.list.iter().enumerate().find(|(_, w)| {
                w.rule == f.rule_id
                    && glob_match(&w.path, &f.path)
                    && w.target.as_deref().is_none_or(|t| t == target)
            });
            if let Some((i, w)) = hit {
                if let Ok(mut used) = self.used.lock()
                    && let Some(u) = used.get_mut(i)
                {
                    *u = true;
                }
                if !self.expired(w) {
                    f.waived = Some(WaiverRef {
                        reason: w.reason.clone(),
                        expires: w.expires.map(|d| d.to_string()),
                        line: w.line,
                    });
                }
            }
        }
        findings
    }

    /// RD-WAIVER-001 for each expired waiver, RD-WAIVER-002 for each that matched nothing.
    pub fn meta_findings(&self) -> Vec<Finding> {
        let file = self.file.clone().unwrap_or_default();
        let used = self.used.lock().map(|u| u.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for (i, w) in self.list.iter().enumerate() {
            let (rule_id, message) = if self.expired(w) {
                (
                    "RD-WAIVER-001",
                    format!(
                        "the waiver for {} on {} expired on {}",
                        w.rule,
                        w.path,
                        w.expires.map(|d| d.to_string()).unwrap_or_default()
                    ),
                )
            } else if !used.get(i).copied().unwrap_or(false) {
                (
                    "RD-WAIVER-002",
                    format!("the waiver for {} on {} matches no finding", w.rule, w.path),
                )
            } else {
                continue;
            };
            let rule = rules::rule(rule_id).expect("waiver rules are in the table");
            let path = format!("waivers[{i}]");
            out.push(Finding {
                rule_id: rule_id.into(),
                slug: rule.slug.into(),
                title: rule.title.into(),
                category: rule.category,
                severity: rule.severity,
                direction: Direction::Neutral,
                path: path.clone(),
                location: Location::File {
                    path: file.clone(),
                    line: w.line,
                    col: 1,
                },
                message,
                before: None,
                after: None,
                why: rule.why.into(),
                fix: rule.fix.into(),
                fingerprint: fingerprint(
                    &file,
                    rule_id,
                    &format!(
                        "{}:{}:{}",
                        w.rule,
                        w.path,
                        w.target.as_deref().unwrap_or("*")
                    ),
                    Direction::Neutral,
                ),
                waived: None,
                first_seen: None,
            });
        }
        out
    }
}

/// Parses `--fail-on`.
pub fn parse_fail_on(s: &str) -> Result<Severity, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_paths() {
        assert!(glob_match("http.tls*", "http.tls.certificate"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match(
            "notifications.endpoints[name=?udit].url",
            "notifications.endpoints[name=audit].url"
        ));
        assert!(!glob_match("http.tls", "http.tls.key"));
    }

    #[test]
    fn dates_parse_and_compare() {
        assert!(Date::parse("2027-01-31").unwrap() > Date::parse("2026-12-03").unwrap());
        assert!(Date::parse("2027-13-01").is_none());
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_790).to_string(), "2026-12-03");
    }

    #[test]
    fn a_waiver_without_reason_is_refused_naming_its_line() {
        let text = "waivers:\n  - rule: RD-TLS-001\n    reason: ok\n  - rule: RD-AUTH-001\n    path: auth\n";
        let e = Waivers::parse(text, "w.yml", Date::today()).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(
            e.to_string()
                .contains("w.yml:4: a waiver needs a non-empty `reason`")
        );
    }

    #[test]
    fn unknown_rules_and_fields_are_refused() {
        let e = Waivers::parse(
            "waivers:\n  - rule: RD-NOPE-1\n    reason: x\n",
            "w.yml",
            Date::today(),
        )
        .unwrap_err();
        assert!(e.message.contains("unknown rule"));
        let e = Waivers::parse(
            "waivers:\n  - rule: RD-TLS-001\n    reasn: x\n",
            "w.yml",
            Date::today(),
        )
        .unwrap_err();
        assert!(e.message.contains("reasn"), "{e}");
        assert_eq!(e.line, 3);
    }
}
