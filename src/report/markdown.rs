//! Markdown: the job summary and the future PR/issue body. Summary table first, then details,
//! then the redacted diff; never longer than GitHub's 65,536-character body limit: details
//! are cut with a note saying how many were left out.

use std::fmt::Write as _;

use super::{Report, Status};
use crate::rules::Direction;

/// GitHub's limit for issue and pull request bodies.
pub const GITHUB_BODY_LIMIT: usize = 65_536;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ").replace('`', "'")
}

/// Renders a report as Markdown of at most `limit` characters.
pub fn render(r: &Report, limit: usize) -> String {
    let mut head = String::new();
    let s = &r.summary;
    let _ = writeln!(head, "## regdrift {}\n", r.command);
    let _ = writeln!(
        head,
        "**{}** critical, **{}** high, **{}** medium, **{}** low, **{}** info{}; {} at or above `{}`.\n",
        s.counts.critical,
        s.counts.high,
        s.counts.medium,
        s.counts.low,
        s.counts.info,
        if s.waived > 0 {
            format!(" ({} waived)", s.waived)
        } else {
            String::new()
        },
        s.failing,
        s.fail_on
    );
    let _ = writeln!(
        head,
        "| Severity | Rule | Target | Key | Location | Finding |"
    );
    let _ = writeln!(head, "| --- | --- | --- | --- | --- | --- |");
    let mut rows = Vec::new();
    let mut details = Vec::new();
    for t in &r.targets {
        if let Status::Error { message } = &t.status {
            rows.push(format!(
                "| error | - | {} | - | - | could not check: {} |\n",
                cell(&t.name),
                cell(message)
            ));
            continue;
        }
        for f in &t.findings {
            let sev = if f.waived.is_some() {
                format!("{} (waived)", f.severity)
            } else {
                f.severity.to_string()
            };
            rows.push(format!(
                "| {} | `{}` | {} | `{}` | {} | {} |\n",
                sev,
                f.rule_id,
                cell(&t.name),
                cell(&f.path),
                cell(&f.location.label()),
                cell(&f.message)
            ));
            let mut d = format!("### {} {} ({})\n\n", f.rule_id, f.title, f.severity);
            let _ = writeln!(
                d,
                "- **Target:** {}\n- **Key:** `{}`\n- **Where:** {}",
                t.name,
                cell(&f.path),
                f.location.label()
            );
            if let Some(b) = &f.before {
                let _ = writeln!(d, "- **Baseline:** `{}`", cell(b));
            }
            if let Some(a) = &f.after {
                let _ = writeln!(d, "- **Deployed:** `{}`", cell(a));
            }
            let _ = writeln!(d, "\n{}\n\n{}", f.message, f.why);
            if f.direction != Direction::Strengthens {
                let _ = writeln!(d, "\n**Fix:** {}", f.fix);
            }
            if let Some(w) = &f.waived {
                let _ = writeln!(d, "\n_Waived: {}_", w.reason);
            }
            details.push(d + "\n");
        }
        if let Some(diff) = t.text_diff.as_ref().filter(|d| !d.is_empty()) {
            // A fence longer than any run of backticks in the diff, so no config value can
            // close it and inject Markdown.
            let longest = diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            details.push(format!("<details><summary>Diff of the effective configs of {} (redacted)</summary>\n\n{fence}diff\n{}{fence}\n\n</details>\n\n", t.name, diff));
        }
    }
    assemble(head, rows, details, limit)
}

fn assemble(head: String, rows: Vec<String>, details: Vec<String>, limit: usize) -> String {
    const NOTE_ROOM: usize = 400;
    let budget = limit.saturating_sub(NOTE_ROOM);
    let mut out = head;
    let mut cut_rows = 0;
    for row in &rows {
        if out.len() + row.len() > budget {
            cut_rows += 1;
        } else {
            out.push_str(row);
        }
    }
    if cut_rows > 0 {
        let _ = writeln!(
            out,
            "\n_{cut_rows} more findings are not listed: the body is limited to {limit} characters; see the JSON or SARIF report._"
        );
        return out;
    }
    out.push('\n');
    let mut cut = 0;
    for d in &details {
        if cut > 0 || out.len() + d.len() > budget {
            cut += 1;
        } else {
            out.push_str(d);
        }
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "_Details of {cut} more findings (or the diff) are left out to stay under {limit} characters; see the JSON or SARIF report._"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::report::{Report, Status, TargetReport};
    use crate::rules::Severity;

    /// A config value with backticks cannot close the diff's code fence and inject Markdown
    /// into an issue body.
    #[test]
    fn the_diff_fence_is_longer_than_any_backtick_run_in_the_diff() {
        let t = TargetReport {
            text_diff: Some("+  realm: x````\n![img](https://evil/)\n".into()),
            ..TargetReport::new("t", Status::Checked)
        };
        let md = super::render(&Report::new("check", vec![t], Severity::Low), 60_000);
        assert!(md.contains("`````diff\n"), "{md}");
        assert!(md.contains("\n`````\n"), "{md}");
    }
}
