//! Probing one server: read the greeting, ask for its capabilities (IMAP `CAPABILITY`, POP3
//! `CAPA`, SMTP `EHLO`), upgrade with STARTTLS / STLS when the port calls for it and the server
//! offers it, and ask again over TLS. [`Probe`] is the protocol, sans I/O: bytes in, [`Step`]s
//! out, so every branch is unit-tested with recorded server answers. [`run`] is the thin
//! network layer on top, over [`crate::net::tcp_connect`] and [`crate::net::Tls`].

use std::net::IpAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::Error;
use crate::model::{Protocol, Security};
use crate::net::{self, Tls};

/// A line longer than this is not a mail protocol talking.
const MAX_LINE: usize = 16 * 1024;
/// Capability answers longer than this are refused.
const MAX_BUFFER: usize = 64 * 1024;

/// What the server told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Findings {
    pub protocol: Protocol,
    /// How the capabilities were read: `Tls` (implicit), `Starttls` (upgraded) or `Plain`.
    pub security: Security,
    /// The greeting line, without the status word.
    pub greeting: String,
    /// Capabilities as the server listed them (IMAP atoms, POP3 CAPA lines, SMTP EHLO lines).
    pub capabilities: Vec<String>,
    /// SASL mechanisms offered (`PLAIN`, `LOGIN`, `XOAUTH2`, …), upper case.
    pub auth_mechanisms: Vec<String>,
    /// Whether the server offered STARTTLS / STLS on the plain connection.
    pub starttls_offered: bool,
    /// Whether a user name and password could log in here (IMAP LOGIN without LOGINDISABLED,
    /// or AUTH=PLAIN; POP3 USER or SASL PLAIN; SMTP AUTH PLAIN or LOGIN).
    pub password_login: bool,
}

/// What the caller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes, then read.
    Send(Vec<u8>),
    /// Read more bytes.
    Read,
    /// Run the TLS handshake now, then call [`Probe::tls_started`].
    StartTls,
    /// Finished.
    Done(Findings),
}

/// Why a probe ended without findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// Another protocol (or none) answered.
    WrongProtocol(String),
    /// The server said it will not talk to us (`* BYE`, `-ERR`, `554`).
    Refused(String),
    /// The server offered STARTTLS and then refused it.
    StartTlsRefused(String),
    /// The server sent bytes after agreeing to STARTTLS, before the handshake (an injection).
    DataBeforeTls,
    /// Lines too long, or an answer that makes no sense.
    Malformed(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::WrongProtocol(l) => write!(f, "another service answered: {l:?}"),
            ProbeError::Refused(l) => write!(f, "the server refused the connection: {l}"),
            ProbeError::StartTlsRefused(l) => {
                write!(f, "the server offered STARTTLS and then refused it: {l}")
            }
            ProbeError::DataBeforeTls => {
                f.write_str("the server sent data before the TLS handshake (refused as unsafe)")
            }
            ProbeError::Malformed(e) => write!(f, "the answer makes no sense: {e}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Capabilities,
    StartTls,
    Finished,
}

/// The protocol side of one probe.
#[derive(Debug)]
pub struct Probe {
    protocol: Protocol,
    /// Upgrade with STARTTLS if offered (a STARTTLS port); false on implicit-TLS ports.
    upgrade: bool,
    tls: Security,
    state: State,
    buf: Vec<u8>,
    greeting: String,
    capabilities: Vec<String>,
    /// SMTP / POP3 multi-line answer in progress.
    collecting: bool,
    starttls_offered: bool,
    tag: u32,
}

impl Probe {
    /// A probe on a connection that is already TLS (`Security::Tls`) or plain, to be upgraded
    /// when the server offers it (`Security::Starttls`) or left plain (`Security::Plain`).
    pub fn new(protocol: Protocol, security: Security) -> Probe {
        Probe {
            protocol,
            upgrade: security == Security::Starttls,
            tls: if security == Security::Tls {
                Security::Tls
            } else {
                Security::Plain
            },
            state: State::Greeting,
            buf: Vec::new(),
            greeting: String::new(),
            capabilities: Vec::new(),
            collecting: false,
            starttls_offered: false,
            tag: 0,
        }
    }

    /// The servers of all three protocols speak first.
    pub fn start(&self) -> Step {
        Step::Read
    }

    /// A polite goodbye to write before closing (its answer is not awaited).
    pub fn goodbye(&self) -> &'static [u8] {
        match self.protocol {
            Protocol::Imap => b"Z LOGOUT\r\n",
            Protocol::Pop3 | Protocol::Smtp => b"QUIT\r\n",
        }
    }

    /// Feeds bytes read from the server.
    pub fn receive(&mut self, data: &[u8]) -> Result<Step, ProbeError> {
        if self.state == State::Finished {
            return Err(ProbeError::Malformed("data after the end".into()));
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() > MAX_BUFFER {
            return Err(ProbeError::Malformed("the answer is far too long".into()));
        }
        while let Some(line) = self.next_line()? {
            if let Some(step) = self.line(&line)? {
                if step == Step::StartTls && !self.buf.is_empty() {
                    return Err(ProbeError::DataBeforeTls);
                }
                return Ok(step);
            }
        }
        Ok(Step::Read)
    }

    /// The TLS handshake after STARTTLS succeeded: ask for the capabilities again (they often
    /// change: AUTH appears only over TLS).
    pub fn tls_started(&mut self) -> Step {
        self.tls = Security::Starttls;
        self.capabilities.clear();
        self.state = State::Capabilities;
        self.buf.clear();
        self.capability_command()
    }

    fn next_line(&mut self) -> Result<Option<String>, ProbeError> {
        match self.buf.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let raw: Vec<u8> = self.buf.drain(..=end).collect();
                let text = String::from_utf8_lossy(&raw);
                Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
            }
            None if self.buf.len() > MAX_LINE => {
                Err(ProbeError::Malformed("a line is far too long".into()))
            }
            None => Ok(None),
        }
    }

    fn capability_command(&mut self) -> Step {
        self.collecting = false;
        match self.protocol {
            Protocol::Imap => {
                self.tag += 1;
                Step::Send(format!("C{} CAPABILITY\r\n", self.tag).into_bytes())
            }
            Protocol::Pop3 => Step::Send(b"CAPA\r\n".to_vec()),
            // An address literal: says nothing about the user's machine.
            Protocol::Smtp => Step::Send(b"EHLO [127.0.0.1]\r\n".to_vec()),
        }
    }

    fn starttls_command(&mut self) -> Step {
        self.state = State::StartTls;
        match self.protocol {
            Protocol::Imap => {
                self.tag += 1;
                Step::Send(format!("S{} STARTTLS\r\n", self.tag).into_bytes())
            }
            Protocol::Pop3 => Step::Send(b"STLS\r\n".to_vec()),
            Protocol::Smtp => Step::Send(b"STARTTLS\r\n".to_vec()),
        }
    }

    /// After the capabilities: upgrade, or finish.
    fn after_capabilities(&mut self) -> Step {
        self.starttls_offered |= self.tls == Security::Plain && self.offers_starttls();
        if self.tls == Security::Plain && self.upgrade && self.offers_starttls() {
            return self.starttls_command();
        }
        self.state = State::Finished;
        Step::Done(self.findings())
    }

    fn offers_starttls(&self) -> bool {
        let word = match self.protocol {
            Protocol::Imap | Protocol::Smtp => "STARTTLS",
            Protocol::Pop3 => "STLS",
        };
        self.capabilities.iter().any(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(word))
        })
    }

    fn findings(&self) -> Findings {
        let upper: Vec<String> = self
            .capabilities
            .iter()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let mut mechanisms = Vec::new();
        for c in &upper {
            match self.protocol {
                Protocol::Imap => {
                    if let Some(m) = c.strip_prefix("AUTH=") {
                        mechanisms.push(m.to_string());
                    }
                }
                Protocol::Pop3 => {
                    if let Some(rest) = c.strip_prefix("SASL") {
                        mechanisms.extend(rest.split_whitespace().map(str::to_string));
                    }
                }
                Protocol::Smtp => {
                    // "AUTH PLAIN LOGIN", or the old "AUTH=PLAIN LOGIN".
                    if let Some(rest) = c
                        .strip_prefix("AUTH")
                        .filter(|r| r.starts_with(' ') || r.starts_with('='))
                    {
                        mechanisms.extend(
                            rest.trim_start_matches('=')
                                .split_whitespace()
                                .map(str::to_string),
                        );
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        mechanisms.retain(|m| seen.insert(m.clone()));
        let has = |m: &str| mechanisms.iter().any(|x| x == m);
        let password_login = match self.protocol {
            Protocol::Imap => {
                has("PLAIN")
                    || (upper.iter().any(|c| c.starts_with("IMAP4"))
                        && !upper.iter().any(|c| c == "LOGINDISABLED"))
            }
            Protocol::Pop3 => has("PLAIN") || upper.iter().any(|c| c == "USER"),
            Protocol::Smtp => has("PLAIN") || has("LOGIN"),
        };
        Findings {
            protocol: self.protocol,
            security: self.tls,
            greeting: self.greeting.clone(),
            capabilities: self.capabilities.clone(),
            auth_mechanisms: mechanisms,
            starttls_offered: self.starttls_offered,
            password_login,
        }
    }

    fn line(&mut self, line: &str) -> Result<Option<Step>, ProbeError> {
        match self.protocol {
            Protocol::Imap => self.imap_line(line),
            Protocol::Pop3 => self.pop3_line(line),
            Protocol::Smtp => self.smtp_line(line),
        }
    }

    fn imap_line(&mut self, line: &str) -> Result<Option<Step>, ProbeError> {
        match self.state {
            State::Greeting => {
                let upper = line.to_ascii_uppercase();
                let skip = if upper.starts_with("* OK") {
                    Some(4)
                } else if upper.starts_with("* PREAUTH") {
                    Some(9)
                } else {
                    None
                };
                if let Some(skip) = skip {
                    self.greeting = line[skip..].trim().to_string();
                    self.state = State::Capabilities;
                    Ok(Some(self.capability_command()))
                } else if upper.starts_with("* BYE") {
                    Err(ProbeError::Refused(line.to_string()))
                } else {
                    Err(ProbeError::WrongProtocol(line.to_string()))
                }
            }
            State::Capabilities => {
                let tag = format!("C{} ", self.tag);
                if let Some(rest) = strip_prefix_ci(line, "* CAPABILITY ") {
                    self.capabilities
                        .extend(rest.split_whitespace().map(str::to_string));
                    Ok(None)
                } else if line.starts_with(&tag) {
                    // OK, or NO/BAD: a server without CAPABILITY still gets judged on what it
                    // said (nothing), which is not enough for anything.
                    Ok(Some(self.after_capabilities()))
                } else {
                    Ok(None)
                }
            }
            State::StartTls => {
                let tag = format!("S{} ", self.tag);
                match line.strip_prefix(&tag) {
                    Some(rest) if strip_prefix_ci(rest, "OK").is_some() => Ok(Some(Step::StartTls)),
                    Some(rest) => Err(ProbeError::StartTlsRefused(rest.to_string())),
                    None => Ok(None),
                }
            }
            State::Finished => Ok(None),
        }
    }

    fn pop3_line(&mut self, line: &str) -> Result<Option<Step>, ProbeError> {
        match self.state {
            State::Greeting => {
                if let Some(rest) = line.strip_prefix("+OK") {
                    self.greeting = rest.trim().to_string();
                    self.state = State::Capabilities;
                    Ok(Some(self.capability_command()))
                } else if line.starts_with("-ERR") {
                    Err(ProbeError::Refused(line.to_string()))
                } else {
                    Err(ProbeError::WrongProtocol(line.to_string()))
                }
            }
            State::Capabilities => {
                if !self.collecting {
                    if line.starts_with("+OK") {
                        self.collecting = true;
                        Ok(None)
                    } else {
                        // -ERR: no CAPA (RFC 1939 servers). Nothing known.
                        Ok(Some(self.after_capabilities()))
                    }
                } else if line == "." {
                    self.collecting = false;
                    Ok(Some(self.after_capabilities()))
                } else {
                    let line = line.strip_prefix('.').unwrap_or(line);
                    self.capabilities.push(line.to_string());
                    Ok(None)
                }
            }
            State::StartTls => {
                if line.starts_with("+OK") {
                    Ok(Some(Step::StartTls))
                } else {
                    Err(ProbeError::StartTlsRefused(line.to_string()))
                }
            }
            State::Finished => Ok(None),
        }
    }

    fn smtp_line(&mut self, line: &str) -> Result<Option<Step>, ProbeError> {
        let (code, last, text) = parse_smtp_line(line).ok_or_else(|| match self.state {
            State::Greeting => ProbeError::WrongProtocol(line.to_string()),
            _ => ProbeError::Malformed(format!("not an SMTP reply: {line:?}")),
        })?;
        match self.state {
            State::Greeting => {
                if code != 220 {
                    return if (400..600).contains(&code) {
                        Err(ProbeError::Refused(line.to_string()))
                    } else {
                        Err(ProbeError::WrongProtocol(line.to_string()))
                    };
                }
                if self.greeting.is_empty() {
                    self.greeting = text.to_string();
                }
                if !last {
                    return Ok(None);
                }
                self.state = State::Capabilities;
                Ok(Some(self.capability_command()))
            }
            State::Capabilities => {
                if code != 250 {
                    if !last {
                        return Ok(None);
                    }
                    // EHLO refused: an old server, nothing known.
                    return Ok(Some(self.after_capabilities()));
                }
                // The first line of the answer names the server; the rest are extensions.
                if self.collecting {
                    self.capabilities.push(text.to_string());
                }
                self.collecting = true;
                if last {
                    return Ok(Some(self.after_capabilities()));
                }
                Ok(None)
            }
            State::StartTls => {
                if !last {
                    return Ok(None);
                }
                if code == 220 {
                    Ok(Some(Step::StartTls))
                } else {
                    Err(ProbeError::StartTlsRefused(line.to_string()))
                }
            }
            State::Finished => Ok(None),
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// `250-SIZE 1000` → (250, false, "SIZE 1000"); `250 OK` → (250, true, "OK").
fn parse_smtp_line(line: &str) -> Option<(u16, bool, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code: u16 = line[..3].parse().ok()?;
    match bytes.get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, line[4..].trim())),
        Some(b'-') => Some((code, false, line[4..].trim())),
        Some(_) => None,
    }
}

// ---- the network layer

/// One server to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub protocol: Protocol,
    /// The name to verify the certificate against.
    pub host: String,
    pub addrs: Vec<IpAddr>,
    pub port: u16,
    /// `Tls` for implicit-TLS ports, `Starttls` for the others (upgraded when offered).
    pub security: Security,
}

/// How a probe ended.
#[derive(Debug)]
pub enum Outcome {
    Found(Findings),
    /// The certificate did not validate: reported to the user, never used.
    Untrusted(String),
    /// The TLS handshake failed for another reason.
    TlsFailed(String),
    /// Nothing usable there (refused, timed out, another protocol, …).
    Failed(String),
}

/// Probes `target`, all of it within `timeout`.
pub async fn run(tls: &Tls, target: &Target, timeout: Duration) -> Outcome {
    match tokio::time::timeout(timeout, run_inner(tls, target)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Failed(format!("no answer within {} s", timeout.as_secs_f32())),
    }
}

async fn run_inner(tls: &Tls, target: &Target) -> Outcome {
    let mut last = String::from("no address");
    let mut tcp = None;
    for ip in &target.addrs {
        match net::tcp_connect(&ip.to_string(), target.port).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let Some(tcp) = tcp else {
        return Outcome::Failed(last);
    };
    let mut probe = Probe::new(target.protocol, target.security);
    let host = target.host.as_str();
    if target.security == Security::Tls {
        let mut stream = match tls.handshake(host, tcp).await {
            Ok(s) => s,
            Err(e) => return tls_failure(e),
        };
        let step = converse(&mut probe, &mut stream, Step::Read).await;
        finish(&probe, &mut stream, step).await
    } else {
        let mut tcp = tcp;
        match converse(&mut probe, &mut tcp, Step::Read).await {
            Ok(Step::StartTls) => {
                let mut stream = match tls.handshake(host, tcp).await {
                    Ok(s) => s,
                    Err(e) => return tls_failure(e),
                };
                let first = probe.tls_started();
                let step = converse(&mut probe, &mut stream, first).await;
                finish(&probe, &mut stream, step).await
            }
            other => finish(&probe, &mut tcp, other).await,
        }
    }
}

fn tls_failure(e: Error) -> Outcome {
    match e {
        Error::CertificateNotTrusted { detail, .. } => Outcome::Untrusted(detail),
        other => Outcome::TlsFailed(other.to_string()),
    }
}

async fn finish<S: AsyncWrite + Unpin>(
    probe: &Probe,
    stream: &mut S,
    step: Result<Step, String>,
) -> Outcome {
    match step {
        Ok(Step::Done(findings)) => {
            // Best effort; the answer is not awaited.
            let _ = tokio::time::timeout(Duration::from_millis(200), async {
                let _ = stream.write_all(probe.goodbye()).await;
                let _ = stream.flush().await;
            })
            .await;
            Outcome::Found(findings)
        }
        Ok(other) => Outcome::Failed(format!("the probe stopped early ({other:?})")),
        Err(e) => Outcome::Failed(e),
    }
}

/// Runs the conversation until the probe asks for TLS or is done.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    probe: &mut Probe,
    stream: &mut S,
    mut step: Step,
) -> Result<Step, String> {
    let mut buf = vec![0u8; 4096];
    loop {
        match step {
            Step::Send(bytes) => {
                stream
                    .write_all(&bytes)
                    .await
                    .map_err(|e| format!("writing: {e}"))?;
                stream.flush().await.map_err(|e| format!("writing: {e}"))?;
            }
            Step::Read => {}
            done @ (Step::StartTls | Step::Done(_)) => return Ok(done),
        }
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        step = probe.receive(&buf[..n]).map_err(|e| e.to_string())?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a recorded conversation: each element is what the server sends next; the probe's
    /// steps are collected.
    fn play(probe: &mut Probe, server: &[&str]) -> Vec<Step> {
        let mut steps = vec![probe.start()];
        for chunk in server {
            let step = probe.receive(chunk.as_bytes()).unwrap();
            steps.push(step);
        }
        steps
    }

    fn send(s: &str) -> Step {
        Step::Send(s.as_bytes().to_vec())
    }

    fn done(steps: &[Step]) -> &Findings {
        match steps.last() {
            Some(Step::Done(f)) => f,
            other => panic!("not done: {other:?}"),
        }
    }

    // Recorded from Dovecot 2.3 (the test server).
    const DOVECOT_GREETING: &str = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Petrel test server ready.\r\n";

    #[test]
    fn imap_over_starttls_upgrades_and_asks_again() {
        let mut p = Probe::new(Protocol::Imap, Security::Starttls);
        let steps = play(
            &mut p,
            &[
                DOVECOT_GREETING,
                "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED\r\nC1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n",
                "S2 OK Begin TLS negotiation now.\r\n",
            ],
        );
        assert_eq!(steps[1], send("C1 CAPABILITY\r\n"));
        assert_eq!(steps[2], send("S2 STARTTLS\r\n"));
        assert_eq!(steps[3], Step::StartTls);
        assert_eq!(p.tls_started(), send("C3 CAPABILITY\r\n"));
        let f = match p
            .receive(b"* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN\r\nC3 OK Pre-login capabilities listed.\r\n")
            .unwrap()
        {
            Step::Done(f) => f,
            other => panic!("{other:?}"),
        };
        assert_eq!(f.security, Security::Starttls);
        assert!(f.starttls_offered);
        assert_eq!(f.auth_mechanisms, ["PLAIN", "LOGIN"]);
        assert!(f.password_login);
        assert_eq!(f.greeting, "[CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Petrel test server ready.");
    }

    #[test]
    fn imap_over_implicit_tls_reads_capabilities_once() {
        let mut p = Probe::new(Protocol::Imap, Security::Tls);
        // Answers split at awkward places, as TCP may deliver them.
        let steps = play(
            &mut p,
            &[
                "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r",
                "\n",
                "* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2\r\nC1 O",
                "K done\r\n",
            ],
        );
        assert_eq!(steps[1], Step::Read);
        assert_eq!(steps[2], send("C1 CAPABILITY\r\n"));
        assert_eq!(steps[3], Step::Read);
        let f = done(&steps);
        assert_eq!(f.security, Security::Tls);
        assert_eq!(f.auth_mechanisms, ["PLAIN", "XOAUTH2"]);
        assert!(!f.starttls_offered);
    }

    #[test]
    fn imap_without_starttls_stays_plain_and_says_so() {
        let mut p = Probe::new(Protocol::Imap, Security::Starttls);
        let steps = play(
            &mut p,
            &["* OK hi\r\n", "* CAPABILITY IMAP4rev1\r\nC1 OK\r\n"],
        );
        let f = done(&steps);
        assert_eq!(f.security, Security::Plain);
        assert!(!f.starttls_offered);
        assert!(f.password_login);
    }

    #[test]
    fn imap_bye_and_other_protocols_are_recognised() {
        let mut p = Probe::new(Protocol::Imap, Security::Tls);
        assert!(matches!(
            p.receive(b"* BYE Too many connections\r\n"),
            Err(ProbeError::Refused(_))
        ));
        let mut p = Probe::new(Protocol::Imap, Security::Tls);
        assert!(matches!(
            p.receive(b"+OK Dovecot ready.\r\n"),
            Err(ProbeError::WrongProtocol(_))
        ));
        let mut p = Probe::new(Protocol::Imap, Security::Tls);
        assert!(matches!(
            p.receive(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Err(ProbeError::WrongProtocol(_))
        ));
    }

    #[test]
    fn starttls_with_injected_data_is_refused() {
        let mut p = Probe::new(Protocol::Imap, Security::Starttls);
        play(
            &mut p,
            &[
                "* OK hi\r\n",
                "* CAPABILITY IMAP4rev1 STARTTLS\r\nC1 OK\r\n",
            ],
        );
        assert_eq!(
            p.receive(b"S2 OK go\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"),
            Err(ProbeError::DataBeforeTls)
        );
    }

    #[test]
    fn starttls_offered_then_refused_is_an_error() {
        let mut p = Probe::new(Protocol::Imap, Security::Starttls);
        play(
            &mut p,
            &[
                "* OK hi\r\n",
                "* CAPABILITY IMAP4rev1 STARTTLS\r\nC1 OK\r\n",
            ],
        );
        assert!(matches!(
            p.receive(b"S2 BAD TLS support isn't enabled.\r\n"),
            Err(ProbeError::StartTlsRefused(_))
        ));
    }

    // Recorded from Dovecot 2.3's POP3.
    #[test]
    fn pop3_capa_and_stls() {
        let mut p = Probe::new(Protocol::Pop3, Security::Starttls);
        let steps = play(
            &mut p,
            &[
                "+OK Petrel test server ready.\r\n",
                "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\nSASL\r\n.\r\n",
                "+OK Begin TLS negotiation now.\r\n",
            ],
        );
        assert_eq!(steps[1], send("CAPA\r\n"));
        assert_eq!(steps[2], send("STLS\r\n"));
        assert_eq!(steps[3], Step::StartTls);
        assert_eq!(p.tls_started(), send("CAPA\r\n"));
        let f = match p
            .receive(b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n")
            .unwrap()
        {
            Step::Done(f) => f,
            other => panic!("{other:?}"),
        };
        assert_eq!(f.security, Security::Starttls);
        assert_eq!(f.auth_mechanisms, ["PLAIN", "LOGIN"]);
        assert!(f.password_login);
        assert!(f.capabilities.contains(&"UIDL".to_string()));
    }

    #[test]
    fn pop3_without_capa_is_still_pop3() {
        let mut p = Probe::new(Protocol::Pop3, Security::Tls);
        let steps = play(&mut p, &["+OK POP3 ready\r\n", "-ERR unknown command\r\n"]);
        let f = done(&steps);
        assert!(f.capabilities.is_empty());
        assert!(!f.password_login);
        let mut p = Probe::new(Protocol::Pop3, Security::Tls);
        assert!(matches!(
            p.receive(b"220 smtp.example.org ESMTP\r\n"),
            Err(ProbeError::WrongProtocol(_))
        ));
    }

    // Recorded from Postfix 3.7 (submission port, STARTTLS required).
    #[test]
    fn smtp_ehlo_starttls_ehlo() {
        let mut p = Probe::new(Protocol::Smtp, Security::Starttls);
        let steps = play(
            &mut p,
            &[
                "220-localhost ESMTP Postfix\r\n220 second greeting line\r\n",
                "250-localhost\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
                "220 2.0.0 Ready to start TLS\r\n",
            ],
        );
        assert_eq!(steps[1], send("EHLO [127.0.0.1]\r\n"));
        assert_eq!(steps[2], send("STARTTLS\r\n"));
        assert_eq!(steps[3], Step::StartTls);
        assert_eq!(p.tls_started(), send("EHLO [127.0.0.1]\r\n"));
        let f = match p
            .receive(b"250-localhost\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250 CHUNKING\r\n")
            .unwrap()
        {
            Step::Done(f) => f,
            other => panic!("{other:?}"),
        };
        assert_eq!(f.greeting, "localhost ESMTP Postfix");
        assert_eq!(f.security, Security::Starttls);
        assert!(f.starttls_offered);
        assert!(f.password_login);
        assert_eq!(f.auth_mechanisms, ["PLAIN", "LOGIN"]);
        assert!(!f.capabilities.iter().any(|c| c == "localhost"));
    }

    #[test]
    fn smtp_refusals_and_garbage() {
        let mut p = Probe::new(Protocol::Smtp, Security::Tls);
        assert!(matches!(
            p.receive(b"554 5.7.1 No service for you\r\n"),
            Err(ProbeError::Refused(_))
        ));
        let mut p = Probe::new(Protocol::Smtp, Security::Tls);
        assert!(matches!(
            p.receive(b"* OK IMAP ready\r\n"),
            Err(ProbeError::WrongProtocol(_))
        ));
        let mut p = Probe::new(Protocol::Smtp, Security::Tls);
        let long = vec![b'2'; MAX_LINE + 10];
        assert!(matches!(p.receive(&long), Err(ProbeError::Malformed(_))));
    }

    #[test]
    fn smtp_without_auth_is_not_a_submission_server() {
        let mut p = Probe::new(Protocol::Smtp, Security::Tls);
        let steps = play(
            &mut p,
            &[
                "220 mx ESMTP\r\n",
                "250-mx\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
            ],
        );
        assert!(!done(&steps).password_login);
    }

    #[test]
    fn smtp_line_parsing() {
        assert_eq!(
            parse_smtp_line("250-SIZE 10"),
            Some((250, false, "SIZE 10"))
        );
        assert_eq!(parse_smtp_line("250 OK"), Some((250, true, "OK")));
        assert_eq!(parse_smtp_line("250"), Some((250, true, "")));
        assert_eq!(parse_smtp_line("25"), None);
        assert_eq!(parse_smtp_line("250x"), None);
    }
}
