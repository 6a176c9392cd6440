//! Titles, bodies, markers and labels of regdrift's issues and pull requests.
//!
//! Everything here is a pure function of the report, so two runs over the same findings
//! produce byte-identical titles and bodies: comparing them with what GitHub holds is how a
//! run decides that nothing needs writing.
//!
//! Invariants:
//! - Every body starts with the hidden marker `<!-- regdrift:target=<name> fingerprint=<hex> -->`
//!   by which a later run finds the issue or pull request again (the target name is
//!   percent-encoded outside `[A-Za-z0-9._-]` so it can never close the HTML comment).
//! - Bodies come from the Markdown renderer ([`crate::report::markdown`]), which holds redacted
//!   values and keyed digests only: no secret value can reach a body.
//! - Bodies are at most [`BODY_LIMIT`] characters: the summary table comes first and the
//!   renderer cuts details with a note when the rest does not fit.

use std::fmt::Write as _;

use crate::report::markdown::{self, GITHUB_BODY_LIMIT};
use crate::report::{Report, TargetReport, TrustInfo};
use crate::rules::Severity;

/// GitHub's limit for issue, pull request and comment bodies (characters).
pub const BODY_LIMIT: usize = GITHUB_BODY_LIMIT;

/// The label every issue and pull request of regdrift carries.
pub const LABEL: &str = "regdrift";

/// Prefix of the severity label (`severity:high`).
pub const SEVERITY_PREFIX: &str = "severity:";

/// The branch of a target's pull request.
pub fn branch(target: &str) -> String {
    let safe: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    // A git ref component may not start with a dot nor end with `.lock`.
    let safe = safe.trim_start_matches('.');
    let safe = safe.strip_suffix(".lock").unwrap_or(safe);
    let safe = if safe.is_empty() { "-" } else { safe };
    if safe == target {
        format!("regdrift/restore/{safe}")
    } else {
        // Sanitising is not one-to-one (`eu:prod` and `eu-prod`): a changed name carries a
        // hash of the real one, so two targets never share a branch.
        let h = blake3::hash(target.as_bytes()).to_hex();
        format!("regdrift/restore/{safe}-{}", &h[..8])
    }
}

fn encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// How every marker starts.
const MARKER_START: &str = "<!-- regdrift:target=";

/// The hidden marker of a target's issue or pull request.
pub fn marker(target: &str, fingerprint: &str) -> String {
    format!(
        "{MARKER_START}{} fingerprint={fingerprint} -->",
        encode(target)
    )
}

/// True when `body` carries the marker of `target` (any fingerprint).
pub fn has_marker(body: &str, target: &str) -> bool {
    body.contains(&format!("{MARKER_START}{} fingerprint=", encode(target)))
}

/// True when `body` carries a marker of any target: an item regdrift made.
pub fn has_any_marker(body: &str) -> bool {
    body.contains(MARKER_START)
}

/// The drift fingerprint of a target: blake3 of its sorted fingerprints of findings that are
/// not waived (16 hex digits). Equal findings, equal fingerprint.
pub fn drift_fingerprint(t: &TargetReport) -> String {
    let mut fps: Vec<&str> = t
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .map(|f| f.fingerprint.as_str())
        .collect();
    fps.sort_unstable();
    fps.dedup();
    let hash = blake3::hash(fps.join("\n").as_bytes());
    hash.to_hex()[..16].to_string()
}

/// The highest severity of the target's findings that are not waived.
pub fn worst(t: &TargetReport) -> Option<Severity> {
    t.findings
        .iter()
        .filter(|f| f.waived.is_none())
        .map(|f| f.severity)
        .max()
}

/// The labels regdrift sets: `regdrift` and `severity:<worst>`.
pub fn labels(worst: Option<Severity>) -> Vec<String> {
    let mut out = vec![LABEL.to_string()];
    if let Some(w) = worst {
        out.push(format!("{SEVERITY_PREFIX}{w}"));
    }
    out
}

/// Colour and description of a label regdrift creates.
pub fn label_style(name: &str) -> (&'static str, String) {
    let colour = match name.strip_prefix(SEVERITY_PREFIX) {
        Some("critical") => "b60205",
        Some("high") => "d93f0b",
        Some("medium") => "fbca04",
        Some("low") => "0e8a16",
        Some(_) => "c5def5",
        None => "5319e7",
    };
    let description = match name.strip_prefix(SEVERITY_PREFIX) {
        Some(s) => format!("regdrift: worst finding is {s}"),
        None => "Opened by regdrift: a registry drifted from its verified baseline".into(),
    };
    (colour, description)
}

/// Title of a target's issue.
pub fn issue_title(t: &TargetReport) -> String {
    match worst(t) {
        Some(w) => format!("regdrift: {} drifted from its baseline ({w})", t.name),
        None => format!("regdrift: {} drifted from its baseline", t.name),
    }
}

/// Title of a target's pull request.
pub fn pr_title(target: &str) -> String {
    format!("regdrift: restore the verified baseline of {target}")
}

/// The target's findings as Markdown within `limit` characters (summary table first).
fn findings_markdown(t: &TargetReport, fail_on: Severity, limit: usize) -> String {
    let report = Report::new("check", vec![t.clone()], fail_on);
    markdown::render(&report, limit)
}

/// Appends the rendered findings to `head` so that the whole stays under [`BODY_LIMIT`].
fn finish(mut head: String, t: &TargetReport, fail_on: Severity) -> String {
    // Rendered lengths are bytes, which are never fewer than characters: the bound holds.
    let room = BODY_LIMIT.saturating_sub(head.len() + 2);
    head.push('\n');
    head.push_str(&findings_markdown(t, fail_on, room));
    head
}

/// Body of a target's issue; `reason` says why there is no pull request when one was asked,
/// `pr_branch` names the branch of the pull request that restores the target, if any.
pub fn issue_body(
    t: &TargetReport,
    fail_on: Severity,
    fingerprint: &str,
    reason: Option<&str>,
    pr_branch: Option<&str>,
) -> String {
    let mut head = marker(&t.name, fingerprint);
    let _ = writeln!(
        head,
        "\nThe registry **{}** no longer runs the configuration its owners approved.\n",
        t.name
    );
    if let Some(trust) = &t.baseline_trust {
        let _ = writeln!(head, "{}\n", baseline_line(trust));
    }
    if let Some(r) = reason {
        let _ = writeln!(head, "**No pull request:** {r}\n");
    }
    if let Some(b) = pr_branch {
        let _ = writeln!(
            head,
            "The pull request from branch `{b}` restores the verified baseline.\n"
        );
    }
    let _ = writeln!(
        head,
        "regdrift updates this issue while the drift lasts and closes it when the target is back in sync."
    );
    finish(head, t, fail_on)
}

/// Body of a target's pull request writing the verified baseline to `path` in `repo`.
pub fn pr_body(
    t: &TargetReport,
    fail_on: Severity,
    fingerprint: &str,
    path: &str,
    kubernetes: bool,
) -> String {
    let mut head = marker(&t.name, fingerprint);
    let what = if kubernetes {
        format!(
            "replaces the registry configuration held in the ConfigMap of `{path}` (the rest of the manifest is unchanged)"
        )
    } else {
        format!("writes the verified baseline to `{path}`")
    };
    let _ = writeln!(
        head,
        "\nThe registry **{}** drifted from its approved configuration. This pull request {what}.\n",
        t.name
    );
    if let Some(trust) = &t.baseline_trust {
        let _ = writeln!(head, "{}\n", baseline_line(trust));
    }
    let _ = writeln!(
        head,
        "regdrift force-updates this branch when the baseline changes and closes this pull request when the target is back in sync."
    );
    finish(head, t, fail_on)
}

fn baseline_line(trust: &TrustInfo) -> String {
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let by = if trust.principals.is_empty() {
        String::new()
    } else {
        format!(", signed by {}", trust.principals.join(", "))
    };
    format!(
        "Baseline: `{}` at commit `{}`{by}.",
        trust.path,
        short(&trust.commit)
    )
}

/// The comment left when an issue or pull request is closed because the target is in sync.
pub fn in_sync_comment(target: &str) -> String {
    format!(
        "{}\nregdrift: **{target}** is back in sync with its verified baseline; closing.",
        marker(target, "in-sync")
    )
}

/// Commit message of the restoring commit.
pub fn commit_message(target: &str, path: &str, trust: Option<&TrustInfo>) -> String {
    let from = trust
        .map(|t| format!("\n\nBaseline {} at commit {}.", t.path, t.commit))
        .unwrap_or_default();
    format!("regdrift: restore the verified baseline of {target} in {path}{from}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn target(name: &str) -> TargetReport {
        TargetReport::new(name, Status::Checked)
    }

    #[test]
    fn marker_is_found_again_and_cannot_be_broken_by_a_name() {
        let m = marker("prod-eu-1", "abc");
        assert_eq!(m, "<!-- regdrift:target=prod-eu-1 fingerprint=abc -->");
        assert!(has_marker(&format!("x\n{m}\ny"), "prod-eu-1"));
        assert!(!has_marker(&m, "prod-eu"));
        let evil = marker("a-->b", "f");
        assert_eq!(evil.matches("-->").count(), 1, "{evil}");
    }

    #[test]
    fn branch_names_are_valid_refs() {
        assert_eq!(branch("prod-eu-1"), "regdrift/restore/prod-eu-1");
        assert!(branch("a:b~c").starts_with("regdrift/restore/a-b-c-"));
        assert!(branch(".x.lock").starts_with("regdrift/restore/x-"));
        // Sanitising is not one-to-one; the branches still differ.
        assert_ne!(branch("eu:prod"), branch("eu-prod"));
        assert_ne!(branch("a.lock"), branch("a"));
        assert_eq!(branch("eu-prod"), "regdrift/restore/eu-prod");
    }

    #[test]
    fn huge_bodies_stay_under_the_limit_with_a_note() {
        let mut t = target("big");
        t.text_diff = Some("+x\n".repeat(40_000));
        let b = issue_body(&t, Severity::Low, "f", Some("because"), None);
        assert!(b.chars().count() <= BODY_LIMIT, "{}", b.len());
        assert!(b.starts_with("<!-- regdrift:target=big"));
        assert!(b.contains("left out"), "{}", &b[b.len() - 400..]);
    }

    #[test]
    fn fingerprint_ignores_order_and_waived_findings() {
        let t = target("t");
        assert_eq!(drift_fingerprint(&t), drift_fingerprint(&t.clone()));
        assert_eq!(drift_fingerprint(&t).len(), 16);
    }
}
