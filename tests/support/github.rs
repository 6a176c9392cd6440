//! A stateful fake of the GitHub REST API on 127.0.0.1, for the remediation tests.
//!
//! It holds repositories with labels, issues and pull requests (a pull request is an issue
//! with a head and a base, as on GitHub), comments, commits with their trees, branches and the
//! contents API on top, with GitHub's semantics where regdrift depends on them: numbers shared
//! by issues and pull requests, labels created on use, 404 for what does not exist, 422 for a
//! branch or label that exists already or a pull request without commits, 409 for a stale
//! file sha, fast-forward-only ref updates unless forced.
//!
//! Every request is checked against GitHub's OpenAPI description ([`super::openapi`]); a
//! request that does not match is answered 400 and recorded in [`Fake::violations`], which the
//! tests assert empty. Faults can be injected per method and path: 5xx, 429 with
//! `Retry-After`, 403 secondary rate limit, and a connection dropped before or after the
//! request took effect.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

use super::openapi::{self, OpenApi};

/// What a fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this 5xx status, without applying the request.
    Status(u16),
    /// 429 with `Retry-After: 1`.
    TooMany,
    /// 403 "You have exceeded a secondary rate limit" with `Retry-After: 1`.
    Secondary,
    /// 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` and a reset one second
    /// from now (the primary limit is exhausted).
    Exhausted,
    /// Close the connection without applying the request or answering.
    DropBefore,
    /// Apply the request, then close the connection without answering.
    DropAfter,
}

#[derive(Debug, Clone)]
struct Fault {
    method: String,
    path_suffix: String,
    kind: FaultKind,
    remaining: usize,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: String,
    pub status: u16,
    /// When the request arrived.
    pub at: std::time::Instant,
}

impl Recorded {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
    pub open: bool,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    /// Head and base branch of a pull request.
    pub pull: Option<(String, String)>,
    pub merged: bool,
    /// Head commit when the pull request was closed.
    pub closed_head: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
}

#[derive(Debug, Clone)]
struct Commit {
    parent: Option<String>,
    tree: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct Repo {
    pub default_branch: String,
    pub labels: BTreeMap<String, (u64, String, String)>,
    pub issues: BTreeMap<u64, Issue>,
    pub comments: Vec<Comment>,
    pub refs: BTreeMap<String, String>,
    commits: BTreeMap<String, Commit>,
}

#[derive(Default)]
struct State {
    repos: BTreeMap<String, Repo>,
    log: Vec<Recorded>,
    faults: Vec<Fault>,
    violations: Vec<String>,
    next_id: u64,
}

/// The running fake.
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
}

fn sha_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..40].to_string()
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 15 == 0 {
            out.push('\n'); // GitHub wraps at 60 characters
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            out.push(if k <= chunk.len() {
                A[(n >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// Decodes base64 (the contents API's `content`).
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// The description, loaded once per test binary (None: missing, with the reason).
fn description() -> &'static Result<OpenApi, String> {
    static API: OnceLock<Result<OpenApi, String>> = OnceLock::new();
    API.get_or_init(OpenApi::load)
}

/// Whether requests are validated; says why not (and fails under
/// `REGDRIFT_REQUIRE_VALIDATORS=1`) when the description is missing.
pub fn validator() -> Option<&'static OpenApi> {
    match description() {
        Ok(api) => Some(api),
        Err(why) => {
            if std::env::var("REGDRIFT_REQUIRE_VALIDATORS").as_deref() == Ok("1") {
                panic!("REGDRIFT_REQUIRE_VALIDATORS=1: GitHub's OpenAPI description: {why}");
            }
            eprintln!("skipping OpenAPI validation of requests: {why}");
            None
        }
    }
}

struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        body,
        headers: Vec::new(),
    }
}

fn not_found() -> Reply {
    reply(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
    )
}

fn unprocessable(message: &str) -> Reply {
    reply(
        422,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
}

impl Fake {
    /// Starts the fake with no repositories.
    pub fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..State::default()
        }));
        let api = validator();
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(conn, &st, api));
            }
        });
        Fake { url, state }
    }

    /// Adds a repository whose default branch holds `files`.
    pub fn repo(&self, name: &str, default_branch: &str, files: &[(&str, &str)]) {
        let mut st = self.state.lock().unwrap();
        let tree: BTreeMap<String, Vec<u8>> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect();
        let mut repo = Repo {
            default_branch: default_branch.into(),
            ..Repo::default()
        };
        let sha = sha_of(format!("root {name} {tree:?}").as_bytes());
        repo.commits
            .insert(sha.clone(), Commit { parent: None, tree });
        repo.refs.insert(default_branch.into(), sha);
        st.repos.insert(name.into(), repo);
    }

    /// Adds a label (a repository's own labels).
    pub fn add_label(&self, repo: &str, name: &str) {
        let mut st = self.state.lock().unwrap();
        st.next_id += 1;
        let id = st.next_id;
        let r = st.repos.get_mut(repo).unwrap();
        r.labels
            .insert(name.into(), (id, "ededed".into(), String::new()));
    }

    /// Adds an issue (someone else's, or an older tool's).
    pub fn add_issue(&self, repo: &str, title: &str, body: &str, labels: &[&str], open: bool) {
        let mut st = self.state.lock().unwrap();
        st.next_id += 1;
        let id = st.next_id;
        let r = st.repos.get_mut(repo).unwrap();
        let number = r.issues.len() as u64 + 1;
        r.issues.insert(
            number,
            Issue {
                number,
                id,
                title: title.into(),
                body: body.into(),
                open,
                state_reason: None,
                labels: labels.iter().map(|l| l.to_string()).collect(),
                pull: None,
                merged: false,
                closed_head: None,
            },
        );
    }

    /// Removes every label of an issue or pull request (as someone editing it by hand).
    pub fn strip_labels(&self, repo: &str, number: u64) {
        let mut st = self.state.lock().unwrap();
        let r = st.repos.get_mut(repo).unwrap();
        r.issues.get_mut(&number).unwrap().labels.clear();
    }

    pub fn inject(&self, method: &str, path_suffix: &str, kind: FaultKind, times: usize) {
        self.state.lock().unwrap().faults.push(Fault {
            method: method.into(),
            path_suffix: path_suffix.into(),
            kind,
            remaining: times,
        });
    }

    /// Injected faults not (fully) triggered yet, as `METHOD suffix kind`.
    pub fn pending_faults(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .faults
            .iter()
            .filter(|f| f.remaining > 0)
            .map(|f| format!("{} {} {:?}", f.method, f.path_suffix, f.kind))
            .collect()
    }

    pub fn clear_faults(&self) {
        self.state.lock().unwrap().faults.clear();
    }

    /// Every request received so far.
    pub fn log(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().log.clone()
    }

    /// Requests that did not match GitHub's OpenAPI description.
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }

    pub fn issues(&self, repo: &str) -> Vec<Issue> {
        let st = self.state.lock().unwrap();
        st.repos[repo].issues.values().cloned().collect()
    }

    pub fn comments(&self, repo: &str, number: u64) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.repos[repo]
            .comments
            .iter()
            .filter(|c| c.issue == number)
            .map(|c| c.body.clone())
            .collect()
    }

    pub fn branches(&self, repo: &str) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.repos[repo].refs.keys().cloned().collect()
    }

    pub fn labels(&self, repo: &str) -> BTreeSet<String> {
        let st = self.state.lock().unwrap();
        st.repos[repo].labels.keys().cloned().collect()
    }

    /// A file on a branch.
    pub fn file(&self, repo: &str, branch: &str, path: &str) -> Option<String> {
        let st = self.state.lock().unwrap();
        let r = &st.repos[repo];
        let sha = r.refs.get(branch)?;
        r.commits[sha]
            .tree
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// Commits `files` on `branch` (a person editing the GitOps repository).
    pub fn commit(&self, repo: &str, branch: &str, files: &[(&str, &str)]) {
        let mut st = self.state.lock().unwrap();
        let r = st.repos.get_mut(repo).unwrap();
        let parent = r.refs[branch].clone();
        let mut tree = r.commits[&parent].tree.clone();
        for (p, c) in files {
            tree.insert(p.to_string(), c.as_bytes().to_vec());
        }
        let sha = sha_of(format!("{parent} {tree:?}").as_bytes());
        r.commits.insert(
            sha.clone(),
            Commit {
                parent: Some(parent),
                tree,
            },
        );
        r.refs.insert(branch.into(), sha);
    }

    /// Merges pull request `number` (its head's tree becomes the base's).
    pub fn merge(&self, repo: &str, number: u64) {
        let mut st = self.state.lock().unwrap();
        let r = st.repos.get_mut(repo).unwrap();
        let issue = r.issues.get_mut(&number).unwrap();
        let (head, base) = issue.pull.clone().unwrap();
        issue.open = false;
        issue.merged = true;
        let head_sha = r.refs[&head].clone();
        r.refs.insert(base, head_sha);
    }
}

fn serve(conn: TcpStream, st: &Mutex<State>, api: Option<&OpenApi>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let mut length = 0usize;
        let mut auth = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "authorization" => auth = Some(v.trim().to_string()),
                    "transfer-encoding" => panic!("chunked request bodies are not supported"),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let (path, query) = (path.to_string(), query.to_string());
        let out = handle(st, api, &method, &path, &query, &body, auth.is_some());
        let Some(r) = out else {
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        };
        let text = if r.body.is_null() {
            String::new()
        } else {
            r.body.to_string()
        };
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
            r.status,
            text.len()
        );
        for (k, v) in &r.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

/// Handles one request; None: drop the connection.
fn handle(
    st: &Mutex<State>,
    api: Option<&OpenApi>,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
    authorized: bool,
) -> Option<Reply> {
    let mut st = st.lock().unwrap();
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_str(body) {
            Ok(v) => Some(v),
            Err(e) => {
                st.violations
                    .push(format!("{method} {path}: body is not JSON: {e}"));
                None
            }
        }
    };
    let pairs = openapi::query_pairs(query);
    let mut rec = Recorded {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        body: body.into(),
        status: 0,
        at: std::time::Instant::now(),
    };
    if let Some(api) = api {
        if let Err(e) = api.validate(method, path, &pairs, json_body.as_ref()) {
            st.violations.push(e.clone());
            rec.status = 400;
            st.log.push(rec);
            return Some(reply(
                400,
                json!({"message": format!("fake: does not match the OpenAPI description: {e}")}),
            ));
        }
    }
    if !authorized {
        rec.status = 401;
        st.log.push(rec);
        return Some(reply(401, json!({"message": "Requires authentication"})));
    }
    let fault = st
        .faults
        .iter_mut()
        .find(|f| f.remaining > 0 && f.method == method && path.ends_with(&f.path_suffix))
        .map(|f| {
            f.remaining -= 1;
            f.kind
        });
    let out = match fault {
        Some(FaultKind::Status(s)) => Some(reply(s, json!({"message": "Server Error"}))),
        Some(FaultKind::TooMany) => Some(Reply {
            status: 429,
            body: json!({"message": "Too Many Requests"}),
            headers: vec![("retry-after", "1".into())],
        }),
        Some(FaultKind::Secondary) => Some(Reply {
            status: 403,
            body: json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
            headers: vec![("retry-after", "1".into())],
        }),
        Some(FaultKind::Exhausted) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            Some(Reply {
                status: 403,
                body: json!({"message": "API rate limit exceeded for installation."}),
                headers: vec![
                    ("x-ratelimit-limit", "5000".into()),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", (now + 1).to_string()),
                ],
            })
        }
        Some(FaultKind::DropBefore) => None,
        Some(FaultKind::DropAfter) => {
            let _ = route(&mut st, method, path, &pairs, json_body.as_ref());
            None
        }
        None => Some(route(&mut st, method, path, &pairs, json_body.as_ref())),
    };
    rec.status = out.as_ref().map_or(0, |r| r.status);
    st.log.push(rec);
    out
}

fn q<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn page(items: Vec<Value>, pairs: &[(String, String)]) -> Value {
    let per: usize = q(pairs, "per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let page: usize = q(pairs, "page").and_then(|v| v.parse().ok()).unwrap_or(1);
    Value::Array(items.into_iter().skip((page - 1) * per).take(per).collect())
}

fn issue_json(repo: &str, r: &Repo, i: &Issue) -> Value {
    let labels: Vec<Value> = i
        .labels
        .iter()
        .map(|l| {
            let (id, color, description) = r.labels.get(l).cloned().unwrap_or_default();
            json!({"id": id, "name": l, "color": color, "description": description})
        })
        .collect();
    let mut v = json!({
        "id": i.id,
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": if i.open { "open" } else { "closed" },
        "state_reason": i.state_reason,
        "labels": labels,
        "html_url": format!("https://github.example/{repo}/issues/{}", i.number),
    });
    if i.pull.is_some() {
        v["pull_request"] =
            json!({"url": format!("https://api.github.example/repos/{repo}/pulls/{}", i.number)});
    }
    v
}

fn pull_json(repo: &str, r: &Repo, i: &Issue) -> Value {
    let (head, base) = i.pull.clone().unwrap_or_default();
    let mut v = issue_json(repo, r, i);
    v["head"] = json!({"ref": head, "sha": r.refs.get(&head).cloned().unwrap_or_default(), "label": format!("{}:{head}", repo.split('/').next().unwrap())});
    v["base"] = json!({"ref": base, "sha": r.refs.get(&base).cloned().unwrap_or_default()});
    v["merged_at"] = if i.merged {
        json!("2026-12-01T00:00:00Z")
    } else {
        Value::Null
    };
    v.as_object_mut().unwrap().remove("pull_request");
    v
}

fn is_ancestor(r: &Repo, old: &str, new: &str) -> bool {
    let mut cur = Some(new.to_string());
    while let Some(c) = cur {
        if c == old {
            return true;
        }
        cur = r.commits.get(&c).and_then(|c| c.parent.clone());
    }
    false
}

fn route(
    st: &mut State,
    method: &str,
    path: &str,
    pairs: &[(String, String)],
    body: Option<&Value>,
) -> Reply {
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("%3A", ":").replace("%2F", "/"))
        .collect();
    if segs.len() < 3 || segs[0] != "repos" {
        return not_found();
    }
    let name = format!("{}/{}", segs[1], segs[2]);
    st.next_id += 1;
    let id = st.next_id;
    let Some(r) = st.repos.get_mut(&name) else {
        return not_found();
    };
    let rest: Vec<&str> = segs[3..].iter().map(String::as_str).collect();
    let b = body.cloned().unwrap_or(Value::Null);
    let s = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_string);
    if s("body").is_some_and(|t| t.chars().count() > 65_536) {
        return unprocessable("Validation Failed: body is too long (maximum is 65536 characters)");
    }
    let label_list = |b: &Value| -> Vec<String> {
        b.get("labels")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| {
                        l.as_str()
                            .or_else(|| l.get("name")?.as_str())
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    match (method, rest.as_slice()) {
        ("GET", []) => reply(
            200,
            json!({"id": 1, "name": segs[2], "full_name": name, "default_branch": r.default_branch, "private": true}),
        ),
        ("GET", ["labels"]) => {
            let all = r
                .labels
                .iter()
                .map(|(n, (id, c, d))| json!({"id": id, "name": n, "color": c, "description": d}))
                .collect();
            reply(200, page(all, pairs))
        }
        ("GET", ["labels", l]) => match r.labels.get(*l) {
            Some((id, c, d)) => reply(
                200,
                json!({"id": id, "name": l, "color": c, "description": d}),
            ),
            None => not_found(),
        },
        ("POST", ["labels"]) => {
            let n = s("name").unwrap_or_default();
            if r.labels.contains_key(&n) {
                return unprocessable("Validation Failed: already_exists");
            }
            r.labels.insert(
                n.clone(),
                (
                    id,
                    s("color").unwrap_or_default(),
                    s("description").unwrap_or_default(),
                ),
            );
            reply(201, json!({"id": id, "name": n}))
        }
        ("GET", ["issues"]) => {
            let want: Vec<&str> = q(pairs, "labels")
                .map(|l| l.split(',').collect())
                .unwrap_or_default();
            let state = q(pairs, "state").unwrap_or("open");
            let all = r
                .issues
                .values()
                .rev()
                .filter(|i| want.iter().all(|w| i.labels.iter().any(|l| l == w)))
                .filter(|i| state == "all" || (state == "open") == i.open)
                .map(|i| issue_json(&name, r, i))
                .collect();
            reply(200, page(all, pairs))
        }
        ("POST", ["issues"]) => {
            let labels = label_list(&b);
            for l in &labels {
                r.labels
                    .entry(l.clone())
                    .or_insert((id, "ededed".into(), String::new()));
            }
            let number = r.issues.len() as u64 + 1;
            let issue = Issue {
                number,
                id,
                title: s("title").unwrap_or_default(),
                body: s("body").unwrap_or_default(),
                open: true,
                state_reason: None,
                labels,
                pull: None,
                merged: false,
                closed_head: None,
            };
            let v = issue_json(&name, r, &issue);
            r.issues.insert(number, issue);
            reply(201, v)
        }
        ("PATCH", ["issues", n]) => {
            let Some(mut issue) = n.parse().ok().and_then(|n: u64| r.issues.get(&n).cloned())
            else {
                return not_found();
            };
            if let Some(t) = s("title") {
                issue.title = t;
            }
            if let Some(t) = s("body") {
                issue.body = t;
            }
            if b.get("labels").is_some() {
                issue.labels = label_list(&b);
                for l in &issue.labels {
                    r.labels
                        .entry(l.clone())
                        .or_insert((id, "ededed".into(), String::new()));
                }
            }
            match s("state").as_deref() {
                Some("open") if issue.merged => {
                    return unprocessable(
                        "Validation Failed: state cannot be changed. The pull request has been merged.",
                    );
                }
                Some("open") => {
                    let head_now = issue.pull.as_ref().and_then(|(h, _)| r.refs.get(h));
                    if let (Some(then), Some(now)) = (&issue.closed_head, head_now) {
                        if !is_ancestor(r, then, now) {
                            return unprocessable(
                                "Validation Failed: state cannot be changed. The head branch was force-pushed or recreated.",
                            );
                        }
                    }
                    issue.open = true;
                    issue.state_reason = Some("reopened".into());
                }
                Some("closed") => {
                    issue.open = false;
                    issue.state_reason = s("state_reason").or(Some("completed".into()));
                    issue.closed_head = issue
                        .pull
                        .as_ref()
                        .and_then(|(h, _)| r.refs.get(h).cloned());
                }
                _ => {}
            }
            let v = issue_json(&name, r, &issue);
            r.issues.insert(issue.number, issue);
            reply(200, v)
        }
        ("PUT", ["issues", n, "labels"]) => {
            let Some(mut issue) = n.parse().ok().and_then(|n: u64| r.issues.get(&n).cloned())
            else {
                return not_found();
            };
            issue.labels = label_list(&b);
            for l in &issue.labels {
                r.labels
                    .entry(l.clone())
                    .or_insert((id, "ededed".into(), String::new()));
            }
            let v = issue_json(&name, r, &issue)["labels"].clone();
            r.issues.insert(issue.number, issue);
            reply(200, v)
        }
        ("GET", ["issues", n, "comments"]) => {
            let Some(n) = n.parse::<u64>().ok().filter(|n| r.issues.contains_key(n)) else {
                return not_found();
            };
            let all = r
                .comments
                .iter()
                .filter(|c| c.issue == n)
                .map(|c| json!({"id": c.id, "body": c.body}))
                .collect();
            reply(200, page(all, pairs))
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(n) = n.parse::<u64>().ok().filter(|n| r.issues.contains_key(n)) else {
                return not_found();
            };
            r.comments.push(Comment {
                id,
                issue: n,
                body: s("body").unwrap_or_default(),
            });
            reply(201, json!({"id": id, "body": s("body")}))
        }
        ("GET", ["git", "ref", "heads", branch @ ..]) => {
            let branch = branch.join("/");
            match r.refs.get(&branch) {
                Some(sha) => reply(
                    200,
                    json!({"ref": format!("refs/heads/{branch}"), "object": {"sha": sha, "type": "commit"}}),
                ),
                None => not_found(),
            }
        }
        ("POST", ["git", "refs"]) => {
            let full = s("ref").unwrap_or_default();
            let sha = s("sha").unwrap_or_default();
            let Some(branch) = full.strip_prefix("refs/heads/") else {
                return unprocessable("Reference name must start with refs/heads/");
            };
            if r.refs.contains_key(branch) {
                return unprocessable("Reference already exists");
            }
            if !r.commits.contains_key(&sha) {
                return unprocessable("Object does not exist");
            }
            r.refs.insert(branch.to_string(), sha.clone());
            reply(
                201,
                json!({"ref": full, "object": {"sha": sha, "type": "commit"}}),
            )
        }
        ("PATCH", ["git", "refs", "heads", branch @ ..]) => {
            let branch = branch.join("/");
            let sha = s("sha").unwrap_or_default();
            let Some(old) = r.refs.get(&branch).cloned() else {
                return unprocessable("Reference does not exist");
            };
            if !r.commits.contains_key(&sha) {
                return unprocessable("Object does not exist");
            }
            let force = b.get("force").and_then(Value::as_bool).unwrap_or(false);
            if !force && !is_ancestor(r, &old, &sha) {
                return unprocessable("Update is not a fast forward");
            }
            r.refs.insert(branch.clone(), sha.clone());
            reply(
                200,
                json!({"ref": format!("refs/heads/{branch}"), "object": {"sha": sha, "type": "commit"}}),
            )
        }
        ("GET", ["contents", file @ ..]) => {
            let file = file.join("/");
            let branch = q(pairs, "ref").map_or(r.default_branch.clone(), str::to_string);
            let Some(tip) = r.refs.get(&branch) else {
                return not_found();
            };
            match r.commits[tip].tree.get(&file) {
                Some(c) => reply(
                    200,
                    json!({"type": "file", "encoding": "base64", "path": file, "name": file.rsplit('/').next(), "size": c.len(), "sha": sha_of(c), "content": b64(c)}),
                ),
                None => not_found(),
            }
        }
        ("PUT", ["contents", file @ ..]) => {
            let file = file.join("/");
            let branch = s("branch").unwrap_or(r.default_branch.clone());
            let Some(tip) = r.refs.get(&branch).cloned() else {
                return not_found();
            };
            let Some(content) = s("content").and_then(|c| unb64(&c)) else {
                return unprocessable("content is not valid Base64");
            };
            let mut tree = r.commits[&tip].tree.clone();
            match (tree.get(&file), s("sha")) {
                (Some(_), None) => {
                    return unprocessable("Invalid request.\n\n\"sha\" wasn't supplied.");
                }
                (Some(old), Some(sha)) if sha_of(old) != sha => {
                    return reply(
                        409,
                        json!({"message": format!("{file} does not match {sha}")}),
                    );
                }
                _ => {}
            }
            let created = !tree.contains_key(&file);
            let blob = sha_of(&content);
            tree.insert(file.clone(), content);
            let commit = sha_of(format!("{tip} {tree:?} {id}").as_bytes());
            r.commits.insert(
                commit.clone(),
                Commit {
                    parent: Some(tip),
                    tree,
                },
            );
            r.refs.insert(branch, commit.clone());
            reply(
                if created { 201 } else { 200 },
                json!({"content": {"path": file, "sha": blob}, "commit": {"sha": commit}}),
            )
        }
        ("GET", ["pulls"]) => {
            let state = q(pairs, "state").unwrap_or("open");
            let head =
                q(pairs, "head").map(|h| h.split_once(':').map_or(h, |(_, b)| b).to_string());
            let all = r
                .issues
                .values()
                .rev()
                .filter(|i| i.pull.is_some())
                .filter(|i| {
                    head.as_ref()
                        .is_none_or(|h| i.pull.as_ref().is_some_and(|(ph, _)| ph == h))
                })
                .filter(|i| state == "all" || (state == "open") == i.open)
                .map(|i| pull_json(&name, r, i))
                .collect();
            reply(200, page(all, pairs))
        }
        ("POST", ["pulls"]) => {
            let head = s("head").unwrap_or_default();
            let base = s("base").unwrap_or_default();
            let (Some(hs), Some(bs)) = (r.refs.get(&head).cloned(), r.refs.get(&base).cloned())
            else {
                return unprocessable("Validation Failed: head or base does not exist");
            };
            if is_ancestor(r, &hs, &bs) {
                return unprocessable(&format!(
                    "Validation Failed: No commits between {base} and {head}"
                ));
            }
            if r.issues
                .values()
                .any(|i| i.open && i.pull == Some((head.clone(), base.clone())))
            {
                return unprocessable(&format!(
                    "Validation Failed: A pull request already exists for {head}."
                ));
            }
            let number = r.issues.len() as u64 + 1;
            let issue = Issue {
                number,
                id,
                title: s("title").unwrap_or_default(),
                body: s("body").unwrap_or_default(),
                open: true,
                state_reason: None,
                labels: Vec::new(),
                pull: Some((head, base)),
                merged: false,
                closed_head: None,
            };
            let v = pull_json(&name, r, &issue);
            r.issues.insert(number, issue);
            reply(201, v)
        }
        _ => not_found(),
    }
}
