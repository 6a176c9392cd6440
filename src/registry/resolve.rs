//! How distribution/distribution reads a YAML scalar: a port of the scalar resolution in
//! `gopkg.in/yaml.v2` (v2.2.1 and v2.4.0 behave the same here; the code follows
//! `resolve.go` and `decode.go` of the v2 branch), plus the Go standard-library helpers the
//! registry applies to the decoded values (`strconv.ParseBool`, `time.ParseDuration`,
//! `time.Duration.String`, `fmt.Sprint`).
//!
//! Why not serde_yaml? serde_yaml follows YAML 1.2's core schema, and the registry does not:
//! yaml.v2 keeps YAML 1.1's rules. Under yaml.v2 `yes`, `on`, `y` and `Off` are booleans
//! (they are strings in YAML 1.2), `0777` is octal 511 (decimal 777 in YAML 1.2), `1_000` is
//! 1000, and numbers beyond `i64` become `u64` and then `f64`. A typed Go `string` field, on
//! the other hand, keeps the literal text whatever it resolves to. Getting any of this wrong
//! would make drift detection report what a YAML 1.2 reader sees rather than what the
//! registry sees.
//!
//! Go-side facts this port relies on: the registry is built with a Go toolchain of 1.13 or
//! later, so `strconv.ParseInt(s, 0, 64)` accepts `0o17`, `0b101` and `0x10`; Go's `int` is
//! 64 bits; out-of-range float-to-int conversions follow amd64 (they give `i64::MIN`).
//!
//! Error texts are yaml.v2's, without its `yaml: ` / `line N: ` prefixes.

use serde::{Deserialize, Serialize};

const LONG_PREFIX: &str = "tag:yaml.org,2002:";
const NULL_TAG: &str = "tag:yaml.org,2002:null";
const BOOL_TAG: &str = "tag:yaml.org,2002:bool";
const STR_TAG: &str = "tag:yaml.org,2002:str";
const INT_TAG: &str = "tag:yaml.org,2002:int";
const FLOAT_TAG: &str = "tag:yaml.org,2002:float";
const TIMESTAMP_TAG: &str = "tag:yaml.org,2002:timestamp";
const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
const MERGE_TAG: &str = "tag:yaml.org,2002:merge";
const BAD_BASE64: &str = "!!binary value contains invalid base64 data";
/// `float64(math.MaxInt64)`, i.e. 2^63: the bound yaml.v2 compares floats against.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Style {
    /// Unquoted.
    Plain,
    /// `'text'`.
    SingleQuoted,
    /// `"text"`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// A scalar after YAML 1.1 resolution, as yaml.v2 decodes it into an `interface{}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum Scalar {
    /// `~`, `null`, `Null`, `NULL` or empty.
    Null,
    /// A YAML 1.1 boolean (`yes`, `On`, `FALSE`, ...).
    Bool(bool),
    /// An integer that fits Go's `int`.
    Int(i64),
    /// An integer above `i64::MAX` that fits `uint64`.
    Uint(u64),
    /// A float (including `.inf` and `.nan`).
    Float(f64),
    /// Anything else, including quoted scalars and timestamp-like text.
    Str(String),
}

/// What yaml.v2's `resolve` returns as its `out interface{}` (after `!!binary` decoding).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    /// A `time.Time`; decode.go hands the original text to `interface{}` and `string`.
    Time,
    /// The decoded bytes of a `!!binary` scalar.
    Bytes(Vec<u8>),
}

/// A scalar node after decode.go's `scalar()` preamble.
struct Node<'a> {
    text: &'a str,
    /// The node's own tag (`n.tag`), long form, empty when untagged.
    tag: String,
    /// The tag `resolve` reported (`rtag`), long form.
    rtag: String,
    value: Value,
}

/// Resolve a scalar's text. `tag` is the full tag text if any, already expanded: e.g.
/// "tag:yaml.org,2002:str" for `!!str`, or "!foo" for a local tag; None if untagged.
///
/// As in yaml.v2, a tag outside the core schema (`!foo`, `!`, `!!merge`, ...) makes the
/// scalar a string without resolving it.
pub fn resolve(text: &str, style: Style, tag: Option<&str>) -> Result<Scalar, String> {
    let node = decode_node(text, style, tag)?;
    Ok(match node.value {
        Value::Null => Scalar::Null,
        Value::Bool(b) => Scalar::Bool(b),
        Value::Int(i) => Scalar::Int(i),
        Value::Uint(u) => Scalar::Uint(u),
        Value::Float(f) => Scalar::Float(f),
        Value::Str(s) => Scalar::Str(s),
        Value::Time => Scalar::Str(text.to_owned()),
        Value::Bytes(b) => Scalar::Str(bytes_or_text(b, text)),
    })
}

/// True when `text` in plain style is the YAML merge key `<<` (yaml.v2's `isMerge`: the
/// value `<<` with an implicit tag, which includes the non-specific `!`, or with `!!merge`).
pub fn is_merge_key(text: &str, style: Style, tag: Option<&str>) -> bool {
    let tag = long_tag(tag);
    let implicit = (tag.is_empty() && style == Style::Plain) || tag == "!";
    text == "<<" && (implicit || tag == MERGE_TAG)
}

/// Go's strconv.ParseBool: "1","t","T","TRUE","true","True" / "0","f","F","FALSE","false","False".
pub fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A positive Go duration (`500ms`, `5s`, `1m30s`) as a [`std::time::Duration`]: the form of
/// regdrift's own timeouts, intervals and jitter. `None` for anything else, zero included.
pub fn positive_duration(s: &str) -> Option<std::time::Duration> {
    go_parse_duration(s.trim())
        .filter(|ns| *ns > 0)
        .map(|ns| std::time::Duration::from_nanos(ns.unsigned_abs()))
}

/// Go's time.ParseDuration (e.g. "1h30m", "300ms", "-1.5h", "0"); returns nanoseconds; None on
/// error (including overflow). Units ns us µs μs ms s m h.
pub fn go_parse_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = split_sign(s.as_bytes());
    if rest == b"0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (v, after) = duration_component(rest)?;
        // Go adds in uint64 and only then checks, so 2^63 + 2^63 wraps to 0; keep that.
        total = total.wrapping_add(v);
        if total > 1 << 63 {
            return None;
        }
        rest = after;
    }
    if neg {
        0i64.checked_sub_unsigned(total)
    } else {
        i64::try_from(total).ok()
    }
}

/// Go's time.Duration.String() for nanoseconds, e.g. 5400000000000 -> "1h30m0s", 0 -> "0s",
/// 1500 -> "1.5µs".
pub fn go_format_duration(ns: i64) -> String {
    let u = ns.unsigned_abs();
    let body = if u < 1_000_000_000 {
        format_sub_second(u)
    } else {
        format_seconds_up(u)
    };
    if ns < 0 { format!("-{body}") } else { body }
}

/// fmt.Sprint of the value as Go would print the interface{}: Null -> "<nil>", Bool ->
/// "true"/"false", Int/Uint decimal, Float with Go's %v (strconv 'g' with the shortest
/// digits: exponent form when exp < -4 || exp >= 6, so 1e5 -> "100000", 1e6 -> "1e+06",
/// 0.5 -> "0.5", +Inf -> "+Inf", NaN -> "NaN"), Str as is.
pub fn go_sprint(s: &Scalar) -> String {
    match s {
        Scalar::Null => "<nil>".to_owned(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Uint(u) => u.to_string(),
        Scalar::Float(f) => go_format_float(*f),
        Scalar::Str(s) => s.clone(),
    }
}

/// How yaml.v2 decodes this scalar into a Go `string` struct field: the literal text whatever
/// it resolves to (`0123` stays "0123", `yes` stays "yes"); null -> ""; `!!binary` -> the
/// decoded bytes (the original text if they are not UTF-8). Errors are yaml.v2's hard
/// failures: a tag that does not fit the text, or invalid base64.
pub fn decode_into_string(text: &str, style: Style, tag: Option<&str>) -> Result<String, String> {
    let node = decode_node(text, style, tag)?;
    Ok(match node.value {
        Value::Null => String::new(),
        Value::Bytes(b) => bytes_or_text(b, text),
        _ => text.to_owned(),
    })
}

/// How yaml.v2 decodes into a Go `bool` struct field: only a resolved bool works; null ->
/// false (zero value); anything else is Err with yaml.v2's message, e.g.
/// "cannot unmarshal !!str `maybe` into bool".
pub fn decode_into_bool(text: &str, style: Style, tag: Option<&str>) -> Result<bool, String> {
    let node = decode_node(text, style, tag)?;
    match node.value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        _ => Err(type_error(&node, "bool")),
    }
}

/// Go `int` struct field: a resolved int; a `uint64` up to `i64::MAX`; a float up to 2^63,
/// truncated toward zero (yaml.v2 converts `int64(f)` without checking the fraction, so
/// `1.9` gives 1); null -> 0; else Err like "cannot unmarshal !!str `abc` into int".
pub fn decode_into_int(text: &str, style: Style, tag: Option<&str>) -> Result<i64, String> {
    let node = decode_node(text, style, tag)?;
    match node.value {
        Value::Null => Ok(0),
        ref v => numeric_to_int(v).ok_or_else(|| type_error(&node, "int")),
    }
}

/// Go `time.Duration` struct field: an int counts as nanoseconds (floats are truncated as for
/// `int`), a string is parsed with time.ParseDuration, null -> 0; anything else, or a string
/// ParseDuration rejects, is Err like "cannot unmarshal !!str `5 min` into time.Duration".
pub fn decode_into_duration(text: &str, style: Style, tag: Option<&str>) -> Result<i64, String> {
    let node = decode_node(text, style, tag)?;
    let parsed = match &node.value {
        Value::Null => Some(0),
        Value::Str(s) => go_parse_duration(s),
        Value::Bytes(b) => go_parse_duration(&String::from_utf8_lossy(b)),
        v => numeric_to_int(v),
    };
    parsed.ok_or_else(|| type_error(&node, "time.Duration"))
}

// ---------------------------------------------------------------------------------------
// decode.go: the scalar preamble and type errors

/// decode.go `scalar()` up to the point where the Go type matters.
fn decode_node<'a>(text: &'a str, style: Style, tag: Option<&str>) -> Result<Node<'a>, String> {
    let tag = long_tag(tag);
    // An untagged scalar that is not plain is not implicit: it is a string, unresolved.
    let (rtag, value) = if tag.is_empty() && style != Style::Plain {
        (STR_TAG.to_owned(), Value::Str(text.to_owned()))
    } else {
        go_resolve(&tag, text)?
    };
    let value = if rtag == BINARY_TAG {
        Value::Bytes(decode_base64(text).ok_or_else(|| BAD_BASE64.to_owned())?)
    } else {
        value
    };
    Ok(Node {
        text,
        tag,
        rtag,
        value,
    })
}

/// decode.go `terror`: the node's own tag wins over the resolved one; long values are cut to
/// their first 7 bytes.
fn type_error(node: &Node<'_>, go_type: &str) -> String {
    let tag = if node.tag.is_empty() {
        &node.rtag
    } else {
        &node.tag
    };
    let bytes = node.text.as_bytes();
    let shown = match bytes.get(..7) {
        Some(head) if bytes.len() > 10 => format!("{}...", String::from_utf8_lossy(head)),
        _ => node.text.to_owned(),
    };
    format!(
        "cannot unmarshal {} `{shown}` into {go_type}",
        short_tag(tag)
    )
}

/// The int-kind cases of decode.go `scalar()` for a 64-bit Go integer.
fn numeric_to_int(value: &Value) -> Option<i64> {
    match *value {
        Value::Int(i) => Some(i),
        Value::Uint(u) => i64::try_from(u).ok(),
        // `resolved <= math.MaxInt64` compares against 2^63 and rejects NaN.
        Value::Float(f) if f <= TWO_POW_63 => Some(go_float_to_int(f)),
        _ => None,
    }
}

/// Go's `int64(f)` on amd64: truncation, and `i64::MIN` when out of range.
fn go_float_to_int(f: f64) -> i64 {
    if (-TWO_POW_63..TWO_POW_63).contains(&f) {
        f as i64
    } else {
        i64::MIN
    }
}

fn bytes_or_text(bytes: Vec<u8>, text: &str) -> String {
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// Go's `encoding/base64.StdEncoding.DecodeString`: padding required, `\r` and `\n`
/// ignored, non-zero trailing bits tolerated.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let chars: Vec<u8> = text.bytes().filter(|&c| c != b'\r' && c != b'\n').collect();
    let quads = chars.chunks_exact(4);
    if !quads.remainder().is_empty() {
        return None;
    }
    let groups = quads.len();
    let mut out = Vec::with_capacity(groups * 3);
    for (i, quad) in quads.enumerate() {
        decode_quad(quad, i + 1 == groups, &mut out)?;
    }
    Some(out)
}

fn decode_quad(quad: &[u8], last: bool, out: &mut Vec<u8>) -> Option<()> {
    let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 || (pad > 0 && !last) {
        return None;
    }
    let mut acc: u32 = 0;
    for &c in quad.get(..4 - pad)? {
        acc = (acc << 6) | u32::from(base64_value(c)?);
    }
    for _ in 0..pad {
        acc <<= 6;
    }
    out.extend_from_slice(acc.to_be_bytes().get(1..4 - pad)?);
    Some(())
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// resolve.go

/// Expand `!!x` to the long form (the parser already does this; accepting both is harmless).
fn long_tag(tag: Option<&str>) -> String {
    match tag {
        Some(t) => match t.strip_prefix("!!") {
            Some(rest) => format!("{LONG_PREFIX}{rest}"),
            None => t.to_owned(),
        },
        None => String::new(),
    }
}

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(LONG_PREFIX) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_owned(),
    }
}

fn resolvable_tag(tag: &str) -> bool {
    tag.is_empty()
        || [
            STR_TAG,
            BOOL_TAG,
            INT_TAG,
            FLOAT_TAG,
            NULL_TAG,
            TIMESTAMP_TAG,
        ]
        .contains(&tag)
}

/// resolve.go `resolve(tag, in)`, including its deferred check that the result fits the tag.
fn go_resolve(tag: &str, text: &str) -> Result<(String, Value), String> {
    if !resolvable_tag(tag) {
        return Ok((tag.to_owned(), Value::Str(text.to_owned())));
    }
    let (rtag, value) = resolve_implicit(tag, text);
    if tag.is_empty() || tag == rtag || tag == STR_TAG {
        return Ok((rtag.to_owned(), value));
    }
    if let (FLOAT_TAG, Value::Int(i)) = (tag, &value) {
        return Ok((FLOAT_TAG.to_owned(), Value::Float(*i as f64)));
    }
    Err(format!(
        "cannot decode {} `{text}` as a {}",
        short_tag(rtag),
        short_tag(tag)
    ))
}

/// The body of resolve.go `resolve`: the first byte hints at what the text may be.
fn resolve_implicit(tag: &str, text: &str) -> (&'static str, Value) {
    let hint = text.as_bytes().first().map_or(b'N', |&c| hint_of(c));
    if hint != 0 && tag != STR_TAG && tag != BINARY_TAG {
        if let Some(found) = lookup_map(text) {
            return found;
        }
        let found = match hint {
            b'.' => go_parse_float(text).map(|f| (FLOAT_TAG, Value::Float(f))),
            b'D' | b'S' => resolve_number(tag, text),
            _ => None,
        };
        if let Some(found) = found {
            return found;
        }
    }
    (STR_TAG, Value::Str(text.to_owned()))
}

/// resolve.go `resolveTable`. It has no entry for `<`, so the `<<` entry of `resolveMap` is
/// never reached and a plain `<<` resolves to the string "<<".
fn hint_of(c: u8) -> u8 {
    match c {
        b'+' | b'-' => b'S',
        b'0'..=b'9' => b'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => b'M',
        b'.' => b'.',
        _ => 0,
    }
}

/// resolve.go `resolveMap`.
fn lookup_map(text: &str) -> Option<(&'static str, Value)> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (BOOL_TAG, Value::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (BOOL_TAG, Value::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (NULL_TAG, Value::Null),
        ".nan" | ".NaN" | ".NAN" => (FLOAT_TAG, Value::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (FLOAT_TAG, Value::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (FLOAT_TAG, Value::Float(f64::NEG_INFINITY)),
        _ => return None,
    })
}

/// The 'D' / 'S' branch: timestamp, int, uint, float, then yaml.v2's own `0b` handling.
fn resolve_number(tag: &str, text: &str) -> Option<(&'static str, Value)> {
    if (tag.is_empty() || tag == TIMESTAMP_TAG) && parse_timestamp(text) {
        return Some((TIMESTAMP_TAG, Value::Time));
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain, 0) {
        return Some((INT_TAG, Value::Int(i)));
    }
    if let Some(u) = go_parse_uint(&plain, 0) {
        return Some((INT_TAG, Value::Uint(u)));
    }
    let float = if yaml_style_float(plain.as_bytes()) {
        go_parse_float(&plain)
    } else {
        None
    };
    if let Some(f) = float {
        return Some((FLOAT_TAG, Value::Float(f)));
    }
    resolve_binary_prefix(&plain)
}

/// The `0b` / `-0b` fallbacks of resolve.go (only reachable for oddities such as `0b-101`,
/// since `ParseInt(s, 0, 64)` already reads `0b101`).
fn resolve_binary_prefix(plain: &str) -> Option<(&'static str, Value)> {
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Some(i) = go_parse_int(rest, 2) {
            return Some((INT_TAG, Value::Int(i)));
        }
        return go_parse_uint(rest, 2).map(|u| (INT_TAG, Value::Uint(u)));
    }
    let rest = plain.strip_prefix("-0b")?;
    go_parse_int(&format!("-{rest}"), 2).map(|i| (INT_TAG, Value::Int(i)))
}

/// resolve.go `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &[u8]) -> bool {
    let (_, s) = split_sign(s);
    let (mantissa, exponent) = match s.iter().position(|&c| c == b'e' || c == b'E') {
        Some(at) => (s.get(..at).unwrap_or_default(), s.get(at + 1..)),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.strip_prefix(b".") {
        Some(frac) => all_digits(frac),
        None => match mantissa.iter().position(|&c| c == b'.') {
            Some(dot) => {
                let (int, frac) = mantissa.split_at_checked(dot).unwrap_or_default();
                all_digits(int) && (frac.len() == 1 || all_digits(frac.get(1..).unwrap_or(b"x")))
            }
            None => all_digits(mantissa),
        },
    };
    mantissa_ok && exponent.is_none_or(|e| all_digits(split_sign(e).1))
}

/// Non-empty and all ASCII digits.
fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn split_sign(s: &[u8]) -> (bool, &[u8]) {
    match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    }
}

// ---------------------------------------------------------------------------------------
// strconv: ParseInt / ParseUint / ParseFloat

/// `strconv.ParseInt(s, base, 64)` for base 0 or 2 (callers never pass `_`).
fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, digits) = split_sign(s.as_bytes());
    let un = go_parse_uint_bytes(digits, base)?;
    if neg {
        0i64.checked_sub_unsigned(un)
    } else {
        i64::try_from(un).ok()
    }
}

/// `strconv.ParseUint(s, base, 64)` for base 0 or 2 (callers never pass `_`).
fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    go_parse_uint_bytes(s.as_bytes(), base)
}

fn go_parse_uint_bytes(s: &[u8], base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (radix, digits) = if base == 0 { base_prefix(s) } else { (base, s) };
    digits.iter().try_fold(0u64, |n, &c| {
        let d = char::from(c).to_digit(36).filter(|&d| d < radix)?;
        n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
    })
}

/// Base-0 prefixes: `0b`, `0o`, `0x` (any case, with at least one more byte), else a
/// leading `0` means octal.
fn base_prefix(s: &[u8]) -> (u32, &[u8]) {
    if s.first() != Some(&b'0') {
        return (10, s);
    }
    let radix = match s.get(1).map(u8::to_ascii_lowercase) {
        Some(b'b') if s.len() >= 3 => 2,
        Some(b'o') if s.len() >= 3 => 8,
        Some(b'x') if s.len() >= 3 => 16,
        _ => return (8, s.get(1..).unwrap_or_default()),
    };
    (radix, s.get(2..).unwrap_or_default())
}

/// `strconv.ParseFloat(s, 64)` for decimal text (the only kind yaml.v2 hands it here):
/// Go's syntax with `_` separators between digits; overflow is an error, underflow is 0.
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if !go_decimal_float_syntax(b) || (b.contains(&b'_') && !underscore_ok(b)) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let f: f64 = clean.parse().ok()?;
    f.is_finite().then_some(f)
}

/// strconv `readFloat` for base 10: sign, digits with at most one `.`, optional exponent;
/// all of the text must be consumed.
fn go_decimal_float_syntax(s: &[u8]) -> bool {
    let (_, s) = split_sign(s);
    let mut i = 0;
    let (mut saw_dot, mut saw_digits) = (false, false);
    while let Some(&c) = s.get(i) {
        match c {
            b'_' => {}
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return false;
    }
    match s.get(i) {
        None => true,
        Some(b'e' | b'E') => exponent_syntax(s.get(i + 1..).unwrap_or_default()),
        Some(_) => false,
    }
}

fn exponent_syntax(s: &[u8]) -> bool {
    let (_, s) = split_sign(s);
    s.first().is_some_and(u8::is_ascii_digit) && s.iter().all(|&c| c == b'_' || c.is_ascii_digit())
}

/// strconv `underscoreOK` (decimal): every `_` sits between two digits.
fn underscore_ok(s: &[u8]) -> bool {
    let (_, s) = split_sign(s);
    let mut saw = b'^';
    for &c in s {
        if c.is_ascii_digit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

// ---------------------------------------------------------------------------------------
// resolve.go parseTimestamp (time.Parse with yaml.v2's four layouts)

#[derive(Clone, Copy)]
enum Layout {
    /// "2006-1-2T15:4:5.999999999Z07:00" (and the same with a lower-case `t`).
    Zoned(u8),
    /// "2006-1-2 15:4:5.999999999"
    Spaced,
    /// "2006-1-2"
    DateOnly,
}

const LAYOUTS: [Layout; 4] = [
    Layout::Zoned(b'T'),
    Layout::Zoned(b't'),
    Layout::Spaced,
    Layout::DateOnly,
];

/// True when yaml.v2 would resolve `text` to a `!!timestamp`.
fn parse_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if lead != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    LAYOUTS.iter().any(|&layout| matches_layout(b, layout))
}

fn matches_layout(b: &[u8], layout: Layout) -> bool {
    let Some((year, month, day, rest)) = parse_date(b) else {
        return false;
    };
    let rest = match layout {
        Layout::DateOnly => Some(rest),
        Layout::Zoned(sep) => rest
            .strip_prefix(&[sep])
            .and_then(parse_clock)
            .and_then(parse_zone),
        Layout::Spaced => skip_spaces(rest).and_then(parse_clock),
    };
    rest.is_some_and(<[u8]>::is_empty) && day >= 1 && day <= days_in(month, year)
}

/// "2006-1-2": four-digit year, one- or two-digit month (1..=12) and day.
fn parse_date(b: &[u8]) -> Option<(u32, u32, u32, &[u8])> {
    let (year, rest) = b.split_at_checked(4)?;
    let year = year
        .iter()
        .try_fold(0u32, |y, &c| Some(y * 10 + u32::from(c.checked_sub(b'0')?)))?;
    let (month, rest) = getnum(rest.strip_prefix(b"-")?)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let (day, rest) = getnum(rest.strip_prefix(b"-")?)?;
    Some((year, month, day, rest))
}

/// "15:4:5.999999999": hour < 24, minute < 60, second < 60, optional fraction.
fn parse_clock(s: &[u8]) -> Option<&[u8]> {
    let (hour, s) = getnum(s)?;
    let (minute, s) = getnum(s.strip_prefix(b":")?)?;
    let (second, s) = getnum(s.strip_prefix(b":")?)?;
    if hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    match s {
        [b'.' | b',', d, ..] if d.is_ascii_digit() => {
            let frac = s.get(1..).unwrap_or_default();
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            frac.get(n..)
        }
        _ => Some(s),
    }
}

/// "Z07:00": `Z`, or a sign and `hh:mm` with hh <= 24 and mm <= 60.
fn parse_zone(s: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = s.strip_prefix(b"Z") {
        return Some(rest);
    }
    match s {
        [b'+' | b'-', h1, h2, b':', m1, m2, rest @ ..] => {
            let hh = two_digits(*h1, *h2)?;
            let mm = two_digits(*m1, *m2)?;
            (hh <= 24 && mm <= 60).then_some(rest)
        }
        _ => None,
    }
}

/// Go `skip` for a layout space: the value must start with a space (or be empty); runs of
/// spaces are consumed.
fn skip_spaces(s: &[u8]) -> Option<&[u8]> {
    if s.first().is_some_and(|&c| c != b' ') {
        return None;
    }
    let n = s.iter().take_while(|&&c| c == b' ').count();
    s.get(n..)
}

/// Go `getnum(s, false)`: one or two digits.
fn getnum(s: &[u8]) -> Option<(u32, &[u8])> {
    match s {
        [a, b, rest @ ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some((two_digits(*a, *b)?, rest))
        }
        [a, rest @ ..] if a.is_ascii_digit() => Some((u32::from(a - b'0'), rest)),
        _ => None,
    }
}

fn two_digits(a: u8, b: u8) -> Option<u32> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    } else {
        None
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    let leap = matches!((year % 4, year % 100, year % 400), (0, 1.., _) | (0, 0, 0));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------
// time.ParseDuration and Duration.String

/// One `[0-9]*(\.[0-9]*)?unit` element of a duration, in nanoseconds.
fn duration_component(s: &[u8]) -> Option<(u64, &[u8])> {
    let first = *s.first()?;
    if !(first == b'.' || first.is_ascii_digit()) {
        return None;
    }
    let (v, after_int) = leading_int(s)?;
    let pre = after_int.len() != s.len();
    let (f, scale, rest, post) = match after_int.strip_prefix(b".") {
        Some(after_dot) => {
            let (f, scale, rest) = leading_fraction(after_dot);
            (f, scale, rest, rest.len() != after_dot.len())
        }
        None => (0, 1.0, after_int, false),
    };
    if !pre && !post {
        return None;
    }
    let unit_len = rest
        .iter()
        .position(|&c| c == b'.' || c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (unit, rest) = rest.split_at_checked(unit_len)?;
    Some((scale_duration(v, f, scale, unit_ns(unit)?)?, rest))
}

fn scale_duration(v: u64, f: u64, scale: f64, unit: u64) -> Option<u64> {
    if v > (1u64 << 63) / unit {
        return None;
    }
    let mut v = v * unit;
    if f > 0 {
        // Go: v += uint64(float64(f) * (float64(unit) / scale))
        v = v.checked_add((f as f64 * (unit as f64 / scale)) as u64)?;
        if v > 1 << 63 {
            return None;
        }
    }
    Some(v)
}

fn unit_ns(unit: &[u8]) -> Option<u64> {
    match unit {
        b"ns" => Some(1),
        // "µs" (U+00B5 micro sign) and "μs" (U+03BC Greek mu)
        b"us" | b"\xC2\xB5s" | b"\xCE\xBCs" => Some(1_000),
        b"ms" => Some(1_000_000),
        b"s" => Some(1_000_000_000),
        b"m" => Some(60_000_000_000),
        b"h" => Some(3_600_000_000_000),
        _ => None,
    }
}

/// time `leadingInt`: digits up to 2^63, overflow is an error.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (digits, rest) = s.split_at_checked(n)?;
    let mut x: u64 = 0;
    for &c in digits {
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
    }
    Some((x, rest))
}

/// time `leadingFraction`: digits, stopping to accumulate precision on overflow.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (digits, rest) = s.split_at_checked(n).unwrap_or((s, &[]));
    let (mut x, mut scale, mut overflow) = (0u64, 1.0f64, false);
    for &c in digits {
        if overflow || x > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, rest)
}

/// Durations under a second: "0s", "999ns", "1.5µs", "1.000001ms".
fn format_sub_second(u: u64) -> String {
    if u == 0 {
        return "0s".to_owned();
    }
    let (prec, unit) = match u {
        0..1_000 => (0, "ns"),
        1_000..1_000_000 => (3, "µs"),
        _ => (6, "ms"),
    };
    let (frac, int) = split_fraction(u, prec);
    format!("{int}{frac}{unit}")
}

/// Durations of a second or more: "1.5s", "1m0s", "1h30m0s".
fn format_seconds_up(u: u64) -> String {
    let (frac, secs) = split_fraction(u, 9);
    let (s, mins) = (secs % 60, secs / 60);
    let (m, h) = (mins % 60, mins / 60);
    match (h, mins) {
        (_, 0) => format!("{s}{frac}s"),
        (0, _) => format!("{m}m{s}{frac}s"),
        _ => format!("{h}h{m}m{s}{frac}s"),
    }
}

/// time `fmtFrac`: ".ddd" for `v % 10^prec` without trailing zeros (empty when zero), and
/// `v / 10^prec`.
fn split_fraction(v: u64, prec: u32) -> (String, u64) {
    let pow = 10u64.pow(prec);
    let frac = v % pow;
    if frac == 0 {
        return (String::new(), v / pow);
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / pow)
}

// ---------------------------------------------------------------------------------------
// fmt %v of a float64: strconv.FormatFloat(f, 'g', -1, 64) plus fmt's sign handling

fn go_format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Go's Ryu.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    // strconv: %e when exp < -4 || exp >= eprec, and eprec is 6 for the shortest form.
    let body = if !(-4..6).contains(&exp) {
        format_exponent(&digits, exp)
    } else {
        format_fixed(&digits, exp + 1)
    };
    format!("{sign}{body}")
}

/// strconv `fmtE` with all shortest digits: "1.5e+06", "1e-05", "1e+100".
fn format_exponent(digits: &str, exp: i32) -> String {
    let (first, rest) = digits.split_at_checked(1).unwrap_or((digits, ""));
    let dot = if rest.is_empty() { "" } else { "." };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{first}{dot}{rest}e{esign}{:02}", exp.unsigned_abs())
}

/// strconv `fmtF` with all shortest digits; `dp` is the decimal point position.
fn format_fixed(digits: &str, dp: i32) -> String {
    let nd = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if dp <= 0 {
        let zeros = "0".repeat(dp.unsigned_abs() as usize);
        return format!("0.{zeros}{digits}");
    }
    if dp >= nd {
        return format!("{digits}{}", "0".repeat((dp - nd).unsigned_abs() as usize));
    }
    let (int, frac) = digits
        .split_at_checked(dp.unsigned_abs() as usize)
        .unwrap_or((digits, ""));
    format!("{int}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Style = Style::Plain;

    fn plain(text: &str) -> Scalar {
        resolve(text, P, None).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn tagged(text: &str, tag: &str) -> Result<Scalar, String> {
        resolve(text, P, Some(&format!("{LONG_PREFIX}{tag}")))
    }

    fn long(tag: &str) -> String {
        format!("{LONG_PREFIX}{tag}")
    }

    // --- booleans

    #[test]
    fn yes_on_y_are_true_in_yaml_1_1() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        ] {
            assert_eq!(plain(t), Scalar::Bool(true), "{t}");
        }
    }

    #[test]
    fn no_off_n_are_false_in_yaml_1_1() {
        for t in [
            "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        ] {
            assert_eq!(plain(t), Scalar::Bool(false), "{t}");
        }
    }

    #[test]
    fn mixed_case_yes_is_a_string() {
        for t in ["yES", "tRUE", "oN", "nO", "fALSE", "oFF", "yeS"] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn quoted_true_is_a_string() {
        for style in [Style::SingleQuoted, Style::DoubleQuoted] {
            assert_eq!(resolve("true", style, None), Ok(Scalar::Str("true".into())));
            assert_eq!(resolve("yes", style, None), Ok(Scalar::Str("yes".into())));
        }
    }

    #[test]
    fn block_scalars_are_never_resolved() {
        for style in [Style::Literal, Style::Folded] {
            assert_eq!(resolve("123", style, None), Ok(Scalar::Str("123".into())));
            assert_eq!(resolve("~", style, None), Ok(Scalar::Str("~".into())));
        }
    }

    // --- null

    #[test]
    fn tilde_null_and_empty_are_null() {
        for t in ["~", "null", "Null", "NULL", ""] {
            assert_eq!(plain(t), Scalar::Null, "{t:?}");
        }
    }

    #[test]
    fn mixed_case_null_is_a_string() {
        assert_eq!(plain("nULL"), Scalar::Str("nULL".into()));
    }

    #[test]
    fn quoted_empty_is_an_empty_string_not_null() {
        assert_eq!(
            resolve("", Style::DoubleQuoted, None),
            Ok(Scalar::Str(String::new()))
        );
    }

    // --- integers

    #[test]
    fn leading_zero_is_octal_0777_is_511() {
        assert_eq!(plain("0777"), Scalar::Int(511));
        assert_eq!(plain("-0777"), Scalar::Int(-511));
    }

    #[test]
    fn hex_0x10_is_16() {
        assert_eq!(plain("0x10"), Scalar::Int(16));
        assert_eq!(plain("0XfF"), Scalar::Int(255));
        assert_eq!(plain("-0x10"), Scalar::Int(-16));
    }

    #[test]
    fn go_prefixes_0o17_is_15_and_0b101_is_5() {
        assert_eq!(plain("0o17"), Scalar::Int(15));
        assert_eq!(plain("0O17"), Scalar::Int(15));
        assert_eq!(plain("0b101"), Scalar::Int(5));
        assert_eq!(plain("-0b101"), Scalar::Int(-5));
    }

    #[test]
    fn odd_binary_0b_minus_101_is_minus_5() {
        // strconv refuses it; resolve.go's own `0b` fallback parses "-101" in base 2.
        assert_eq!(plain("0b-101"), Scalar::Int(-5));
        assert_eq!(plain("0b+101"), Scalar::Int(5));
    }

    #[test]
    fn bare_prefixes_are_strings() {
        for t in ["0x", "0b", "0o", "0xg", "0b2", "0o8"] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn zero_and_double_zero_are_int_zero() {
        assert_eq!(plain("0"), Scalar::Int(0));
        assert_eq!(plain("00"), Scalar::Int(0));
        assert_eq!(plain("-0"), Scalar::Int(0));
        assert_eq!(plain("+0"), Scalar::Int(0));
    }

    #[test]
    fn invalid_octal_08_falls_through_to_float_8() {
        assert_eq!(plain("08"), Scalar::Float(8.0));
        assert_eq!(plain("0778"), Scalar::Float(778.0));
    }

    #[test]
    fn underscores_are_dropped_from_numbers() {
        assert_eq!(plain("1_000"), Scalar::Int(1000));
        assert_eq!(plain("1__0_"), Scalar::Int(10));
        assert_eq!(plain("0_7_7_7"), Scalar::Int(511));
        assert_eq!(plain("1_0.5"), Scalar::Float(10.5));
    }

    #[test]
    fn leading_underscore_is_a_string() {
        assert_eq!(plain("_1"), Scalar::Str("_1".into()));
    }

    #[test]
    fn plus_sign_is_accepted_plus_12_is_12() {
        assert_eq!(plain("+12"), Scalar::Int(12));
        assert_eq!(plain("-12"), Scalar::Int(-12));
    }

    #[test]
    fn lone_signs_are_strings() {
        for t in ["+", "-", "--1", "+-1"] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn int64_bounds_stay_int() {
        assert_eq!(plain("9223372036854775807"), Scalar::Int(i64::MAX));
        assert_eq!(plain("-9223372036854775808"), Scalar::Int(i64::MIN));
    }

    #[test]
    fn above_int64_becomes_uint64() {
        assert_eq!(plain("9223372036854775808"), Scalar::Uint(1 << 63));
        assert_eq!(plain("18446744073709551615"), Scalar::Uint(u64::MAX));
        assert_eq!(plain("0xffffffffffffffff"), Scalar::Uint(u64::MAX));
    }

    #[test]
    fn above_uint64_becomes_float() {
        assert_eq!(
            plain("18446744073709551616"),
            Scalar::Float(18_446_744_073_709_551_616.0)
        );
        assert_eq!(
            plain("-9223372036854775809"),
            Scalar::Float(-9_223_372_036_854_775_809.0)
        );
    }

    #[test]
    fn huge_hex_beyond_uint64_is_a_string() {
        assert_eq!(
            plain("0x1ffffffffffffffff"),
            Scalar::Str("0x1ffffffffffffffff".into())
        );
    }

    // --- floats

    #[test]
    fn exponent_1e3_is_float_1000() {
        assert_eq!(plain("1e3"), Scalar::Float(1000.0));
        assert_eq!(plain("1E3"), Scalar::Float(1000.0));
        assert_eq!(plain("1.5e+3"), Scalar::Float(1500.0));
        assert_eq!(plain("-2e-2"), Scalar::Float(-0.02));
    }

    #[test]
    fn decimal_forms_are_floats() {
        assert_eq!(plain("1.5"), Scalar::Float(1.5));
        assert_eq!(plain("1."), Scalar::Float(1.0));
        assert_eq!(plain(".5"), Scalar::Float(0.5));
        assert_eq!(plain("-.5"), Scalar::Float(-0.5));
        assert_eq!(plain("+.5"), Scalar::Float(0.5));
        assert_eq!(plain(".5e1"), Scalar::Float(5.0));
    }

    #[test]
    fn dot_floats_keep_go_underscore_rules() {
        assert_eq!(plain(".5_5"), Scalar::Float(0.55));
        assert_eq!(plain("._5"), Scalar::Str("._5".into()));
        assert_eq!(plain(".5_"), Scalar::Str(".5_".into()));
    }

    #[test]
    fn float_overflow_is_a_string() {
        assert_eq!(plain("1e999"), Scalar::Str("1e999".into()));
        assert_eq!(plain(".5e999"), Scalar::Str(".5e999".into()));
    }

    #[test]
    fn float_underflow_is_zero() {
        assert_eq!(plain("1e-999"), Scalar::Float(0.0));
    }

    #[test]
    fn inf_and_nan_variants() {
        for t in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] {
            assert_eq!(plain(t), Scalar::Float(f64::INFINITY), "{t}");
        }
        for t in ["-.inf", "-.Inf", "-.INF"] {
            assert_eq!(plain(t), Scalar::Float(f64::NEG_INFINITY), "{t}");
        }
        for t in [".nan", ".NaN", ".NAN"] {
            assert!(matches!(plain(t), Scalar::Float(f) if f.is_nan()), "{t}");
        }
    }

    #[test]
    fn other_inf_nan_spellings_are_strings() {
        for t in [".INf", "inf", "+inf", "NaN", "-.nan", ".nAn", "Infinity"] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn hex_float_and_sexagesimal_are_strings() {
        for t in ["0x1p3", "1:30", "190:20:30", "1.2.3", "1e", "1e+", "e3"] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    // --- strings and timestamps

    #[test]
    fn date_like_text_stays_a_string() {
        for t in [
            "2001-12-14",
            "2001-12-14T21:59:43.10-05:00",
            "2001-12-14 21:59:43.10",
        ] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn timestamp_detection_follows_go_time_parse() {
        assert!(parse_timestamp("2001-12-14"));
        assert!(parse_timestamp("2001-1-2"));
        assert!(parse_timestamp("2001-12-14T21:59:43.10-05:00"));
        assert!(parse_timestamp("2001-12-14t21:59:43Z"));
        assert!(parse_timestamp("2001-12-14   21:59:43,5"));
        assert!(parse_timestamp("2000-02-29"));
        assert!(!parse_timestamp("2001-02-29"));
        assert!(!parse_timestamp("2001-13-01"));
        assert!(!parse_timestamp("2001-12-14T21:59:43"));
        assert!(!parse_timestamp("2001-12-14 21:59:43.10 -5"));
        assert!(!parse_timestamp("2001-12-14T24:00:00Z"));
        assert!(!parse_timestamp("20011-12-14"));
        assert!(!parse_timestamp("2001-012-14"));
    }

    #[test]
    fn words_and_urls_are_strings() {
        for t in [
            "hello",
            "s3",
            "inmemory",
            "/var/lib/registry",
            "<<",
            "5m",
            "1h30m",
        ] {
            assert_eq!(plain(t), Scalar::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn multibyte_text_is_a_string() {
        assert_eq!(plain("ÿes"), Scalar::Str("ÿes".into()));
        assert_eq!(plain("1µs"), Scalar::Str("1µs".into()));
    }

    // --- merge key

    #[test]
    fn plain_double_angle_is_the_merge_key() {
        assert!(is_merge_key("<<", P, None));
        assert!(is_merge_key("<<", P, Some("!")));
        assert!(is_merge_key(
            "<<",
            Style::DoubleQuoted,
            Some(&long("merge"))
        ));
    }

    #[test]
    fn quoted_or_str_tagged_double_angle_is_not_a_merge_key() {
        assert!(!is_merge_key("<<", Style::DoubleQuoted, None));
        assert!(!is_merge_key("<<", P, Some(&long("str"))));
        assert!(!is_merge_key("<", P, None));
    }

    // --- explicit tags

    #[test]
    fn str_tag_forces_string() {
        assert_eq!(tagged("true", "str"), Ok(Scalar::Str("true".into())));
        assert_eq!(tagged("0777", "str"), Ok(Scalar::Str("0777".into())));
        assert_eq!(tagged("~", "str"), Ok(Scalar::Str("~".into())));
    }

    #[test]
    fn bool_tag_on_quoted_true_makes_a_bool() {
        let tag = long("bool");
        assert_eq!(
            resolve("true", Style::DoubleQuoted, Some(&tag)),
            Ok(Scalar::Bool(true))
        );
        assert_eq!(
            resolve("off", Style::SingleQuoted, Some(&tag)),
            Ok(Scalar::Bool(false))
        );
    }

    #[test]
    fn int_tag_on_quoted_number_makes_an_int() {
        let tag = long("int");
        assert_eq!(
            resolve("0x10", Style::DoubleQuoted, Some(&tag)),
            Ok(Scalar::Int(16))
        );
    }

    #[test]
    fn float_tag_converts_ints_to_float() {
        assert_eq!(tagged("12", "float"), Ok(Scalar::Float(12.0)));
        assert_eq!(tagged("0x10", "float"), Ok(Scalar::Float(16.0)));
        assert_eq!(tagged("1.5", "float"), Ok(Scalar::Float(1.5)));
    }

    #[test]
    fn float_tag_rejects_uint64() {
        assert_eq!(
            tagged("18446744073709551615", "float"),
            Err("cannot decode !!int `18446744073709551615` as a !!float".into())
        );
    }

    #[test]
    fn null_tag_accepts_only_null_text() {
        assert_eq!(tagged("~", "null"), Ok(Scalar::Null));
        assert_eq!(tagged("", "null"), Ok(Scalar::Null));
        assert_eq!(
            tagged("abc", "null"),
            Err("cannot decode !!str `abc` as a !!null".into())
        );
    }

    #[test]
    fn int_tag_on_text_is_an_error() {
        assert_eq!(
            tagged("abc", "int"),
            Err("cannot decode !!str `abc` as a !!int".into())
        );
        assert_eq!(
            tagged("1.5", "int"),
            Err("cannot decode !!float `1.5` as a !!int".into())
        );
        assert_eq!(
            tagged("", "int"),
            Err("cannot decode !!null `` as a !!int".into())
        );
    }

    #[test]
    fn bool_tag_on_number_is_an_error() {
        assert_eq!(
            tagged("1", "bool"),
            Err("cannot decode !!int `1` as a !!bool".into())
        );
        assert_eq!(
            tagged("maybe", "bool"),
            Err("cannot decode !!str `maybe` as a !!bool".into())
        );
    }

    #[test]
    fn tagged_date_is_not_a_timestamp_for_int() {
        assert_eq!(
            tagged("2001-01-01", "int"),
            Err("cannot decode !!str `2001-01-01` as a !!int".into())
        );
    }

    #[test]
    fn timestamp_tag_accepts_dates_only() {
        assert_eq!(
            tagged("2001-01-01", "timestamp"),
            Ok(Scalar::Str("2001-01-01".into()))
        );
        assert_eq!(
            tagged("12", "timestamp"),
            Err("cannot decode !!int `12` as a !!timestamp".into())
        );
    }

    #[test]
    fn short_tag_form_is_accepted_too() {
        assert_eq!(
            resolve("12", P, Some("!!str")),
            Ok(Scalar::Str("12".into()))
        );
        assert_eq!(
            resolve("yes", Style::DoubleQuoted, Some("!!bool")),
            Ok(Scalar::Bool(true))
        );
    }

    #[test]
    fn unknown_local_tag_makes_a_string_unresolved() {
        // yaml.v2's resolve() returns (tag, in) for any tag outside the core schema.
        assert_eq!(resolve("12", P, Some("!foo")), Ok(Scalar::Str("12".into())));
        assert_eq!(
            resolve("yes", P, Some("!foo")),
            Ok(Scalar::Str("yes".into()))
        );
        assert_eq!(resolve("~", P, Some("!")), Ok(Scalar::Str("~".into())));
    }

    #[test]
    fn binary_tag_decodes_base64() {
        assert_eq!(
            tagged("aGVsbG8=", "binary"),
            Ok(Scalar::Str("hello".into()))
        );
        assert_eq!(
            tagged("aGVs\nbG8=\n", "binary"),
            Ok(Scalar::Str("hello".into()))
        );
        assert_eq!(tagged("aGk=", "binary"), Ok(Scalar::Str("hi".into())));
        assert_eq!(tagged("aGV5", "binary"), Ok(Scalar::Str("hey".into())));
        assert_eq!(tagged("", "binary"), Ok(Scalar::Str(String::new())));
    }

    #[test]
    fn binary_non_utf8_keeps_the_original_text() {
        assert_eq!(tagged("//79", "binary"), Ok(Scalar::Str("//79".into())));
    }

    #[test]
    fn binary_invalid_base64_is_an_error() {
        for t in [
            "aGVsbG8",
            "aGVsbG8==",
            "a===",
            "====",
            "aG=k",
            "aGk=aGk=",
            "aGVs bG8=",
        ] {
            assert_eq!(tagged(t, "binary"), Err(BAD_BASE64.into()), "{t}");
        }
    }

    // --- Go helpers

    #[test]
    fn parse_bool_accepts_go_spellings_only() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(go_parse_bool(t), Some(true), "{t}");
        }
        for t in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(go_parse_bool(t), Some(false), "{t}");
        }
        for t in ["yes", "on", "tRUE", "", " true", "2"] {
            assert_eq!(go_parse_bool(t), None, "{t}");
        }
    }

    #[test]
    fn parse_duration_common_forms() {
        assert_eq!(go_parse_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(go_parse_duration("300ms"), Some(300_000_000));
        assert_eq!(go_parse_duration("-1.5h"), Some(-5_400_000_000_000));
        assert_eq!(go_parse_duration("+5s"), Some(5_000_000_000));
        assert_eq!(go_parse_duration("1.5µs"), Some(1500));
        assert_eq!(go_parse_duration("1μs"), Some(1000));
        assert_eq!(go_parse_duration("1us"), Some(1000));
        assert_eq!(go_parse_duration("1ns"), Some(1));
        assert_eq!(go_parse_duration(".5s"), Some(500_000_000));
        assert_eq!(go_parse_duration("5.s"), Some(5_000_000_000));
    }

    #[test]
    fn parse_duration_bare_zero_needs_no_unit() {
        assert_eq!(go_parse_duration("0"), Some(0));
        assert_eq!(go_parse_duration("-0"), Some(0));
        assert_eq!(go_parse_duration("5"), None);
        assert_eq!(go_parse_duration("00"), None);
    }

    #[test]
    fn parse_duration_rejects_bad_input() {
        for t in [
            "", "-", "s", ".s", "1x", "1 s", "1d", "1S", "1h ", "h1", "1.2.3s",
        ] {
            assert_eq!(go_parse_duration(t), None, "{t:?}");
        }
    }

    #[test]
    fn parse_duration_overflow_is_an_error() {
        assert_eq!(go_parse_duration("9223372036854775807ns"), Some(i64::MAX));
        assert_eq!(go_parse_duration("9223372036854775808ns"), None);
        assert_eq!(go_parse_duration("-9223372036854775808ns"), Some(i64::MIN));
        assert_eq!(go_parse_duration("2562048h"), None);
        assert_eq!(go_parse_duration("99999999999999999999s"), None);
    }

    #[test]
    fn parse_duration_keeps_go_wraparound_quirk() {
        // Go adds 2^63 + 2^63 in uint64 and gets 0 before its overflow check.
        let s = "9223372036854775808ns9223372036854775808ns";
        assert_eq!(go_parse_duration(s), Some(0));
    }

    #[test]
    fn parse_duration_long_fraction_is_truncated_not_an_error() {
        assert_eq!(
            go_parse_duration("1.0000000000000000000000001s"),
            Some(1_000_000_000)
        );
    }

    #[test]
    fn format_duration_matches_go() {
        assert_eq!(go_format_duration(5_400_000_000_000), "1h30m0s");
        assert_eq!(go_format_duration(0), "0s");
        assert_eq!(go_format_duration(1500), "1.5µs");
        assert_eq!(go_format_duration(1), "1ns");
        assert_eq!(go_format_duration(1_000_001), "1.000001ms");
        assert_eq!(go_format_duration(1_500_000_000), "1.5s");
        assert_eq!(go_format_duration(60_000_000_000), "1m0s");
        assert_eq!(go_format_duration(-300_000_000), "-300ms");
        assert_eq!(go_format_duration(i64::MAX), "2562047h47m16.854775807s");
        assert_eq!(go_format_duration(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn sprint_1e5_is_100000() {
        assert_eq!(go_sprint(&Scalar::Float(1e5)), "100000");
    }

    #[test]
    fn sprint_1e6_uses_exponent_like_go() {
        assert_eq!(go_sprint(&Scalar::Float(1e6)), "1e+06");
        assert_eq!(go_sprint(&Scalar::Float(1_234_567.8)), "1.2345678e+06");
        assert_eq!(go_sprint(&Scalar::Float(1e21)), "1e+21");
        assert_eq!(go_sprint(&Scalar::Float(1e100)), "1e+100");
    }

    #[test]
    fn sprint_small_floats() {
        assert_eq!(go_sprint(&Scalar::Float(0.5)), "0.5");
        assert_eq!(go_sprint(&Scalar::Float(0.0001)), "0.0001");
        assert_eq!(go_sprint(&Scalar::Float(0.00001)), "1e-05");
        assert_eq!(go_sprint(&Scalar::Float(-1.5)), "-1.5");
        assert_eq!(go_sprint(&Scalar::Float(123.456)), "123.456");
        assert_eq!(go_sprint(&Scalar::Float(1000.0)), "1000");
        assert_eq!(go_sprint(&Scalar::Float(0.1 + 0.2)), "0.30000000000000004");
    }

    #[test]
    fn sprint_special_floats() {
        assert_eq!(go_sprint(&Scalar::Float(f64::INFINITY)), "+Inf");
        assert_eq!(go_sprint(&Scalar::Float(f64::NEG_INFINITY)), "-Inf");
        assert_eq!(go_sprint(&Scalar::Float(f64::NAN)), "NaN");
        assert_eq!(go_sprint(&Scalar::Float(0.0)), "0");
        assert_eq!(go_sprint(&Scalar::Float(-0.0)), "-0");
    }

    #[test]
    fn sprint_other_values() {
        assert_eq!(go_sprint(&Scalar::Null), "<nil>");
        assert_eq!(go_sprint(&Scalar::Bool(true)), "true");
        assert_eq!(go_sprint(&Scalar::Int(-7)), "-7");
        assert_eq!(go_sprint(&Scalar::Uint(u64::MAX)), "18446744073709551615");
        assert_eq!(go_sprint(&Scalar::Str("x y".into())), "x y");
    }

    #[test]
    fn sprint_of_resolved_octal_is_decimal() {
        assert_eq!(go_sprint(&plain("0777")), "511");
        assert_eq!(go_sprint(&plain("1e3")), "1000");
        assert_eq!(go_sprint(&plain("yes")), "true");
    }

    // --- typed decoding

    #[test]
    fn string_field_keeps_literal_text() {
        for t in ["0123", "yes", "1e3", "0x10", "2001-01-01", ".inf", "<<"] {
            assert_eq!(decode_into_string(t, P, None), Ok(t.to_owned()), "{t}");
        }
    }

    #[test]
    fn string_field_null_is_empty() {
        assert_eq!(decode_into_string("~", P, None), Ok(String::new()));
        assert_eq!(decode_into_string("null", P, None), Ok(String::new()));
        assert_eq!(
            decode_into_string("~", Style::DoubleQuoted, None),
            Ok("~".into())
        );
    }

    #[test]
    fn string_field_binary_is_decoded() {
        let tag = long("binary");
        assert_eq!(decode_into_string("aGk=", P, Some(&tag)), Ok("hi".into()));
        assert_eq!(
            decode_into_string("aGk", P, Some(&tag)),
            Err(BAD_BASE64.into())
        );
    }

    #[test]
    fn string_field_tag_mismatch_is_an_error() {
        assert_eq!(
            decode_into_string("abc", P, Some(&long("int"))),
            Err("cannot decode !!str `abc` as a !!int".into())
        );
    }

    #[test]
    fn bool_field_accepts_yaml_1_1_bools() {
        assert_eq!(decode_into_bool("yes", P, None), Ok(true));
        assert_eq!(decode_into_bool("Off", P, None), Ok(false));
        assert_eq!(decode_into_bool("~", P, None), Ok(false));
        assert_eq!(decode_into_bool("", P, None), Ok(false));
    }

    #[test]
    fn bool_field_rejects_strings_and_numbers() {
        let err = |t: &str, tag: &str| Err(format!("cannot unmarshal {tag} `{t}` into bool"));
        assert_eq!(decode_into_bool("maybe", P, None), err("maybe", "!!str"));
        assert_eq!(decode_into_bool("1", P, None), err("1", "!!int"));
        assert_eq!(decode_into_bool("1.0", P, None), err("1.0", "!!float"));
        assert_eq!(
            decode_into_bool("true", Style::DoubleQuoted, None),
            err("true", "!!str")
        );
        assert_eq!(
            decode_into_bool("2001-01-01", P, None),
            err("2001-01-01", "!!timestamp")
        );
    }

    #[test]
    fn bool_field_error_names_the_explicit_tag() {
        assert_eq!(
            decode_into_bool("true", P, Some(&long("str"))),
            Err("cannot unmarshal !!str `true` into bool".into())
        );
        assert_eq!(
            decode_into_bool("true", P, Some("!foo")),
            Err("cannot unmarshal !foo `true` into bool".into())
        );
    }

    #[test]
    fn type_error_truncates_long_values() {
        assert_eq!(
            decode_into_bool("abcdefghijk", P, None),
            Err("cannot unmarshal !!str `abcdefg...` into bool".into())
        );
        assert_eq!(
            decode_into_bool("abcdefghij", P, None),
            Err("cannot unmarshal !!str `abcdefghij` into bool".into())
        );
    }

    #[test]
    fn type_error_truncation_never_splits_into_a_panic() {
        let err = decode_into_bool("ééééééééé", P, None).unwrap_err();
        assert!(err.starts_with("cannot unmarshal !!str `ééé"), "{err}");
    }

    #[test]
    fn int_field_accepts_ints_and_octal() {
        assert_eq!(decode_into_int("42", P, None), Ok(42));
        assert_eq!(decode_into_int("0777", P, None), Ok(511));
        assert_eq!(decode_into_int("~", P, None), Ok(0));
    }

    #[test]
    fn int_field_truncates_floats() {
        assert_eq!(decode_into_int("1.9", P, None), Ok(1));
        assert_eq!(decode_into_int("-1.9", P, None), Ok(-1));
        assert_eq!(decode_into_int("1e3", P, None), Ok(1000));
        assert_eq!(decode_into_int("-.inf", P, None), Ok(i64::MIN));
    }

    #[test]
    fn int_field_rejects_too_large_and_nan() {
        assert_eq!(
            decode_into_int("18446744073709551615", P, None),
            Err("cannot unmarshal !!int `1844674...` into int".into())
        );
        assert_eq!(
            decode_into_int(".inf", P, None),
            Err("cannot unmarshal !!float `.inf` into int".into())
        );
        assert_eq!(
            decode_into_int(".nan", P, None),
            Err("cannot unmarshal !!float `.nan` into int".into())
        );
    }

    #[test]
    fn int_field_rejects_strings_and_bools() {
        assert_eq!(
            decode_into_int("abc", P, None),
            Err("cannot unmarshal !!str `abc` into int".into())
        );
        assert_eq!(
            decode_into_int("yes", P, None),
            Err("cannot unmarshal !!bool `yes` into int".into())
        );
        assert_eq!(
            decode_into_int("42", Style::DoubleQuoted, None),
            Err("cannot unmarshal !!str `42` into int".into())
        );
    }

    #[test]
    fn duration_int_is_nanoseconds() {
        assert_eq!(decode_into_duration("10", P, None), Ok(10));
        assert_eq!(decode_into_duration("1e9", P, None), Ok(1_000_000_000));
        assert_eq!(decode_into_duration("1.5", P, None), Ok(1));
    }

    #[test]
    fn duration_string_is_parsed_with_parse_duration() {
        assert_eq!(
            decode_into_duration("1h30m", P, None),
            Ok(5_400_000_000_000)
        );
        assert_eq!(
            decode_into_duration("300ms", Style::DoubleQuoted, None),
            Ok(300_000_000)
        );
        assert_eq!(decode_into_duration("0", Style::SingleQuoted, None), Ok(0));
    }

    #[test]
    fn duration_null_is_zero() {
        assert_eq!(decode_into_duration("~", P, None), Ok(0));
        assert_eq!(decode_into_duration("", P, None), Ok(0));
    }

    #[test]
    fn duration_rejects_bad_strings_and_bools() {
        assert_eq!(
            decode_into_duration("5 min", P, None),
            Err("cannot unmarshal !!str `5 min` into time.Duration".into())
        );
        assert_eq!(
            decode_into_duration("yes", P, None),
            Err("cannot unmarshal !!bool `yes` into time.Duration".into())
        );
        assert_eq!(
            decode_into_duration("5", Style::DoubleQuoted, None),
            Err("cannot unmarshal !!str `5` into time.Duration".into())
        );
    }

    #[test]
    fn duration_from_binary_text_is_parsed() {
        assert_eq!(
            decode_into_duration("MXM=", P, Some(&long("binary"))),
            Ok(1_000_000_000)
        );
    }

    #[test]
    fn duration_under_unknown_tag_is_parsed_as_string() {
        assert_eq!(
            decode_into_duration("2s", P, Some("!foo")),
            Ok(2_000_000_000)
        );
    }

    #[test]
    fn scalar_serializes_with_type_and_value() {
        let json = serde_json::to_string(&Scalar::Int(5)).unwrap_or_default();
        assert_eq!(json, r#"{"type":"int","value":5}"#);
        let json = serde_json::to_string(&Scalar::Null).unwrap_or_default();
        assert_eq!(json, r#"{"type":"null"}"#);
        let json = serde_json::to_string(&Style::DoubleQuoted).unwrap_or_default();
        assert_eq!(json, r#""double-quoted""#);
    }

    #[test]
    fn no_panic_on_awkward_input() {
        let inputs = [
            "",
            "-",
            "+",
            ".",
            "0",
            "0b",
            "-0b",
            "0x",
            "é",
            "1é",
            "-é",
            "2001-",
            "2001-1",
            "2001-1-",
            "2001-1-2T",
            "2001-1-2T1:2:3.",
            "2001-1-2T1:2:3+",
            "2001-1-2 ",
            "9999-99-99",
            "1_",
            "_",
            ".e1",
            "1e_1",
            "\u{0}",
            "💥",
            "1💥s",
        ];
        for t in inputs {
            for style in [P, Style::DoubleQuoted] {
                let _ = resolve(t, style, None);
                let _ = decode_into_bool(t, style, None);
                let _ = decode_into_int(t, style, None);
                let _ = decode_into_duration(t, style, None);
                let _ = decode_into_string(t, style, Some(&long("binary")));
                let _ = go_parse_duration(t);
            }
        }
    }
}
