//! Running a configured program (argv, no shell) and capturing its standard output, for the
//! `command` source and `env.command`.
//!
//! # Invariants
//!
//! - The program never runs longer than its timeout: it is polled with `try_wait` and killed
//!   (SIGKILL) at the deadline. A program it started that keeps standard output open (`ssh -f`, a
//!   shell script's `sleep`) is not waited for either: the pipe readers are threads that are
//!   abandoned at the deadline, so the call returns on time whatever the children do.
//! - Standard input is closed (`/dev/null`), so a program asking for a password fails instead
//!   of hanging; standard output is capped at [`STDOUT_LIMIT`], standard error is kept only up
//!   to 64 KiB and read to the end so the program never blocks on it.
//! - Nothing secret reaches a message: the command line shown in messages and labels and the
//!   quoted standard error are passed through [`redact`], which hides everything after `=` (or
//!   after `:` following the word) on a line that mentions a password, secret or token.
//! - The program never sees regdrift's own secrets: the GitHub token variables (the usual
//!   names, and `github.token_env` registered by [`withhold_env`]), CI runtime tokens and
//!   `REGDRIFT_DIGEST_KEY` are removed from its environment. A `ssh host cat ...` source has no
//!   business with the token that opens pull requests.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::error::SourceError;
use crate::registry::resolve::positive_duration;

/// The most a program may print on standard output: 8 MiB.
pub const STDOUT_LIMIT: usize = 8 << 20;
/// How much standard error is kept for messages.
const STDERR_KEEP: usize = 64 << 10;
/// How much of standard error is quoted in a message.
const STDERR_QUOTE: usize = 300;
/// How often a running program is polled.
const POLL: Duration = Duration::from_millis(10);
/// How long the pipes may stay open after the program exited, at least.
const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// The command line as shown in messages and labels: arguments joined with spaces (quoted when
/// they contain blanks or are empty), redacted.
pub fn display_command(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|arg| {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '\'') {
                format!("{arg:?}")
            } else {
                arg.clone()
            }
        })
        .collect();
    redact(&words.join(" "))
}

/// Parses a Go duration for a command's timeout; it must be positive.
pub fn parse_timeout(timeout: &str, command: &str) -> Result<Duration, SourceError> {
    positive_duration(timeout).ok_or_else(|| SourceError::InvalidTimeout {
        command: command.to_owned(),
        timeout: timeout.to_owned(),
    })
}

/// Variables holding regdrift's own secrets, never passed to a command source.
const WITHHELD_ENV: [&str; 7] = [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "REGDRIFT_DIGEST_KEY",
];

static EXTRA_WITHHELD: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Also withholds `name` (e.g. the configured `github.token_env`) from every command run from
/// now on in this process.
pub fn withhold_env(name: &str) {
    if let Ok(mut v) = EXTRA_WITHHELD.lock()
        && !v.iter().any(|n| n == name)
    {
        v.push(name.to_owned());
    }
}

fn withheld_env() -> Vec<String> {
    let mut names: Vec<String> = WITHHELD_ENV.iter().map(|s| (*s).to_owned()).collect();
    if let Ok(v) = EXTRA_WITHHELD.lock() {
        names.extend(v.iter().cloned());
    }
    names
}

/// Runs `argv` in `base_dir` and returns its standard output. `field` names the setting in
/// messages (`source.command`, `env.command`).
pub fn run(
    argv: &[String],
    timeout: &str,
    base_dir: &Path,
    field: &'static str,
) -> Result<Vec<u8>, SourceError> {
    let Some(program) = argv.first() else {
        return Err(SourceError::EmptyCommand { field });
    };
    let command = display_command(argv);
    let limit = parse_timeout(timeout, &command)?;
    // A timeout of centuries cannot overflow the clock: it is then simply a year.
    let start = Instant::now();
    let deadline = start
        .checked_add(limit)
        .unwrap_or(start + Duration::from_secs(365 * 86_400));
    let timed_out = || SourceError::Timeout {
        command: command.clone(),
        timeout: timeout.to_owned(),
    };
    let io_error = |action: &'static str| {
        let command = command.clone();
        move |source: io::Error| SourceError::CommandIo {
            command,
            action,
            source,
        }
    };

    let mut cmd = Command::new(program_path(program, base_dir));
    for name in withheld_env() {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .args(&argv[1..])
        .current_dir(base_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SourceError::Spawn {
            command: command.clone(),
            program: redact(program),
            source,
        })?;
    let stdout = (child.stdout.take()).map(|pipe| read_capped(pipe, STDOUT_LIMIT + 1, true));
    let stderr = (child.stderr.take()).map(|pipe| read_capped(pipe, STDERR_KEEP, false));

    let status = loop {
        if let Some(status) = child.try_wait().map_err(io_error("waiting for it"))? {
            break status;
        }
        let now = Instant::now();
        if now >= deadline {
            kill(&mut child);
            return Err(timed_out());
        }
        thread::sleep(POLL.min(deadline - now));
    };

    let wait_for = |rx: Option<Receiver<io::Result<Vec<u8>>>>| -> Result<Vec<u8>, SourceError> {
        let Some(rx) = rx else { return Ok(Vec::new()) };
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(DRAIN_GRACE);
        match rx.recv_timeout(left) {
            Ok(result) => result.map_err(io_error("reading its output")),
            Err(RecvTimeoutError::Timeout) => Err(timed_out()),
            Err(RecvTimeoutError::Disconnected) => Ok(Vec::new()),
        }
    };
    let out = wait_for(stdout)?;
    let err = wait_for(stderr)?;
    if out.len() > STDOUT_LIMIT {
        return Err(SourceError::OutputTooLarge {
            command,
            limit_mib: STDOUT_LIMIT >> 20,
        });
    }
    if !status.success() {
        return Err(SourceError::CommandFailed {
            command,
            status: status.to_string(),
            stderr: quote_stderr(&err),
        });
    }
    Ok(out)
}

/// A program named with a relative path containing `/` is taken relative to `base_dir` (the
/// working directory it runs in); a bare name is looked up in `PATH`.
fn program_path(program: &str, base_dir: &Path) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && program.contains('/') {
        base_dir.join(path)
    } else {
        path.to_path_buf()
    }
}

fn kill(child: &mut Child) {
    // Both fail only if the child has already exited and been reaped, which is fine here.
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads `pipe` on a thread, keeping at most `keep` bytes; the result arrives on the returned
/// channel when the pipe closes. Once `keep` bytes are read, `stop_when_full` stops reading
/// (closing the pipe, so the writer gets EPIPE), otherwise the rest is read and discarded so
/// the writer never blocks.
fn read_capped<R: Read + Send + 'static>(
    mut pipe: R,
    keep: usize,
    stop_when_full: bool,
) -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        let result = loop {
            match pipe.read(&mut buf) {
                Ok(0) => break Ok(kept),
                Ok(n) => {
                    let room = keep.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                    if stop_when_full && kept.len() >= keep {
                        break Ok(kept);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        // The receiver is gone only if the caller gave up at its deadline.
        let _ = tx.send(result);
    });
    rx
}

/// The first [`STDERR_QUOTE`] bytes of standard error, redacted, trimmed, as one string.
fn quote_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let redacted = redact(text.trim());
    if redacted.len() <= STDERR_QUOTE {
        return redacted;
    }
    let mut end = STDERR_QUOTE;
    while !redacted.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &redacted[..end])
}

/// Hides values on lines that mention a password, secret or token (case-insensitively):
/// everything after the first `=` on such a line, or, without `=`, everything after the first
/// `:` that follows the word.
pub fn redact(text: &str) -> String {
    const WORDS: [&str; 3] = ["password", "secret", "token"];
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let lower = line.to_ascii_lowercase();
        let word_at = WORDS.iter().filter_map(|w| lower.find(w)).min();
        let cut = word_at.and_then(|at| {
            line.find('=')
                .or_else(|| line[at..].find(':').map(|colon| at + colon))
        });
        match cut {
            Some(at) => {
                out.push_str(&line[..=at]);
                out.push_str("<redacted>");
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_lines() {
        assert_eq!(
            redact("ok line\nREGISTRY_HTTP_SECRET=abc=def\nmy Password: hunter2"),
            "ok line\nREGISTRY_HTTP_SECRET=<redacted>\nmy Password:<redacted>"
        );
        assert_eq!(redact("error: token expired"), "error: token expired");
        assert_eq!(redact("a=1 token"), "a=<redacted>");
        assert_eq!(redact("--password=x"), "--password=<redacted>");
    }

    #[test]
    fn quotes_at_most_300_bytes_on_a_char_boundary() {
        let long = "é".repeat(400);
        let quoted = quote_stderr(long.as_bytes());
        assert!(quoted.len() <= STDERR_QUOTE + "…".len());
        assert!(quoted.ends_with('…'));
    }

    #[test]
    fn displays_and_redacts_command_lines() {
        let argv: Vec<String> = ["curl", "-H", "X-Token=abc", "a b", ""]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(display_command(&argv), "curl -H X-Token=<redacted>");
        let argv: Vec<String> = ["ssh", "reg1", "cat", "/a b"].map(str::to_owned).to_vec();
        assert_eq!(display_command(&argv), "ssh reg1 cat \"/a b\"");
    }

    #[test]
    fn timeouts_must_be_positive_go_durations() {
        assert_eq!(
            parse_timeout("10s", "c").ok(),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_timeout("1m30s", "c").ok(),
            Some(Duration::from_secs(90))
        );
        assert!(parse_timeout("0", "c").is_err());
        assert!(parse_timeout("-1s", "c").is_err());
        assert!(parse_timeout("10", "c").is_err());
        assert!(parse_timeout("", "c").is_err());
    }
}
