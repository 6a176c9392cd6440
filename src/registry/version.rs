//! Registry release lines whose configuration behaviour differs: 2.8, 3.0 and 3.1.
//!
//! `3.1` stands for v3.1.x and main (their `configuration` packages are the same); keys present
//! only on main are tracked separately in the key table and are not part of any release here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A registry release line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Version {
    /// v2.8.x (`registry:2`).
    #[serde(rename = "2.8")]
    V2_8,
    /// v3.0.x.
    #[serde(rename = "3.0")]
    V3_0,
    /// v3.1.x and main (`registry:3`).
    #[serde(rename = "3.1")]
    V3_1,
}

impl Version {
    /// Every release line, oldest first.
    pub const ALL: [Version; 3] = [Version::V2_8, Version::V3_0, Version::V3_1];

    /// The version string as users write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2_8 => "2.8",
            Version::V3_0 => "3.0",
            Version::V3_1 => "3.1",
        }
    }

    /// True for the 3.x lines.
    pub fn is_v3(self) -> bool {
        self >= Version::V3_0
    }

    /// The path at which the official container image reads its configuration.
    pub fn image_config_path(self) -> &'static str {
        if self.is_v3() {
            "/etc/distribution/config.yml"
        } else {
            "/etc/docker/registry/config.yml"
        }
    }
}

impl Default for Version {
    /// The newest release line: what `registry:3` runs.
    fn default() -> Self {
        Version::V3_1
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let major = parts.next().unwrap_or("");
        let minor = parts.next().unwrap_or("");
        match (major, minor) {
            ("2", "8") => Ok(Version::V2_8),
            ("3", "0") => Ok(Version::V3_0),
            ("3", _) => Ok(Version::V3_1),
            _ => Err(format!(
                "unsupported registry version {s:?}: use 2.8, 3.0 or 3.1 (3.1 also covers main)"
            )),
        }
    }
}

/// The set of release lines a key exists in, as in the `versions` column of the key table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VersionSet {
    bits: u8,
}

const MAIN_BIT: u8 = 1 << 3;

impl VersionSet {
    fn bit(v: Version) -> u8 {
        match v {
            Version::V2_8 => 1,
            Version::V3_0 => 1 << 1,
            Version::V3_1 => 1 << 2,
        }
    }

    /// Parses `2.8,3.0,3.1+`, `3.0,3.1+`, `3.1+`, `2.8-only`, `3.0-only` or `main-only`.
    pub fn parse(s: &str) -> Result<VersionSet, String> {
        let mut bits = 0u8;
        for part in s.split(',') {
            bits |= match part.trim() {
                "2.8" | "2.8-only" => Self::bit(Version::V2_8),
                "3.0" | "3.0-only" => Self::bit(Version::V3_0),
                "3.1+" => Self::bit(Version::V3_1) | MAIN_BIT,
                "main-only" => MAIN_BIT,
                other => return Err(format!("unknown version label {other:?}")),
            };
        }
        Ok(VersionSet { bits })
    }

    /// True when the key exists in `v`.
    pub fn contains(self, v: Version) -> bool {
        self.bits & Self::bit(v) != 0
    }

    /// True when the key exists only on the unreleased main branch.
    pub fn main_only(self) -> bool {
        self.bits == MAIN_BIT
    }

    /// True when two sets share a release line (or main).
    pub fn overlaps(self, other: VersionSet) -> bool {
        self.bits & other.bits != 0
    }

    /// The release lines in the set, oldest first.
    pub fn releases(self) -> Vec<Version> {
        Version::ALL
            .into_iter()
            .filter(|v| self.contains(*v))
            .collect()
    }
}

impl fmt::Display for VersionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.releases().into_iter().map(Version::as_str).collect();
        if self.bits & MAIN_BIT != 0 {
            names.push("main");
        }
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_labels_of_the_key_table_parse() {
        let all = VersionSet::parse("2.8,3.0,3.1+").unwrap();
        assert!(Version::ALL.iter().all(|v| all.contains(*v)));
        assert!(
            !VersionSet::parse("2.8-only")
                .unwrap()
                .contains(Version::V3_0)
        );
        assert!(VersionSet::parse("main-only").unwrap().main_only());
        assert!(
            !VersionSet::parse("main-only")
                .unwrap()
                .contains(Version::V3_1)
        );
        assert!(VersionSet::parse("4.0").is_err());
    }

    #[test]
    fn version_strings_parse_with_patch_levels() {
        assert_eq!("2.8.2".parse::<Version>().unwrap(), Version::V2_8);
        assert_eq!("v3.0.0".parse::<Version>().unwrap(), Version::V3_0);
        assert_eq!("3.1".parse::<Version>().unwrap(), Version::V3_1);
        assert!("2.7".parse::<Version>().is_err());
    }
}
