//! Sending through SMTP submission with lettre: implicit TLS (465) or STARTTLS (587, required —
//! never skipped), AUTH PLAIN/LOGIN, certificates verified by the platform verifier.

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Tls as LettreTls, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::error::{Error, Result};
use crate::model::{Security, ServerSettings};
use crate::net::{self, Tls};

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
        Security::Tls => LettreTls::Wrapper(params()?),
        Security::Starttls => LettreTls::Required(params()?),
        Security::Plain => LettreTls::None,
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
pub async fn check_login(tls: &Tls, settings: &ServerSettings, password: &str) -> Result<()> {
    if let Some(pin) = settings.trusted_cert.as_deref() {
        let mut conn = connect_pinned(tls, settings, pin, password).await?;
        let _ = conn.quit().await;
        return Ok(());
    }
    let t = transport(settings, password)?;
    match t.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::Protocol {
            server: server_name(settings),
            detail: "the connection test failed".into(),
        }),
        Err(e) => Err(explain(tls, settings, e).await),
    }
}

/// Sends a finished message (`raw`, RFC 5322 with CRLF line ends) to its envelope recipients.
pub async fn send(
    tls: &Tls,
    settings: &ServerSettings,
    password: &str,
    envelope: &lettre::address::Envelope,
    raw: &[u8],
) -> Result<()> {
    if let Some(pin) = settings.trusted_cert.as_deref() {
        let mut conn = connect_pinned(tls, settings, pin, password).await?;
        let sent = conn
            .send(envelope, raw)
            .await
            .map_err(|e| classify(settings, e));
        let _ = conn.quit().await;
        return sent.map(|_| ());
    }
    let t = transport(settings, password)?;
    match t.send_raw(envelope, raw).await {
        Ok(_) => Ok(()),
        Err(e) => Err(explain(tls, settings, e).await),
    }
}

/// The largest message the server takes, from the SIZE keyword of its EHLO answer (RFC 1870),
/// read after the same TLS or STARTTLS as sending (and the user's pinned certificate, if any);
/// `None` when it names no limit. lettre does not keep SIZE, so the EHLO is ours.
pub async fn size_limit(tls: &Tls, settings: &ServerSettings) -> Result<Option<u64>> {
    use tokio::io::AsyncWriteExt;
    let stream: Box<dyn AsyncTokioStream> = match settings.security {
        Security::Plain => {
            let tcp = net::tcp_connect(&settings.host, settings.port).await?;
            let peer = tcp.peer_addr().map_err(|source| Error::Network {
                host: settings.host.clone(),
                port: settings.port,
                source,
            })?;
            Box::new(Replay::new(tcp, Vec::new(), peer))
        }
        _ => open_secured(tls, settings, settings.trusted_cert.as_deref()).await?,
    };
    // The greeting (after STARTTLS, the one replayed), then EHLO.
    let mut r = tokio::io::BufReader::new(stream);
    let (code, caps) = greet_and_ehlo(settings, &mut r).await?;
    let _ = r.get_mut().write_all(b"QUIT\r\n").await;
    if code != 250 {
        return Err(Error::Protocol {
            server: server_name(settings),
            detail: caps,
        });
    }
    Ok(size_from_ehlo(&caps))
}

/// The SIZE keyword's number in an EHLO reply; `None` without one, or when it is 0 (no limit).
fn size_from_ehlo(reply: &str) -> Option<u64> {
    reply.lines().find_map(|l| {
        let mut words = l.get(4..)?.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("SIZE") {
            return None;
        }
        words.next()?.parse::<u64>().ok().filter(|&n| n > 0)
    })
}

/// Classifies a lettre error; for a certificate problem, looks at the certificate itself (with
/// our own handshake) so the user can see what the server showed and decide.
async fn explain(tls: &Tls, settings: &ServerSettings, e: SmtpError) -> Error {
    let err = classify(settings, e);
    if matches!(err, Error::CertificateNotTrusted { .. }) {
        if let Err(inspected @ Error::CertificateNotTrusted { .. }) =
            open_secured(tls, settings, None).await
        {
            return inspected;
        }
    }
    err
}

/// An SMTP session over our own TLS stream, for a server whose certificate the user pinned
/// (lettre's TLS cannot pin). Logged in when it returns.
async fn connect_pinned(
    tls: &Tls,
    settings: &ServerSettings,
    pin: &str,
    password: &str,
) -> Result<AsyncSmtpConnection> {
    let stream = open_secured(tls, settings, Some(pin)).await?;
    let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &ClientId::default())
        .await
        .map_err(|e| classify(settings, e))?;
    conn.auth(
        &[Mechanism::Plain, Mechanism::Login],
        &Credentials::new(settings.username.clone(), password.to_string()),
    )
    .await
    .map_err(|e| classify(settings, e))?;
    Ok(conn)
}

/// TCP, then TLS (implicit, or after STARTTLS which we negotiate ourselves), verified — with an
/// optional pinned certificate. After STARTTLS the server sends no new greeting, so the stream
/// replays one for lettre, which expects to read a greeting first.
async fn open_secured(
    tls: &Tls,
    settings: &ServerSettings,
    pin: Option<&str>,
) -> Result<Box<dyn AsyncTokioStream>> {
    let host = settings.host.as_str();
    let tcp = net::tcp_connect(host, settings.port).await?;
    let peer = tcp.peer_addr().map_err(|source| Error::Network {
        host: host.to_string(),
        port: settings.port,
        source,
    })?;
    match settings.security {
        Security::Tls => {
            let stream = tls.handshake_pinned(host, tcp, pin).await?;
            Ok(Box::new(Replay::new(stream, Vec::new(), peer)))
        }
        Security::Starttls => {
            let tcp = starttls(settings, tcp).await?;
            let stream = tls.handshake_pinned(host, tcp, pin).await?;
            Ok(Box::new(Replay::new(
                stream,
                b"220 ready after STARTTLS\r\n".to_vec(),
                peer,
            )))
        }
        Security::Plain => Err(Error::InvalidInput(
            "A trusted certificate only makes sense on an encrypted connection.".into(),
        )),
    }
}

/// Reads one SMTP reply (all its lines); returns (code, text).
async fn read_reply<R: tokio::io::AsyncBufRead + Unpin>(
    settings: &ServerSettings,
    r: &mut R,
) -> Result<(u16, String)> {
    use tokio::io::AsyncBufReadExt;
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(net::CONNECT_TIMEOUT, r.read_line(&mut line))
            .await
            .map_err(|_| Error::Timeout {
                what: format!("Waiting for the outgoing server {}", settings.host),
            })?
            .map_err(|source| Error::Network {
                host: settings.host.clone(),
                port: settings.port,
                source,
            })?;
        if n == 0 || line.len() < 4 {
            return Err(Error::Protocol {
                server: server_name(settings),
                detail: format!("the connection ended in the middle of a reply: {text}{line}"),
            });
        }
        text.push_str(&line);
        let code = line[..3].parse::<u16>().map_err(|_| Error::Protocol {
            server: server_name(settings),
            detail: format!("not an SMTP reply: {line:?}"),
        })?;
        if line.as_bytes()[3] == b' ' {
            return Ok((code, text));
        }
    }
}

/// Reads the server's greeting (refused unless 220) and says EHLO; returns EHLO's answer.
async fn greet_and_ehlo<S>(
    settings: &ServerSettings,
    r: &mut tokio::io::BufReader<S>,
) -> Result<(u16, String)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    let (code, text) = read_reply(settings, r).await?;
    if code != 220 {
        return Err(Error::Protocol {
            server: server_name(settings),
            detail: text,
        });
    }
    r.get_mut()
        .write_all(b"EHLO petrel.localdomain\r\n")
        .await
        .map_err(|source| Error::Network {
            host: settings.host.clone(),
            port: settings.port,
            source,
        })?;
    read_reply(settings, r).await
}

async fn starttls(settings: &ServerSettings, tcp: TcpStream) -> Result<TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut r = tokio::io::BufReader::new(tcp);
    let io = |source| Error::Network {
        host: settings.host.clone(),
        port: settings.port,
        source,
    };
    let (_, caps) = greet_and_ehlo(settings, &mut r).await?;
    if !caps.lines().any(|l| {
        l.get(4..)
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("STARTTLS"))
    }) {
        return Err(Error::NoStarttls {
            host: settings.host.clone(),
        });
    }
    r.get_mut().write_all(b"STARTTLS\r\n").await.map_err(io)?;
    let (code, _) = read_reply(settings, &mut r).await?;
    if code != 220 {
        return Err(Error::NoStarttls {
            host: settings.host.clone(),
        });
    }
    Ok(r.into_inner())
}

/// A stream that first yields `prefix`, then the inner stream's bytes.
#[derive(Debug)]
struct Replay<S> {
    inner: S,
    prefix: Vec<u8>,
    pos: usize,
    peer: SocketAddr,
}

impl<S> Replay<S> {
    fn new(inner: S, prefix: Vec<u8>, peer: SocketAddr) -> Self {
        Replay {
            inner,
            prefix,
            pos: 0,
            peer,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.pos);
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> AsyncTokioStream for Replay<S>
where
    S: AsyncRead + AsyncWrite + Send + Sync + Unpin + std::fmt::Debug,
{
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

fn server_name(settings: &ServerSettings) -> String {
    format!("The outgoing server {}", settings.host)
}

/// The server's own words from lettre's "permanent error (550): 5.1.1 <…>: …", with the code
/// moved to the end: "5.1.1 <…>: … (550)".
fn server_words(chain: &str) -> String {
    let Some(rest) = chain.strip_prefix("permanent error (") else {
        return chain.to_string();
    };
    match rest.split_once("): ") {
        Some((code, words)) if !words.trim().is_empty() => format!("{} ({code})", words.trim()),
        _ => chain.to_string(),
    }
}

fn classify(settings: &ServerSettings, e: SmtpError) -> Error {
    let host = settings.host.clone();
    let text = e.to_string();
    let chain = {
        let mut s = text.clone();
        let mut src = std::error::Error::source(&e);
        while let Some(inner) = src {
            // lettre's sources repeat each other's words: each is said once.
            let words = inner.to_string();
            if !s.contains(&words) {
                s.push_str(": ");
                s.push_str(&words);
            }
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
                advice: None,
            };
        }
        // lettre's sources repeat the server's words: the error's own text has them once.
        return Error::SendRejected(server_words(&text));
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
            certificate: None,
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
            advice: None,
        };
    }
    if e.is_transient() {
        return Error::SendDeferred {
            server: server_name(settings),
            detail: chain,
        };
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

#[cfg(test)]
mod tests {
    use super::size_from_ehlo;

    #[test]
    fn size_is_read_from_ehlo() {
        let reply =
            "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
        assert_eq!(size_from_ehlo(reply), Some(10_240_000));
        assert_eq!(size_from_ehlo("250-x\r\n250 SIZE\r\n"), None);
        assert_eq!(size_from_ehlo("250-x\r\n250 SIZE 0\r\n"), None);
        assert_eq!(size_from_ehlo("250 x\r\n"), None);
    }

    #[test]
    fn refusals_read_as_the_servers_words() {
        assert_eq!(
            super::server_words("permanent error (550): 5.1.1 <x@y>: Recipient address rejected"),
            "5.1.1 <x@y>: Recipient address rejected (550)"
        );
        assert_eq!(super::server_words("something else"), "something else");
    }
}
