//! Connecting to servers: TCP with time limits, and TLS through rustls with the operating
//! system's trust store (rustls-platform-verifier). Certificates are always verified; a test or a
//! user who needs to trust another CA adds it the way the system does (the system store, or
//! `SSL_CERT_FILE` on Linux), never by switching verification off. There is no silent downgrade:
//! STARTTLS that was chosen and is not offered is an error (see `imap` and `smtp`).

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls_platform_verifier::BuilderVerifierExt;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::error::{Error, Result};

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

/// A TLS client configuration shared by every connection of the engine.
#[derive(Clone)]
pub struct Tls {
    connector: TlsConnector,
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
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Internal(format!("TLS set-up: {e}")))?
            .with_platform_verifier()
            .map_err(|e| {
                Error::Internal(format!("loading the system's trusted certificates: {e}"))
            })?
            .with_no_client_auth();
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
        })
    }

    /// Runs the TLS handshake over an established stream and verifies the server's certificate
    /// for `host`.
    pub async fn handshake<S>(&self, host: &str, stream: S) -> Result<TlsStream<S>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| Error::InvalidInput(format!("“{host}” is not a valid server name.")))?;
        match tokio::time::timeout(CONNECT_TIMEOUT, self.connector.connect(name, stream)).await {
            Err(_) => Err(Error::Timeout {
                what: format!("The secure connection to {host}"),
            }),
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(classify_tls_error(host, e)),
        }
    }
}

fn classify_tls_error(host: &str, e: std::io::Error) -> Error {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(reason)) => Error::CertificateNotTrusted {
            host: host.to_string(),
            detail: format!("{reason:?}"),
        },
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
