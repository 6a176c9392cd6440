//! Writing YAML that yaml.v2 reads back to the same values: strings that YAML 1.1 would read
//! as something else (`yes`, `0777`, `0.1`, `null`) are quoted. Used for baselines written by
//! `regdrift baseline init` and for the canonical config shown in text diffs. A hand-written
//! emitter: it is an order of magnitude faster than serialising through serde_yaml's libyaml
//! port, which matters when a fleet check renders thousands of diffs.

use std::fmt::Write as _;

use super::resolve::{self, Scalar, Style};

/// A string as a YAML scalar that yaml.v2 reads back as the same string.
pub fn quote(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.starts_with([
            '!', '&', '*', '-', '?', '{', '}', '[', ']', ',', '#', '|', '>', '@', '`', '"', '\'',
            '%',
        ])
        && !s.ends_with(':')
        && !s.contains(['\n', '\t', '\r'])
        && matches!(resolve::resolve(s, Style::Plain, None), Ok(Scalar::Str(ref x)) if x == s);
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => quote(s),
        serde_json::Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn key(k: &str) -> String {
    quote(k)
}

fn emit(out: &mut String, v: &serde_json::Value, indent: usize) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            for (k, x) in m {
                match x {
                    J::Object(inner) if !inner.is_empty() => {
                        let _ = writeln!(out, "{:indent$}{}:", "", key(k));
                        emit(out, x, indent + 2);
                    }
                    J::Array(items) if !items.is_empty() => {
                        let _ = writeln!(out, "{:indent$}{}:", "", key(k));
                        emit(out, x, indent);
                    }
                    J::Object(_) => {
                        let _ = writeln!(out, "{:indent$}{}: {{}}", "", key(k));
                    }
                    J::Array(_) => {
                        let _ = writeln!(out, "{:indent$}{}: []", "", key(k));
                    }
                    other => {
                        let _ = writeln!(out, "{:indent$}{}: {}", "", key(k), scalar(other));
                    }
                }
            }
        }
        J::Array(items) => {
            for item in items {
                match item {
                    J::Object(m) if !m.is_empty() => {
                        let mut sub = String::new();
                        emit(&mut sub, item, indent + 2);
                        let mut lines = sub.lines();
                        if let Some(first) = lines.next() {
                            let _ = writeln!(out, "{:indent$}- {}", "", first.trim_start());
                        }
                        for l in lines {
                            let _ = writeln!(out, "{l}");
                        }
                    }
                    J::Array(inner) if !inner.is_empty() => {
                        let _ = writeln!(out, "{:indent$}-", "");
                        emit(out, item, indent + 2);
                    }
                    other => {
                        let _ = writeln!(
                            out,
                            "{:indent$}- {}",
                            "",
                            match other {
                                J::Object(_) => "{}".to_string(),
                                J::Array(_) => "[]".to_string(),
                                s => scalar(s),
                            }
                        );
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{:indent$}{}", "", scalar(other));
        }
    }
}

/// Block-style YAML of a JSON value (object keys in the map's order).
pub fn to_yaml(v: &serde_json::Value) -> String {
    let mut out = String::new();
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
    }

    #[test]
    fn output_reads_back_as_the_same_value() {
        let v = serde_json::json!({"a": {"b": [1, "yes", {"c": null, "d": [true]}], "e": {}}, "f": "0.1"});
        let text = to_yaml(&v);
        let back: serde_json::Value = serde_yaml::from_str(&text).expect("valid YAML");
        assert_eq!(back, v, "{text}");
    }
}
