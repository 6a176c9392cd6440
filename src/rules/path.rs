//! Paths into a config tree: `a.b`, list indexes `a[0]`, and list identities
//! `notifications.endpoints[name=audit].url` (identity values may contain dots).

use crate::registry::value::{VNode, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
    /// A list item whose `field` equals `value`.
    Ident(&'a str, &'a str),
}

/// Splits a path into steps; brackets are atomic.
pub fn parse(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    let bytes = path.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                if i > start {
                    out.push(Seg::Key(&path[start..i]));
                }
                start = i + 1;
            }
            b'[' => {
                if i > start {
                    out.push(Seg::Key(&path[start..i]));
                }
                let end = path[i..].find(']').map_or(path.len(), |e| i + e);
                let inner = &path[i + 1..end];
                out.push(match inner.split_once('=') {
                    Some((f, v)) => Seg::Ident(f, v),
                    None => inner.parse().map_or(Seg::Key(inner), Seg::Index),
                });
                i = end;
                start = end + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < path.len() {
        out.push(Seg::Key(&path[start..]));
    }
    out
}

fn step<'a>(node: &'a VNode, seg: &Seg<'_>) -> Option<&'a VNode> {
    match (seg, &node.value) {
        (Seg::Key(k), Value::Map(_, entries)) => entries
            .iter()
            .find(|(x, _)| x == k)
            .or_else(|| entries.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v),
        (Seg::Index(i), Value::List(items)) => items.get(*i),
        (Seg::Ident(f, v), Value::List(items)) => items.iter().find(|it| {
            it.get(f)
                .and_then(VNode::as_str)
                .is_some_and(|x| x == *v || crate::registry::redact::redact_url(x) == *v)
        }),
        _ => None,
    }
}

/// The node at `path`, if every step exists.
pub fn get<'a>(root: &'a VNode, path: &str) -> Option<&'a VNode> {
    parse(path).iter().try_fold(root, |n, s| step(n, s))
}

/// The deepest existing node along `path` (the root when nothing matches).
pub fn nearest<'a>(root: &'a VNode, path: &str) -> &'a VNode {
    let mut n = root;
    for s in parse(path) {
        match step(n, &s) {
            Some(next) => n = next,
            None => break,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_values_may_contain_dots() {
        assert_eq!(
            parse("health.http[uri=https://a.b/c].timeout"),
            [
                Seg::Key("health"),
                Seg::Key("http"),
                Seg::Ident("uri", "https://a.b/c"),
                Seg::Key("timeout")
            ]
        );
        assert_eq!(
            parse("a[0].b"),
            [Seg::Key("a"), Seg::Index(0), Seg::Key("b")]
        );
    }
}
