//! Sending through SMTP submission with lettre: implicit TLS (465) or STARTTLS (587, required —
//! never skipped), AUTH PLAIN/LOGIN, certificates verified by the platform verifier.

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::error::{Error, Result};
use crate::model::{Security, ServerSettings};

const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

fn transport(
    settings: &ServerSettings,
    password: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let params = || {
        TlsParameters::new(settings.host.clone()).map_err(|e| Error::Tls {
            host: settings.host.clone(),
            detail: e.to_string(),
        })
    };
    let tls = match settings.security {
        Security::Tls => Tls::Wrapper(params()?),
        Security::Starttls => Tls::Required(params()?),
        Security::Plain => Tls::None,
    };
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT))
            .credentials(Credentials::new(
                settings.username.clone(),
                password.to_string(),
            ))
            .authentication(vec![Mechanism::Plain, Mechanism::Login])
            .build(),
    )
}

/// Connects, secures and logs in, then quits: proves the settings work.
pub async fn check_login(settings: &ServerSettings, password: &str) -> Result<()> {
    let t = transport(settings, password)?;
    match t.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::Protocol {
            server: server_name(settings),
            detail: "the connection test failed".into(),
        }),
        Err(e) => Err(classify(settings, e)),
    }
}

/// Sends a finished message to its envelope recipients.
pub async fn send(
    settings: &ServerSettings,
    password: &str,
    message: &lettre::Message,
) -> Result<()> {
    let t = transport(settings, password)?;
    t.send(message.clone())
        .await
        .map(|_| ())
        .map_err(|e| classify(settings, e))
}

fn server_name(settings: &ServerSettings) -> String {
    format!("The outgoing server {}", settings.host)
}

fn classify(settings: &ServerSettings, e: SmtpError) -> Error {
    let host = settings.host.clone();
    let text = e.to_string();
    let chain = {
        let mut s = text.clone();
        let mut src = std::error::Error::source(&e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    };
    let lower = chain.to_ascii_lowercase();
    if e.is_permanent() {
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        if code.starts_with("535") || code.starts_with("534") || lower.contains("authentication") {
            return Error::AuthFailed {
                server: server_name(settings),
                detail: chain,
            };
        }
        return Error::SendRejected(chain);
    }
    if e.is_timeout() {
        return Error::Timeout {
            what: format!("Talking to the outgoing server {host}"),
        };
    }
    if lower.contains("invalidcertificate") || lower.contains("certificate") {
        return Error::CertificateNotTrusted {
            host,
            detail: chain,
        };
    }
    if lower.contains("starttls")
        || (settings.security == Security::Starttls && lower.contains("tls"))
    {
        return Error::NoStarttls { host };
    }
    if lower.contains("connection refused") {
        return Error::ConnectionRefused {
            host,
            port: settings.port,
        };
    }
    if lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no address")
    {
        return Error::HostNotFound {
            host,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, chain),
        };
    }
    if lower.contains("auth") && (lower.contains("mechanism") || lower.contains("no compatible")) {
        return Error::AuthFailed {
            server: server_name(settings),
            detail: chain,
        };
    }
    if e.is_transient() {
        return Error::SendRejected(chain);
    }
    if lower.contains("tls") || lower.contains("handshake") {
        return Error::Tls {
            host,
            detail: chain,
        };
    }
    Error::Network {
        host,
        port: settings.port,
        source: std::io::Error::other(chain),
    }
}
