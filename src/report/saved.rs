//! Reading a saved JSON report (`regdrift check --format json -o FILE`) back, so `regdrift
//! report` can render it again (human, SARIF, Markdown) or turn it into GitHub Actions output
//! without checking the fleet again.
//!
//! Invariant: only a report of this schema version is accepted; anything else is refused with
//! the file, line and column and what to do, never half-read.

use std::path::Path;

use super::{Report, SCHEMA_VERSION};

/// Why a saved report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}:{col}: not a regdrift JSON report: {message}; write one with \
         `regdrift check --format json -o FILE`"
    )]
    Invalid {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{path}: report schema_version {found}; this regdrift reads version {SCHEMA_VERSION}: \
         render it with the regdrift that wrote it"
    )]
    Version { path: String, found: String },
}

/// Parses report JSON (named `path` in messages).
pub fn parse(text: &str, path: &Path) -> Result<Report, SavedError> {
    let name = path.display().to_string();
    let version = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("schema_version").cloned());
    if let Some(v) = version.filter(|v| v.as_u64() != Some(u64::from(SCHEMA_VERSION))) {
        return Err(SavedError::Version {
            path: name,
            found: v.to_string(),
        });
    }
    serde_json::from_str(text).map_err(|e| SavedError::Invalid {
        path: name,
        line: e.line(),
        col: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or("")
            .to_string(),
    })
}

/// Reads and parses a saved report.
pub fn load(path: &Path) -> Result<Report, SavedError> {
    let text = std::fs::read_to_string(path).map_err(|source| SavedError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;

    #[test]
    fn a_report_survives_the_round_trip() {
        let r = Report::new("check", Vec::new(), Severity::Low);
        let text = serde_json::to_string_pretty(&r).unwrap();
        assert_eq!(parse(&text, Path::new("r.json")).unwrap(), r);
    }

    #[test]
    fn bad_reports_are_refused_with_position_or_version() {
        let e = parse(
            "{\n  \"schema_version\": 1,\n  \"tool\": 3\n}",
            Path::new("r.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("r.json:3:"), "{e}");
        assert!(e.contains("regdrift check --format json"), "{e}");
        let e = parse("{\"schema_version\": 9}", Path::new("r.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema_version 9"), "{e}");
        assert!(parse("", Path::new("r.json")).is_err());
    }
}
