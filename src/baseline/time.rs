//! UTC timestamps for signature validity: parsing the `valid-after` / `valid-before` values of an
//! allowed-signers file and printing instants in messages.
//!
//! Invariant: every [`Timestamp`] is whole seconds since the Unix epoch, UTC. There is no local
//! time zone anywhere in regdrift's trust decisions.
//!
//! Deviation from OpenSSH, on purpose: `ssh-keygen` reads a validity time without a `Z` (or
//! `UTC`) suffix in the *local* time zone of the machine that verifies. regdrift reads every
//! such time as UTC, so that the same allowed-signers file gives the same answer on every
//! host and in CI (which normally run in UTC anyway). Write the `Z` to be unambiguous for both.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// An instant, whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `secs` seconds after the Unix epoch (negative: before it).
    pub fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// The instant a [`SystemTime`] stands for, truncated to whole seconds.
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX)),
        }
    }

    /// Parses an OpenSSH validity time: `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`,
    /// optionally followed by `Z` or `UTC` (any case). Read as UTC in every case (see the
    /// module docs). The error says what is wrong, for the caller to put in context.
    pub fn parse_openssh(text: &str) -> Result<Self, String> {
        let digits = strip_utc_suffix(text);
        if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
            return Err(format!(
                "`{text}` is not a time: write YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, \
                 optionally followed by Z"
            ));
        }
        let field = |at: usize, len: usize| -> i64 {
            digits[at..at + len]
                .bytes()
                .fold(0, |n, b| n * 10 + i64::from(b - b'0'))
        };
        let (year, month, day) = (field(0, 4), field(4, 2), field(6, 2));
        let hour = if digits.len() >= 12 { field(8, 2) } else { 0 };
        let minute = if digits.len() >= 12 { field(10, 2) } else { 0 };
        let second = if digits.len() == 14 { field(12, 2) } else { 0 };
        if year < 1970
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(format!(
                "`{text}` is not a valid date and time on or after 1970-01-01 (month 01-12, day \
                 within the month, hour 00-23, minute and second 00-59)"
            ));
        }
        let days = days_from_civil(year, month, day);
        Ok(Timestamp(
            days * 86_400 + hour * 3_600 + minute * 60 + second,
        ))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2024-05-01T12:00:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3_600,
            secs % 3_600 / 60,
            secs % 60
        )
    }
}

fn strip_utc_suffix(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    if lower.len() > 3 && lower.ends_with("utc") {
        &text[..text.len() - 3]
    } else if lower.len() > 1 && lower.ends_with('z') {
        &text[..text.len() - 1]
    } else {
        text
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_openssh_precision() {
        assert_eq!(Timestamp::parse_openssh("19700101").unwrap().unix(), 0);
        assert_eq!(
            Timestamp::parse_openssh("20240229").unwrap().to_string(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            Timestamp::parse_openssh("202402291230Z")
                .unwrap()
                .to_string(),
            "2024-02-29T12:30:00Z"
        );
        assert_eq!(
            Timestamp::parse_openssh("20991231235959utc")
                .unwrap()
                .to_string(),
            "2099-12-31T23:59:59Z"
        );
        assert_eq!(
            Timestamp::parse_openssh("20240101").unwrap().unix(),
            1_704_067_200
        );
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2024",
            "2024010",
            "202401011",
            "2024-01-01",
            "20230229",
            "20241301",
            "20240100",
            "202401012460",
            "19691231",
            "Z",
            "20240101x",
        ] {
            assert!(Timestamp::parse_openssh(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn round_trips_days_both_sides_of_the_epoch() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(Timestamp::from_unix(-1).to_string(), "1969-12-31T23:59:59Z");
    }
}
