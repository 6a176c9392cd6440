//! A fast path of the loader for the plain block YAML nearly every registry config is written
//! in: block mappings and sequences, one-line plain and simply quoted scalars, comments, and
//! `[a, b]` / `[]` / `{}` flow collections of plain scalars.
//!
//! It builds exactly the [`Node`] tree (texts, styles, positions, sizes) that the event-based
//! loader in [`super::yaml`] builds from saphyr-parser's events, in a single pass over the lines
//! with no token queue, which makes loading several times cheaper (saphyr's scanner was the
//! largest single cost of a fleet check, docs/performance.md). It is deliberately narrow: the
//! moment a document uses anything else (non-ASCII text, tabs, CR, anchors, aliases, tags,
//! block scalars, multi-line or escaped scalars, flow mappings, complex keys, empty values,
//! document markers, directives, odd indentation) it returns `None` and the full loader parses
//! the document. Every syntax error also goes to the full loader, so messages stay the same.
//!
//! Invariant, tested in this module against the full loader on every YAML fixture of the
//! repository and on generated documents, and by the fuzz target: when `try_load` returns a
//! tree, it is equal to the full loader's.

use super::resolve::Style;
use super::yaml::{Node, NodeKind, ScalarNode};
use crate::error::Pos;

/// One content line: its number (1-based), indentation and text after the indentation, with a
/// trailing comment and trailing spaces removed.
#[derive(Clone, Copy)]
struct Line<'a> {
    no: u32,
    indent: usize,
    text: &'a str,
}

struct Fast<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
    max_depth: usize,
}

/// Strips a ` #` comment (a `#` at the start or after a space, outside quotes) and trailing
/// spaces. Returns `None` for lines whose quoting this fast path does not follow.
fn strip_comment(s: &str) -> Option<&str> {
    if !s.contains(['#', '"', '\'']) {
        return Some(s.trim_end_matches(' '));
    }
    let b = s.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' if i == 0 || matches!(b[i - 1], b' ' | b'[' | b',') => {
                    quote = Some(c);
                }
                b'#' if i == 0 || b[i - 1] == b' ' => return Some(s[..i].trim_end_matches(' ')),
                _ => {}
            },
        }
    }
    if quote.is_some() {
        return None;
    }
    Some(s.trim_end_matches(' '))
}

fn lines(text: &str) -> Option<Vec<Line<'_>>> {
    let mut out = Vec::with_capacity(text.len() / 24);
    for (i, raw) in text.split('\n').enumerate() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let body = &raw[indent..];
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body.starts_with("---") || body.starts_with("...") || body.starts_with('%') {
            return None;
        }
        let text = strip_comment(body)?;
        if text.is_empty() {
            continue;
        }
        out.push(Line {
            no: u32::try_from(i + 1).ok()?,
            indent,
            text,
        });
    }
    Some(out)
}

fn pos(line: u32, col: usize) -> Pos {
    Pos {
        line,
        col: u32::try_from(col + 1).unwrap_or(u32::MAX),
    }
}

fn scalar(text: &str, style: Style, at: Pos) -> Node {
    Node {
        kind: NodeKind::Scalar(ScalarNode {
            text: text.to_owned(),
            style,
            tag: None,
        }),
        pos: at,
        size: 1,
    }
}

/// A plain scalar this fast path accepts in block context: no indicator at the start (but
/// `-`, `:` and `?` followed by a non-space, as in `:5000` or `-1`), no `: ` or trailing `:`,
/// no quotes or flow characters that would need the full grammar.
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let starts_ok = match first {
        b'-' | b':' | b'?' => b.get(1).is_some_and(|c| *c != b' '),
        b'!' | b'&' | b'*' | b'|' | b'>' | b'%' | b'@' | b'`' | b'"' | b'\'' | b'#' | b'['
        | b']' | b'{' | b'}' | b',' => false,
        _ => true,
    };
    starts_ok && !s.contains(": ") && !s.ends_with(':') && !s.contains(" #")
}

/// A plain scalar inside `[...]`: additionally no flow indicators at all.
fn flow_plain_ok(s: &str) -> bool {
    plain_ok(s) && !s.contains([',', '[', ']', '{', '}', ':', '"', '\''])
}

impl<'a> Fast<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    /// The value after `key:` or `- ` on one line, starting at column `col` (0-based).
    fn inline_value(&self, text: &str, line: u32, col: usize) -> Option<Node> {
        let at = pos(line, col);
        let b = text.as_bytes();
        match b[0] {
            b'"' | b'\'' => {
                let q = b[0];
                let inner = text.get(1..text.len().checked_sub(1)?)?;
                if text.len() < 2 || b[b.len() - 1] != q || inner.contains(['"', '\'', '\\']) {
                    return None;
                }
                let style = if q == b'"' {
                    Style::DoubleQuoted
                } else {
                    Style::SingleQuoted
                };
                Some(scalar(inner, style, at))
            }
            b'[' => {
                let inner = text.strip_prefix('[')?.strip_suffix(']')?;
                let mut items = Vec::new();
                if !inner.trim().is_empty() {
                    let mut offset = col + 1;
                    for part in inner.split(',') {
                        let lead = part.len() - part.trim_start_matches(' ').len();
                        let item = part.trim_matches(' ');
                        if !flow_plain_ok(item) {
                            return None;
                        }
                        items.push(scalar(item, Style::Plain, pos(line, offset + lead)));
                        offset += part.len() + 1;
                    }
                }
                Some(Node {
                    size: 1 + items.len(),
                    kind: NodeKind::Seq(items),
                    pos: at,
                })
            }
            b'{' if text == "{}" => Some(Node {
                kind: NodeKind::Map(Vec::new()),
                pos: at,
                size: 1,
            }),
            _ if plain_ok(text) => Some(scalar(text, Style::Plain, at)),
            _ => None,
        }
    }

    /// After an inline value on a line at `indent`: the next line must not be more indented
    /// (that would continue a multi-line scalar).
    fn no_continuation(&self, indent: usize) -> Option<()> {
        match self.peek() {
            Some(l) if l.indent > indent => None,
            _ => Some(()),
        }
    }

    /// A block node whose first line is the next one, indented by exactly `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let first = self.peek()?;
        if first.indent != indent {
            return None;
        }
        if first.text == "-" || first.text.starts_with("- ") {
            self.sequence(indent, depth, false)
        } else {
            self.mapping(indent, None, depth)
        }
    }

    /// A block sequence whose items start with `-` at column `indent`. An `indentless` one
    /// (`key:` then `- item` at the key's column) starts, for saphyr, at its first item's
    /// content rather than at the `-`.
    fn sequence(&mut self, indent: usize, depth: usize, indentless: bool) -> Option<Node> {
        let start = self.peek()?;
        let start_col = if indentless {
            let rest = start.text.get(2..)?.trim_start_matches(' ');
            indent + (start.text.len() - rest.len())
        } else {
            indent
        };
        let mut items = Vec::new();
        let mut size = 1;
        while let Some(l) = self.peek() {
            if l.indent != indent || !l.text.starts_with("- ") {
                break;
            }
            let rest = l.text[2..].trim_start_matches(' ');
            let col = indent + (l.text.len() - rest.len());
            let item = if rest.starts_with("- ") || rest == "-" {
                return None;
            } else if key_split(rest).is_some() {
                // `- key: value`: a mapping whose first entry is on this line at `col`.
                self.mapping(col, Some((l, rest)), depth + 1)?
            } else {
                self.at += 1;
                let v = self.inline_value(rest, l.no, col)?;
                self.no_continuation(indent)?;
                v
            };
            size += item.size;
            items.push(item);
        }
        Some(Node {
            kind: NodeKind::Seq(items),
            pos: pos(start.no, start_col),
            size,
        })
    }

    /// A block mapping at column `indent`; `first` is an entry that starts mid-line (after
    /// `- `), else the mapping starts on the next line.
    fn mapping(
        &mut self,
        indent: usize,
        mut first: Option<(Line<'a>, &'a str)>,
        depth: usize,
    ) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let start_line = first.map_or_else(|| self.peek().map(|l| l.no), |(l, _)| Some(l.no))?;
        let mut pairs = Vec::new();
        let mut size = 1;
        loop {
            let (line, text) = match first.take() {
                Some(x) => x,
                None => match self.peek() {
                    Some(l) if l.indent == indent => (l, l.text),
                    Some(l) if l.indent > indent => return None,
                    _ => break,
                },
            };
            if text.starts_with("- ") || text == "-" {
                return None;
            }
            let (key, rest) = key_split(text)?;
            if !plain_ok(key) || key.ends_with(' ') {
                return None;
            }
            self.at += 1;
            let key_node = scalar(key, Style::Plain, pos(line.no, indent));
            let value = if rest.is_empty() {
                // A nested block: more indented, or a sequence at the same column.
                match self.peek() {
                    Some(n) if n.indent > indent => self.block(n.indent, depth + 1)?,
                    Some(n) if n.indent == indent && n.text.starts_with("- ") => {
                        self.sequence(indent, depth + 1, true)?
                    }
                    // `key:` with nothing: an empty scalar whose position the full loader
                    // knows best.
                    _ => return None,
                }
            } else {
                let col = indent + (text.len() - rest.len());
                let v = self.inline_value(rest, line.no, col)?;
                self.no_continuation(indent)?;
                v
            };
            size += 1 + value.size;
            pairs.push((key_node, value));
        }
        Some(Node {
            kind: NodeKind::Map(pairs),
            pos: pos(start_line, indent),
            size,
        })
    }
}

/// Splits `key: value` or `key:` at the first `: ` (or the final `:`), the value trimmed of
/// leading spaces.
fn key_split(text: &str) -> Option<(&str, &str)> {
    if let Some(i) = text.find(": ") {
        return Some((&text[..i], text[i + 2..].trim_start_matches(' ')));
    }
    text.strip_suffix(':').map(|k| (k, ""))
}

/// The root node of `text` if it is in the subset this fast path reads; `None` otherwise.
pub(super) fn try_load(text: &str, max_depth: usize) -> Option<Node> {
    if !text.is_ascii() || text.contains(['\t', '\r']) {
        return None;
    }
    let lines = lines(text)?;
    let first = *lines.first()?;
    let mut p = Fast {
        lines,
        at: 0,
        max_depth,
    };
    let root = p.block(first.indent, 0)?;
    // Anything left over (less indented than the root, or a second root) is for the full
    // loader to judge.
    if p.at != p.lines.len() {
        return None;
    }
    Some(root)
}

#[cfg(test)]
mod tests {
    use super::super::yaml::{LoadOptions, load_full};
    use super::*;

    /// The fast path either declines or builds exactly what the full loader builds.
    fn agrees(text: &str) -> bool {
        let Some(fast) = try_load(text, 128) else {
            return false;
        };
        let full =
            load_full(text.as_bytes(), "t.yml", &LoadOptions::default()).unwrap_or_else(|e| {
                panic!("fast path accepted what the full loader refuses ({e}):\n{text}")
            });
        assert!(full.ignored_documents.is_empty(), "{text}");
        assert_eq!(fast, full.root, "fast and full trees differ for:\n{text}");
        true
    }

    #[test]
    fn typical_registry_configs_take_the_fast_path_and_agree() {
        let text = "# comment\nversion: 0.1\nlog:\n  level: info   # trailing\n  fields:\n    service: registry\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: yes\nhttp:\n  addr: :5000\n  secret: \"quoted value\"\n  host: 'https://r.example.com'\n  headers:\n    X-Content-Type-Options: [nosniff]\n    Strict-Transport-Security: [max-age=63072000; includeSubDomains, b]\n    Empty: []\n  http2: {}\nnotifications:\n  endpoints:\n    - name: audit\n      url: https://audit.example.com/events\n      ignoredmediatypes:\n        - application/octet-stream\n    - name: two\n      headers:\n        Authorization: [Bearer x]\n  list:\n  - a\n  - -1\n";
        assert!(agrees(text));
    }

    #[test]
    fn everything_outside_the_subset_goes_to_the_full_loader() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: b\n  continued\n",
            "a: \"esc\\\"aped\"\n",
            "a: 'it''s'\n",
            "a:\nb: 1\n",
            "a: {b: 1}\n",
            "---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: é\n",
            "? a\n: b\n",
            "a: b: c\n",
            "- - a\n",
            "a: 1\n b: 2\n",
            "  a: 1\nb: 2\n",
            "a: \"unclosed\n",
            "\"a\": 1\n",
            "a: [b, {c: d}]\n",
            "a: [\"q\"]\n",
            "",
            "# only a comment\n",
            "just a scalar\n",
        ] {
            assert!(try_load(text, 128).is_none(), "fast path took:\n{text}");
        }
    }

    #[test]
    fn the_depth_limit_sends_deep_documents_to_the_full_loader() {
        let mut text = String::new();
        for i in 0..10 {
            text.push_str(&" ".repeat(i * 2));
            text.push_str("k:\n");
        }
        text.push_str(&" ".repeat(20));
        text.push_str("v: 1\n");
        assert!(try_load(&text, 5).is_none());
        assert!(agrees(&text));
    }

    /// Every YAML file of the repository (fixtures, examples, baselines): the fast path either
    /// declines or agrees with the full loader, and it takes most of them.
    #[test]
    fn repository_yaml_files_agree_with_the_full_loader() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["tests/fixtures", "examples", "baselines"] {
            collect(&root.join(dir), &mut files);
        }
        let (mut taken, mut total) = (0, 0);
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            total += 1;
            if agrees(&text) {
                taken += 1;
            }
        }
        eprintln!("fast path took {taken} of {total} repository YAML files");
        assert!(total > 100, "only {total} YAML files found");
        assert!(
            taken * 2 > total,
            "fast path took only {taken} of {total} files"
        );
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }

    /// Generated documents mixing the accepted constructs with small perturbations: the fast
    /// path never disagrees with the full loader.
    #[test]
    fn generated_documents_agree_with_the_full_loader() {
        let pieces = [
            "a: 1",
            "b: yes",
            "c: \"q\"",
            "d: 'q'",
            "e: [x, y]",
            "f: []",
            "g: {}",
            "h: :5000",
            "i: -1",
            "j:",
            "- k",
            "- l: 1",
            "-",
            "# c",
            "m: n # c",
            "o: p#q",
            "r: [s]",
            "t: u v",
            "w: 'x' # y",
            "z: \"\"",
            "aa: ''",
            "bb: [ c , d ]",
            "cc: [c,]",
            "dd: -x",
            "ee: ?x",
            "ff: x:y",
            "gg: [a b]",
            "hh: ~",
            "<<:",
            "ii: 0x1F",
            "jj:   spaced",
            "kk : v",
            "- 'q'",
            "- [a]",
            "- {}",
            "- \"d\"",
            "ll: x #",
            "#c",
            "mm: 'a'b",
            "nn: \"a\" b",
            "oo: a'b",
            "- - x",
            "pp: [a, 'b']",
            "qq:x",
            "- rr:",
            "ss: -",
            "tt: a,b",
            "uu: {a}",
            "vv: ]",
            "ww: x  # two",
            "- xx: 1 # c",
            "yy: 'a#b'",
        ];
        // REGDRIFT_FAST_YAML_CASES=N and REGDRIFT_FAST_YAML_SEED=S run a longer or different
        // stress of the same property.
        let cases: usize = std::env::var("REGDRIFT_FAST_YAML_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let mut rng = std::env::var("REGDRIFT_FAST_YAML_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x9E37_79B9_7F4A_7C15u64)
            | 1;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        let mut accepted = 0;
        for _ in 0..cases {
            let mut text = String::new();
            let mut indent = 0usize;
            for _ in 0..(1 + next(8)) {
                indent = match next(4) {
                    0 => indent + 2,
                    1 => indent.saturating_sub(2),
                    2 => 0,
                    _ => indent,
                };
                text.push_str(&" ".repeat(indent));
                text.push_str(pieces[next(pieces.len())]);
                text.push('\n');
            }
            if agrees(&text) {
                accepted += 1;
            }
        }
        eprintln!("{accepted} of {cases} generated documents took the fast path");
        assert!(
            accepted * 20 > cases,
            "only {accepted} generated documents took the fast path"
        );
    }
}
