//! The registry-faithful YAML loader: text → a tree of nodes that keeps every scalar's raw
//! text, quoting style, tag, and line and column.
//!
//! # Why not serde_yaml
//!
//! The registry parses its config with Go's `gopkg.in/yaml.v2` (YAML 1.1, non-strict). serde_yaml
//! (and its forks) implement YAML 1.2 and resolve while deserialising: `yes`/`on`/`y` become
//! strings, `0777` is decimal 777, duplicate keys are errors, and no value keeps its line and
//! column. Any of those would make regdrift read a different config from the one the registry
//! runs. So this loader is built on `saphyr-parser`, a pure-Rust YAML *event* parser: it gives
//! raw scalars, styles, tags, anchors and positions, and leaves resolution to us
//! ([`super::resolve`]) and Go-type decoding to [`super::decode`]. serde_yaml is still used for
//! regdrift's own configuration and for writing YAML.
//!
//! # What this module guarantees
//!
//! - Only the first YAML document is loaded, as yaml.v2's `Unmarshal` does; later documents are
//!   counted and reported (with their line), never read.
//! - Duplicate keys and merge keys (`<<`) are kept as written, in order: their meaning depends
//!   on the Go type of the section (struct sections merge, maps replace), decided in `decode`.
//! - Aliases are expanded by copying the anchored node, and the total number of nodes copied is
//!   bounded ([`LoadOptions::max_alias_nodes`]): a "billion laughs" file fails fast with
//!   [`LoadErrorKind::AliasBomb`] in bounded time and memory.
//! - Input is bounded in size ([`LoadOptions::max_bytes`], 4 MiB by default) and nesting depth.
//! - Every failure is a [`LoadError`] naming the source, line and column; nothing panics.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use super::resolve::Style;
use crate::error::{LoadError, LoadErrorKind, Pos};

/// Limits applied while loading.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Largest input accepted, in bytes (default 4 MiB).
    pub max_bytes: usize,
    /// Most nodes that alias expansion may copy in one document (default 100,000).
    pub max_alias_nodes: usize,
    /// Deepest nesting of sequences and mappings (default 128).
    pub max_depth: usize,
}

/// Default size limit: 4 MiB, far above any real registry config.
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            max_alias_nodes: 100_000,
            max_depth: 128,
        }
    }
}

/// A scalar as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarNode {
    /// The scalar's text after YAML escapes and folding, before any resolution.
    pub text: String,
    pub style: Style,
    /// The expanded tag (`tag:yaml.org,2002:str` for `!!str`), if any.
    pub tag: Option<String>,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(ScalarNode),
    Seq(Vec<Node>),
    /// Key/value pairs in document order, duplicates and `<<` included.
    Map(Vec<(Node, Node)>),
}

/// A node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
    /// Number of nodes in this subtree, itself included.
    pub size: usize,
}

impl Node {
    /// The scalar, if this node is one.
    pub fn as_scalar(&self) -> Option<&ScalarNode> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The YAML kind name as yaml.v2 prints it in type errors.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Scalar(_) => "scalar",
            NodeKind::Seq(_) => "!!seq",
            NodeKind::Map(_) => "!!map",
        }
    }
}

/// The first document of a registry config, plus what was ignored around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: Node,
    /// Start positions of documents after the first: the registry never reads them.
    pub ignored_documents: Vec<Pos>,
    /// Nodes copied by alias expansion.
    pub alias_nodes: usize,
}

fn load_error(
    kind: LoadErrorKind,
    source: &str,
    pos: Option<Pos>,
    msg: String,
    hint: &str,
) -> LoadError {
    LoadError {
        kind,
        source_name: source.to_string(),
        pos,
        message: msg,
        hint: hint.to_string(),
    }
}

/// Position of byte offset `at` in `bytes` (1-based line and column, columns in characters
/// where the prefix is valid UTF-8, else in bytes).
fn pos_of_offset(bytes: &[u8], at: usize) -> Pos {
    let at = at.min(bytes.len());
    let before = &bytes[..at];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let col = match std::str::from_utf8(&before[line_start..]) {
        Ok(s) => s.chars().count() + 1,
        Err(_) => at - line_start + 1,
    };
    Pos {
        line: to_u32(line),
        col: to_u32(col),
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn marker_pos(span: &Span) -> Pos {
    Pos {
        line: to_u32(span.start.line()),
        col: to_u32(span.start.col() + 1),
    }
}

/// Checks size, encoding and binary content; returns the text without a UTF-8 BOM.
fn check_bytes<'a>(
    bytes: &'a [u8],
    source: &str,
    opts: &LoadOptions,
) -> Result<&'a str, LoadError> {
    if bytes.len() > opts.max_bytes {
        return Err(load_error(
            LoadErrorKind::TooLarge,
            source,
            None,
            format!(
                "is {} bytes, over the {}-byte limit",
                bytes.len(),
                opts.max_bytes
            ),
            "a registry config is a few kilobytes; check the path, or raise --max-config-size",
        ));
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(load_error(
            LoadErrorKind::Binary,
            source,
            Some(pos_of_offset(bytes, at)),
            "contains a NUL byte: this is binary data, not a YAML config".into(),
            "point regdrift at the registry's config.yml",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        load_error(
            LoadErrorKind::NotUtf8,
            source,
            Some(pos_of_offset(bytes, e.valid_up_to())),
            "is not valid UTF-8".into(),
            "YAML configs must be UTF-8; re-encode the file (e.g. iconv -t UTF-8)",
        )
    })?;
    if let Some((at, c)) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}'))
    {
        return Err(load_error(
            LoadErrorKind::Binary,
            source,
            Some(pos_of_offset(bytes, at)),
            format!(
                "contains control character U+{:04X}: not a YAML text file",
                u32::from(c)
            ),
            "point regdrift at the registry's config.yml",
        ));
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

fn style_of(s: ScalarStyle) -> Style {
    match s {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    }
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
        size: usize,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        key: Option<Node>,
        pos: Pos,
        anchor: usize,
        size: usize,
    },
}

/// Builds the node tree of the first document from parser events.
struct Builder<'s> {
    source: &'s str,
    opts: LoadOptions,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    root: Option<Node>,
}

impl Builder<'_> {
    fn syntax(&self, e: &ScanError) -> LoadError {
        let m = e.marker();
        if e.info().contains("recursion limit") {
            return load_error(
                LoadErrorKind::TooDeep,
                self.source,
                Some(Pos {
                    line: to_u32(m.line()),
                    col: to_u32(m.col() + 1),
                }),
                "nesting is too deep".into(),
                "a registry config nests a few levels; check the file",
            );
        }
        load_error(
            LoadErrorKind::Syntax,
            self.source,
            Some(Pos {
                line: to_u32(m.line()),
                col: to_u32(m.col() + 1),
            }),
            format!("invalid YAML: {}", e.info()),
            "fix the YAML syntax; the registry would refuse to start with this file",
        )
    }

    fn push(&mut self, frame: Frame, pos: Pos) -> Result<(), LoadError> {
        if self.stack.len() >= self.opts.max_depth {
            return Err(load_error(
                LoadErrorKind::TooDeep,
                self.source,
                Some(pos),
                format!("nesting is deeper than {} levels", self.opts.max_depth),
                "a registry config nests a few levels; check the file",
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Adds a finished node to its parent (or makes it the root), recording its anchor.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, size, .. }) => {
                *size += node.size;
                items.push(node);
            }
            Some(Frame::Map {
                pairs, key, size, ..
            }) => {
                *size += node.size;
                match key.take() {
                    None => *key = Some(node),
                    Some(k) => pairs.push((k, node)),
                }
            }
        }
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<Node, LoadError> {
        let Some(node) = self.anchors.get(&id) else {
            return Err(load_error(
                LoadErrorKind::Syntax,
                self.source,
                Some(pos),
                "alias refers to an unknown anchor".into(),
                "define the anchor (&name) before the alias (*name)",
            ));
        };
        self.alias_nodes = self.alias_nodes.saturating_add(node.size);
        if self.alias_nodes > self.opts.max_alias_nodes {
            return Err(load_error(
                LoadErrorKind::AliasBomb,
                self.source,
                Some(pos),
                format!(
                    "aliases expand to more than {} nodes (an alias bomb?)",
                    self.opts.max_alias_nodes
                ),
                "a registry config needs few aliases; remove the nested aliases",
            ));
        }
        Ok(node.clone())
    }

    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<(), LoadError> {
        let pos = marker_pos(&span);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node {
                    kind: NodeKind::Scalar(ScalarNode {
                        text: text.into_owned(),
                        style: style_of(style),
                        tag: tag.as_deref().map(tag_text),
                    }),
                    pos,
                    size: 1,
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                let mut node = self.alias(id, pos)?;
                node.pos = pos;
                self.finish(node, 0);
            }
            Event::SequenceStart(anchor, _) => {
                self.push(
                    Frame::Seq {
                        items: Vec::new(),
                        pos,
                        anchor,
                        size: 1,
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.push(
                    Frame::Map {
                        pairs: Vec::new(),
                        key: None,
                        pos,
                        anchor,
                        size: 1,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        pos,
                        anchor,
                        size,
                    }) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            pos,
                            size,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pairs,
                        pos,
                        anchor,
                        size,
                        ..
                    }) => (
                        Node {
                            kind: NodeKind::Map(pairs),
                            pos,
                            size,
                        },
                        anchor,
                    ),
                    None => return Ok(()),
                };
                self.finish(node, anchor);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Loads the first document of `bytes` (a registry config named `source` in messages).
///
/// Plain block YAML, which is what nearly every registry config is, is read by the fast path
/// in [`super::yaml_fast`]; anything else by saphyr-parser's events. Both build the same tree.
pub fn load(bytes: &[u8], source: &str, opts: &LoadOptions) -> Result<Document, LoadError> {
    let text = check_bytes(bytes, source, opts)?;
    if let Some(root) = super::yaml_fast::try_load(text, opts.max_depth) {
        return Ok(Document {
            root,
            ignored_documents: Vec::new(),
            alias_nodes: 0,
        });
    }
    load_events(text, source, opts)
}

/// [`load`] without the fast path: every document through saphyr-parser's events. For tests
/// and the fuzz target, which check that both paths agree.
pub fn load_full(bytes: &[u8], source: &str, opts: &LoadOptions) -> Result<Document, LoadError> {
    let text = check_bytes(bytes, source, opts)?;
    load_events(text, source, opts)
}

fn load_events(text: &str, source: &str, opts: &LoadOptions) -> Result<Document, LoadError> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        source,
        opts: *opts,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
    };
    let mut documents = 0usize;
    let mut ignored_documents = Vec::new();
    while let Some(item) = parser.next_event() {
        let (ev, span) = match item {
            Ok(x) => x,
            // An error after the first document is never seen by the registry.
            Err(_) if documents > 1 => break,
            Err(e) => return Err(b.syntax(&e)),
        };
        match ev {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    ignored_documents.push(marker_pos(&span));
                }
            }
            Event::StreamEnd => break,
            _ if documents > 1 => {}
            ev => b.event(ev, span)?,
        }
    }
    let Some(root) = b.root else {
        return Err(load_error(
            LoadErrorKind::Empty,
            source,
            None,
            "is empty (no YAML content)".into(),
            "the registry refuses to start without `version: 0.1` and a storage section",
        ));
    };
    Ok(Document {
        root,
        ignored_documents,
        alias_nodes: b.alias_nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Document {
        load(s.as_bytes(), "config.yml", &LoadOptions::default()).expect("loads")
    }

    fn err(s: &[u8]) -> LoadError {
        load(s, "config.yml", &LoadOptions::default()).expect_err("fails")
    }

    fn pairs(n: &Node) -> &[(Node, Node)] {
        match &n.kind {
            NodeKind::Map(p) => p,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn keys_and_values_carry_line_and_column() {
        let d = doc("version: 0.1\nstorage:\n  delete:\n    enabled: yes\n");
        let top = pairs(&d.root);
        let (k, v) = &top[1];
        assert_eq!(k.pos, Pos { line: 2, col: 1 });
        let (k2, _) = &pairs(v)[0];
        assert_eq!(k2.pos, Pos { line: 3, col: 3 });
        let (_, v3) = &pairs(&pairs(v)[0].1)[0];
        assert_eq!(v3.pos, Pos { line: 4, col: 14 });
        assert_eq!(v3.as_scalar().unwrap().text, "yes");
    }

    #[test]
    fn quoting_style_is_kept_so_quoted_true_stays_a_string() {
        let d = doc("a: \"true\"\nb: 'yes'\nc: yes\n");
        let styles: Vec<Style> = pairs(&d.root)
            .iter()
            .map(|(_, v)| v.as_scalar().unwrap().style)
            .collect();
        assert_eq!(
            styles,
            [Style::DoubleQuoted, Style::SingleQuoted, Style::Plain]
        );
    }

    #[test]
    fn only_the_first_document_is_loaded_and_later_ones_reported() {
        let d = doc("version: 0.1\n---\nauth:\n  htpasswd: {}\n");
        assert_eq!(pairs(&d.root).len(), 1);
        assert_eq!(d.ignored_documents, [Pos { line: 2, col: 1 }]);
    }

    #[test]
    fn a_syntax_error_in_an_ignored_document_does_not_fail() {
        let d = doc("version: 0.1\n---\n{ unclosed: [\n");
        assert_eq!(d.ignored_documents.len(), 1);
    }

    #[test]
    fn duplicate_keys_and_merge_keys_are_kept_in_order() {
        let d = doc("a: 1\na: 2\nb: &x {c: 1}\nd:\n  <<: *x\n  c: 2\n");
        let top = pairs(&d.root);
        assert_eq!(top.len(), 4);
        let merged = pairs(&top[3].1);
        assert_eq!(merged[0].0.as_scalar().unwrap().text, "<<");
        assert_eq!(pairs(&merged[0].1).len(), 1, "alias expanded");
    }

    #[test]
    fn alias_bomb_fails_fast_with_a_position() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9u8 {
            let prev = (b'a' + i) as char;
            let next = (b'b' + i) as char;
            s.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = err(s.as_bytes());
        assert_eq!(e.kind, LoadErrorKind::AliasBomb);
        assert!(e.pos.is_some());
        assert!(e.to_string().starts_with("config.yml:"));
    }

    #[test]
    fn oversize_input_is_refused_before_parsing() {
        let big = vec![b'#'; DEFAULT_MAX_BYTES + 1];
        assert_eq!(err(&big).kind, LoadErrorKind::TooLarge);
    }

    #[test]
    fn binary_and_non_utf8_input_are_named() {
        let e = err(b"version: 0.1\n\x00\x01");
        assert_eq!(e.kind, LoadErrorKind::Binary);
        assert_eq!(e.pos, Some(Pos { line: 2, col: 1 }));
        let e = err(b"version: 0.1\nhttp:\n  addr: \xff\n");
        assert_eq!(e.kind, LoadErrorKind::NotUtf8);
        assert_eq!(e.pos, Some(Pos { line: 3, col: 9 }));
    }

    #[test]
    fn empty_and_comment_only_input_is_empty() {
        assert_eq!(err(b"").kind, LoadErrorKind::Empty);
        assert_eq!(err(b"# nothing\n\n").kind, LoadErrorKind::Empty);
    }

    #[test]
    fn invalid_yaml_names_line_and_column() {
        let e = err(b"version: 0.1\nhttp:\n  addr: [unclosed\n");
        assert_eq!(e.kind, LoadErrorKind::Syntax);
        assert!(e.pos.is_some());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = "[".repeat(1000) + &"]".repeat(1000);
        assert_eq!(err(s.as_bytes()).kind, LoadErrorKind::TooDeep);
    }

    #[test]
    fn a_bom_is_accepted() {
        let d = doc("\u{feff}version: 0.1\n");
        assert_eq!(pairs(&d.root).len(), 1);
    }
}
