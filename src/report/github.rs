//! GitHub Actions output of a report: workflow annotations (`::error file=..,line=..::..`), the
//! job summary (Markdown for `$GITHUB_STEP_SUMMARY`) and step outputs (`$GITHUB_OUTPUT`). The
//! library returns the text; `regdrift report --github` writes it.
//!
//! Invariants:
//! - **At most [`ANNOTATIONS_PER_KIND`] annotations of each kind** (error, warning, notice), the
//!   most severe first: GitHub keeps only ten of each per step and drops the rest silently. What
//!   does not fit is counted in one last notice (which then takes the tenth notice slot).
//! - **The summary stays under [`SUMMARY_LIMIT`] bytes** (GitHub refuses a step summary over
//!   1 MiB and shows none): rows and details are cut with a note saying how many are left out.
//! - Annotated findings are the ones that count toward the exit status (unwaived, at or above
//!   `fail_on`, as in SARIF) plus the targets that could not be checked. Levels follow SARIF:
//!   critical/high → error, medium → warning, low/info → notice.
//! - Nothing here adds a value: messages are the report's, which are already redacted. Text is
//!   escaped as GitHub's toolkit does, so a message can never start a workflow command.

use std::fmt::Write as _;
use std::path::Path;

use super::{Finding, Location, Report, Status, markdown};
use crate::rules::Severity;

/// Annotations of one kind GitHub shows per step.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// Largest job summary written: under GitHub's 1 MiB (1,048,576 bytes) per step, with room
/// for what other steps of the job add.
pub const SUMMARY_LIMIT: usize = 1_000_000;

/// The kind of a workflow annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Error,
    Warning,
    Notice,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Error => "error",
            Kind::Warning => "warning",
            Kind::Notice => "notice",
        }
    }

    fn of(s: Severity) -> Kind {
        match s {
            Severity::Critical | Severity::High => Kind::Error,
            Severity::Medium => Kind::Warning,
            Severity::Low | Severity::Info => Kind::Notice,
        }
    }
}

/// One workflow annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub kind: Kind,
    /// Repository-relative file (absent when the location is not a file in the workspace).
    pub file: Option<String>,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub title: String,
    pub message: String,
}

/// `%`, CR and LF escaped, as `@actions/core` escapes command data.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Data escaping plus `:` and `,`, as `@actions/core` escapes command properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Annotation {
    /// The workflow command line (without the newline).
    pub fn command(&self) -> String {
        let mut props = Vec::new();
        if let Some(f) = &self.file {
            props.push(format!("file={}", escape_property(f)));
            if let Some(l) = self.line {
                props.push(format!("line={l}"));
                if let Some(c) = self.col {
                    props.push(format!("col={c}"));
                }
            }
        }
        props.push(format!("title={}", escape_property(&self.title)));
        format!(
            "::{} {}::{}",
            self.kind.as_str(),
            props.join(","),
            escape_data(&self.message)
        )
    }
}

/// A repository-relative path for an annotation: relative paths as they are, absolute ones
/// under `workspace` made relative, others none.
fn relative(path: &str, workspace: &Path) -> Option<String> {
    let p = Path::new(path);
    if p.is_relative() {
        return Some(path.trim_start_matches("./").to_string());
    }
    p.strip_prefix(workspace)
        .ok()
        .map(|r| r.display().to_string())
}

fn finding_annotation(target: &str, f: &Finding, workspace: &Path) -> Annotation {
    let (file, line, col) = match &f.location {
        Location::File { path, line, col } => (relative(path, workspace), Some(*line), Some(*col)),
        Location::Env {
            file: Some(file),
            line,
            ..
        } => (relative(file, workspace), *line, None),
        Location::Default { path } => (relative(path, workspace), None, None),
        _ => (None, None, None),
    };
    let mut message = format!("{target}: {} (key {})", f.message, f.path);
    if file.is_none() {
        let _ = write!(message, " at {}", f.location.label());
    }
    let _ = write!(message, ". Fix: {}", f.fix);
    Annotation {
        kind: Kind::of(f.severity),
        file,
        line: line.filter(|l| *l > 0),
        col: col.filter(|c| *c > 0),
        title: format!("{} {} ({})", f.rule_id, f.title, f.severity),
        message,
    }
}

/// The annotations of a report: target errors, then findings by severity, at most
/// [`ANNOTATIONS_PER_KIND`] of each kind, the rest counted in a last notice.
pub fn annotations(r: &Report, workspace: &Path) -> Vec<Annotation> {
    let mut ranked: Vec<(u8, Annotation)> = Vec::new();
    for t in &r.targets {
        if let Status::Error { message } = &t.status {
            ranked.push((
                0,
                Annotation {
                    kind: Kind::Error,
                    file: None,
                    line: None,
                    col: None,
                    title: format!("regdrift could not check {}", t.name),
                    message: format!("{}: {message}", t.name),
                },
            ));
        }
        for f in t.findings.iter().filter(|f| r.counts_toward_exit(f)) {
            let rank = 5 - f.severity as u8;
            ranked.push((rank, finding_annotation(&t.name, f, workspace)));
        }
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    let all: Vec<Annotation> = ranked.into_iter().map(|(_, a)| a).collect();
    cap(all)
}

/// Keeps the first [`ANNOTATIONS_PER_KIND`] of each kind; counts the rest in one notice.
fn cap(all: Vec<Annotation>) -> Vec<Annotation> {
    let count = |k: Kind| all.iter().filter(|a| a.kind == k).count();
    let over = |k: Kind| count(k).saturating_sub(ANNOTATIONS_PER_KIND);
    let overflow = over(Kind::Error) > 0 || over(Kind::Warning) > 0 || over(Kind::Notice) > 0;
    let notice_room = if overflow {
        ANNOTATIONS_PER_KIND - 1
    } else {
        ANNOTATIONS_PER_KIND
    };
    let mut kept = Vec::new();
    let mut left = [0usize; 3];
    let mut used = [0usize; 3];
    for a in all {
        let i = a.kind as usize;
        let room = if a.kind == Kind::Notice {
            notice_room
        } else {
            ANNOTATIONS_PER_KIND
        };
        if used[i] < room {
            used[i] += 1;
            kept.push(a);
        } else {
            left[i] += 1;
        }
    }
    let total: usize = left.iter().sum();
    if total > 0 {
        kept.push(Annotation {
            kind: Kind::Notice,
            file: None,
            line: None,
            col: None,
            title: "regdrift: more findings".into(),
            message: format!(
                "{total} more not annotated ({} errors, {} warnings, {} notices): GitHub shows \
                 at most {ANNOTATIONS_PER_KIND} annotations of each type per step; see the job \
                 summary and the code scanning (SARIF) results",
                left[0], left[1], left[2]
            ),
        });
    }
    kept
}

/// The annotations as workflow commands, one per line.
pub fn render_annotations(annotations: &[Annotation]) -> String {
    annotations.iter().map(|a| a.command() + "\n").collect()
}

/// The job summary: the Markdown report, at most `limit` bytes.
pub fn summary(r: &Report, limit: usize) -> String {
    let text = markdown::render(r, limit);
    if text.len() <= limit {
        return text;
    }
    const NOTE: &str = "\n\n_The summary is cut here to stay under GitHub's 1 MiB limit; see the JSON or SARIF report._\n";
    let mut end = limit.saturating_sub(NOTE.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string() + NOTE
}

/// The step outputs: `drift` (true when any finding is not waived), `worst-severity` (or
/// `none`), `findings` (unwaived), `failing` (at or above fail_on), `targets-failed`,
/// `exit-code`, `report` and `sarif` (paths, empty when none).
pub fn outputs(r: &Report, report: &str, sarif: Option<&str>) -> Vec<(&'static str, String)> {
    let c = &r.summary.counts;
    // The counts come from a JSON file: add without overflow.
    let findings = [c.critical, c.high, c.medium, c.low, c.info]
        .iter()
        .fold(0usize, |a, b| a.saturating_add(*b));
    vec![
        ("drift", (findings > 0).to_string()),
        (
            "worst-severity",
            r.summary
                .worst
                .map_or_else(|| "none".to_string(), |s| s.to_string()),
        ),
        ("findings", findings.to_string()),
        ("failing", r.summary.failing.to_string()),
        ("targets-failed", r.summary.targets_failed.to_string()),
        ("exit-code", r.summary.exit_code.to_string()),
        ("report", report.to_string()),
        ("sarif", sarif.unwrap_or_default().to_string()),
    ]
}

/// Outputs in the `$GITHUB_OUTPUT` file format: `name=value`, or a heredoc with a delimiter
/// the value does not contain when the value has a line break.
pub fn render_outputs(outputs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in outputs {
        if value.contains(['\n', '\r']) {
            let mut delim = "REGDRIFT_EOF".to_string();
            while value.contains(&delim) {
                delim.push('_');
            }
            let _ = writeln!(out, "{name}<<{delim}\n{value}\n{delim}");
        } else {
            let _ = writeln!(out, "{name}={value}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(kind: Kind, n: usize) -> Vec<Annotation> {
        (0..n)
            .map(|i| Annotation {
                kind,
                file: Some("c.yml".into()),
                line: Some(1),
                col: None,
                title: format!("{} {i}", kind.as_str()),
                message: "m".into(),
            })
            .collect()
    }

    #[test]
    fn at_most_ten_of_each_kind_and_the_rest_in_one_notice() {
        let mut all = ann(Kind::Error, 12);
        all.extend(ann(Kind::Warning, 3));
        all.extend(ann(Kind::Notice, 15));
        let kept = cap(all);
        let n = |k| kept.iter().filter(|a| a.kind == k).count();
        assert_eq!(
            (n(Kind::Error), n(Kind::Warning), n(Kind::Notice)),
            (10, 3, 10)
        );
        let last = kept.last().unwrap();
        assert!(
            last.message
                .starts_with("8 more not annotated (2 errors, 0 warnings, 6 notices)"),
            "{}",
            last.message
        );
        let few = cap(ann(Kind::Notice, 10));
        assert_eq!(few.len(), 10);
        assert!(few.iter().all(|a| a.title.starts_with("notice")));
    }

    #[test]
    fn commands_escape_data_and_properties() {
        let a = Annotation {
            kind: Kind::Warning,
            file: Some("dir,1/a:b.yml".into()),
            line: Some(3),
            col: Some(5),
            title: "T: x, y".into(),
            message: "100% bad\n::error::injected".into(),
        };
        assert_eq!(
            a.command(),
            "::warning file=dir%2C1/a%3Ab.yml,line=3,col=5,title=T%3A x%2C y::100%25 bad%0A::error::injected"
        );
    }

    #[test]
    fn paths_are_made_relative_to_the_workspace() {
        let ws = Path::new("/home/runner/work/repo");
        assert_eq!(
            relative("./deploy/c.yml", ws).as_deref(),
            Some("deploy/c.yml")
        );
        assert_eq!(
            relative("/home/runner/work/repo/deploy/c.yml", ws).as_deref(),
            Some("deploy/c.yml")
        );
        assert_eq!(relative("/etc/distribution/config.yml", ws), None);
    }

    #[test]
    fn outputs_with_line_breaks_use_a_heredoc() {
        let text = render_outputs(&[("a", "1".into()), ("b", "x\nREGDRIFT_EOF".into())]);
        assert_eq!(
            text,
            "a=1\nb<<REGDRIFT_EOF_\nx\nREGDRIFT_EOF\nREGDRIFT_EOF_\n"
        );
    }
}
