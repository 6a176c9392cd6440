//! Live probe: is the running registry what its baseline says? The registry reads its config
//! once at start, and env variables, a config mounted where the version no longer reads it, or
//! a hand-started debug container can make the process differ from every file. The probe asks
//! the process itself.
//!
//! Checks (all read-only, `GET` only, never with credentials; see [`http`]):
//! - anonymous `GET /v2/`: 401 expected when the baseline has auth; 200 means the running
//!   registry has none (RD-AUTH-001). The `WWW-Authenticate` scheme, realm and service are
//!   compared with the baseline's provider (RD-AUTH-005 for a token realm host, RD-AUTHZ-001
//!   for token → Basic, RD-PROBE-002 otherwise);
//! - anonymous `GET /v2/_catalog` answered 200 where the baseline has auth (RD-PROBE-003);
//! - plain HTTP served where the baseline requires TLS (RD-TLS-001);
//! - the lowest TLS version accepted, TLS 1.0 and 1.1 offered explicitly ([`tls`] explains
//!   how, since rustls cannot speak them) against `http.tls.minimumtls` (RD-TLS-002);
//! - a client certificate required when the baseline has `http.tls.clientcas` (RD-AUTH-011);
//! - the certificate: chain trusted by `probe.ca` or the Mozilla roots (RD-PROBE-005), expiry
//!   (RD-PROBE-004, warned under 14 days; `notAfter` read by [`x509`]);
//! - the debug listener (`/debug/vars`, `/debug/pprof/`, `/metrics`) reachable at the probe's
//!   debug address (RD-EXP-001, RD-EXP-002 for metrics the baseline does not enable);
//! - the security headers of the baseline's `http.headers` present on `/v2/` (RD-EXP-005).
//!
//! Findings come from the one rule table, with [`Location::Probe`]; their key paths are the
//! config keys concerned (so waivers written for the config apply), and their fingerprints are
//! kept apart from config findings of the same rule and key (a `probe:` prefix), so history
//! tells "configured" from "observed". Network use is limited to the URL's host and the debug
//! address; each connection and its request, name resolution included, is bounded by the
//! timeout (the system resolver runs on a helper thread that is abandoned at the deadline).
//! The probe is synchronous (std sockets): a fleet check runs it on its
//! worker threads.
//!
//! Errors: a registry that cannot be reached at all (nothing listening, no answer in time, TLS
//! that fails for a reason other than a required client certificate, an answer that is not a
//! registry's) is a [`ProbeError`]. `regdrift probe` reports it as the target's error (exit
//! 2). In a fleet it is one RD-PROBE-001 finding on the target instead of an error status: the
//! config check of that target did complete and its findings stand, while an unreachable
//! registry still fails the run through the finding's severity; the other targets go on.

pub mod http;
pub mod tls;
pub mod x509;

use std::sync::Arc;
use std::time::Duration;

use crate::evaluate;
use crate::registry::EffectiveConfig;
use crate::report::{Finding, Location};
use crate::rules::{Ctx, Direction, Hit, Severity};
use http::{Deadline, Response, TimedTcp};

/// Default time limit of each connection and its request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Certificates expiring sooner than this are reported.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Limit of each connection and its request.
    pub timeout: Duration,
    /// `host:port` of the debug listener to try (default: the baseline's debug port on the
    /// URL's host; no debug check without either).
    pub debug_addr: Option<String>,
    /// PEM trust anchors for the registry's certificate (default: the Mozilla roots).
    pub ca_pem: Option<Vec<u8>>,
    /// "Now" for certificate expiry, seconds since the Unix epoch.
    pub now_unix: i64,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: DEFAULT_TIMEOUT,
            debug_addr: None,
            ca_pem: None,
            now_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        }
    }
}

/// Why a probe could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("{url}: not a probe URL ({why}); write http://HOST[:PORT] or https://HOST[:PORT]")]
    BadUrl { url: String, why: String },
    /// The probe's own settings are unusable (CA file, timeout).
    #[error("probe settings: {0}")]
    Settings(String),
    #[error(
        "{url}: could not reach the registry: {why} (timeout {timeout_ms} ms per request); check the address, that the registry is running, and firewalls"
    )]
    Unreachable {
        url: String,
        why: String,
        timeout_ms: u128,
    },
    #[error("{url}: {why}")]
    NotARegistry { url: String, why: String },
}

/// What the probe saw, beside the findings (for reports of tests and for callers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Status of anonymous `GET /v2/` (None when a client certificate is required).
    pub v2_status: Option<u16>,
    pub www_authenticate: Option<String>,
    pub catalog_status: Option<u16>,
    /// TLS version negotiated by rustls (`TLSv1_3`), when TLS worked.
    pub tls_version: Option<String>,
    /// Plain HTTP answered on the URL's port.
    pub plain_http: bool,
    /// A client certificate was required (handshake or first read refused without one).
    pub client_cert_required: bool,
    /// Lowest TLS version the server accepted: "1.0", "1.1", "1.2", "1.3".
    pub lowest_tls: Option<String>,
    pub cert_not_after: Option<i64>,
    pub cert_trusted: Option<bool>,
    /// Debug paths that answered 200, and where.
    pub debug_reachable: Vec<String>,
}

/// A probe's result.
#[derive(Debug, Clone)]
pub struct ProbeOutcome {
    pub findings: Vec<Finding>,
    pub observed: Observed,
}

/// A parsed probe URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path prefix before `/v2/` (empty or `/prefix`).
    pub prefix: String,
}

impl ProbeUrl {
    pub fn parse(url: &str) -> Result<ProbeUrl, ProbeError> {
        let bad = |why: &str| ProbeError::BadUrl {
            url: crate::registry::redact::strip_userinfo(url),
            why: why.into(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(bad(
                "credentials in the URL: the probe never sends credentials",
            ));
        }
        if path.contains(['?', '#']) {
            return Err(bad("a query or fragment"));
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, p) = r.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            (format!("[{h}]"), p.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() || host == "[]" {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
            None if tls => 443,
            None => 80,
        };
        Ok(ProbeUrl {
            tls,
            host,
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    fn host_header(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// What the baseline says the running registry should show.
#[derive(Debug, Clone)]
struct Expect {
    /// False when there is no baseline and these are regdrift's posture defaults.
    baseline: bool,
    /// Auth provider with its realm and service; `None` when the baseline has no auth.
    /// Without a baseline the provider is unknown (`"any"`) but auth is expected.
    auth: Option<(String, Option<String>, Option<String>)>,
    tls: bool,
    /// 0..=3 for TLS 1.0..1.3.
    min_tls: u8,
    client_certs: bool,
    debug_addr: Option<String>,
    prometheus: bool,
    headers: Vec<(String, Vec<String>)>,
}

fn tls_rank(v: &str) -> Option<u8> {
    match v.trim().to_ascii_lowercase().as_str() {
        "tls1.0" => Some(0),
        "tls1.1" => Some(1),
        "tls1.2" => Some(2),
        "tls1.3" => Some(3),
        _ => None,
    }
}

const TLS_NAMES: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

impl Expect {
    /// Who expects it, for messages.
    fn who(&self) -> &'static str {
        if self.baseline {
            "the baseline"
        } else {
            "no baseline given, the posture check"
        }
    }

    fn without_baseline() -> Expect {
        Expect {
            baseline: false,
            auth: Some(("any".into(), None, None)),
            tls: true,
            min_tls: 2,
            client_certs: false,
            debug_addr: None,
            prometheus: false,
            headers: Vec::new(),
        }
    }

    fn from_baseline(cfg: &EffectiveConfig) -> Expect {
        let c = Ctx::new(cfg);
        let auth = c.auth_providers().into_iter().next().map(|p| {
            let get = |k: &str| c.str(&format!("auth.{p}.{k}")).map(str::to_string);
            (p.to_ascii_lowercase(), get("realm"), get("service"))
        });
        let headers = c
            .node("http.headers")
            .and_then(|n| n.entries())
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| {
                let values = match &v.value {
                    crate::registry::value::Value::List(items) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                    crate::registry::value::Value::Str(s) => vec![s.clone()],
                    _ => Vec::new(),
                };
                (k.clone(), values)
            })
            .collect();
        Expect {
            baseline: true,
            auth,
            tls: c.tls_on(),
            min_tls: c.str("http.tls.minimumtls").and_then(tls_rank).unwrap_or(2),
            client_certs: !c.strs("http.tls.clientcas").is_empty(),
            debug_addr: c.str("http.debug.addr").map(str::to_string),
            prometheus: c.bool("http.debug.prometheus.enabled") == Some(true),
            headers,
        }
    }
}

/// The running probe: where it talks and what it found.
struct Probe<'a> {
    target: &'a str,
    url: &'a str,
    u: ProbeUrl,
    opts: &'a ProbeOptions,
    expect: Expect,
    findings: Vec<Finding>,
    seen: Observed,
}

/// Go's answer to plain HTTP on a TLS port.
fn is_go_tls_refusal(r: &Response) -> bool {
    r.status == 400 && String::from_utf8_lossy(&r.body).contains("HTTP request to an HTTPS server")
}

/// How the registry's API is reached after the first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Tls,
    /// TLS that needs a client certificate: no API request can be made.
    ClientCertOnly,
}

impl<'a> Probe<'a> {
    fn add(&mut self, hit: Hit) {
        let mut f = evaluate::finding(
            self.target,
            &hit,
            Location::Probe {
                url: self.url.into(),
            },
            None,
            None,
        );
        f.fingerprint = evaluate::fingerprint(
            self.target,
            hit.rule,
            &format!("probe:{}", hit.path),
            hit.direction,
        );
        self.findings.push(f);
    }

    fn deadline(&self) -> Deadline {
        Deadline::after(self.opts.timeout)
    }

    fn unreachable(&self, why: impl std::fmt::Display) -> ProbeError {
        ProbeError::Unreachable {
            url: self.url.into(),
            why: why.to_string(),
            timeout_ms: self.opts.timeout.as_millis(),
        }
    }

    fn get_plain(&self, host: &str, port: u16, path: &str) -> std::io::Result<Response> {
        let mut s = TimedTcp::connect(host, port, self.deadline())?;
        http::get(&mut s, &format!("{host}:{port}"), path)
    }

    fn get_tls(&self, path: &str, rec: &Arc<tls::Recorder>) -> Result<Response, tls::ConnectError> {
        let mut s = tls::connect(&self.u.host, self.u.port, rec, self.deadline())?;
        let v = s.conn.protocol_version().map(|v| format!("{v:?}"));
        let r = http::get(&mut s, &self.u.host_header(), path).map_err(|e| {
            if tls::is_transport(&e) {
                tls::ConnectError::Tcp(e)
            } else {
                tls::ConnectError::Tls(e.to_string())
            }
        })?;
        if let Some(v) = v
            && path.ends_with("/v2/")
        {
            rec.note_version(v);
        }
        Ok(r)
    }

    /// One API request in the mode found at first contact.
    fn api_get(&self, mode: Mode, path: &str, rec: &Arc<tls::Recorder>) -> Option<Response> {
        let full = format!("{}{path}", self.u.prefix);
        match mode {
            Mode::Plain => self.get_plain(&self.u.host, self.u.port, &full).ok(),
            Mode::Tls => self.get_tls(&full, rec).ok(),
            Mode::ClientCertOnly => None,
        }
    }

    /// First contact: `GET /v2/` over the URL's scheme, falling back to plain HTTP when TLS
    /// fails. Returns the mode and the `/v2/` answer.
    fn first_contact(
        &mut self,
        rec: &Arc<tls::Recorder>,
    ) -> Result<(Mode, Option<Response>), ProbeError> {
        let v2 = format!("{}/v2/", self.u.prefix);
        if !self.u.tls {
            let r = self
                .get_plain(&self.u.host, self.u.port, &v2)
                .map_err(|e| self.unreachable(e))?;
            if is_go_tls_refusal(&r) {
                return Err(ProbeError::NotARegistry {
                    url: self.url.into(),
                    why: "the server expects TLS on this port; probe the https:// URL".into(),
                });
            }
            self.seen.plain_http = true;
            return Ok((Mode::Plain, Some(r)));
        }
        let tls_error = match self.get_tls(&v2, rec) {
            Ok(r) => return Ok((Mode::Tls, Some(r))),
            Err(tls::ConnectError::Tcp(e)) if !rec.cert_requested() => {
                return Err(self.unreachable(e));
            }
            Err(tls::ConnectError::Tcp(e)) => e.to_string(),
            Err(tls::ConnectError::Tls(e)) => e,
        };
        if rec.cert_requested() {
            self.seen.client_cert_required = true;
            return Ok((Mode::ClientCertOnly, None));
        }
        match self.get_plain(&self.u.host, self.u.port, &v2) {
            Ok(r) if !is_go_tls_refusal(&r) => {
                self.seen.plain_http = true;
                Ok((Mode::Plain, Some(r)))
            }
            _ => Err(ProbeError::NotARegistry {
                url: self.url.into(),
                why: format!("TLS handshake failed: {tls_error}"),
            }),
        }
    }

    fn check_transport(&mut self, mode: Mode) {
        if mode == Mode::Plain && self.expect.tls {
            let sev = match self.expect.auth.as_ref().map(|a| a.0.as_str()) {
                Some("htpasswd" | "silly") => Severity::Critical,
                _ => Severity::High,
            };
            let what = if self.u.tls {
                "the https URL is answered in plain HTTP"
            } else {
                "the registry answers in plain HTTP"
            };
            self.add(
                Hit::new(
                    "RD-TLS-001",
                    "http.tls",
                    format!("{what}; {} requires TLS", self.expect.who()),
                )
                .severity(sev),
            );
        }
    }

    fn check_auth(&mut self, r: &Response) {
        self.seen.v2_status = Some(r.status);
        self.seen.www_authenticate = r.header("www-authenticate").map(str::to_string);
        let Some((provider, realm, service)) = self.expect.auth.clone() else {
            return;
        };
        match r.status {
            200 => self.add(Hit::new(
                "RD-AUTH-001",
                "auth",
                format!(
                    "anonymous GET /v2/ answered 200: the running registry has no authentication ({})",
                    if provider == "any" {
                        "no baseline given: auth is expected".to_string()
                    } else {
                        format!("baseline: {provider}")
                    }
                ),
            )),
            401 => {
                let header = r.header("www-authenticate").unwrap_or("").to_string();
                self.check_challenge(&header, &provider, realm.as_deref(), service.as_deref());
            }
            _ => {}
        }
    }

    fn check_challenge(
        &mut self,
        header: &str,
        provider: &str,
        realm: Option<&str>,
        service: Option<&str>,
    ) {
        let ch = Challenge::parse(header);
        let want_scheme = match provider {
            "htpasswd" => "basic",
            "token" | "silly" => "bearer",
            _ => return,
        };
        let path = format!("auth.{provider}");
        if ch.scheme != want_scheme {
            let rule = if provider == "token" && ch.scheme == "basic" {
                "RD-AUTHZ-001"
            } else {
                "RD-PROBE-002"
            };
            self.add(Hit::new(
                rule,
                path,
                format!(
                    "the 401 challenge is {:?}, not the {want_scheme} challenge of the baseline's {provider} provider",
                    ch.scheme_raw
                ),
            ));
            return;
        }
        if let Some(want) = realm
            && ch.param("realm") != Some(want)
        {
            let got = ch.param("realm").unwrap_or("none");
            let rule = if provider == "token"
                && crate::rules::ctx::url_host(got) != crate::rules::ctx::url_host(want)
            {
                "RD-AUTH-005"
            } else {
                "RD-PROBE-002"
            };
            self.add(Hit::new(
                rule,
                format!("{path}.realm"),
                format!("the challenge realm is {got:?}, the baseline's is {want:?}"),
            ));
        }
        if let Some(want) = service.filter(|_| provider != "htpasswd")
            && ch.param("service") != Some(want)
        {
            self.add(Hit::new(
                "RD-PROBE-002",
                format!("{path}.service"),
                format!(
                    "the challenge service is {:?}, the baseline's is {want:?}",
                    ch.param("service").unwrap_or("none")
                ),
            ));
        }
    }

    fn check_headers(&mut self, r: &Response) {
        for (name, values) in self.expect.headers.clone() {
            let got = r.header_values(&name);
            let missing: Vec<&String> = values
                .iter()
                .filter(|v| !got.iter().any(|g| g == v))
                .collect();
            if got.is_empty() || !missing.is_empty() {
                let shown = if got.is_empty() {
                    "absent".to_string()
                } else {
                    format!("{:?}", got.join(", "))
                };
                self.add(Hit::new(
                    "RD-EXP-005",
                    format!("http.headers.{}", name.to_ascii_lowercase()),
                    format!(
                        "response header {name} is {shown} on /v2/; the baseline sets {:?}",
                        values.join(", ")
                    ),
                ));
            }
        }
    }

    fn check_catalog(&mut self, r: Option<Response>) {
        self.seen.catalog_status = r.as_ref().map(|r| r.status);
        if r.is_some_and(|r| r.status == 200) && self.expect.auth.is_some() {
            self.add(Hit::new(
                "RD-PROBE-003",
                "auth",
                "anonymous GET /v2/_catalog answered 200: every repository name is listed without credentials",
            ));
        }
    }

    fn check_certificate(&mut self, rec: &tls::Recorder) {
        if let Some(v) = rec.verdict() {
            self.seen.cert_trusted = Some(v.is_ok());
            if let Err(why) = v {
                let anchors = if self.opts.ca_pem.is_some() {
                    "the probe CA file"
                } else {
                    "the Mozilla root store"
                };
                self.add(Hit::new(
                    "RD-PROBE-005",
                    "http.tls.certificate",
                    format!("the certificate is not trusted by {anchors}: {why}"),
                ));
            }
        }
        let Some(not_after) = rec.end_entity().and_then(|d| x509::not_after(&d)) else {
            return;
        };
        self.seen.cert_not_after = Some(not_after);
        let left = not_after - self.opts.now_unix;
        if left < 0 {
            self.add(
                Hit::new(
                    "RD-PROBE-004",
                    "http.tls.certificate",
                    // The date, not "N days ago": a message that changes every day would
                    // update the remediation issue every day with nothing new in it.
                    format!(
                        "the certificate expired on {}",
                        crate::history::format_rfc3339(not_after)
                    ),
                )
                .severity(Severity::High),
            );
        } else if left < EXPIRY_WARNING_DAYS * 86_400 {
            self.add(Hit::new(
                "RD-PROBE-004",
                "http.tls.certificate",
                format!(
                    "the certificate expires on {} (warning under {EXPIRY_WARNING_DAYS} days)",
                    crate::history::format_rfc3339(not_after)
                ),
            ));
        }
    }

    fn check_client_cert(&mut self, mode: Mode, rec: &tls::Recorder) {
        if self.expect.client_certs && mode == Mode::Tls {
            let asked = if rec.cert_requested() {
                "a certificate was requested but not required"
            } else {
                "no certificate was requested"
            };
            self.add(Hit::new(
                "RD-AUTH-011",
                "http.tls.clientcas",
                format!(
                    "the registry answered without a client certificate ({asked}); the baseline requires one (http.tls.clientcas)"
                ),
            ));
        }
    }

    fn check_lowest_tls(&mut self) {
        let mut lowest = None;
        for (rank, v) in [(0u8, tls::TLS1_0), (1, tls::TLS1_1)] {
            if tls::accepts_legacy(&self.u.host, self.u.port, v, self.deadline()).unwrap_or(false) {
                lowest = Some(rank);
                break;
            }
        }
        let seen = lowest.or_else(|| {
            // rustls speaks 1.2 itself: a 1.2-only handshake tells 1.2 from 1.3.
            // Trust is not the question here: a recorder without anchors accepts any chain.
            let rec = Arc::new(tls::Recorder::default());
            let tls12 = tls::connect_with(
                &self.u.host,
                self.u.port,
                &rec,
                self.deadline(),
                &[&rustls::version::TLS12],
            );
            match tls12 {
                Ok(_) => Some(2),
                // A 1.2 handshake that got as far as asking for a client certificate.
                Err(_) if rec.cert_requested() => Some(2),
                Err(_) if self.seen.tls_version.is_some() => Some(3),
                Err(_) => None,
            }
        });
        self.seen.lowest_tls = seen.map(|r| TLS_NAMES[usize::from(r)].to_string());
        if let Some(r) = lowest
            && r < self.expect.min_tls
        {
            self.add(Hit::new(
                "RD-TLS-002",
                "http.tls.minimumtls",
                format!(
                    "the registry accepts a TLS {} handshake; {} requires at least TLS {}",
                    TLS_NAMES[usize::from(r)],
                    self.expect.who(),
                    TLS_NAMES[usize::from(self.expect.min_tls.min(3))]
                ),
            ));
        }
    }

    /// The debug address to try: the option, else the baseline's debug port on the URL's host.
    fn debug_target(&self) -> Option<(String, u16)> {
        let addr = match &self.opts.debug_addr {
            Some(a) => a.clone(),
            None => {
                let port = self.expect.debug_addr.as_deref()?.rsplit_once(':')?.1;
                format!("{}:{port}", self.u.host)
            }
        };
        let (h, p) = addr.rsplit_once(':')?;
        Some((h.to_string(), p.parse().ok()?))
    }

    fn check_debug(&mut self) {
        let Some((host, port)) = self.debug_target() else {
            return;
        };
        let mut reachable = Vec::new();
        for path in ["/debug/vars", "/debug/pprof/", "/metrics"] {
            match self.get_plain(&host, port, path) {
                Ok(r) if r.status == 200 => reachable.push(path),
                Ok(_) => {}
                // Nothing listening (or nothing in time) there: not reachable from here.
                Err(_) => break,
            }
        }
        let at = format!("{host}:{port}");
        self.seen.debug_reachable = reachable.iter().map(|p| format!("{at}{p}")).collect();
        if reachable.is_empty() {
            return;
        }
        // The baseline's own listen address, probed from where it is meant to be reached.
        let intended = self
            .expect
            .debug_addr
            .as_deref()
            .and_then(|a| a.rsplit_once(':'))
            .is_some_and(|(h, p)| {
                !h.is_empty() && !is_wildcard(h) && p == port.to_string() && same_host(h, &host)
            });
        let pprof_or_vars: Vec<&str> = reachable
            .iter()
            .copied()
            .filter(|p| *p != "/metrics")
            .collect();
        if !intended && !pprof_or_vars.is_empty() {
            let base = self
                .expect
                .debug_addr
                .as_deref()
                .map_or("no debug listener".to_string(), |a| {
                    format!("debug.addr {a}")
                });
            self.add(Hit::new(
                "RD-EXP-001",
                "http.debug.addr",
                format!(
                    "{} answered 200 at {at} without authentication (baseline: {base})",
                    pprof_or_vars.join(" and ")
                ),
            ));
        }
        if reachable.contains(&"/metrics") && !self.expect.prometheus {
            self.add(Hit::new(
                "RD-EXP-002",
                "http.debug.prometheus.enabled",
                format!(
                    "/metrics answered 200 at {at}; {} does not enable prometheus",
                    self.expect.who()
                ),
            ));
        }
    }
}

fn is_wildcard(h: &str) -> bool {
    matches!(h, "0.0.0.0" | "[::]" | "::")
}

fn same_host(a: &str, b: &str) -> bool {
    let n = |s: &str| {
        s.trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase()
    };
    n(a) == n(b)
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, Default)]
struct Challenge {
    scheme: String,
    scheme_raw: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    fn parse(header: &str) -> Challenge {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let mut params = Vec::new();
        let mut s = rest.trim();
        while !s.is_empty() {
            let Some((k, after)) = s.split_once('=') else {
                break;
            };
            let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
            let after = after.trim_start();
            let (v, next) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').unwrap_or(q.len());
                (q[..end].to_string(), q.get(end + 1..).unwrap_or(""))
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            };
            params.push((k, v));
            s = next.trim_start().trim_start_matches(',').trim_start();
        }
        Challenge {
            scheme: scheme.to_ascii_lowercase(),
            scheme_raw: scheme.to_string(),
            params,
        }
    }

    fn param(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Probes the registry at `url` and compares what it shows with `baseline` (when given;
/// without one, it checks the absolute posture: auth on, TLS on, TLS 1.2 or later).
/// `target` names the findings (the fleet target, or the URL).
pub fn probe(
    target: &str,
    url: &str,
    baseline: Option<&EffectiveConfig>,
    opts: &ProbeOptions,
) -> Result<ProbeOutcome, ProbeError> {
    let u = ProbeUrl::parse(url)?;
    let roots = tls::roots(opts.ca_pem.as_deref())
        .map_err(|e| ProbeError::Settings(format!("the CA file {e}")))?;
    let rec = tls::Recorder::new(roots).map_err(ProbeError::Settings)?;
    let mut p = Probe {
        target,
        url,
        u,
        opts,
        expect: baseline.map_or_else(Expect::without_baseline, Expect::from_baseline),
        findings: Vec::new(),
        seen: Observed::default(),
    };
    let (mode, v2) = p.first_contact(&rec)?;
    p.seen.tls_version = rec.version();
    if let Some(r) = &v2
        && !matches!(r.status, 200 | 401)
    {
        return Err(ProbeError::NotARegistry {
            url: url.into(),
            why: format!(
                "anonymous GET /v2/ answered {} (a registry answers 200 or 401); is this the registry's URL (and http.prefix)?",
                r.status
            ),
        });
    }
    p.check_transport(mode);
    if let Some(r) = &v2 {
        p.check_auth(r);
        p.check_headers(r);
        let catalog = p.api_get(mode, "/v2/_catalog", &rec);
        p.check_catalog(catalog);
    }
    if p.u.tls && mode != Mode::Plain {
        p.check_certificate(&rec);
        p.check_client_cert(mode, &rec);
        p.check_lowest_tls();
    }
    p.check_debug();
    p.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.rule_id.cmp(&b.rule_id))
            .then(a.path.cmp(&b.path))
    });
    Ok(ProbeOutcome {
        findings: p.findings,
        observed: p.seen,
    })
}

/// The finding a fleet target records when its probe could not be completed.
pub fn error_finding(target: &str, url: &str, e: &ProbeError) -> Finding {
    let hit = Hit::new("RD-PROBE-001", "probe", e.to_string()).direction(Direction::Neutral);
    let mut f = evaluate::finding(
        target,
        &hit,
        Location::Probe { url: url.into() },
        None,
        None,
    );
    f.fingerprint = evaluate::fingerprint(target, hit.rule, "probe:probe", hit.direction);
    f
}

/// The report of one probed target: its findings (waivers applied), or its error.
pub fn target_report(
    name: &str,
    result: Result<ProbeOutcome, ProbeError>,
    waivers: &crate::policy::Waivers,
) -> crate::report::TargetReport {
    use crate::report::{Status, TargetReport};
    let (status, findings) = match result {
        Ok(o) => (Status::Checked, waivers.apply(name, o.findings)),
        Err(e) => (
            Status::Error {
                message: e.to_string(),
            },
            Vec::new(),
        ),
    };
    TargetReport {
        findings,
        ..TargetReport::new(name, status)
    }
}

/// Parses a probe timeout (Go duration, e.g. `500ms`, `5s`).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    crate::registry::resolve::positive_duration(s).ok_or_else(|| {
        format!("probe timeout {s:?} is not a positive duration; write e.g. 500ms, 5s or 1m")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_default_ports_prefixes_and_ipv6() {
        let u = ProbeUrl::parse("https://registry.example.com").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port),
            (true, "registry.example.com", 443)
        );
        let u = ProbeUrl::parse("http://127.0.0.1:5000/mirror/").unwrap();
        assert_eq!((u.port, u.prefix.as_str()), (5000, "/mirror"));
        let u = ProbeUrl::parse("https://[::1]:5443").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[::1]", 5443));
        for bad in [
            "registry:5000",
            "ftp://x",
            "https://u:p@x",
            "https://:5000",
            "http://x:port",
        ] {
            assert!(ProbeUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn challenges_parse_scheme_and_quoted_params() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="registry:catalog:*""#,
        );
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example.com/token"));
        assert_eq!(c.param("service"), Some("registry.example.com"));
        assert_eq!(c.param("scope"), Some("registry:catalog:*"));
        let b = Challenge::parse(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (b.scheme.as_str(), b.param("realm")),
            ("basic", Some("Registry Realm"))
        );
    }

    #[test]
    fn timeouts_parse_as_go_durations() {
        assert_eq!(parse_timeout("1500ms"), Ok(Duration::from_millis(1500)));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
