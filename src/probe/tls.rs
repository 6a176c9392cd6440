//! TLS for the probe: a rustls (ring) client that records what the server showed instead of
//! refusing it, and a hand-built ClientHello for the versions rustls cannot speak.
//!
//! - **Certificate trust** is judged, not enforced: [`Recorder`] wraps rustls-webpki's
//!   verifier (roots from `probe.ca`, else the Mozilla roots of `webpki-root-certs`), keeps its
//!   verdict and the end-entity certificate, and lets the handshake go on. The probe sends no
//!   credentials, so talking to an untrusted server costs nothing, and the report can then say
//!   both "untrusted certificate" and what the registry behind it does. Handshake signatures
//!   are still verified by rustls.
//! - **Client certificates**: the recorder is also the client-certificate resolver. rustls asks
//!   it only when the server sends a CertificateRequest; it answers "no certificate", so a
//!   server that requires one refuses the handshake, as it should.
//! - **TLS 1.0 and 1.1**: rustls implements TLS 1.2 and 1.3 only, by design. Whether the server
//!   *accepts* an older version is learnt with [`accepts_legacy`]: one ClientHello record
//!   offering exactly that version with the CBC suites such servers use, and the first record
//!   of the answer read: a ServerHello with that version means accepted; an alert, a close or
//!   any other version means refused. The handshake is never completed (no key exchange is
//!   done, nothing is encrypted), which is all a version check needs.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};

use super::http::{Deadline, TimedTcp};

/// The crypto provider: ring, as everywhere in regdrift.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Trust anchors: the certificates of a PEM file, or the Mozilla roots.
pub fn roots(ca_pem: Option<&[u8]>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("not a PEM certificate file: {e}"))?;
            if certs.is_empty() {
                return Err("holds no PEM CERTIFICATE block".into());
            }
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err("holds no certificate usable as a trust anchor".into());
            }
        }
        None => {
            store.add_parsable_certificates(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned(),
            );
        }
    }
    Ok(store)
}

/// What one handshake showed.
#[derive(Debug, Default)]
pub struct Recorder {
    inner: Option<Arc<WebPkiServerVerifier>>,
    verdict: Mutex<Option<Result<(), String>>>,
    end_entity: Mutex<Option<Vec<u8>>>,
    cert_requested: AtomicBool,
    version: Mutex<Option<String>>,
}

impl Recorder {
    pub fn new(roots: RootCertStore) -> Result<Arc<Recorder>, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Recorder {
            inner: Some(inner),
            ..Recorder::default()
        }))
    }

    /// The chain verdict: `Some(Ok)` trusted, `Some(Err(why))` not, `None` not seen.
    pub fn verdict(&self) -> Option<Result<(), String>> {
        self.verdict.lock().ok().and_then(|v| v.clone())
    }

    /// The end-entity certificate (DER), once seen.
    pub fn end_entity(&self) -> Option<Vec<u8>> {
        self.end_entity.lock().ok().and_then(|v| v.clone())
    }

    /// Records the TLS version a completed handshake negotiated.
    pub fn note_version(&self, v: String) {
        if let Ok(mut slot) = self.version.lock() {
            *slot = Some(v);
        }
    }

    /// The TLS version negotiated (`TLSv1_3`), once a handshake completed.
    pub fn version(&self) -> Option<String> {
        self.version.lock().ok().and_then(|v| v.clone())
    }

    /// True when the server sent a CertificateRequest.
    pub fn cert_requested(&self) -> bool {
        self.cert_requested.load(Ordering::Relaxed)
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let verdict = match &self.inner {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err("no trust anchors".into()),
        };
        if let Ok(mut v) = self.verdict.lock() {
            *v = Some(verdict);
        }
        if let Ok(mut c) = self.end_entity.lock() {
            *c = Some(end_entity.as_ref().to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ResolvesClientCert for Recorder {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.cert_requested.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// A TLS stream to the registry.
pub type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TimedTcp>;

/// Opens a TLS 1.2/1.3 connection and completes the handshake before the deadline. The
/// recorder holds what the server showed, whether or not this succeeds.
pub fn connect(
    host: &str,
    port: u16,
    recorder: &Arc<Recorder>,
    deadline: Deadline,
) -> Result<TlsStream, ConnectError> {
    connect_with(host, port, recorder, deadline, rustls::ALL_VERSIONS)
}

/// [`connect`] offering only `versions`.
pub fn connect_with(
    host: &str,
    port: u16,
    recorder: &Arc<Recorder>,
    deadline: Deadline,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<TlsStream, ConnectError> {
    let tcp = TimedTcp::connect(host, port, deadline).map_err(ConnectError::Tcp)?;
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| ConnectError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_client_cert_resolver(recorder.clone());
    let name = ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .map_err(|e| ConnectError::Tls(format!("{host}: {e}")))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        match stream.conn.complete_io(&mut stream.sock) {
            Ok(_) => {}
            Err(e) if is_transport(&e) => return Err(ConnectError::Tcp(e)),
            Err(e) => return Err(ConnectError::Tls(e.to_string())),
        }
    }
    Ok(stream)
}

/// Why a TLS connection failed: the network (nothing listening, timeout) or TLS itself.
#[derive(Debug)]
pub enum ConnectError {
    Tcp(io::Error),
    Tls(String),
}

/// True for I/O errors of the transport rather than of TLS.
pub fn is_transport(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::AddrNotAvailable
    ) && e.get_ref().is_none_or(|inner| !inner.is::<TlsError>())
}

/// The TLS version numbers a ClientHello can offer.
pub const TLS1_0: u16 = 0x0301;
pub const TLS1_1: u16 = 0x0302;

/// Suites TLS 1.0/1.1 servers use (ECDHE and RSA key exchange, AES-CBC and 3DES).
const LEGACY_SUITES: [u16; 8] = [
    0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035, 0x000a, 0x00ff,
];

/// One TLS record holding a ClientHello that offers exactly `version`.
pub fn legacy_client_hello(version: u16, host: &str, random: &[u8; 32]) -> Vec<u8> {
    let mut exts = Vec::new();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_err() && !host.is_empty() {
        // server_name
        let name = host.as_bytes();
        let mut list = vec![0u8];
        list.extend((name.len() as u16).to_be_bytes());
        list.extend(name);
        let mut body = (list.len() as u16).to_be_bytes().to_vec();
        body.extend(list);
        push_ext(&mut exts, 0x0000, &body);
    }
    // supported_groups: x25519, secp256r1, secp384r1
    push_ext(&mut exts, 0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
    // ec_point_formats: uncompressed
    push_ext(&mut exts, 0x000b, &[1, 0]);
    // renegotiation_info (empty)
    push_ext(&mut exts, 0xff01, &[0]);

    let mut hello = Vec::new();
    hello.extend(version.to_be_bytes());
    hello.extend(random);
    hello.push(0); // session id
    hello.extend(((LEGACY_SUITES.len() * 2) as u16).to_be_bytes());
    for s in LEGACY_SUITES {
        hello.extend(s.to_be_bytes());
    }
    hello.extend([1, 0]); // compression: null
    hello.extend((exts.len() as u16).to_be_bytes());
    hello.extend(exts);

    let mut handshake = vec![1u8]; // ClientHello
    handshake.extend(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend(hello);

    let mut record = vec![0x16];
    record.extend(TLS1_0.to_be_bytes());
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

fn push_ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    out.extend(kind.to_be_bytes());
    out.extend((body.len() as u16).to_be_bytes());
    out.extend(body);
}

/// What the first record of the server's answer says about the offered version.
pub fn answer_accepts(answer: &[u8], version: u16) -> bool {
    // Record: type 0x16 (handshake), version, length; then ServerHello (type 2), a 3-byte
    // length and the server_version.
    answer.len() >= 11
        && answer[0] == 0x16
        && answer[5] == 2
        && u16::from_be_bytes([answer[9], answer[10]]) == version
}

/// Does the server accept a handshake at `version` (TLS 1.0 or 1.1)?
pub fn accepts_legacy(host: &str, port: u16, version: u16, deadline: Deadline) -> io::Result<bool> {
    let mut tcp = TimedTcp::connect(host, port, deadline)?;
    let mut random = [0u8; 32];
    provider()
        .secure_random
        .fill(&mut random)
        .map_err(|_| io::Error::other("no random bytes"))?;
    tcp.write_all(&legacy_client_hello(version, host, &random))?;
    tcp.flush()?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 512];
    while answer.len() < 11 {
        match tcp.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e),
        }
    }
    Ok(answer_accepts(&answer, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_hello_is_one_well_formed_record() {
        let r = legacy_client_hello(TLS1_1, "registry.example.com", &[7; 32]);
        assert_eq!(r[0], 0x16);
        assert_eq!(usize::from(u16::from_be_bytes([r[3], r[4]])), r.len() - 5);
        assert_eq!(r[5], 1, "ClientHello");
        let hs_len = (usize::from(r[6]) << 16) | (usize::from(r[7]) << 8) | usize::from(r[8]);
        assert_eq!(hs_len, r.len() - 9);
        assert_eq!(u16::from_be_bytes([r[9], r[10]]), TLS1_1);
        assert!(
            r.windows(20).any(|w| w == b"registry.example.com"),
            "SNI for a DNS name"
        );
        let ip = legacy_client_hello(TLS1_0, "127.0.0.1", &[7; 32]);
        assert!(
            !ip.windows(9).any(|w| w == b"127.0.0.1"),
            "no SNI for an IP"
        );
    }

    #[test]
    fn answers_are_read_as_accepted_only_for_a_server_hello_at_that_version() {
        let hello = [0x16, 3, 1, 0, 50, 2, 0, 0, 46, 3, 1, 0];
        assert!(answer_accepts(&hello, TLS1_0));
        assert!(!answer_accepts(&hello, TLS1_1));
        let alert = [0x15, 3, 1, 0, 2, 2, 70];
        assert!(!answer_accepts(&alert, TLS1_0));
        assert!(!answer_accepts(&[], TLS1_0));
    }

    #[test]
    fn a_ca_file_without_certificates_is_an_error() {
        assert!(roots(Some(b"hello")).is_err());
        assert!(roots(None).is_ok_and(|r| !r.is_empty()));
    }
}
