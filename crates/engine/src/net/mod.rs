//! Connecting to servers: TCP with time limits, and TLS through rustls with the operating
//! system's trust store (rustls-platform-verifier). Certificates are always verified; a test or a
//! user who needs to trust another CA adds it the way the system does (the system store, or
//! `SSL_CERT_FILE` on Linux), never by switching verification off. There is no silent downgrade:
//! STARTTLS that was chosen and is not offered is an error (see `imap` and `smtp`).

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::error::{Error, Result};
use crate::model::CertificateInfo;

/// How many bytes a TLS connection reads from its socket at a time (see [`Tls::handshake_pinned`]).
const TLS_READ_BUFFER: usize = 256 << 10;

/// How long a TCP connect or TLS handshake may take before we give up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Any byte stream a protocol client can run over: plain TCP or TLS over TCP.
pub trait Stream:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug
{
}
impl<T> Stream for T where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug
{
}

/// TLS for every connection of the engine: the platform verifier (the OS trust store), loaded
/// once and shared. Each handshake wraps it in an [`Inspector`] that remembers the certificate
/// the server showed (to explain a failure) and accepts exactly one pinned certificate when the
/// user chose to trust it.
#[derive(Clone)]
pub struct Tls {
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<rustls_platform_verifier::Verifier>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls(platform verifier)")
    }
}

impl Tls {
    /// TLS that trusts what the operating system trusts.
    pub fn platform() -> Result<Tls> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| {
            Error::Internal(format!("loading the system's trusted certificates: {e}"))
        })?;
        Ok(Tls {
            provider,
            verifier: Arc::new(verifier),
        })
    }

    /// A client configuration with the platform verifier, for clients that build their own
    /// connections (HTTP). No pin: everything is verified against the OS trust store.
    pub fn client_config(&self) -> Result<rustls::ClientConfig> {
        self.config(Arc::new(Inspector::new(self.verifier.clone(), None)))
    }

    fn config(&self, verifier: Arc<Inspector>) -> Result<rustls::ClientConfig> {
        Ok(
            rustls::ClientConfig::builder_with_provider(self.provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| Error::Internal(format!("TLS set-up: {e}")))?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth(),
        )
    }

    /// Runs the TLS handshake over an established stream and verifies the server's certificate
    /// for `host`.
    pub async fn handshake<S>(&self, host: &str, stream: S) -> Result<TlsStream<BufReader<S>>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        self.handshake_pinned(host, stream, None).await
    }

    /// Like [`Tls::handshake`], but a certificate whose SHA-256 fingerprint is `pin` is accepted
    /// even though no trusted authority vouches for it (the user trusted exactly that one).
    ///
    /// The socket is read through a [`TLS_READ_BUFFER`] buffer: rustls asks for 4 KiB at a time,
    /// which on a fast link is a system call (and a TCP window update) per 4 KiB of mail.
    pub async fn handshake_pinned<S>(
        &self,
        host: &str,
        stream: S,
        pin: Option<&str>,
    ) -> Result<TlsStream<BufReader<S>>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| Error::InvalidInput(format!("“{host}” is not a valid server name.")))?;
        let pin = match pin {
            Some(p) => Some(parse_fingerprint(p).ok_or_else(|| {
                Error::InvalidInput(format!("“{p}” is not a SHA-256 certificate fingerprint."))
            })?),
            None => None,
        };
        let inspector = Arc::new(Inspector::new(self.verifier.clone(), pin));
        let connector = TlsConnector::from(Arc::new(self.config(inspector.clone())?));
        let stream = BufReader::with_capacity(TLS_READ_BUFFER, stream);
        match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, stream)).await {
            Err(_) => Err(Error::Timeout {
                what: format!("The secure connection to {host}"),
            }),
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(classify_tls_error(host, e, inspector.seen())),
        }
    }
}

/// Wraps the platform verifier: records the server's certificate, and accepts a pinned one.
/// Signatures are always checked by the platform verifier, pinned or not.
#[derive(Debug)]
struct Inspector {
    inner: Arc<rustls_platform_verifier::Verifier>,
    pin: Option<[u8; 32]>,
    seen: std::sync::Mutex<Option<CertificateDer<'static>>>,
}

impl Inspector {
    fn new(inner: Arc<rustls_platform_verifier::Verifier>, pin: Option<[u8; 32]>) -> Inspector {
        Inspector {
            inner,
            pin,
            seen: std::sync::Mutex::new(None),
        }
    }

    fn seen(&self) -> Option<CertificateDer<'static>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl ServerCertVerifier for Inspector {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(end_entity.clone().into_owned());
        if let Some(pin) = &self.pin {
            if sha256(end_entity.as_ref()) == *pin {
                return Ok(ServerCertVerified::assertion());
            }
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn sha256(der: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// `AB:CD:…` (upper-case hex, colon separated), as browsers and `openssl x509 -fingerprint` show it.
pub fn fingerprint(der: &[u8]) -> String {
    sha256(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Reads a SHA-256 fingerprint written with or without colons, in either case.
pub fn parse_fingerprint(s: &str) -> Option<[u8; 32]> {
    let hex: String = s.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// What a person needs to judge a certificate.
pub fn certificate_info(host: &str, der: &[u8], reason: &str) -> CertificateInfo {
    let (subject, issuer, not_before, not_after) = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => (
            cert.subject().to_string(),
            cert.issuer().to_string(),
            cert.validity().not_before.timestamp(),
            cert.validity().not_after.timestamp(),
        ),
        Err(_) => ("(unreadable)".into(), "(unreadable)".into(), 0, 0),
    };
    CertificateInfo {
        host: host.to_string(),
        sha256: fingerprint(der),
        subject,
        issuer,
        not_before,
        not_after,
        reason: reason.to_string(),
    }
}

fn certificate_reason(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => {
            "no authority your system trusts vouches for it (it may be self-signed)".into()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it was issued for a different server name".into()
        }
        C::Expired | C::ExpiredContext { .. } => "it has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet (check your computer's clock)".into()
        }
        C::Revoked => "it has been revoked by its issuer".into(),
        C::BadSignature => "its signature is invalid".into(),
        other => format!("it was rejected ({other:?})"),
    }
}

fn classify_tls_error(
    host: &str,
    e: std::io::Error,
    seen: Option<CertificateDer<'static>>,
) -> Error {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(reason)) => {
            let reason = certificate_reason(reason);
            Error::CertificateNotTrusted {
                host: host.to_string(),
                certificate: seen
                    .map(|der| Box::new(certificate_info(host, der.as_ref(), &reason))),
                detail: reason,
            }
        }
        Some(other) => Error::Tls {
            host: host.to_string(),
            detail: other.to_string(),
        },
        None => Error::Tls {
            host: host.to_string(),
            detail: e.to_string(),
        },
    }
}

/// Resolves `host` and connects to the first address that answers, within [`CONNECT_TIMEOUT`].
pub async fn tcp_connect(host: &str, port: u16) -> Result<TcpStream> {
    let addrs: Vec<_> =
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host((host, port))).await {
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!("Looking up {host}"),
                })
            }
            Ok(Err(source)) => {
                return Err(Error::HostNotFound {
                    host: host.to_string(),
                    source,
                })
            }
            Ok(Ok(addrs)) => addrs.collect(),
        };
    let mut last: Option<Error> = None;
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = Some(Error::ConnectionRefused {
                    host: host.to_string(),
                    port,
                })
            }
            Ok(Err(source)) => {
                last = Some(Error::Network {
                    host: host.to_string(),
                    port,
                    source,
                })
            }
            Err(_) => {
                last = Some(Error::Timeout {
                    what: format!("Connecting to {host} on port {port}"),
                })
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::HostNotFound {
        host: host.to_string(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
    }))
}
