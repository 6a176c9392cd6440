//! Writing YAML that yaml.v2 reads back to the same values: strings that YAML 1.1 would read
//! as something else (`yes`, `0777`, `0.1`, `null`) are quoted. Used for baselines written by
//! `regdrift baseline init` and for the canonical config shown in text diffs. A hand-written
//! emitter: it is an order of magnitude faster than serialising through serde_yaml's libyaml
//! port, which matters when a fleet check renders thousands of diffs.

use std::fmt::Write as _;

use super::resolve::{self, Scalar, Style};

/// Words YAML 1.1 (yaml.v2) reads as booleans or null when plain.
const RETYPED_WORDS: [&str; 22] = [
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF", "true", "True", "TRUE", "false", "False", "FALSE",
];

/// True when `s` is certainly a plain YAML 1.1 string: a letter, then letters, digits and
/// `_ - . /`, and not a boolean or null word. Such strings are most keys and many values; they
/// skip the full resolution below (the emitter runs once per scalar of every rendered config).
fn obviously_plain(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
        && !RETYPED_WORDS.contains(&s)
        && !matches!(s, "null" | "Null" | "NULL")
}

fn plain_ok(s: &str) -> bool {
    obviously_plain(s)
        || (!s.is_empty()
            && s.trim() == s
            && !s.contains(": ")
            && !s.contains(" #")
            && !s.starts_with([
                '!', '&', '*', '-', '?', '{', '}', '[', ']', ',', '#', '|', '>', '@', '`', '"',
                '\'', '%',
            ])
            && !s.ends_with(':')
            && !s.contains(['\n', '\t', '\r'])
            && matches!(resolve::resolve(s, Style::Plain, None), Ok(Scalar::Str(ref x)) if x == s))
}

/// Appends `s` as a YAML scalar that yaml.v2 reads back as the same string.
fn push_quoted(out: &mut String, s: &str) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
    }
}

/// A string as a YAML scalar that yaml.v2 reads back as the same string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

fn push_scalar(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => push_quoted(out, s),
        serde_json::Value::Null => out.push_str("null"),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// `key:` at `indent`, then `tail` (e.g. " {}") and a newline when `tail` is given.
fn push_key(out: &mut String, indent: usize, k: &str) {
    push_indent(out, indent);
    push_quoted(out, k);
    out.push(':');
}

fn emit(out: &mut String, v: &serde_json::Value, indent: usize) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            for (k, x) in m {
                push_key(out, indent, k);
                match x {
                    J::Object(inner) if !inner.is_empty() => {
                        out.push('\n');
                        emit(out, x, indent + 2);
                    }
                    J::Array(items) if !items.is_empty() => {
                        out.push('\n');
                        emit(out, x, indent);
                    }
                    J::Object(_) => out.push_str(" {}\n"),
                    J::Array(_) => out.push_str(" []\n"),
                    other => {
                        out.push(' ');
                        push_scalar(out, other);
                        out.push('\n');
                    }
                }
            }
        }
        J::Array(items) => {
            for item in items {
                match item {
                    J::Object(m) if !m.is_empty() => {
                        // The item's first line starts with indent + 2 spaces: its last two
                        // become "- ".
                        let start = out.len();
                        emit(out, item, indent + 2);
                        out.replace_range(start + indent..start + indent + 2, "- ");
                    }
                    J::Array(inner) if !inner.is_empty() => {
                        push_indent(out, indent);
                        out.push_str("-\n");
                        emit(out, item, indent + 2);
                    }
                    other => {
                        push_indent(out, indent);
                        out.push_str("- ");
                        match other {
                            J::Object(_) => out.push_str("{}"),
                            J::Array(_) => out.push_str("[]"),
                            s => push_scalar(out, s),
                        }
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            push_indent(out, indent);
            push_scalar(out, other);
            out.push('\n');
        }
    }
}

/// Block-style YAML of a JSON value (object keys in the map's order).
pub fn to_yaml(v: &serde_json::Value) -> String {
    let mut out = String::with_capacity(4096);
    emit(&mut out, v, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_yaml_1_1_would_retype_are_quoted() {
        assert_eq!(quote("yes"), "\"yes\"");
        assert_eq!(quote("0777"), "\"0777\"");
        assert_eq!(quote("0.1"), "\"0.1\"");
        assert_eq!(quote("registry.example.com"), "registry.example.com");
        assert_eq!(quote("a: b"), "\"a: b\"");
        for w in [
            "on", "Off", "Y", "n", "NO", "True", "null", "NULL", "~", "1e3", "0x1F", ".inf",
        ] {
            assert!(quote(w).starts_with('"'), "{w} must be quoted");
        }
        assert_eq!(quote("nosniff"), "nosniff");
        assert_eq!(
            quote("/var/lib/registry"),
            "\"/var/lib/registry\"".trim_matches('"')
        );
    }

    #[test]
    fn nested_lists_of_maps_keep_their_layout() {
        let v = serde_json::json!({"n": {"endpoints": [
            {"name": "a", "headers": {"X": ["1", "2"]}, "ignore": {"actions": ["pull"]}},
            {"name": "b", "list": [[], {}, [{"k": "v"}]]}
        ]}});
        let text = to_yaml(&v);
        assert_eq!(
            text,
            "\"n\":\n  endpoints:\n  - headers:\n      X:\n      - \"1\"\n      - \"2\"\n    ignore:\n      actions:\n      - pull\n    name: a\n  - list:\n    - []\n    - {}\n    -\n      - k: v\n    name: b\n"
        );
        let back: serde_json::Value = serde_yaml::from_str(&text).expect("valid YAML");
        assert_eq!(back, v, "{text}");
    }

    #[test]
    fn output_reads_back_as_the_same_value() {
        let v = serde_json::json!({"a": {"b": [1, "yes", {"c": null, "d": [true]}], "e": {}}, "f": "0.1"});
        let text = to_yaml(&v);
        let back: serde_json::Value = serde_yaml::from_str(&text).expect("valid YAML");
        assert_eq!(back, v, "{text}");
    }
}
