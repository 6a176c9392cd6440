//! The daemon's HTTP endpoint: `GET /healthz` and `GET /metrics` (Prometheus text), loopback by
//! default (`schedule.listen`).
//!
//! Hand-rolled HTTP/1.1 on tokio's `TcpListener` rather than a web framework: two GET routes
//! with fixed bodies need a request line, not a router, and hyper/axum would add a dozen crates
//! and their build time to a security tool for that. The cost is owning the limits, which are:
//!
//! - a request head is read up to [`MAX_REQUEST`] bytes and for at most [`READ_TIMEOUT`]; a
//!   longer or slower request gets `431`/`408` (or the connection is dropped) and never holds
//!   memory or a task for longer;
//! - at most [`MAX_CONNECTIONS`] connections are served at once; more wait in the kernel's
//!   accept queue;
//! - one request per connection (`Connection: close`), no request body is read.
//!
//! Routes: `GET`/`HEAD` `/healthz` → `200 ok`; `GET`/`HEAD` `/metrics` → `200` with the text
//! exposition format; another path → `404`; another method → `405`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// Largest request head accepted.
pub const MAX_REQUEST: usize = 8 * 1024;
/// Longest time a client may take to send its request head. A scraper or a liveness probe
/// sends its few hundred bytes at once; short, so slow clients cannot hold every slot long.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 32;

/// Produces the body of `/metrics`.
pub type MetricsFn = Arc<dyn Fn() -> String + Send + Sync>;

/// Binds `addr`; the error says what to change.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).await.map_err(|e| {
        format!(
            "schedule.listen {addr}: cannot listen: {e}; set schedule.listen to a free address, \
             or off to run without /healthz and /metrics"
        )
    })
}

/// Serves until `shutdown` turns true.
pub async fn serve(listener: TcpListener, metrics: MetricsFn, shutdown: watch::Receiver<bool>) {
    serve_with(listener, metrics, shutdown, READ_TIMEOUT).await;
}

/// [`serve`] with another time limit per request (tests).
async fn serve_with(
    listener: TcpListener,
    metrics: MetricsFn,
    mut shutdown: watch::Receiver<bool>,
    timeout: Duration,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.changed() => return,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle(stream, &metrics, timeout).await {
                        tracing::debug!(%peer, error = %e, "http connection ended with an error");
                    }
                    drop(permit);
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "http accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A response: status line, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: String,
}

fn text(status: &'static str, body: &str) -> Response {
    Response {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.to_string(),
    }
}

/// Routes one request head (the bytes up to and including the blank line).
pub fn route(head: &[u8], metrics: &dyn Fn() -> String) -> (Response, bool) {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(target), Some(version)) = (method, target, version) else {
        return (text("400 Bad Request", "bad request line\n"), false);
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return (text("400 Bad Request", "bad request line\n"), false);
    }
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return (
            text("405 Method Not Allowed", "only GET and HEAD\n"),
            head_only,
        );
    }
    let path = target.split('?').next().unwrap_or_default();
    let resp = match path {
        "/healthz" => text("200 OK", "ok\n"),
        "/metrics" => Response {
            status: "200 OK",
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: metrics(),
        },
        _ => text("404 Not Found", "not found: try /healthz or /metrics\n"),
    };
    (resp, head_only)
}

/// Reads the request head within the limits; the error is the response to send instead.
async fn read_head(stream: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>, Response> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
                return Ok(());
            }
            if buf.len() >= MAX_REQUEST {
                return Err(text(
                    "431 Request Header Fields Too Large",
                    "request too large\n",
                ));
            }
            let room = (MAX_REQUEST - buf.len()).min(chunk.len());
            match stream.read(&mut chunk[..room]).await {
                Ok(0) | Err(_) => return Err(text("400 Bad Request", "incomplete request\n")),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(())) => Ok(buf),
        Ok(Err(r)) => Err(r),
        Err(_) => Err(text("408 Request Timeout", "request timeout\n")),
    }
}

async fn handle(
    mut stream: TcpStream,
    metrics: &MetricsFn,
    timeout: Duration,
) -> std::io::Result<()> {
    let (resp, head_only) = match read_head(&mut stream, timeout).await {
        Ok(head) => route(&head, metrics.as_ref()),
        Err(r) => (r, false),
    };
    let mut out = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        resp.status,
        resp.content_type,
        resp.body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(resp.body.as_bytes());
    }
    tokio::time::timeout(timeout, stream.write_all(&out))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "write timeout"))??;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> String {
        "regdrift_runs_total 3\n".into()
    }

    #[test]
    fn routes() {
        let (r, head) = route(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", &m);
        assert_eq!((r.status, r.body.as_str(), head), ("200 OK", "ok\n", false));
        let (r, _) = route(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n", &m);
        assert_eq!(r.body, m());
        assert!(r.content_type.starts_with("text/plain; version=0.0.4"));
        let (r, head) = route(b"HEAD /metrics HTTP/1.1\r\n\r\n", &m);
        assert!(head && r.status == "200 OK");
        assert_eq!(
            route(b"POST /metrics HTTP/1.1\r\n\r\n", &m).0.status,
            "405 Method Not Allowed"
        );
        assert_eq!(
            route(b"GET / HTTP/1.1\r\n\r\n", &m).0.status,
            "404 Not Found"
        );
        assert_eq!(
            route(b"GET /metrics\r\n\r\n", &m).0.status,
            "400 Bad Request"
        );
        assert_eq!(route(b"\xff\xfe\r\n\r\n", &m).0.status, "400 Bad Request");
    }

    #[tokio::test]
    async fn a_client_too_slow_to_send_its_request_gets_408() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = watch::channel(false);
        let limit = Duration::from_millis(200);
        let server = tokio::spawn(serve_with(listener, Arc::new(m), rx, limit));
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\n").await.unwrap();
        let started = tokio::time::Instant::now();
        let mut resp = String::new();
        c.read_to_string(&mut resp).await.unwrap();
        assert!(resp.starts_with("HTTP/1.1 408 "), "{resp}");
        assert!(started.elapsed() >= limit);
        tx.send(true).unwrap();
        server.await.unwrap();
    }

    #[tokio::test]
    async fn an_oversized_request_gets_431_and_a_good_one_200() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = watch::channel(false);
        let server = tokio::spawn(serve(listener, Arc::new(m), rx));
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(&vec![b'a'; MAX_REQUEST + 10]).await.unwrap();
        let mut resp = String::new();
        c.read_to_string(&mut resp).await.unwrap();
        assert!(resp.starts_with("HTTP/1.1 431 "), "{resp}");
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").await.unwrap();
        let mut resp = String::new();
        c.read_to_string(&mut resp).await.unwrap();
        assert!(
            resp.starts_with("HTTP/1.1 200 OK\r\n")
                && resp.ends_with("\r\n\r\nregdrift_runs_total 3\n"),
            "{resp}"
        );
        tx.send(true).unwrap();
        server.await.unwrap();
    }
}
