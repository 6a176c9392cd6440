//! The human rendering: findings grouped by target, worst first, with location, message and
//! fix. Colour only when the caller says so (a terminal, and never with NO_COLOR).

use std::fmt::Write as _;

use super::{Report, Status};
use crate::rules::{Direction, Severity};
use crate::show::Style;

fn sev_label(s: Severity, st: Style) -> String {
    let text = format!("{:<8}", s.as_str().to_uppercase());
    match s {
        Severity::Critical | Severity::High => st.red(&text),
        Severity::Medium => st.yellow(&text),
        _ => st.dim(&text),
    }
}

/// Renders a report for people.
pub fn render(r: &Report, st: Style, with_diff: bool) -> String {
    let mut out = String::new();
    for t in &r.targets {
        let _ = write!(
            out,
            "{} {}",
            st.bold(&format!("regdrift {}:", r.command)),
            t.name
        );
        if let Some(b) = &t.baseline {
            let _ = write!(out, " (baseline {})", b.source);
        }
        let _ = writeln!(out);
        if let Status::Error { message } = &t.status {
            let _ = writeln!(out, "  {} {message}", st.red("could not check:"));
            continue;
        }
        if t.findings.is_empty() {
            let _ = writeln!(out, "  no findings");
        }
        for f in &t.findings {
            let dir = match f.direction {
                Direction::Strengthens => " (strengthens)",
                Direction::Neutral if f.rule_id.starts_with("RD-DRIFT") => "",
                _ => "",
            };
            let waived = f
                .waived
                .as_ref()
                .map(|w| format!(" [waived: {}]", w.reason))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {} {}{dir}{waived}",
                sev_label(f.severity, st),
                st.bold(&f.rule_id),
                f.title
            );
            let _ = writeln!(out, "           {}: {}", f.location.label(), f.message);
            if let (Some(b), Some(a)) = (&f.before, &f.after)
                && !f.message.contains(a.as_str())
            {
                let _ = writeln!(out, "           baseline {b} -> deployed {a}");
            }
            if f.direction != Direction::Strengthens {
                let _ = writeln!(out, "           {} {}", st.dim("fix:"), f.fix);
            }
        }
        if with_diff && let Some(d) = t.text_diff.as_ref().filter(|d| !d.is_empty()) {
            let _ = writeln!(
                out,
                "\n{}",
                st.bold("Diff of the effective configs (redacted):")
            );
            out.push_str(d);
        }
        let _ = writeln!(out);
    }
    let s = &r.summary;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter(|x| s.counts.get(**x) > 0)
        .map(|x| format!("{} {}", s.counts.get(*x), x))
        .collect();
    let counts = if counts.is_empty() {
        "no findings".to_string()
    } else {
        counts.join(", ")
    };
    let waived = if s.waived > 0 {
        format!(" ({} waived)", s.waived)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {counts}{waived}; {} at or above --fail-on {}; exit status {}",
        st.bold("Summary:"),
        s.failing,
        s.fail_on,
        s.exit_code
    );
    out
}
