//! Rewriting the registry configuration inside a Kubernetes ConfigMap manifest.
//!
//! The pull request for a `kubernetes` target replaces the block scalar of the configuration
//! key (`config.yml: |`) in the ConfigMap's `data` and leaves every other byte of the file as
//! it was: comments, other documents, other keys, key order and quoting. The edit is textual
//! and then checked by parsing the result: the key must hold exactly the baseline text, and
//! anything this cannot do safely (a flow mapping, a quoted scalar, a Secret, an ambiguous
//! object) is refused with the reason, so the caller opens an issue instead.

use serde_yaml::Value;

/// Which object and key hold the configuration (as in the target's `kubernetes` source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// ConfigMap name; default: the only ConfigMap that has `key`.
    pub config_map: Option<String>,
    pub key: String,
}

/// One document of a multi-document YAML file: its byte range in the file.
struct DocSpan {
    start: usize,
    end: usize,
}

fn documents(text: &str) -> Vec<DocSpan> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            if pos > start {
                out.push(DocSpan { start, end: pos });
            }
            start = pos + line.len();
        }
        pos += line.len();
    }
    if text.len() > start {
        out.push(DocSpan {
            start,
            end: text.len(),
        });
    }
    out
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

/// Returns the manifest text with the configuration key's block replaced by `config`.
pub fn replace_config(manifest: &str, sel: &Selector, config: &str) -> Result<String, String> {
    let mut candidates = Vec::new();
    let mut names = Vec::new();
    for span in documents(manifest) {
        let doc = &manifest[span.start..span.end];
        let Ok(v) = serde_yaml::from_str::<Value>(doc) else {
            continue;
        };
        let kind = str_at(&v, &["kind"]).unwrap_or_default();
        let name = str_at(&v, &["metadata", "name"]).unwrap_or_default();
        let has_key = v
            .get("data")
            .and_then(|d| d.get(sel.key.as_str()))
            .is_some()
            || v.get("stringData")
                .and_then(|d| d.get(sel.key.as_str()))
                .is_some();
        let named = sel.config_map.as_deref().is_none_or(|n| n == name);
        if kind == "Secret" && named && has_key {
            return Err(format!(
                "the configuration is in Secret {name}: a pull request would put the registry's secrets into git"
            ));
        }
        if kind == "ConfigMap" && named && has_key {
            candidates.push(span);
            names.push(name.to_string());
        }
    }
    let span = match candidates.len() {
        1 => candidates.remove(0),
        0 => {
            return Err(format!(
                "no ConfigMap{} with key `{}` in the manifest",
                sel.config_map
                    .as_deref()
                    .map(|n| format!(" named {n}"))
                    .unwrap_or_default(),
                sel.key
            ));
        }
        _ => {
            return Err(format!(
                "several ConfigMaps have key `{}` ({}); set config_map in the kubernetes source",
                sel.key,
                names.join(", ")
            ));
        }
    };
    let doc = &manifest[span.start..span.end];
    let new_doc = replace_in_document(doc, &sel.key, config)?;
    let parsed: Value = serde_yaml::from_str(&new_doc)
        .map_err(|e| format!("the rewritten ConfigMap does not parse: {e}"))?;
    if parsed
        .get("data")
        .and_then(|d| d.get(sel.key.as_str()))
        .and_then(Value::as_str)
        != Some(config)
    {
        return Err(format!(
            "the rewritten ConfigMap does not hold the baseline exactly under `{}`",
            sel.key
        ));
    }
    Ok(format!(
        "{}{}{}",
        &manifest[..span.start],
        new_doc,
        &manifest[span.end..]
    ))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// The header of a literal block scalar holding `config` exactly.
fn block_header(config: &str, indent: usize) -> String {
    let chomp = if !config.ends_with('\n') {
        "-"
    } else if config.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let first = config.lines().find(|l| !l.is_empty()).unwrap_or_default();
    let explicit = if first.starts_with(' ') {
        indent.to_string()
    } else {
        String::new()
    };
    format!("|{explicit}{chomp}")
}

fn replace_in_document(doc: &str, key: &str, config: &str) -> Result<String, String> {
    if config.contains('\r') || config.contains('\t') && config.lines().any(|l| l.starts_with('\t'))
    {
        return Err("the baseline has carriage returns or tab-indented lines, which a literal block cannot hold exactly".into());
    }
    let lines: Vec<&str> = doc.split_inclusive('\n').collect();
    let data = lines
        .iter()
        .position(|l| {
            let b = l.trim_end();
            b == "data:" || b.starts_with("data: #")
        })
        .ok_or("the ConfigMap's `data` is not a block mapping at the top level")?;
    let quoted = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    let mut at = None;
    for (i, l) in lines.iter().enumerate().skip(data + 1) {
        if is_blank(l) || l.trim_start().starts_with('#') {
            continue;
        }
        if indent_of(l) == 0 {
            break;
        }
        let t = l.trim_start();
        if quoted.iter().any(|q| t.starts_with(q.as_str())) {
            at = Some(i);
            break;
        }
    }
    let at = at.ok_or_else(|| format!("key `{key}` not found under data"))?;
    let key_line = lines[at];
    let key_indent = indent_of(key_line);
    let after_colon = key_line
        .trim_start()
        .split_once(':')
        .map(|(_, rest)| rest.trim())
        .unwrap_or_default();
    let header_ok = after_colon.starts_with('|')
        && after_colon
            .chars()
            .skip(1)
            .take_while(|c| *c != '#' && !c.is_whitespace())
            .all(|c| matches!(c, '-' | '+' | '1'..='9'));
    if !header_ok {
        return Err(format!(
            "key `{key}` is not a literal block scalar (`{key}: |`); rewrite it as one first"
        ));
    }
    let mut end = at + 1;
    let mut content_indent = None;
    while end < lines.len() {
        let l = lines[end];
        if is_blank(l) {
            end += 1;
            continue;
        }
        let ind = indent_of(l);
        if ind <= key_indent {
            break;
        }
        content_indent.get_or_insert(ind);
        end += 1;
    }
    // Trailing blank lines belong to what follows (clip/strip keep them out of the value
    // anyway); leave them where they are.
    while end > at + 1 && is_blank(lines[end - 1]) {
        end -= 1;
    }
    let indent = content_indent.unwrap_or(key_indent + 2);
    let pad = " ".repeat(indent);
    let prefix = &key_line[..key_line.find(':').unwrap_or(0) + 1];
    let newline = if key_line.ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::new();
    for l in &lines[..at] {
        out.push_str(l);
    }
    out.push_str(prefix);
    out.push(' ');
    out.push_str(&block_header(config, indent - key_indent));
    out.push_str(newline);
    for l in config.trim_end_matches('\n').split('\n') {
        if !l.is_empty() {
            out.push_str(&pad);
            out.push_str(l);
        }
        out.push_str(newline);
    }
    if config.ends_with("\n\n") {
        for _ in 0..config.len() - config.trim_end_matches('\n').len() - 1 {
            out.push_str(newline);
        }
    }
    for l in &lines[end..] {
        out.push_str(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "# registry manifests\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: registry\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: registry-config # the config\ndata:\n  other: keep\n  config.yml: |\n    version: 0.1\n    http:\n      addr: :5001\n\n    log: {level: debug}\n  after: 'still here'\n---\nkind: Service\n";

    fn sel() -> Selector {
        Selector {
            config_map: None,
            key: "config.yml".into(),
        }
    }

    #[test]
    fn replaces_only_the_block() {
        let base = "version: 0.1\nhttp:\n  addr: :5000\n";
        let out = replace_config(MANIFEST, &sel(), base).unwrap();
        let expected = MANIFEST.replace(
            "    version: 0.1\n    http:\n      addr: :5001\n\n    log: {level: debug}\n",
            "    version: 0.1\n    http:\n      addr: :5000\n",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn keeps_exact_text_with_blank_lines_and_no_final_newline() {
        for base in ["a: 1\n\nb: 2", "a: 1\n\n\n", "x:\n  - 1\n"] {
            let out = replace_config(MANIFEST, &sel(), base).unwrap();
            assert!(out.starts_with("# registry manifests\n"));
            assert!(out.ends_with("  after: 'still here'\n---\nkind: Service\n"));
        }
    }

    #[test]
    fn refuses_what_it_cannot_rewrite_exactly() {
        let quoted = MANIFEST.replace(
            "  config.yml: |\n    version: 0.1\n",
            "  config.yml: \"version: 0.1\"\n  x: |\n",
        );
        assert!(
            replace_config(&quoted, &sel(), "a: 1\n")
                .unwrap_err()
                .contains("literal block")
        );
        let secret = "kind: Secret\nmetadata:\n  name: s\nstringData:\n  config.yml: |\n    a: 1\n";
        assert!(
            replace_config(secret, &sel(), "a: 1\n")
                .unwrap_err()
                .contains("Secret")
        );
        let two = format!(
            "{MANIFEST}---\n{}",
            &MANIFEST[MANIFEST.find("apiVersion: v1").unwrap()..]
        );
        assert!(
            replace_config(&two, &sel(), "a: 1\n")
                .unwrap_err()
                .contains("several")
        );
        let named = Selector {
            config_map: Some("nope".into()),
            key: "config.yml".into(),
        };
        assert!(
            replace_config(MANIFEST, &named, "a: 1\n")
                .unwrap_err()
                .contains("named nope")
        );
    }
}
