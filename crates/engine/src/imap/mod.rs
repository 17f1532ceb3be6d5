//! IMAP with async-imap: connecting (implicit TLS, or STARTTLS that is never skipped), the folder
//! list with SPECIAL-USE roles, header-first sync newest first in chunks, and lazy bodies.

mod changes;
mod folders;
mod idle;
mod parts;
mod responses;
mod sync;
pub mod utf7;

use futures::StreamExt;

use crate::error::{Error, Result};
use crate::model::{Security, ServerSettings};
use crate::net::{self, Stream, Tls};

pub use folders::{folder_role, FolderEntry};
pub use idle::IdleOutcome;
pub use sync::{FolderSync, PendingListing, SyncMode, HEADER_FIELDS};

pub type ImapSession = async_imap::Session<Box<dyn Stream>>;

/// A whole message as [`Connection::stream_selected_bodies`] received it. Flags, INTERNALDATE and
/// RFC822.SIZE only when asked for with the body (`with_list`); else their defaults.
#[derive(Debug, Clone, Default)]
pub struct FetchedMessage {
    pub uid: u32,
    pub raw: Vec<u8>,
    pub flags: crate::mime::Flags,
    /// Seconds since the epoch (0: not asked for, or not sent).
    pub internal_date: i64,
    pub size: u32,
}

/// A logged-in IMAP connection and what the server said it can do.
pub struct Connection {
    pub session: ImapSession,
    pub host: String,
    capabilities: Vec<String>,
    /// `ENABLE QRESYNC` succeeded: SELECT can resynchronise and expunges come as VANISHED.
    qresync: bool,
    /// The server keeps modification sequences (CONDSTORE, or implied by QRESYNC).
    condstore: bool,
    /// The selected folder changed while we were doing something else (seen in a NOOP).
    changed_meanwhile: bool,
}

/// Which sync extensions a connection may use. Everything the server offers by default; tests use
/// less to exercise the fallbacks against a server that has them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extensions {
    pub qresync: bool,
    pub condstore: bool,
}

impl Default for Extensions {
    fn default() -> Self {
        Extensions {
            qresync: true,
            condstore: true,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("imap::Connection")
            .field("host", &self.host)
            .finish()
    }
}

fn server_name(host: &str) -> String {
    format!("The incoming server {host}")
}

/// How long one answer from the server may take before the connection is given up as dead.
pub const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// `f`, given up after [`RESPONSE_TIMEOUT`].
pub(crate) async fn within<T>(host: &str, f: impl std::future::Future<Output = T>) -> Result<T> {
    tokio::time::timeout(RESPONSE_TIMEOUT, f)
        .await
        .map_err(|_| Error::Timeout {
            what: format!("Waiting for {host} to answer"),
        })
}

/// The next item of a response stream, given up after [`RESPONSE_TIMEOUT`] of silence.
pub(crate) async fn next_within<S: futures::Stream + Unpin>(
    host: &str,
    s: &mut S,
) -> Result<Option<S::Item>> {
    tokio::time::timeout(RESPONSE_TIMEOUT, s.next())
        .await
        .map_err(|_| Error::Timeout {
            what: format!("Waiting for {host} to send more"),
        })
}

pub(crate) fn imap_error(host: &str, e: async_imap::error::Error) -> Error {
    use async_imap::error::Error as E;
    match e {
        E::Io(source) if source.kind() == std::io::ErrorKind::TimedOut => Error::Timeout {
            what: format!("Talking to {host}"),
        },
        E::Io(source) => Error::Network {
            host: host.to_string(),
            port: 0,
            source,
        },
        E::ConnectionLost => Error::Network {
            host: host.to_string(),
            port: 0,
            source: std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the server closed the connection",
            ),
        },
        other => Error::Protocol {
            server: server_name(host),
            detail: other.to_string(),
        },
    }
}

impl Connection {
    /// Connects, secures the connection as the settings say, logs in, and enables QRESYNC when
    /// the server offers it.
    pub async fn connect(
        tls: &Tls,
        settings: &ServerSettings,
        password: &str,
    ) -> Result<Connection> {
        Connection::connect_with(tls, settings, password, Extensions::default()).await
    }

    /// [`Connection::connect`], using at most the given sync extensions.
    pub async fn connect_with(
        tls: &Tls,
        settings: &ServerSettings,
        password: &str,
        allowed: Extensions,
    ) -> Result<Connection> {
        let host = settings.host.as_str();
        let tcp = net::tcp_connect(host, settings.port).await?;
        let client = match settings.security {
            Security::Tls => {
                let stream = tls
                    .handshake_pinned(host, tcp, settings.trusted_cert.as_deref())
                    .await?;
                let mut client = async_imap::Client::new(Box::new(stream) as Box<dyn Stream>);
                read_greeting(host, &mut client).await?;
                client
            }
            Security::Starttls => {
                let mut client = async_imap::Client::new(Box::new(tcp) as Box<dyn Stream>);
                read_greeting(host, &mut client).await?;
                // Whatever the greeting advertised, ask: a server that refuses is an error, never a
                // reason to go on unencrypted.
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|_| Error::NoStarttls {
                        host: host.to_string(),
                    })?;
                let plain = client.into_inner();
                let stream = tls
                    .handshake_pinned(host, plain, settings.trusted_cert.as_deref())
                    .await?;
                async_imap::Client::new(Box::new(stream) as Box<dyn Stream>)
            }
            Security::Plain => {
                let mut client = async_imap::Client::new(Box::new(tcp) as Box<dyn Stream>);
                read_greeting(host, &mut client).await?;
                client
            }
        };
        let login = tokio::time::timeout(
            net::CONNECT_TIMEOUT,
            client.login(&settings.username, password),
        )
        .await;
        let mut session = match login {
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!("Logging in to {host}"),
                })
            }
            Ok(Ok(session)) => session,
            Ok(Err((async_imap::error::Error::No(detail), _))) => {
                return Err(Error::AuthFailed {
                    server: server_name(host),
                    detail,
                    advice: None,
                })
            }
            Ok(Err((e, _))) => return Err(imap_error(host, e)),
        };
        // Capabilities may change after login (CONDSTORE, QRESYNC appear only then on Dovecot).
        let caps = tokio::time::timeout(RESPONSE_TIMEOUT, session.capabilities())
            .await
            .map_err(|_| Error::Timeout {
                what: format!("Asking {host} what it can do"),
            })?
            .map_err(|e| imap_error(host, e))?;
        let capabilities: Vec<String> = caps
            .iter()
            .map(|c| match c {
                async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                async_imap::types::Capability::Auth(a) => {
                    format!("AUTH={}", a.to_ascii_uppercase())
                }
                async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
            })
            .collect();
        // COMPRESS=DEFLATE (RFC 4978) is never asked for, even when offered (measured, see
        // bench/README.md, "COMPRESS=DEFLATE"): the 10,000-message corpus only shrinks to 0.68 of
        // its size (attachments are already compressed), and deflate at Dovecot's level 6 runs at
        // about 40 MB/s per core, so it slows any link faster than ~300 Mbit/s — loopback and LAN
        // (private address ranges) always, where it would take 8 × the uncompressed fetch. It could
        // pay on slow remote links, but async-imap has no COMPRESS support; adding it means
        // wrapping the stream after the tagged OK, and must keep it off for loopback, private and
        // link-local addresses.
        let mut conn = Connection {
            session,
            host: host.to_string(),
            capabilities,
            qresync: false,
            condstore: false,
            changed_meanwhile: false,
        };
        if allowed.qresync && conn.has_capability("QRESYNC") {
            // RFC 7162: enabling QRESYNC enables CONDSTORE too.
            conn.run_checked("ENABLE QRESYNC").await?;
            conn.qresync = true;
            conn.condstore = true;
        } else if allowed.condstore && conn.has_capability("CONDSTORE") {
            // SELECT … (CONDSTORE) enables it per folder; no ENABLE needed.
            conn.condstore = true;
        }
        Ok(conn)
    }

    /// True when QRESYNC is enabled on this connection.
    pub fn qresync(&self) -> bool {
        self.qresync
    }

    /// True when modification sequences (CONDSTORE) are used on this connection.
    pub fn condstore(&self) -> bool {
        self.condstore
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    /// The folder list, with roles.
    pub async fn list_folders(&mut self) -> Result<Vec<FolderEntry>> {
        let host = self.host.clone();
        let mut out = Vec::new();
        {
            let mut names = within(&host, self.session.list(Some(""), Some("*")))
                .await?
                .map_err(|e| imap_error(&host, e))?;
            while let Some(name) = next_within(&host, &mut names).await? {
                let name = name.map_err(|e| imap_error(&host, e))?;
                out.push(folders::entry_from_name(&name));
            }
        }
        folders::assign_fallback_roles(&mut out);
        Ok(out)
    }

    /// Downloads whole messages by UID: (uid, raw bytes). `BODY.PEEK[]` leaves \Seen alone.
    pub async fn fetch_bodies(
        &mut self,
        folder: &str,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>> {
        self.examine(folder).await?;
        self.fetch_selected_bodies(uids).await
    }

    /// Selects a folder read-only (for fetching bodies).
    pub async fn examine(&mut self, folder: &str) -> Result<()> {
        let host = self.host.clone();
        within(&host, self.session.examine(folder))
            .await?
            .map_err(|e| imap_error(&host, e))?;
        Ok(())
    }

    /// [`Connection::fetch_bodies`] in the folder already selected (see [`Connection::examine`]).
    pub async fn fetch_selected_bodies(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>> {
        let host = self.host.clone();
        let set = uid_set(uids);
        let mut out = Vec::with_capacity(uids.len());
        let mut stream = within(&host, self.session.uid_fetch(&set, "(UID BODY.PEEK[])"))
            .await?
            .map_err(|e| imap_error(&host, e))?;
        while let Some(f) = next_within(&host, &mut stream).await? {
            let f = f.map_err(|e| imap_error(&host, e))?;
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                out.push((uid, body.to_vec()));
            }
        }
        Ok(out)
    }

    /// Streams whole messages by UID, in the folder already selected, into `batches` as lists of
    /// [`FetchedMessage`]s of about `batch_bytes` each (at least one message; with `with_list`,
    /// with the list data FLAGS, INTERNALDATE and RFC822.SIZE too): one FETCH command, so
    /// the server sends without pause while the receiver works on the previous batches; when the
    /// receiver is slower, the channel (then TCP) holds the server back, so memory stays bounded.
    /// The messages read before an error are sent first; an answer cut short by the server is
    /// an error. Returns `false` if the receiver went
    /// away (the rest of the answer is then read and dropped, so the connection stays usable).
    pub async fn stream_selected_bodies(
        &mut self,
        uids: &[u32],
        with_list: bool,
        batch_bytes: usize,
        batches: &tokio::sync::mpsc::Sender<Vec<FetchedMessage>>,
    ) -> Result<bool> {
        let host = self.host.clone();
        let set = uid_set(uids);
        let query = if with_list {
            "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
        } else {
            "(UID BODY.PEEK[])"
        };
        let mut batch = Vec::new();
        let mut bytes = 0;
        let mut open = true;
        let outcome: Result<()> = async {
            let mut stream = within(&host, self.session.uid_fetch(&set, query))
                .await?
                .map_err(|e| imap_error(&host, e))?;
            while let Some(f) = next_within(&host, &mut stream).await? {
                let f = f.map_err(|e| imap_error(&host, e))?;
                let (Some(uid), Some(body), true) = (f.uid, f.body(), open) else {
                    continue;
                };
                bytes += body.len();
                batch.push(FetchedMessage {
                    uid,
                    raw: body.to_vec(),
                    flags: sync::flags_of(&f),
                    internal_date: f.internal_date().map(|d| d.timestamp()).unwrap_or(0),
                    size: f.size.unwrap_or(0),
                });
                if bytes >= batch_bytes {
                    bytes = 0;
                    open = batches.send(std::mem::take(&mut batch)).await.is_ok();
                }
            }
            Ok(())
        }
        .await;
        if open && !batch.is_empty() {
            open = batches.send(batch).await.is_ok();
        }
        outcome?;
        // A clean close by the server ends the stream too: prove it was the command's end.
        self.confirm_complete().await?;
        Ok(open)
    }

    pub async fn logout(mut self) {
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(5), self.session.logout()).await;
    }
}

async fn read_greeting(host: &str, client: &mut async_imap::Client<Box<dyn Stream>>) -> Result<()> {
    match tokio::time::timeout(net::CONNECT_TIMEOUT, client.read_response()).await {
        Err(_) => Err(Error::Timeout {
            what: format!("Waiting for the greeting of {host}"),
        }),
        Ok(Err(source)) => Err(Error::Network {
            host: host.to_string(),
            port: 0,
            source,
        }),
        Ok(Ok(None)) => Err(Error::Protocol {
            server: server_name(host),
            detail: "the server closed the connection without a greeting (is this an IMAP port?)"
                .into(),
        }),
        Ok(Ok(Some(_))) => Ok(()),
    }
}

/// A compact UID set: `1:5,7,9:12`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(
            super::uid_set(&[5, 1, 2, 3, 7, 9, 10, 11, 3]),
            "1:3,5,7,9:11"
        );
        assert_eq!(super::uid_set(&[4]), "4");
        assert_eq!(super::uid_set(&[]), "");
    }
}
