//! A minimal SMTP client for injecting mail through the plain inbound port (no TLS, no AUTH),
//! the way mail from the outside world arrives.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context, Result};

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    /// Reads one (possibly multi-line) reply; returns its code and text.
    fn reply(&mut self) -> Result<(u16, String)> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .context("reading SMTP reply")?;
            if n == 0 {
                bail!("SMTP server closed the connection; so far: {text}");
            }
            text.push_str(&line);
            let b = line.as_bytes();
            if b.len() < 4 {
                bail!("malformed SMTP reply: {line:?}");
            }
            if b[3] != b'-' {
                let code = line[..3]
                    .parse()
                    .with_context(|| format!("malformed SMTP reply: {line:?}"))?;
                return Ok((code, text.trim_end().to_string()));
            }
        }
    }

    fn expect(&mut self, what: &str, ok: impl Fn(u16) -> bool) -> Result<()> {
        let (code, text) = self.reply()?;
        if !ok(code) {
            bail!("SMTP {what} refused: {text}");
        }
        Ok(())
    }

    fn command(&mut self, cmd: &str, ok: impl Fn(u16) -> bool) -> Result<()> {
        self.writer
            .write_all(format!("{cmd}\r\n").as_bytes())
            .context("writing SMTP command")?;
        self.expect(cmd, ok)
    }
}

/// Sends `raw` from `from` to each of `to` over plain SMTP at `host:port`.
pub(crate) fn send(host: &str, port: u16, from: &str, to: &[&str], raw: &[u8]) -> Result<()> {
    let stream = TcpStream::connect((host, port))
        .with_context(|| format!("connecting to SMTP {host}:{port}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut c = Conn {
        reader: BufReader::new(stream.try_clone()?),
        writer: stream,
    };
    c.expect("greeting", |x| x == 220)?;
    c.command("EHLO petrel-testkit.localhost", |x| x == 250)?;
    c.command(&format!("MAIL FROM:<{from}>"), |x| x == 250)?;
    for rcpt in to {
        c.command(&format!("RCPT TO:<{rcpt}>"), |x| x == 250 || x == 251)?;
    }
    c.command("DATA", |x| x == 354)?;
    let mut data = dot_stuff(raw);
    data.extend_from_slice(b".\r\n");
    c.writer.write_all(&data).context("writing message data")?;
    c.expect("message", |x| x == 250)?;
    // The message is queued; a failing QUIT does not matter.
    let _ = c.command("QUIT", |x| x == 221);
    Ok(())
}

/// CRLF line endings, leading dots doubled, ending with CRLF.
fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 50 + 8);
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffing() {
        assert_eq!(dot_stuff(b".a\n..b\r\nc"), b"..a\r\n...b\r\nc\r\n");
        assert_eq!(dot_stuff(b"x\r\n"), b"x\r\n");
    }
}
