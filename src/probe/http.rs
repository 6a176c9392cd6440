//! A small HTTP/1.1 GET client for the probe, over std sockets (plain or rustls).
//!
//! Invariants: only `GET` is ever sent, with no `Authorization` or cookie header (the probe
//! never sends credentials); `Connection: close`, so one request per connection; redirects
//! are returned, never followed; at most [`MAX_RESPONSE`] bytes are read; every connect, read
//! and write is bounded by the [`Deadline`] of its request, so a silent or trickling server
//! cannot hold the probe longer than the timeout.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Most bytes read from one response (head and body): the probe needs the status line,
/// headers and at most a short error body.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// The end of the time one connection and its request may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(d: Duration) -> Deadline {
        Deadline(Instant::now() + d)
    }

    /// Time left, or a timeout error when none is.
    pub fn remaining(&self) -> io::Result<Duration> {
        let left = self.0.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "timed out (no complete answer within the timeout)",
            ))
        } else {
            Ok(left)
        }
    }
}

/// A TCP stream whose every read and write gets the time left before the deadline.
#[derive(Debug)]
pub struct TimedTcp {
    sock: TcpStream,
    deadline: Deadline,
}

impl TimedTcp {
    /// Connects to `host:port` (each resolved address in turn) before the deadline.
    pub fn connect(host: &str, port: u16, deadline: Deadline) -> io::Result<TimedTcp> {
        let addrs = resolve(host_for_socket(host), port, deadline)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for a in addrs {
            match TcpStream::connect_timeout(&a, deadline.remaining()?) {
                Ok(sock) => {
                    sock.set_nodelay(true)?;
                    return Ok(TimedTcp { sock, deadline });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// Resolves `host` before the deadline. The system resolver has no timeout of its own, so a
/// name is looked up on a helper thread that is abandoned (left to finish on its own) when the
/// deadline passes: a hung DNS server cannot hold a probe, a fleet run or the daemon's
/// no-overlap guard beyond the probe's timeout. Address literals need no lookup.
fn resolve(host: &str, port: u16, deadline: Deadline) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("probe-resolve".into())
        .spawn(move || {
            let _ = tx.send(
                (name.as_str(), port)
                    .to_socket_addrs()
                    .map(Iterator::collect),
            );
        })?;
    match rx.recv_timeout(deadline.remaining()?) {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("timed out resolving {host}"),
        )),
    }
}

/// `[::1]` → `::1` for the resolver.
fn host_for_socket(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// A socket timeout shows as `WouldBlock` (EAGAIN) on Unix: say what it means.
fn timed_out(e: io::Error, what: &str) -> io::Error {
    if matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        io::Error::new(io::ErrorKind::TimedOut, format!("timed out {what}"))
    } else {
        e
    }
}

impl Read for TimedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock
            .set_read_timeout(Some(self.deadline.remaining()?))?;
        self.sock
            .read(buf)
            .map_err(|e| timed_out(e, "waiting for an answer"))
    }
}

impl Write for TimedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock
            .set_write_timeout(Some(self.deadline.remaining()?))?;
        self.sock
            .write(buf)
            .map_err(|e| timed_out(e, "sending the request"))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// A response as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names as sent; values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body bytes read (possibly cut at [`MAX_RESPONSE`]).
    pub body: Vec<u8>,
}

impl Response {
    /// Every value of a header (names compared case-insensitively).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }
}

/// The request bytes: GET, no credentials, `Connection: close`.
pub fn request(host_header: &str, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: regdrift-probe/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// Sends a GET and reads the response until the server closes, the response is complete, or
/// [`MAX_RESPONSE`] bytes were read.
pub fn get<S: Read + Write>(stream: &mut S, host_header: &str, path: &str) -> io::Result<Response> {
    stream.write_all(&request(host_header, path))?;
    stream.flush()?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(r) = parse(&buf).filter(complete) {
            return Ok(r);
        }
        if buf.len() >= MAX_RESPONSE {
            break;
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n.min(MAX_RESPONSE - buf.len())]),
            // A TLS peer that closes without close_notify: what was read is the response.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !buf.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    parse(&buf).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            if buf.is_empty() {
                "the server closed the connection without answering".to_string()
            } else {
                format!(
                    "not an HTTP response (first bytes {:?})",
                    String::from_utf8_lossy(&buf[..buf.len().min(40)])
                )
            },
        )
    })
}

/// True when the body announced by Content-Length has been read (so a server that keeps the
/// connection open despite `Connection: close` does not cost the whole timeout).
fn complete(r: &Response) -> bool {
    r.header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| r.body.len() >= n)
}

/// Parses a response head and what follows it; `None` until the head is complete.
pub fn parse(buf: &[u8]) -> Option<Response> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let proto = parts.next()?;
    if !proto.starts_with("HTTP/1.") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Response {
        status,
        headers,
        body: buf[end + 4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_resolution_is_bounded_by_the_deadline() {
        let later = Deadline::after(Duration::from_secs(5));
        assert_eq!(
            resolve("127.0.0.1", 5000, later).unwrap(),
            ["127.0.0.1:5000".parse::<SocketAddr>().unwrap()]
        );
        assert!(!resolve("localhost", 5000, later).unwrap().is_empty());
        // No time left: a name is not looked up at all.
        let gone = Deadline::after(Duration::ZERO);
        let e = resolve("registry.example.invalid", 5000, gone).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
    }

    #[test]
    fn parses_status_headers_and_body() {
        let r = parse(b"HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Basic realm=\"r\"\r\nX-A: 1\r\nx-a: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"r\""));
        assert_eq!(r.header_values("X-A"), ["1", "2"]);
        assert_eq!(r.body, b"{}");
        assert!(parse(b"HTTP/1.1 200 OK\r\n").is_none());
        assert!(parse(b"\x15\x03\x01\x00\x02\x02\x46\r\n\r\n").is_none());
    }

    #[test]
    fn the_request_carries_no_credentials_and_closes() {
        let r = String::from_utf8(request("h:5000", "/v2/")).unwrap();
        assert!(r.starts_with("GET /v2/ HTTP/1.1\r\nHost: h:5000\r\n"));
        assert!(r.contains("Connection: close\r\n"));
        assert!(!r.to_ascii_lowercase().contains("authorization"));
        assert!(!r.to_ascii_lowercase().contains("cookie"));
    }
}
