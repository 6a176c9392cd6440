//! Fleet run history: an append-only log of what every `regdrift check` run found, one record
//! per target per run, in `<state_dir>/history.jsonl` (JSON Lines). The history dates findings
//! ([`annotate`] sets `first_seen` and fills `resolved`) and tells incremental checks what the
//! previous result of a target was ([`Loaded::latest`]).
//!
//! Invariants:
//! - **No secret value is stored**: a [`Record`] holds hashes and fingerprints only. The env hash
//!   is a keyed hash computed by the caller; this module stores what it is given.
//! - **Append-only, one write per run**: [`History::append`] writes all the records of a run in
//!   one `write_all` of one buffer to a file opened with `O_APPEND`, then `sync_data`. Runs never
//!   interleave (the records of a run are contiguous) and a record never straddles runs.
//! - **Reading never loses what was recorded**: a line that is not a whole record (torn by a
//!   killed run, truncated, garbage) or has an unknown version is skipped with a warning naming
//!   `history.jsonl:LINE`; every other line is read. A torn last line stays in the file: the next
//!   append first ends it with a newline so that new records start on a line of their own.
//! - **Time is UTC**, RFC 3339 with whole seconds (`2026-12-03T14:05:09Z`); the records of a
//!   target are in file order, which is the order runs were appended.
//!
//! The clock and the filesystem stay at the edge: [`annotate`] and [`records_for`] are pure
//! functions of the report, the loaded history and the run time the caller passes.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::policy::Date;
use crate::report::{Report, Resolved, Status};

/// Version of a history record's JSON shape. Bump on any incompatible change; readers skip
/// records of versions they do not know, with a warning.
pub const RECORD_VERSION: u32 = 1;

/// Name of the history file inside the state directory.
pub const FILE_NAME: &str = "history.jsonl";

/// How a target's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordStatus {
    /// The target was checked.
    Checked,
    /// The previous result was reused: source bytes, env and baseline were unchanged.
    Reused,
    /// The target could not be checked. Its findings say nothing: for first-seen and resolved
    /// findings an error record is neither presence nor absence.
    Error,
}

/// One finding of a record: identity and classification only, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFinding {
    pub fingerprint: String,
    pub rule_id: String,
    pub severity: String,
    pub waived: bool,
}

/// One target in one run: one line of `history.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// [`RECORD_VERSION`].
    pub v: u32,
    /// The run id ([`new_run_id`]); shared by every record of the run.
    pub run: String,
    /// When the run started: RFC 3339 UTC, whole seconds.
    pub time: String,
    pub target: String,
    pub status: RecordStatus,
    /// Why the target could not be checked (status `error` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Hash of the deployed config's source bytes.
    #[serde(default)]
    pub raw_hash: Option<String>,
    /// Keyed hash of the environment the registry sees (computed by the caller).
    #[serde(default)]
    pub env_hash: Option<String>,
    /// Hash of the verified baseline.
    #[serde(default)]
    pub baseline_hash: Option<String>,
    /// Hash of the effective (resolved) deployed config.
    #[serde(default)]
    pub effective_hash: Option<String>,
    #[serde(default)]
    pub findings: Vec<RecordFinding>,
}

/// The hashes of one target that go into its record (see [`records_for`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetHashes {
    pub raw: Option<String>,
    pub env: Option<String>,
    pub baseline: Option<String>,
    pub effective: Option<String>,
}

/// The history as read: the whole records, in file order, and one warning per skipped line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub records: Vec<Record>,
    /// `<state_dir>/history.jsonl:LINE: ...`, one per line that was skipped.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// The latest record of `target` that is not an error: what an incremental check compares
    /// against.
    pub fn latest(&self, target: &str) -> Option<&Record> {
        self.records
            .iter()
            .rev()
            .find(|r| r.target == target && r.status != RecordStatus::Error)
    }
}

/// Why the history could not be opened, read or appended to.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "{}: the state directory is not a directory; point regdrift at a directory it may \
         create files in",
        path.display()
    )]
    NotADirectory { path: PathBuf },
    #[error(
        "{}: cannot create the state directory: {source}; {}",
        path.display(),
        advice(source)
    )]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("{}: cannot read the run history: {source}; {}", path.display(), advice(source))]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "{}: cannot append this run to the run history: {source}; {} (earlier runs are intact)",
        path.display(),
        advice(source)
    )]
    Append { path: PathBuf, source: io::Error },
}

/// What to do about an I/O error on the state directory or the history file.
fn advice(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "make the state directory and history.jsonl readable and writable by the user \
             running regdrift, or use another state directory"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            "free space on its filesystem (or move history.jsonl aside to start a new history)"
        }
        _ => "check the state directory and its filesystem",
    }
}

/// The run history of a state directory.
#[derive(Debug, Clone)]
pub struct History {
    file: PathBuf,
}

impl History {
    /// Opens the history of `state_dir`, creating the directory (mode 0700 on unix) when it does
    /// not exist. The history file itself is created by the first [`History::append`].
    pub fn open(state_dir: &Path) -> Result<History, HistoryError> {
        create_state_dir(state_dir)?;
        Ok(History {
            file: state_dir.join(FILE_NAME),
        })
    }

    /// `<state_dir>/history.jsonl`.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Appends the records of one run: one `write_all` of one buffer, then `sync_data`. If the
    /// file ends in a torn line (a killed run), a newline is written first so that the torn
    /// line stays a line of its own and the new records start on a fresh one.
    pub fn append(&self, records: &[Record]) -> Result<(), HistoryError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = encode(records);
        let fail = |source| HistoryError::Append {
            path: self.file.clone(),
            source,
        };
        let mut file = open_for_append(&self.file).map_err(fail)?;
        if ends_in_torn_line(&mut file).map_err(fail)? {
            buf.insert(0, b'\n');
        }
        file.write_all(&buf).map_err(fail)?;
        file.sync_data().map_err(fail)
    }

    /// Reads the history, only the records of `target` when given. Tolerant: a line that is
    /// not a whole record, or has an unknown version, becomes a warning and is skipped. A
    /// history that does not exist yet is empty.
    /// What annotating a report needs, read in one pass in memory bounded by the fleet size
    /// (the latest usable record and streak starts per target), not by the history's length.
    pub fn fold(&self) -> Result<Folded, HistoryError> {
        let fail = |source| HistoryError::Read {
            path: self.file.clone(),
            source,
        };
        let mut folded = Folded::default();
        let file = match File::open(&self.file) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(folded),
            Err(e) => return Err(fail(e)),
        };
        let mut warnings = Vec::new();
        parse_with(
            BufReader::new(file),
            &self.file.display().to_string(),
            &mut warnings,
            &mut |r| folded.push(r),
        )
        .map_err(fail)?;
        folded.warnings = warnings;
        Ok(folded)
    }

    pub fn read(&self, target: Option<&str>) -> Result<Loaded, HistoryError> {
        let fail = |source| HistoryError::Read {
            path: self.file.clone(),
            source,
        };
        let file = match File::open(&self.file) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(e) => return Err(fail(e)),
        };
        parse(
            BufReader::new(file),
            &self.file.display().to_string(),
            target,
        )
        .map_err(fail)
    }
}

/// Creates `dir` (and missing parents) with mode 0700 on unix; an existing directory is left
/// as it is.
fn create_state_dir(dir: &Path) -> Result<(), HistoryError> {
    let fail = |source| HistoryError::CreateDir {
        path: dir.to_path_buf(),
        source,
    };
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(HistoryError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(fail)?;
    #[cfg(unix)]
    {
        // The umask may have removed bits; make it exactly owner-only.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(fail)?;
    }
    Ok(())
}

/// One JSON line per record. JSON escapes newlines inside strings, so a record is one line.
fn encode(records: &[Record]) -> Vec<u8> {
    let mut buf = Vec::new();
    for record in records {
        serde_json::to_writer(&mut buf, record)
            .expect("a record (strings, numbers, booleans) always serialises");
        buf.push(b'\n');
    }
    buf
}

/// Opens (creating, mode 0600 on unix) the history file for appending, readable so that its
/// last byte can be checked.
fn open_for_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).read(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// True when the file is not empty and does not end with a newline.
fn ends_in_torn_line(file: &mut File) -> io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Why a line was skipped.
enum Skip {
    /// Not a whole record.
    Corrupt(String),
    /// A whole record of a version this regdrift does not know.
    Version(u32),
}

/// Reads JSON Lines from `input`; `file` labels warnings.
fn parse(input: impl BufRead, file: &str, target: Option<&str>) -> io::Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut records = Vec::new();
    parse_with(input, file, &mut loaded.warnings, &mut |record| {
        if target.is_none_or(|t| t == record.target) {
            records.push(record);
        }
    })?;
    loaded.records = records;
    Ok(loaded)
}

/// Reads records one line at a time, handing each to `sink`; skipped lines become warnings.
fn parse_with(
    mut input: impl BufRead,
    file: &str,
    warnings: &mut Vec<String>,
    sink: &mut dyn FnMut(Record),
) -> io::Result<()> {
    let mut line = Vec::new();
    let mut number: u64 = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        let ended = line.last() == Some(&b'\n');
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match decode(text) {
            Ok(record) => sink(record),
            Err(Skip::Version(v)) => warnings.push(format!(
                "{file}:{number}: record version {v} is not known to this regdrift (it reads \
                 version {RECORD_VERSION}); skipped, upgrade regdrift to use it"
            )),
            Err(Skip::Corrupt(_)) if !ended => warnings.push(format!(
                "{file}:{number}: torn last line (no end of line: a run was killed while \
                 writing it); skipped, the next run starts on a new line"
            )),
            Err(Skip::Corrupt(why)) => warnings.push(format!(
                "{file}:{number}: not a whole history record ({why}); skipped, a torn or \
                 corrupted line affects no other line"
            )),
        }
    }
}

/// One line to a record: the version is checked before the shape.
fn decode(text: &[u8]) -> Result<Record, Skip> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let version: Version =
        serde_json::from_slice(text).map_err(|e| Skip::Corrupt(e.to_string()))?;
    if version.v != RECORD_VERSION {
        return Err(Skip::Version(version.v));
    }
    serde_json::from_slice(text).map_err(|e| Skip::Corrupt(e.to_string()))
}

/// Now, RFC 3339 UTC with whole seconds: `2026-12-03T14:05:09Z`.
pub fn now_rfc3339() -> String {
    let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    format_rfc3339(secs)
}

/// `unix_secs` seconds after the Unix epoch, RFC 3339 UTC: `2026-12-03T14:05:09Z`.
pub fn format_rfc3339(unix_secs: i64) -> String {
    let date = Date::from_days(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A new run id: the time now and a random suffix, `20261203T140509Z-5f3a9c1e04b2`.
pub fn new_run_id() -> String {
    run_id_at(&now_rfc3339())
}

/// A run id for a run started at `time` (RFC 3339): its digits, `T` and `Z`, and a random
/// suffix. Use it with the same `time` passed to [`records_for`] and [`annotate`].
pub fn run_id_at(time: &str) -> String {
    let compact: String = time.chars().filter(|c| !matches!(c, '-' | ':')).collect();
    format!("{compact}-{:012x}", random_suffix() & 0xffff_ffff_ffff)
}

/// Random bits from the standard library's randomly keyed hasher (keys from the OS), mixed with
/// the time and the process id.
fn random_suffix() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// One record per target of `report`, for the run `run` started at `time`. `hashes` gives the
/// hashes of a target by name. A target in error records its message; a reused one is
/// `reused`.
pub fn records_for(
    report: &Report,
    run: &str,
    time: &str,
    hashes: impl Fn(&str) -> TargetHashes,
) -> Vec<Record> {
    report
        .targets
        .iter()
        .map(|target| {
            let (status, error) = match &target.status {
                Status::Error { message } => (RecordStatus::Error, Some(message.clone())),
                Status::Checked if target.reused => (RecordStatus::Reused, None),
                Status::Checked => (RecordStatus::Checked, None),
            };
            let h = hashes(&target.name);
            Record {
                v: RECORD_VERSION,
                run: run.to_owned(),
                time: time.to_owned(),
                target: target.name.clone(),
                status,
                error,
                raw_hash: h.raw,
                env_hash: h.env,
                baseline_hash: h.baseline,
                effective_hash: h.effective,
                findings: target
                    .findings
                    .iter()
                    .map(|f| RecordFinding {
                        fingerprint: f.fingerprint.clone(),
                        rule_id: f.rule_id.clone(),
                        severity: f.severity.as_str().to_owned(),
                        waived: f.waived.is_some(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Dates the findings of `report` from `history` (read before this run is appended), for the
/// run started at `run_time`:
/// - `first_seen` of every finding is the time of the first record of the latest unbroken
///   streak of the target's records that contain its fingerprint (a finding that went away
///   and came back starts again), or `run_time` when the latest record does not contain it;
/// - `resolved` of every target that was checked lists the findings of its latest record that
///   are gone now, resolved at `run_time`. A target in error gets none: nobody knows.
///
/// Error records count neither as presence nor as absence: they are passed over.
pub fn annotate(report: &mut Report, history: &Loaded, run_time: &str) {
    let mut folded = Folded::default();
    for r in &history.records {
        folded.push(r.clone());
    }
    annotate_folded(report, &folded, run_time);
}

/// One target's history, folded: its latest usable record and, for each finding in it, the
/// start of the unbroken streak of usable records that contain it.
#[derive(Debug, Clone, Default)]
pub struct TargetFold {
    pub latest: Option<Record>,
    pub starts: HashMap<String, String>,
}

/// Every target's [`TargetFold`], plus warnings about skipped lines.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub targets: HashMap<String, TargetFold>,
    pub warnings: Vec<String>,
}

impl Folded {
    /// Adds the next record (records come oldest first). Error records are neither presence
    /// nor absence of a finding, so they change nothing.
    pub fn push(&mut self, record: Record) {
        if record.status == RecordStatus::Error {
            return;
        }
        let fold = self.targets.entry(record.target.clone()).or_default();
        let starts = record
            .findings
            .iter()
            .map(|f| {
                let start = fold
                    .starts
                    .get(&f.fingerprint)
                    .cloned()
                    .unwrap_or_else(|| record.time.clone());
                (f.fingerprint.clone(), start)
            })
            .collect();
        fold.starts = starts;
        fold.latest = Some(record);
    }
}

/// Sets `first_seen` on every finding and fills `resolved`, from a folded history that does
/// not yet contain the current run.
pub fn annotate_folded(report: &mut Report, history: &Folded, run_time: &str) {
    let empty = TargetFold::default();
    for target in &mut report.targets {
        let fold = history.targets.get(target.name.as_str()).unwrap_or(&empty);
        for finding in &mut target.findings {
            let first_seen = fold
                .starts
                .get(finding.fingerprint.as_str())
                .map(String::as_str);
            finding.first_seen = Some(first_seen.unwrap_or(run_time).to_owned());
        }
        target.resolved = match (&target.status, &fold.latest) {
            (Status::Checked, Some(latest)) => {
                let current: HashSet<&str> = target
                    .findings
                    .iter()
                    .map(|f| f.fingerprint.as_str())
                    .collect();
                let mut listed = HashSet::new();
                latest
                    .findings
                    .iter()
                    .filter(|f| !current.contains(f.fingerprint.as_str()))
                    .filter(|f| listed.insert(f.fingerprint.as_str()))
                    .map(|f| Resolved {
                        fingerprint: f.fingerprint.clone(),
                        rule_id: f.rule_id.clone(),
                        first_seen: fold
                            .starts
                            .get(&f.fingerprint)
                            .cloned()
                            .unwrap_or_else(|| latest.time.clone()),
                        resolved_at: run_time.to_owned(),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, target: &str, status: RecordStatus, fps: &[&str]) -> Record {
        Record {
            v: RECORD_VERSION,
            run: format!("run-{time}"),
            time: time.into(),
            target: target.into(),
            status,
            error: (status == RecordStatus::Error).then(|| "unreachable".into()),
            raw_hash: None,
            env_hash: None,
            baseline_hash: None,
            effective_hash: None,
            findings: fps
                .iter()
                .map(|fp| RecordFinding {
                    fingerprint: (*fp).into(),
                    rule_id: "RD-TEST-001".into(),
                    severity: "high".into(),
                    waived: false,
                })
                .collect(),
        }
    }

    fn jsonl(records: &[Record]) -> String {
        String::from_utf8(encode(records)).unwrap()
    }

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        // 2026-12-03 is day 20_790.
        assert_eq!(
            format_rfc3339(20_790 * 86_400 + 14 * 3600 + 5 * 60 + 9),
            "2026-12-03T14:05:09Z"
        );
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn now_is_rfc3339() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
        assert!(now.as_str() > "2025-01-01T00:00:00Z", "{now}");
    }

    #[test]
    fn run_ids_carry_the_time_and_differ() {
        let a = run_id_at("2026-12-03T14:05:09Z");
        let b = run_id_at("2026-12-03T14:05:09Z");
        assert!(a.starts_with("20261203T140509Z-"), "{a}");
        assert_eq!(a.len(), "20261203T140509Z-".len() + 12);
        assert_ne!(a, b);
        assert_eq!(new_run_id().len(), a.len());
    }

    #[test]
    fn a_record_is_one_line_and_round_trips() {
        let mut r = record("2026-12-03T14:05:09Z", "prod", RecordStatus::Error, &["a"]);
        r.error = Some("line one\nline two".into());
        let text = jsonl(std::slice::from_ref(&r));
        assert_eq!(text.matches('\n').count(), 1);
        let loaded = parse(text.as_bytes(), "history.jsonl", None).unwrap();
        assert_eq!(loaded.records, vec![r]);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn error_is_left_out_when_absent() {
        let r = record("2026-12-03T14:05:09Z", "prod", RecordStatus::Checked, &[]);
        let text = jsonl(&[r]);
        assert!(!text.contains("\"error\""), "{text}");
        assert!(text.contains("\"status\":\"checked\""), "{text}");
    }

    #[test]
    fn parse_skips_bad_lines_with_their_numbers() {
        let good = record(
            "2026-12-03T14:05:09Z",
            "prod",
            RecordStatus::Checked,
            &["a"],
        );
        let mut future = serde_json::to_value(&good).unwrap();
        future["v"] = 2.into();
        let text = format!(
            "{}garbage\n\n{future}\n{}{{\"v\":1,\"run\":\"x\"}}\n{{\"v\":1,\"ru",
            jsonl(std::slice::from_ref(&good)),
            jsonl(std::slice::from_ref(&good)),
        );
        let loaded = parse(text.as_bytes(), "s/history.jsonl", None).unwrap();
        assert_eq!(loaded.records, vec![good.clone(), good]);
        assert_eq!(loaded.warnings.len(), 4, "{:#?}", loaded.warnings);
        assert!(loaded.warnings[0].starts_with("s/history.jsonl:2: not a whole"));
        assert!(loaded.warnings[1].starts_with("s/history.jsonl:4: record version 2"));
        assert!(loaded.warnings[2].starts_with("s/history.jsonl:6: not a whole"));
        assert!(loaded.warnings[3].starts_with("s/history.jsonl:7: torn last line"));
    }

    #[test]
    fn parse_reads_a_whole_last_record_without_newline() {
        let r = record("2026-12-03T14:05:09Z", "prod", RecordStatus::Checked, &[]);
        let text = jsonl(std::slice::from_ref(&r));
        let loaded = parse(text.trim_end().as_bytes(), "history.jsonl", None).unwrap();
        assert_eq!(loaded.records, vec![r]);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn parse_rejects_invalid_utf8_as_a_warning() {
        let loaded = parse(&b"\xff\xfe\n"[..], "history.jsonl", None).unwrap();
        assert!(loaded.records.is_empty());
        assert!(loaded.warnings[0].starts_with("history.jsonl:1: not a whole"));
    }

    #[test]
    fn parse_filters_by_target() {
        let a = record("2026-12-03T14:05:09Z", "a", RecordStatus::Checked, &[]);
        let b = record("2026-12-03T14:05:09Z", "b", RecordStatus::Checked, &[]);
        let text = jsonl(&[a.clone(), b]);
        let loaded = parse(text.as_bytes(), "history.jsonl", Some("a")).unwrap();
        assert_eq!(loaded.records, vec![a]);
    }

    #[test]
    fn streak_starts_at_the_latest_recurrence() {
        let recs = [
            record("t1", "x", RecordStatus::Checked, &["a", "b"]),
            record("t2", "x", RecordStatus::Checked, &["b"]),
            record("t3", "x", RecordStatus::Reused, &["a", "b"]),
            record("t4", "x", RecordStatus::Checked, &["a", "b", "c"]),
        ];
        let mut folded = Folded::default();
        for r in recs {
            folded.push(r);
        }
        let starts = &folded.targets["x"].starts;
        assert_eq!(starts["a"], "t3");
        assert_eq!(starts["b"], "t1");
        assert_eq!(starts["c"], "t4");
        assert_eq!(starts.len(), 3);
        assert!(Folded::default().targets.is_empty());
    }

    #[test]
    fn latest_passes_over_errors_and_other_targets() {
        let loaded = Loaded {
            records: vec![
                record("t1", "x", RecordStatus::Checked, &["a"]),
                record("t2", "x", RecordStatus::Reused, &["a"]),
                record("t3", "y", RecordStatus::Checked, &[]),
                record("t4", "x", RecordStatus::Error, &[]),
            ],
            warnings: vec![],
        };
        assert_eq!(loaded.latest("x").map(|r| r.time.as_str()), Some("t2"));
        assert_eq!(loaded.latest("y").map(|r| r.time.as_str()), Some("t3"));
        assert!(loaded.latest("z").is_none());
    }

    #[test]
    fn advice_names_the_fix() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(advice(&denied).contains("writable"));
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert!(advice(&full).contains("free space"));
        let e = HistoryError::Append {
            path: PathBuf::from("/var/lib/regdrift/history.jsonl"),
            source: full,
        };
        let text = e.to_string();
        assert!(
            text.starts_with("/var/lib/regdrift/history.jsonl: cannot append"),
            "{text}"
        );
        assert!(text.contains("free space"), "{text}");
    }
}
