//! Classification: the rule table and the checks that turn configs and changes into findings.
//!
//! Two kinds of check feed one table ([`table::RULES`]):
//! - **posture** checks look at one effective config (`regdrift lint`); in `regdrift diff` a
//!   posture finding present in the deployed config but not in the baseline *weakens*, and one
//!   present in the baseline but gone from the deployed config *strengthens*;
//! - **drift** checks compare the baseline and the deployed config at keys whose every change
//!   matters (a trust anchor, a realm host, a bucket); any other change at all is
//!   RD-DRIFT-001, so no drift is ever silent.
//!
//! Severity is intrinsic to the rule, raised by context where the reference says so (deletes
//! with no auth, a public debug listener with secrets in redis or notification headers,
//! plaintext transport with htpasswd). Findings that strengthen security are reported with
//! direction `strengthens` and severity `info`: visible, never failing a run by default.
//! Policy (what fails the run, what is waived) is [`crate::policy`]'s job, not this module's.

pub mod audit;
pub mod auth;
pub mod availability;
pub mod config;
pub mod ctx;
pub mod exposure;
pub mod integrity;
pub mod path;
pub mod secrets;
pub mod storage;
pub mod table;
pub mod transport;

use serde::{Deserialize, Serialize};

pub use ctx::Ctx;
pub use table::RULES;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One level up (critical stays critical).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown severity {s:?}: use info, low, medium, high or critical")
            })
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Authentication,
    Authorization,
    Transport,
    Storage,
    Exposure,
    Audit,
    Integrity,
    Secrets,
    Availability,
    Config,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Authentication => "authentication",
            Category::Authorization => "authorization",
            Category::Transport => "transport",
            Category::Storage => "storage",
            Category::Exposure => "exposure",
            Category::Audit => "audit",
            Category::Integrity => "integrity",
            Category::Secrets => "secrets",
            Category::Availability => "availability",
            Category::Config => "config",
        }
    }
}

/// Whether a finding makes the registry less or more secure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Weakens,
    Strengthens,
    Neutral,
}

/// Where a rule's findings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Checks one config; in a diff, new posture findings weaken and resolved ones strengthen.
    Posture,
    /// Compares baseline and deployed.
    Drift,
    /// About regdrift's own inputs (waivers).
    Meta,
}

/// A rule of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub slug: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub kind: RuleKind,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub references: &'static [&'static str],
}

/// The rule with this id (or slug).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id) || r.slug == id)
}

/// A raw result of a check, before location and policy are attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule: &'static str,
    /// Path of the key concerned (identity paths for lists with identity).
    pub path: String,
    /// Severity when context changes it; `None` means the rule's default.
    pub severity: Option<Severity>,
    pub message: String,
    pub direction: Direction,
}

impl Hit {
    pub fn new(rule: &'static str, path: impl Into<String>, message: impl Into<String>) -> Hit {
        Hit {
            rule,
            path: path.into(),
            severity: None,
            message: message.into(),
            direction: Direction::Weakens,
        }
    }

    pub fn severity(mut self, s: Severity) -> Hit {
        self.severity = Some(s);
        self
    }

    pub fn direction(mut self, d: Direction) -> Hit {
        self.direction = d;
        self
    }

    /// The severity this hit is reported with.
    pub fn effective_severity(&self) -> Severity {
        self.severity
            .or_else(|| rule(self.rule).map(|r| r.severity))
            .unwrap_or(Severity::Low)
    }
}

/// Every posture check on one config.
pub fn posture(c: &Ctx<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    auth::posture(c, &mut out);
    transport::posture(c, &mut out);
    storage::posture(c, &mut out);
    exposure::posture(c, &mut out);
    integrity::posture(c, &mut out);
    audit::posture(c, &mut out);
    secrets::posture(c, &mut out);
    availability::posture(c, &mut out);
    config::posture(c, &mut out);
    out
}

/// Every drift check between a baseline and a deployed config.
pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    auth::drift(b, d, &mut out);
    transport::drift(b, d, &mut out);
    storage::drift(b, d, &mut out);
    exposure::drift(b, d, &mut out);
    integrity::drift(b, d, &mut out);
    audit::drift(b, d, &mut out);
    availability::drift(b, d, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_sorted_and_well_formed() {
        for pair in RULES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
        for r in RULES {
            assert!(r.id.starts_with("RD-") && r.id.len() >= 9, "{}", r.id);
            assert!(
                !r.title.is_empty() && !r.why.is_empty() && !r.fix.is_empty(),
                "{}",
                r.id
            );
            let slugs = RULES.iter().filter(|x| x.slug == r.slug).count();
            assert_eq!(slugs, 1, "slug {} is not unique", r.slug);
        }
    }

    /// The rule list is a contract: ids and slugs never change silently. Update this snapshot
    /// only when adding a rule (never rename or reuse an id).
    #[test]
    fn rule_list_snapshot() {
        let list: Vec<String> = RULES
            .iter()
            .map(|r| format!("{} {} {} {}", r.id, r.slug, r.category.as_str(), r.severity))
            .collect();
        let snapshot = include_str!("../../tests/snapshots/rules.txt");
        let expected: Vec<&str> = snapshot.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            list, expected,
            "rule list changed: review and update tests/snapshots/rules.txt"
        );
    }

    #[test]
    fn severities_parse_and_order() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("severe".parse::<Severity>().is_err());
    }
}
