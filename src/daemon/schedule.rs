//! The daemon's schedule, checked once: the cron expression, the jitter and the listen address
//! of `schedule:` in `regdrift.yml`, turned into a [`Plan`] with a clear error for each bad value.
//!
//! Invariants:
//! - A cron expression accepted here is accepted by the scheduler: it is parsed with the same
//!   parser and the same settings tokio-cron-scheduler uses (croner, seconds required, day of
//!   month AND day of week), so a schedule never fails only when the daemon adds the job.
//! - The schedule is UTC: the scheduler's time-zone schedules drift by an hour across DST.
//!
//! # The cron format
//!
//! Six fields separated by blanks, seconds first, evaluated in UTC:
//!
//! ```text
//! ┌───────────── second (0-59)
//! │ ┌─────────── minute (0-59)
//! │ │ ┌───────── hour (0-23)
//! │ │ │ ┌─────── day of month (1-31, L = last)
//! │ │ │ │ ┌───── month (1-12 or JAN-DEC)
//! │ │ │ │ │ ┌─── day of week (0-6 or SUN-SAT, 7 = Sunday)
//! │ │ │ │ │ │
//! 0 */15 * * * *      every 15 minutes, at second 0
//! 0 0 6 * * MON-FRI   06:00 UTC on weekdays
//! ```
//!
//! `*`, lists (`1,15`), ranges (`1-5`) and steps (`*/10`) work in every field; a seventh field
//! (the year) is allowed. A five-field crontab line is refused with the six-field spelling.

use std::net::SocketAddr;
use std::time::Duration;

use croner::parser::{CronParser, Seconds};

use crate::config::Schedule;
use crate::registry::resolve::positive_duration;

/// Where `/healthz` and `/metrics` listen unless `schedule.listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9465";

/// A checked `schedule:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The cron expression, as written (trimmed).
    pub cron: String,
    /// Largest random delay before a run (none: start on the tick).
    pub jitter: Option<Duration>,
    /// Address of the HTTP endpoint (none: `off`).
    pub listen: Option<SocketAddr>,
    /// Call the after-run hook (remediation) after each run.
    pub remediate: bool,
}

impl Plan {
    /// Checks a `schedule:` section; the error names the key and says what to write.
    pub fn from_schedule(s: &Schedule) -> Result<Plan, String> {
        validate_cron(&s.cron)?;
        let jitter = s.jitter.as_deref().map(parse_jitter).transpose()?;
        let listen = parse_listen(s.listen.as_deref().unwrap_or(DEFAULT_LISTEN))?;
        Ok(Plan {
            cron: s.cron.trim().to_string(),
            jitter,
            listen,
            remediate: s.remediate,
        })
    }
}

/// The parser tokio-cron-scheduler uses for its cron jobs, with the same settings.
fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
}

/// Checks a cron expression the way the scheduler will read it.
pub fn validate_cron(expr: &str) -> Result<(), String> {
    let fields = expr.split_whitespace().count();
    if fields == 5 && !expr.contains('@') {
        return Err(format!(
            "schedule.cron: {expr:?} has 5 fields; regdrift's cron has 6, seconds first, in UTC: \
             write \"0 {}\"",
            expr.trim()
        ));
    }
    parser().parse(expr).map(|_| ()).map_err(|e| {
        format!(
            "schedule.cron: {expr:?} is not a cron expression ({e}); write six fields, seconds \
             first, in UTC: second minute hour day-of-month month day-of-week, e.g. \"0 */15 * * * *\""
        )
    })
}

/// `schedule.jitter`: a positive Go duration.
pub fn parse_jitter(s: &str) -> Result<Duration, String> {
    positive_duration(s).ok_or_else(|| {
        format!("schedule.jitter: {s:?} is not a positive duration; write e.g. 30s or 5m")
    })
}

/// `schedule.listen`: `host:port`, or `off` (no HTTP endpoint).
pub fn parse_listen(s: &str) -> Result<Option<SocketAddr>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| {
        format!(
            "schedule.listen: {s:?} is not an address; write IP:PORT such as {DEFAULT_LISTEN} \
             (loopback), 0.0.0.0:9465 (every interface) or off"
        )
    })
}

/// A random delay in `[0, max)`, from the standard library's per-process random hash keys (no
/// random-number crate for one number per run).
pub fn jitter_delay(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    Duration::from_nanos(h.finish() % nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cron: &str) -> Schedule {
        Schedule {
            cron: cron.into(),
            jitter: None,
            listen: None,
            remediate: false,
        }
    }

    #[test]
    fn six_field_cron_is_accepted_and_five_fields_get_the_six_field_spelling() {
        for ok in [
            "* * * * * *",
            "0 */15 * * * *",
            "0 0 6 * * MON-FRI",
            "0 0 0 1 1 * 2030",
        ] {
            validate_cron(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let e = validate_cron("*/15 * * * *").unwrap_err();
        assert!(
            e.contains("has 5 fields") && e.contains("\"0 */15 * * * *\""),
            "{e}"
        );
        let e = validate_cron("0 61 * * * *").unwrap_err();
        assert!(
            e.starts_with("schedule.cron: \"0 61 * * * *\" is not a cron expression"),
            "{e}"
        );
        assert!(validate_cron("every minute").is_err());
        assert!(validate_cron("").is_err());
    }

    #[test]
    fn the_scheduler_accepts_what_validation_accepts() {
        for expr in ["* * * * * *", "0 */15 * * * *", "0 0 6 * * MON-FRI"] {
            validate_cron(expr).unwrap();
            tokio_cron_scheduler::Job::new_async(expr, |_, _| Box::pin(async {}))
                .unwrap_or_else(|e| panic!("{expr}: scheduler refused: {e:?}"));
        }
        assert!(
            tokio_cron_scheduler::Job::new_async("0 61 * * * *", |_, _| Box::pin(async {}))
                .is_err()
        );
    }

    #[test]
    fn listen_defaults_to_loopback_and_off_disables() {
        let p = Plan::from_schedule(&schedule("0 * * * * *")).unwrap();
        assert_eq!(p.listen, Some("127.0.0.1:9465".parse().unwrap()));
        assert_eq!(parse_listen("off").unwrap(), None);
        assert_eq!(
            parse_listen("0.0.0.0:1").unwrap(),
            Some("0.0.0.0:1".parse().unwrap())
        );
        let e = parse_listen("localhost").unwrap_err();
        assert!(e.contains("schedule.listen") && e.contains("or off"), "{e}");
    }

    #[test]
    fn jitter_is_a_positive_duration_and_delays_stay_below_it() {
        assert_eq!(parse_jitter("30s").unwrap(), Duration::from_secs(30));
        assert!(parse_jitter("0s").is_err());
        assert!(
            parse_jitter("soon")
                .unwrap_err()
                .contains("schedule.jitter")
        );
        let max = Duration::from_millis(10);
        for _ in 0..100 {
            assert!(jitter_delay(max) < max);
        }
        assert_eq!(jitter_delay(Duration::ZERO), Duration::ZERO);
    }
}
