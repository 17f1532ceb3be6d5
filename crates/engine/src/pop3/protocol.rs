//! POP3 without sockets: commands as bytes, and a decoder that turns whatever bytes arrived
//! (split anywhere) into status lines and dot-unstuffed multi-line bodies, within limits.
//! RFC 1939 (POP3), RFC 2449 (CAPA, extended response codes), RFC 2595 (STLS), RFC 5034 (SASL),
//! RFC 3206 (SYS and AUTH codes).

use base64::Engine as _;
use md5::{Digest, Md5};

/// The longest line accepted (RFC 2449 allows 512 octets for status lines; message lines in the
/// wild are longer, so this is generous but bounded).
pub const MAX_LINE: usize = 64 * 1024;
/// The largest message RETR or TOP accepts by default.
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// One command to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    Capa,
    Stls,
    User(&'a str),
    Pass(&'a str),
    /// `APOP name digest`, the digest from [`apop_digest`].
    Apop {
        user: &'a str,
        digest: &'a str,
    },
    /// `AUTH PLAIN` with the initial response (RFC 5034), or without it (the response follows
    /// the server's `+ ` continuation as a line of its own).
    AuthPlain(Option<&'a str>),
    /// A line sent after a `+ ` continuation (base64, or `*` to cancel).
    Continuation(&'a str),
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Top {
        msg: u32,
        lines: u32,
    },
    Retr(u32),
    Dele(u32),
    Noop,
    Rset,
    Quit,
}

impl Command<'_> {
    /// The command line, CRLF included.
    pub fn encode(&self) -> Vec<u8> {
        let line = match self {
            Command::Capa => "CAPA".to_string(),
            Command::Stls => "STLS".to_string(),
            Command::User(u) => format!("USER {u}"),
            Command::Pass(p) => format!("PASS {p}"),
            Command::Apop { user, digest } => format!("APOP {user} {digest}"),
            Command::AuthPlain(Some(ir)) => format!("AUTH PLAIN {ir}"),
            Command::AuthPlain(None) => "AUTH PLAIN".to_string(),
            Command::Continuation(s) => s.to_string(),
            Command::Stat => "STAT".to_string(),
            Command::List(None) => "LIST".to_string(),
            Command::List(Some(n)) => format!("LIST {n}"),
            Command::Uidl(None) => "UIDL".to_string(),
            Command::Uidl(Some(n)) => format!("UIDL {n}"),
            Command::Top { msg, lines } => format!("TOP {msg} {lines}"),
            Command::Retr(n) => format!("RETR {n}"),
            Command::Dele(n) => format!("DELE {n}"),
            Command::Noop => "NOOP".to_string(),
            Command::Rset => "RSET".to_string(),
            Command::Quit => "QUIT".to_string(),
        };
        let mut out = line.into_bytes();
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Whether a `+OK` answer to this command is followed by a body ending in `.`.
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Command::Capa
                | Command::List(None)
                | Command::Uidl(None)
                | Command::Top { .. }
                | Command::Retr(_)
        )
    }

    /// The command as it may be logged (no password, no credentials).
    pub fn redacted(&self) -> String {
        match self {
            Command::Pass(_) => "PASS ***".to_string(),
            Command::Apop { user, .. } => format!("APOP {user} ***"),
            Command::AuthPlain(Some(_)) => "AUTH PLAIN ***".to_string(),
            Command::Continuation(_) => "***".to_string(),
            other => String::from_utf8_lossy(&other.encode())
                .trim_end()
                .to_string(),
        }
    }
}

/// An RFC 2449 extended response code (`-ERR [IN-USE] …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseCode {
    /// RFC 3206: the credentials were wrong (as opposed to a server problem).
    Auth,
    /// RFC 2449: another session holds the maildrop lock.
    InUse,
    /// RFC 2449: logged in too soon after the previous login.
    LoginDelay,
    /// RFC 3206: a temporary server problem; trying later may work.
    SysTemp,
    /// RFC 3206: a permanent server problem.
    SysPerm,
    /// Anything else, as sent (upper-cased).
    Other(String),
}

impl ResponseCode {
    fn parse(s: &str) -> ResponseCode {
        // Hierarchical codes (`SYS/TEMP`) are compared whole; unknown ones are kept.
        match s.to_ascii_uppercase().as_str() {
            "AUTH" => ResponseCode::Auth,
            "IN-USE" => ResponseCode::InUse,
            "LOGIN-DELAY" => ResponseCode::LoginDelay,
            "SYS/TEMP" => ResponseCode::SysTemp,
            "SYS/PERM" => ResponseCode::SysPerm,
            other => ResponseCode::Other(other.to_string()),
        }
    }
}

/// A status line: `+OK …`, `-ERR …`, or a SASL continuation `+ …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok(String),
    Err {
        code: Option<ResponseCode>,
        text: String,
    },
    /// `+ <base64>`: the server waits for the next SASL step.
    Continue(String),
}

impl Status {
    /// Parses one status line (without its line ending).
    pub fn parse(line: &[u8]) -> Result<Status, ProtoError> {
        let line = String::from_utf8_lossy(line);
        let upper = line.get(..4).map(str::to_ascii_uppercase);
        if upper.as_deref() == Some("-ERR") {
            let rest = line[4..].trim_start();
            let (code, text) = match rest.strip_prefix('[') {
                Some(after) => match after.find(']') {
                    Some(end) => (
                        Some(ResponseCode::parse(after[..end].trim())),
                        after[end + 1..].trim_start().to_string(),
                    ),
                    None => (None, rest.to_string()),
                },
                None => (None, rest.to_string()),
            };
            return Ok(Status::Err { code, text });
        }
        if line.get(..3).map(str::to_ascii_uppercase).as_deref() == Some("+OK") {
            return Ok(Status::Ok(line[3..].trim_start().to_string()));
        }
        if line == "+" || line.starts_with("+ ") {
            return Ok(Status::Continue(line[1..].trim_start().to_string()));
        }
        Err(ProtoError::Malformed(format!(
            "expected +OK or -ERR, got “{}”",
            truncate(&line, 80)
        )))
    }
}

/// What went wrong while reading the server's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// A line longer than the limit: the server is broken or hostile.
    LineTooLong {
        limit: usize,
    },
    /// A multi-line body larger than the cap.
    MessageTooLarge {
        limit: usize,
    },
    Malformed(String),
}

impl std::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtoError::LineTooLong { limit } => {
                write!(f, "a line longer than {limit} bytes")
            }
            ProtoError::MessageTooLarge { limit } => {
                write!(f, "a message larger than {limit} bytes")
            }
            ProtoError::Malformed(s) => f.write_str(s),
        }
    }
}

/// Buffers the server's bytes and hands out complete lines, status lines and bodies.
/// Feed it what was read ([`Decoder::feed`]) and ask again when it says it needs more (`None`).
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Where the next line starts.
    start: usize,
    /// How far past `start` we already looked for a line feed.
    scanned: usize,
    max_line: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(MAX_LINE)
    }
}

impl Decoder {
    pub fn new(max_line: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            max_line,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.scanned = 0;
            self.start = 0;
        } else if self.start > 64 * 1024 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet handed out.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Takes everything still buffered (for the TLS switch after STLS, where the server must
    /// not have sent more: the caller checks it is empty).
    pub fn take_pending(&mut self) -> Vec<u8> {
        let rest = self.buf.split_off(self.start);
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        rest
    }

    /// The next complete line, line ending included (`\r\n`, or a bare `\n`).
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, ProtoError> {
        let avail = &self.buf[self.start..];
        match avail[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let len = self.scanned + i + 1;
                if len > self.max_line {
                    return Err(ProtoError::LineTooLong {
                        limit: self.max_line,
                    });
                }
                let line = &self.buf[self.start..self.start + len];
                self.start += len;
                self.scanned = 0;
                Ok(Some(line))
            }
            None => {
                if avail.len() > self.max_line {
                    return Err(ProtoError::LineTooLong {
                        limit: self.max_line,
                    });
                }
                self.scanned = avail.len();
                Ok(None)
            }
        }
    }

    /// The next status line, or `None` until it is complete.
    pub fn status(&mut self) -> Result<Option<Status>, ProtoError> {
        match self.next_line()? {
            Some(line) => Status::parse(strip_eol(line)).map(Some),
            None => Ok(None),
        }
    }

    /// Moves the complete lines of a multi-line body into `body`, dot-unstuffed, each with its
    /// line ending as sent. `Ok(true)` once the terminating `.` line was read; `Ok(false)` when
    /// more bytes are needed. Fails when `body` would grow past `max_body`.
    pub fn body(&mut self, body: &mut Vec<u8>, max_body: usize) -> Result<bool, ProtoError> {
        loop {
            let Some(line) = self.next_line()? else {
                return Ok(false);
            };
            let content = strip_eol(line);
            if content == b"." {
                return Ok(true);
            }
            let line = if line.first() == Some(&b'.') {
                &line[1..]
            } else {
                line
            };
            if body.len() + line.len() > max_body {
                return Err(ProtoError::MessageTooLarge { limit: max_body });
            }
            body.extend_from_slice(line);
        }
    }
}

fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// What `CAPA` said the server can do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub stls: bool,
    pub user: bool,
    pub top: bool,
    pub uidl: bool,
    pub pipelining: bool,
    pub resp_codes: bool,
    pub auth_resp_code: bool,
    /// SASL mechanisms, upper-case.
    pub sasl: Vec<String>,
    /// `LOGIN-DELAY n`, in seconds.
    pub login_delay: Option<u64>,
    /// `EXPIRE n` in days (`NEVER` is `None` with `expire_never`).
    pub expire: Option<u64>,
    pub expire_never: bool,
    pub implementation: Option<String>,
}

impl Capabilities {
    /// Reads a CAPA body (one capability per line).
    pub fn parse(body: &[u8]) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in String::from_utf8_lossy(body).lines() {
            let mut words = line.split_whitespace();
            let Some(name) = words.next() else { continue };
            let args: Vec<&str> = words.collect();
            match name.to_ascii_uppercase().as_str() {
                "STLS" => caps.stls = true,
                "USER" => caps.user = true,
                "TOP" => caps.top = true,
                "UIDL" => caps.uidl = true,
                "PIPELINING" => caps.pipelining = true,
                "RESP-CODES" => caps.resp_codes = true,
                "AUTH-RESP-CODE" => caps.auth_resp_code = true,
                "SASL" => caps.sasl = args.iter().map(|a| a.to_ascii_uppercase()).collect(),
                "LOGIN-DELAY" => caps.login_delay = args.first().and_then(|a| a.parse().ok()),
                "EXPIRE" => match args.first() {
                    Some(a) if a.eq_ignore_ascii_case("NEVER") => caps.expire_never = true,
                    Some(a) => caps.expire = a.parse().ok(),
                    None => {}
                },
                "IMPLEMENTATION" => caps.implementation = Some(args.join(" ")),
                _ => {}
            }
        }
        caps
    }

    pub fn has_sasl(&self, mechanism: &str) -> bool {
        self.sasl.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }
}

/// `STAT`: how many messages and their total size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub count: u32,
    pub size: u64,
}

fn numbers<const N: usize>(text: &str, what: &str) -> Result<[u64; N], ProtoError> {
    let mut out = [0u64; N];
    let mut words = text.split_whitespace();
    for slot in out.iter_mut() {
        *slot = words
            .next()
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| ProtoError::Malformed(format!("unreadable {what}: “{text}”")))?;
    }
    Ok(out)
}

fn msg_number(n: u64, what: &str) -> Result<u32, ProtoError> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| ProtoError::Malformed(format!("message number {n} in {what}")))
}

/// The text of a `+OK` to STAT: `count size`.
pub fn parse_stat(text: &str) -> Result<Stat, ProtoError> {
    let [count, size] = numbers::<2>(text, "STAT answer")?;
    Ok(Stat {
        count: u32::try_from(count)
            .map_err(|_| ProtoError::Malformed(format!("message count {count}")))?,
        size,
    })
}

/// One scan listing (`n size`), from a LIST body line or the text of `+OK` to `LIST n`.
pub fn parse_list_entry(text: &str) -> Result<(u32, u64), ProtoError> {
    let [n, size] = numbers::<2>(text, "LIST line")?;
    Ok((msg_number(n, "LIST")?, size))
}

/// One unique-id listing (`n uid`); RFC 1939 says the uid is 1–70 printable characters.
pub fn parse_uidl_entry(text: &str) -> Result<(u32, String), ProtoError> {
    let mut words = text.split_whitespace();
    let n = words
        .next()
        .and_then(|w| w.parse::<u64>().ok())
        .ok_or_else(|| ProtoError::Malformed(format!("unreadable UIDL line: “{text}”")))?;
    let uid = words
        .next()
        .filter(|u| (1..=70).contains(&u.len()) && u.bytes().all(|b| (0x21..=0x7e).contains(&b)))
        .ok_or_else(|| ProtoError::Malformed(format!("unreadable UIDL line: “{text}”")))?;
    Ok((msg_number(n, "UIDL")?, uid.to_string()))
}

/// The lines of a multi-line LIST or UIDL body, parsed with `f`.
pub fn parse_listing<T>(
    body: &[u8],
    f: impl Fn(&str) -> Result<T, ProtoError>,
) -> Result<Vec<T>, ProtoError> {
    String::from_utf8_lossy(body)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(f)
        .collect()
}

/// The APOP timestamp (`<…@…>`) in a greeting's text, if the server offers APOP.
pub fn greeting_timestamp(text: &str) -> Option<&str> {
    let start = text.find('<')?;
    let end = start + text[start..].find('>')?;
    let stamp = &text[start..=end];
    stamp.contains('@').then_some(stamp)
}

/// The APOP digest: MD5 of the timestamp followed by the secret, in lower-case hex (RFC 1939).
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_bytes());
    md5.update(secret.as_bytes());
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The SASL PLAIN response (RFC 4616), base64: no authorization identity, then user and password.
pub fn sasl_plain(user: &str, password: &str) -> String {
    let mut raw = Vec::with_capacity(user.len() + password.len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(bytes: &[u8]) -> Result<Option<Status>, ProtoError> {
        let mut d = Decoder::default();
        d.feed(bytes);
        d.status()
    }

    #[test]
    fn commands_are_encoded_with_crlf() {
        assert_eq!(Command::Stat.encode(), b"STAT\r\n");
        assert_eq!(Command::List(Some(3)).encode(), b"LIST 3\r\n");
        assert_eq!(Command::Uidl(None).encode(), b"UIDL\r\n");
        assert_eq!(Command::Top { msg: 2, lines: 0 }.encode(), b"TOP 2 0\r\n");
        assert_eq!(
            Command::AuthPlain(Some("AGEAYg==")).encode(),
            b"AUTH PLAIN AGEAYg==\r\n"
        );
        assert_eq!(Command::Pass("secret").redacted(), "PASS ***");
        assert!(!Command::Pass("secret").redacted().contains("secret"));
        assert!(Command::Retr(1).is_multiline());
        assert!(!Command::Uidl(Some(1)).is_multiline());
        assert!(!Command::List(Some(1)).is_multiline());
    }

    #[test]
    fn status_lines_and_response_codes() {
        assert_eq!(
            status(b"+OK Dovecot ready.\r\n").unwrap(),
            Some(Status::Ok("Dovecot ready.".into()))
        );
        assert_eq!(status(b"+OK\r\n").unwrap(), Some(Status::Ok("".into())));
        assert_eq!(
            status(b"-ERR [AUTH] Authentication failed.\r\n").unwrap(),
            Some(Status::Err {
                code: Some(ResponseCode::Auth),
                text: "Authentication failed.".into()
            })
        );
        for (line, code) in [
            (&b"-ERR [IN-USE] locked\r\n"[..], ResponseCode::InUse),
            (b"-ERR [SYS/TEMP] try later\r\n", ResponseCode::SysTemp),
            (b"-ERR [SYS/PERM] gone\r\n", ResponseCode::SysPerm),
            (b"-ERR [LOGIN-DELAY] wait\n", ResponseCode::LoginDelay),
            (b"-err [x-Odd] hm\r\n", ResponseCode::Other("X-ODD".into())),
        ] {
            match status(line).unwrap() {
                Some(Status::Err { code: Some(c), .. }) => assert_eq!(c, code),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            status(b"-ERR no such message\r\n").unwrap(),
            Some(Status::Err {
                code: None,
                text: "no such message".into()
            })
        );
        // An unclosed bracket is text, not a code.
        assert_eq!(
            status(b"-ERR [IN-USE oops\r\n").unwrap(),
            Some(Status::Err {
                code: None,
                text: "[IN-USE oops".into()
            })
        );
        assert_eq!(
            status(b"+ \r\n").unwrap(),
            Some(Status::Continue("".into()))
        );
        assert!(matches!(
            status(b"* OK IMAP4rev1\r\n"),
            Err(ProtoError::Malformed(_))
        ));
        assert!(matches!(status(b"\r\n"), Err(ProtoError::Malformed(_))));
        // Truncated: no line ending yet.
        assert_eq!(status(b"+OK 2 32").unwrap(), None);
    }

    const RETR: &[u8] = b"+OK 120 octets\r\n\
        From: a@example.org\r\n\
        Subject: dots\r\n\
        \r\n\
        ..leading dot\r\n\
        ...two\r\n\
        .\tnot the end\r\n\
        bare lf\n\
        ..\r\n\
        .\r\n\
        +OK next\r\n";

    const RETR_BODY: &[u8] = b"From: a@example.org\r\n\
        Subject: dots\r\n\
        \r\n\
        .leading dot\r\n\
        ..two\r\n\
        \tnot the end\r\n\
        bare lf\n\
        .\r\n";

    #[test]
    fn multiline_body_is_dot_unstuffed_and_stops_at_the_terminator() {
        let mut d = Decoder::default();
        d.feed(RETR);
        assert!(matches!(d.status().unwrap(), Some(Status::Ok(_))));
        let mut body = Vec::new();
        assert!(d.body(&mut body, DEFAULT_MAX_MESSAGE).unwrap());
        assert_eq!(body, RETR_BODY);
        // What follows the terminator stays for the next response.
        assert_eq!(d.status().unwrap(), Some(Status::Ok("next".into())));
        assert!(d.pending().is_empty());
    }

    #[test]
    fn a_response_split_at_every_byte_offset_decodes_the_same() {
        for split in 0..=RETR.len() {
            let mut d = Decoder::default();
            let mut got_status = None;
            let mut body = Vec::new();
            let mut done = false;
            for part in [&RETR[..split], &RETR[split..]] {
                d.feed(part);
                if got_status.is_none() {
                    got_status = d.status().unwrap();
                }
                if got_status.is_some() && !done {
                    done = d.body(&mut body, DEFAULT_MAX_MESSAGE).unwrap();
                }
            }
            assert!(matches!(got_status, Some(Status::Ok(_))), "split {split}");
            assert!(done, "split {split}");
            assert_eq!(body, RETR_BODY, "split {split}");
        }
        // And byte by byte.
        let mut d = Decoder::default();
        let mut body = Vec::new();
        let mut st = None;
        let mut done = false;
        for b in RETR {
            d.feed(std::slice::from_ref(b));
            if st.is_none() {
                st = d.status().unwrap();
            } else if !done {
                done = d.body(&mut body, DEFAULT_MAX_MESSAGE).unwrap();
            }
        }
        assert!(done);
        assert_eq!(body, RETR_BODY);
    }

    #[test]
    fn truncated_body_waits_for_more() {
        let mut d = Decoder::default();
        d.feed(b"+OK\r\nline one\r\nline tw");
        d.status().unwrap();
        let mut body = Vec::new();
        assert!(!d.body(&mut body, 1024).unwrap());
        assert_eq!(body, b"line one\r\n");
        d.feed(b"o\r\n.");
        assert!(!d.body(&mut body, 1024).unwrap());
        d.feed(b"\r\n");
        assert!(d.body(&mut body, 1024).unwrap());
        assert_eq!(body, b"line one\r\nline two\r\n");
    }

    #[test]
    fn a_message_over_the_cap_is_an_error_not_memory() {
        let mut d = Decoder::default();
        d.feed(b"+OK\r\n");
        d.status().unwrap();
        let mut body = Vec::new();
        let line = [b'x'; 1000];
        let mut result = Ok(false);
        for _ in 0..200 {
            d.feed(&line);
            d.feed(b"\r\n");
            result = d.body(&mut body, 100_000);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ProtoError::MessageTooLarge { limit: 100_000 }));
        assert!(body.len() <= 100_000);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error() {
        let mut d = Decoder::new(1024);
        d.feed(&[b'+'; 1025]);
        assert_eq!(d.status(), Err(ProtoError::LineTooLong { limit: 1024 }));
        let mut d = Decoder::new(1024);
        let mut long = vec![b'a'; 2000];
        long.extend_from_slice(b"\r\n");
        d.feed(&long);
        assert_eq!(d.next_line(), Err(ProtoError::LineTooLong { limit: 1024 }));
    }

    #[test]
    fn capa_stat_list_uidl() {
        let caps = Capabilities::parse(
            b"CAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\nSASL PLAIN login\r\nLOGIN-DELAY 900\r\nEXPIRE NEVER\r\nIMPLEMENTATION Shlemazle Plotz-v302\r\n",
        );
        assert!(caps.stls && caps.user && caps.top && caps.uidl && caps.pipelining);
        assert!(caps.resp_codes && caps.auth_resp_code && caps.expire_never);
        assert!(caps.has_sasl("plain") && caps.has_sasl("LOGIN") && !caps.has_sasl("CRAM-MD5"));
        assert_eq!(caps.login_delay, Some(900));
        assert_eq!(caps.implementation.as_deref(), Some("Shlemazle Plotz-v302"));

        assert_eq!(
            parse_stat("2 320").unwrap(),
            Stat {
                count: 2,
                size: 320
            }
        );
        assert!(parse_stat("2").is_err());
        assert!(parse_stat("two 320").is_err());
        assert_eq!(parse_list_entry("1 120").unwrap(), (1, 120));
        assert!(parse_list_entry("0 120").is_err());
        assert_eq!(
            parse_listing(b"1 120\r\n2 200\r\n", parse_list_entry).unwrap(),
            vec![(1, 120), (2, 200)]
        );
        assert_eq!(
            parse_listing(
                b"1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n",
                parse_uidl_entry
            )
            .unwrap(),
            vec![
                (1, "whqtswO00WBw418f9t5JxYwZ".to_string()),
                (2, "QhdPYR:00WBw1Ph7x7".to_string())
            ]
        );
        assert!(parse_uidl_entry("1").is_err());
        assert!(parse_uidl_entry(&format!("1 {}", "u".repeat(71))).is_err());
    }

    #[test]
    fn apop_and_sasl_plain() {
        // The example of RFC 1939, section 7.
        let greeting = "POP3 server ready <1896.697170952@dbc.mtview.ca.us>";
        let stamp = greeting_timestamp(greeting).unwrap();
        assert_eq!(stamp, "<1896.697170952@dbc.mtview.ca.us>");
        assert_eq!(
            apop_digest(stamp, "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
        assert_eq!(greeting_timestamp("Dovecot ready."), None);
        assert_eq!(greeting_timestamp("ready <no-at-sign>"), None);
        // RFC 4616: "\0tim\0tanstaaftanstaaf".
        assert_eq!(
            sasl_plain("tim", "tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
    }
}
