//! A validator of HTTP requests against GitHub's official OpenAPI description (npm
//! `@octokit/openapi`, `generated/api.github.com.json`), for the subset of OpenAPI 3.0 that
//! description uses on requests: path templates, path and query parameters, and JSON request
//! bodies (`$ref` into `components`, `nullable`, `oneOf`/`anyOf`/`allOf`, `enum`, `required`,
//! `properties`, `additionalProperties`, `type`, `items`, `minItems`/`maxItems`,
//! `minLength`/`maxLength`).
//!
//! One deliberate strictness beyond the description: a body property the schema does not list
//! is an error even when `additionalProperties` is not given. GitHub silently ignores such a
//! field, which is exactly how a misspelt field would go unnoticed.

use std::path::PathBuf;

use serde_json::Value;

/// Where `.ci/run` installs the description.
pub fn description_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("node_modules/@octokit/openapi/generated/api.github.com.json")
}

enum Seg {
    Lit(String),
    Param(String),
}

struct Route {
    template: String,
    segs: Vec<Seg>,
}

/// Parameter values by name.
type Params = Vec<(String, String)>;

/// The loaded description.
pub struct OpenApi {
    doc: Value,
    routes: Vec<Route>,
}

fn split(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x` as decoded pairs.
pub fn query_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

impl OpenApi {
    /// Loads the description, or says why it cannot.
    pub fn load() -> Result<OpenApi, String> {
        let path = description_path();
        let text = std::fs::read(&path).map_err(|e| {
            format!(
                "{}: {e} (install it with `npm install --no-save --no-audit --no-fund @octokit/openapi`, as .ci/run does)",
                path.display()
            )
        })?;
        let doc: Value =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let routes = doc["paths"]
            .as_object()
            .ok_or("no paths in the description")?
            .keys()
            .map(|t| Route {
                template: t.clone(),
                segs: split(t)
                    .into_iter()
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(p) => Seg::Param(p.to_string()),
                            None => Seg::Lit(s.to_string()),
                        },
                    )
                    .collect(),
            })
            .collect();
        Ok(OpenApi { doc, routes })
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        let mut cur = v;
        for _ in 0..16 {
            let Some(r) = cur.get("$ref").and_then(Value::as_str) else {
                return cur;
            };
            let mut node = &self.doc;
            for part in r.trim_start_matches("#/").split('/') {
                node = &node[part.replace("~1", "/").replace("~0", "~")];
            }
            cur = node;
        }
        cur
    }

    /// The route matching `path` (most literal segments wins) and its parameter values. The
    /// last parameter of a template may span several segments (`contents/{path}`,
    /// `git/ref/{ref}`), as on GitHub.
    fn route(&self, path: &str) -> Option<(&Route, Params)> {
        let segs = split(path);
        let mut best: Option<(&Route, Params, usize)> = None;
        for r in &self.routes {
            let mut params = Vec::new();
            let mut ok = true;
            let mut lits = 0;
            for (i, s) in r.segs.iter().enumerate() {
                let last = i == r.segs.len() - 1;
                match s {
                    Seg::Lit(l) => {
                        if segs.get(i) != Some(&l.as_str()) {
                            ok = false;
                            break;
                        }
                        lits += 1;
                    }
                    Seg::Param(p) => {
                        let Some(v) = segs.get(i).filter(|v| !v.is_empty()) else {
                            ok = false;
                            break;
                        };
                        let v = if last {
                            segs[i..].join("/")
                        } else {
                            (*v).to_string()
                        };
                        params.push((p.clone(), percent_decode(&v)));
                    }
                }
            }
            let exact_len = segs.len() == r.segs.len();
            let spans = matches!(r.segs.last(), Some(Seg::Param(_))) && segs.len() > r.segs.len();
            if ok && (exact_len || spans) {
                let score = lits * 2 + usize::from(exact_len);
                if best.as_ref().is_none_or(|b| score > b.2) {
                    best = Some((r, params, score));
                }
            }
        }
        best.map(|(r, p, _)| (r, p))
    }

    /// Checks one request; the error says what does not match the description.
    pub fn validate(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<(), String> {
        let (route, path_params) = self
            .route(path)
            .ok_or_else(|| format!("{method} {path}: no such path in GitHub's API"))?;
        let item = &self.doc["paths"][&route.template];
        let op = item
            .get(method.to_ascii_lowercase())
            .ok_or_else(|| format!("{method} {}: method not in GitHub's API", route.template))?;
        let what = format!("{method} {}", route.template);
        let mut params: Vec<&Value> = Vec::new();
        for list in [item.get("parameters"), op.get("parameters")]
            .into_iter()
            .flatten()
        {
            params.extend(
                list.as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| self.resolve(p)),
            );
        }
        let mut errors = Vec::new();
        for p in &params {
            let name = p["name"].as_str().unwrap_or_default();
            let (given, location) = match p["in"].as_str() {
                Some("path") => (
                    path_params.iter().find(|(k, _)| k == name).map(|(_, v)| v),
                    "path",
                ),
                Some("query") => (
                    query.iter().find(|(k, _)| k == name).map(|(_, v)| v),
                    "query",
                ),
                _ => continue,
            };
            match given {
                None if p["required"] == Value::Bool(true) => {
                    errors.push(format!("required {location} parameter {name} is missing"))
                }
                None => {}
                Some(v) => {
                    let typed = coerce(self.resolve(&p["schema"]), v);
                    self.check(
                        &p["schema"],
                        &typed,
                        &format!("{location} parameter {name}"),
                        &mut errors,
                    );
                }
            }
        }
        for (k, _) in query {
            let declared = params
                .iter()
                .any(|p| p["in"] == "query" && p["name"].as_str() == Some(k.as_str()));
            if !declared {
                errors.push(format!("query parameter {k} is not declared"));
            }
        }
        let rb = op.get("requestBody").map(|b| self.resolve(b));
        match (rb, body) {
            (None, Some(_)) => errors.push("a body is sent but the operation takes none".into()),
            (Some(rb), None) if rb["required"] == Value::Bool(true) => {
                errors.push("the operation requires a body".into())
            }
            (Some(rb), Some(b)) => {
                let schema = &rb["content"]["application/json"]["schema"];
                if schema.is_null() {
                    errors.push("the operation takes no JSON body".into());
                } else {
                    self.check(schema, b, "body", &mut errors);
                }
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: {}", errors.join("; ")))
        }
    }

    fn matches(&self, schema: &Value, v: &Value, at: &str) -> bool {
        let mut e = Vec::new();
        self.check(schema, v, at, &mut e);
        e.is_empty()
    }

    /// Validates `v` against `schema`, pushing one message per problem.
    pub fn check(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let s = self.resolve(schema);
        if s.is_null() || s == &Value::Bool(true) {
            return;
        }
        if v.is_null() {
            let nullable = s["nullable"] == Value::Bool(true)
                || s["enum"]
                    .as_array()
                    .is_some_and(|e| e.contains(&Value::Null));
            if !nullable && (s.get("type").is_some() || s.get("properties").is_some()) {
                errors.push(format!("{at}: null is not allowed"));
            }
            return;
        }
        if let Some(all) = s["allOf"].as_array() {
            for sub in all {
                self.check(sub, v, at, errors);
            }
        }
        if let Some(any) = s["anyOf"].as_array() {
            if !any.iter().any(|sub| self.matches(sub, v, at)) {
                errors.push(format!("{at}: matches none of anyOf"));
            }
        }
        if let Some(one) = s["oneOf"].as_array() {
            let n = one.iter().filter(|sub| self.matches(sub, v, at)).count();
            if n != 1 {
                errors.push(format!("{at}: matches {n} of oneOf, not exactly one ({v})"));
            }
        }
        if let Some(t) = s["type"].as_str() {
            let ok = match t {
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: {v} is not of type {t}"));
                return;
            }
        }
        if let Some(e) = s["enum"].as_array() {
            if !e.contains(v) {
                errors.push(format!(
                    "{at}: {v} is not one of {}",
                    Value::Array(e.clone())
                ));
            }
        }
        if let Some(text) = v.as_str() {
            let n = text.chars().count() as u64;
            if s["maxLength"].as_u64().is_some_and(|m| n > m) {
                errors.push(format!("{at}: longer than {}", s["maxLength"]));
            }
            if s["minLength"].as_u64().is_some_and(|m| n < m) {
                errors.push(format!("{at}: shorter than {}", s["minLength"]));
            }
        }
        if let Some(items) = v.as_array() {
            let n = items.len() as u64;
            if s["minItems"].as_u64().is_some_and(|m| n < m) {
                errors.push(format!("{at}: fewer than {} items", s["minItems"]));
            }
            if s["maxItems"].as_u64().is_some_and(|m| n > m) {
                errors.push(format!("{at}: more than {} items", s["maxItems"]));
            }
            if s.get("items").is_some() {
                for (i, item) in items.iter().enumerate() {
                    self.check(&s["items"], item, &format!("{at}[{i}]"), errors);
                }
            }
        }
        if let Some(obj) = v.as_object() {
            for r in s["required"].as_array().into_iter().flatten() {
                if let Some(k) = r.as_str() {
                    if !obj.contains_key(k) {
                        errors.push(format!("{at}: required property {k} is missing"));
                    }
                }
            }
            let props = s["properties"].as_object();
            for (k, val) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.check(ps, val, &format!("{at}.{k}"), errors),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(true)) => {}
                        Some(ap) if ap.is_object() => {
                            self.check(ap, val, &format!("{at}.{k}"), errors)
                        }
                        // Strict (see the module docs): an unlisted property is an error
                        // when the schema lists properties.
                        _ if props.is_some() => {
                            errors.push(format!("{at}: property {k} is not in the schema"))
                        }
                        _ => {}
                    },
                }
            }
        }
    }
}

/// A query or path parameter's text as the JSON value its schema expects.
fn coerce(schema: &Value, text: &str) -> Value {
    match schema["type"].as_str() {
        Some("integer") => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.into())),
        Some("boolean") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.into()),
        },
        _ => Value::String(text.into()),
    }
}
