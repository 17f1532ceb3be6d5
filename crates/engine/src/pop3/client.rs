//! The POP3 client over a socket: [`protocol`](super::protocol) does the talking, this does the
//! reading and writing, each under a time limit.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::protocol::{
    self, Capabilities, Command, Decoder, ProtoError, ResponseCode, Stat, Status,
};
use crate::error::{Error, Result};
use crate::model::{Security, ServerSettings};
use crate::net::{self, Stream, Tls};

/// How a session behaves; the defaults suit a mail client.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long one read or write may take.
    pub timeout: Duration,
    /// The largest message RETR or TOP will hold in memory.
    pub max_message: usize,
    /// Log in with APOP when the greeting offers it (MD5 over the password; no password on the
    /// wire, but weak, so only when the account asks for it).
    pub apop: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(60),
            max_message: protocol::DEFAULT_MAX_MESSAGE,
            apop: false,
        }
    }
}

/// How the session logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    SaslPlain,
    Apop,
    UserPass,
}

/// A logged-in POP3 session (the TRANSACTION state of RFC 1939).
pub struct Client {
    wire: Wire,
    options: Options,
    capabilities: Capabilities,
    login: LoginMethod,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("pop3::Client")
            .field("host", &self.wire.host)
            .field("login", &self.login)
            .finish()
    }
}

fn server_name(host: &str) -> String {
    format!("The incoming server {host}")
}

/// A socket and its decoder before login.
struct Wire {
    stream: Box<dyn Stream>,
    decoder: Decoder,
    host: String,
    timeout: Duration,
    /// Set when a read, a write or the server's bytes failed: the session is out of step and
    /// every later command fails at once.
    broken: bool,
}

impl Wire {
    fn new(stream: Box<dyn Stream>, host: &str, timeout: Duration) -> Wire {
        Wire {
            stream,
            decoder: Decoder::default(),
            host: host.to_string(),
            timeout,
            broken: false,
        }
    }

    fn proto(&self, e: ProtoError) -> Error {
        Error::Protocol {
            server: server_name(&self.host),
            detail: format!("it sent {e}"),
        }
    }

    async fn fill(&mut self) -> Result<()> {
        let mut buf = [0u8; 16 * 1024];
        let n = match tokio::time::timeout(self.timeout, self.stream.read(&mut buf)).await {
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!("Waiting for {} to answer", self.host),
                })
            }
            Ok(Err(source)) => return Err(self.network(source)),
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            return Err(self.network(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            )));
        }
        self.decoder.feed(&buf[..n]);
        Ok(())
    }

    fn network(&self, source: std::io::Error) -> Error {
        Error::Network {
            host: self.host.clone(),
            port: 0,
            source,
        }
    }

    async fn send(&mut self, command: &Command<'_>) -> Result<()> {
        tracing::trace!(host = %self.host, command = %command.redacted(), "pop3 >");
        let bytes = command.encode();
        let write = async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.timeout, write).await {
            Err(_) => Err(Error::Timeout {
                what: format!("Sending to {}", self.host),
            }),
            Ok(Err(source)) => Err(self.network(source)),
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn status(&mut self) -> Result<Status> {
        loop {
            match self.decoder.status().map_err(|e| self.proto(e))? {
                Some(status) => return Ok(status),
                None => self.fill().await?,
            }
        }
    }

    async fn body(&mut self, max: usize) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        while !self
            .decoder
            .body(&mut body, max)
            .map_err(|e| self.proto(e))?
        {
            self.fill().await?;
        }
        Ok(body)
    }

    /// Sends `command` and returns the `+OK` text, or the `-ERR` as an [`Error`].
    async fn command(&mut self, command: &Command<'_>) -> Result<String> {
        let status = self.exchange(command).await?;
        match status {
            Status::Ok(text) => Ok(text),
            Status::Err { code, text } => Err(refusal(&self.host, &command.redacted(), code, text)),
            Status::Continue(_) => Err(Error::Protocol {
                server: server_name(&self.host),
                detail: format!("it asked for more after {}", command.redacted()),
            }),
        }
    }

    /// Sends a multi-line command and returns its body.
    async fn multiline(&mut self, command: &Command<'_>, max: usize) -> Result<Vec<u8>> {
        self.command(command).await?;
        let body = self.body(max).await;
        if body.is_err() {
            self.broken = true;
        }
        body
    }

    /// Sends `command` and reads its status line; any failure but a refusal breaks the session.
    async fn exchange(&mut self, command: &Command<'_>) -> Result<Status> {
        if self.broken {
            return Err(Error::Protocol {
                server: server_name(&self.host),
                detail: format!(
                    "{} was not sent: the session was given up after an earlier error",
                    command.redacted()
                ),
            });
        }
        let status = match self.send(command).await {
            Ok(()) => self.status().await,
            Err(e) => Err(e),
        };
        if status.is_err() {
            self.broken = true;
        }
        status
    }
}

/// A `-ERR` in plain words: the response code decides (RFC 2449, RFC 3206).
fn refusal(host: &str, what: &str, code: Option<ResponseCode>, text: String) -> Error {
    let detail = format!("{what} was answered “-ERR {text}”");
    let server = server_name(host);
    match code {
        Some(ResponseCode::InUse) => Error::MailboxInUse { server, detail },
        Some(ResponseCode::SysTemp) | Some(ResponseCode::LoginDelay) => {
            Error::TryLater { server, detail }
        }
        Some(ResponseCode::Auth) => Error::AuthFailed {
            server,
            detail,
            advice: None,
        },
        _ => Error::Protocol { server, detail },
    }
}

impl Client {
    /// Connects, secures the connection as the settings say (STLS, once chosen, is never
    /// skipped), reads the greeting, asks CAPA and logs in.
    pub async fn connect(tls: &Tls, settings: &ServerSettings, password: &str) -> Result<Client> {
        Client::connect_with(tls, settings, password, Options::default()).await
    }

    /// [`Client::connect`] with other [`Options`].
    pub async fn connect_with(
        tls: &Tls,
        settings: &ServerSettings,
        password: &str,
        options: Options,
    ) -> Result<Client> {
        let host = settings.host.as_str();
        let pin = settings.trusted_cert.as_deref();
        let tcp = net::tcp_connect(host, settings.port).await?;
        let (mut wire, greeting) = match settings.security {
            Security::Tls => {
                let stream = tls.handshake_pinned(host, tcp, pin).await?;
                let mut wire = Wire::new(Box::new(stream), host, options.timeout);
                let greeting = greeting(&mut wire).await?;
                (wire, greeting)
            }
            Security::Starttls => {
                let mut wire = Wire::new(Box::new(tcp), host, options.timeout);
                let greeting = greeting(&mut wire).await?;
                // Ask whatever CAPA says: a refusal is an error, never a reason to go on in clear.
                wire.send(&Command::Stls).await?;
                match wire.status().await? {
                    Status::Ok(_) => {}
                    _ => {
                        return Err(Error::NoStarttls {
                            host: host.to_string(),
                        })
                    }
                }
                if !wire.decoder.take_pending().is_empty() {
                    // Bytes before the handshake would be injected plaintext (RFC 2595 §3.1).
                    return Err(Error::Protocol {
                        server: server_name(host),
                        detail: "it sent data after agreeing to STLS".into(),
                    });
                }
                let stream = tls.handshake_pinned(host, wire.stream, pin).await?;
                (Wire::new(Box::new(stream), host, options.timeout), greeting)
            }
            Security::Plain => {
                let mut wire = Wire::new(Box::new(tcp), host, options.timeout);
                let greeting = greeting(&mut wire).await?;
                (wire, greeting)
            }
        };
        // Capabilities are asked again after STLS (RFC 2595: forget what was said before).
        let capabilities = match wire.multiline(&Command::Capa, protocol::MAX_LINE).await {
            Ok(body) => Capabilities::parse(&body),
            // RFC 1939 servers without CAPA: assume USER/PASS.
            Err(Error::Protocol { .. }) => Capabilities {
                user: true,
                ..Capabilities::default()
            },
            Err(e) => return Err(e),
        };
        let user = settings.username.as_str();
        let login = match (&greeting, options.apop) {
            (Some(stamp), true) => {
                let digest = protocol::apop_digest(stamp, password);
                wire.command(&Command::Apop {
                    user,
                    digest: &digest,
                })
                .await
                .map_err(auth_error)?;
                LoginMethod::Apop
            }
            _ if capabilities.has_sasl("PLAIN") => {
                let ir = protocol::sasl_plain(user, password);
                wire.send(&Command::AuthPlain(Some(&ir))).await?;
                let mut status = wire.status().await?;
                if let Status::Continue(_) = status {
                    // A server that wants the response after an empty challenge gets it again.
                    wire.send(&Command::Continuation(&ir)).await?;
                    status = wire.status().await?;
                }
                match status {
                    Status::Ok(_) => {}
                    Status::Err { code, text } => {
                        return Err(auth_error(refusal(host, "AUTH PLAIN ***", code, text)))
                    }
                    Status::Continue(_) => {
                        wire.send(&Command::Continuation("*")).await?;
                        let _ = wire.status().await;
                        return Err(Error::Protocol {
                            server: server_name(host),
                            detail: "it kept asking during AUTH PLAIN".into(),
                        });
                    }
                }
                LoginMethod::SaslPlain
            }
            _ => {
                wire.command(&Command::User(user))
                    .await
                    .map_err(auth_error)?;
                wire.command(&Command::Pass(password))
                    .await
                    .map_err(auth_error)?;
                LoginMethod::UserPass
            }
        };
        Ok(Client {
            wire,
            options,
            capabilities,
            login,
        })
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The largest message [`Client::retr`] accepts.
    pub fn max_message(&self) -> usize {
        self.options.max_message
    }

    pub fn login_method(&self) -> LoginMethod {
        self.login
    }

    /// `STAT`: message count and total size.
    pub async fn stat(&mut self) -> Result<Stat> {
        let text = self.wire.command(&Command::Stat).await?;
        protocol::parse_stat(&text).map_err(|e| malformed(&self.wire.host, e))
    }

    /// `LIST`: every message number with its size (the listing is held to `max_message` too).
    pub async fn list(&mut self) -> Result<Vec<(u32, u64)>> {
        let body = self
            .wire
            .multiline(&Command::List(None), self.options.max_message)
            .await?;
        protocol::parse_listing(&body, protocol::parse_list_entry)
            .map_err(|e| malformed(&self.wire.host, e))
    }

    /// `LIST n`: the size of one message.
    pub async fn list_one(&mut self, msg: u32) -> Result<u64> {
        let text = self.wire.command(&Command::List(Some(msg))).await?;
        protocol::parse_list_entry(&text)
            .map(|(_, size)| size)
            .map_err(|e| malformed(&self.wire.host, e))
    }

    /// `UIDL`: every message number with its unique id.
    pub async fn uidl(&mut self) -> Result<Vec<(u32, String)>> {
        let body = self
            .wire
            .multiline(&Command::Uidl(None), self.options.max_message)
            .await?;
        protocol::parse_listing(&body, protocol::parse_uidl_entry)
            .map_err(|e| malformed(&self.wire.host, e))
    }

    /// `UIDL n`: the unique id of one message.
    pub async fn uidl_one(&mut self, msg: u32) -> Result<String> {
        let text = self.wire.command(&Command::Uidl(Some(msg))).await?;
        protocol::parse_uidl_entry(&text)
            .map(|(_, uid)| uid)
            .map_err(|e| malformed(&self.wire.host, e))
    }

    /// `TOP n lines`: the header and the first `lines` lines of the body.
    pub async fn top(&mut self, msg: u32, lines: u32) -> Result<Vec<u8>> {
        let max = self.options.max_message;
        self.wire.multiline(&Command::Top { msg, lines }, max).await
    }

    /// `RETR n`: the whole message as stored, dot-unstuffed; an error past `max_message`.
    pub async fn retr(&mut self, msg: u32) -> Result<Vec<u8>> {
        let max = self.options.max_message;
        self.wire.multiline(&Command::Retr(msg), max).await
    }

    /// `RETR` of several messages, read one by one from the returned [`Retrieval`]. With
    /// PIPELINING (RFC 2449) up to [`PIPELINE_WINDOW`] commands are in flight, so the server
    /// never waits for the client's next request; without it, one at a time.
    pub fn retr_many<'a>(&'a mut self, msgs: &'a [u32]) -> Retrieval<'a> {
        let window = if self.capabilities.pipelining {
            PIPELINE_WINDOW
        } else {
            1
        };
        Retrieval {
            client: self,
            msgs,
            sent: 0,
            received: 0,
            window,
        }
    }

    /// `DELE n`: marks a message; the server deletes it only at a clean [`Client::quit`].
    pub async fn dele(&mut self, msg: u32) -> Result<()> {
        self.wire.command(&Command::Dele(msg)).await.map(drop)
    }

    pub async fn noop(&mut self) -> Result<()> {
        self.wire.command(&Command::Noop).await.map(drop)
    }

    /// `RSET`: unmarks every message marked for deletion.
    pub async fn rset(&mut self) -> Result<()> {
        self.wire.command(&Command::Rset).await.map(drop)
    }

    /// `QUIT`: ends the session and commits the deletions (the UPDATE state). A session dropped
    /// without it deletes nothing.
    pub async fn quit(mut self) -> Result<()> {
        self.wire.command(&Command::Quit).await?;
        let _ = tokio::time::timeout(self.options.timeout, self.wire.stream.shutdown()).await;
        Ok(())
    }
}

/// How many RETR commands may be in flight at once when the server offers PIPELINING.
pub const PIPELINE_WINDOW: usize = 8;

/// Messages being retrieved by [`Client::retr_many`].
pub struct Retrieval<'a> {
    client: &'a mut Client,
    msgs: &'a [u32],
    sent: usize,
    received: usize,
    window: usize,
}

impl Retrieval<'_> {
    /// The next message, in the order asked: `(number, bytes)`; `None` once all are read. A
    /// refusal or any failure ends the session's usefulness (the answers in flight are out of
    /// step): every later command fails.
    pub async fn next(&mut self) -> Result<Option<(u32, Vec<u8>)>> {
        if self.received == self.msgs.len() {
            return Ok(None);
        }
        let wire = &mut self.client.wire;
        if wire.broken {
            return Err(Error::Protocol {
                server: server_name(&wire.host),
                detail: "RETR was not sent: the session was given up after an earlier error".into(),
            });
        }
        while self.sent < self.msgs.len() && self.sent - self.received < self.window {
            if let Err(e) = wire.send(&Command::Retr(self.msgs[self.sent])).await {
                wire.broken = true;
                return Err(e);
            }
            self.sent += 1;
        }
        let msg = self.msgs[self.received];
        let what = format!("RETR {msg}");
        let max = self.client.options.max_message;
        let result = match wire.status().await {
            Ok(Status::Ok(_)) => wire.body(max).await,
            Ok(Status::Err { code, text }) => Err(refusal(&wire.host, &what, code, text)),
            Ok(Status::Continue(_)) => Err(Error::Protocol {
                server: server_name(&wire.host),
                detail: format!("it asked for more after {what}"),
            }),
            Err(e) => Err(e),
        };
        match result {
            Ok(body) => {
                self.received += 1;
                Ok(Some((msg, body)))
            }
            Err(e) => {
                wire.broken = true;
                Err(e)
            }
        }
    }
}

fn malformed(host: &str, e: ProtoError) -> Error {
    Error::Protocol {
        server: server_name(host),
        detail: format!("it sent {e}"),
    }
}

/// During login, a refusal without a code means the credentials (RFC 3206 leaves it open; a
/// server problem comes with [SYS/…], a busy mailbox with [IN-USE]).
fn auth_error(e: Error) -> Error {
    match e {
        Error::Protocol { server, detail } => Error::AuthFailed {
            server,
            detail,
            advice: None,
        },
        other => other,
    }
}

/// The greeting; its APOP timestamp when there is one.
async fn greeting(wire: &mut Wire) -> Result<Option<String>> {
    match wire.status().await? {
        Status::Ok(text) => Ok(protocol::greeting_timestamp(&text).map(str::to_string)),
        Status::Err { code, text } => Err(refusal(&wire.host, "the connection", code, text)),
        Status::Continue(_) => Err(Error::Protocol {
            server: server_name(&wire.host),
            detail: "it did not greet with +OK".into(),
        }),
    }
}
