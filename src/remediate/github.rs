//! The GitHub REST client of remediation: octocrab for transport (rustls with ring, base URL
//! configurable for GitHub Enterprise Server and tests), with pacing and retries of its own.
//!
//! Invariants:
//! - The token comes from the environment (the caller reads it) and goes only into octocrab's
//!   authorization header: it is never formatted into a message or a log line.
//! - Writes are paced: two write requests are at least `write_interval` apart (GitHub asks
//!   for about a second between content-creating requests).
//! - Retries happen on 5xx, 429, secondary rate limits (403/429 whose message mentions a
//!   secondary rate limit or abuse detection), primary limit exhaustion
//!   (`x-ratelimit-remaining: 0`) and dropped connections, up to `max_retries` times. The wait
//!   is `Retry-After` when given, else until `x-ratelimit-reset` when the limit is exhausted,
//!   else a minute for a secondary limit, else an exponential backoff from one second.
//! - GET, PATCH and PUT-with-recheck are repeated as they are; a POST that creates something
//!   is repeated only after re-reading GitHub finds that the first attempt did not create it
//!   (a 502 may hide a success), so no retry ever makes a duplicate.
//!
//! octocrab's own `retry` feature is off: it resends POSTs at once and ignores `Retry-After`.
//! No rustls crypto provider needs installing for it: octocrab takes the process default when
//! one is installed and otherwise builds its connector with ring's provider itself.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use octocrab::Octocrab;
use serde_json::{Value, json};

use super::RemediateError;
use super::plan::{FileState, Item, PullState};

/// Longest wait for a rate-limit reset before giving up.
const MAX_RESET_WAIT: Duration = Duration::from_secs(15 * 60);

/// How a request is repeated after a retryable failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Patch,
    Put,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
        }
    }
}

/// A response that is final (not retried): status and JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
}

/// A failure that may be retried, and how long to wait first.
struct Retryable {
    wait: Duration,
    message: String,
}

type Recheck<'a, T> = Pin<Box<dyn Future<Output = Result<Option<T>, RemediateError>> + Send + 'a>>;

/// GitHub access for one run.
pub struct Client {
    octo: Octocrab,
    write_interval: Duration,
    max_retries: u32,
    last_write: tokio::sync::Mutex<Option<Instant>>,
    writes: AtomicUsize,
}

/// Percent-encodes a path segment (a label name, a branch, a file path keeps its slashes).
fn enc(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard base64 with padding (the contents API's encoding).
pub fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn label_names(v: &Value) -> Vec<String> {
    v.get("labels")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn secondary_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("secondary rate limit") || m.contains("abuse")
}

fn header_u64(resp_headers: &[(String, String)], name: &str) -> Option<u64> {
    resp_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// How long to wait before retrying a response, or None when it is final. `now` is Unix
/// seconds (for `x-ratelimit-reset`).
fn retry_wait(
    status: u16,
    message: &str,
    headers: &[(String, String)],
    attempt: u32,
    now: u64,
) -> Option<Duration> {
    let retry_after = header_u64(headers, "retry-after").map(Duration::from_secs);
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    let until_reset = header_u64(headers, "x-ratelimit-reset")
        .map(|reset| Duration::from_secs(reset.saturating_sub(now) + 1));
    let secondary = secondary_limit(message);
    let limited = matches!(status, 403 | 429) && (secondary || exhausted);
    if !(status >= 500 || status == 429 || limited) {
        return None;
    }
    Some(if let Some(w) = retry_after {
        w
    } else if let (true, Some(w)) = (exhausted, until_reset) {
        w
    } else if secondary {
        // GitHub: without a Retry-After, wait at least a minute after a secondary limit.
        Duration::from_secs(60)
    } else {
        backoff(attempt)
    })
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5))
}

impl Client {
    /// A client for `api_url` authenticating with `token` (a personal access token or a
    /// GitHub App installation token, sent as a bearer token).
    pub fn new(
        api_url: &str,
        token: String,
        write_interval: Duration,
        max_retries: u32,
    ) -> Result<Client, RemediateError> {
        let b = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| RemediateError::Client {
                url: api_url.into(),
                message: e.to_string(),
            })?
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .personal_token(token);
        let octo = b.build().map_err(|e| RemediateError::Client {
            url: api_url.into(),
            message: e.to_string(),
        })?;
        Ok(Client {
            octo,
            write_interval,
            max_retries,
            last_write: tokio::sync::Mutex::new(None),
            writes: AtomicUsize::new(0),
        })
    }

    /// Write requests sent so far (attempts included).
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::Relaxed)
    }

    async fn pace(&self) {
        let mut last = self.last_write.lock().await;
        if let Some(t) = *last {
            let since = t.elapsed();
            if since < self.write_interval {
                tokio::time::sleep(self.write_interval - since).await;
            }
        }
        *last = Some(Instant::now());
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// One attempt: a final reply, or a retryable failure.
    async fn once(
        &self,
        m: Method,
        path: &str,
        body: Option<&Value>,
        attempt: u32,
    ) -> Result<Reply, Retryable> {
        if m != Method::Get {
            self.pace().await;
        }
        let sent = match m {
            Method::Get => self.octo._get(path).await,
            Method::Post => self.octo._post(path, body).await,
            Method::Patch => self.octo._patch(path, body).await,
            Method::Put => self.octo._put(path, body).await,
        };
        let resp = sent.map_err(|e| Retryable {
            wait: backoff(attempt),
            message: format!("request failed: {e}"),
        })?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter(|(k, _)| {
                let k = k.as_str();
                k == "retry-after" || k.starts_with("x-ratelimit-")
            })
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let text = self
            .octo
            .body_to_string(resp)
            .await
            .map_err(|e| Retryable {
                wait: backoff(attempt),
                message: format!("reading the response failed: {e}"),
            })?;
        let json: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        let message = json
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Some(wait) = retry_wait(status, &message, &headers, attempt, now) {
            return Err(Retryable {
                wait,
                message: format!("HTTP {status}: {message}"),
            });
        }
        Ok(Reply { status, json })
    }

    /// Sends a request, retrying as the module docs say. `recheck` (POST and PUT) is asked
    /// after a failed attempt whether the write took effect anyway.
    async fn send<'a>(
        &'a self,
        m: Method,
        path: &str,
        body: Option<&Value>,
        recheck: Option<&(dyn Fn() -> Recheck<'a, Reply> + Sync + 'a)>,
    ) -> Result<Reply, RemediateError> {
        let mut attempt = 0;
        loop {
            match self.once(m, path, body, attempt).await {
                Ok(reply) => return Ok(reply),
                Err(r) => {
                    if attempt >= self.max_retries {
                        return Err(RemediateError::GaveUp {
                            method: m.name(),
                            path: path.to_string(),
                            attempts: attempt + 1,
                            message: r.message,
                        });
                    }
                    if r.wait > MAX_RESET_WAIT {
                        return Err(RemediateError::GaveUp {
                            method: m.name(),
                            path: path.to_string(),
                            attempts: attempt + 1,
                            message: format!(
                                "{}; the rate limit resets in {} s, run again later",
                                r.message,
                                r.wait.as_secs()
                            ),
                        });
                    }
                    tokio::time::sleep(r.wait).await;
                    if let Some(check) = recheck {
                        if let Some(done) = check().await? {
                            return Ok(done);
                        }
                    }
                    attempt += 1;
                }
            }
        }
    }

    async fn get(&self, path: &str) -> Result<Reply, RemediateError> {
        self.send(Method::Get, path, None, None).await
    }

    fn ok(&self, m: Method, path: &str, r: Reply, accept: &[u16]) -> Result<Value, RemediateError> {
        if (200..300).contains(&r.status) || accept.contains(&r.status) {
            Ok(r.json)
        } else {
            Err(RemediateError::Refused {
                method: m.name(),
                path: path.to_string(),
                status: r.status,
                message: r
                    .json
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
        }
    }

    async fn get_json(&self, path: &str) -> Result<Option<Value>, RemediateError> {
        let r = self.get(path).await?;
        if r.status == 404 {
            return Ok(None);
        }
        self.ok(Method::Get, path, r, &[]).map(Some)
    }

    /// Every page of a list endpoint (`path` may have a query already).
    async fn pages(&self, path: &str) -> Result<Vec<Value>, RemediateError> {
        let mut out = Vec::new();
        for page in 1.. {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = format!("{path}{sep}per_page=100&page={page}");
            let Some(v) = self.get_json(&p).await? else {
                return Err(RemediateError::Refused {
                    method: "GET",
                    path: p,
                    status: 404,
                    message: "not found (check the repository name and the token's access)".into(),
                });
            };
            let items = v.as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }

    // ----- reads -------------------------------------------------------------------------

    /// The repository's default branch.
    pub async fn default_branch(&self, repo: &str) -> Result<String, RemediateError> {
        let path = format!("/repos/{repo}");
        let v = self.get_json(&path).await?.ok_or(RemediateError::Refused {
            method: "GET",
            path,
            status: 404,
            message: "repository not found (check the name and the token's access)".into(),
        })?;
        Ok(str_of(&v, "default_branch"))
    }

    /// Names of the repository's labels.
    pub async fn labels(&self, repo: &str) -> Result<BTreeSet<String>, RemediateError> {
        let all = self.pages(&format!("/repos/{repo}/labels")).await?;
        Ok(all.iter().map(|l| str_of(l, "name")).collect())
    }

    /// Issues and pull requests labelled `regdrift`, open and closed.
    pub async fn items(&self, repo: &str) -> Result<Vec<Item>, RemediateError> {
        self.items_at(&format!(
            "/repos/{repo}/issues?labels={}&state=all",
            super::body::LABEL
        ))
        .await
    }

    /// Every open issue and pull request, labelled or not: read only before creating one, to
    /// find an item of ours whose `regdrift` label someone removed (its marker is still there).
    pub async fn open_items(&self, repo: &str) -> Result<Vec<Item>, RemediateError> {
        self.items_at(&format!("/repos/{repo}/issues?state=open"))
            .await
    }

    async fn items_at(&self, path: &str) -> Result<Vec<Item>, RemediateError> {
        let all = self.pages(path).await?;
        Ok(all
            .iter()
            .map(|i| Item {
                number: i.get("number").and_then(Value::as_u64).unwrap_or_default(),
                title: str_of(i, "title"),
                body: str_of(i, "body"),
                open: str_of(i, "state") == "open",
                labels: label_names(i),
                pull: i.get("pull_request").is_some_and(|p| !p.is_null()),
                last_comment: None,
            })
            .collect())
    }

    /// Body of the newest comment of an issue or pull request.
    pub async fn last_comment(
        &self,
        repo: &str,
        number: u64,
    ) -> Result<Option<String>, RemediateError> {
        let all = self
            .pages(&format!("/repos/{repo}/issues/{number}/comments"))
            .await?;
        Ok(all.last().map(|c| str_of(c, "body")))
    }

    /// Tip of a branch, if it exists.
    pub async fn branch_sha(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<String>, RemediateError> {
        let v = self
            .get_json(&format!(
                "/repos/{repo}/git/ref/heads/{}",
                enc(branch, true)
            ))
            .await?;
        Ok(v.and_then(|v| v.get("object")?.get("sha")?.as_str().map(str::to_string)))
    }

    /// A file on a branch, if it exists.
    pub async fn file(
        &self,
        repo: &str,
        path: &str,
        branch: &str,
    ) -> Result<Option<FileState>, RemediateError> {
        let p = format!(
            "/repos/{repo}/contents/{}?ref={}",
            enc(path.trim_start_matches('/'), true),
            enc(branch, false)
        );
        let Some(v) = self.get_json(&p).await? else {
            return Ok(None);
        };
        if v.is_array() || str_of(&v, "type") != "file" {
            return Err(RemediateError::Refused {
                method: "GET",
                path: p,
                status: 200,
                message: format!("{path} is not a file in {repo}"),
            });
        }
        if str_of(&v, "encoding") != "base64" {
            return Err(RemediateError::Refused {
                method: "GET",
                path: p,
                status: 200,
                message: format!("{path} is too large for the contents API (over 1 MB)"),
            });
        }
        let content = crate::source::base64::decode(&str_of(&v, "content")).map_err(|e| {
            RemediateError::Refused {
                method: "GET",
                path: p.clone(),
                status: 200,
                message: format!("content is not base64: {e}"),
            }
        })?;
        Ok(Some(FileState {
            content,
            sha: str_of(&v, "sha"),
        }))
    }

    /// The newest pull request whose head is `branch` of the same repository.
    pub async fn pull_for(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<PullState>, RemediateError> {
        let owner = repo.split('/').next().unwrap_or_default();
        let all = self
            .pages(&format!(
                "/repos/{repo}/pulls?state=all&head={}",
                enc(&format!("{owner}:{branch}"), false)
            ))
            .await?;
        Ok(all
            .iter()
            .filter(|p| {
                p.get("head")
                    .and_then(|h| h.get("ref"))
                    .and_then(Value::as_str)
                    == Some(branch)
            })
            .max_by_key(|p| p.get("number").and_then(Value::as_u64))
            .map(|p| PullState {
                number: p.get("number").and_then(Value::as_u64).unwrap_or_default(),
                open: str_of(p, "state") == "open",
                merged: p.get("merged_at").is_some_and(|m| !m.is_null()),
                title: str_of(p, "title"),
                body: str_of(p, "body"),
                labels: label_names(p),
                last_comment: None,
            }))
    }

    // ----- writes ------------------------------------------------------------------------

    pub async fn create_label(
        &self,
        repo: &str,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<(), RemediateError> {
        let path = format!("/repos/{repo}/labels");
        let body = json!({"name": name, "color": color, "description": description});
        let check = move || -> Recheck<'_, Reply> {
            Box::pin(async move {
                let p = format!("/repos/{repo}/labels/{}", enc(name, false));
                Ok(self
                    .get_json(&p)
                    .await?
                    .map(|json| Reply { status: 201, json }))
            })
        };
        let r = self
            .send(Method::Post, &path, Some(&body), Some(&check))
            .await?;
        // 422: it exists already (made by a person or a concurrent run).
        self.ok(Method::Post, &path, r, &[422]).map(drop)
    }

    /// Creates an issue; a retry first looks for an issue with the target's marker.
    pub async fn create_issue(
        &self,
        repo: &str,
        target: &str,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<u64, RemediateError> {
        let path = format!("/repos/{repo}/issues");
        let req = json!({"title": title, "body": body, "labels": labels});
        let check = move || -> Recheck<'_, Reply> {
            Box::pin(async move {
                let found = self
                    .items(repo)
                    .await?
                    .into_iter()
                    .find(|i| !i.pull && i.open && super::body::has_marker(&i.body, target));
                Ok(found.map(|i| Reply {
                    status: 201,
                    json: json!({"number": i.number}),
                }))
            })
        };
        let r = self
            .send(Method::Post, &path, Some(&req), Some(&check))
            .await?;
        let v = self.ok(Method::Post, &path, r, &[])?;
        Ok(v.get("number").and_then(Value::as_u64).unwrap_or_default())
    }

    /// Updates an issue or pull request (only the given fields).
    pub async fn update_issue(
        &self,
        repo: &str,
        number: u64,
        fields: Value,
    ) -> Result<(), RemediateError> {
        let path = format!("/repos/{repo}/issues/{number}");
        let r = self.send(Method::Patch, &path, Some(&fields), None).await?;
        self.ok(Method::Patch, &path, r, &[]).map(drop)
    }

    /// Comments on an issue or pull request; a retry first checks the comment is not there.
    pub async fn comment(&self, repo: &str, number: u64, body: &str) -> Result<(), RemediateError> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let req = json!({"body": body});
        let check = move || -> Recheck<'_, Reply> {
            Box::pin(async move {
                let last = self.last_comment(repo, number).await?;
                Ok((last.as_deref() == Some(body)).then_some(Reply {
                    status: 201,
                    json: Value::Null,
                }))
            })
        };
        let r = self
            .send(Method::Post, &path, Some(&req), Some(&check))
            .await?;
        self.ok(Method::Post, &path, r, &[]).map(drop)
    }

    /// Creates a branch at `sha`; one that exists already (an earlier, interrupted attempt)
    /// is moved there instead.
    pub async fn create_branch(
        &self,
        repo: &str,
        branch: &str,
        sha: &str,
    ) -> Result<(), RemediateError> {
        let path = format!("/repos/{repo}/git/refs");
        let req = json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
        let check = move || -> Recheck<'_, Reply> {
            Box::pin(async move {
                Ok(self.branch_sha(repo, branch).await?.map(|s| Reply {
                    status: 201,
                    json: json!({"object": {"sha": s}}),
                }))
            })
        };
        let r = self
            .send(Method::Post, &path, Some(&req), Some(&check))
            .await?;
        if r.status == 422 {
            return self.reset_branch(repo, branch, sha).await;
        }
        self.ok(Method::Post, &path, r, &[]).map(drop)
    }

    /// Force-moves a branch to `sha`.
    pub async fn reset_branch(
        &self,
        repo: &str,
        branch: &str,
        sha: &str,
    ) -> Result<(), RemediateError> {
        let path = format!("/repos/{repo}/git/refs/heads/{}", enc(branch, true));
        let req = json!({"sha": sha, "force": true});
        let r = self.send(Method::Patch, &path, Some(&req), None).await?;
        self.ok(Method::Patch, &path, r, &[]).map(drop)
    }

    /// Commits `content` to `path` on `branch` (replacing blob `sha`, or creating the file).
    pub async fn put_file(
        &self,
        repo: &str,
        branch: &str,
        path: &str,
        content: &[u8],
        sha: Option<&str>,
        message: &str,
    ) -> Result<(), RemediateError> {
        let p = format!(
            "/repos/{repo}/contents/{}",
            enc(path.trim_start_matches('/'), true)
        );
        let mut req = json!({
            "message": message,
            "content": base64_encode(content),
            "branch": branch,
        });
        if let Some(s) = sha {
            req["sha"] = json!(s);
        }
        let check = move || -> Recheck<'_, Reply> {
            Box::pin(async move {
                let now = self.file(repo, path, branch).await?;
                Ok(now.filter(|f| f.content == content).map(|_| Reply {
                    status: 200,
                    json: Value::Null,
                }))
            })
        };
        let r = self.send(Method::Put, &p, Some(&req), Some(&check)).await?;
        self.ok(Method::Put, &p, r, &[]).map(drop)
    }

    /// Opens a pull request (then labels it); a retry first looks for one from the branch.
    pub async fn create_pull(
        &self,
        repo: &str,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<u64, RemediateError> {
        let path = format!("/repos/{repo}/pulls");
        let req = json!({"title": title, "head": head, "base": base, "body": body});
        let check = move || -> Recheck<'_, Reply> {
            Box::pin(async move {
                let found = self.pull_for(repo, head).await?.filter(|p| p.open);
                Ok(found.map(|p| Reply {
                    status: 201,
                    json: json!({"number": p.number}),
                }))
            })
        };
        let r = self
            .send(Method::Post, &path, Some(&req), Some(&check))
            .await?;
        let v = self.ok(Method::Post, &path, r, &[])?;
        let number = v.get("number").and_then(Value::as_u64).unwrap_or_default();
        // Setting the whole list is idempotent, so a plain retry is safe.
        let lp = format!("/repos/{repo}/issues/{number}/labels");
        let r = self
            .send(Method::Put, &lp, Some(&json!({"labels": labels})), None)
            .await?;
        self.ok(Method::Put, &lp, r, &[])?;
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "version: 0.1\nhttp:\n  addr: :5000\n",
        ] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(
                crate::source::base64::decode(&e).unwrap(),
                s.as_bytes(),
                "{e}"
            );
        }
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn secondary_limits_are_recognised() {
        assert!(secondary_limit(
            "You have exceeded a secondary rate limit. Please wait"
        ));
        assert!(secondary_limit(
            "You have triggered an abuse detection mechanism."
        ));
        assert!(!secondary_limit("Resource not accessible by integration"));
    }

    #[test]
    fn retry_waits_follow_github_headers() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let s = Duration::from_secs;
        // Final answers.
        assert_eq!(retry_wait(200, "", &[], 0, 0), None);
        assert_eq!(retry_wait(404, "Not Found", &[], 0, 0), None);
        assert_eq!(retry_wait(422, "Validation Failed", &[], 0, 0), None);
        assert_eq!(
            retry_wait(403, "Resource not accessible by integration", &[], 0, 0),
            None
        );
        // 5xx and 429: Retry-After, else exponential backoff.
        assert_eq!(retry_wait(502, "", &[], 0, 0), Some(s(1)));
        assert_eq!(retry_wait(500, "", &[], 3, 0), Some(s(8)));
        assert_eq!(retry_wait(500, "", &[], 30, 0), Some(s(32)));
        assert_eq!(
            retry_wait(429, "", &h(&[("retry-after", "7")]), 0, 0),
            Some(s(7))
        );
        // Secondary limit: Retry-After, else a minute.
        let msg = "You have exceeded a secondary rate limit";
        assert_eq!(
            retry_wait(403, msg, &h(&[("retry-after", "3")]), 0, 0),
            Some(s(3))
        );
        assert_eq!(retry_wait(403, msg, &[], 0, 0), Some(s(60)));
        // Primary limit exhausted: until x-ratelimit-reset.
        let reset = h(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000"),
        ]);
        assert_eq!(
            retry_wait(403, "API rate limit exceeded", &reset, 0, 990),
            Some(s(11))
        );
        let left = h(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", "1000"),
        ]);
        assert_eq!(retry_wait(403, "Forbidden", &left, 0, 990), None);
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(enc("severity:high", false), "severity%3Ahigh");
        assert_eq!(enc("regdrift/restore/a", true), "regdrift/restore/a");
    }
}
